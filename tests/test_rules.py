"""The rule suite: each rule of the access report as a named property test.

Every test draws organizations, paths and events from :mod:`orgaccess.strategies`
over the small test catalog (which has resource types, so the engine runs in
its default, precise resource mode), changes one thing the rule says does not
matter (or cannot add anything), and compares the reports.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from conftest import make_small_catalog
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.aws.client import ReportClient
from orgaccess.aws.shapes import access_detail_from_aws, access_detail_to_aws
from orgaccess.engine.report import AccessDetail, Report, build_report
from orgaccess.engine.sorting import SortKey, sort_details
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.ids import EntityId, EntityPath, OuId, PolicyId
from orgaccess.model.organization import (
    FULL_AWS_ACCESS_ID,
    Organization,
    OrganizationalUnit,
    Policy,
)
from orgaccess.model.policy import PolicyDocument, parse_policy_document
from orgaccess.strategies import access_events, entity_paths, organizations, scp_documents

CATALOG: ServiceCatalog = make_small_catalog()
CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WINDOW_START = CREATED - timedelta(days=400)
RULE = settings(max_examples=40, deadline=None)
REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")

#: Organizations with SCPs enabled and room for one more SCP on every entity.
ORGS = organizations(catalog=CATALOG, scps_enabled=True, max_ous=5, max_scps_per_target=4)


def events_of(org: Organization, **kwargs: Any) -> st.SearchStrategy[list[AccessEvent]]:
    return access_events(
        org, start=WINDOW_START, end=CREATED, catalog=CATALOG, max_size=15, **kwargs
    )


def report(
    org: Organization,
    events: list[AccessEvent],
    path: EntityPath | str,
    policy_id: str | None = None,
) -> Report:
    return build_report(
        org,
        ActivityIndex(events, keep_history=True),
        path,
        created=CREATED,
        policy_id=policy_id,
        catalog=CATALOG,
    )


def rows(rep: Report) -> list[dict[str, Any]]:
    return [access_detail_to_aws(d) for d in rep.details]


def policy(policy_id: str, document: PolicyDocument | dict[str, Any]) -> Policy:
    doc = (
        document
        if isinstance(document, PolicyDocument)
        else parse_policy_document(json.dumps(document))
    )
    return Policy(id=policy_id, name=policy_id, document=doc)


ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# Generated custom policy ids are lower case: these cannot collide with them.
ADDED = "p-AddedByTheRule"
SECOND = "p-SecondHalfOfIt"


def non_management_paths(org: Organization) -> st.SearchStrategy[EntityPath]:
    return entity_paths(org, include_management=False)


# --------------------------------------------------------------------------- SCP rules


@pytest.mark.rule("R-ALLOW-2")
@RULE
@given(st.data())
def test_a_deny_added_anywhere_on_the_path_never_adds_a_service(data: st.DataObject) -> None:
    """Adding a Deny-only SCP at any level of a path can only remove services (rows unchanged)."""
    org = data.draw(ORGS)
    path = data.draw(entity_paths(org))
    level = data.draw(st.sampled_from(path.entities))
    deny = data.draw(scp_documents(catalog=CATALOG, effects=("Deny",)))
    events = data.draw(events_of(org))
    before = report(org, events, path)
    after_org = org.with_policy(policy(ADDED, deny)).with_attachment(ADDED, level)
    after = report(after_org, events, path)
    assert set(after.namespaces) <= set(before.namespaces)
    kept = {d.service_namespace: d for d in before.details}
    assert [kept[d.service_namespace] for d in after.details] == list(after.details)


@RULE
@given(st.data())
def test_an_allow_all_added_where_all_is_allowed_changes_nothing(data: st.DataObject) -> None:
    """A second Allow-all at a level that already has FullAWSAccess changes no report."""
    org = data.draw(ORGS)
    path = data.draw(entity_paths(org))
    level = data.draw(st.sampled_from(path.entities))
    events = data.draw(events_of(org))
    allows_all = org.with_attachment(FULL_AWS_ACCESS_ID, level)
    if len(allows_all.scp_ids_attached(level)) == 5:  # make room: drop one custom SCP
        drop = min(p for p in allows_all.scp_ids_attached(level) if p != FULL_AWS_ACCESS_ID)
        allows_all = allows_all.without_attachment(drop, level)
    before = report(allows_all, events, path)
    after_org = allows_all.with_policy(policy(ADDED, ALLOW_ALL)).with_attachment(ADDED, level)
    assert report(after_org, events, path).details == before.details


@RULE
@given(st.data())
def test_splitting_an_scp_in_two_at_the_same_level_changes_nothing(data: st.DataObject) -> None:
    """P's statements split over two SCPs attached where P was: every report below is the same."""
    org = data.draw(ORGS)
    pairs = sorted((p, t) for p, t in org.attachments if org.policy(p).is_scp)
    policy_id, target = data.draw(st.sampled_from(pairs))
    statements = [s.to_json() for s in org.policy(policy_id).document.statements]
    cut = data.draw(st.integers(1, max(1, len(statements) - 1)))
    first, second = statements[:cut], statements[cut:] or statements
    split = org.evolve(
        policies=(
            *org.policies,
            policy(ADDED, {"Version": "2012-10-17", "Statement": first}),
            policy(SECOND, {"Version": "2012-10-17", "Statement": second}),
        ),
        attachments=(org.attachments - {(policy_id, target)})
        | {(PolicyId(ADDED), target), (PolicyId(SECOND), target)},
    )
    below = [org.path_of(e) for e in (target, *org.descendants(target))]
    path = data.draw(st.sampled_from(below))
    events = data.draw(events_of(org))
    assert rows(report(split, events, path)) == rows(report(org, events, path))


@RULE
@given(st.data())
def test_full_aws_access_as_every_namespace_changes_nothing(data: st.DataObject) -> None:
    """FullAWSAccess replaced everywhere by Allow ``ns:*`` for each catalog namespace."""
    org = data.draw(ORGS)
    explicit = policy(
        ADDED,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [f"{ns}:*" for ns in CATALOG.sorted_namespaces()],
                    "Resource": "*",
                }
            ],
        },
    )
    replaced = org.evolve(
        policies=(*org.policies, explicit),
        attachments={
            (PolicyId(ADDED) if p == FULL_AWS_ACCESS_ID else p, t) for p, t in org.attachments
        },
    )
    path = data.draw(entity_paths(org))
    policy_id = data.draw(st.none() | st.sampled_from([str(p.id) for p in org.scps]))
    new_policy_id = ADDED if policy_id == FULL_AWS_ACCESS_ID else policy_id
    events = data.draw(events_of(org))
    assert rows(report(replaced, events, path, new_policy_id)) == rows(
        report(org, events, path, policy_id)
    )


# --------------------------------------------------------------------------- the tree


def _ou_id(org: Organization, tail: str) -> OuId:
    return OuId(f"ou-{str(org.root.id).split('-', 1)[1]}-{tail}")


def _add_ou(
    org: Organization, ou: OuId, parent: EntityId, scps: frozenset[PolicyId]
) -> Organization:
    return org.evolve(
        organizational_units=(
            *org.organizational_units,
            OrganizationalUnit(id=ou, parent_id=parent, name=str(ou)),
        ),
        attachments=org.attachments | {(p, ou) for p in scps},
    )


def _move(org: Organization, account: str, parent: EntityId) -> Organization:
    return org.evolve(
        accounts=tuple(
            attrs.evolve(a, parent_id=parent) if a.id == account else a for a in org.accounts
        )
    )


@RULE
@given(st.data())
def test_moving_an_account_between_ous_with_identical_scp_chains(data: st.DataObject) -> None:
    """An account moved to an OU whose SCP chain equals its old one keeps its report.

    The OUs from some level down are replicated (same SCPs at each level)
    beside the originals; only the EntityPath values, which name the new
    path, differ.
    """
    org = data.draw(organizations(catalog=CATALOG, scps_enabled=True, max_ous=4))
    account = data.draw(st.sampled_from([a.id for a in org.accounts]))
    if not org.path_of(account).ou_ids:  # under the root: first move it into a new OU
        source = _ou_id(org, "sourceou00")
        scps = data.draw(
            st.lists(st.sampled_from([p.id for p in org.scps]), min_size=1, max_size=4, unique=True)
        )
        org = _move(_add_ou(org, source, org.root.id, frozenset(scps)), account, source)
    chain = org.path_of(account).ou_ids
    shared = data.draw(st.integers(0, len(chain) - 1))
    parent: EntityId = chain[shared - 1] if shared else org.root.id
    for i, original in enumerate(chain[shared:]):
        replica = _ou_id(org, f"replica{i:02d}")
        org = _add_ou(org, replica, parent, org.scp_ids_attached(original))
        parent = replica
    moved = _move(org, account, parent)
    policy_id = data.draw(st.none() | st.sampled_from([str(p.id) for p in org.scps]))
    events = data.draw(events_of(org))
    old_path, new_path = str(org.path_of(account)), str(moved.path_of(account))
    before = [
        {k: (new_path if k == "EntityPath" and v == old_path else v) for k, v in row.items()}
        for row in rows(report(org, events, old_path, policy_id))
    ]
    assert rows(report(moved, events, new_path, policy_id)) == before


# --------------------------------------------------------------------------- whose activity


@pytest.mark.rule("R-MGMT-1", "R-MGMT-3")
@RULE
@given(st.data())
def test_the_management_account_lists_the_catalog_whatever_the_policy_id(
    data: st.DataObject,
) -> None:
    """Management account: every catalog service, whatever the SCPs; any policy id ignored."""
    org = data.draw(organizations(catalog=CATALOG, scps_enabled=True, max_other_policies=1))
    events = data.draw(events_of(org, outside_accounts=True))
    path = org.path_of(org.management_account_id)
    plain = report(org, events, path)
    assert plain.namespaces == CATALOG.sorted_namespaces()
    assert plain.counted_accounts == {org.management_account_id}
    policy_id = data.draw(
        st.sampled_from([str(p.id) for p in org.policies] + ["p-unknown0000", "p-Nothing_Here"])
    )
    assert report(org, events, path, policy_id).details == plain.details


@pytest.mark.rule("R-ROOT-2", "R-ROW-4")
@RULE
@given(st.data())
def test_root_totals_count_non_management_accounts_with_an_attempt(data: st.DataObject) -> None:
    """Root report: TotalAuthenticatedEntities = member accounts with an attempt in the window."""
    org = data.draw(ORGS)
    events = data.draw(
        access_events(
            org,
            start=WINDOW_START - timedelta(days=30),
            end=CREATED + timedelta(days=30),
            catalog=CATALOG,
            max_size=30,
            outside_accounts=True,
        )
    )
    members = {a.id for a in org.accounts} - {org.management_account_id}
    rep = report(org, events, org.path_of(org.root.id))
    for detail in rep.details:
        attempts = {
            e.account_id
            for e in events
            if e.account_id in members
            and e.service_namespace == detail.service_namespace
            and WINDOW_START <= e.time <= CREATED
        }
        assert detail.total_authenticated_entities == len(attempts), detail


# --------------------------------------------------------------------------- sorting and paging


@RULE
@given(st.data())
def test_every_sort_key_permutes_the_rows_and_descending_reverses(data: st.DataObject) -> None:
    """Each SortKey yields the same rows in some order; each descending = reversed ascending."""
    org = data.draw(ORGS)
    path = data.draw(entity_paths(org))
    events = data.draw(events_of(org))
    details = report(org, events, path).details
    by_key = {key: sort_details(details, key) for key in SortKey}
    for ordered in by_key.values():
        assert sorted(ordered, key=lambda d: d.service_namespace) == list(details)
    for name in ("SERVICE_NAMESPACE", "LAST_AUTHENTICATED_TIME"):
        ascending = by_key[SortKey(f"{name}_ASCENDING")]
        assert by_key[SortKey(f"{name}_DESCENDING")] == tuple(reversed(ascending))
    times = [
        (d.last_authenticated_time is not None, d.last_authenticated_time or CREATED)
        for d in by_key[SortKey.LAST_AUTHENTICATED_TIME_ASCENDING]
    ]
    assert times == sorted(times)


@pytest.mark.rule("R-ROW-7")
@RULE
@given(
    st.data(),
    st.sampled_from([k.value for k in SortKey]),
    st.lists(st.integers(1, 1000), min_size=1, max_size=6)
    | st.lists(st.integers(1, 3), min_size=1),
)
def test_paging_with_any_max_items_yields_the_one_page_result(
    data: st.DataObject, sort_key: str, sizes: list[int]
) -> None:
    """Walking the pages (MaxItems may change on every page) == one page of MaxItems 1000."""
    org = data.draw(ORGS)
    path = str(data.draw(entity_paths(org)))
    client = ReportClient(org, data.draw(events_of(org)), clock=lambda: CREATED, catalog=CATALOG)
    job = client.generate_organizations_access_report(EntityPath=path)["JobId"]
    whole = client.get_organizations_access_report(JobId=job, SortKey=sort_key, MaxItems=1000)
    assert whole["IsTruncated"] is False
    walked: list[dict[str, Any]] = []
    request: dict[str, Any] = {"JobId": job, "SortKey": sort_key}
    for turn in range(len(whole["AccessDetails"]) + 1):
        page = client.get_organizations_access_report(**request, MaxItems=sizes[turn % len(sizes)])
        assert page["NumberOfServicesAccessible"] == whole["NumberOfServicesAccessible"]
        assert page["NumberOfServicesNotAccessed"] == whole["NumberOfServicesNotAccessed"]
        walked.extend(page["AccessDetails"])
        if not page["IsTruncated"]:
            break
        request["Marker"] = page["Marker"]
    assert walked == whole["AccessDetails"]


# --------------------------------------------------------------------------- activity


@RULE
@given(st.data())
def test_reports_ignore_event_order_duplicates_and_events_outside_the_window(
    data: st.DataObject,
) -> None:
    """Shuffled, repeated, and before-the-window or after-creation events change nothing."""
    org = data.draw(ORGS)
    path = data.draw(st.just(org.path_of(org.root.id)) | entity_paths(org))
    policy_id = data.draw(st.none() | st.sampled_from([str(p.id) for p in org.scps]))
    events = data.draw(events_of(org, outside_accounts=True))
    # Same account, service and instant from another region: only the tie rule decides.
    twins = data.draw(st.lists(st.sampled_from(events), max_size=10)) if events else []
    events += [attrs.evolve(e, region=data.draw(st.sampled_from(REGIONS))) for e in twins]
    shuffled = data.draw(st.permutations(events))
    repeated = data.draw(st.lists(st.sampled_from(events), max_size=5)) if events else []
    outside = data.draw(
        access_events(
            org,
            start=WINDOW_START - timedelta(days=100),
            end=WINDOW_START - timedelta(microseconds=1),
            catalog=CATALOG,
            max_size=5,
        )
    ) + data.draw(
        access_events(
            org,
            start=CREATED + timedelta(microseconds=1),
            end=CREATED + timedelta(days=100),
            catalog=CATALOG,
            max_size=5,
        )
    )
    changed = data.draw(st.permutations([*shuffled, *repeated, *outside]))
    before = report(org, events, path, policy_id)
    after = report(org, changed, path, policy_id)
    assert after.details == before.details
    assert after.counted_accounts == before.counted_accounts


# --------------------------------------------------------------------------- round trips


@RULE
@given(organizations(catalog=CATALOG, max_other_policies=2))
def test_snapshot_round_trip_is_lossless(org: Organization) -> None:
    """load_organization(to_snapshot(org)) == org, also through JSON text."""
    from orgaccess.formats.snapshot import load_organization, to_snapshot

    snapshot = to_snapshot(org)
    assert load_organization(snapshot) == org
    assert load_organization(json.loads(json.dumps(snapshot))) == org


def detail_from_aws(item: dict[str, Any]) -> AccessDetail:
    """An AccessDetail from the dict boto3 returns (absent members have no key)."""
    path = item.get("EntityPath")
    return AccessDetail(
        service_name=item["ServiceName"],
        service_namespace=item["ServiceNamespace"],
        region=item.get("Region"),
        entity_path=None if path is None else EntityPath.parse(path),
        last_authenticated_time=item.get("LastAuthenticatedTime"),
        total_authenticated_entities=item["TotalAuthenticatedEntities"],
    )


@RULE
@given(st.data())
def test_access_detail_aws_dict_round_trip_is_lossless(data: st.DataObject) -> None:
    """An AccessDetail survives its AWS dict (the test's own parse and the library's)."""
    org = data.draw(ORGS)
    path = data.draw(entity_paths(org))
    events = data.draw(events_of(org))
    for detail in report(org, events, path).details:
        aws = access_detail_to_aws(detail)
        assert detail_from_aws(aws) == detail
        assert access_detail_from_aws(aws) == detail
        assert (
            detail_from_aws(json.loads(json.dumps(aws, default=str), object_hook=_times)) == detail
        )


def _times(item: dict[str, Any]) -> dict[str, Any]:
    if "LastAuthenticatedTime" in item:
        item["LastAuthenticatedTime"] = datetime.fromisoformat(item["LastAuthenticatedTime"])
    return item


# --------------------------------------------------------------------------- generation cost


@settings(settings.get_profile("default"), max_examples=100)
@given(organizations(min_accounts=50, max_accounts=50))
def test_fifty_account_organizations_generate_within_default_deadline_and_health_checks(
    org: Organization,
) -> None:
    """Hypothesis' default settings (deadline, health checks) except max_examples=100.

    Based on the built-in "default" profile, so a loaded "ci" profile (which
    relaxes the deadline) does not weaken it. Uses the default catalog.
    """
    assert len(org.accounts) == 50
    assert org.path_of(org.management_account_id).account_id == org.management_account_id
