"""``orgaccess report``: the GetOrganizationsAccessReport result for one entity."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ...engine.report import counted_accounts
from ...engine.sorting import SortKey
from .. import _args
from .._inputs import Outcome, full_report, make_client, prepare, read_activity
from ..coverage import Coverage, assess, emptiness
from ..exitcodes import EXIT_NO_ACTIVITY, EXIT_OK
from ..output import iso, report_csv, report_table, to_json
from ._help import subparser

__all__ = ["add_parser", "add_report_options", "compute", "run", "write_coverage"]


def add_report_options(p: argparse.ArgumentParser) -> None:
    """The options ``report`` and ``unused`` share."""
    _args.add_org(p)
    _args.add_entity(p)
    _args.add_activity(p)
    _args.add_policy(p)
    _args.add_evaluation(p)
    _args.add_sort_key(p, SortKey.SERVICE_NAMESPACE_ASCENDING)
    _args.add_output(p)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparser(
        subparsers,
        "report",
        help="the GetOrganizationsAccessReport result for an entity",
        description="Make the access report AWS would make for a root, OU or account: every "
        "service the SCPs allow, with when, where and by how many accounts it was last used "
        "in the tracking period. Everything that needs no logs (snapshot, entity, policy id, "
        "files, dates) is checked before the logs are read. Exits with 3 when no record was "
        "counted or none is in the tracking window (unless --allow-empty).",
        examples="""
orgaccess report --org org.json --events trail/ --entity r-f6g7
orgaccess report --org org.json --events trail/ --entity 123456789012 --output json
orgaccess report --org org.json --events trail/ --entity ou-f6g7-aaaaaaaa --output html -o r.html
""",
    )
    add_report_options(p)
    return p


def compute(args: argparse.Namespace, stderr: TextIO, *, days: int | None = None) -> Outcome | int:
    """Check the arguments, read the logs, refuse empty activity, make the report.

    Returns the exit code instead when the activity is empty (and not allowed).
    ``days`` is the unused period for the coverage assessment (default: the
    tracking period).
    """
    request = prepare(args)
    index, span = read_activity(
        args.events,
        as_of=request.as_of,
        catalog=request.catalog,
        stderr=stderr,
        namespace_map=request.namespace_map,
        store=args.store,
        tracking_days=request.options.tracking_days,
        jobs=args.jobs,
    )
    tracking_days = request.options.tracking_days
    empty = emptiness(span, as_of=request.as_of, tracking_days=tracking_days)
    if empty is not None:
        if not args.allow_empty:
            stderr.write(
                f"orgaccess: {empty}: every service would look unused; check --events "
                "(or pass --allow-empty to answer anyway)\n"
            )
            return EXIT_NO_ACTIVITY
        stderr.write(f"warning: {empty} (answering anyway: --allow-empty)\n")
    client = make_client(request, index)
    response = full_report(client, request, args.sort_key)
    counted = counted_accounts(
        request.org,
        request.entity_id,
        request.policy_id if not request.org.is_management_account(request.entity_id) else None,
        request.options.policy_scope,
    )
    coverage = assess(
        span,
        index,
        as_of=request.as_of,
        days=tracking_days if days is None else days,
        tracking_days=tracking_days,
        counted_accounts=counted,
        events_from=args.events_from,
    )
    return Outcome(request=request, index=index, span=span, response=response, coverage=coverage)


def write_coverage(coverage: Coverage, stderr: TextIO) -> None:
    """The coverage on stderr: one line, then a note per gap and caveat."""
    seen_from = iso(coverage.covered_from) if coverage.covered_from else "-"
    seen_to = iso(coverage.covered_to) if coverage.covered_to else "-"
    stderr.write(
        f"coverage: activity seen from {seen_from} to {seen_to} for "
        f"{coverage.accounts_seen} of {coverage.accounts_counted} counted accounts; period "
        f"{iso(coverage.period_start)} .. {iso(coverage.period_end)} "
        f"{'fully covered' if coverage.complete else 'NOT fully covered'}\n"
    )
    for gap in coverage.gaps:
        stderr.write(f"  not seen: {gap.message}\n")
    for caveat in coverage.caveats:
        stderr.write(f"  caveat: {caveat}\n")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    outcome = compute(args, stderr)
    if isinstance(outcome, int):
        return outcome
    write_coverage(outcome.coverage, stderr)
    request, response = outcome.request, outcome.response

    def produce(out: TextIO) -> None:
        if args.output == "json":
            out.write(to_json(response) + "\n")
        elif args.output == "csv":
            out.write(report_csv(response["AccessDetails"]) + "\n")
        elif args.output == "html":
            from ..html import page_for

            out.write(page_for(outcome, days=None))
        else:
            policy = f", policy {request.policy_id}" if request.policy_id else ""
            out.write(
                f"Access report for {request.entity_path}{policy}, as of {iso(request.as_of)}\n"
                f"{response['NumberOfServicesAccessible']} services allowed by SCPs, "
                f"{response['NumberOfServicesNotAccessed']} not accessed in the last "
                f"{request.options.tracking_days} days\n\n"
            )
            out.write(report_table(response["AccessDetails"], request.as_of) + "\n")

    _args.write_output(args.output_file, stdout, produce, label="-o")
    return EXIT_OK
