"""Tests for orgaccess.model.ids: the id grammar and entity paths (semantics.md section 1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgaccess.errors import InvalidEntityPathError, InvalidIdError, OrgAccessError
from orgaccess.model.ids import (
    ENTITY_PATH_MAX_LENGTH,
    ENTITY_PATH_MIN_LENGTH,
    ID_PATTERNS,
    MAX_OU_DEPTH,
    AccountId,
    EntityKind,
    EntityPath,
    OrganizationId,
    OuId,
    PolicyId,
    RootId,
    parse_entity_id,
)

ORG = "o-a1b2c3d4e5"
ROOT = "r-f6g7"
OU1 = "ou-f6g7-aaaaaaaa"
OU2 = "ou-f6g7-bbbbbbbb"
OUS = [f"ou-f6g7-{c * 8}" for c in "abcdefg"]
ACCOUNT = "123456789012"

# -- ids ------------------------------------------------------------------------------

VALID_IDS = [
    (OrganizationId, "o-" + "a" * 10),
    (OrganizationId, "o-" + "0" * 32),
    (OrganizationId, "o-a1b2c3d4e5"),
    (RootId, "r-" + "a" * 4),
    (RootId, "r-" + "9" * 32),
    (RootId, "r-f6g7h8i9j0example"),
    (OuId, "ou-" + "a" * 4 + "-" + "b" * 8),
    (OuId, "ou-" + "0" * 32 + "-" + "1" * 32),
    (OuId, "ou-rge0-awsabcde"),
    (AccountId, "123456789012"),
    (AccountId, "000000000000"),
    (PolicyId, "p-" + "a" * 8),
    (PolicyId, "p-" + "Z" * 128),
    (PolicyId, "p-FullAWSAccess"),
    (PolicyId, "p-abc_DEF_123"),
]

INVALID_IDS = [
    (OrganizationId, "o-" + "a" * 9, "one short"),
    (OrganizationId, "o-" + "a" * 33, "one long"),
    (OrganizationId, "O-a1b2c3d4e5", "upper-case prefix"),
    (OrganizationId, "o-A1B2C3D4E5", "upper case"),
    (OrganizationId, "r-a1b2c3d4e5", "wrong prefix"),
    (OrganizationId, "o-a1b2c3d4e5\n", "trailing newline"),
    (OrganizationId, "", "empty"),
    (RootId, "r-" + "a" * 3, "one short"),
    (RootId, "r-" + "a" * 33, "one long"),
    (RootId, "r-ABCD", "upper case"),
    (RootId, "o-abcd", "wrong prefix"),
    (RootId, "r-ab_d", "underscore"),
    (RootId, "", "empty"),
    (OuId, "ou-" + "a" * 3 + "-" + "b" * 8, "root part one short"),
    (OuId, "ou-" + "a" * 33 + "-" + "b" * 8, "root part one long"),
    (OuId, "ou-" + "a" * 4 + "-" + "b" * 7, "own part one short"),
    (OuId, "ou-" + "a" * 4 + "-" + "b" * 33, "own part one long"),
    (OuId, "ou-f6g7-AAAAAAAA", "upper case"),
    (OuId, "ou-f6g7aaaaaaaa", "missing dash"),
    (OuId, "r-f6g7-aaaaaaaa", "wrong prefix"),
    (OuId, "", "empty"),
    (AccountId, "12345678901", "11 digits"),
    (AccountId, "1234567890123", "13 digits"),
    (AccountId, "١٢٣٤٥٦٧٨٩٠١٢", "Arabic-Indic digits"),
    (
        AccountId,
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12",
        "full-width digits",
    ),
    (AccountId, "12345678901a", "a letter"),
    (AccountId, "123456789012\n", "trailing newline"),
    (AccountId, "", "empty"),
    (PolicyId, "p-" + "a" * 7, "one short"),
    (PolicyId, "p-" + "a" * 129, "one long"),
    (PolicyId, "P-FullAWSAccess", "upper-case prefix"),
    (PolicyId, "p-Full-AWS-Access", "dashes"),
    (PolicyId, "", "empty"),
]


@pytest.mark.parametrize(("cls", "text"), VALID_IDS)
def test_valid_id_is_accepted_and_equals_its_text(cls: type[str], text: str) -> None:
    assert text == cls(text)
    assert cls.is_valid(text)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("cls", "text", "why"), INVALID_IDS)
def test_invalid_id_is_rejected_naming_the_value(cls: type[str], text: str, why: str) -> None:
    with pytest.raises(InvalidIdError) as info:
        cls(text)
    assert repr(text) in str(info.value), why
    assert not cls.is_valid(text)  # type: ignore[attr-defined]


def test_id_errors_are_value_errors_and_orgaccess_errors() -> None:
    with pytest.raises(ValueError, match="'nope' is not a valid account id") as info:
        AccountId("nope")
    assert isinstance(info.value, OrgAccessError)
    assert info.value.code == "ValidationError"


def test_non_string_id_is_rejected_naming_its_type() -> None:
    with pytest.raises(InvalidIdError, match="AccountId must be a string, got int 123456789012"):
        AccountId(123456789012)  # type: ignore[arg-type]


def test_id_repr_names_its_kind() -> None:
    assert repr(OuId(OU1)) == "OuId('ou-f6g7-aaaaaaaa')"


def test_id_patterns_table_has_every_kind() -> None:
    assert {"organization", "root", "ou", "account", "policy"} == set(ID_PATTERNS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(ROOT, RootId(ROOT)), (OU1, OuId(OU1)), (ACCOUNT, AccountId(ACCOUNT))],
)
def test_parse_entity_id_gives_the_matching_kind(text: str, expected: str) -> None:
    parsed = parse_entity_id(text)
    assert expected == parsed
    assert type(expected) is type(parsed)


@pytest.mark.parametrize("text", [ORG, "p-FullAWSAccess", "", "r-A"])
def test_parse_entity_id_rejects_non_entities(text: str) -> None:
    with pytest.raises(InvalidIdError, match="is not a root, OU or account id"):
        parse_entity_id(text)


# -- entity paths ----------------------------------------------------------------------

VALID_PATHS = [
    (f"{ORG}/{ROOT}", EntityKind.ROOT),
    (f"{ORG}/{ROOT}/{OU1}", EntityKind.OU),
    (f"{ORG}/{ROOT}/{ACCOUNT}", EntityKind.ACCOUNT),
    (f"{ORG}/{ROOT}/{OU1}/{OU2}/{ACCOUNT}", EntityKind.ACCOUNT),
    ("/".join([ORG, ROOT, *OUS[:5]]), EntityKind.OU),
    ("/".join([ORG, ROOT, *OUS[:5], ACCOUNT]), EntityKind.ACCOUNT),
]

INVALID_PATHS = [
    ("", "entity path is empty"),
    (ORG, "expected 'organization-id/root-id' at least"),
    (f"{ORG}/", "trailing '/'"),
    (f"{ORG}/{ROOT}/", "trailing '/'"),
    (f"{ORG}//{ROOT}", "empty segment"),
    (f"{ORG}/{ROOT}//{OU1}", "empty segment"),
    ("/".join([ORG, ROOT, *OUS[:6]]), "more than 5 OU levels below the root"),
    (f"{ORG}/{ROOT}/{ACCOUNT}/{OU1}", "nothing may follow an account id"),
    (f"{ORG}/{ROOT}/{ACCOUNT}/{ACCOUNT}", "nothing may follow an account id"),
    (f"{ROOT}/{ORG}", f"'{ROOT}' is not a valid organization id"),
    (f"{ORG}/{OU1}", f"'{OU1}' is not a valid root id"),
    (f"{ORG}/{ROOT}/{ROOT}", f"'{ROOT}' is neither an OU id nor an account id"),
    ("o-A1B2C3D4E5/r-f6g7", "'o-A1B2C3D4E5' is not a valid organization id"),
    (f"{ORG}/{ROOT}\n", "is not a valid root id"),
]


@pytest.mark.parametrize(("text", "kind"), VALID_PATHS)
def test_valid_entity_path_parses_and_prints_back(text: str, kind: EntityKind) -> None:
    path = EntityPath.parse(text)
    assert text == str(path)
    assert kind == path.kind
    assert ENTITY_PATH_MIN_LENGTH <= len(text) <= ENTITY_PATH_MAX_LENGTH


@pytest.mark.parametrize(("text", "reason"), INVALID_PATHS)
def test_invalid_entity_path_is_rejected_with_reason_and_value(text: str, reason: str) -> None:
    with pytest.raises(InvalidEntityPathError) as info:
        EntityPath.parse(text)
    assert reason in str(info.value)
    if text:  # the empty path's message says it is empty
        assert repr(text) in str(info.value)


def test_entity_path_error_is_a_value_error_and_an_id_error() -> None:
    with pytest.raises(ValueError, match="trailing '/'") as info:
        EntityPath.parse(f"{ORG}/")
    assert isinstance(info.value, InvalidIdError)
    assert isinstance(info.value, OrgAccessError)


def test_entity_path_error_points_at_the_bad_position() -> None:
    with pytest.raises(InvalidEntityPathError) as info:
        EntityPath.parse(f"{ORG}/{ROOT}/nope")
    expected_tail = f"  {ORG}/{ROOT}/nope\n  {' ' * 20}^"
    assert str(info.value).endswith(expected_tail)
    assert "at character 20" in str(info.value)


def test_entity_path_rejects_non_string() -> None:
    with pytest.raises(InvalidEntityPathError, match="must be a string, got int"):
        EntityPath.parse(42)  # type: ignore[arg-type]


def test_shortest_and_longest_entity_paths_are_at_the_length_limits() -> None:
    shortest = f"o-{'a' * 10}/r-{'b' * 4}"
    longest = "/".join(
        ["o-" + "a" * 32, "r-" + "b" * 32]
        + [f"ou-{'c' * 32}-{str(i) * 32}" for i in range(5)]
        + [ACCOUNT]
    )
    assert len(str(EntityPath.parse(shortest))) == ENTITY_PATH_MIN_LENGTH
    assert len(str(EntityPath.parse(longest))) == ENTITY_PATH_MAX_LENGTH


def test_constructor_rejects_more_than_five_ous() -> None:
    with pytest.raises(InvalidEntityPathError, match="has 6 OU levels; at most 5"):
        EntityPath(organization_id=ORG, root_id=ROOT, ou_ids=OUS[:6])


def test_constructor_validates_each_id() -> None:
    with pytest.raises(InvalidIdError, match="'ou-bad' is not a valid ou id"):
        EntityPath(organization_id=ORG, root_id=ROOT, ou_ids=["ou-bad"])


def test_entity_path_repr_says_what_it_is() -> None:
    assert f"<EntityPath('{ORG}/{ROOT}/{OU1}')>" == repr(EntityPath.parse(f"{ORG}/{ROOT}/{OU1}"))


def test_entity_paths_are_equal_and_hashable_by_value() -> None:
    a = EntityPath.parse(f"{ORG}/{ROOT}/{OU1}")
    b = EntityPath(organization_id=ORG, root_id=ROOT, ou_ids=(OU1,))
    assert a == b
    assert {a} == {b}


def test_parent_goes_one_level_up_and_root_has_none() -> None:
    account = EntityPath.parse(f"{ORG}/{ROOT}/{OU1}/{OU2}/{ACCOUNT}")
    assert EntityPath.parse(f"{ORG}/{ROOT}/{OU1}/{OU2}") == account.parent
    assert (
        EntityPath.parse(f"{ORG}/{ROOT}/{OU1}")
        == EntityPath.parse(f"{ORG}/{ROOT}/{OU1}/{OU2}").parent
    )
    assert EntityPath.parse(f"{ORG}/{ROOT}") == EntityPath.parse(f"{ORG}/{ROOT}/{OU1}").parent
    assert EntityPath.parse(f"{ORG}/{ROOT}").parent is None


def test_ancestors_list_every_proper_ancestor_root_first() -> None:
    path = EntityPath.parse(f"{ORG}/{ROOT}/{OU1}/{OU2}/{ACCOUNT}")
    expected = (
        EntityPath.parse(f"{ORG}/{ROOT}"),
        EntityPath.parse(f"{ORG}/{ROOT}/{OU1}"),
        EntityPath.parse(f"{ORG}/{ROOT}/{OU1}/{OU2}"),
    )
    assert expected == path.ancestors
    assert EntityPath.parse(f"{ORG}/{ROOT}").ancestors == ()


@pytest.mark.parametrize(
    ("text", "target", "ou_id"),
    [
        (f"{ORG}/{ROOT}", RootId(ROOT), None),
        (f"{ORG}/{ROOT}/{OU1}/{OU2}", OuId(OU2), OuId(OU2)),
        (f"{ORG}/{ROOT}/{OU1}/{ACCOUNT}", AccountId(ACCOUNT), None),
    ],
)
def test_target_is_the_last_id_and_ou_id_only_for_ou_paths(
    text: str, target: str, ou_id: str | None
) -> None:
    path = EntityPath.parse(text)
    assert target == path.target
    assert ou_id == path.ou_id


def test_entities_lists_tree_nodes_without_the_organization() -> None:
    path = EntityPath.parse(f"{ORG}/{ROOT}/{OU1}/{ACCOUNT}")
    assert (RootId(ROOT), OuId(OU1), AccountId(ACCOUNT)) == path.entities


def test_child_adds_an_ou_or_an_account() -> None:
    root = EntityPath.parse(f"{ORG}/{ROOT}")
    assert EntityPath.parse(f"{ORG}/{ROOT}/{OU1}") == root.child(OU1)
    assert EntityPath.parse(f"{ORG}/{ROOT}/{OU1}/{ACCOUNT}") == root.child(OU1).child(ACCOUNT)


def test_child_of_an_account_path_is_rejected() -> None:
    account = EntityPath.parse(f"{ORG}/{ROOT}/{ACCOUNT}")
    with pytest.raises(InvalidEntityPathError, match="ends at an account; it has no children"):
        account.child(OU1)


def test_child_beyond_five_ous_is_rejected() -> None:
    deepest = EntityPath.parse("/".join([ORG, ROOT, *OUS[:5]]))
    with pytest.raises(InvalidEntityPathError, match="has 6 OU levels"):
        deepest.child(OUS[5])


def test_child_that_is_not_an_ou_or_account_is_rejected() -> None:
    with pytest.raises(InvalidIdError, match="'r-f6g7' is not a valid account id"):
        EntityPath.parse(f"{ORG}/{ROOT}").child(ROOT)


def test_is_ancestor_of_is_strict_and_same_organization_only() -> None:
    root = EntityPath.parse(f"{ORG}/{ROOT}")
    ou = EntityPath.parse(f"{ORG}/{ROOT}/{OU1}")
    account = EntityPath.parse(f"{ORG}/{ROOT}/{OU1}/{ACCOUNT}")
    sibling = EntityPath.parse(f"{ORG}/{ROOT}/{OU2}/{ACCOUNT}")
    elsewhere = EntityPath.parse(f"o-zzzzzzzzzz/{ROOT}/{OU1}/{ACCOUNT}")
    assert root.is_ancestor_of(account)
    assert ou.is_ancestor_of(account)
    assert not ou.is_ancestor_of(ou)
    assert not account.is_ancestor_of(ou)
    assert not ou.is_ancestor_of(sibling)
    assert not root.is_ancestor_of(elsewhere)


# -- property: every valid path prints and parses back -----------------------------------


def _ids(pattern: str) -> st.SearchStrategy[str]:
    """Ids drawn from the one grammar table, ASCII only (``\\d`` means ``[0-9]`` here)."""
    return st.from_regex(pattern.replace(r"\d", "[0-9]"), fullmatch=True)


@st.composite
def entity_paths(draw: st.DrawFn) -> EntityPath:
    """Valid entity paths composed from the id patterns (never filtered)."""
    organization = draw(_ids(ID_PATTERNS["organization"]))
    root = draw(_ids(ID_PATTERNS["root"]))
    ous = draw(st.lists(_ids(ID_PATTERNS["ou"]), max_size=MAX_OU_DEPTH))
    account = draw(st.none() | _ids(ID_PATTERNS["account"]))
    return EntityPath(organization_id=organization, root_id=root, ou_ids=ous, account_id=account)


@given(entity_paths())
def test_parse_of_str_of_any_valid_path_is_that_path(path: EntityPath) -> None:
    text = str(path)
    assert path == EntityPath.parse(text)
    assert ENTITY_PATH_MIN_LENGTH <= len(text) <= ENTITY_PATH_MAX_LENGTH


@given(entity_paths())
def test_every_ancestor_of_a_valid_path_is_an_ancestor(path: EntityPath) -> None:
    for ancestor in path.ancestors:
        assert ancestor.is_ancestor_of(path)
    assert len(path.entities) - 1 == len(path.ancestors)
