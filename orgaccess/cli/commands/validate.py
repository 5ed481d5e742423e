"""``orgaccess validate``: every problem in a snapshot."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ...errors import SnapshotError
from ...formats.snapshot import load_organization
from .._args import add_output_format
from ..exitcodes import EXIT_BAD_INPUT, EXIT_OK
from ..output import to_json
from ._help import subparser

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparser(
        subparsers,
        "validate",
        help="list every problem in a snapshot",
        description="Load a snapshot and print one OK line with its size, or every problem "
        "with its JSON location (exit code 1).",
        examples="""
orgaccess validate --org org.json
orgaccess validate --org org.json --output json
""",
    )
    p.add_argument("--org", required=True, metavar="ORG.json", help="the organization snapshot")
    add_output_format(p, ("table", "json"))
    return p


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    try:
        org = load_organization(args.org)
    except SnapshotError as exc:
        if args.output == "json":
            problems = [{"Location": p.location, "Message": p.message} for p in exc.problems]
            stdout.write(to_json({"Valid": False, "Problems": problems}) + "\n")
        else:
            stdout.write(f"{args.org}: {len(exc.problems)} problem(s)\n")
            for problem in exc.problems:
                stdout.write(f"  {problem}\n")
        return EXIT_BAD_INPUT
    if args.output == "json":
        stdout.write(
            to_json(
                {
                    "Valid": True,
                    "OrganizationId": org.id,
                    "RootId": org.root.id,
                    "OrganizationalUnits": len(org.organizational_units),
                    "Accounts": len(org.accounts),
                    "Scps": len(org.scps),
                    "ManagementAccountId": org.management_account_id,
                    "ScpEnabled": org.scp_enabled,
                }
            )
            + "\n"
        )
        return EXIT_OK
    stdout.write(
        f"{args.org}: OK: organization {org.id}, root {org.root.id}, "
        f"{len(org.organizational_units)} OUs, {len(org.accounts)} accounts, {len(org.scps)} SCPs, "
        f"management account {org.management_account_id}, SCPs "
        f"{'enabled' if org.scp_enabled else 'NOT enabled'}\n"
    )
    return EXIT_OK
