"""``orgaccess demo``: reports on the built-in example organization, no input needed."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from ...engine.evaluation import Evaluator
from ...engine.report import ReportOptions
from ...engine.sorting import SortKey
from ...formats.snapshot import example_organization
from ...model.catalog import default_catalog
from ...model.events import ActivityIndex
from ...model.organization import Organization
from .._args import add_output_format
from .._inputs import Request, full_report, make_client
from ..demo import DEMO_AS_OF, demo_events
from ..exitcodes import EXIT_OK
from ..output import iso, report_table, to_json
from ._help import subparser
from .explain import explanation_json

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p = subparser(
        subparsers,
        "demo",
        help="a report on the built-in example organization",
        description="Report on the built-in example organization with generated, "
        f"deterministic activity (reports as of {iso(DEMO_AS_OF)}): the root, the member "
        "account whose SCPs allow the fewest services, and why rds is not listed there.",
        examples="""
orgaccess demo
orgaccess demo --output json
""",
    )
    add_output_format(p, ("table", "json"))
    return p


def _demo_entities(org: Organization, evaluator: Evaluator) -> list[str]:
    """The root, then the account whose SCPs allow the fewest services (but some)."""
    members = [
        a.id
        for a in org.accounts
        if not org.is_management_account(a.id) and evaluator.allowed_namespaces(a.id)
    ]
    narrowest = min(members, key=lambda a: (len(evaluator.allowed_namespaces(a)), a))
    return [str(org.root.id), str(narrowest)]


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    org = example_organization()
    catalog = default_catalog()
    events = list(demo_events(org))
    index = ActivityIndex(events, until=DEMO_AS_OF)
    evaluator = Evaluator(org, catalog)
    entities = _demo_entities(org, evaluator)
    reports = []
    for entity_id in entities:
        request = Request(
            org=org,
            catalog=catalog,
            entity_path=str(org.path_of(entity_id)),
            entity_id=org.resolve(org.path_of(entity_id)),
            policy_id=None,
            as_of=DEMO_AS_OF,
            options=ReportOptions(),
        )
        client = make_client(request, index)
        sort = SortKey.LAST_AUTHENTICATED_TIME_DESCENDING.value
        reports.append((request, full_report(client, request, sort)))
    explanation = evaluator.explain(entities[-1], "rds")
    if args.output == "json":
        stdout.write(
            to_json(
                {
                    "OrganizationId": org.id,
                    "AsOf": DEMO_AS_OF,
                    "Events": len(events),
                    "Reports": [
                        {"EntityPath": request.entity_path, **response}
                        for request, response in reports
                    ],
                    "Explanation": explanation_json(explanation),
                }
            )
            + "\n"
        )
        return EXIT_OK
    stdout.write(
        f"orgaccess demo: the built-in example organization {org.id} "
        f"({len(org.organizational_units)} OUs, {len(org.accounts)} accounts, "
        f"{len(org.scps)} SCPs) and {len(events)} generated access events.\n\n"
    )
    for request, response in reports:
        used = [d for d in response["AccessDetails"] if d.get("LastAuthenticatedTime")][:8]
        stdout.write(
            f"Access report for {request.entity_path}, as of {iso(DEMO_AS_OF)}\n"
            f"{response['NumberOfServicesAccessible']} services allowed by SCPs, "
            f"{response['NumberOfServicesNotAccessed']} not accessed in the last "
            f"{request.options.tracking_days} days\n\n"
        )
        stdout.write(report_table(used, DEMO_AS_OF) + "\n")
        stdout.write(
            f"(showing the {len(used)} most recently used of "
            f"{response['NumberOfServicesAccessible']} services)\n\n"
        )
    stdout.write("Why is a service missing from a restricted account's report?\n")
    stdout.write(str(explanation) + "\n")
    return EXIT_OK
