"""``orgaccess tree``: the organization with ids, names, paths and attached SCPs."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from .. import _args
from .._inputs import load_org, resolve_entity
from ..exitcodes import EXIT_OK
from ..orgtree import org_tree, walk
from ..output import align, to_json
from ._help import subparser

__all__ = ["add_parser", "run"]

_KIND = {"ROOT": "root", "ORGANIZATIONAL_UNIT": "OU", "ACCOUNT": "account"}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparser(
        subparsers,
        "tree",
        help="the organization: ids, names, paths and attached SCPs",
        description="Print the organization (or the subtree under --entity) from a snapshot: "
        "each root, OU and account with its id, name, entity path and the SCPs attached to "
        "it directly. Use an id or path from here as --entity of the other commands.",
        examples="""
orgaccess tree --org org.json
orgaccess tree --org org.json --entity ou-f6g7-aaaaaaaa --output json
""",
    )
    _args.add_org(p)
    p.add_argument(
        "--entity-path",
        "--entity",
        dest="entity",
        metavar="ENTITY",
        help="only the subtree under this root, OU or account (path or bare id)",
    )
    _args.add_output(p, choices=("table", "json"))
    return p


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    org = load_org(args.org)
    top = str(org.root.id) if args.entity is None else str(resolve_entity(org, args.entity)[1])
    tree = org_tree(org, top)

    def produce(out: TextIO) -> None:
        if args.output == "json":
            out.write(to_json({"OrganizationId": org.id, "Tree": tree}) + "\n")
            return
        rows = [("ID", "TYPE", "NAME", "PATH", "SCPS")]
        for depth, node in walk(tree):
            name = node["Name"] + (" (management account)" if node["Management"] else "")
            rows.append(
                (
                    "  " * depth + node["Id"],
                    _KIND[node["Type"]],
                    name,
                    node["Path"],
                    ", ".join(p["Id"] for p in node["Scps"]) or "-",
                )
            )
        out.write(f"Organization {org.id}\n" + align(rows) + "\n")

    _args.write_output(args.output_file, stdout, produce, label="-o")
    return EXIT_OK
