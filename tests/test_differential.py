"""Differential test: the engine and the client agree with the plain oracle of tests/oracle.py.

On generated organizations, events, entity paths (valid, broken and the
management account's) and policy ids (attached, unattached, unknown, not an
SCP), ``build_report`` and the client's pages (walked with random page sizes
and a random sort key) equal the oracle row for row, or both FAIL with the
same code. The engine runs with ``resources="simple"``, the oracle's rule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import OracleFailedError, oracle_report, oracle_sort

from orgaccess.aws.client import ReportClient
from orgaccess.aws.shapes import access_detail_to_aws
from orgaccess.engine.report import PolicyScope, ReportOptions, build_report
from orgaccess.errors import ReportFailedError
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.ids import OuId
from orgaccess.model.organization import Organization
from orgaccess.strategies import access_events, entity_paths, organizations

CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SORT_KEYS = (
    "SERVICE_NAMESPACE_ASCENDING",
    "SERVICE_NAMESPACE_DESCENDING",
    "LAST_AUTHENTICATED_TIME_ASCENDING",
    "LAST_AUTHENTICATED_TIME_DESCENDING",
)

#: About eight services with a few actions each (two with AWS report names
#: that differ from the catalog's), and one service without actions.
DIFF_CATALOG = ServiceCatalog.from_mapping(
    {
        "s3": {
            "name": "Amazon S3",
            "actions": ["GetObject", "PutObject", "ListBucket", "DeleteBucket"],
        },
        "ec2": {"name": "Amazon EC2", "actions": ["DescribeInstances", "RunInstances"]},
        "iam": {
            "name": "AWS Identity and Access Management (IAM)",
            "actions": ["GetRole", "ListRoles", "CreateUser"],
        },
        "ses": {"name": "Amazon Pinpoint Email Service", "actions": ["SendEmail"]},
        "lambda": {"name": "AWS Lambda", "actions": ["InvokeFunction", "ListFunctions"]},
        "kms": {"name": "AWS Key Management Service", "actions": ["Decrypt", "Encrypt"]},
        "sts": {"name": "AWS Security Token Service", "actions": ["AssumeRole"]},
        "organizations": {
            "name": "AWS Organizations",
            "actions": ["LeaveOrganization", "DescribeOrganization"],
        },
        "nullsvc": {"name": "A service listed without actions"},
    },
    description="differential",
)

UNKNOWN_POLICY = "p-unknown0000"


def bad_paths(org: Organization) -> list[str]:
    """Well-formed paths that do not exist in ``org``: trailing '/', wrong parent, unknown id."""
    root = org.path_of(org.root.id)
    suffix = str(org.root.id).split("-", 1)[1]
    out = [f"{root}/", f"{root}/{OuId(f'ou-{suffix}-zzzzzzzz')}", f"{root}/000000000000"]
    for account in org.accounts:
        path = org.path_of(account.id)
        if path.ou_ids:  # the account named directly under the root: a wrong parent chain
            out.append(f"{root}/{account.id}")
        else:  # under the root: name it below an OU instead
            for ou in org.organizational_units:
                out.append(f"{org.path_of(ou.id)}/{account.id}")
                break
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    org = draw(
        organizations(
            catalog=DIFF_CATALOG,
            scps_enabled=draw(st.sampled_from((True, True, True, True, False))),
            max_ous=5,
            min_accounts=2,
            max_accounts=6,
            max_other_policies=1,
        )
    )
    path = draw(
        st.one_of(
            entity_paths(org).map(str),
            entity_paths(org).map(str),
            st.sampled_from(bad_paths(org)),
        )
    )
    policy_choices = [str(p.id) for p in org.policies] + [UNKNOWN_POLICY]
    policy_id = draw(st.none() | st.sampled_from(policy_choices))
    tracking_days = draw(st.sampled_from((400, 30)))
    start = CREATED - timedelta(days=tracking_days)
    namespaces = [*DIFF_CATALOG.namespaces, "notinthecatalog"]
    events = draw(
        access_events(
            org,
            start=start,
            end=CREATED,
            namespaces=namespaces,
            min_size=4,
            max_size=30,
            outside_accounts=True,
        )
    )
    for low, high in ((start - timedelta(days=20), start), (CREATED, CREATED + timedelta(days=5))):
        events += draw(access_events(org, start=low, end=high, namespaces=namespaces, max_size=4))
    # Events at the edges of the window: both ends are inside, one microsecond beyond is not.
    edges = (start, start - timedelta(microseconds=1), CREATED, CREATED + timedelta(microseconds=1))
    edge_events = draw(
        access_events(org, start=start, end=CREATED, namespaces=namespaces, max_size=4)
    )
    events += [attrs.evolve(e, time=draw(st.sampled_from(edges))) for e in edge_events]
    return {
        "org": org,
        "path": path,
        "policy_id": policy_id,
        "events": events,
        "options": ReportOptions(
            tracking_days=tracking_days,
            iam_region_quirk=draw(st.booleans()),
            policy_scope=draw(st.sampled_from(PolicyScope)),
            resources="simple",
        ),
    }


def expected(scenario: dict[str, Any]) -> Any:
    options: ReportOptions = scenario["options"]
    try:
        return oracle_report(
            scenario["org"],
            DIFF_CATALOG,
            scenario["events"],
            scenario["path"],
            created=CREATED,
            policy_id=scenario["policy_id"],
            tracking_days=options.tracking_days,
            iam_quirk=options.iam_region_quirk,
            inherited=options.policy_scope is PolicyScope.INHERITED,
        )
    except OracleFailedError as failure:
        return failure


@settings(max_examples=120, deadline=None)
@given(scenarios())
def test_build_report_equals_oracle(scenario: dict[str, Any]) -> None:
    """build_report (simple resource rule) == the oracle, row for row, or the same FAILED code."""
    want = expected(scenario)
    try:
        report = build_report(
            scenario["org"],
            ActivityIndex(scenario["events"], keep_history=True),
            scenario["path"],
            created=CREATED,
            policy_id=scenario["policy_id"],
            catalog=DIFF_CATALOG,
            options=scenario["options"],
        )
    except ReportFailedError as exc:
        failed: str | None = exc.code
    else:
        failed = None
    if failed is not None or isinstance(want, OracleFailedError):
        assert failed == getattr(want, "code", None), f"engine FAILED {failed}, oracle: {want}"
        return
    assert [access_detail_to_aws(d) for d in report.details] == want.rows
    assert report.number_of_services_accessible == want.accessible
    assert report.number_of_services_not_accessed == want.not_accessed
    assert set(report.counted_accounts) == want.counted
    # Without attempts after the creation time the engine may take another path
    # (per-namespace time columns); the oracle's answer is the same.
    until_created = [e for e in scenario["events"] if e.time <= CREATED]
    again = build_report(
        scenario["org"],
        ActivityIndex(until_created),
        scenario["path"],
        created=CREATED,
        policy_id=scenario["policy_id"],
        catalog=DIFF_CATALOG,
        options=scenario["options"],
    )
    assert [access_detail_to_aws(d) for d in again.details] == want.rows


@settings(max_examples=60, deadline=None)
@given(
    scenarios(),
    st.sampled_from(SORT_KEYS),
    st.lists(st.integers(1, 4), min_size=1, max_size=12),
)
def test_client_pages_equal_oracle(
    scenario: dict[str, Any], sort_key: str, page_sizes: list[int]
) -> None:
    """The client's pages, walked with changing MaxItems, == the oracle's sorted rows."""
    want = expected(scenario)
    client = ReportClient(
        scenario["org"],
        scenario["events"],
        clock=lambda: CREATED,
        catalog=DIFF_CATALOG,
        options=scenario["options"],
        marker_secret=b"differential-test-secret",
    )
    kwargs: dict[str, Any] = {"EntityPath": scenario["path"]}
    if scenario["policy_id"] is not None:
        kwargs["OrganizationsPolicyId"] = scenario["policy_id"]
    job_id = client.generate_organizations_access_report(**kwargs)["JobId"]
    rows: list[dict[str, Any]] = []
    marker: str | None = None
    for turn in range(1000):
        request: dict[str, Any] = {
            "JobId": job_id,
            "SortKey": sort_key,
            "MaxItems": page_sizes[turn % len(page_sizes)],
        }
        if marker is not None:
            request["Marker"] = marker
        page = client.get_organizations_access_report(**request)
        if page["JobStatus"] == "FAILED":
            assert isinstance(want, OracleFailedError), f"client FAILED, oracle did not: {page}"
            assert page["ErrorDetails"]["Code"] == want.code
            return
        assert not isinstance(want, OracleFailedError), f"oracle FAILED {want.code}, client did not"
        assert page["JobStatus"] == "COMPLETED"
        assert page["NumberOfServicesAccessible"] == want.accessible
        assert page["NumberOfServicesNotAccessed"] == want.not_accessed
        assert len(page["AccessDetails"]) <= request["MaxItems"]
        rows.extend(page["AccessDetails"])
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    else:  # pragma: no cover
        pytest.fail("the pages never ended")
    assert rows == oracle_sort(want.rows, sort_key)


def test_oracle_glob_matcher() -> None:
    """The oracle's own wildcard matcher, on the examples of semantics section 3."""
    from oracle import glob_match

    assert glob_match("Get*", "GetObject")
    assert glob_match("*Object", "getobject")
    assert glob_match("?escribe*", "DescribeInstances")
    assert not glob_match("?escribe*", "Describe"[1:])
    assert not glob_match("Get?", "GetObject")
    assert glob_match("*", "")
    assert not glob_match("a", "")


def test_edge_event_is_counted_by_both() -> None:
    """A fixed case: an attempt exactly at created - 400 days counts; a microsecond earlier not."""
    from orgaccess.model.organization import OrganizationBuilder

    b = OrganizationBuilder(
        organization_id="o-a1b2c3d4e5", root_id="r-f6g7", management_account_id="111111111111"
    )
    b.add_account("111111111111", parent="r-f6g7")
    b.add_account("222222222222", parent="r-f6g7")
    org = b.build()
    start = CREATED - timedelta(days=400)
    events = [
        AccessEvent(
            account_id="222222222222", service_namespace="s3", region="eu-west-1", time=start
        ),
        AccessEvent(
            account_id="222222222222",
            service_namespace="ec2",
            region="eu-west-1",
            time=start - timedelta(microseconds=1),
        ),
    ]
    path = "o-a1b2c3d4e5/r-f6g7"
    want = oracle_report(org, DIFF_CATALOG, events, path, created=CREATED)
    report = build_report(
        org,
        ActivityIndex(events),
        path,
        created=CREATED,
        catalog=DIFF_CATALOG,
        options=ReportOptions(resources="simple"),
    )
    assert [access_detail_to_aws(d) for d in report.details] == want.rows
    s3 = next(r for r in want.rows if r["ServiceNamespace"] == "s3")
    ec2 = next(r for r in want.rows if r["ServiceNamespace"] == "ec2")
    assert s3["TotalAuthenticatedEntities"] == 1
    assert ec2["TotalAuthenticatedEntities"] == 0


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": "nullsvc:Get*"},
        {"Effect": "Allow", "NotAction": "nullsvc:Get*"},
        {"Effect": "Allow", "NotAction": ["nullsvc:*", "s3:*"]},
        {"Effect": "Deny", "Action": "nullsvc:Get*"},
        {"Effect": "Deny", "Action": "nullsvc:**"},
        {"Effect": "Deny", "NotAction": "nullsvc:Get*"},
        {"Effect": "Deny", "NotAction": "s3:Get*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"},
        {
            "Effect": "Deny",
            "Action": "S3:GET*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {"Effect": "Allow", "Action": ["s3:?etObject", "ec2:*Instances"], "NotResource": "*"},
    ],
)
def test_fixed_statements_next_to_an_allow_all(statement: dict[str, Any]) -> None:
    """Hand-picked statements (services without actions, NotAction, conditions) on one account."""
    from orgaccess.model.organization import OrganizationBuilder

    b = OrganizationBuilder(
        organization_id="o-a1b2c3d4e5", root_id="r-f6g7", management_account_id="111111111111"
    )
    b.add_policy("p-statement", {"Version": "2012-10-17", "Statement": [statement]})
    b.add_account("111111111111", parent="r-f6g7")
    b.add_account("222222222222", parent="r-f6g7", scps=["p-FullAWSAccess", "p-statement"])
    org = b.build()
    path = "o-a1b2c3d4e5/r-f6g7/222222222222"
    options = ReportOptions(resources="simple")
    for policy_id in (None, "p-statement"):
        want = oracle_report(org, DIFF_CATALOG, [], path, created=CREATED, policy_id=policy_id)
        got = build_report(
            org,
            ActivityIndex(),
            path,
            created=CREATED,
            policy_id=policy_id,
            catalog=DIFF_CATALOG,
            options=options,
        )
        assert [access_detail_to_aws(d) for d in got.details] == want.rows, policy_id
