"""``orgaccess store``: what an activity store holds (``info``), and ``prune``."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from ...engine.report import DEFAULT_TRACKING_DAYS
from ...formats.store import StoreInfo
from .._args import UsageError, add_output_format, parse_time
from .._store import open_store
from ..exitcodes import EXIT_OK
from ..output import align, iso, to_json
from ._help import subparser

__all__ = ["add_parser", "info_json", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparser(
        subparsers,
        "store",
        help="what an activity store holds (info); drop old attempts (prune)",
        description="'store info' lists what an activity store holds: files, records, the "
        "date range, its size on disk, accounts and services. 'store prune --before DATE' "
        "drops the attempts before DATE (reports whose tracking period starts before DATE "
        "are then refused); the files stay recorded, so they are not read again.",
        examples="""
orgaccess store info --store activity.db
orgaccess store info --store activity.db --output json
orgaccess store prune --store activity.db --before 2024-01-01
""",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION", help="info or prune")
    info = actions.add_parser("info", help="files, records, date range, size, accounts, services")
    info.add_argument("--store", required=True, metavar="ACTIVITY.db", help="the activity store")
    add_output_format(info, ("table", "json"))
    prune = actions.add_parser("prune", help="drop the attempts before a date")
    prune.add_argument("--store", required=True, metavar="ACTIVITY.db", help="the activity store")
    prune.add_argument(
        "--before",
        required=True,
        type=_date_or_time,
        metavar="DATE",
        help="ISO 8601 date (midnight UTC) or time",
    )
    prune.add_argument(
        "--force",
        action="store_true",
        help=f"allow a DATE less than {DEFAULT_TRACKING_DAYS} days ago (reports made now "
        "with the default tracking period would need those attempts)",
    )
    return p


def _date_or_time(text: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 time."""
    text = text.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        text += "T00:00:00Z"
    return parse_time(text)


def info_json(info: StoreInfo) -> dict[str, Any]:
    """The ``store info --output json`` document."""
    return {
        "store": info.path,
        "schema_version": info.schema_version,
        "created_by": info.created_by,
        "files": info.files,
        "files_cloudtrail": info.files_cloudtrail,
        "files_rows": info.files_rows,
        "records_read": info.records_read,
        "counted": info.counted,
        "day_buckets": info.buckets,
        "earliest": info.earliest,
        "latest": info.latest,
        "size_bytes": info.size_bytes,
        "accounts": list(info.accounts),
        "services": list(info.services),
        "pruned_before": info.pruned_before,
    }


def _table(info: StoreInfo) -> str:
    def when(value: datetime | None) -> str:
        return iso(value) if value is not None else "-"

    rows = [
        ("store", info.path),
        ("schema", f"version {info.schema_version} (made by orgaccess {info.created_by})"),
        (
            "files",
            f"{info.files} ({info.files_cloudtrail} CloudTrail, {info.files_rows} aggregated rows)",
        ),
        ("records", f"{info.records_read} read, {info.counted} counted"),
        ("date range", f"{when(info.earliest)} .. {when(info.latest)}"),
        ("day buckets", str(info.buckets)),
        ("size on disk", f"{info.size_bytes} bytes ({info.size_bytes / 1e6:.1f} MB)"),
        ("accounts", f"{len(info.accounts)}: {' '.join(info.accounts) or '-'}"),
        ("services", f"{len(info.services)}: {' '.join(info.services) or '-'}"),
    ]
    if info.pruned_before is not None:
        rows.append(("pruned before", iso(info.pruned_before)))
    return align(rows)


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.action == "info":
        with open_store(args.store) as store:
            info = store.info()
        if args.output == "json":
            stdout.write(to_json(info_json(info)) + "\n")
        else:
            stdout.write(_table(info) + "\n")
        return EXIT_OK
    before: datetime = args.before
    limit = datetime.now(UTC) - timedelta(days=DEFAULT_TRACKING_DAYS)
    if before > limit and not args.force:
        raise UsageError(
            f"--before {iso(before)} is less than {DEFAULT_TRACKING_DAYS} days ago: reports made "
            "now would need the attempts it drops (pass --force to drop them anyway)"
        )
    with open_store(args.store, readonly=False) as store:
        result = store.prune(before)
    stdout.write(
        f"pruned {args.store}: attempts before {iso(result.before)} dropped "
        f"({result.buckets_dropped} day buckets, {result.contributions_dropped} file "
        "contributions); the files stay recorded\n"
    )
    return EXIT_OK
