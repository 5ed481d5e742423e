"""Tests of orgaccess.engine.arnmatch: exact "does some resource ARN survive" for SCPs.

Every witness the engine returns is checked by a reference matcher written
here independently of the module: patterns and templates are translated to
anchored regular expressions (``re.escape`` for literals) and evaluated with
``re.fullmatch``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.engine.arnmatch import ResourceSpec, find_surviving_arn, some_arn_survives

R = ResourceSpec
OBJECT = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
BUCKET = "arn:${Partition}:s3:::${BucketName}"
INSTANCE = "arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}"
ROLE = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"
ALL = R(("*",))


# --------------------------------------------------------------------------- reference

_PIECE = re.compile(r"\$\{([^}]*)\}|(.)", re.DOTALL)


def ref_pattern(pattern: str, could: bool) -> re.Pattern[str] | None:
    """Anchored regex of a policy pattern; None when it can match nothing.

    could=True reads an unknown variable as ``*``; could=False drops the pattern.
    """
    parts: list[str] = []
    for m in _PIECE.finditer(pattern):
        name, char = m.group(1), m.group(2)
        if name is not None:
            if name in ("*", "?", "$"):
                parts.append(re.escape(name))
            elif could:
                parts.append(".*")
            else:
                return None
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def ref_template(template: str, partition: str | None = None) -> re.Pattern[str]:
    pieces = list(_PIECE.finditer(template))
    parts: list[str] = []
    for k, m in enumerate(pieces):
        name, char = m.group(1), m.group(2)
        if name is None:
            parts.append(re.escape(char))
        elif name == "Partition" and partition is not None:
            parts.append(re.escape(partition))
        else:
            if k != len(pieces) - 1:
                parts.append("[^:/]+")
            elif re.search("object|key", name, re.IGNORECASE):
                parts.append(".+")
            else:
                parts.append("[^:]+")
    return re.compile("".join(parts), re.DOTALL)


def _matches_any(patterns: Sequence[str], s: str, could: bool) -> bool:
    for p in patterns:
        rx = ref_pattern(p, could)
        if rx is not None and rx.fullmatch(s):
            return True
    return False


def ref_allow_admits(spec: ResourceSpec, s: str) -> bool:
    if spec.negated:
        return not _matches_any(spec.patterns, s, could=False)
    return _matches_any(spec.patterns, s, could=True)


def ref_deny_removes(spec: ResourceSpec, s: str) -> bool:
    if spec.negated:
        return not _matches_any(spec.patterns, s, could=True)
    return _matches_any(spec.patterns, s, could=False)


def ref_survives(
    s: str,
    templates: Sequence[str],
    levels: Sequence[Sequence[ResourceSpec]],
    denies: Sequence[ResourceSpec] = (),
    partition: str | None = None,
) -> bool:
    return (
        any(ref_template(t, partition).fullmatch(s) for t in templates)
        and all(any(ref_allow_admits(spec, s) for spec in level) for level in levels)
        and not any(ref_deny_removes(spec, s) for spec in denies)
    )


def survivor(
    templates: Sequence[str],
    levels: Sequence[Sequence[ResourceSpec]],
    denies: Sequence[ResourceSpec] = (),
    partition: str | None = None,
) -> str | None:
    """find_surviving_arn, with every witness confirmed by the reference."""
    found = find_surviving_arn(templates, levels, denies, partition=partition)
    if found is not None:
        assert ref_survives(found, templates, levels, denies, partition), found
    assert some_arn_survives(templates, levels, denies, partition=partition) is (found is not None)
    return found


# --------------------------------------------------------------------------- observed AWS cases


def test_allow_on_bucket_arn_admits_no_object_arn() -> None:
    assert survivor([OBJECT], [[R(("arn:aws:s3:::my-bucket",))]]) is None


def test_allow_and_deny_on_same_object_pattern_leave_nothing() -> None:
    spec = R(("arn:aws:s3:::b/*",))
    assert survivor([OBJECT], [[spec]], [spec]) is None


def test_allow_and_deny_on_disjoint_buckets_leave_the_allowed_objects() -> None:
    found = survivor([OBJECT], [[R(("arn:aws:s3:::a/*",))]], [R(("arn:aws:s3:::b/*",))])
    assert found == "arn:aws:s3:::a/a"


def test_allow_all_survives_with_shortest_readable_witness() -> None:
    assert survivor([BUCKET], [[ALL]]) == "arn:a:s3:::a"
    assert survivor([OBJECT], [[ALL]]) == "arn:a:s3:::a/a"


# --------------------------------------------------------------------------- NotResource


def test_allow_notresource_admits_arns_outside_its_patterns() -> None:
    found = survivor([OBJECT], [[R(("arn:aws:s3:::secret/*",), negated=True)]])
    assert found is not None
    assert not found.startswith("arn:aws:s3:::secret/")


def test_allow_notresource_covering_every_arn_admits_nothing() -> None:
    assert survivor([OBJECT], [[R(("*",), negated=True)]]) is None
    assert survivor([OBJECT, INSTANCE], [[R(("arn:*",), negated=True)]]) is None


def test_allow_notresource_with_no_patterns_admits_everything() -> None:
    assert survivor([BUCKET], [[R((), negated=True)]]) == "arn:a:s3:::a"


def test_deny_notresource_removes_arns_outside_its_patterns() -> None:
    deny = R(("arn:aws:s3:::keep/*",), negated=True)
    assert survivor([OBJECT], [[ALL]], [deny]) == "arn:aws:s3:::keep/a"
    assert survivor([OBJECT], [[R(("arn:aws:s3:::other/*",))]], [deny]) is None
    assert survivor([INSTANCE], [[ALL]], [deny]) is None


def test_deny_notresource_with_no_patterns_removes_everything() -> None:
    assert survivor([OBJECT], [[ALL]], [R((), negated=True)]) is None


def test_deny_notresource_star_removes_nothing() -> None:
    assert survivor([BUCKET], [[ALL]], [R(("*",), negated=True)]) == "arn:a:s3:::a"


# --------------------------------------------------------------------------- S3 bucket vs object


def test_deny_on_bucket_star_removes_bucket_and_object_arns_in_partition() -> None:
    deny = R(("arn:aws:s3:::*",))
    allow = R(("arn:aws:s3:::*",))
    assert survivor([BUCKET], [[allow]], [deny]) is None
    assert survivor([OBJECT], [[allow]], [deny]) is None
    assert survivor([BUCKET, OBJECT], [[ALL]], [deny], partition="aws") is None


def test_deny_on_object_star_removes_object_arns_but_not_bucket_arns() -> None:
    deny = R(("arn:aws:s3:::*/*",))
    allow = R(("arn:aws:s3:::*",))
    assert survivor([OBJECT], [[allow]], [deny]) is None
    assert survivor([BUCKET], [[allow]], [deny]) == "arn:aws:s3:::a"
    assert survivor([BUCKET, OBJECT], [[allow]], [deny]) == "arn:aws:s3:::a"


def test_partition_variable_is_free_unless_partition_given() -> None:
    deny = R(("arn:aws:s3:::*",))
    found = survivor([BUCKET], [[ALL]], [deny])
    assert found is not None
    assert not found.startswith("arn:aws:")
    assert survivor([BUCKET], [[ALL]], [deny], partition="aws") is None
    assert survivor([BUCKET], [[ALL]], [], partition="aws-cn") == "arn:aws-cn:s3:::a"


def test_partition_must_be_a_plain_segment() -> None:
    with pytest.raises(ValueError, match="partition"):
        find_surviving_arn([BUCKET], [[ALL]], partition="a:b")
    with pytest.raises(ValueError, match="partition"):
        find_surviving_arn([BUCKET], [[ALL]], partition="")


# --------------------------------------------------------------------------- region, account


def test_region_and_account_wildcards_admit_instance_arns() -> None:
    found = survivor([INSTANCE], [[R(("arn:aws:ec2:*:*:instance/*",))]])
    assert found == "arn:aws:ec2:a:a:instance/a"


def test_deny_on_whole_region_removes_instance_in_that_region() -> None:
    allow = R(("arn:aws:ec2:us-east-1:111111111111:instance/*",))
    assert survivor([INSTANCE], [[allow]], [R(("arn:aws:ec2:us-east-1:*",))]) is None
    found = survivor([INSTANCE], [[allow]], [R(("arn:aws:ec2:us-west-2:*",))])
    assert found == "arn:aws:ec2:us-east-1:111111111111:instance/a"


def test_template_variable_excludes_separators_except_at_the_end() -> None:
    # ${Region} cannot contain ':' or '/', so the Allow's region cannot be 'a/b'.
    assert survivor([INSTANCE], [[R(("arn:aws:ec2:a/b:*",))]]) is None
    assert survivor([INSTANCE], [[R(("arn:aws:ec2:a:b:c:instance/*",))]]) is None
    # The last variable takes '/' (IAM paths); a key-named one also ':' (S3 keys).
    role = survivor([ROLE], [[R(("arn:aws:iam::*:role/team/*",))]])
    assert role == "arn:aws:iam::a:role/team/"  # the role name with path is "team/"
    key = survivor([OBJECT], [[R(("arn:aws:s3:::b/x:y/z",))]])
    assert key == "arn:aws:s3:::b/x:y/z"


def test_final_non_key_variable_cannot_hold_a_colon() -> None:
    # An instance id cannot spell out the tail of an S3 ARN to escape a NotResource Deny.
    keep = R(("arn:*:s3:::keep/*",), negated=True)
    assert survivor([INSTANCE], [[R(("*",))]], [keep], partition="aws") is None
    assert survivor([INSTANCE], [[R(("arn:aws:ec2:*:*:instance/*:*",))]]) is None
    assert survivor([OBJECT], [[R(("arn:aws:s3:::b/*:*",))]]) == "arn:aws:s3:::b/:"


def test_template_variable_is_never_empty() -> None:
    assert survivor([OBJECT], [[R(("arn:aws:s3:::/*",))]]) is None
    assert survivor([OBJECT], [[R(("arn:aws:s3:::b/",))]]) is None


# --------------------------------------------------------------------------- the * template


def test_star_template_is_admitted_by_allow_star() -> None:
    assert survivor(["*"], [[ALL]]) == "*"


def test_star_template_is_literal_so_arn_patterns_do_not_admit_it() -> None:
    assert survivor(["*"], [[R(("arn:*",))]]) is None
    assert survivor(["*"], [[R(("a*",))]]) is None


def test_star_template_is_admitted_by_question_mark_and_escape() -> None:
    assert survivor(["*"], [[R(("?",))]]) == "*"
    assert survivor(["*"], [[R(("${*}",))]]) == "*"
    assert survivor(["*"], [[R(("${?}",))]]) is None


def test_star_template_is_removed_by_deny_matching_it() -> None:
    assert survivor(["*"], [[ALL]], [R(("?",))]) is None
    assert survivor(["*"], [[ALL]], [R(("arn:*",))]) == "*"


def test_question_mark_template_character_is_literal() -> None:
    assert survivor(["a?b"], [[R(("a${?}b",))]]) == "a?b"
    assert survivor(["a?b"], [[R(("acb",))]]) is None


# --------------------------------------------------------------------------- ? and escapes


def test_question_mark_matches_exactly_one_character() -> None:
    assert survivor([OBJECT], [[R(("arn:aws:s3:::?",))]]) is None
    assert survivor([BUCKET], [[R(("arn:aws:s3:::???",))]]) == "arn:aws:s3:::aaa"
    found = survivor([OBJECT], [[R(("arn:aws:s3:::???/*",))]], [R(("arn:aws:s3:::a??/*",))])
    # '?' matches the '/' too: bucket "ba", key "/" is shorter than bucket "baa", key "a".
    assert found == "arn:aws:s3:::ba//"


def test_question_mark_can_match_a_separator_in_a_pattern() -> None:
    # '?' may match the '/' between bucket and key.
    assert survivor([OBJECT], [[R(("arn:aws:s3:::???",))]]) == "arn:aws:s3:::a/a"


def test_escapes_are_literal_characters() -> None:
    assert survivor([OBJECT], [[R(("arn:aws:s3:::b/${*}",))]]) == "arn:aws:s3:::b/*"
    assert survivor([OBJECT], [[R(("arn:aws:s3:::b/${?}",))]]) == "arn:aws:s3:::b/?"
    assert survivor([OBJECT], [[R(("arn:aws:s3:::b/${$}",))]]) == "arn:aws:s3:::b/$"
    found = survivor([OBJECT], [[R(("arn:aws:s3:::b/*",))]], [R(("arn:aws:s3:::b/${*}",))])
    assert found == "arn:aws:s3:::b/a"
    assert survivor([OBJECT], [[R(("arn:aws:s3:::b/?",))]], [R(("arn:aws:s3:::b/${*}",))])


def test_escaped_star_in_deny_does_not_remove_everything() -> None:
    assert survivor([BUCKET], [[ALL]], [R(("${*}",))]) == "arn:a:s3:::a"


def test_unterminated_variable_is_literal_text() -> None:
    assert survivor(["x${y"], [[R(("x${y",))]]) == "x${y"
    assert survivor(["x${y"], [[R(("x$?y",))]]) == "x${y"


def test_matching_is_case_sensitive() -> None:
    assert survivor([OBJECT], [[R(("ARN:aws:s3:::b/*",))]]) is None
    assert survivor([OBJECT], [[R(("arn:aws:s3:::B/*",))]], [R(("arn:aws:s3:::b/*",))])


# --------------------------------------------------------------------------- unknown variables


def test_unknown_variable_in_allow_resource_could_match_anything() -> None:
    found = survivor([OBJECT], [[R(("arn:aws:s3:::${aws:username}/*",))]])
    assert found == "arn:aws:s3:::a/a"
    assert survivor([BUCKET], [[R(("${aws:username}",))]]) == "arn:a:s3:::a"
    # It still cannot make a bucket pattern admit an object ARN's separator-free form.
    assert survivor([INSTANCE], [[R(("arn:aws:s3:::${aws:username}",))]]) is None


def test_unknown_variable_in_allow_notresource_excludes_nothing() -> None:
    spec = R(("arn:aws:s3:::${aws:username}/*",), negated=True)
    assert survivor([OBJECT], [[spec]]) == "arn:a:s3:::a/a"
    assert survivor([OBJECT], [[spec], [R(("arn:aws:s3:::b/*",))]]) == "arn:aws:s3:::b/a"
    # A variable-free pattern of the same NotResource still excludes.
    both = R(("arn:aws:s3:::${aws:username}/*", "arn:*"), negated=True)
    assert survivor([OBJECT], [[both]]) is None


def test_unknown_variable_in_deny_resource_removes_nothing() -> None:
    deny = R(("arn:aws:s3:::${aws:username}/*",))
    assert survivor([OBJECT], [[R(("arn:aws:s3:::b/*",))]], [deny]) == "arn:aws:s3:::b/a"
    assert survivor([BUCKET], [[ALL]], [R(("${aws:username}",))]) == "arn:a:s3:::a"


def test_unknown_variable_in_deny_notresource_protects_what_it_could_match() -> None:
    deny = R(("arn:aws:s3:::${aws:username}/*",), negated=True)
    assert survivor([OBJECT], [[ALL]], [deny]) == "arn:aws:s3:::a/a"
    # An ARN the pattern can never match is still certainly removed.
    assert survivor([INSTANCE], [[ALL]], [deny]) is None
    assert survivor([BUCKET], [[ALL]], [R(("${aws:username}",), negated=True)]) == "arn:a:s3:::a"


def test_variable_with_default_value_is_unknown() -> None:
    allow = R(("arn:aws:s3:::${aws:PrincipalTag/team, 'none'}/*",))
    assert survivor([OBJECT], [[allow]]) == "arn:aws:s3:::a/a"


# --------------------------------------------------------------------------- levels


def test_levels_admitting_disjoint_sets_leave_nothing() -> None:
    levels = [[R(("arn:aws:s3:::a/*",))], [R(("arn:aws:s3:::b/*",))]]
    assert survivor([OBJECT], levels) is None


def test_levels_admitting_overlapping_sets_leave_the_overlap() -> None:
    levels = [[R(("arn:aws:s3:::a*/*",))], [R(("arn:aws:s3:::*b/x*",))]]
    assert survivor([OBJECT], levels) == "arn:aws:s3:::ab/x"


def test_a_level_is_the_union_of_its_specs() -> None:
    levels = [
        [R(("arn:aws:s3:::a/*",)), R(("arn:aws:s3:::c/*",))],
        [R(("arn:aws:s3:::b/*",)), R(("arn:aws:s3:::c/*",))],
    ]
    assert survivor([OBJECT], levels) == "arn:aws:s3:::c/a"
    mixed = [[R(("arn:aws:s3:::a/*",)), R(("arn:*",), negated=True)], [R(("arn:aws:s3:::b*",))]]
    assert survivor([OBJECT], mixed) is None


def test_level_with_no_specs_admits_nothing() -> None:
    assert survivor([OBJECT], [[ALL], []]) is None


def test_no_levels_put_no_allow_constraint() -> None:
    assert survivor([OBJECT], []) == "arn:a:s3:::a/a"
    assert survivor([OBJECT], [], [R(("arn:aws:s3:::*",))]) == "arn:a:s3:::a/a"


def test_no_templates_leave_nothing() -> None:
    assert survivor([], [[ALL]]) is None


def test_deny_star_removes_everything() -> None:
    assert survivor([OBJECT, "*"], [[ALL]], [R(("arn:aws:s3:::x", "*"))]) is None


def test_several_denies_each_remove_their_part() -> None:
    denies = [R(("arn:aws:s3:::a*",)), R(("arn:aws:s3:::b*",)), R(("arn:aws:s3:::c*",))]
    assert survivor([BUCKET], [[R(("arn:aws:s3:::*",))]], denies) == "arn:aws:s3:::d"


def test_lists_and_tuples_are_accepted_and_give_the_same_answer() -> None:
    spec = ResourceSpec(["arn:aws:s3:::a/*"])
    assert spec == R(("arn:aws:s3:::a/*",))
    assert find_surviving_arn((OBJECT,), ((spec,),)) == find_surviving_arn([OBJECT], [[spec]])


def test_bare_strings_are_rejected() -> None:
    with pytest.raises(TypeError, match="patterns"):
        ResourceSpec("arn:aws:s3:::a/*")
    with pytest.raises(TypeError, match="templates"):
        find_surviving_arn(OBJECT, [[ALL]])


def test_many_templates_and_levels_stay_exact() -> None:
    templates = [OBJECT, BUCKET, INSTANCE, ROLE, "*"]
    levels = [
        [R(("arn:aws:ec2:*:*:instance/*", "arn:aws:s3:::*"))],
        [R(("arn:aws:ec2:us-east-1:*", "arn:aws:iam::*:role/*"))],
    ]
    denies = [R(("arn:aws:s3:::*",)), R(("arn:aws:iam::*",)), R(("arn:aws:ec2:*:*:instance/i-0*",))]
    found = survivor(templates, levels, denies)
    assert found == "arn:aws:ec2:us-east-1:a:instance/a"


# --------------------------------------------------------------------------- properties

_ARN_FRAGMENTS = [
    "arn",
    ":",
    "aws",
    "s3",
    "ec2",
    "iam",
    "us-east-1",
    "111111111111",
    "instance/",
    "role/",
    "/",
    "*",
    "?",
    "a",
    "b",
    "${aws:username}",
    "${*}",
]
arn_patterns = st.lists(st.sampled_from(_ARN_FRAGMENTS), min_size=1, max_size=8).map("".join)


def specs(patterns: st.SearchStrategy[str]) -> st.SearchStrategy[ResourceSpec]:
    return st.builds(
        ResourceSpec, st.lists(patterns, min_size=0, max_size=3).map(tuple), st.booleans()
    )


@settings(max_examples=150, deadline=None)
@given(
    templates=st.lists(st.sampled_from([OBJECT, BUCKET, INSTANCE, ROLE, "*"]), max_size=3),
    levels=st.lists(st.lists(specs(arn_patterns), min_size=1, max_size=3), max_size=3),
    denies=st.lists(specs(arn_patterns), max_size=3),
    partition=st.sampled_from([None, "aws"]),
)
def test_property_every_witness_satisfies_all_constraints(
    templates: list[str],
    levels: list[list[ResourceSpec]],
    denies: list[ResourceSpec],
    partition: str | None,
) -> None:
    survivor(templates, levels, denies, partition)


# Completeness over a tiny alphabet, against brute force.
_BRUTE_ALPHABET = "ab:/*c"  # every character a witness can use here ('c' is "other")
_BRUTE_MAX = 5

small_templates = st.lists(
    st.sampled_from(["a", "b", ":", "/", "${X}"]), min_size=1, max_size=4
).map("".join)
small_patterns = st.lists(
    st.sampled_from(["a", "b", ":", "/", "*", "?", "${*}", "${v}"]), max_size=4
).map("".join)


def brute_shortest(
    templates: Sequence[str],
    levels: Sequence[Sequence[ResourceSpec]],
    denies: Sequence[ResourceSpec],
) -> int | None:
    for n in range(_BRUTE_MAX + 1):
        for chars in itertools.product(_BRUTE_ALPHABET, repeat=n):
            if ref_survives("".join(chars), templates, levels, denies):
                return n
    return None


@settings(max_examples=120, deadline=None)
@given(
    templates=st.lists(small_templates, min_size=1, max_size=2),
    levels=st.lists(st.lists(specs(small_patterns), min_size=1, max_size=2), max_size=2),
    denies=st.lists(specs(small_patterns), max_size=2),
)
def test_property_engine_finds_a_shortest_witness_whenever_brute_force_does(
    templates: list[str],
    levels: list[list[ResourceSpec]],
    denies: list[ResourceSpec],
) -> None:
    found = survivor(templates, levels, denies)
    shortest = brute_shortest(templates, levels, denies)
    if shortest is not None:
        assert found is not None
        assert len(found) == shortest
    else:
        # Nothing up to the bound: the engine's witness (if any) is longer.
        assert found is None or len(found) > _BRUTE_MAX


@settings(max_examples=100, deadline=None)
@given(
    templates=st.lists(st.sampled_from([OBJECT, BUCKET, INSTANCE, "*"]), min_size=1, max_size=3),
    levels=st.lists(st.lists(specs(arn_patterns), min_size=1, max_size=2), max_size=2),
    denies=st.lists(specs(arn_patterns), max_size=2),
    extra=st.lists(arn_patterns, min_size=1, max_size=2),
    where=st.integers(min_value=0),
)
def test_property_adding_allow_patterns_never_removes_a_survivor(
    templates: list[str],
    levels: list[list[ResourceSpec]],
    denies: list[ResourceSpec],
    extra: list[str],
    where: int,
) -> None:
    before = some_arn_survives(templates, levels, denies)
    plain = [(i, j) for i, lv in enumerate(levels) for j, s in enumerate(lv) if not s.negated]
    if plain:
        i, j = plain[where % len(plain)]
        old = levels[i][j]
        grown = [list(lv) for lv in levels]
        grown[i][j] = ResourceSpec((*old.patterns, *extra))
        if before:
            assert some_arn_survives(templates, grown, denies)
    assert find_surviving_arn(templates, levels, [*denies, R(("*",))]) is None


@settings(max_examples=100, deadline=None)
@given(
    templates=st.lists(small_templates, min_size=1, max_size=2),
    levels=st.lists(st.lists(specs(small_patterns), min_size=1, max_size=2), max_size=2),
    denies=st.lists(specs(small_patterns), max_size=2),
)
def test_property_answer_does_not_depend_on_order_or_duplicates(
    templates: list[str],
    levels: list[list[ResourceSpec]],
    denies: list[ResourceSpec],
) -> None:
    a = find_surviving_arn(templates, levels, denies)
    b = find_surviving_arn(
        [*reversed(templates), *templates],
        [list(reversed(lv)) for lv in reversed(levels)] + levels,
        [*reversed(denies), *denies],
    )
    assert (a is None) == (b is None)
    if a is not None and b is not None:
        assert len(a) == len(b)
