"""SCP documents: an immutable statement model and its parser.

>>> doc = parse_policy_document(
...     '{"Version": "2012-10-17", "Statement": '
...     '{"Effect": "Deny", "Action": ["s3:Delete*"], "Resource": "*"}}'
... )
>>> doc.statements[0].effect
<Effect.DENY: 'Deny'>
>>> doc.statements[0].actions[0].matches("s3", "DeleteObject")
True

The grammar follows what AWS accepts for SCPs since September 2025 (the full
IAM policy language): Action or NotAction, Resource or NotResource and
Condition in Allow and Deny statements; ``*`` and ``?`` anywhere in the
action name; a wildcard in the service prefix is rejected ("Action vendors
must not contain wildcards"). ``Principal`` and ``NotPrincipal`` are not
supported in SCPs and are rejected. A statement without Resource or
NotResource is read as ``Resource: "*"``.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..errors import PolicyDocumentError, Problem
from ._glob import Glob
from ._jsondepth import text_depth_error, value_depth_error

__all__ = [
    "MAX_JSON_DEPTH",
    "SCP_MAX_CHARACTERS",
    "ActionPattern",
    "Effect",
    "PolicyDocument",
    "Statement",
    "parse_policy_document",
]

#: The SCP size quota: 5,120 characters, whitespace included.
SCP_MAX_CHARACTERS = 5120

_VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
# Used with fullmatch only: ``$`` would also match before a final newline.
_PREFIX = re.compile(r"[a-z0-9][a-z0-9_.-]*", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z0-9_*?-]+")
#: How deeply a policy document may nest arrays and objects. A valid SCP nests
#: at most 6 levels (document, Statement list, statement, Condition, operator,
#: value list); the bound keeps the JSON parser and everything after it from
#: recursing on hostile input.
MAX_JSON_DEPTH = 32


class Effect(enum.Enum):
    """A statement's effect."""

    ALLOW = "Allow"
    DENY = "Deny"


@functools.lru_cache(maxsize=65536)
def _glob(name: str) -> Glob:
    return Glob.compile(name)


@attrs.frozen(kw_only=True)
class ActionPattern:
    """One entry of Action / NotAction: ``*`` alone or ``prefix:name-glob``.

    ``service`` is the lower-cased prefix (``None`` for ``*`` alone); ``name``
    is the glob over action names (``*`` and ``?``, case-insensitive).
    """

    text: str
    service: str | None
    name: str

    @property
    def is_everything(self) -> bool:
        """Whether the pattern matches every action of every service (``*``)."""
        return self.service is None

    @property
    def names_everything(self) -> bool:
        """Whether the name part matches every name (only ``*`` characters)."""
        return set(self.name) == {"*"}

    def matches_service(self, namespace: str) -> bool:
        """Whether the pattern can name actions of ``namespace``."""
        return self.service is None or self.service == namespace.lower()

    def matches(self, namespace: str, action: str) -> bool:
        """Whether the pattern matches ``namespace:action`` (case-insensitive)."""
        if self.service is None:
            return True
        if self.service != namespace.lower():
            return False
        return self.matches_name(action)

    def matches_name(self, action: str) -> bool:
        """Whether the name part matches the action name ``action`` (case-insensitive).

        No backtracking: time at most proportional to ``len(name) * len(action)``
        (a block matcher, no regular expression).
        """
        return _glob(self.name).matches(action)

    def name_matcher(self) -> Callable[[str], bool]:
        """:meth:`matches_name` as a function, compiled once (for matching many names)."""
        return _glob(self.name).matches

    def __str__(self) -> str:
        return self.text


def _parse_action(text: object, where: str, problems: list[Problem]) -> ActionPattern | None:
    if not isinstance(text, str) or not text:
        problems.append(Problem(location=where, message=f"expected an action string, got {text!r}"))
        return None
    if text == "*":
        return ActionPattern(text=text, service=None, name="*")
    prefix, sep, name = text.partition(":")
    if not sep:
        problems.append(Problem(location=where, message=f"{text!r} is not '*' or 'service:action'"))
        return None
    if "*" in prefix or "?" in prefix:
        problems.append(
            Problem(
                location=where,
                message=f"{text!r}: Action vendors must not contain wildcards",
            )
        )
        return None
    if not _PREFIX.fullmatch(prefix):
        problems.append(Problem(location=where, message=f"{text!r}: invalid service prefix"))
        return None
    if not name or not _NAME.fullmatch(name):
        problems.append(Problem(location=where, message=f"{text!r}: invalid action name"))
        return None
    return ActionPattern(text=text, service=prefix.lower(), name=name.lower())


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if (
        isinstance(value, tuple)
        and all(
            isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
            for item in value
        )
        and value
    ):
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@attrs.frozen(kw_only=True)
class Statement:
    """One statement of an SCP.

    Exactly one of ``actions`` / ``not_actions`` is set (the other is ``None``),
    and likewise ``resources`` / ``not_resources``. ``condition`` is the
    Condition block frozen into nested tuples (``None`` when absent);
    ``index`` is the statement's position in its document.
    """

    index: int
    effect: Effect
    sid: str | None = None
    actions: tuple[ActionPattern, ...] | None = None
    not_actions: tuple[ActionPattern, ...] | None = None
    resources: tuple[str, ...] | None = ("*",)
    not_resources: tuple[str, ...] | None = None
    condition: tuple[Any, ...] | None = None

    @property
    def has_condition(self) -> bool:
        """Whether the statement has a (non-empty) Condition block."""
        return bool(self.condition)

    @property
    def action_patterns(self) -> tuple[ActionPattern, ...]:
        """The Action or NotAction patterns, whichever is set."""
        return self.actions if self.actions is not None else (self.not_actions or ())

    @property
    def resource_is_everything(self) -> bool:
        """Whether Resource is ``*`` (or contains a pattern of only ``*``)."""
        return self.resources is not None and any(set(r) == {"*"} for r in self.resources)

    @property
    def label(self) -> str:
        """``Sid`` if it has one, else ``Statement[index]``."""
        return f"Statement[{self.index}] ({self.sid})" if self.sid else f"Statement[{self.index}]"

    def to_json(self) -> dict[str, Any]:
        """The statement as policy JSON."""
        out: dict[str, Any] = {}
        if self.sid is not None:
            out["Sid"] = self.sid
        out["Effect"] = self.effect.value
        if self.actions is not None:
            out["Action"] = [a.text for a in self.actions]
        if self.not_actions is not None:
            out["NotAction"] = [a.text for a in self.not_actions]
        if self.resources is not None:
            out["Resource"] = list(self.resources)
        if self.not_resources is not None:
            out["NotResource"] = list(self.not_resources)
        if self.condition:
            out["Condition"] = _thaw(self.condition)
        return out


@attrs.frozen(kw_only=True)
class PolicyDocument:
    """A parsed SCP: its statements in order, and the text it came from."""

    version: str | None
    statements: tuple[Statement, ...]
    text: str = attrs.field(eq=False, repr=False)

    @classmethod
    def parse(cls, source: str | Mapping[str, Any], *, name: str | None = None) -> PolicyDocument:
        """Same as :func:`parse_policy_document`."""
        return parse_policy_document(source, name=name)

    def to_json(self) -> dict[str, Any]:
        """The document as policy JSON (a new dict)."""
        out: dict[str, Any] = {}
        if self.version is not None:
            out["Version"] = self.version
        out["Statement"] = [s.to_json() for s in self.statements]
        return out


def _string_list(
    value: object, where: str, problems: list[Problem], *, what: str
) -> tuple[str, ...] | None:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        problems.append(
            Problem(location=where, message=f"{what} must be a string or a non-empty list")
        )
        return None
    out: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item:
            problems.append(
                Problem(location=f"{where}[{i}]", message=f"expected a string, got {item!r}")
            )
            continue
        out.append(item)
    return tuple(out)


def _parse_effect(effect_text: object, label: str, problems: list[Problem]) -> Effect | None:
    if effect_text == "Allow":
        return Effect.ALLOW
    if effect_text == "Deny":
        return Effect.DENY
    problems.append(
        Problem(
            location=f"{label}.Effect",
            message=f"Effect must be 'Allow' or 'Deny', got {effect_text!r}",
        )
    )
    return None


def _parse_resources(
    raw: Mapping[str, object], label: str, problems: list[Problem]
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """(resources, not_resources) of a statement; no element means ``Resource: "*"``."""
    res_present = [k for k in ("Resource", "NotResource") if k in raw]
    resources: tuple[str, ...] | None = ("*",)
    not_resources: tuple[str, ...] | None = None
    if len(res_present) > 1:
        problems.append(
            Problem(
                location=label, message="a statement may not have both Resource and NotResource"
            )
        )
    elif res_present == ["Resource"]:
        resources = _string_list(raw["Resource"], f"{label}.Resource", problems, what="Resource")
    elif res_present == ["NotResource"]:
        resources = None
        not_resources = _string_list(
            raw["NotResource"], f"{label}.NotResource", problems, what="NotResource"
        )
    return resources, not_resources


def _parse_statement(
    raw: object, index: int, where: str, problems: list[Problem]
) -> Statement | None:
    if not isinstance(raw, Mapping):
        problems.append(Problem(location=where, message="a statement must be a JSON object"))
        return None
    start = len(problems)
    sid = raw.get("Sid")
    label = f"{where}" + (f" (Sid {sid!r})" if isinstance(sid, str) else "")
    for key in raw:
        if key in ("Principal", "NotPrincipal"):
            problems.append(
                Problem(location=f"{label}.{key}", message=f"{key} is not supported in SCPs")
            )
        elif key not in _STATEMENT_KEYS:
            problems.append(Problem(location=f"{label}.{key}", message=f"unknown element {key!r}"))
    if sid is not None and not isinstance(sid, str):
        problems.append(Problem(location=f"{label}.Sid", message="Sid must be a string"))
    effect = _parse_effect(raw.get("Effect"), label, problems)
    patterns: dict[str, tuple[ActionPattern, ...] | None] = {"Action": None, "NotAction": None}
    present = [k for k in ("Action", "NotAction") if k in raw]
    if len(present) != 1:
        problems.append(
            Problem(
                location=label,
                message="a statement needs exactly one of Action and NotAction"
                + (f" (has {', '.join(present)})" if present else ""),
            )
        )
    for key in present:
        texts = _string_list(raw[key], f"{label}.{key}", problems, what=key)
        if texts is not None:
            parsed = [
                _parse_action(t, f"{label}.{key}[{i}]", problems) for i, t in enumerate(texts)
            ]
            patterns[key] = tuple(p for p in parsed if p is not None)
    resources, not_resources = _parse_resources(raw, label, problems)
    condition = raw.get("Condition")
    if condition is not None and not isinstance(condition, Mapping):
        problems.append(
            Problem(location=f"{label}.Condition", message="Condition must be an object")
        )
        condition = None
    if len(problems) > start or effect is None:
        return None
    return Statement(
        index=index,
        effect=effect,
        sid=sid if isinstance(sid, str) else None,
        actions=patterns["Action"],
        not_actions=patterns["NotAction"],
        resources=resources,
        not_resources=not_resources,
        condition=_freeze(condition) if condition else None,
    )


def _too_deep(prefix: str, location: str) -> PolicyDocumentError:
    message = f"nested more than {MAX_JSON_DEPTH} arrays/objects deep"
    problem = Problem(location=location, message=message)
    return PolicyDocumentError(f"{prefix}{problem}", problems=[problem])


def _load(source: object, prefix: str) -> tuple[object, str]:
    """The JSON data of ``source`` and its text, with the size and depth bounds checked."""
    if isinstance(source, str):
        if len(source) > SCP_MAX_CHARACTERS:
            raise PolicyDocumentError(
                f"{prefix}document has {len(source)} characters; SCPs are limited to "
                f"{SCP_MAX_CHARACTERS}"
            )
        deep = text_depth_error(source, MAX_JSON_DEPTH)
        if deep is not None:
            raise _too_deep(prefix, deep)
        try:
            return json.loads(source), source
        except ValueError as exc:
            raise PolicyDocumentError(f"{prefix}not valid JSON: {exc}") from None
    if isinstance(source, Mapping):
        deep = value_depth_error(source, MAX_JSON_DEPTH)
        if deep is not None:
            raise _too_deep(prefix, deep)
        try:
            text = json.dumps(source, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise PolicyDocumentError(f"{prefix}not JSON data: {exc}") from None
        if len(text) > SCP_MAX_CHARACTERS:
            raise PolicyDocumentError(
                f"{prefix}document has {len(text)} characters even written compactly; "
                f"SCPs are limited to {SCP_MAX_CHARACTERS}"
            )
        return source, text
    raise PolicyDocumentError(
        f"{prefix}expected policy JSON text or a mapping, got {type(source).__name__}"
    )


def parse_policy_document(
    source: str | Mapping[str, Any], *, name: str | None = None
) -> PolicyDocument:
    """Parse SCP JSON text (or an already-parsed mapping) into a :class:`PolicyDocument`.

    Every problem is collected; one :class:`~orgaccess.errors.PolicyDocumentError`
    lists them all, each naming the statement and field. ``name`` (a policy id
    or file name) prefixes the message. A document over the SCP quota
    (:data:`SCP_MAX_CHARACTERS`) or nested deeper than :data:`MAX_JSON_DEPTH`
    is rejected before it is parsed, the latter naming the path where the
    bound is crossed (nothing recurses on such input).
    """
    prefix = f"policy {name}: " if name else ""
    problems: list[Problem] = []
    data, text = _load(source, prefix)
    if not isinstance(data, Mapping):
        raise PolicyDocumentError(f"{prefix}a policy document must be a JSON object")
    for key in data:
        if key not in ("Version", "Statement", "Id"):
            problems.append(Problem(location=key, message=f"unknown top-level element {key!r}"))
    version = data.get("Version")
    if version is not None and version not in _VERSIONS:
        problems.append(
            Problem(
                location="Version", message=f"Version must be one of {_VERSIONS}, got {version!r}"
            )
        )
    raw_statements = data.get("Statement")
    if isinstance(raw_statements, Mapping):
        raw_list: list[object] = [raw_statements]
        single = True
    elif isinstance(raw_statements, list) and raw_statements:
        raw_list = raw_statements
        single = False
    else:
        raw_list = []
        single = False
        problems.append(
            Problem(location="Statement", message="Statement must be an object or a non-empty list")
        )
    statements: list[Statement] = []
    for i, raw in enumerate(raw_list):
        where = "Statement" if single else f"Statement[{i}]"
        parsed = _parse_statement(raw, i, where, problems)
        if parsed is not None:
            statements.append(parsed)
    if problems:
        raise PolicyDocumentError(prefix + "; ".join(str(p) for p in problems), problems=problems)
    return PolicyDocument(
        version=version if isinstance(version, str) else None,
        statements=tuple(statements),
        text=text,
    )
