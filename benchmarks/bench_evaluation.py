"""Benchmark of SCP evaluation on a large synthetic organization: simple vs precise.

Run: ``.venv/bin/python benchmarks/bench_evaluation.py [--seed S] [--repeat N] [--profile]``

What is built (deterministic, ``random.Random(seed)``), over the real catalog
(``default_catalog()``):

* 1,000 OUs nested 5 levels deep (10, 40, 150, 300, 500 per level, each under
  a random OU of the level above) and 10,000 accounts (the management account
  under the root, the others under the root or a random OU);
* SCPs with wildcards (``s3:Get*``, ``ec2:?escribe*``, ``s3:*Object``,
  ``*``), allow-lists replacing FullAWSAccess on some OUs (most at levels 1-2),
  Denies next to FullAWSAccess on intermediate OUs (levels 2-4), conditional
  Denies (which remove nothing), resource-limited Allows and Denies
  (``Deny s3:*`` on ``arn:aws:s3:::secret-*``, ``Allow s3:GetObject`` on
  ``arn:aws:s3:::logs-*/*``, a Deny on every EC2 instance ARN, a Deny
  NotResource, Allows whose Resource fits no ARN of the action such as
  ``s3:GetObject`` on a bucket ARN, an Allow and a Deny on the same objects:
  the last two make the precise mode list less than the simple mode),
  FullAWSAccess everywhere else;
* accounts: about 90% carry FullAWSAccess only, the others FullAWSAccess plus
  a custom Deny, or a custom (sometimes resource-limited) allow-list instead.

What is timed (``time.perf_counter``, best of ``--repeat`` unless said):

* building the organization (OrganizationBuilder + build);
* ``allowed_namespaces`` for every account with a fresh Evaluator, in
  ``resources="simple"`` and in ``resources="precise"`` (same run, same org),
  the ratio precise / simple, the number of distinct cached combinations and
  the cost per account;
* a second pass over every account with the same (warm) Evaluators.

``--profile`` runs one precise cold pass under cProfile and prints where the
time goes (it is also done automatically when precise / simple > 2).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orgaccess.engine.evaluation import Evaluator, ResourceMode
from orgaccess.model.catalog import ServiceCatalog, default_catalog
from orgaccess.model.ids import AccountId
from orgaccess.model.organization import FULL_AWS_ACCESS_ID, Organization, OrganizationBuilder

ORG_ID = "o-bencheval0"
ROOT_ID = "r-beva"
MANAGEMENT = AccountId("100000000000")
N_ACCOUNTS = 10_000
OUS_PER_LEVEL = (10, 40, 150, 300, 500)  # 1,000 OUs, 5 levels deep
FULL = str(FULL_AWS_ACCESS_ID)
CONDITION = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(actions: list[str], resources: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def _deny(actions: list[str], resources: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": actions, "Resource": resources, **extra}


def _policies(rng: random.Random, catalog: ServiceCatalog) -> dict[str, dict[str, Any]]:
    """Every SCP of the organization, by id (FullAWSAccess comes with the builder)."""
    namespaces = [ns for ns in catalog.sorted_namespaces() if ns not in ("s3", "ec2", "iam")]
    core = ["s3:*", "ec2:*", "iam:*", "lambda:*", "logs:*", "cloudwatch:*", "sts:*", "kms:*"]
    policies: dict[str, dict[str, Any]] = {
        # Allow-lists (replace FullAWSAccess where attached).
        "p-allow_core": _doc(_allow(core)),
        "p-allow_readonly": _doc(
            _allow(["s3:Get*", "s3:List*", "ec2:?escribe*", "iam:Get*", "iam:List*"]),
            _allow(["cloudwatch:Get*", "logs:Describe*", "lambda:List*", "s3:*Object"]),
        ),
        "p-allow_broad": _doc(_allow(["*"]), _allow(["s3:GetObject"], "arn:aws:s3:::logs-*/*")),
        "p-allow_notiam": _doc(
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}
        ),
        # Denies (next to FullAWSAccess).
        "p-deny_leave": _doc(_deny(["organizations:LeaveOrganization"])),
        "p-deny_regions": _doc(
            {
                "Effect": "Deny",
                "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*"],
                "Resource": "*",
                "Condition": CONDITION,
            }
        ),
        "p-deny_mlsvcs": _doc(_deny(["sagemaker:*", "redshift:*", "gamelift:*", "braket:*"])),
        "p-deny_ec2write": _doc(_deny(["ec2:Run*", "ec2:Terminate*", "ec2:*Volume*"])),
        # Resource-limited Allows and Denies.
        "p-deny_secret": _doc(_deny(["s3:*"], "arn:aws:s3:::secret-*")),
        "p-deny_instances": _doc(_deny(["ec2:*"], "arn:aws:ec2:*:*:instance/*")),
        "p-deny_admins": _doc(
            _deny(["iam:*"], ["arn:aws:iam::*:role/admin/*", "arn:aws:iam::*:user/admin/*"])
        ),
        "p-deny_notlogs": _doc(
            {
                "Effect": "Deny",
                "Action": ["s3:*"],
                "NotResource": ["arn:aws:s3:::logs-*", "arn:aws:s3:::logs-*/*"],
            }
        ),
        "p-allow_logsread": _doc(
            _allow(
                ["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::logs-*/*", "arn:aws:s3:::logs-*"]
            ),
            _allow(["ec2:?escribe*", "cloudwatch:*"]),
        ),
        # Resource patterns that fit no ARN of the actions' resource types: the precise
        # mode lists neither s3 nor ec2 here (GetObject on a bucket ARN; DescribeInstances
        # acts on "*" only), the simple mode lists both.
        "p-allow_mismatch": _doc(
            _allow(["s3:GetObject"], "arn:aws:s3:::logs-*"),
            _allow(["ec2:DescribeInstances"], "arn:aws:ec2:*:*:instance/*"),
            _allow(["lambda:*", "logs:*"]),
        ),
        # An Allow and a Deny on the same objects: nothing of s3 survives in precise mode.
        "p-allow_cancelled": _doc(
            _allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::data-*/*"),
            _deny(["s3:*"], "arn:aws:s3:::data-*/*"),
            _allow(["cloudwatch:*", "sts:*"]),
        ),
        "p-allow_tagged": _doc(
            _allow(
                ["lambda:*", "dynamodb:*"],
                "*",
                Condition={"StringEquals": {"aws:ResourceTag/team": "data"}},
            ),
            _allow(["kms:Decrypt"], "arn:aws:kms:*:*:key/*"),
        ),
    }
    # A few random allow-lists and deny-lists over the whole catalog.
    for i in range(4):
        chosen = sorted(rng.sample(namespaces, 60))
        policies[f"p-allow_random{i}"] = _doc(_allow([f"{ns}:*" for ns in chosen]))
        picked = sorted(rng.sample(namespaces, 8))
        policies[f"p-deny_random{i}"] = _doc(
            _deny([f"{ns}:Get*" for ns in picked[:4]] + [f"{ns}:*" for ns in picked[4:]])
        )
    return policies


ALLOW_LISTS = (
    "p-allow_core",
    "p-allow_readonly",
    "p-allow_broad",
    "p-allow_notiam",
    "p-allow_random0",
    "p-allow_random1",
    "p-allow_random2",
    "p-allow_random3",
    "p-allow_mismatch",
)
OU_DENIES = (
    "p-deny_leave",
    "p-deny_regions",
    "p-deny_mlsvcs",
    "p-deny_ec2write",
    "p-deny_secret",
    "p-deny_instances",
    "p-deny_admins",
    "p-deny_random0",
    "p-deny_random1",
    "p-deny_random2",
    "p-deny_random3",
)
ACCOUNT_DENIES = (
    "p-deny_secret",
    "p-deny_notlogs",
    "p-deny_leave",
    "p-deny_instances",
    "p-deny_admins",
)
ACCOUNT_ALLOWS = (
    "p-allow_logsread",
    "p-allow_tagged",
    "p-allow_core",
    "p-allow_readonly",
    "p-allow_mismatch",
    "p-allow_cancelled",
)


def build_organization(seed: int, catalog: ServiceCatalog) -> Organization:
    """The synthetic organization, always the same for one seed and catalog."""
    rng = random.Random(seed)
    b = OrganizationBuilder(
        organization_id=ORG_ID, root_id=ROOT_ID, management_account_id=MANAGEMENT
    )
    for pid, document in _policies(rng, catalog).items():
        b.add_policy(pid, document)
    levels: list[list[str]] = [[ROOT_ID]]
    n = 0
    for depth, size in enumerate(OUS_PER_LEVEL, start=1):
        level: list[str] = []
        for _ in range(size):
            ou = f"ou-beva-{n:08d}"
            n += 1
            draw = rng.random()
            if draw < (0.20 if depth <= 2 else 0.03):
                scps = [rng.choice(ALLOW_LISTS)]
            elif 2 <= depth <= 4 and draw < 0.35:
                scps = [FULL, *rng.sample(OU_DENIES, rng.randint(1, 2))]
            else:
                scps = [FULL]
            b.add_ou(ou, parent=rng.choice(levels[-1]), scps=scps)
            level.append(ou)
        levels.append(level)
    parents = [ou for level in levels for ou in level]  # the root and every OU
    b.add_account(MANAGEMENT, parent=ROOT_ID, name="management", scps=[FULL, "p-deny_leave"])
    for i in range(1, N_ACCOUNTS):
        draw = rng.random()
        if draw < 0.90:
            scps = [FULL]
        elif draw < 0.96:
            scps = [FULL, rng.choice(ACCOUNT_DENIES)]
        else:
            scps = [rng.choice(ACCOUNT_ALLOWS)]
        b.add_account(AccountId(f"{100_000_000_000 + i}"), parent=rng.choice(parents), scps=scps)
    return b.build()


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """(best time in seconds, result of the last run)."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def evaluate_all(ev: Evaluator, accounts: list[AccountId]) -> dict[AccountId, frozenset[str]]:
    allowed = ev.allowed_namespaces
    return {a: allowed(a) for a in accounts}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:10.1f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:10.1f} us"


def profile_precise(
    org: Organization, catalog: ServiceCatalog, accounts: list[AccountId], top: int = 25
) -> str:
    """cProfile of one cold precise pass, sorted by cumulative and by own time."""
    ev = Evaluator(org, catalog, resources="precise")
    profiler = cProfile.Profile()
    profiler.enable()
    evaluate_all(ev, accounts)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=20260930)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the timings")
    parser.add_argument("--profile", action="store_true", help="always profile precise mode")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    catalog = default_catalog()
    catalog_load = time.perf_counter() - start
    print(
        f"catalog: {catalog!r}, {catalog.action_count:,} action positions "
        f"(loaded in {catalog_load * 1000:.0f} ms)"
    )

    build_time, org = best_of(lambda: build_organization(args.seed, catalog), args.repeat)
    accounts = [a.id for a in org.accounts]
    members = [a for a in accounts if a != MANAGEMENT]
    print(f"organization: {org!r}, seed {args.seed}")
    print(f"  build (builder + checks), best of {args.repeat}: {ms(build_time)}")
    print()

    cold: dict[ResourceMode, float] = {}
    warm: dict[ResourceMode, float] = {}
    results: dict[ResourceMode, dict[AccountId, frozenset[str]]] = {}
    combos: dict[ResourceMode, int] = {}
    last: dict[ResourceMode, Evaluator] = {}
    for mode in ("simple", "precise"):
        evaluators: list[Evaluator] = []

        def cold_pass(mode: ResourceMode = mode, evaluators: list[Evaluator] = evaluators) -> Any:
            ev = Evaluator(org, catalog, resources=mode)
            evaluators.append(ev)
            return evaluate_all(ev, accounts)

        cold[mode], results[mode] = best_of(cold_pass, args.repeat)
        ev = last[mode] = evaluators[-1]
        combos[mode] = ev.cached_combinations
        warm[mode], again = best_of(lambda ev=ev: evaluate_all(ev, accounts), args.repeat)
        assert again == results[mode]
        assert ev.cached_combinations == combos[mode]

    n = len(accounts)
    print(
        f"allowed_namespaces for all {n:,} accounts, fresh Evaluator (cold), best of {args.repeat}:"
    )
    print(
        f"  {'mode':8} {'cold total':>13} {'per account':>13} {'warm total':>13} "
        f"{'per account':>13} {'combinations':>13}"
    )
    for mode in ("simple", "precise"):
        print(
            f"  {mode:8} {ms(cold[mode])}    {us(cold[mode] / n)}    {ms(warm[mode])}    "
            f"{us(warm[mode] / n)}    {combos[mode]:>10,}"
        )
    ratio = cold["precise"] / cold["simple"]
    print(f"  ratio precise / simple (cold): {ratio:.2f}")
    # The warm pass is the per-account lookup (path, SCP ids per level, cache hit); what the
    # cold pass costs on top of it is the evaluation of the distinct combinations.
    for mode in ("simple", "precise"):
        misses = max(cold[mode] - warm[mode], 0.0)
        print(
            f"  {mode}: cold - warm = {ms(misses).strip()} for {combos[mode]:,} combinations, "
            f"{us(misses / combos[mode]).strip()} per combination"
        )
    extra = max(cold["precise"] - warm["precise"], 0.0) / max(cold["simple"] - warm["simple"], 1e-9)
    print(f"  ratio precise / simple on the combinations alone: {extra:.2f}")
    print()

    simple, precise = results["simple"], results["precise"]
    assert all(precise[a] <= simple[a] for a in accounts), "precise listed more than simple"
    differing = [a for a in members if precise[a] != simple[a]]
    removed = sorted({ns for a in differing for ns in simple[a] - precise[a]})
    sizes = sorted(len(precise[a]) for a in members)
    print("sanity:")
    print(f"  management account lists {len(precise[MANAGEMENT])} of {len(catalog)} services")
    print(
        f"  member accounts: services listed (precise) min {sizes[0]}, "
        f"median {sizes[len(sizes) // 2]}, max {sizes[-1]}; "
        f"{len(set(precise.values()))} distinct results"
    )
    print(
        f"  precise is a subset of simple for every account; they differ for "
        f"{len(differing):,} accounts, on: {', '.join(removed) or '-'}"
    )
    # Realistic SCPs never reach the resource search bound (issue 11): nothing is
    # listed by the safe over-approximation.
    approximated = [a for a in members if last["precise"].approximated_namespaces(a)]
    print(f"  accounts with a service listed at the search bound: {len(approximated)}")

    if args.profile or ratio > 2:
        print()
        why = "requested" if args.profile else f"precise / simple = {ratio:.2f} > 2"
        print(f"cProfile of one cold precise pass ({why}):")
        print(profile_precise(org, catalog, accounts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
