"""Tests for orgaccess.model.organization: the builder, the queries and the structural checks."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from orgaccess.errors import SnapshotError, UnknownEntityError, UnknownPolicyError
from orgaccess.model.ids import AccountId, EntityPath, OuId, PolicyId, RootId
from orgaccess.model.organization import (
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_ID,
    Account,
    Organization,
    OrganizationalUnit,
    OrganizationBuilder,
    Policy,
    Root,
)
from orgaccess.model.policy import parse_policy_document

ORG = "o-a1b2c3d4e5"
ROOT = "r-f6g7"
PROD = "ou-f6g7-aaaaaaaa"
PAYMENTS = "ou-f6g7-bbbbbbbb"
DEV = "ou-f6g7-cccccccc"
MGMT = "111111111111"
PAY_ACCOUNT = "222222222222"
PROD_ACCOUNT = "333333333333"
DEV_ACCOUNT = "444444444444"
DENY_S3 = "p-denys3delete"
DEV_ONLY = "p-devallowlist"
TAGS = "p-tagpolicy01"
DENY_S3_DOC = '{"Statement":{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}}'
DEV_DOC = {"Statement": [{"Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}]}


def builder() -> OrganizationBuilder:
    """root: management, Prod (Payments (payments account), prod account), Dev (dev account)."""
    b = OrganizationBuilder(organization_id=ORG, root_id=ROOT, management_account_id=MGMT)
    b.add_policy(DENY_S3, DENY_S3_DOC, name="DenyS3Delete", targets=[PROD])
    b.add_policy(DEV_ONLY, DEV_DOC, name="DevAllowList")
    b.add_ou(PROD, parent=ROOT, name="Prod")
    b.add_ou(PAYMENTS, parent=PROD, name="Payments")
    b.add_ou(DEV, parent=ROOT, name="Dev", scps=[DEV_ONLY])
    b.add_account(MGMT, parent=ROOT, name="management", email="mgmt@example.com")
    b.add_account(PAY_ACCOUNT, parent=PAYMENTS, name="payments")
    b.add_account(PROD_ACCOUNT, parent=PROD, name="prod")
    b.add_account(DEV_ACCOUNT, parent=DEV, name="dev")
    return b


@pytest.fixture(scope="module")
def org() -> Organization:
    return builder().build()


def path(*parts: str) -> EntityPath:
    return EntityPath.parse("/".join([ORG, ROOT, *parts]))


# -- builder ----------------------------------------------------------------------------


def test_builder_attaches_full_aws_access_to_every_entity_by_default(org: Organization) -> None:
    expected = {
        RootId(ROOT),
        OuId(PROD),
        OuId(PAYMENTS),
        AccountId(MGMT),
        AccountId(PAY_ACCOUNT),
        AccountId(PROD_ACCOUNT),
        AccountId(DEV_ACCOUNT),
    }
    assert expected == org.targets_of(FULL_AWS_ACCESS_ID)


def test_builder_scps_argument_replaces_the_default(org: Organization) -> None:
    assert frozenset({PolicyId(DEV_ONLY)}) == org.scp_ids_attached(DEV)


def test_builder_keeps_entities_and_policies_sorted_by_id(org: Organization) -> None:
    assert sorted([DEV, PROD, PAYMENTS]) == [o.id for o in org.organizational_units]
    assert [a.id for a in org.accounts] == [MGMT, PAY_ACCOUNT, PROD_ACCOUNT, DEV_ACCOUNT]
    assert sorted([str(FULL_AWS_ACCESS_ID), DENY_S3, DEV_ONLY]) == [p.id for p in org.policies]


def test_builder_records_names_email_and_policy_fields(org: Organization) -> None:
    assert org.entity(PAYMENTS).name == "Payments"
    assert org.account(MGMT).email == "mgmt@example.com"
    policy = org.policy(DENY_S3)
    assert (policy.name, policy.aws_managed, policy.is_scp) == ("DenyS3Delete", False, True)
    assert policy.content == DENY_S3_DOC


def test_builder_leaves_out_full_aws_access_when_nothing_uses_it() -> None:
    b = OrganizationBuilder(
        organization_id=ORG,
        root_id=ROOT,
        management_account_id=MGMT,
        default_scps=[DEV_ONLY],
    )
    b.add_policy(DEV_ONLY, DEV_DOC)
    b.add_account(MGMT, parent=ROOT)
    built = b.build()
    assert [PolicyId(DEV_ONLY)] == [p.id for p in built.policies]
    assert built.account(MGMT).name == MGMT


def test_builder_with_scps_disabled_attaches_nothing() -> None:
    b = OrganizationBuilder(
        organization_id=ORG, root_id=ROOT, management_account_id=MGMT, scp_enabled=False
    )
    b.add_ou(PROD, parent=ROOT)
    b.add_account(MGMT, parent=PROD)
    built = b.build()
    assert not built.scp_enabled
    assert frozenset() == built.attachments
    assert built.policies == ()


def test_builder_detach_and_set_scps() -> None:
    b = builder()
    b.detach(DENY_S3, PROD)
    b.set_scps(DEV_ACCOUNT, [DEV_ONLY, str(FULL_AWS_ACCESS_ID)])
    built = b.build()
    assert frozenset() == built.targets_of(DENY_S3)
    assert {PolicyId(DEV_ONLY), FULL_AWS_ACCESS_ID} == built.scp_ids_attached(DEV_ACCOUNT)


def test_builder_accepts_a_parsed_document_and_another_policy_type() -> None:
    b = builder()
    b.add_policy(TAGS, parse_policy_document(DENY_S3_DOC), type="TAG_POLICY", targets=[ROOT])
    built = b.build()
    assert not built.policy(TAGS).is_scp
    assert PolicyId(TAGS) not in built.scp_ids_attached(ROOT)
    assert frozenset({RootId(ROOT)}) == built.targets_of(TAGS)
    assert PolicyId(TAGS) not in {p.id for p in built.scps}


def test_builder_rejects_invalid_ids_at_once() -> None:
    with pytest.raises(ValueError, match="'ou-bad' is not a valid ou id"):
        builder().add_ou("ou-bad", parent=ROOT)


# -- lookups ----------------------------------------------------------------------------


def test_management_account(org: Organization) -> None:
    assert AccountId(MGMT) == org.management_account.id
    assert org.is_management_account(MGMT)
    assert not org.is_management_account(PAY_ACCOUNT)


def test_entity_account_and_policy_lookups_reject_unknown_ids(org: Organization) -> None:
    with pytest.raises(UnknownEntityError, match="'999999999999' is not the root, an OU"):
        org.entity("999999999999")
    with pytest.raises(UnknownEntityError, match=f"'{PROD}' is not an account of"):
        org.account(PROD)
    with pytest.raises(UnknownPolicyError, match="policy 'p-nothere00' does not exist"):
        org.policy("p-nothere00")
    assert not org.has_entity("999999999999")
    assert org.has_entity(PROD)
    assert org.has_policy(DENY_S3)
    assert not org.has_policy("p-nothere00")


# -- the tree ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity_id", "expected"),
    [
        (ROOT, f"{ORG}/{ROOT}"),
        (PAYMENTS, f"{ORG}/{ROOT}/{PROD}/{PAYMENTS}"),
        (MGMT, f"{ORG}/{ROOT}/{MGMT}"),
        (PAY_ACCOUNT, f"{ORG}/{ROOT}/{PROD}/{PAYMENTS}/{PAY_ACCOUNT}"),
    ],
)
def test_path_of_gives_the_entity_path(org: Organization, entity_id: str, expected: str) -> None:
    assert expected == str(org.path_of(entity_id))


def test_path_of_unknown_id_is_rejected(org: Organization) -> None:
    with pytest.raises(UnknownEntityError):
        org.path_of("ou-f6g7-zzzzzzzz")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{ORG}/{ROOT}", RootId(ROOT)),
        (f"{ORG}/{ROOT}/{PROD}/{PAYMENTS}", OuId(PAYMENTS)),
        (f"{ORG}/{ROOT}/{PROD}/{PAYMENTS}/{PAY_ACCOUNT}", AccountId(PAY_ACCOUNT)),
    ],
)
def test_resolve_gives_the_id_a_path_ends_at(org: Organization, text: str, expected: str) -> None:
    assert expected == org.resolve(text)
    assert expected == org.resolve(EntityPath.parse(text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{ORG}/{ROOT}/{PAYMENTS}", "does not exist in organization"),
        (f"{ORG}/{ROOT}/{DEV}/{PAY_ACCOUNT}", "does not exist in organization"),
        (f"{ORG}/{ROOT}/{PROD}/{PAY_ACCOUNT}", "does not exist in organization"),
        (f"{ORG}/{ROOT}/999999999999", "does not exist in organization"),
        (f"{ORG}/r-zzzz/{PROD}", "does not exist in organization"),
        (f"o-zzzzzzzzzz/{ROOT}/{PROD}", "names organization o-zzzzzzzzzz, not o-a1b2c3d4e5"),
    ],
)
def test_resolve_rejects_wrong_parent_chain_other_org_and_unknown_ids(
    org: Organization, text: str, message: str
) -> None:
    with pytest.raises(UnknownEntityError, match=message):
        org.resolve(text)


def test_resolve_rejects_malformed_text(org: Organization) -> None:
    with pytest.raises(ValueError, match="trailing '/'"):
        org.resolve(f"{ORG}/{ROOT}/")


def test_parent_chain_runs_from_the_root_to_the_entity(org: Organization) -> None:
    expected = (RootId(ROOT), OuId(PROD), OuId(PAYMENTS), AccountId(PAY_ACCOUNT))
    assert expected == org.parent_chain(PAY_ACCOUNT)
    assert (RootId(ROOT),) == org.parent_chain(ROOT)


def test_parent_of(org: Organization) -> None:
    assert OuId(PAYMENTS) == org.parent_of(PAY_ACCOUNT)
    assert RootId(ROOT) == org.parent_of(PROD)
    assert org.parent_of(ROOT) is None


def test_children_of_lists_direct_children_by_id(org: Organization) -> None:
    assert (AccountId(MGMT), OuId(PROD), OuId(DEV)) == org.children_of(ROOT)
    assert (AccountId(PROD_ACCOUNT), OuId(PAYMENTS)) == org.children_of(PROD)
    assert org.children_of(PAY_ACCOUNT) == ()


def test_accounts_in_lists_the_subtree_accounts(org: Organization) -> None:
    assert org.accounts_in(ROOT) == (MGMT, PAY_ACCOUNT, PROD_ACCOUNT, DEV_ACCOUNT)
    assert org.accounts_in(PROD) == (PAY_ACCOUNT, PROD_ACCOUNT)
    assert org.accounts_in(DEV_ACCOUNT) == (DEV_ACCOUNT,)


def test_descendants_lists_everything_strictly_below(org: Organization) -> None:
    assert (AccountId(PAY_ACCOUNT), AccountId(PROD_ACCOUNT), OuId(PAYMENTS)) == org.descendants(
        PROD
    )
    assert org.descendants(DEV_ACCOUNT) == ()
    assert len(org.descendants(ROOT)) == 7


# -- policies ---------------------------------------------------------------------------


def test_scps_attached_lists_direct_attachments_by_id(org: Organization) -> None:
    assert [FULL_AWS_ACCESS_ID, PolicyId(DENY_S3)] == [p.id for p in org.scps_attached(PROD)]
    assert [p.id for p in org.scps_attached(PAY_ACCOUNT)] == [FULL_AWS_ACCESS_ID]


def test_scps_in_force_lists_each_level_root_first(org: Organization) -> None:
    expected = [
        (RootId(ROOT), [FULL_AWS_ACCESS_ID]),
        (OuId(PROD), [FULL_AWS_ACCESS_ID, PolicyId(DENY_S3)]),
        (OuId(PAYMENTS), [FULL_AWS_ACCESS_ID]),
        (AccountId(PAY_ACCOUNT), [FULL_AWS_ACCESS_ID]),
    ]
    by_id = [(level, [p.id for p in scps]) for level, scps in org.scps_in_force(PAY_ACCOUNT)]
    by_path = [
        (level, [p.id for p in scps])
        for level, scps in org.scps_in_force(path(PROD, PAYMENTS, PAY_ACCOUNT))
    ]
    assert expected == by_id
    assert expected == by_path


def test_scps_in_force_rejects_a_path_with_a_wrong_parent_chain(org: Organization) -> None:
    with pytest.raises(UnknownEntityError):
        org.scps_in_force(path(DEV, PAY_ACCOUNT))


def test_targets_of_lists_where_a_policy_is_attached(org: Organization) -> None:
    assert frozenset({OuId(PROD)}) == org.targets_of(DENY_S3)
    with pytest.raises(UnknownPolicyError):
        org.targets_of("p-nothere00")


def test_with_attachment_returns_a_new_organization(org: Organization) -> None:
    changed = org.with_attachment(DENY_S3, DEV_ACCOUNT)
    assert PolicyId(DENY_S3) in changed.scp_ids_attached(DEV_ACCOUNT)
    assert PolicyId(DENY_S3) not in org.scp_ids_attached(DEV_ACCOUNT)
    assert org != changed


def test_without_attachment_returns_a_new_organization(org: Organization) -> None:
    changed = org.without_attachment(DENY_S3, PROD)
    assert frozenset() == changed.targets_of(DENY_S3)
    assert org == changed.with_attachment(DENY_S3, PROD)


def test_without_the_last_scp_is_rejected(org: Organization) -> None:
    with pytest.raises(SnapshotError) as info:
        org.without_attachment(DEV_ONLY, DEV)
    assert [f"ou {DEV}"] == [p.location for p in info.value.problems]
    assert "has no SCP attached while SCPs are enabled" in info.value.problems[0].message


def test_with_a_sixth_scp_is_rejected(org: Organization) -> None:
    changed = org
    for n in range(3):
        policy_id = f"p-extra0000{n}"
        changed = changed.with_policy(
            Policy(id=policy_id, name=policy_id, document=parse_policy_document(DENY_S3_DOC))
        ).with_attachment(policy_id, PROD)
    assert len(changed.scps_attached(PROD)) == 5
    with pytest.raises(SnapshotError, match="has 6 SCPs attached; AWS allows at most 5"):
        changed.with_attachment(DEV_ONLY, PROD)


def test_with_policy_replaces_a_policy_of_the_same_id(org: Organization) -> None:
    renamed = attrs.evolve(org.policy(DENY_S3), name="Renamed")
    assert org.with_policy(renamed).policy(DENY_S3).name == "Renamed"


# -- equality ----------------------------------------------------------------------------


def test_organizations_are_equal_whatever_order_they_were_given_in(org: Organization) -> None:
    shuffled = Organization(
        id=org.id,
        management_account_id=org.management_account_id,
        root=org.root,
        organizational_units=tuple(reversed(org.organizational_units)),
        accounts=tuple(reversed(org.accounts)),
        policies=tuple(reversed(org.policies)),
        attachments=org.attachments,
    )
    assert org == shuffled
    assert hash(org) == hash(shuffled)


def test_repr_counts_the_parts(org: Organization) -> None:
    assert f"<Organization {ORG}: 3 OUs, 4 accounts, 3 policies>" == repr(org)


# -- structural problems -----------------------------------------------------------------


def _fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": ORG,
        "management_account_id": MGMT,
        "root": Root(id=ROOT),
        "organizational_units": (OrganizationalUnit(id=PROD, parent_id=ROOT),),
        "accounts": (Account(id=MGMT, parent_id=ROOT),),
        "policies": (FULL_AWS_ACCESS,),
        "attachments": frozenset(
            (FULL_AWS_ACCESS_ID, t) for t in (RootId(ROOT), OuId(PROD), AccountId(MGMT))
        ),
    }
    fields.update(changes)
    return fields


def test_organization_itself_reports_every_structural_problem_at_once() -> None:
    ous = [OrganizationalUnit(id=f"ou-f6g7-{c * 8}", parent_id=ROOT) for c in "a"]
    chain = [f"ou-f6g7-deep000{n}" for n in range(6)]
    ous += [
        OrganizationalUnit(id=chain[n], parent_id=chain[n - 1] if n else ROOT) for n in range(6)
    ]
    ous += [
        OrganizationalUnit(id="ou-f6g7-cycle001", parent_id="ou-f6g7-cycle002"),
        OrganizationalUnit(id="ou-f6g7-cycle002", parent_id="ou-f6g7-cycle001"),
        OrganizationalUnit(id="ou-f6g7-orphan01", parent_id="ou-f6g7-nothere1"),
        OrganizationalUnit(id=PROD, parent_id=ROOT),
    ]
    accounts = [
        Account(id=PAY_ACCOUNT, parent_id=ROOT),
        Account(id=PROD_ACCOUNT, parent_id=PAY_ACCOUNT),
    ]
    extra = [
        Policy(id=f"p-extra0000{n}", name="x", document=FULL_AWS_ACCESS.document) for n in range(5)
    ]
    everything = [ROOT, PROD, *chain, "ou-f6g7-cycle001", "ou-f6g7-cycle002", "ou-f6g7-orphan01"]
    attachments: set[tuple[str, str]] = {(FULL_AWS_ACCESS_ID, t) for t in everything}
    attachments |= {(p.id, PROD) for p in extra}
    attachments |= {(FULL_AWS_ACCESS_ID, "999999999999"), ("p-nothere00", ROOT)}
    fields = _fields(
        organizational_units=tuple(ous),
        accounts=tuple(accounts),
        policies=(FULL_AWS_ACCESS, *extra),
        attachments=attachments,
    )
    with pytest.raises(SnapshotError) as info:
        Organization(**fields)
    unreachable = "is not reachable from the root (a cycle of parents, or below an OU that is)"
    no_scp = (
        "has no SCP attached while SCPs are enabled (AWS keeps at least one on every root, "
        "OU and account)"
    )
    expected = sorted(
        [
            (f"ou {PROD}", f"duplicate id {PROD}"),
            ("ou ou-f6g7-orphan01", "parent ou-f6g7-nothere1 of ou-f6g7-orphan01 does not exist"),
            (f"account {PROD_ACCOUNT}", f"parent {PAY_ACCOUNT} of {PROD_ACCOUNT} is an account"),
            (
                "ou ou-f6g7-deep0005",
                "OU ou-f6g7-deep0005 is nested more than 5 levels below the root",
            ),
            (
                "ou ou-f6g7-cycle001",
                f"ou-f6g7-cycle001 {unreachable}",
            ),
            (
                "ou ou-f6g7-cycle002",
                f"ou-f6g7-cycle002 {unreachable}",
            ),
            (f"organization {ORG}", f"management account {MGMT} is not one of the accounts"),
            (
                "attachment p-FullAWSAccess->999999999999",
                "policy p-FullAWSAccess is attached to unknown target 999999999999",
            ),
            (
                "attachment p-nothere00->r-f6g7",
                "policy p-nothere00 is attached to r-f6g7 but is not one of the policies",
            ),
            ("ou ou-f6g7-aaaaaaaa", "ou-f6g7-aaaaaaaa has 6 SCPs attached; AWS allows at most 5"),
            (
                f"account {PAY_ACCOUNT}",
                f"{PAY_ACCOUNT} {no_scp}",
            ),
            (
                f"account {PROD_ACCOUNT}",
                f"{PROD_ACCOUNT} {no_scp}",
            ),
        ]
    )
    assert expected == sorted((p.location, p.message) for p in info.value.problems)
    assert str(info.value).startswith("12 problems found:\n")


def test_no_scp_is_required_while_scps_are_disabled() -> None:
    built = Organization(**_fields(root=Root(id=ROOT, scp_enabled=False), attachments=frozenset()))
    assert not built.scp_enabled
    assert built.scps_attached(ROOT) == ()


def test_checked_returns_the_problems_at_the_locations_given() -> None:
    fields = _fields(management_account_id=PAY_ACCOUNT)
    org, problems = Organization.checked(locate=lambda kind, ident: f"<{kind}:{ident}>", **fields)
    assert org is None
    expected = (
        f"<organization:{ORG}>",
        f"management account {PAY_ACCOUNT} is not one of the accounts",
    )
    assert [expected] == [(p.location, p.message) for p in problems]


def test_checked_returns_the_organization_when_it_is_sound() -> None:
    org, problems = Organization.checked(locate=lambda kind, ident: "never", **_fields())
    assert problems == ()
    assert org == Organization(**_fields())


def test_checked_locator_does_not_leak_into_later_constructions() -> None:
    Organization.checked(
        locate=lambda kind, ident: "custom", **_fields(management_account_id=PAY_ACCOUNT)
    )
    with pytest.raises(SnapshotError) as info:
        Organization(**_fields(management_account_id=PAY_ACCOUNT))
    assert [f"organization {ORG}"] == [p.location for p in info.value.problems]
