"""Private to the engine: the position automata behind :mod:`orgaccess.engine.arnmatch`.

Policy patterns and ARN templates are read into tokens, and a union of token
sequences is compiled into an :class:`Nfa` whose state sets are bit masks.
A step is bit-parallel: a few big-integer operations whatever the number of
states, so one step costs about the same for a 5,000-character pattern as for
a short one. The semantics of patterns and templates are documented in
:mod:`orgaccess.engine.arnmatch`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Final

__all__ = [
    "EMPTY",
    "NO_TEMPLATES",
    "PREFERRED",
    "PREF_RANK",
    "SEPARATORS",
    "UNIV",
    "Nfa",
    "compile_patterns",
    "compile_templates",
    "covered",
]

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
SEPARATORS: Final = frozenset(":/")
# A final template variable whose name says it is a key (S3 ``${ObjectName}``,
# ``${Key}``...) may hold ':' as well as '/'.
_KEY_VARIABLE: Final = re.compile(r"Object|Key", re.IGNORECASE)
_ESCAPES: Final = frozenset("*?$")
_OTHER: Final = ""  # the class of every character an automaton does not read literally
PREFERRED: Final = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PREF_RANK: Final = {c: i for i, c in enumerate(PREFERRED)}

# Canonical state-set values in a product state (real state sets are positive masks).
EMPTY: Final = 0  # the automaton accepts no continuation
UNIV: Final = -1  # the automaton accepts every continuation
# The step and relevant memos of an automaton hold at most about _MEMO_BITS bits
# of state sets (and at least 64 entries): a cache bound, so a long pattern's
# memo stays near 128 KiB.
_MEMO_BITS: Final = 1 << 20


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


class Nfa:
    """Union of position automata over token sequences; state sets are int bit masks.

    State ``offset + i`` of a sequence means "the first i tokens are consumed".
    A step is bit-parallel (a few big-integer operations, no loop over the
    states): the states whose token reads the character and moves on are
    shifted by one, the states whose token reads it and stays (``*``-like)
    are kept, and the result is closed under the empty moves of ``*``-like
    tokens. Construction is linear in the number of tokens plus the alphabet.
    The step memo is a cache (the object itself is shared through lru_cache).
    """

    __slots__ = (
        "_advance",
        "_any",
        "_eps",
        "_literal",
        "_memo",
        "_memo_limit",
        "_rel_memo",
        "_star",
        "_stay",
        "accept",
        "size",
        "start",
        "universal",
    )

    def __init__(self, seqs: Iterable[tuple[_Tok, ...]]) -> None:
        tokens: list[_Tok | None] = []  # None: the final (accepting) position of a sequence
        starts: list[int] = []
        for seq in seqs:
            starts.append(len(tokens))
            tokens.extend(_squeeze(seq))
            tokens.append(None)
        self.size = len(tokens)

        # Per token kind, the positions holding it; per literal character, its positions.
        by_kind = [0] * 8
        literal: dict[str, int] = {}
        accept = universal = 0
        for i, tok in enumerate(tokens):
            if tok is None:
                accept |= 1 << i
                continue
            kind, ch = tok
            by_kind[kind] |= 1 << i
            if kind == _LIT:
                literal[ch] = literal.get(ch, 0) | (1 << i)
            elif kind == _STAR and tokens[i + 1] is None:
                universal |= 1 << i  # a final `*` accepts every continuation
        any_, star = by_kind[_ANY], by_kind[_STAR]
        nsep, nsep_star = by_kind[_NSEP], by_kind[_NSEP_STAR]
        ncolon, ncolon_star = by_kind[_NCOLON], by_kind[_NCOLON_STAR]
        advance: dict[str, int] = {}
        stay: dict[str, int] = {}
        for cls in (*literal, *SEPARATORS, _OTHER):
            adv, keep = any_ | literal.get(cls, 0), star
            if cls != ":":
                adv |= ncolon
                keep |= ncolon_star
            if cls not in SEPARATORS:
                adv |= nsep
                keep |= nsep_star
            advance[cls] = adv
            stay[cls] = keep
        self._advance = advance
        self._stay = stay
        self._literal = literal
        self._eps = star | nsep_star | ncolon_star
        self._any = any_
        self._star = star
        self.accept = accept
        self.universal = universal
        self.start = self._close(sum(1 << s for s in starts))
        self._memo: dict[tuple[int, str], int] = {}
        self._rel_memo: dict[int, frozenset[str]] = {}
        self._memo_limit = max(64, _MEMO_BITS // max(1, self.size))

    def _close(self, mask: int) -> int:
        """``mask`` closed under the empty moves of ``*``-like tokens (i -> i + 1)."""
        eps = self._eps
        while True:
            grown = mask | ((mask & eps) << 1)
            if grown == mask:
                return mask
            mask = grown

    def step(self, mask: int, ch: str) -> int:
        """The canonical state set after reading ``ch`` from the (positive) state set ``mask``."""
        cls = ch if ch in self._advance else _OTHER
        key = (mask, cls)
        memo = self._memo
        found = memo.get(key)
        if found is not None:
            return found
        out = self.canon(self._close(((mask & self._advance[cls]) << 1) | (mask & self._stay[cls])))
        if len(memo) < self._memo_limit:
            memo[key] = out
        return out

    def covers(self, seq: tuple[_Tok, ...]) -> bool:
        """Whether every string the pattern ``seq`` matches is certainly accepted.

        A sufficient test, linear in ``len(seq)``: the automaton reads the
        pattern itself, a ``?`` only through its ``?``/``*`` states and a ``*``
        only through its ``*`` states. Every state kept is reachable by every
        string the pattern has matched so far, so an accepting state at the
        end accepts them all. ``seq`` holds literal, ``?`` and ``*`` tokens.
        """
        mask = self.start
        for kind, ch in _squeeze(seq):
            if mask & self.universal:
                return True
            if kind == _LIT:
                cls = ch if ch in self._advance else _OTHER
                mask = ((mask & self._advance[cls]) << 1) | (mask & self._stay[cls])
            elif kind == _ANY:
                mask = ((mask & self._any) << 1) | (mask & self._star)
            else:
                mask &= self._star
            mask = self._close(mask)
            if not mask:
                return False
        return bool(mask & (self.accept | self.universal))

    def relevant(self, mask: int) -> frozenset[str]:
        """The characters some state of ``mask`` reads literally."""
        found = self._rel_memo.get(mask)
        if found is not None:
            return found
        out = frozenset(c for c, bits in self._literal.items() if mask & bits)
        if len(self._rel_memo) < self._memo_limit:
            self._rel_memo[mask] = out
        return out

    @property
    def alphabet(self) -> int:
        """How many characters the automaton reads literally."""
        return len(self._literal)

    def canon(self, mask: int) -> int:
        """Collapse a state set that can no longer change the outcome."""
        if mask == 0:
            return EMPTY
        if mask & self.universal:
            return UNIV
        return mask

    def accepts(self, value: int) -> bool:
        """Whether a canonical state-set value accepts the string read so far."""
        return value == UNIV or (value > 0 and bool(value & self.accept))


def _squeeze(seq: tuple[_Tok, ...]) -> list[_Tok]:
    """Merge runs of ``*`` (``**`` is ``*``)."""
    out: list[_Tok] = []
    for tok in seq:
        if tok == (_STAR, "") and out and out[-1] == tok:
            continue
        out.append(tok)
    return out


@functools.lru_cache(maxsize=4096)
def compile_templates(templates: tuple[str, ...], partition: str | None) -> Nfa:
    return Nfa(_parse_template(t, partition) for t in templates)


NO_TEMPLATES: Final = Nfa(())  # a placeholder, replaced before any search


@functools.lru_cache(maxsize=1024)
def compile_patterns(patterns: tuple[str, ...], could: bool) -> Nfa:
    """One automaton for the union of ``patterns``, variables resolved per ``could``."""
    seqs = []
    for p in patterns:
        resolved = _resolved(p, could)
        if resolved is not None:
            seqs.append(resolved)
    return Nfa(seqs)


@functools.lru_cache(maxsize=8192)
def _resolved(pattern: str, could: bool) -> tuple[_Tok, ...] | None:
    """The tokens of ``pattern`` with its variables resolved per ``could`` (see _resolve)."""
    return _resolve(_parse_pattern(pattern), could)


@functools.lru_cache(maxsize=4096)
def covered(patterns: tuple[str, ...], deny_patterns: tuple[str, ...]) -> bool:
    """Whether the Deny patterns certainly remove every string of every pattern (sufficient)."""
    deny = compile_patterns(deny_patterns, False)
    for p in patterns:
        resolved = _resolved(p, True)
        if resolved is not None and not deny.covers(resolved):
            return False
    return True
