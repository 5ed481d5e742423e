"""``orgaccess ingest``: read new or changed log files into an activity store."""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

from ...formats.store import StoreIngest
from ...model.catalog import default_catalog
from .._args import CliError, add_output_format
from .._store import open_store
from ..exitcodes import EXIT_OK
from ..output import to_json
from ._help import subparser

__all__ = ["add_parser", "ingest_json", "run"]

_SHOWN = 10


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparser(
        subparsers,
        "ingest",
        help="read new or changed log files into an activity store",
        description="Fold CloudTrail files and aggregated rows into an SQLite activity store "
        "(made when it does not exist), one transaction per file. Every file read is recorded "
        "(path, size, modification time, SHA-256, ingest summary), so a rerun reads only new "
        "or changed files; a changed file's earlier contribution is replaced. Reports then "
        "take --store instead of re-reading the logs.",
        examples="""
orgaccess ingest --store activity.db --events trail/   # after aws s3 sync s3://B/AWSLogs trail/
orgaccess report --org org.json --store activity.db --entity r-f6g7
""",
    )
    p.add_argument("--store", required=True, metavar="ACTIVITY.db", help="the activity store")
    p.add_argument(
        "--events",
        required=True,
        nargs="+",
        metavar="PATH",
        help="CloudTrail files/directories (.json, .json.gz) and aggregated-row files "
        "(.csv, .jsonl)",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="compare every file's SHA-256, even when its size and modification time are "
        "as recorded (default: such a file is skipped unread)",
    )
    add_output_format(p, ("table", "json"))
    return p


def ingest_json(result: StoreIngest) -> dict[str, Any]:
    """The ``--output json`` document of an ingest run."""

    def part(summary: Any) -> dict[str, Any]:
        return {
            "files_read": summary.files_read,
            "files_ignored": summary.files_ignored,
            "records_read": summary.records_read,
            "counted": summary.counted,
            "skipped": {str(k): v for k, v in summary.skipped.items()},
            "unknown_sources": dict(summary.unknown_sources),
        }

    return {
        "store": result.store,
        "files_read": result.files_read,
        "files_new": result.files_new,
        "files_changed": [{"path": c.path, "reason": c.reason} for c in result.changed],
        "files_unchanged_skipped": result.files_unchanged,
        "files_committed_by_another_ingest": result.files_concurrent,
        "cloudtrail": part(result.cloudtrail),
        "rows": part(result.rows),
        "problems": [{"location": p.location, "message": p.message} for p in result.problems],
        "seconds": round(result.seconds, 3),
    }


def _table(result: StoreIngest) -> str:
    lines = [
        f"ingest into {result.store}: {result.files_read} files read "
        f"({result.files_new} new, {len(result.changed)} changed), "
        f"{result.files_unchanged} unchanged files skipped"
        + (
            f", {result.files_concurrent} committed by another ingest meanwhile"
            if result.files_concurrent
            else ""
        )
        + f", in {result.seconds:.1f} s"
    ]
    why = {
        "content": "other content at the same path: its earlier contribution was replaced",
        "options": "read again with another service catalog or namespace map",
    }
    for change in result.changed[:_SHOWN]:
        lines.append(f"  changed: {change.path} ({why[change.reason]})")
    if len(result.changed) > _SHOWN:
        lines.append(f"  changed: ... and {len(result.changed) - _SHOWN} more")
    trail, rows = result.cloudtrail, result.rows
    skipped = ", ".join(f"{reason}: {n}" for reason, n in trail.skipped.items() if n)
    lines.append(
        f"CloudTrail: {trail.records_read} records read, {trail.counted} counted"
        + (f" (skipped {skipped})" if skipped else "")
        + (f", {trail.files_ignored} files ignored" if trail.files_ignored else "")
        + f"; aggregated rows: {rows.records_read} read, {rows.counted} counted"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    for path in args.events:
        if not os.path.exists(path):
            raise CliError(f"--events {path}: no such file or directory")
    catalog = default_catalog()
    with open_store(args.store, create=True, readonly=False) as store:
        result = store.ingest(args.events, known_namespaces=catalog.namespaces, verify=args.verify)
    if args.output == "json":
        stdout.write(to_json(ingest_json(result)) + "\n")
    else:
        stdout.write(_table(result) + "\n")
    for problem in result.problems[:5]:
        stderr.write(f"  warning: {problem}\n")
    if len(result.problems) > 5:
        stderr.write(f"  warning: ... and {len(result.problems) - 5} more problems\n")
    return EXIT_OK
