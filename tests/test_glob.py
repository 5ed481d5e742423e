"""Tests of orgaccess.model._glob: action globs matched without backtracking.

The oracle is the regular expression 0.1.0 built from a glob (``*`` -> ``.*``,
``?`` -> ``.``, case-insensitive), kept here only, and used on SHORT inputs
where its backtracking costs nothing. Issue 11: that regex took 48 s on one
104-character SCP.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_evaluation import OrgSpec, build_org, org_specs

from orgaccess.engine.evaluation import Evaluator, ResourceMode
from orgaccess.model import policy as policy_module
from orgaccess.model._glob import Glob
from orgaccess.model.catalog import ServiceCatalog
from orgaccess.model.policy import ActionPattern, parse_policy_document


def old_regex(glob: str) -> re.Pattern[str]:
    """The 0.1.0 matcher (the oracle): a backtracking regular expression."""
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


globs = st.text(alphabet="aAb-*?", max_size=9)
names = st.text(alphabet="aAbB-", max_size=9)


@settings(max_examples=400, deadline=None)
@given(glob=globs, name=names)
def test_property_glob_agrees_with_the_old_regex_on_short_inputs(glob: str, name: str) -> None:
    expected = old_regex(glob).fullmatch(name) is not None
    assert Glob.compile(glob).matches(name) == expected


@settings(max_examples=200, deadline=None)
@given(glob=st.text(alphabet="ab*?", min_size=1, max_size=7), name=names)
def test_property_action_pattern_agrees_with_the_old_regex(glob: str, name: str) -> None:
    pattern = ActionPattern(text=f"s3:{glob}", service="s3", name=glob)
    expected = old_regex(glob).fullmatch(name) is not None
    assert pattern.matches("S3", name) == expected
    assert pattern.matches_name(name) == expected
    assert pattern.name_matcher()(name) == expected


@pytest.mark.parametrize(
    ("glob", "name", "expected"),
    [
        ("Get*", "getobject", True),
        ("get*", "GetObject", True),  # case-insensitive both ways
        ("*Object", "GetObject", True),
        ("?escribe*", "DescribeInstances", True),
        ("?escribe*", "escribeX", False),  # ? is exactly one character
        ("Get*Object?", "GetBucketObjects", True),
        ("Get*Object?", "GetObject", False),
        ("*", "", True),  # * may be empty
        ("a*a", "a", False),  # the head and tail may not overlap
        ("*?*?a", "xxa", True),
        ("*?*?a", "xa", False),
        ("a*b*c", "abbc", True),
        ("a*b*c", "acbc", True),
        ("a*b*c", "acb", False),
    ],
)
def test_glob_examples(glob: str, name: str, expected: bool) -> None:
    assert Glob.compile(glob).matches(name) == expected


def test_runs_of_star_and_question_mark_collapse_to_one_block() -> None:
    """The issue's family scaled up: '*?' x 2,500 + 'a' is '*' then 2,500 '?' and 'a'."""
    glob = Glob.compile("*?" * 2500 + "a")
    assert glob.middle == ()
    assert glob.minimum == 2501
    assert glob.tail is not None
    assert glob.tail.length == 2501
    assert not glob.matches("DescribeInstances")
    assert glob.matches("x" * 2500 + "A")


def test_a_glob_longer_than_the_name_is_rejected_by_its_minimum_length() -> None:
    glob = Glob.compile("?a" * 2000)
    assert glob.minimum == 4000
    assert not glob.matches("a" * 100)


# --------------------------------------------------------------------------- evaluation


def _old_name_matcher(self: ActionPattern) -> Callable[[str], bool]:
    regex = old_regex(self.name)
    return lambda name: regex.fullmatch(name) is not None


action_globs = st.lists(
    st.sampled_from(["Get", "Put", "Object", "List", "Bucket", "*", "?", "e", "t", "O"]),
    min_size=1,
    max_size=5,
).map("".join)


@st.composite
def specs_with_random_globs(draw: st.DrawFn) -> OrgSpec:
    """An organization whose policies name s3 and ec2 actions with random globs."""
    spec = draw(org_specs())
    policies = []
    for pid, statements in spec.policies:
        changed = []
        for statement in statements:
            key = "Action" if "Action" in statement else "NotAction"
            service = draw(st.sampled_from(["s3", "ec2"]))
            changed.append({**statement, key: [f"{service}:{draw(action_globs)}"]})
        policies.append((pid, tuple(changed)))
    return OrgSpec(policies=tuple(policies), ous=spec.ous, accounts=spec.accounts, scps=spec.scps)


@settings(max_examples=60, deadline=None)
@given(spec=specs_with_random_globs(), mode=st.sampled_from(["simple", "precise"]))
def test_property_evaluation_is_unchanged_from_the_regex_matcher(
    small_catalog: ServiceCatalog, spec: OrgSpec, mode: ResourceMode
) -> None:
    org = build_org(spec)
    new = Evaluator(org, small_catalog, resources=mode)
    got = {e: new.allowed_namespaces(e) for e in spec.entities}
    original = ActionPattern.name_matcher
    try:
        ActionPattern.name_matcher = _old_name_matcher  # type: ignore[method-assign]
        old = Evaluator(org, small_catalog, resources=mode)
        expected = {e: old.allowed_namespaces(e) for e in spec.entities}
    finally:
        ActionPattern.name_matcher = original  # type: ignore[method-assign]
    assert got == expected


def test_parsed_patterns_use_the_glob_matcher() -> None:
    doc = parse_policy_document(
        '{"Statement": {"Effect": "Deny", "Action": "ec2:' + "*?" * 7 + 'a", "Resource": "*"}}'
    )
    (pattern,) = doc.statements[0].actions or ()
    assert pattern.matches("ec2", "DescribeAvailabilityZonesa")
    assert not pattern.matches("ec2", "DescribeInstances")
    assert not hasattr(policy_module, "_glob_regex")
