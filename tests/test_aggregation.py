"""The report engine's two ways of aggregating activity give the same answer.

A root report reads the index's per-namespace time columns with binary
searches; other reports walk the counted accounts' entries. The fast way is
only taken when every entry is at or before the report time and nearly every
account counts, so these tests call both directly on the same inputs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.engine.report import _aggregate_by_account, _aggregate_by_namespace
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.ids import AccountId
from orgaccess.model.organization import Organization, OrganizationBuilder

ACCOUNTS = [AccountId(f"2222222222{i:02d}") for i in range(8)]
OUTSIDER = AccountId("999999999999")  # attempts by an account outside the organization
NAMESPACES = ["s3", "ec2", "iam", "sts"]
REGIONS = ["us-east-1", "eu-west-1"]
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def organization() -> Organization:
    b = OrganizationBuilder(
        organization_id="o-a1b2c3d4e5", root_id="r-f6g7", management_account_id=ACCOUNTS[0]
    )
    b.add_ou("ou-f6g7-aaaaaaaa", parent="r-f6g7")
    for i, account in enumerate(ACCOUNTS):
        b.add_account(account, parent="r-f6g7" if i % 2 else "ou-f6g7-aaaaaaaa")
    return b.build()


ORG = organization()

events = st.lists(
    st.builds(
        AccessEvent,
        account_id=st.sampled_from([*ACCOUNTS, OUTSIDER]),
        service_namespace=st.sampled_from(NAMESPACES),
        region=st.sampled_from(REGIONS),
        # Few distinct times, so that ties are common.
        time=st.integers(0, 3).map(lambda h: BASE + timedelta(hours=h)),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    events=events,
    counted=st.sets(st.sampled_from(ACCOUNTS), min_size=1),
    listed=st.sets(st.sampled_from(NAMESPACES)),
    start_hour=st.integers(0, 4),
)
def test_namespace_columns_agree_with_the_pass_over_accounts(
    events: list[AccessEvent], counted: set[AccountId], listed: set[str], start_hour: int
) -> None:
    index = ActivityIndex(events)
    accounts = frozenset(counted)
    start = BASE + timedelta(hours=start_hour)
    end = BASE + timedelta(hours=12)  # every event is at or before it
    uncounted = frozenset(a for a in index.accounts if a not in accounts)
    by_account = _aggregate_by_account(ORG, index, accounts, frozenset(listed), start, end)
    by_namespace = _aggregate_by_namespace(ORG, index, uncounted, frozenset(listed), start, end)
    assert by_namespace == by_account


def test_ties_go_to_the_smallest_entity_path_then_region_in_both_ways() -> None:
    when = BASE + timedelta(hours=3)
    index = ActivityIndex(
        [
            AccessEvent(account_id=a, service_namespace="s3", region=r, time=when)
            for a in (ACCOUNTS[3], ACCOUNTS[2], ACCOUNTS[5])
            for r in ("us-east-1", "eu-west-1")
        ]
    )
    accounts = frozenset(ACCOUNTS[1:])
    start, end = BASE, BASE + timedelta(hours=12)
    uncounted = frozenset(a for a in index.accounts if a not in accounts)
    expected_account = min(
        (ACCOUNTS[3], ACCOUNTS[2], ACCOUNTS[5]), key=lambda a: str(ORG.path_of(a))
    )
    for result in (
        _aggregate_by_account(ORG, index, accounts, {"s3"}, start, end),
        _aggregate_by_namespace(ORG, index, uncounted, {"s3"}, start, end),
    ):
        assert result == {"s3": (3, when, expected_account, "eu-west-1")}


def test_namespace_columns_are_rebuilt_after_more_events() -> None:
    index = ActivityIndex(
        [AccessEvent(account_id=ACCOUNTS[1], service_namespace="s3", region="us-east-1", time=BASE)]
    )
    assert index.by_namespace()["s3"].accounts == (ACCOUNTS[1],)
    index.add(
        [AccessEvent(account_id=ACCOUNTS[2], service_namespace="s3", region="us-east-1", time=BASE)]
    )
    assert index.by_namespace()["s3"].accounts == (ACCOUNTS[1], ACCOUNTS[2])
