"""The ``orgaccess`` command line (also ``python -m orgaccess``).

Commands: ``report``, ``explain``, ``validate``, ``unused`` and ``demo``.
Exit codes: 0 success, 1 bad input (one line naming the problem, no
traceback), 2 usage. Only this module prints or exits.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from ..aws.client import ReportClient, iter_access_details
from ..engine.evaluation import Evaluator
from ..engine.report import DEFAULT_TRACKING_DAYS, PolicyScope, ReportOptions
from ..engine.sorting import SortKey
from ..errors import OrgAccessError, SnapshotError
from ..formats.activity import ActivityLoad, read_activity
from ..model.catalog import ServiceCatalog, default_catalog
from ..model.events import ActivityIndex
from ..model.organization import Organization
from ..model.policy import SCP_MAX_CHARACTERS
from . import impact, serve

__all__ = ["main", "suggest_deny_scps"]

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2


class _BadInputError(Exception):
    """A problem with the user's input: printed as one line, exit code 1."""


def _parse_time(text: str) -> datetime:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time (e.g. 2026-11-01T00:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


# -- loading -------------------------------------------------------------------
def _load_org(path: str) -> Organization:
    from ..formats.snapshot import load_organization

    try:
        return load_organization(path)
    except SnapshotError as exc:
        first = exc.problems[0] if exc.problems else exc.message
        more = len(exc.problems) - 1
        tail = f" (and {more} more; run 'orgaccess validate --org {path}')" if more > 0 else ""
        raise _BadInputError(f"{path}: invalid snapshot: {first}{tail}") from None


class _Progress:
    """A one-line progress indicator on stderr, only when stderr is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.drawn = False

    def __call__(self, files_done: int, records_read: int) -> None:
        if self.enabled:
            self.stream.write(f"\rreading CloudTrail: {files_done} files, {records_read} records")
            self.stream.flush()
            self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _load_activity(
    paths: Sequence[str], until: datetime, catalog: ServiceCatalog, stderr: TextIO
) -> ActivityLoad:
    for path in paths:
        if not os.path.exists(path):
            raise _BadInputError(f"--events {path}: no such file or directory")
    progress = _Progress(stderr)
    try:
        load = read_activity(
            paths,
            known_namespaces=catalog.namespaces,
            index=ActivityIndex(until=until),
            on_progress=progress,
        )
    finally:
        progress.close()
    summary = load.cloudtrail
    skipped = ", ".join(f"{reason}: {n}" for reason, n in summary.skipped.items() if n)
    stderr.write(
        f"activity: {summary.records_read} CloudTrail records read, {summary.counted} counted"
        + (f" (skipped {skipped})" if skipped else "")
        + f"; {load.rows.records_read} aggregated rows read, {load.rows.counted} folded"
        + (f"; {load.after_until} after --as-of left out" if load.after_until else "")
        + "\n"
    )
    for problem in load.problems[:5]:
        stderr.write(f"  warning: {problem}\n")
    if len(load.problems) > 5:
        stderr.write(f"  warning: ... and {len(load.problems) - 5} more problems\n")
    return load


# -- output --------------------------------------------------------------------
def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def relative_age(then: datetime, now: datetime) -> str:
    """Human text such as "3 days ago" for the time between ``then`` and ``now``."""
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return "in the future"
    for size, unit in ((86400 * 365, "year"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def _table(response: dict[str, Any], now: datetime) -> str:
    rows = [("NAMESPACE", "SERVICE", "LAST ACCESSED", "AGE", "REGION", "ACCOUNTS", "BY")]
    for d in response["AccessDetails"]:
        when = d.get("LastAuthenticatedTime")
        rows.append(
            (
                d["ServiceNamespace"],
                d["ServiceName"],
                _iso(when) if when else "never used",
                relative_age(when, now) if when else "-",
                d.get("Region", "-") if when else "-",
                str(d["TotalAuthenticatedEntities"]),
                d.get("EntityPath", "-"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    return "\n".join(lines)


def _csv(response: dict[str, Any]) -> str:
    out = io.StringIO()
    fields = [
        "ServiceNamespace",
        "ServiceName",
        "LastAuthenticatedTime",
        "Region",
        "EntityPath",
        "TotalAuthenticatedEntities",
    ]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for d in response["AccessDetails"]:
        row = {k: d.get(k, "") for k in fields}
        if isinstance(row["LastAuthenticatedTime"], datetime):
            row["LastAuthenticatedTime"] = _iso(row["LastAuthenticatedTime"])
        writer.writerow(row)
    return out.getvalue().rstrip("\n")


# -- the report ------------------------------------------------------------------
def full_report(
    client: ReportClient, entity_path: str, policy_id: str | None, sort_key: str
) -> dict[str, Any]:
    """Generate a report and return the whole GetOrganizationsAccessReport dict (every row)."""
    kwargs: dict[str, Any] = {"EntityPath": entity_path}
    if policy_id is not None:
        kwargs["OrganizationsPolicyId"] = policy_id
    job_id = client.generate_organizations_access_report(**kwargs)["JobId"]
    first = client.get_organizations_access_report(JobId=job_id, MaxItems=1000, SortKey=sort_key)
    if first["JobStatus"] != "COMPLETED":
        return first
    details = list(iter_access_details(client, JobId=job_id, SortKey=sort_key, PageSize=1000))
    whole = dict(first)
    whole["AccessDetails"] = details
    whole["IsTruncated"] = False
    whole.pop("Marker", None)
    return whole


def _client_for(
    args: argparse.Namespace, org: Organization, index: ActivityIndex, now: datetime
) -> ReportClient:
    options = ReportOptions(
        tracking_days=args.tracking_days,
        policy_scope=PolicyScope(args.policy_scope),
        resources=args.resources,
        partition=args.partition,
    )
    return ReportClient(
        org,
        index,
        clock=lambda: now,
        options=options,
        marker_secret=b"orgaccess-cli-markers-are-local",
    )


def _run_report(args: argparse.Namespace, stderr: TextIO) -> tuple[dict[str, Any], datetime]:
    org = _load_org(args.org)
    catalog = default_catalog()
    now: datetime = args.as_of or datetime.now(UTC)
    load = _load_activity(args.events, now, catalog, stderr)
    client = _client_for(args, org, load.index, now)
    response = full_report(client, args.entity_path, args.policy_id, args.sort_key)
    if response["JobStatus"] == "FAILED":
        error = response["ErrorDetails"]
        raise _BadInputError(f"report FAILED: {error['Code']}: {error['Message']}")
    return response, now


def _cmd_report(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    response, now = _run_report(args, stderr)
    _print_report(response, args, now, stdout)
    return EXIT_OK


def _print_report(
    response: dict[str, Any], args: argparse.Namespace, now: datetime, stdout: TextIO
) -> None:
    if args.format == "json":
        stdout.write(json.dumps(_jsonable(response), indent=2) + "\n")
    elif args.format == "csv":
        stdout.write(_csv(response) + "\n")
    else:
        policy = f", policy {args.policy_id}" if args.policy_id else ""
        stdout.write(
            f"Access report for {args.entity_path}{policy}, as of {_iso(now)}\n"
            f"{response['NumberOfServicesAccessible']} services allowed by SCPs, "
            f"{response['NumberOfServicesNotAccessed']} not accessed in the last "
            f"{args.tracking_days} days\n\n"
        )
        stdout.write(_table(response, now) + "\n")


# -- explain / validate ---------------------------------------------------------------
def _cmd_explain(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    org = _load_org(args.org)
    evaluator = Evaluator(
        org, default_catalog(), resources=args.resources, partition=args.partition
    )
    entity = org.resolve(args.entity_path)
    explanation = evaluator.explain(entity, args.service, policy_id=args.policy_id)
    stdout.write(str(explanation) + "\n")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from ..formats.snapshot import load_organization

    try:
        org = load_organization(args.org)
    except SnapshotError as exc:
        stdout.write(f"{args.org}: {len(exc.problems)} problem(s)\n")
        for problem in exc.problems:
            stdout.write(f"  {problem}\n")
        return EXIT_BAD_INPUT
    scps = len(org.scps)
    stdout.write(
        f"{args.org}: OK: organization {org.id}, root {org.root.id}, "
        f"{len(org.organizational_units)} OUs, {len(org.accounts)} accounts, {scps} SCPs, "
        f"management account {org.management_account_id}, SCPs "
        f"{'enabled' if org.scp_enabled else 'NOT enabled'}\n"
    )
    return EXIT_OK


# -- unused -----------------------------------------------------------------------------
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


def _cmd_unused(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    args.sort_key = SortKey.SERVICE_NAMESPACE_ASCENDING.value
    response, now = _run_report(args, stderr)
    cutoff = now - timedelta(days=args.days)
    unused = [
        d
        for d in response["AccessDetails"]
        if d.get("LastAuthenticatedTime") is None or d["LastAuthenticatedTime"] < cutoff
    ]
    stdout.write(
        f"{len(unused)} of {response['NumberOfServicesAccessible']} services allowed for "
        f"{args.entity_path} were not used in the last {args.days} days (as of {_iso(now)}):\n"
    )
    for d in unused:
        last = d.get("LastAuthenticatedTime")
        when = f"last used {_iso(last)}" if last else "never used in the tracking period"
        stdout.write(f"  {d['ServiceNamespace']:<32} {d['ServiceName']} ({when})\n")
    if args.suggest_scp and unused:
        docs = suggest_deny_scps([d["ServiceNamespace"] for d in unused])
        stdout.write(
            f"\nSuggested Deny SCP{'s' if len(docs) > 1 else ''} "
            f"({len(docs)}; each within {SCP_MAX_CHARACTERS} characters; an entity takes at "
            "most 5 SCPs). Review before attaching: a service unused in CloudTrail may still "
            "be needed.\n"
        )
        for doc in docs:
            stdout.write(json.dumps(doc, indent=2) + "\n")
    return EXIT_OK


# -- demo -----------------------------------------------------------------------------
def _cmd_demo(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from ..formats.snapshot import example_organization
    from .demo import DEMO_AS_OF, demo_events

    org = example_organization()
    events = list(demo_events(org))
    index = ActivityIndex(events, until=DEMO_AS_OF)
    args.tracking_days = DEFAULT_TRACKING_DAYS
    args.policy_scope = PolicyScope.LITERAL.value
    args.resources = "precise"
    args.partition = "aws"
    client = _client_for(args, org, index, DEMO_AS_OF)
    stdout.write(
        f"orgaccess demo: the built-in example organization {org.id} "
        f"({len(org.organizational_units)} OUs, {len(org.accounts)} accounts, "
        f"{len(org.scps)} SCPs) and {len(events)} generated access events.\n\n"
    )
    evaluator = Evaluator(org, default_catalog())
    entities = _demo_entities(org, evaluator)
    for path_entity in entities:
        path = str(org.path_of(path_entity))
        response = full_report(client, path, None, SortKey.LAST_AUTHENTICATED_TIME_DESCENDING.value)
        shown = dict(response)
        used = [d for d in response["AccessDetails"] if d.get("LastAuthenticatedTime")]
        shown["AccessDetails"] = used[:8]
        args.entity_path = path
        args.policy_id = None
        args.format = "table"
        _print_report(shown, args, DEMO_AS_OF, stdout)
        stdout.write(
            f"(showing the {len(shown['AccessDetails'])} most recently used of "
            f"{response['NumberOfServicesAccessible']} services)\n\n"
        )
    sandbox = entities[-1]
    stdout.write("Why is a service missing from a restricted account's report?\n")
    stdout.write(str(evaluator.explain(sandbox, "rds")) + "\n")
    return EXIT_OK


def _demo_entities(org: Organization, evaluator: Evaluator) -> list[str]:
    """The root, then the account whose SCPs allow the fewest services (but some)."""
    members = [
        a.id
        for a in org.accounts
        if not org.is_management_account(a.id) and evaluator.allowed_namespaces(a.id)
    ]
    narrowest = min(members, key=lambda a: (len(evaluator.allowed_namespaces(a)), a))
    return [str(org.root.id), str(narrowest)]


# -- argument parsing --------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orgaccess",
        description="Model the AWS IAM Organizations access report (which services SCPs allow "
        "and when each was last used) from an organization snapshot and activity logs.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser, *, events: bool) -> None:
        p.add_argument("--org", required=True, metavar="ORG.json", help="organization snapshot")
        p.add_argument(
            "--entity-path", required=True, metavar="PATH", help="o-.../r-...[/ou-...][/account]"
        )
        p.add_argument("--policy-id", metavar="ID", help="report on one SCP (p-...)")
        p.add_argument(
            "--resources",
            choices=["precise", "simple"],
            default="precise",
            help="resource-level SCP evaluation (default: precise)",
        )
        p.add_argument(
            "--partition",
            default="aws",
            metavar="NAME",
            help="ARN partition of the organization (aws, aws-cn, aws-us-gov; default: aws)",
        )
        if events:
            p.add_argument(
                "--events",
                required=True,
                nargs="+",
                metavar="PATH",
                help="CloudTrail files/directories (.json, .json.gz) and aggregated-row files "
                "(.csv, .jsonl)",
            )
            p.add_argument(
                "--as-of",
                type=_parse_time,
                metavar="TIME",
                help="report creation time (default: now)",
            )
            p.add_argument(
                "--tracking-days",
                type=_positive_int,
                default=DEFAULT_TRACKING_DAYS,
                metavar="N",
                help=f"tracking period in days (default: {DEFAULT_TRACKING_DAYS})",
            )
            p.add_argument(
                "--policy-scope",
                choices=[s.value for s in PolicyScope],
                default=PolicyScope.LITERAL.value,
                help="with --policy-id: count only attachments inside the entity (literal, "
                "default) or also above it (inherited)",
            )

    report = sub.add_parser("report", help="the GetOrganizationsAccessReport result for an entity")
    common(report, events=True)
    report.add_argument(
        "--sort-key",
        choices=[k.value for k in SortKey],
        default=SortKey.SERVICE_NAMESPACE_ASCENDING.value,
    )
    report.add_argument("--format", choices=["table", "json", "csv"], default="table")
    report.set_defaults(handler=_cmd_report)

    explain = sub.add_parser("explain", help="why a service is or is not allowed for an entity")
    common(explain, events=False)
    explain.add_argument(
        "--service", required=True, metavar="NS", help="service namespace, e.g. s3"
    )
    explain.set_defaults(handler=_cmd_explain)

    validate = sub.add_parser("validate", help="list every problem in a snapshot")
    validate.add_argument("--org", required=True, metavar="ORG.json")
    validate.set_defaults(handler=_cmd_validate)

    unused = sub.add_parser("unused", help="services the SCPs allow but nobody used in N days")
    common(unused, events=True)
    unused.add_argument("--days", type=_positive_int, required=True, metavar="N")
    unused.add_argument("--suggest-scp", action="store_true", help="print Deny SCP(s) for them")
    unused.set_defaults(handler=_cmd_unused)

    demo = sub.add_parser("demo", help="a report on the built-in example organization")
    demo.set_defaults(handler=_cmd_demo)
    serve.add_parser(sub)
    impact.add_parser(sub)
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command line; returns the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace, TextIO, TextIO], int] = args.handler
    try:
        status = handler(args, out, err)
        out.flush()  # inside the try: a closed pipe shows up here, not at exit
        return status
    except _BadInputError as exc:
        err.write(f"orgaccess: {exc}\n")
    except OrgAccessError as exc:
        code = f"{exc.code}: " if exc.code else ""
        err.write(f"orgaccess: {code}{str(exc).splitlines()[0]}\n")
    except BrokenPipeError:
        # The reader went away (``orgaccess report | head``): stop quietly.
        if stdout is None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.write(f"orgaccess: {where}{exc.strerror or exc}\n")
    except ValueError as exc:
        err.write(f"orgaccess: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}\n")
    return EXIT_BAD_INPUT


def _entry() -> None:  # pragma: no cover - exercised through the console script
    sys.exit(main())
