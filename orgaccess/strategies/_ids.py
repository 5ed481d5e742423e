"""Ids drawn token by token from the grammar of :data:`orgaccess.model.ids.ID_PATTERNS`."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import TypeVar

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from ..model.ids import (
    ID_PATTERNS,
    AccountId,
    OrganizationId,
    OuId,
    PolicyId,
    RootId,
)
from ._common import checked_when_used

# --------------------------------------------------------------------------- ids


def _expand_class(body: str) -> str:
    chars: list[str] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            chars.append(body[i])
            i += 1
    return "".join(sorted(set(chars)))


_TOKEN = re.compile(r"\[([^\]]+)\]\{(\d+)(?:,(\d+))?\}|\\d\{(\d+)(?:,(\d+))?\}|([^\[\]\\{}^$])")

_I = TypeVar("_I", bound=str)

# A grammar token: a literal (alphabet None) or a character class repeated min..max times.
_Token = tuple[str | None, str, int, int]


@functools.cache
def _grammar(kind: str) -> tuple[_Token, ...]:
    """The tokens of ``ID_PATTERNS[kind]``: literals and repeated character classes."""
    pattern = ID_PATTERNS[kind].removeprefix("^").removesuffix("$")
    tokens: list[_Token] = []
    pos = 0
    while pos < len(pattern):
        match = _TOKEN.match(pattern, pos)
        if match is None:  # pragma: no cover - the grammar table has only these forms
            raise InvalidArgument(f"cannot read id pattern {ID_PATTERNS[kind]!r} at {pos}")
        klass, low, high, dlow, dhigh, literal = match.groups()
        if literal is not None:
            tokens.append((None, literal, 1, 1))
        elif klass is not None:
            tokens.append((_expand_class(klass), "", int(low), int(high or low)))
        else:
            tokens.append(("0123456789", "", int(dlow), int(dhigh or dlow)))
        pos = match.end()
    return tuple(tokens)


def _id_text(kind: str, fixed: Mapping[int, str] | None = None) -> st.SearchStrategy[str]:
    """Text of ``kind`` drawn token by token; ``fixed`` pins the n-th character class."""
    return _id_text_of(kind, tuple(sorted(fixed.items())) if fixed else ())


@functools.lru_cache(maxsize=256)
def _id_text_of(kind: str, fixed_items: tuple[tuple[int, str], ...]) -> st.SearchStrategy[str]:
    # Cached: Hypothesis validates and labels a strategy object on first use, so
    # reusing one is much cheaper than building an equal one at every draw.
    fixed = dict(fixed_items)
    parts: list[st.SearchStrategy[str]] = []
    classes = 0
    for alphabet, literal, low, high in _grammar(kind):
        if alphabet is None:
            parts.append(st.just(literal))
            continue
        if classes in fixed:
            parts.append(st.just(fixed[classes]))
        else:
            parts.append(st.text(alphabet=alphabet, min_size=low, max_size=high))
        classes += 1
    return st.tuples(*parts).map("".join)


@functools.lru_cache(maxsize=16)
def _typed_ids(kind: str, cls: Callable[[str], _I]) -> st.SearchStrategy[_I]:
    """``_id_text(kind)`` as ``cls``, one strategy object per kind (see :func:`_id_text_of`)."""
    return _id_text(kind).map(cls)


def organization_ids() -> st.SearchStrategy[OrganizationId]:
    """Organization ids (``o-`` and 10 to 32 characters)."""
    return _typed_ids("organization", OrganizationId)


def root_ids() -> st.SearchStrategy[RootId]:
    """Root ids (``r-`` and 4 to 32 characters)."""
    return _typed_ids("root", RootId)


@checked_when_used
def ou_ids(*, root_id: str | None = None) -> st.SearchStrategy[OuId]:
    """OU ids; with ``root_id``, ids that share that root's suffix (as AWS makes them)."""
    if root_id is None:
        return _id_text("ou").map(OuId)
    if not RootId.is_valid(root_id):
        raise InvalidArgument(f"root_id={root_id!r} is not a root id ({ID_PATTERNS['root']})")
    return _id_text("ou", {0: root_id.split("-", 1)[1]}).map(OuId)


def account_ids() -> st.SearchStrategy[AccountId]:
    """Account ids (12 ASCII digits)."""
    return _typed_ids("account", AccountId)


def policy_ids() -> st.SearchStrategy[PolicyId]:
    """Policy ids (``p-`` and 8 to 128 characters); may be ``p-FullAWSAccess`` by chance."""
    return _typed_ids("policy", PolicyId)


@functools.cache
def _custom_policy_ids() -> st.SearchStrategy[PolicyId]:
    # Lower-case letters and digits only, like the ids AWS assigns to custom
    # policies: never equal to p-FullAWSAccess (which has capitals), no filter needed.
    alphabet = "".join(c for c in _grammar("policy")[2][0] or "" if not c.isupper() and c != "_")
    return st.text(alphabet=alphabet, min_size=8, max_size=16).map(lambda s: PolicyId("p-" + s))
