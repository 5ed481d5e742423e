"""Identifiers of an AWS Organization and entity paths.

The grammar lives here, in one table (:data:`ID_PATTERNS`): the parsers, the
snapshot validator, the documentation and the Hypothesis strategies all read
it. Each id kind is a ``str`` subclass that validates once, on construction,
so ids can be used wherever AWS's JSON has plain strings.

>>> AccountId("123456789012")
AccountId('123456789012')
>>> path = EntityPath.parse("o-a1b2c3d4e5/r-f6g7/ou-f6g7-aaaaaaaa/123456789012")
>>> path.kind
<EntityKind.ACCOUNT: 'account'>
>>> str(path.parent)
'o-a1b2c3d4e5/r-f6g7/ou-f6g7-aaaaaaaa'
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from typing import ClassVar, Self

import attrs

from ..errors import InvalidEntityPathError, InvalidIdError

__all__ = [
    "ENTITY_PATH_API_PATTERN",
    "ENTITY_PATH_MAX_LENGTH",
    "ENTITY_PATH_MIN_LENGTH",
    "ID_PATTERNS",
    "MAX_OU_DEPTH",
    "AccountId",
    "EntityId",
    "EntityKind",
    "EntityPath",
    "OrganizationId",
    "OuId",
    "PolicyId",
    "RootId",
    "parse_entity_id",
]

#: The id grammar (AWS Organizations API model). Keys are the id kinds.
#: The texts are AWS's, anchored with ``^...$``; orgaccess checks them with
#: ``fullmatch`` only (``$`` alone also matches before a final newline).
ID_PATTERNS: dict[str, str] = {
    "organization": r"^o-[a-z0-9]{10,32}$",
    "root": r"^r-[0-9a-z]{4,32}$",
    "ou": r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$",
    "account": r"^\d{12}$",
    "policy": r"^p-[0-9a-zA-Z_]{8,128}$",
}

#: The pattern IAM checks ``EntityPath`` against (botocore; not anchored at the end).
ENTITY_PATH_API_PATTERN = r"^o-[0-9a-z]{10,32}\/r-[0-9a-z]{4,32}[0-9a-z-\/]*"
ENTITY_PATH_MIN_LENGTH = 19
ENTITY_PATH_MAX_LENGTH = 427
#: OUs may nest five levels below the root.
MAX_OU_DEPTH = 5

# ``\d`` would accept non-ASCII digits; account ids are ASCII only.
_COMPILED = {
    kind: re.compile(pattern.replace(r"\d", "[0-9]")) for kind, pattern in ID_PATTERNS.items()
}

_PREFIX_HINTS = {
    "organization": "'o-' and 10 to 32 lower-case letters or digits",
    "root": "'r-' and 4 to 32 lower-case letters or digits",
    "ou": "'ou-', 4 to 32 lower-case letters or digits, '-', and 8 to 32 more",
    "account": "exactly 12 digits",
    "policy": "'p-' and 8 to 128 letters, digits or '_'",
}


class _Id(str):
    """Base of the id kinds: a validated ``str``."""

    __slots__ = ()
    kind: ClassVar[str] = ""

    def __new__(cls, value: str) -> Self:
        if isinstance(value, cls):
            return value
        if not isinstance(value, str):
            raise InvalidIdError(
                f"{cls.__name__} must be a string, got {type(value).__name__} {value!r}"
            )
        if _COMPILED[cls.kind].fullmatch(value) is None:
            raise InvalidIdError(
                f"{value!r} is not a valid {cls.kind} id: expected {_PREFIX_HINTS[cls.kind]} "
                f"(pattern {ID_PATTERNS[cls.kind]})"
            )
        return super().__new__(cls, value)

    @classmethod
    def is_valid(cls, value: object) -> bool:
        """Whether ``value`` is text of this id kind."""
        return isinstance(value, str) and _COMPILED[cls.kind].fullmatch(value) is not None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str.__repr__(self)})"


class OrganizationId(_Id):
    """An organization id, ``o-`` and 10 to 32 characters."""

    __slots__ = ()
    kind = "organization"


class RootId(_Id):
    """A root id, ``r-`` and 4 to 32 characters."""

    __slots__ = ()
    kind = "root"


class OuId(_Id):
    """An organizational unit id, ``ou-<root suffix>-<8 to 32 characters>``."""

    __slots__ = ()
    kind = "ou"


class AccountId(_Id):
    """A 12-digit account id."""

    __slots__ = ()
    kind = "account"


class PolicyId(_Id):
    """A policy id, ``p-`` and 8 to 128 characters (``p-FullAWSAccess`` is AWS's allow-all)."""

    __slots__ = ()
    kind = "policy"


#: Any id that can be a node of the organization tree (a policy target).
EntityId = RootId | OuId | AccountId


def parse_entity_id(text: str) -> EntityId:
    """Parse a root, OU or account id, whichever ``text`` is.

    >>> parse_entity_id("ou-ab12-abcdefgh")
    OuId('ou-ab12-abcdefgh')
    """
    for cls in (RootId, OuId, AccountId):
        if cls.is_valid(text):
            return cls(text)
    raise InvalidIdError(f"{text!r} is not a root, OU or account id")


class EntityKind(enum.Enum):
    """What an entity path ends at."""

    ROOT = "root"
    OU = "ou"
    ACCOUNT = "account"


def _path_error(text: str, position: int, reason: str) -> InvalidEntityPathError:
    pointer = " " * position + "^"
    return InvalidEntityPathError(
        f"invalid entity path {text!r} at character {position}: {reason}\n  {text}\n  {pointer}"
    )


def _ou_tuple(ous: Iterable[str]) -> tuple[OuId, ...]:
    return tuple(OuId(o) for o in ous)


def _optional_account(value: str | None) -> AccountId | None:
    return None if value is None else AccountId(value)


@attrs.frozen(kw_only=True, repr=False)
class EntityPath:
    """The path of an organization entity: ``org/root[/ou]{0,5}[/account]``.

    Parse text with :meth:`parse`; ``str(path)`` gives the text back.
    """

    organization_id: OrganizationId = attrs.field(converter=OrganizationId)
    root_id: RootId = attrs.field(converter=RootId)
    ou_ids: tuple[OuId, ...] = attrs.field(default=(), converter=_ou_tuple)
    account_id: AccountId | None = attrs.field(default=None, converter=_optional_account)

    @ou_ids.validator
    def _check_depth(self, _attribute: attrs.Attribute[object], value: tuple[OuId, ...]) -> None:
        if len(value) > MAX_OU_DEPTH:
            raise InvalidEntityPathError(
                f"entity path {self._text()!r} has {len(value)} OU levels; "
                f"at most {MAX_OU_DEPTH} are allowed"
            )

    def _text(self) -> str:
        parts = [self.organization_id, self.root_id, *self.ou_ids]
        if self.account_id is not None:
            parts.append(self.account_id)
        return "/".join(parts)

    @classmethod
    def parse(cls, text: str) -> EntityPath:
        """Parse and fully validate entity path text (strict: every id checked)."""
        if not isinstance(text, str):
            raise InvalidEntityPathError(
                f"entity path must be a string, got {type(text).__name__} {text!r}"
            )
        if not text:
            raise InvalidEntityPathError("entity path is empty")
        parts = text.split("/")
        offsets = []
        pos = 0
        for part in parts:
            offsets.append(pos)
            pos += len(part) + 1
        for part, offset in zip(parts, offsets, strict=True):
            if part == "":
                reason = "trailing '/'" if offset == len(text) else "empty segment"
                raise _path_error(text, offset, reason)
        if len(parts) < 2:
            raise _path_error(text, len(text), "expected 'organization-id/root-id' at least")
        expect: list[tuple[type[_Id], str]] = [
            (OrganizationId, "organization id"),
            (RootId, "root id"),
        ]
        for (cls_, what), part, offset in zip(expect, parts, offsets, strict=False):
            if not cls_.is_valid(part):
                raise _path_error(text, offset, f"{part!r} is not a valid {what}")
        ous: list[OuId] = []
        account: AccountId | None = None
        for index in range(2, len(parts)):
            part, offset = parts[index], offsets[index]
            if account is not None:
                raise _path_error(text, offset, "nothing may follow an account id")
            if OuId.is_valid(part):
                if len(ous) == MAX_OU_DEPTH:
                    raise _path_error(
                        text, offset, f"more than {MAX_OU_DEPTH} OU levels below the root"
                    )
                ous.append(OuId(part))
            elif AccountId.is_valid(part):
                account = AccountId(part)
            else:
                raise _path_error(text, offset, f"{part!r} is neither an OU id nor an account id")
        return cls(
            organization_id=OrganizationId(parts[0]),
            root_id=RootId(parts[1]),
            ou_ids=tuple(ous),
            account_id=account,
        )

    def __str__(self) -> str:
        return self._text()

    def __repr__(self) -> str:
        return f"<EntityPath({self._text()!r})>"

    @property
    def kind(self) -> EntityKind:
        """Root, OU or account: what the path ends at."""
        if self.account_id is not None:
            return EntityKind.ACCOUNT
        if self.ou_ids:
            return EntityKind.OU
        return EntityKind.ROOT

    @property
    def target(self) -> EntityId:
        """The id the path ends at."""
        if self.account_id is not None:
            return self.account_id
        if self.ou_ids:
            return self.ou_ids[-1]
        return self.root_id

    @property
    def ou_id(self) -> OuId | None:
        """The OU the path ends at, or ``None`` if it ends at a root or an account."""
        return self.ou_ids[-1] if self.account_id is None and self.ou_ids else None

    @property
    def entities(self) -> tuple[EntityId, ...]:
        """The tree nodes along the path, root first (the organization id excluded)."""
        ids: list[EntityId] = [self.root_id, *self.ou_ids]
        if self.account_id is not None:
            ids.append(self.account_id)
        return tuple(ids)

    @property
    def parent(self) -> EntityPath | None:
        """The path one level up, or ``None`` for a root path."""
        if self.account_id is not None:
            return attrs.evolve(self, account_id=None)
        if self.ou_ids:
            return attrs.evolve(self, ou_ids=self.ou_ids[:-1])
        return None

    @property
    def ancestors(self) -> tuple[EntityPath, ...]:
        """Every proper ancestor path, the root path first."""
        chain: list[EntityPath] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return tuple(reversed(chain))

    def child(self, entity_id: str) -> EntityPath:
        """The path one level down, to an OU or an account."""
        if self.account_id is not None:
            raise InvalidEntityPathError(f"{self._text()!r} ends at an account; it has no children")
        if OuId.is_valid(entity_id):
            return attrs.evolve(self, ou_ids=(*self.ou_ids, OuId(entity_id)))
        return attrs.evolve(self, account_id=AccountId(entity_id))

    def is_ancestor_of(self, other: EntityPath) -> bool:
        """Whether ``other`` lies strictly below this path."""
        mine = self.entities
        theirs = other.entities
        return (
            self.organization_id == other.organization_id
            and len(theirs) > len(mine)
            and theirs[: len(mine)] == mine
        )
