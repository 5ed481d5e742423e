"""Exact decision of "does some resource ARN survive" for SCP evaluation.

An IAM action is possible under a set of SCPs when some ARN of the action's
resource types (the catalog's ARN *templates*) is allowed at **every** level of
the organization (at each level, by at least one Allow statement's resource
element) and removed by **no** unconditional Deny (semantics section 3).
Templates and policy patterns both describe regular languages, so the question
"is the intersection non-empty?" is decided exactly, with automata, and a
shortest witness ARN is returned:

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
shortest witness. There is no backtracking and no enumeration of strings; the
work is bounded by the number of reachable product states.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Final

import attrs

__all__ = [
    "ResourceSpec",
    "find_surviving_arn",
    "some_arn_survives",
]


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


# --------------------------------------------------------------------------- tokens

# Token kinds of a position automaton. A token is (kind, char); char is used by _LIT only.
_LIT: Final = 0  # the character itself
_ANY: Final = 1  # exactly one character
_STAR: Final = 2  # any sequence of characters
_NSEP: Final = 3  # exactly one character other than ':' and '/'
_NSEP_STAR: Final = 4  # any sequence of characters other than ':' and '/'
_VAR: Final = 5  # an unknown policy variable (resolved before compilation)
_NCOLON: Final = 6  # exactly one character other than ':'
_NCOLON_STAR: Final = 7  # any sequence of characters other than ':'

_Tok = tuple[int, str]
_SEPARATORS: Final = frozenset(":/")
# A final template variable whose name says it is a key (S3 ``${ObjectName}``,
# ``${Key}``...) may hold ':' as well as '/'.
_KEY_VARIABLE: Final = re.compile(r"Object|Key", re.IGNORECASE)
_ESCAPES: Final = frozenset("*?$")
_OTHER: Final = ""  # the class of every character an automaton does not read literally
_PREFERRED: Final = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PREF_RANK: Final = {c: i for i, c in enumerate(_PREFERRED)}

# Canonical state-set values in a product state (real state sets are positive masks).
_EMPTY: Final = 0  # the automaton accepts no continuation
_UNIV: Final = -1  # the automaton accepts every continuation
_MEMO_LIMIT: Final = 65536  # entries per automaton in each step/relevant memo (a cache bound)


@functools.lru_cache(maxsize=8192)
def _parse_pattern(pattern: str) -> tuple[_Tok, ...]:
    """Tokens of a policy pattern; unknown variables are left as _VAR tokens."""
    out: list[_Tok] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "$" and pattern.startswith("${", i):
            end = pattern.find("}", i + 2)
            if end != -1:
                name = pattern[i + 2 : end]
                out.append((_LIT, name) if name in _ESCAPES and len(name) == 1 else (_VAR, ""))
                i = end + 1
                continue
        if c == "*":
            out.append((_STAR, ""))
        elif c == "?":
            out.append((_ANY, ""))
        else:
            out.append((_LIT, c))
        i += 1
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _parse_template(template: str, partition: str | None) -> tuple[_Tok, ...]:
    """Tokens of an ARN template.

    A variable is one or more non-separators, or one or more of any
    characters when it ends the template. ``${Partition}`` is the literal
    ``partition`` when one is given.
    """
    pieces: list[_Tok | str] = []  # a str is the name of a variable
    i, n = 0, len(template)
    while i < n:
        if template.startswith("${", i):
            end = template.find("}", i + 2)
            if end != -1:
                name = template[i + 2 : end]
                if partition is not None and name == "Partition":
                    pieces.extend((_LIT, c) for c in partition)
                else:
                    pieces.append(name)
                i = end + 1
                continue
        pieces.append((_LIT, template[i]))
        i += 1
    out: list[_Tok] = []
    for k, piece in enumerate(pieces):
        if not isinstance(piece, str):
            out.append(piece)
        elif k == len(pieces) - 1 and _KEY_VARIABLE.search(piece):
            out += [(_ANY, ""), (_STAR, "")]
        elif k == len(pieces) - 1:
            out += [(_NCOLON, ""), (_NCOLON_STAR, "")]
        else:
            out += [(_NSEP, ""), (_NSEP_STAR, "")]
    return tuple(out)


def _resolve(tokens: tuple[_Tok, ...], could: bool) -> tuple[_Tok, ...] | None:
    """Resolve unknown variables: read as ``*`` (could match) or drop the pattern (None)."""
    if not any(kind == _VAR for kind, _ in tokens):
        return tokens
    if not could:
        return None
    return tuple((_STAR, "") if kind == _VAR else (kind, ch) for kind, ch in tokens)


# --------------------------------------------------------------------------- automata


class _Nfa:
    """Union of position automata over token sequences; state sets are int bit masks.

    State ``offset + i`` of a sequence means "the first i tokens are consumed";
    the successor tables are closed under the empty moves of star tokens.
    The step memo is a cache (the object itself is shared through lru_cache).
    """

    __slots__ = ("_lits_at", "_memo", "_rel_memo", "_succ", "accept", "start", "universal")

    def __init__(self, seqs: Iterable[tuple[_Tok, ...]]) -> None:
        tokens: list[_Tok | None] = []  # None: the final (accepting) position of a sequence
        starts: list[int] = []
        for seq in seqs:
            starts.append(len(tokens))
            tokens.extend(_squeeze(seq))
            tokens.append(None)
        size = len(tokens)

        closure = [0] * size
        for i in range(size - 1, -1, -1):
            tok = tokens[i]
            closure[i] = 1 << i
            if tok is not None and tok[0] in (_STAR, _NSEP_STAR, _NCOLON_STAR):
                closure[i] |= closure[i + 1]

        literals = {c for tok in tokens if tok is not None and tok[0] == _LIT for c in tok[1]}
        classes = [*sorted(literals | _SEPARATORS), _OTHER]
        succ: dict[str, tuple[int, ...]] = {}
        for cls in classes:
            row = [0] * size
            for i, tok in enumerate(tokens):
                if tok is None:
                    continue
                kind, ch = tok
                if kind == _LIT:
                    if ch == cls:
                        row[i] = closure[i + 1]
                elif kind == _ANY:
                    row[i] = closure[i + 1]
                elif kind == _STAR:
                    row[i] = closure[i]
                elif kind in (_NCOLON, _NCOLON_STAR):
                    if cls != ":":
                        row[i] = closure[i + 1] if kind == _NCOLON else closure[i]
                elif cls not in _SEPARATORS:
                    row[i] = closure[i + 1] if kind == _NSEP else closure[i]
            succ[cls] = tuple(row)

        # A `*` right before the end of its sequence accepts every continuation.
        accept = 0
        universal = 0
        for i, tok in enumerate(tokens):
            if tok is None:
                accept |= 1 << i
            elif tok == (_STAR, "") and tokens[i + 1] is None:
                universal |= 1 << i

        self.start = 0
        for s in starts:
            self.start |= closure[s]
        self.accept = accept
        self.universal = universal
        self._succ = succ
        self._lits_at = tuple(
            tok[1] if tok is not None and tok[0] == _LIT else _OTHER for tok in tokens
        )
        self._memo: dict[tuple[int, str], int] = {}
        self._rel_memo: dict[int, frozenset[str]] = {}

    def step(self, mask: int, ch: str) -> int:
        """The canonical state set after reading ``ch`` from the (positive) state set ``mask``."""
        succ = self._succ
        cls = ch if ch in succ else _OTHER
        key = (mask, cls)
        memo = self._memo
        found = memo.get(key)
        if found is not None:
            return found
        row = succ[cls]
        out = 0
        m = mask
        while m:
            low = m & -m
            out |= row[low.bit_length() - 1]
            m ^= low
        out = self.canon(out)
        if len(memo) < _MEMO_LIMIT:
            memo[key] = out
        return out

    def relevant(self, mask: int) -> frozenset[str]:
        """The characters some state of ``mask`` reads literally."""
        found = self._rel_memo.get(mask)
        if found is not None:
            return found
        lits = self._lits_at
        chars = set()
        m = mask
        while m:
            low = m & -m
            c = lits[low.bit_length() - 1]
            if c:
                chars.add(c)
            m ^= low
        out = frozenset(chars)
        if len(self._rel_memo) < _MEMO_LIMIT:
            self._rel_memo[mask] = out
        return out

    def canon(self, mask: int) -> int:
        """Collapse a state set that can no longer change the outcome."""
        if mask == 0:
            return _EMPTY
        if mask & self.universal:
            return _UNIV
        return mask

    def accepts(self, value: int) -> bool:
        """Whether a canonical state-set value accepts the string read so far."""
        return value == _UNIV or (value > 0 and bool(value & self.accept))


def _squeeze(seq: tuple[_Tok, ...]) -> list[_Tok]:
    """Merge runs of ``*`` (``**`` is ``*``)."""
    out: list[_Tok] = []
    for tok in seq:
        if tok == (_STAR, "") and out and out[-1] == tok:
            continue
        out.append(tok)
    return out


@functools.lru_cache(maxsize=4096)
def _compile_templates(templates: tuple[str, ...], partition: str | None) -> _Nfa:
    return _Nfa(_parse_template(t, partition) for t in templates)


@functools.lru_cache(maxsize=8192)
def _compile_patterns(patterns: tuple[str, ...], could: bool) -> _Nfa:
    """One automaton for the union of ``patterns``, variables resolved per ``could``."""
    seqs = []
    for p in patterns:
        resolved = _resolve(_parse_pattern(p), could)
        if resolved is not None:
            seqs.append(resolved)
    return _Nfa(seqs)


# --------------------------------------------------------------------------- search


def _is_all_stars(pattern: str) -> bool:
    return bool(pattern) and pattern.count("*") == len(pattern)


def _representative(taken: Iterable[str]) -> str:
    """A readable character outside ``taken`` (stands for "any other character")."""
    used = set(taken)
    for c in _PREFERRED:
        if c not in used:
            return c
    code = 0xC0
    while chr(code) in used:  # pragma: no cover - needs 62 literal characters in play
        code += 1
    return chr(code)  # pragma: no cover


def _symbol_order(c: str) -> tuple[int, int]:
    rank = _PREF_RANK.get(c)
    return (0, rank) if rank is not None else (1, ord(c))


@attrs.frozen
class _Problem:
    """The compiled automata of one question; ``nfas[0]`` is the templates."""

    nfas: tuple[_Nfa, ...]
    levels: tuple[tuple[int, tuple[int, ...]], ...]  # (index of union, indexes of negated specs)
    deny_union: int
    negated_denies: tuple[int, ...]

    def dead(self, state: tuple[int, ...]) -> bool:
        if state[0] == _EMPTY or state[self.deny_union] == _UNIV:
            return True
        if any(state[i] == _EMPTY for i in self.negated_denies):
            return True
        return any(
            state[u] == _EMPTY and all(state[i] == _UNIV for i in negs) for u, negs in self.levels
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
            if state[u] == _UNIV:
                continue
            if any(state[i] == _EMPTY for i in negs):
                if out is None:
                    out = list(state)
                out[u] = _UNIV
                for i in negs:
                    out[i] = _UNIV
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
    nfas: list[_Nfa] = [_compile_templates(templates, partition)]

    deny_patterns: list[str] = []
    negated_denies: list[int] = []
    for spec in denies:
        if spec.negated:
            nfa = _compile_patterns(spec.patterns, True)
            if nfa.start == 0:  # NotResource that can match nothing: denies everything
                return None
            negated_denies.append(len(nfas))
            nfas.append(nfa)
        elif any(_is_all_stars(p) for p in spec.patterns):
            return None
        else:
            deny_patterns.extend(spec.patterns)

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
        negated = [_compile_patterns(spec.patterns, False) for spec in level if spec.negated]
        if any(nfa.start == 0 for nfa in negated):
            continue  # a NotResource that certainly excludes nothing admits every ARN
        negs = tuple(range(len(nfas), len(nfas) + len(negated)))
        nfas.extend(negated)
        union = len(nfas)
        nfas.append(_compile_patterns(tuple(plain), True))
        levels.append((union, negs))

    deny_union = len(nfas)
    nfas.append(_compile_patterns(tuple(deny_patterns), False))
    return _Problem(tuple(nfas), tuple(levels), deny_union, tuple(negated_denies))


def _search(problem: _Problem) -> str | None:
    """Breadth-first search of the product automaton; a shortest witness or None."""
    nfas = problem.nfas
    start = problem.settle(tuple(nfa.canon(nfa.start) for nfa in nfas))
    if problem.dead(start):
        return None
    if problem.accepting(start):
        return ""
    parent: dict[tuple[int, ...], tuple[tuple[int, ...], str]] = {}
    seen = {start}
    queue = deque([start])
    indexed = tuple(enumerate(nfas))
    settle = any(negs for _, negs in problem.levels)
    while queue:
        state = queue.popleft()
        relevant: set[str] = set(_SEPARATORS)
        for i, nfa in indexed:
            value = state[i]
            if value > 0:
                relevant |= nfa.relevant(value)
        symbols = sorted((*relevant, _representative(relevant)), key=_symbol_order)
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
                return "".join(reversed(chars))
            queue.append(nxt)
    return None


@functools.lru_cache(maxsize=4096)
def _solve(
    templates: tuple[str, ...],
    allow_levels: tuple[tuple[ResourceSpec, ...], ...],
    denies: tuple[ResourceSpec, ...],
    partition: str | None,
) -> str | None:
    problem = _build(templates, allow_levels, denies, partition)
    return None if problem is None else _search(problem)


def find_surviving_arn(
    templates: Sequence[str],
    allow_levels: Sequence[Sequence[ResourceSpec]],
    denies: Sequence[ResourceSpec] = (),
    *,
    partition: str | None = None,
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
    """
    if isinstance(templates, str):
        msg = f"templates must be a sequence of strings, not the string {templates!r}"
        raise TypeError(msg)
    if partition is not None and (not partition or _SEPARATORS & set(partition)):
        msg = f"partition must be a non-empty string without ':' or '/', not {partition!r}"
        raise ValueError(msg)
    return _solve(
        tuple(templates),
        tuple(tuple(level) for level in allow_levels),
        tuple(denies),
        partition,
    )


def some_arn_survives(
    templates: Sequence[str],
    allow_levels: Sequence[Sequence[ResourceSpec]],
    denies: Sequence[ResourceSpec] = (),
    *,
    partition: str | None = None,
) -> bool:
    """Whether :func:`find_surviving_arn` finds a string (see there)."""
    return find_surviving_arn(templates, allow_levels, denies, partition=partition) is not None
