"""Exact decision of "does some resource ARN survive" for SCP evaluation.

An IAM action is possible under a set of SCPs when some ARN of the action's
resource types (the catalog's ARN *templates*) is allowed at **every** level of
the organization (at each level, by at least one Allow statement's resource
element) and removed by **no** unconditional Deny (semantics section 3).
Templates and policy patterns both describe regular languages, so the question
"is the intersection non-empty?" is decided with automata, exactly unless a
step bound is reached first (see *Bound* below), and a shortest witness ARN is
returned:

>>> obj = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
>>> find_surviving_arn([obj], [[ResourceSpec(("arn:aws:s3:::my-bucket",))]]) is None
True
>>> find_surviving_arn(
...     [obj],
...     [[ResourceSpec(("arn:aws:s3:::a/*",))]],
...     denies=[ResourceSpec(("arn:aws:s3:::b/*",))],
... )
'arn:aws:s3:::a/a'

Semantics
---------

**Resource specs.** A :class:`ResourceSpec` is the resource element of one
statement. With ``negated=False`` (``Resource``) it admits an ARN ``s`` iff
``s`` matches at least one of its patterns; with ``negated=True``
(``NotResource``) it admits ``s`` iff ``s`` matches none of its patterns.

**Policy patterns.** ``*`` matches any sequence of characters (including the
empty one), ``?`` exactly one character, every other character itself;
matching is case-sensitive. ``${*}``, ``${?}`` and ``${$}`` are the literal
characters ``*``, ``?`` and ``$``. A ``${`` without a closing ``}`` is literal
text. Any other ``${name}`` (``${aws:username}``, ``${aws:PrincipalTag/team}``,
``${name, 'default'}``) is a value unknown when the policy is evaluated
statically. Patterns are read as 2012-10-17 policy text; a caller evaluating a
2008-10-17 policy (where ``${`` is literal text) must first write each ``$``
of its patterns as ``${$}``.

**Unknown policy variables** follow the leaning rule of semantics section 3
(an Allow could match, a Deny might not apply). The caller says which side a
spec is on by passing it in ``allow_levels`` or in ``denies``:

=======  ===========================================  ===========================================
side     ``Resource`` (``negated=False``)             ``NotResource`` (``negated=True``)
=======  ===========================================  ===========================================
Allow    the variable is read as ``*``: the pattern   a pattern containing a variable matches
         admits whatever it could match               nothing: it never certainly excludes an ARN
Deny     a pattern containing a variable matches      the variable is read as ``*``: the pattern
         nothing: it never certainly removes an ARN   protects every ARN it could match
=======  ===========================================  ===========================================

Put another way: where a match *helps* an ARN survive (Allow Resource, Deny
NotResource), a pattern matches when it *could* match for some value of its
variables; where a match *hurts* (Allow NotResource, Deny Resource), it
matches only when it matches *for every* value. Because a variable's value
may be longer than any given ARN, "matches for every value" holds only for
patterns without variables, which makes the two "matches nothing" cells
exact; reading a variable as ``*`` is exact for a variable used once in a
pattern and errs towards "could match" otherwise (``${v}-${v}`` is read as
``*-*``). A Deny + NotResource pattern with a variable therefore still lets
the Deny remove ARNs that pattern can never match (an ``ec2`` ARN is not
protected by ``arn:aws:s3:::${aws:username}/*``).

**ARN templates** (from the IAM catalog, e.g.
``arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}``).
``*`` and ``?`` are *literal* characters in a template: the template ``*``
used for actions without resource types is the one-character string ``*``,
which only a policy pattern matching the text ``*`` (such as ``*``, ``?`` or
``${*}``) admits; ``arn:*`` does not. A template variable ``${Name}`` stands
for one or more characters other than ``:`` and ``/``, except a variable that
ends the template, which may also hold ``/`` (IAM names with paths such as
``${RoleNameWithPath}``, SSM parameter names): one or more characters other
than ``:``. A final variable whose name says it is a key (``${ObjectName}``,
``${...Key...}``: S3 object keys may contain ``:``) holds any characters. No
catalog template puts a separator after its last variable. (Letting every
final variable hold ``:`` would let an EC2 instance id or a Lambda function
name spell out the tail of an S3 ARN and escape a Deny + NotResource.)
A ``${`` without a closing ``}`` is literal text. ``${Partition}`` is an
ordinary variable unless the caller passes ``partition=`` (e.g. ``"aws"``),
which makes it that literal text: an organization lives in one partition,
so only its ARNs can be requested.

Algorithm
---------

Every template set, every spec's pattern list and every deny pattern list is
compiled once (cached) into a position NFA whose state sets are bit masks.
The search is a breadth-first walk over the product of those automata, built
on the fly: a product state holds one state set per automaton (the templates
together; per level, the non-negated specs together and each negated spec
alone; the non-negated denies together; each negated deny alone). The
alphabet is the set of literal characters of the patterns and templates, the
separators ``:`` and ``/``, and one representative of "any other character";
at each product state only the characters some automaton can currently read
literally are tried, plus ``:``, ``/`` and the representative (the first of
``a``-``z``, ``0``-``9``, ``A``-``Z`` not read literally there, so witnesses
read like ``arn:aws:s3:::a/a``). A product state accepts when the templates
accept, every level has an admitting spec and no deny removes the string.
Automata that can no longer change the outcome (state set empty, or
containing a state that accepts every continuation) are collapsed so that
dead product states are pruned early. The first accepting state found gives a
shortest witness. There is no backtracking and no enumeration of strings.
Automata steps are bit-parallel (``engine/_automata.py``): a few big-integer
operations per step, whatever the number of states.

Before searching, a linear test decides the common hostile case exactly: when
the Deny patterns certainly cover every pattern some level admits (the deny
automaton reads the admitted pattern itself; sound, not complete), nothing
survives and no search is made. An Allow and a Deny on the same pattern, or
a Deny on a wider one, are decided this way.

Bound
-----

The product can have exponentially many states (a Deny on ``*a`` followed by
*n* ``?`` must remember *n* characters, and deciding such questions is
PSPACE-hard in general), so every search is bounded: it stops after
``max_steps`` automaton steps (default :data:`MAX_SEARCH_STEPS`; the cost of
expanding a product state is the number of symbols tried times the active
automata, plus their literal alphabets). When the bound is reached first,
:func:`search_surviving_arn` returns a result with ``exhausted=True`` and
:func:`find_surviving_arn` raises :class:`~orgaccess.errors.SearchLimitError`:
the question is *undecided*, never answered wrongly. A search that decides
in ``s`` steps decides identically under any bound of at least ``s``.
The evaluator turns an undecided action into a listed service, a safe
over-approximation (see :mod:`orgaccess.engine.evaluation` and
``docs/explanation/evaluation-bounds.md``).
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable, Sequence

import attrs

from ..errors import SearchLimitError
from ._automata import (
    EMPTY,
    NO_TEMPLATES,
    PREF_RANK,
    PREFERRED,
    SEPARATORS,
    UNIV,
    Nfa,
    compile_patterns,
    compile_templates,
    covered,
)

__all__ = [
    "MAX_SEARCH_STEPS",
    "ResourceSpec",
    "SearchResult",
    "find_surviving_arn",
    "search_surviving_arn",
    "some_arn_survives",
]

#: The default bound on one search, in automaton steps (one step: one
#: automaton reads one character). About 0.1 s of work; realistic SCPs need a
#: few hundred steps per search.
MAX_SEARCH_STEPS = 50_000


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    """Converter for :attr:`ResourceSpec.patterns`: any iterable of str, never a bare str."""
    if isinstance(value, str):
        msg = f"patterns must be a sequence of strings, not the string {value!r}"
        raise TypeError(msg)
    return tuple(value)


@attrs.frozen
class ResourceSpec:
    """The resource element of one statement.

    ``patterns`` are the Resource patterns, or the NotResource patterns when
    ``negated`` is true.
    """

    patterns: tuple[str, ...] = attrs.field(converter=_str_tuple)
    negated: bool = False


# --------------------------------------------------------------------------- search


def _is_all_stars(pattern: str) -> bool:
    return bool(pattern) and pattern.count("*") == len(pattern)


def _representative(taken: Iterable[str]) -> str:
    """A readable character outside ``taken`` (stands for "any other character")."""
    used = set(taken)
    for c in PREFERRED:
        if c not in used:
            return c
    code = 0xC0
    while chr(code) in used:  # pragma: no cover - needs 62 literal characters in play
        code += 1
    return chr(code)  # pragma: no cover


def _symbol_order(c: str) -> tuple[int, int]:
    rank = PREF_RANK.get(c)
    return (0, rank) if rank is not None else (1, ord(c))


@attrs.frozen
class _Problem:
    """The compiled automata of one question; ``nfas[0]`` is the templates."""

    nfas: tuple[Nfa, ...]
    levels: tuple[tuple[int, tuple[int, ...]], ...]  # (index of union, indexes of negated specs)
    deny_union: int
    negated_denies: tuple[int, ...]

    def dead(self, state: tuple[int, ...]) -> bool:
        if state[0] == EMPTY or state[self.deny_union] == UNIV:
            return True
        if any(state[i] == EMPTY for i in self.negated_denies):
            return True
        return any(
            state[u] == EMPTY and all(state[i] == UNIV for i in negs) for u, negs in self.levels
        )

    def accepting(self, state: tuple[int, ...]) -> bool:
        nfas = self.nfas
        if not nfas[0].accepts(state[0]):
            return False
        d = self.deny_union
        if nfas[d].accepts(state[d]):
            return False
        if not all(nfas[i].accepts(state[i]) for i in self.negated_denies):
            return False
        return all(
            nfas[u].accepts(state[u]) or any(not nfas[i].accepts(state[i]) for i in negs)
            for u, negs in self.levels
        )

    def settle(self, state: tuple[int, ...]) -> tuple[int, ...]:
        """Mark levels satisfied for every continuation as such (fewer distinct states)."""
        out: list[int] | None = None
        for u, negs in self.levels:
            if state[u] == UNIV:
                continue
            if any(state[i] == EMPTY for i in negs):
                if out is None:
                    out = list(state)
                out[u] = UNIV
                for i in negs:
                    out[i] = UNIV
        return state if out is None else tuple(out)


def _build(
    templates: tuple[str, ...],
    allow_levels: tuple[tuple[ResourceSpec, ...], ...],
    denies: tuple[ResourceSpec, ...],
    partition: str | None,
) -> _Problem | None:
    """Compile one question; None when no ARN can survive without searching."""
    if not templates:
        return None
    prepared = _prepare(allow_levels, denies)
    if prepared is None:
        return None
    return attrs.evolve(
        prepared, nfas=(compile_templates(templates, partition), *prepared.nfas[1:])
    )


@functools.lru_cache(maxsize=4096)
def _prepare(
    allow_levels: tuple[tuple[ResourceSpec, ...], ...], denies: tuple[ResourceSpec, ...]
) -> _Problem | None:
    """The part of a question that does not depend on the templates (cached).

    ``nfas[0]`` is a placeholder for the templates' automaton; None when no
    ARN can survive whatever the templates.
    """
    nfas: list[Nfa] = [NO_TEMPLATES]

    deny_patterns: list[str] = []
    negated_denies: list[int] = []
    for spec in denies:
        if spec.negated:
            nfa = compile_patterns(spec.patterns, True)
            if nfa.start == 0:  # NotResource that can match nothing: denies everything
                return None
            negated_denies.append(len(nfas))
            nfas.append(nfa)
        elif any(_is_all_stars(p) for p in spec.patterns):
            return None
        else:
            deny_patterns.extend(spec.patterns)

    deny_nfa = compile_patterns(tuple(deny_patterns), False)
    levels: list[tuple[int, tuple[int, ...]]] = []
    seen: set[frozenset[ResourceSpec]] = set()
    for level in allow_levels:
        if not level:
            return None
        key = frozenset(level)
        if key in seen:
            continue
        seen.add(key)
        plain = [p for spec in level if not spec.negated for p in spec.patterns]
        if any(_is_all_stars(p) for p in plain):
            continue  # fast path: this level admits every ARN
        negated = [compile_patterns(spec.patterns, False) for spec in level if spec.negated]
        if any(nfa.start == 0 for nfa in negated):
            continue  # a NotResource that certainly excludes nothing admits every ARN
        if plain and not negated and covered(tuple(plain), tuple(deny_patterns)):
            return None  # everything this level admits is denied (e.g. the same pattern)
        negs = tuple(range(len(nfas), len(nfas) + len(negated)))
        nfas.extend(negated)
        union = len(nfas)
        nfas.append(compile_patterns(tuple(plain), True))
        levels.append((union, negs))

    deny_union = len(nfas)
    nfas.append(deny_nfa)
    return _Problem(tuple(nfas), tuple(levels), deny_union, tuple(negated_denies))


@attrs.frozen
class SearchResult:
    """The outcome of one bounded search (see :func:`search_surviving_arn`).

    ``witness`` is a shortest surviving string, or None; when ``exhausted``
    is true the bound was reached first and ``witness`` is None although the
    question is *undecided*. ``steps`` counts the automaton steps spent.
    """

    witness: str | None
    exhausted: bool
    steps: int


def _search(problem: _Problem, max_steps: int) -> SearchResult:
    """Breadth-first search of the product automaton, at most ``max_steps`` automaton steps."""
    nfas = problem.nfas
    start = problem.settle(tuple(nfa.canon(nfa.start) for nfa in nfas))
    if problem.dead(start):
        return SearchResult(None, False, 0)
    if problem.accepting(start):
        return SearchResult("", False, 0)
    parent: dict[tuple[int, ...], tuple[tuple[int, ...], str]] = {}
    seen = {start}
    queue = deque([start])
    indexed = tuple(enumerate(nfas))
    settle = any(negs for _, negs in problem.levels)
    steps = 0
    while queue:
        state = queue.popleft()
        active = [(i, nfa) for i, nfa in indexed if state[i] > 0]
        # The literal look-ups below, then one step per active automaton and symbol;
        # the bound is checked before each part of the work.
        lookups = sum(nfa.alphabet for _, nfa in active)
        if steps + lookups + 3 * len(active) > max_steps:
            return SearchResult(None, True, steps)
        relevant: set[str] = set(SEPARATORS)
        for i, nfa in active:
            relevant |= nfa.relevant(state[i])
        symbols = sorted((*relevant, _representative(relevant)), key=_symbol_order)
        cost = lookups + len(symbols) * len(active)
        if steps + cost > max_steps:
            return SearchResult(None, True, steps)
        steps += cost
        for ch in symbols:
            nxt = tuple([nfa.step(v, ch) if (v := state[i]) > 0 else v for i, nfa in indexed])
            if settle:
                nxt = problem.settle(nxt)
            if nxt in seen:
                continue
            seen.add(nxt)
            parent[nxt] = (state, ch)
            if problem.dead(nxt):
                continue
            if problem.accepting(nxt):
                chars = [ch]
                cur = state
                while cur != start:
                    cur, c = parent[cur]
                    chars.append(c)
                return SearchResult("".join(reversed(chars)), False, steps)
            queue.append(nxt)
    return SearchResult(None, False, steps)


@functools.lru_cache(maxsize=4096)
def _solve(
    templates: tuple[str, ...],
    allow_levels: tuple[tuple[ResourceSpec, ...], ...],
    denies: tuple[ResourceSpec, ...],
    partition: str | None,
    max_steps: int,
) -> SearchResult:
    problem = _build(templates, allow_levels, denies, partition)
    return SearchResult(None, False, 0) if problem is None else _search(problem, max_steps)


def _check(templates: Sequence[str], partition: str | None, max_steps: int) -> None:
    if isinstance(templates, str):
        msg = f"templates must be a sequence of strings, not the string {templates!r}"
        raise TypeError(msg)
    if partition is not None and (not partition or SEPARATORS & set(partition)):
        msg = f"partition must be a non-empty string without ':' or '/', not {partition!r}"
        raise ValueError(msg)
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 0:
        msg = f"max_steps must be a non-negative int, not {max_steps!r}"
        raise ValueError(msg)


def search_surviving_arn(
    templates: Sequence[str],
    allow_levels: Sequence[Sequence[ResourceSpec]],
    denies: Sequence[ResourceSpec] = (),
    *,
    partition: str | None = None,
    max_steps: int = MAX_SEARCH_STEPS,
) -> SearchResult:
    """:func:`find_surviving_arn` that reports reaching the bound instead of raising.

    >>> result = search_surviving_arn(
    ...     ["arn:aws:s3:::${BucketName}"],
    ...     [[ResourceSpec(("arn:aws:s3:::*a" + "?" * 18,))]],
    ...     [ResourceSpec(("arn:aws:s3:::*a" + "?" * 17 + "b",))],
    ...     max_steps=1000,
    ... )
    >>> result.witness, result.exhausted
    (None, True)
    """
    _check(templates, partition, max_steps)
    return _solve(
        tuple(templates),
        tuple(tuple(level) for level in allow_levels),
        tuple(denies),
        partition,
        max_steps,
    )


def find_surviving_arn(
    templates: Sequence[str],
    allow_levels: Sequence[Sequence[ResourceSpec]],
    denies: Sequence[ResourceSpec] = (),
    *,
    partition: str | None = None,
    max_steps: int = MAX_SEARCH_STEPS,
) -> str | None:
    """A shortest string that some template describes, every level admits and no deny removes.

    ``templates`` are ARN templates of the action's resource types (``["*"]``
    for an action without resource types). ``allow_levels`` holds, for each
    level of the organization, the resource specs of the Allow statements
    that match the action there: a level admits an ARN when at least one of
    its specs does, and a level with no specs admits nothing (the result is
    then None); an empty ``allow_levels`` puts no allow constraint. ``denies``
    holds the resource specs of the unconditional Deny statements that match
    the action, at any level. Template variables in the witness are filled
    with readable characters (``a`` where possible). None if no string
    survives.

    ``partition`` (keyword only, e.g. ``"aws"``) fixes the templates'
    ``${Partition}`` variable: every ARN an organization's requests can name
    is in the organization's own partition, so a Deny on ``arn:aws:s3:::*``
    then removes every S3 ARN. Without it ``${Partition}`` is an ordinary
    template variable and ``arn:a:s3:::a`` escapes that Deny.

    ``max_steps`` bounds the work (automaton steps, see the module
    docstring); when it is reached before the question is decided,
    :class:`~orgaccess.errors.SearchLimitError` is raised.
    """
    result = search_surviving_arn(
        templates, allow_levels, denies, partition=partition, max_steps=max_steps
    )
    if result.exhausted:
        msg = (
            f"the resource search reached its bound of {max_steps} automaton steps "
            f"before deciding (templates {list(templates)!r})"
        )
        raise SearchLimitError(msg, steps=max_steps)
    return result.witness


def some_arn_survives(
    templates: Sequence[str],
    allow_levels: Sequence[Sequence[ResourceSpec]],
    denies: Sequence[ResourceSpec] = (),
    *,
    partition: str | None = None,
    max_steps: int = MAX_SEARCH_STEPS,
) -> bool:
    """Whether :func:`find_surviving_arn` finds a string (see there; raises at the bound)."""
    found = find_surviving_arn(
        templates, allow_levels, denies, partition=partition, max_steps=max_steps
    )
    return found is not None
