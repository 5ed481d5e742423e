"""Deterministic examples for two rules that property tests pinned only thinly.

Mutation testing found each rule caught only by one property test, and only with
the CI profile's fixed draws. These examples catch a mutant on any run.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from orgaccess.engine.report import PolicyScope, ReportOptions, build_report
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
