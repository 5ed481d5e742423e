"""``orgaccess explain``: why a service is or is not allowed for an entity."""

from __future__ import annotations

import argparse
import enum
from typing import Any, TextIO

import attrs

from ...engine.evaluation import Evaluator, Explanation
from ...model.catalog import default_catalog
from .. import _args
from .._inputs import load_org, resolve_entity
from ..exitcodes import EXIT_OK
from ..output import to_json
from ._help import subparser

__all__ = ["add_parser", "explanation_json", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparser(
        subparsers,
        "explain",
        help="why a service is or is not allowed for an entity",
        description="Say whether the SCPs in force (or one SCP, with --policy-id) allow a "
        "service for an entity, level by level from the root down, naming the policies and "
        "statements that decide it. Reads no logs.",
        examples="""
orgaccess explain --org org.json --entity 123456789012 --service rds
orgaccess explain --org org.json --entity ou-f6g7-aaaaaaaa --service s3 --output json
""",
    )
    _args.add_org(p)
    _args.add_entity(p)
    p.add_argument("--service", required=True, metavar="NS", help="service namespace, e.g. s3")
    _args.add_policy(p)
    _args.add_evaluation(p)
    _args.add_output(p, choices=("table", "json"))
    return p


def _plain(_inst: Any, _field: Any, value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if value is not None and not isinstance(value, str | int | bool | float | tuple | list | dict):
        return str(value)
    return value


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    """An explanation as a JSON-ready dict (snake_case keys, ids as text)."""
    result: dict[str, Any] = attrs.asdict(explanation, value_serializer=_plain)
    return result


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    org = load_org(args.org)
    _, entity_id = resolve_entity(org, args.entity)
    evaluator = Evaluator(
        org, default_catalog(), resources=args.resources, partition=args.partition
    )
    explanation = evaluator.explain(entity_id, args.service, policy_id=args.policy_id)

    def produce(out: TextIO) -> None:
        if args.output == "json":
            out.write(to_json(explanation_json(explanation)) + "\n")
        else:
            out.write(str(explanation) + "\n")

    _args.write_output(args.output_file, stdout, produce, label="-o")
    return EXIT_OK
