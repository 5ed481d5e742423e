"""Tests of the bounds on evaluation (issue 11) and of what explanations name (issue 17).

* the resource search has a step bound; reaching it is a typed error in
  ``arnmatch`` and a documented safe over-approximation (the service is
  LISTED) in the evaluator, independent of the order of queries;
* a cheap exact test decides "the Denies cover every admitted ARN";
* policy JSON depth is bounded before anything recurses on it;
* anchored patterns do not accept a trailing newline;
* every explanation says what decided it: statements, or (``NO_ALLOW``) the
  level and the SCPs attached there that lack an Allow.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_arnmatch import ref_pattern, small_patterns
from test_evaluation import (
    ACCT_B,
    MGMT,
    OU_A,
    PROPERTY_SETTINGS,
    ROOT,
    OrgSpec,
    allow,
    build_org,
    deny,
    org_specs,
    standard_builder,
)

from orgaccess.engine._automata import covered
from orgaccess.engine.arnmatch import (
    MAX_SEARCH_STEPS,
    ResourceSpec,
    find_surviving_arn,
    search_surviving_arn,
)
from orgaccess.engine.evaluation import Basis, Evaluator, ResourceMode
from orgaccess.errors import (
    CatalogError,
    InvalidIdError,
    OrgAccessError,
    PolicyDocumentError,
    SearchLimitError,
    SnapshotError,
)
from orgaccess.formats.snapshot import example_organization, load_organization, to_snapshot
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.ids import ID_PATTERNS, AccountId, OrganizationId, OuId, PolicyId, RootId
from orgaccess.model.policy import MAX_JSON_DEPTH, SCP_MAX_CHARACTERS, parse_policy_document

BUCKET = "arn:${Partition}:s3:::${BucketName}"
OBJECT = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
# The resource family, with the Deny shifted so that it does not cover
# the Allow: ARNs survive (``...a`` + 18 more characters, the last not ``b``), but
# deciding it needs the subset construction of 18 ``?``: far beyond the bound.
HOSTILE_ALLOW = "arn:aws:s3:::*a" + "?" * 18
HOSTILE_DENY = "arn:aws:s3:::*a" + "?" * 17 + "b"


# --------------------------------------------------------------------------- arnmatch bound


def test_search_reports_reaching_its_bound() -> None:
    result = search_surviving_arn(
        [OBJECT],
        [[ResourceSpec((HOSTILE_ALLOW,))]],
        [ResourceSpec((HOSTILE_DENY,))],
        partition="aws",
    )
    assert result.exhausted
    assert result.witness is None
    assert result.steps <= MAX_SEARCH_STEPS


def test_find_surviving_arn_raises_a_typed_error_at_the_bound() -> None:
    with pytest.raises(SearchLimitError) as info:
        find_surviving_arn(
            [OBJECT],
            [[ResourceSpec((HOSTILE_ALLOW,))]],
            [ResourceSpec((HOSTILE_DENY,))],
            partition="aws",
            max_steps=2000,
        )
    assert isinstance(info.value, OrgAccessError)
    assert info.value.steps == 2000
    assert "2000" in str(info.value)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_max_steps_must_be_a_non_negative_int(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_steps"):
        search_surviving_arn(["*"], [], [], max_steps=bad)


def test_same_allow_and_deny_is_decided_exactly_without_searching() -> None:
    """The issue's example (52 s, 530 MB in 0.1.0), scaled to the SCP quota."""
    pattern = "arn:aws:s3:::*a" + "?" * 5000
    result = search_surviving_arn(
        [OBJECT], [[ResourceSpec((pattern,))]], [ResourceSpec((pattern,))], partition="aws"
    )
    assert (result.witness, result.exhausted, result.steps) == (None, False, 0)


def test_a_wider_deny_covers_a_narrower_allow() -> None:
    assert covered(("arn:aws:s3:::logs-*",), ("arn:aws:s3:::*",))
    assert covered(("arn:aws:s3:::a?c",), ("arn:aws:s3:::a*",))
    assert not covered(("arn:aws:s3:::a*",), ("arn:aws:s3:::a?c",))
    assert not covered(("arn:aws:s3:::a",), ())


@PROPERTY_SETTINGS
@given(
    allows=st.lists(small_patterns, min_size=1, max_size=2),
    denies=st.lists(small_patterns, max_size=3),
)
def test_property_covered_is_sound(allows: list[str], denies: list[str]) -> None:
    """When the cheap test says 'covered', no short string is admitted and not denied."""
    if not covered(tuple(allows), tuple(denies)):
        return
    admit = [rx for p in allows if (rx := ref_pattern(p, True)) is not None]
    remove = [rx for p in denies if (rx := ref_pattern(p, False)) is not None]
    for n in range(5):
        for chars in itertools.product("ab:/*?$x", repeat=n):
            s = "".join(chars)
            if any(rx.fullmatch(s) for rx in admit):
                assert any(rx.fullmatch(s) for rx in remove), (s, allows, denies)


@PROPERTY_SETTINGS
@given(
    allows=st.lists(small_patterns, min_size=1, max_size=2),
    denies=st.lists(small_patterns, max_size=2),
    bound=st.integers(0, 120),
)
def test_property_a_bounded_search_is_undecided_or_exact(
    allows: list[str], denies: list[str], bound: int
) -> None:
    args = (["${X}a", "b${X}"], [[ResourceSpec(tuple(allows))]], [ResourceSpec(tuple(denies))])
    exact = search_surviving_arn(*args, max_steps=10**6)
    bounded = search_surviving_arn(*args, max_steps=bound)
    assert not exact.exhausted
    if bounded.exhausted:
        assert bounded.witness is None
        assert exact.steps > bound
    else:
        assert bounded == exact


# --------------------------------------------------------------------------- evaluator bound


def hostile_org(small_catalog: ServiceCatalog) -> Evaluator:
    b = standard_builder(
        {
            "p-hostile0": [
                allow("s3:GetObject", resources=HOSTILE_ALLOW),
                deny("s3:GetObject", resources=HOSTILE_DENY),
                allow("lambda:*"),
            ]
        }
    )
    b.set_scps(OU_A, ["p-hostile0"])
    return Evaluator(b.build(), small_catalog)


def test_an_undecided_service_is_listed_and_flagged(small_catalog: ServiceCatalog) -> None:
    ev = hostile_org(small_catalog)
    assert ev.allowed_namespaces(ACCT_B) == {"s3", "lambda"}
    assert ev.approximated_namespaces(ACCT_B) == {"s3"}
    assert ev.approximated_namespaces(MGMT) == frozenset()
    explanation = ev.explain(ACCT_B, "s3")
    assert explanation.listed
    assert explanation.basis is Basis.SEARCH_BOUND
    assert explanation.witness_action == "s3:GetObject"
    assert explanation.witness_arn is None
    assert "search bound" in explanation.reason
    assert {ref.policy_id for ref in explanation.deciding} >= {"p-hostile0"}
    assert ev.explain(ACCT_B, "lambda").basis is Basis.ALLOWED


def test_the_approximation_never_lists_more_than_simple_mode(
    small_catalog: ServiceCatalog,
) -> None:
    precise = hostile_org(small_catalog)
    simple = Evaluator(precise.organization, small_catalog, resources="simple")
    assert precise.allowed_namespaces(ACCT_B) <= simple.allowed_namespaces(ACCT_B)


def test_results_do_not_depend_on_the_order_of_queries(small_catalog: ServiceCatalog) -> None:
    first = hostile_org(small_catalog)
    a = (first.allowed_by_policy("p-hostile0"), first.allowed_namespaces(ACCT_B))
    second = hostile_org(small_catalog)
    b = (second.allowed_by_policy("p-hostile0"), second.allowed_namespaces(ACCT_B))
    assert a == b
    assert second.approximated_namespaces(ACCT_B) == first.approximated_namespaces(ACCT_B)


def test_realistic_policies_are_decided_exactly(small_catalog: ServiceCatalog) -> None:
    b = standard_builder(
        {
            "p-logsonly": [
                allow(["s3:GetObject", "s3:ListBucket"], resources="arn:aws:s3:::logs-*"),
                deny("s3:*", resources="arn:aws:s3:::logs-secret*"),
            ]
        }
    )
    b.set_scps(OU_A, ["p-logsonly"])
    ev = Evaluator(b.build(), small_catalog)
    assert ev.allowed_namespaces(ACCT_B) == {"s3"}
    assert ev.approximated_namespaces(ACCT_B) == frozenset()
    assert ev.explain(ACCT_B, "s3").basis is Basis.ALLOWED


# --------------------------------------------------------------------------- JSON depth


def deep_policy(depth: int) -> str:
    inner = "[" * depth + "]" * depth
    return (
        '{"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*", '
        '"Condition": {"StringEquals": {"aws:x": ' + inner + "}}}]}"
    )


def test_a_policy_nested_1200_arrays_deep_is_a_typed_error_naming_the_place() -> None:
    text = deep_policy(1200)
    assert len(text) <= SCP_MAX_CHARACTERS
    with pytest.raises(PolicyDocumentError) as info:
        parse_policy_document(text, name="p-deep")
    (problem,) = info.value.problems
    assert problem.location.startswith("Statement[0].Condition.StringEquals.aws:x[0][0]")
    assert f"more than {MAX_JSON_DEPTH}" in problem.message
    assert "p-deep" in str(info.value)


def test_a_deep_mapping_and_a_self_referencing_mapping_are_typed_errors() -> None:
    nested: list[Any] = []
    cursor = nested
    for _ in range(1200):
        cursor.append([])
        cursor = cursor[0]
    doc = json.loads(deep_policy(1))
    doc["Statement"][0]["Condition"]["StringEquals"]["aws:x"] = nested
    with pytest.raises(PolicyDocumentError, match=r"StringEquals\.aws:x\[0\]"):
        parse_policy_document(doc)
    loop: dict[str, Any] = {}
    loop["Statement"] = loop
    with pytest.raises(PolicyDocumentError, match="deep"):
        parse_policy_document(loop)


def test_depth_up_to_the_bound_is_parsed_normally() -> None:
    # document, Statement, statement, Condition, operator = 5 levels, then the arrays.
    doc = parse_policy_document(deep_policy(MAX_JSON_DEPTH - 5))
    assert doc.statements[0].has_condition
    with pytest.raises(PolicyDocumentError, match="deep"):
        parse_policy_document(deep_policy(MAX_JSON_DEPTH - 4))


def test_brackets_inside_strings_do_not_count() -> None:
    doc = parse_policy_document(
        '{"Statement": {"Sid": "' + "[" * 100 + '", "Effect": "Allow", "Action": "*"}}'
    )
    assert doc.statements[0].sid == "[" * 100


# --------------------------------------------------------------------------- anchors


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (AccountId, "123456789012"),
        (OrganizationId, "o-a1b2c3d4e5"),
        (RootId, "r-f6g7"),
        (OuId, "ou-f6g7-aaaaaaaa"),
        (PolicyId, "p-abcdefgh"),
    ],
)
def test_ids_reject_a_trailing_newline(kind: Any, value: str) -> None:
    assert kind.is_valid(value)
    assert not kind.is_valid(value + "\n")
    with pytest.raises(InvalidIdError):
        kind(value + "\n")
    assert ID_PATTERNS[kind.kind].endswith("$")  # AWS's text, used with fullmatch only


@pytest.mark.parametrize("action", ["s3\n:GetObject", "s3:GetObject\n", "s3:Get*\n"])
def test_action_patterns_reject_a_trailing_newline(action: str) -> None:
    with pytest.raises(PolicyDocumentError):
        parse_policy_document({"Statement": {"Effect": "Allow", "Action": action}})


def test_catalog_names_reject_a_trailing_newline() -> None:
    with pytest.raises(CatalogError):
        ServiceCatalog.from_mapping({"s3\n": {"actions": ["GetObject"]}})
    with pytest.raises(CatalogError):
        ServiceCatalog.from_mapping({"s3": {"actions": ["GetObject\n"]}})


# --------------------------------------------------------------------------- explanations


def test_a_level_without_an_allow_is_named_with_its_policies_and_no_statement(
    small_catalog: ServiceCatalog,
) -> None:
    """Issue 17: the demo's rds case. No statement decided: the explanation says so."""
    b = standard_builder({"p-onlyec2xx": [allow("ec2:*")], "p-onlylmbda": [allow("lambda:*")]})
    b.set_scps(OU_A, ["p-onlyec2xx", "p-onlylmbda"])
    explanation = Evaluator(b.build(), small_catalog).explain(ACCT_B, "s3")
    assert not explanation.listed
    assert explanation.basis is Basis.NO_ALLOW
    assert explanation.deciding == ()
    assert explanation.deciding_level == OU_A
    assert explanation.deciding_policies == ("p-onlyec2xx", "p-onlylmbda")
    assert explanation.levels[-1].allowing_statements == ()
    assert "no statement decided this" in explanation.reason
    assert "p-onlyec2xx, p-onlylmbda" in explanation.reason
    assert "deciding statements: none (no Allow in p-onlyec2xx, p-onlylmbda)" in str(explanation)


@PROPERTY_SETTINGS
@given(spec=org_specs(), mode=st.sampled_from(["simple", "precise"]))
def test_property_every_verdict_names_what_decided_it(
    small_catalog: ServiceCatalog, spec: OrgSpec, mode: ResourceMode
) -> None:
    org = build_org(spec)
    ev = Evaluator(org, small_catalog, resources=mode)
    for entity in spec.entities:
        if entity == ROOT:
            continue
        for namespace in small_catalog.namespaces:
            e = ev.explain(entity, namespace)
            assert e.listed == (namespace in ev.allowed_namespaces(entity))
            if e.basis is Basis.MANAGEMENT_ACCOUNT:
                assert entity == MGMT
                assert e.listed
            elif e.basis is Basis.NO_ALLOW:
                assert not e.listed
                assert e.deciding == ()
                (deciding,) = [lvl for lvl in e.levels if lvl.entity_id == e.deciding_level]
                assert deciding is e.levels[-1]
                assert not deciding.allows
                assert e.deciding_policies == deciding.policies
            else:
                assert e.basis in (Basis.ALLOWED, Basis.DENIED)
                assert e.listed == (e.basis is Basis.ALLOWED)
                assert e.deciding, (entity, namespace, str(e))
                for ref in e.deciding:
                    assert ref.level in org.parent_chain(entity)
                    assert org.has_policy(ref.policy_id)
                    statements = org.policy(ref.policy_id).document.statements
                    assert statements[ref.statement_index].effect is ref.effect


def test_a_snapshot_holding_a_deeply_nested_policy_is_a_snapshot_error() -> None:
    """What ``orgaccess validate`` and ``explain`` load: no RecursionError escapes."""
    snapshot = to_snapshot(example_organization())
    snapshot["Policies"][-1]["Content"] = deep_policy(1200)
    with pytest.raises(SnapshotError, match="deep"):
        load_organization(snapshot)
