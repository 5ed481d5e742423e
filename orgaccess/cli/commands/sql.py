"""``orgaccess sql``: print the aggregation SQL for Athena / Trino or Spark."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ...formats.sql import DIALECTS, aggregation_sql
from ..exitcodes import EXIT_OK
from ._help import subparser

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparser(
        subparsers,
        "sql",
        help="print the SQL that aggregates a CloudTrail archive into rows",
        description="Print a query (Athena/Trino or Spark SQL) that reduces CloudTrail "
        "records to one row per (account, event source, region) with the latest attempt, "
        "applying the same rules as the CloudTrail reader. Save its result as CSV and pass "
        "it to --events. See docs/howto/athena.md.",
        examples="""
orgaccess sql --dialect athena --table cloudtrail_logs_pp > aggregate.sql
orgaccess sql --dialect spark
""",
    )
    p.add_argument("--dialect", choices=DIALECTS, default="athena", help="default: athena")
    p.add_argument(
        "--table",
        default="cloudtrail_logs",
        metavar="NAME",
        help="the CloudTrail table or view (default: cloudtrail_logs)",
    )
    return p


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    stdout.write(aggregation_sql(args.dialect, table=args.table))
    return EXIT_OK
