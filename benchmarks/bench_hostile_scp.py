"""Benchmark of SCP evaluation under hostile SCPs: the worst single policies we could build.

Run: ``PYTHONPATH=$PWD python benchmarks/bench_hostile_scp.py [--only NAME ...] [--list]``

Each case is one SCP of at most 5,120 characters (the AWS quota, checked by
the policy parser), the only SCP attached to one account (the root keeps
FullAWSAccess), so the SCP's own Allows decide what the account may do.
What is timed for each case (``time.perf_counter``, one cold run with a
fresh Evaluator over the whole default catalog, module caches emptied):

* ``allowed_namespaces`` for the account (``resources="precise"``), then
  ``explain`` for the namespaces the case targets;
* peak memory of that run (``tracemalloc``, Python allocations only; tracing
  slows the run, so the time is measured in a separate, untraced run).

The families (see issue 11):

* ``issue-action``: the issue's example, ``Deny ec2:`` + seven ``*?`` pairs + a
  letter under ``Allow *`` (48 s in 0.1.0).
* ``issue-resource``: the issue's example, an Allow and a Deny on
  ``arn:aws:s3:::*a`` + 18 ``?`` (52 s and 530 MB in 0.1.0).
* ``action-pairs-5k``, ``action-many``: the action family scaled to 5,120
  characters: one long pattern, and many medium ones in many statements.
* ``resource-qmarks-5k``, ``resource-star-a``, ``resource-many``,
  ``resource-notresource``, ``resource-all-services``: the resource family
  scaled up: long ``?`` runs, ``*a*b*c...`` patterns, many statements, every
  service at once, Deny NotResource, many NotResource automata with wide
  alphabets after the step budget is spent.
* ``many-statements``, ``many-partial``: as many statements as fit, so that
  every action of the catalog is checked against every statement.
* ``long-literals``: long literal runs in action and resource patterns.

The result of a case is also printed (namespaces listed, and how many were
listed by the documented safe approximation when a search bound was reached),
so a change of behaviour shows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orgaccess.engine import arnmatch
from orgaccess.engine.evaluation import Evaluator
from orgaccess.model import policy
from orgaccess.model.catalog import ServiceCatalog, default_catalog
from orgaccess.model.organization import Organization, OrganizationBuilder
from orgaccess.model.policy import SCP_MAX_CHARACTERS

ORG_ID = "o-benchhostl0"
ROOT_ID = "r-host"
MANAGEMENT = "100000000000"
TARGET = "200000000000"
POLICY = "p-hostile_scp"
LIMIT = SCP_MAX_CHARACTERS


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"))


def _fill(make: Callable[[int], dict[str, Any]], low: int = 0, high: int = 5000) -> dict[str, Any]:
    """The largest ``make(n)`` whose compact JSON fits in the SCP quota (binary search on n)."""
    while low < high:
        mid = (low + high + 1) // 2
        if len(_text(make(mid))) <= LIMIT:
            low = mid
        else:
            high = mid - 1
    return make(low)


def _allow(actions: Any, resources: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def _deny(actions: Any, resources: Any = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": actions, "Resource": resources}


def case_issue_action() -> dict[str, Any]:
    return _doc(_allow("*"), _deny("ec2:" + "*?" * 7 + "a"))


def case_issue_resource() -> dict[str, Any]:
    pattern = "arn:aws:s3:::*a" + "?" * 18
    return _doc(_allow("s3:*", pattern), _deny("s3:*", pattern))


def case_action_pairs_5k() -> dict[str, Any]:
    return _fill(lambda n: _doc(_allow("*"), _deny("ec2:" + "*?" * n + "a")))


def case_action_many() -> dict[str, Any]:
    def make(n: int) -> dict[str, Any]:
        services = ["ec2", "s3", "iam", "sagemaker", "glue", "rds"]
        return _doc(
            _allow("*"),
            *(
                _deny([f"{services[i % 6]}:" + "*?" * (4 + i % 9) + chr(97 + i % 26)])
                for i in range(n)
            ),
        )

    return _fill(make)


def case_resource_qmarks_5k() -> dict[str, Any]:
    def make(n: int) -> dict[str, Any]:
        pattern = "arn:aws:s3:::*a" + "?" * n
        return _doc(_allow("s3:*", pattern), _deny("s3:*", pattern))

    return _fill(make)


def case_resource_star_a() -> dict[str, Any]:
    def make(n: int) -> dict[str, Any]:
        allow = "*" + "".join(f"{chr(97 + i % 26)}*" for i in range(n))
        deny = "*" + "".join(f"{chr(97 + (i + 1) % 26)}?*" for i in range(n))
        return _doc(_allow("*", allow), _deny("*", deny))

    return _fill(make)


def case_resource_many() -> dict[str, Any]:
    def make(n: int) -> dict[str, Any]:
        statements = [_allow("*", "*a" + "?" * 12)]
        for i in range(n):
            statements.append(_deny("*", f"*{chr(97 + i % 26)}" + "?" * (8 + i % 5)))
        return _doc(*statements)

    return _fill(make)


def case_resource_notresource() -> dict[str, Any]:
    def make(n: int) -> dict[str, Any]:
        statements: list[dict[str, Any]] = [_allow("*", "*a" + "?" * 10)]
        for i in range(n):
            statements.append(
                {"Effect": "Deny", "Action": "*", "NotResource": f"*{chr(98 + i % 24)}" + "?" * 9}
            )
        return _doc(*statements)

    return _fill(make)


def case_resource_all_services() -> dict[str, Any]:
    def make(n: int) -> dict[str, Any]:
        pattern = "*a" + "?" * n
        return _doc(_allow("*", pattern), _deny("*", pattern))

    return _fill(make)


def case_resource_wide_alphabet() -> dict[str, Any]:
    # A hostile Allow/Deny pair spends the step budget; then many Deny NotResource
    # statements, each with many distinct literal characters, make every further
    # (bounded) check as expensive as it can be before its first step.
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@"

    def make(n: int) -> dict[str, Any]:
        statements = [
            _allow("*", "*a" + "?" * 14),
            _deny("*", "*b" + "?" * 14),
        ]
        for i in range(n):
            pattern = "*" + alphabet[i % 7 :][:40] + "*"
            statements.append({"Effect": "Deny", "Action": "*", "NotResource": pattern})
        return _doc(*statements)

    return _fill(make)


def case_many_statements() -> dict[str, Any]:
    # Nothing survives, decided cheaply each time, so every action of the
    # catalog is checked against every statement.
    def make(n: int) -> dict[str, Any]:
        statements = [_allow("*", f"x{i}*") for i in range(n)]
        statements.append(_deny("*", "x*"))
        return _doc(*statements)

    return _fill(make)


def case_many_partial() -> dict[str, Any]:
    # Many statements each naming part of a big service, so actions differ in
    # which statements cover them.
    def make(n: int) -> dict[str, Any]:
        letters = "abcdefghijklmnopqrstuvwxyz"
        statements = [
            _allow([f"ec2:{letters[i % 26]}*", f"iam:*{letters[(i * 7) % 26]}*"], f"x{i}*")
            for i in range(n)
        ]
        statements.append(_deny("*", "x*"))
        return _doc(*statements)

    return _fill(make)


def case_long_literals() -> dict[str, Any]:
    def make(n: int) -> dict[str, Any]:
        lit = "Describe" * n
        return _doc(
            _allow(["ec2:" + lit + "*", "s3:*" + lit], "arn:aws:s3:::" + lit + "*"),
            _deny("s3:*", "arn:aws:s3:::*" + lit),
            _deny("ec2:*" + lit[: len(lit) // 2] + "*" + lit[: len(lit) // 2] + "*"),
        )

    return _fill(make)


CASES: dict[str, tuple[Callable[[], dict[str, Any]], tuple[str, ...]]] = {
    "issue-action": (case_issue_action, ("ec2",)),
    "issue-resource": (case_issue_resource, ("s3",)),
    "action-pairs-5k": (case_action_pairs_5k, ("ec2",)),
    "action-many": (case_action_many, ("ec2", "rds")),
    "resource-qmarks-5k": (case_resource_qmarks_5k, ("s3",)),
    "resource-star-a": (case_resource_star_a, ("s3", "ec2")),
    "resource-many": (case_resource_many, ("s3", "lambda")),
    "resource-notresource": (case_resource_notresource, ("s3", "iam")),
    "resource-all-services": (case_resource_all_services, ("s3", "ec2")),
    "resource-wide-alphabet": (case_resource_wide_alphabet, ("s3", "ec2")),
    "many-statements": (case_many_statements, ("s3", "ec2")),
    "many-partial": (case_many_partial, ("ec2", "iam")),
    "long-literals": (case_long_literals, ("s3", "ec2")),
}


def build(doc: dict[str, Any]) -> Organization:
    b = OrganizationBuilder(
        organization_id=ORG_ID, root_id=ROOT_ID, management_account_id=MANAGEMENT
    )
    b.add_policy(POLICY, _text(doc))
    b.add_account(MANAGEMENT, parent=ROOT_ID)
    b.add_account(TARGET, parent=ROOT_ID, scps=[POLICY])
    return b.build()


def clear_caches() -> None:
    """Empty the module-level caches, so every case runs cold whatever ran before."""
    for module in (arnmatch, policy):
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


def run(org: Organization, catalog: ServiceCatalog, explain: tuple[str, ...]) -> Any:
    clear_caches()
    ev = Evaluator(org, catalog)
    allowed = ev.allowed_namespaces(TARGET)
    for namespace in explain:
        ev.explain(TARGET, namespace)
    approximate = getattr(ev, "approximated_namespaces", None)
    return allowed, (approximate(TARGET) if approximate is not None else frozenset())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--list", action="store_true", help="print the case names and sizes")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    args = parser.parse_args(argv)
    catalog = default_catalog()
    names = args.only or list(CASES)
    print(f"catalog: {catalog!r}")
    print(f"{'case':<24}{'chars':>7}{'time':>10}{'peak MiB':>10}  result")
    worst = ("", 0.0, 0.0)
    for name in names:
        make, explain = CASES[name]
        doc = make()
        size = len(_text(doc))
        if args.list:
            print(f"{name:<24}{size:>7}")
            continue
        org = build(doc)
        t0 = time.perf_counter()
        allowed, approx = run(org, catalog, explain)
        elapsed = time.perf_counter() - t0
        peak = 0.0
        if not args.no_memory:
            tracemalloc.start()
            run(build(doc), catalog, explain)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        result = f"{len(allowed)} listed, {len(approx)} by approximation"
        print(f"{name:<24}{size:>7}{elapsed:>9.3f}s{peak:>10.1f}  {result}", flush=True)
        if elapsed > worst[1]:
            worst = (name, elapsed, peak)
    if not args.list:
        print(f"worst: {worst[0]} {worst[1]:.3f} s, peak {worst[2]:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
