"""Deterministic examples for two rules that property tests pinned only thinly.

Mutation testing found each rule caught only by one property test, and only with
the CI profile's fixed draws. These examples catch a mutant on any run.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orgaccess.engine.report import PolicyScope, ReportOptions, build_report
from orgaccess.formats._ingest import SkipReason
from orgaccess.formats.activity import read_activity
from orgaccess.formats.cloudtrail import read_cloudtrail
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.organization import FULL_AWS_ACCESS_ID, OrganizationBuilder

ORG = "o-a1b2c3d4e5"
ROOT = "r-f6g7"
OU = "ou-f6g7-aaaaaaaa"
MGMT = "111111111111"
IN_OU = ("222222222222", "333333333333")
AT_ROOT = "444444444444"
P = "p-rootonly1"
CATALOG = ServiceCatalog.from_mapping(
    {"s3": {"actions": ["GetObject"]}, "ec2": {"actions": ["RunInstances"]}},
    description="test_rule_examples",
)
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def root_only_policy_organization() -> OrganizationBuilder:
    """P (Allow s3:*) attached at the root only; the OU and its accounts have FullAWSAccess."""
    b = OrganizationBuilder(organization_id=ORG, root_id=ROOT, management_account_id=MGMT)
    b.add_policy(P, {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    b.attach(P, ROOT)
    b.add_ou(OU, parent=ROOT, scps=[FULL_AWS_ACCESS_ID])
    b.add_account(MGMT, parent=ROOT)
    b.add_account(AT_ROOT, parent=ROOT)
    for account in IN_OU:
        b.add_account(account, parent=OU, scps=[FULL_AWS_ACCESS_ID])
    return b


@pytest.mark.rule("R-SCOPE-1", "R-OU-POLICY-1")
@pytest.mark.parametrize(
    ("scope", "counted"),
    [(PolicyScope.INHERITED, set(IN_OU)), (PolicyScope.LITERAL, set())],
)
def test_policy_attached_only_at_the_root_on_an_ou_counts_its_accounts_only_when_inherited(
    scope: PolicyScope, counted: set[str]
) -> None:
    """INHERITED: the OU's two accounts (not the root's, not the management account's);
    LITERAL: none, since P is not attached on the OU or below it."""
    org = root_only_policy_organization().build()
    assert P in org.scp_ids_attached(ROOT)
    assert P not in org.scp_ids_attached(OU)
    events = [
        AccessEvent(account_id=a, service_namespace="s3", region="eu-west-1", time=NOW)
        for a in (*IN_OU, AT_ROOT, MGMT)
    ]
    report = build_report(
        org,
        ActivityIndex(events),
        f"{ORG}/{ROOT}/{OU}",
        created=NOW,
        policy_id=P,
        catalog=CATALOG,
        options=ReportOptions(policy_scope=scope),
    )
    assert {str(a) for a in report.counted_accounts} == counted
    assert report.namespaces == ("s3",)
    assert report.detail("s3").total_authenticated_entities == len(counted)


EARLIER = NOW - timedelta(days=3)
CREATED = NOW - timedelta(days=1)
ATTEMPTS = (
    AccessEvent(account_id=IN_OU[0], service_namespace="s3", region="us-west-2", time=EARLIER),
    AccessEvent(account_id=IN_OU[0], service_namespace="s3", region="ap-south-1", time=EARLIER),
    # After the report's creation: must not count, although its Region sorts first.
    AccessEvent(account_id=IN_OU[0], service_namespace="s3", region="af-south-1", time=NOW),
)


@pytest.mark.rule("R-ROW-3", "R-ROW-1")
@pytest.mark.parametrize("order", list(itertools.permutations(ATTEMPTS)))
def test_tie_at_the_earlier_instant_gives_the_smallest_region_whatever_the_input_order(
    order: tuple[AccessEvent, ...],
) -> None:
    """Kept history, a report created between the tie and a later attempt: the tie's
    smallest Region, the tie's time, in every one of the six input orders."""
    org = root_only_policy_organization().build()
    activity = ActivityIndex(order, keep_history=True)
    row = build_report(
        org, activity, f"{ORG}/{ROOT}/{OU}", created=CREATED, catalog=CATALOG
    ).detail("s3")
    assert row.last_authenticated_time == EARLIER
    assert row.region == "ap-south-1"
    assert str(row.entity_path) == f"{ORG}/{ROOT}/{OU}/{IN_OU[0]}"
    assert row.total_authenticated_entities == 1


# -- ActivityIndex(until=t): what its docstring says ----------------------------------------


def test_index_until_is_exact_at_until_and_blind_after_it() -> None:
    """until=t: a report created at t equals one over every attempt; a report created
    later misses the attempts after t (the service shows as not used), as documented."""
    org = root_only_policy_organization().build()
    t = NOW - timedelta(days=10)
    events = [
        AccessEvent(account_id=IN_OU[0], service_namespace="s3", region="eu-west-1", time=t),
        AccessEvent(account_id=IN_OU[1], service_namespace="ec2", region="eu-west-1", time=NOW),
    ]
    path = f"{ORG}/{ROOT}/{OU}"
    until = ActivityIndex(events, until=t)
    assert until.after_until == 1
    full = ActivityIndex(events, keep_history=True)
    at_t = build_report(org, until, path, created=t, catalog=CATALOG)
    assert at_t.details == build_report(org, full, path, created=t, catalog=CATALOG).details
    later = build_report(org, until, path, created=NOW, catalog=CATALOG)
    assert later.detail("ec2").total_authenticated_entities == 0
    assert build_report(org, full, path, created=NOW, catalog=CATALOG).detail("ec2").used


# -- known_namespaces=None is the default catalog, in every reader ---------------------------


def test_readers_skip_services_outside_the_default_catalog_by_default(tmp_path: Path) -> None:
    """Without known_namespaces, read_cloudtrail and read_activity check namespaces
    against the default catalog: notaservice is UNKNOWN_SERVICE, s3 is counted."""
    record = {
        "eventTime": "2026-10-01T12:00:00Z",
        "awsRegion": "eu-west-1",
        "userIdentity": {"type": "IAMUser", "accountId": IN_OU[0]},
    }
    records = [
        {**record, "eventSource": "s3.amazonaws.com"},
        {**record, "eventSource": "notaservice.amazonaws.com"},
    ]
    log = tmp_path / "trail.json"
    log.write_text(json.dumps({"Records": records}), encoding="utf-8")

    ingest = read_cloudtrail(log)
    assert [e.service_namespace for e in ingest] == ["s3"]
    assert ingest.summary.skipped[SkipReason.UNKNOWN_SERVICE] == 1
    assert dict(ingest.summary.unknown_sources) == {"notaservice.amazonaws.com": 1}

    load = read_activity([log])
    assert load.cloudtrail.counted == 1
    assert load.cloudtrail.skipped[SkipReason.UNKNOWN_SERVICE] == 1
