"""``orgaccess snapshot``: the organization read from AWS, written as a snapshot file."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, TextIO

from ...aws.organizations import SNAPSHOT_OPERATIONS, organizations_client, read_snapshot
from ...errors import SnapshotError
from ...formats.snapshot import load_organization
from .. import _args
from ..exitcodes import EXIT_BAD_INPUT, EXIT_OK
from ._help import subparser

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparser(
        subparsers,
        "snapshot",
        help="read the organization from AWS into a snapshot file",
        description="Read the organization through the AWS Organizations API (needs boto3: "
        "pip install 'orgaccess[aws]'; read-only calls: "
        + ", ".join(SNAPSHOT_OPERATIONS)
        + ") with credentials of the management account or a delegated administrator, and "
        "write the snapshot JSON to standard output or, atomically, to -o FILE. The standard "
        "AWS configuration applies (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, "
        "~/.aws/config); throttled calls are retried with backoff. An AWS error is printed "
        "as AWS gave it, exit code 1, and no file is written.",
        examples="""
orgaccess snapshot -o org.json
AWS_PROFILE=management orgaccess snapshot --retry-mode standard --max-attempts 20 > org.json
""",
    )
    p.add_argument(
        "-o",
        "--output-file",
        metavar="ORG.json",
        help="write the snapshot to this file (default: standard output)",
    )
    p.add_argument("--profile", help="the AWS CLI profile to use (default: the standard chain)")
    p.add_argument("--region", help="the Region of the Organizations endpoint (default: us-east-1)")
    p.add_argument(
        "--retry-mode",
        choices=("standard", "adaptive"),
        default="adaptive",
        help="botocore retry mode on throttling and transient errors (default: adaptive)",
    )
    p.add_argument(
        "--max-attempts",
        type=_attempts,
        default=10,
        metavar="N",
        help="attempts per call, the first included (1-50, default: 10)",
    )
    return p


def _attempts(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range: give 1 to 50")
    return value


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.output_file is not None:
        directory = os.path.dirname(os.path.abspath(args.output_file))
        if not os.path.isdir(directory):
            raise _args.CliError(f"-o {args.output_file}: directory {directory} does not exist")
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        raise _args.CliError("snapshot needs boto3: pip install 'orgaccess[aws]'") from None
    try:
        client = organizations_client(
            profile=args.profile,
            region=args.region,
            retry_mode=args.retry_mode,
            max_attempts=args.max_attempts,
        )
        snapshot = read_snapshot(client)
    except (ClientError, BotoCoreError) as exc:
        raise _args.CliError(str(exc)) from None
    text = json.dumps(snapshot, indent=2) + "\n"

    def produce(out: TextIO) -> None:
        out.write(text)

    _args.write_output(args.output_file, stdout, produce, label="-o")
    try:
        org = load_organization(snapshot)
    except SnapshotError as exc:
        stderr.write(f"orgaccess: the snapshot was written but does not load: {exc}\n")
        return EXIT_BAD_INPUT
    where = args.output_file or "standard output"
    stderr.write(
        f"snapshot: organization {org.id}: {len(org.organizational_units)} OUs, "
        f"{len(org.accounts)} accounts, {len(org.scps)} SCPs written to {where}\n"
    )
    return EXIT_OK
