"""Tests for orgaccess.model.policy: the SCP parser and action matching (aws-facts.md section 3)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgaccess.errors import OrgAccessError, PolicyDocumentError, Problem
from orgaccess.model.policy import (
    SCP_MAX_CHARACTERS,
    ActionPattern,
    Effect,
    PolicyDocument,
    Statement,
    parse_policy_document,
)

V = "2012-10-17"


def doc(*statements: dict[str, Any], version: str | None = V) -> str:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        body["Version"] = version
    return json.dumps(body)


def problems_of(source: str | dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(PolicyDocumentError) as info:
        parse_policy_document(source)
    return [(p.location, p.message) for p in info.value.problems]


def action(text: str) -> ActionPattern:
    parsed = parse_policy_document(doc({"Effect": "Allow", "Action": text}))
    actions = parsed.statements[0].actions
    assert actions is not None
    return actions[0]


# -- forms ----------------------------------------------------------------------------


def test_action_as_string_or_list_gives_the_same_document() -> None:
    as_string = parse_policy_document(doc({"Effect": "Allow", "Action": "s3:GetObject"}))
    as_list = parse_policy_document(doc({"Effect": "Allow", "Action": ["s3:GetObject"]}))
    assert as_string == as_list


def test_statement_as_object_or_list_of_one_gives_the_same_document() -> None:
    statement = {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}
    as_object = parse_policy_document(json.dumps({"Version": V, "Statement": statement}))
    assert parse_policy_document(doc(statement)) == as_object


def test_resource_as_string_or_list_gives_the_same_document() -> None:
    as_string = parse_policy_document(
        doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"})
    )
    as_list = parse_policy_document(
        doc({"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::b/*"]})
    )
    assert as_string == as_list


def test_sid_is_kept_and_labels_the_statement() -> None:
    parsed = parse_policy_document(doc({"Sid": "DenyLeave", "Effect": "Deny", "Action": "*"}))
    assert parsed.statements[0].sid == "DenyLeave"
    assert parsed.statements[0].label == "Statement[0] (DenyLeave)"


def test_statement_fields_are_parsed_into_the_model() -> None:
    parsed = parse_policy_document(
        doc(
            {"Effect": "Allow", "Action": "*"},
            {"Sid": "B", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*"},
        )
    )
    expected = (
        Statement(
            index=0,
            effect=Effect.ALLOW,
            actions=(ActionPattern(text="*", service=None, name="*"),),
        ),
        Statement(
            index=1,
            effect=Effect.DENY,
            sid="B",
            not_actions=(
                ActionPattern(text="iam:*", service="iam", name="*"),
                ActionPattern(text="sts:*", service="sts", name="*"),
            ),
        ),
    )
    assert expected == parsed.statements
    assert parsed.version == "2012-10-17"


def test_not_action_is_kept_apart_from_action() -> None:
    statement = parse_policy_document(
        doc({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})
    ).statements[0]
    assert statement.actions is None
    assert tuple(a.text for a in statement.not_actions or ()) == ("iam:*",)
    assert tuple(a.text for a in statement.action_patterns) == ("iam:*",)


def test_not_resource_replaces_resource() -> None:
    statement = parse_policy_document(
        doc({"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::keep/*"})
    ).statements[0]
    assert statement.resources is None
    assert statement.not_resources == ("arn:aws:s3:::keep/*",)
    assert not statement.resource_is_everything


def test_missing_resource_means_every_resource() -> None:
    statement = parse_policy_document(doc({"Effect": "Allow", "Action": "s3:*"})).statements[0]
    assert statement.resources == ("*",)
    assert statement.resource_is_everything


def test_condition_is_kept_and_written_back() -> None:
    condition = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}
    statement = parse_policy_document(
        doc({"Effect": "Deny", "NotAction": "iam:*", "Resource": "*", "Condition": condition})
    ).statements[0]
    assert statement.has_condition
    assert condition == statement.to_json()["Condition"]


def test_empty_condition_counts_as_none() -> None:
    statement = parse_policy_document(
        doc({"Effect": "Allow", "Action": "*", "Condition": {}})
    ).statements[0]
    assert not statement.has_condition


def test_version_may_be_absent_or_2008() -> None:
    assert (
        parse_policy_document(doc({"Effect": "Allow", "Action": "*"}, version=None)).version is None
    )
    assert (
        parse_policy_document(doc({"Effect": "Allow", "Action": "*"}, version="2008-10-17")).version
        == "2008-10-17"
    )


def test_mapping_source_is_parsed_and_its_compact_json_kept_as_text() -> None:
    source = {"Version": V, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    parsed = parse_policy_document(source)
    assert json.dumps(source, separators=(",", ":")) == parsed.text
    assert parse_policy_document(json.dumps(source)) == parsed


def test_text_is_kept_verbatim_but_not_compared() -> None:
    compact = '{"Statement":{"Effect":"Allow","Action":"*"}}'
    spaced = '{ "Statement" : { "Effect" : "Allow", "Action" : "*" } }'
    assert compact == parse_policy_document(compact).text
    assert parse_policy_document(compact) == parse_policy_document(spaced)


# -- rejections -----------------------------------------------------------------------


def test_principal_and_not_principal_are_rejected() -> None:
    source = doc(
        {"Effect": "Deny", "Action": "*", "Principal": "*"},
        {"Effect": "Deny", "Action": "*", "NotPrincipal": {"AWS": "*"}},
    )
    expected = [
        ("Statement[0].Principal", "Principal is not supported in SCPs"),
        ("Statement[1].NotPrincipal", "NotPrincipal is not supported in SCPs"),
    ]
    assert expected == problems_of(source)


def test_action_and_not_action_together_are_rejected() -> None:
    source = doc({"Effect": "Deny", "Action": "s3:*", "NotAction": "iam:*"})
    expected = [
        (
            "Statement[0]",
            "a statement needs exactly one of Action and NotAction (has Action, NotAction)",
        )
    ]
    assert expected == problems_of(source)


def test_neither_action_nor_not_action_is_rejected() -> None:
    expected = [("Statement[0]", "a statement needs exactly one of Action and NotAction")]
    assert expected == problems_of(doc({"Effect": "Allow", "Resource": "*"}))


def test_resource_and_not_resource_together_are_rejected() -> None:
    source = doc({"Effect": "Deny", "Action": "*", "Resource": "*", "NotResource": "*"})
    expected = [("Statement[0]", "a statement may not have both Resource and NotResource")]
    assert expected == problems_of(source)


@pytest.mark.parametrize("pattern", ["*:Describe*", "*:*", "s?:GetObject", "e*2:RunInstances"])
def test_wildcard_in_service_prefix_is_rejected_naming_statement_and_pattern(pattern: str) -> None:
    source = doc(
        {"Sid": "Ok", "Effect": "Allow", "Action": "s3:*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", pattern]},
    )
    expected = [
        ("Statement[1].Action[1]", f"{pattern!r}: Action vendors must not contain wildcards")
    ]
    assert expected == problems_of(source)


def test_wildcard_in_service_prefix_of_not_action_is_rejected_with_sid() -> None:
    source = doc({"Sid": "Guard", "Effect": "Deny", "NotAction": "*:Get*"})
    expected = [
        (
            "Statement[0] (Sid 'Guard').NotAction[0]",
            "'*:Get*': Action vendors must not contain wildcards",
        )
    ]
    assert expected == problems_of(source)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("s3", "'s3' is not '*' or 'service:action'"),
        ("s3:", "'s3:': invalid action name"),
        ("s3:Get Object", "'s3:Get Object': invalid action name"),
        ("s3:GetObject\n", "'s3:GetObject\\n': invalid action name"),
        ("s 3:GetObject", "'s 3:GetObject': invalid service prefix"),
    ],
)
def test_malformed_action_is_rejected(text: str, message: str) -> None:
    assert [("Statement[0].Action[0]", message)] == problems_of(
        doc({"Effect": "Allow", "Action": [text]})
    )


@pytest.mark.parametrize("effect", ["allow", "DENY", "Audit", None, 1])
def test_effect_other_than_allow_or_deny_is_rejected(effect: object) -> None:
    expected = [("Statement[0].Effect", f"Effect must be 'Allow' or 'Deny', got {effect!r}")]
    assert expected == problems_of(doc({"Effect": effect, "Action": "*"}))


def test_empty_action_list_is_rejected() -> None:
    expected = [("Statement[0].Action", "Action must be a string or a non-empty list")]
    assert expected == problems_of(doc({"Effect": "Allow", "Action": []}))


def test_empty_statement_list_is_rejected() -> None:
    expected = [("Statement", "Statement must be an object or a non-empty list")]
    assert expected == problems_of(json.dumps({"Version": V, "Statement": []}))


def test_unknown_elements_and_bad_version_are_rejected() -> None:
    source = json.dumps(
        {
            "Version": "2020-01-01",
            "Extra": 1,
            "Statement": {"Effect": "Allow", "Action": "*", "Foo": 2},
        }
    )
    expected = [
        ("Extra", "unknown top-level element 'Extra'"),
        ("Version", "Version must be one of ('2012-10-17', '2008-10-17'), got '2020-01-01'"),
        ("Statement.Foo", "unknown element 'Foo'"),
    ]
    assert expected == problems_of(source)


def test_several_problems_are_listed_together() -> None:
    source = doc(
        {"Effect": "Maybe", "Action": "*"},
        {"Effect": "Allow", "Action": "*:*"},
        {"Effect": "Deny", "Action": "*", "Principal": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject"},
    )
    expected = [
        ("Statement[0].Effect", "Effect must be 'Allow' or 'Deny', got 'Maybe'"),
        ("Statement[1].Action[0]", "'*:*': Action vendors must not contain wildcards"),
        ("Statement[2].Principal", "Principal is not supported in SCPs"),
    ]
    with pytest.raises(PolicyDocumentError) as info:
        parse_policy_document(source)
    assert expected == [(p.location, p.message) for p in info.value.problems]
    assert "; ".join(f"{loc}: {msg}" for loc, msg in expected) == str(info.value)


def test_name_prefixes_the_message() -> None:
    with pytest.raises(PolicyDocumentError, match=r"^policy p-12345678: Statement: "):
        parse_policy_document('{"Statement": []}', name="p-12345678")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "a policy document must be a JSON object"),
        ('"text"', "a policy document must be a JSON object"),
    ],
)
def test_text_that_is_not_a_json_object_is_rejected(source: str, message: str) -> None:
    with pytest.raises(PolicyDocumentError, match=message):
        parse_policy_document(source)


def test_source_of_another_type_is_rejected() -> None:
    with pytest.raises(
        PolicyDocumentError, match="expected policy JSON text or a mapping, got int"
    ):
        parse_policy_document(42)  # type: ignore[arg-type]


def test_policy_document_error_is_a_value_error_with_aws_code() -> None:
    with pytest.raises(ValueError, match="Statement must be an object") as info:
        parse_policy_document("{}")
    assert isinstance(info.value, OrgAccessError)
    assert info.value.code == "MalformedPolicyDocument"


# -- size -----------------------------------------------------------------------------


def _padded(length: int) -> str:
    text = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    return text[:-1] + " " * (length - len(text)) + "}"


def test_document_of_exactly_5120_characters_is_accepted() -> None:
    text = _padded(SCP_MAX_CHARACTERS)
    assert len(text) == 5120
    assert text == parse_policy_document(text).text


def test_document_of_5121_characters_is_rejected_whitespace_included() -> None:
    text = _padded(SCP_MAX_CHARACTERS + 1)
    with pytest.raises(
        PolicyDocumentError, match="document has 5121 characters; SCPs are limited to 5120"
    ) as info:
        parse_policy_document(text)
    assert info.value.problems == ()


def test_mapping_over_the_limit_even_when_compact_is_rejected() -> None:
    source = {"Statement": {"Effect": "Allow", "Action": [f"s3:Get{i:05d}" for i in range(500)]}}
    with pytest.raises(PolicyDocumentError, match="even written compactly"):
        parse_policy_document(source)


# -- to_json round trip -----------------------------------------------------------------

_ACTIONS = st.sampled_from(
    ["*", "s3:*", "s3:Get*", "s3:*Object", "ec2:?escribe*", "iam:CreateUser", "sts:AssumeRole"]
)
_CONDITIONS = st.none() | st.fixed_dictionaries(
    {
        "StringNotEquals": st.fixed_dictionaries(
            {
                "aws:RequestedRegion": st.lists(
                    st.sampled_from(["eu-west-1", "us-east-1"]), min_size=1
                )
            }
        )
    },
    optional={"Bool": st.just({"aws:SecureTransport": "false"})},
)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    """SCP statements in the accepted grammar, in any of their JSON forms."""
    out: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    if draw(st.booleans()):
        out["Sid"] = draw(st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True))
    actions = draw(st.lists(_ACTIONS, min_size=1, max_size=4))
    key = draw(st.sampled_from(["Action", "NotAction"]))
    out[key] = actions[0] if len(actions) == 1 and draw(st.booleans()) else actions
    resource = draw(st.sampled_from([None, "Resource", "NotResource"]))
    if resource is not None:
        out[resource] = draw(
            st.sampled_from(["*", ["arn:aws:s3:::bucket/*", "arn:aws:s3:::other"]])
        )
    condition = draw(_CONDITIONS)
    if condition is not None:
        out["Condition"] = condition
    return out


@st.composite
def policy_documents(draw: st.DrawFn) -> PolicyDocument:
    """Parsed SCP documents with one to four statements."""
    body = draw(st.lists(statements(), min_size=1, max_size=4))
    version = draw(st.sampled_from([None, "2012-10-17", "2008-10-17"]))
    return parse_policy_document(doc(*body, version=version))


@given(policy_documents())
def test_parse_of_to_json_is_the_same_document(parsed: PolicyDocument) -> None:
    assert parsed == parse_policy_document(json.dumps(parsed.to_json()))
    assert parsed == parse_policy_document(parsed.to_json())


# -- action matching ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "namespace", "action_name", "expected"),
    [
        ("*", "s3", "GetObject", True),
        ("*", "anything", "AtAll", True),
        ("s3:*", "s3", "GetObject", True),
        ("s3:*", "ec2", "RunInstances", False),
        ("s3:Get*", "s3", "GetObject", True),
        ("s3:Get*", "s3", "GetBucketPolicy", True),
        ("s3:Get*", "s3", "PutObject", False),
        ("s3:Get*", "s3", "ListGetters", False),
        ("s3:*Object", "s3", "GetObject", True),
        ("s3:*Object", "s3", "PutObject", True),
        ("s3:*Object", "s3", "GetObjectAcl", False),
        ("ec2:?escribe*", "ec2", "DescribeInstances", True),
        ("ec2:?escribe*", "ec2", "Describe", True),
        ("ec2:?escribe*", "ec2", "escribeInstances", False),
        ("ec2:?escribe*", "ec2", "XXescribe", False),
        ("S3:GETOBJECT", "s3", "GetObject", True),
        ("s3:getobject", "S3", "GETOBJECT", True),
        ("s3:Get-Object", "s3", "GetXObject", False),
    ],
)
def test_action_pattern_matching_is_a_case_insensitive_glob(
    pattern: str, namespace: str, action_name: str, expected: bool
) -> None:
    assert expected == action(pattern).matches(namespace, action_name)


def test_action_pattern_keeps_its_text_and_lower_cases_service_and_name() -> None:
    parsed = action("S3:Get*Object")
    assert ActionPattern(text="S3:Get*Object", service="s3", name="get*object") == parsed
    assert str(parsed) == "S3:Get*Object"


def test_matches_service_and_everything_flags() -> None:
    assert action("*").is_everything
    assert action("*").matches_service("ec2")
    assert action("s3:*").names_everything
    assert not action("s3:*").is_everything
    assert action("s3:Get*").matches_service("S3")
    assert not action("s3:Get*").matches_service("ec2")
    assert not action("s3:Get*").names_everything


def test_problem_str_is_location_and_message() -> None:
    assert str(Problem(location="Statement[0].Effect", message="bad")) == "Statement[0].Effect: bad"
