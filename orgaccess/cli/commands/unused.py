"""``orgaccess unused``: services the SCPs allow but nobody used in N days, and Deny SCPs for them.

It takes every option of ``report`` (the same checks, the same exit code 3
on empty activity, ``--sort-key`` for the order of the list, ``--output``
``table``, ``json``, ``csv`` or ``html``) and adds ``--days``,
``--exclude``, ``--suggest-scp``, ``--allow-partial`` and
``--fail-on-unused``. A Deny is suggested only when the activity read
covers the whole unused period for every counted account
(:mod:`orgaccess.cli.coverage`); otherwise exit code 4.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TextIO

import attrs

from ...model.catalog import default_catalog
from ...model.policy import SCP_MAX_CHARACTERS
from .. import _args
from .._inputs import Outcome
from ..exitcodes import EXIT_NOT_OBSERVABLE, EXIT_OK, EXIT_UNUSED_FOUND
from ..output import iso, report_csv, to_json
from ._help import subparser
from .report import add_report_options, compute, write_coverage

__all__ = ["add_parser", "run", "suggest_deny_scps"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparser(
        subparsers,
        "unused",
        help="services the SCPs allow but nobody used in N days",
        description="List the services the SCPs allow for an entity that no counted account "
        "used in the last N days, and optionally Deny SCPs for them. Takes every option of "
        "'report'. A Deny is suggested only when the activity read covers the whole period "
        "for every counted account; otherwise it says what could not be seen and exits "
        "with 4 (unless --allow-partial).",
        examples="""
orgaccess unused --org org.json --events trail/ --entity r-f6g7 --days 90
orgaccess unused --org org.json --events trail/ --entity ou-f6g7-aaaaaaaa --days 90 \\
    --suggest-scp --exclude sts --exclude support --events-from 2024-01-01T00:00:00Z
orgaccess unused --org org.json --events trail/ --entity r-f6g7 --days 90 --fail-on-unused
""",
    )
    add_report_options(p)
    p.add_argument(
        "--days",
        type=_args.day_count,
        required=True,
        metavar="N",
        help="a service is unused when no counted account used it in the last N days",
    )
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="NAMESPACE",
        help="never list or deny this service namespace (repeatable), e.g. sts",
    )
    p.add_argument(
        "--suggest-scp",
        action="store_true",
        help="also print Deny SCP(s) for the unused services",
    )
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="suggest Deny SCPs even when the activity does not cover the whole period or "
        "every counted account (otherwise exit code 4)",
    )
    p.add_argument(
        "--fail-on-unused",
        action="store_true",
        help=f"exit with {EXIT_UNUSED_FOUND} when unused services are found (for CI)",
    )
    return p


def suggest_deny_scps(namespaces: Sequence[str]) -> list[dict[str, Any]]:
    """Deny SCPs for ``namespaces`` (``ns:*`` each), split so each fits 5,120 characters."""
    documents: list[dict[str, Any]] = []
    current: list[str] = []

    def document(actions: list[str], index: int) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"DenyUnusedServices{index}",
                    "Effect": "Deny",
                    "Action": actions,
                    "Resource": "*",
                }
            ],
        }

    def size(actions: list[str]) -> int:
        return len(json.dumps(document(actions, len(documents) + 1), indent=2))

    for namespace in sorted(namespaces):
        candidate = [*current, f"{namespace}:*"]
        if current and size(candidate) > SCP_MAX_CHARACTERS:
            documents.append(document(current, len(documents) + 1))
            current = [f"{namespace}:*"]
        else:
            current = candidate
    if current:
        documents.append(document(current, len(documents) + 1))
    return documents


def _check_excludes(excludes: Sequence[str]) -> list[str]:
    known = default_catalog().namespaces
    unknown = [ns for ns in excludes if ns.lower() not in known]
    if unknown:
        raise _args.UsageError(
            f"--exclude {', '.join(unknown)}: not a service namespace of the catalog"
        )
    return sorted({ns.lower() for ns in excludes})


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    excluded = _check_excludes(args.exclude)
    outcome = compute(args, stderr, days=args.days)
    if isinstance(outcome, int):
        return outcome
    return _answer(args, outcome, excluded, stdout, stderr)


@attrs.frozen(kw_only=True)
class _Unused:
    """What ``unused`` found, ready to print in any output format."""

    outcome: Outcome
    days: int
    unused: list[dict[str, Any]]
    left_out: list[str]
    suggested: list[dict[str, Any]] | None


def _unused_json(found: _Unused) -> str:
    request, response = found.outcome.request, found.outcome.response
    return to_json(
        {
            "EntityPath": request.entity_path,
            "OrganizationsPolicyId": request.policy_id,
            "AsOf": request.as_of,
            "Days": found.days,
            "TrackingDays": request.options.tracking_days,
            "NumberOfServicesAccessible": response["NumberOfServicesAccessible"],
            "NumberOfServicesUnused": len(found.unused),
            "Unused": found.unused,
            "Excluded": found.left_out,
            "Coverage": found.outcome.coverage.to_json(),
            "SuggestedScps": found.suggested,
        }
    )


def _write_unused_table(found: _Unused, out: TextIO) -> None:
    request, response = found.outcome.request, found.outcome.response
    out.write(
        f"{len(found.unused)} of {response['NumberOfServicesAccessible']} services allowed for "
        f"{request.entity_path} were not used in the last {found.days} days "
        f"(as of {iso(request.as_of)}):\n"
    )
    for d in found.unused:
        last = d.get("LastAuthenticatedTime")
        when = f"last used {iso(last)}" if last else "never used in the tracking period"
        out.write(f"  {d['ServiceNamespace']:<32} {d['ServiceName']} ({when})\n")
    if found.left_out:
        out.write(f"excluded (--exclude): {', '.join(found.left_out)}\n")
    if found.suggested:
        n = len(found.suggested)
        out.write(
            f"\nSuggested Deny SCP{'s' if n > 1 else ''} "
            f"({n}; each within {SCP_MAX_CHARACTERS} characters; an entity "
            "takes at most 5 SCPs). Review before attaching: a service unused in "
            "CloudTrail may still be needed.\n"
        )
        for doc in found.suggested:
            out.write(json.dumps(doc, indent=2) + "\n")


def _answer(
    args: argparse.Namespace,
    outcome: Outcome,
    excluded: list[str],
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    request, response, coverage = outcome.request, outcome.response, outcome.coverage
    write_coverage(coverage, stderr)
    cutoff = request.as_of - timedelta(days=args.days)
    stale = [
        d
        for d in response["AccessDetails"]
        if d.get("LastAuthenticatedTime") is None or d["LastAuthenticatedTime"] < cutoff
    ]
    unused = [d for d in stale if d["ServiceNamespace"] not in excluded]
    refuse = args.suggest_scp and not coverage.complete and not args.allow_partial
    docs = suggest_deny_scps([d["ServiceNamespace"] for d in unused]) if unused else []
    found = _Unused(
        outcome=outcome,
        days=args.days,
        unused=unused,
        left_out=[d["ServiceNamespace"] for d in stale if d["ServiceNamespace"] in excluded],
        suggested=docs if args.suggest_scp and not refuse else None,
    )

    def produce(out: TextIO) -> None:
        if args.output == "json":
            out.write(_unused_json(found) + "\n")
        elif args.output == "csv":
            out.write(report_csv(unused) + "\n")
        elif args.output == "html":
            from ..html import page_for

            out.write(page_for(outcome, days=args.days, excluded=excluded))
        else:
            _write_unused_table(found, out)

    _args.write_output(args.output_file, stdout, produce, label="-o")
    if refuse and unused:
        stderr.write(
            "orgaccess: no Deny SCP suggested: the activity read does not show the whole "
            f"{min(args.days, request.options.tracking_days)}-day period for every counted "
            "account (see 'not seen' above); a service used where the logs are silent would "
            "be denied. Give the missing logs, --events-from, or --allow-partial\n"
        )
        return EXIT_NOT_OBSERVABLE
    if args.fail_on_unused and unused:
        stderr.write(f"orgaccess: {len(unused)} unused services found (--fail-on-unused)\n")
        return EXIT_UNUSED_FOUND
    return EXIT_OK
