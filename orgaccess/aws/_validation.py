"""Parameter validation of the two operations, from one table of botocore's input shapes.

Like botocore's ``validate.py``, every parameter is checked against its shape
in :data:`INPUT_SHAPES` and every problem is collected before anything is
raised, so both operations share one code path:

- What botocore itself checks before sending (a missing required parameter,
  a parameter the operation does not have, a value of the wrong Python type,
  ``None`` for any parameter) raises ``ParamValidationError``, all problems in
  one report, as botocore words them.
- What only the IAM service checks (lengths, patterns, enumerations, ranges)
  raises ``ValidationError`` with AWS's text: ``"N validation error(s)
  detected: Value '...' at 'memberName' failed to satisfy constraint: ..."``,
  one problem per member, joined with ``"; "``.

Over the wire (:func:`from_query`) there is no client-side check: a missing
required member is IAM's ``Member must not be null`` and text that is not a
number is IAM's ``Member must be a number``.

Patterns follow Smithy's rule (they are searched, not implicitly anchored),
with ``$`` meaning the very end of the text, never "before a final newline".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from ..engine.sorting import SortKey
from ..errors import ServiceError
from ..model.ids import (
    ENTITY_PATH_API_PATTERN,
    ENTITY_PATH_MAX_LENGTH,
    ENTITY_PATH_MIN_LENGTH,
    ID_PATTERNS,
)

__all__ = [
    "GENERATE",
    "GET",
    "INPUT_SHAPES",
    "JOB_ID_LENGTH",
    "Member",
    "from_query",
    "param_validation_error",
    "validate",
]

JOB_ID_LENGTH = 36
GENERATE = "GenerateOrganizationsAccessReport"
GET = "GetOrganizationsAccessReport"


@attrs.frozen(kw_only=True)
class Member:
    """One member of an input shape, with the constraints of its botocore shape."""

    name: str
    type: type
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    min_value: int | None = None
    max_value: int | None = None
    _compiled: re.Pattern[str] | None = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        compiled = None
        if self.pattern is not None:
            text = self.pattern[:-1] + r"\Z" if self.pattern.endswith("$") else self.pattern
            compiled = re.compile(text)
        object.__setattr__(self, "_compiled", compiled)

    @property
    def aws_name(self) -> str:
        """The member as IAM names it in validation messages (``entityPath``)."""
        return self.name[0].lower() + self.name[1:]

    def problem(self, value: Any) -> str | None:
        """The first constraint ``value`` (of the right type) breaks, in AWS's words."""
        shown = _shown(value)
        head = f"Value {shown} at '{self.aws_name}' failed to satisfy constraint: "
        if isinstance(value, str):
            if self.min_length is not None and len(value) < self.min_length:
                return head + f"Member must have length greater than or equal to {self.min_length}"
            if self.max_length is not None and len(value) > self.max_length:
                return head + f"Member must have length less than or equal to {self.max_length}"
            if self._compiled is not None and not self._compiled.search(value):
                return head + f"Member must satisfy regular expression pattern: {self.pattern}"
            if self.enum is not None and value not in self.enum:
                return head + f"Member must satisfy enum value set: [{', '.join(self.enum)}]"
        elif isinstance(value, int):
            if self.min_value is not None and value < self.min_value:
                return head + f"Member must have value greater than or equal to {self.min_value}"
            if self.max_value is not None and value > self.max_value:
                return head + f"Member must have value less than or equal to {self.max_value}"
        return None


def _huge_int(value: Any) -> str | None:
    """Words for an int too large to print (``str`` refuses past 4,300 digits)."""
    if isinstance(value, int) and value.bit_length() > 256:
        sign = "-" if value < 0 else ""
        return f"{sign}<an integer of about {int(value.bit_length() * 0.30103)} digits>"
    return None


def _repr(value: Any) -> str:
    huge = _huge_int(value)
    if huge is not None:
        return huge
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the parameter problem
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 200 else text[:197] + "..."


def _shown(value: Any) -> str:
    huge = _huge_int(value)
    if huge is not None:
        return f"'{huge}'"
    text = str(value)
    return "'" + (text if len(text) <= 80 else text[:77] + "...") + "'"


#: botocore 1.44.8's IAM input shapes of the two operations (aws-facts section 1);
#: ``tests/test_validation.py`` compares this table with botocore's model.
INPUT_SHAPES: Mapping[str, tuple[Member, ...]] = {
    GENERATE: (
        Member(
            name="EntityPath",
            type=str,
            required=True,
            min_length=ENTITY_PATH_MIN_LENGTH,
            max_length=ENTITY_PATH_MAX_LENGTH,
            pattern=ENTITY_PATH_API_PATTERN,
        ),
        Member(name="OrganizationsPolicyId", type=str, pattern=ID_PATTERNS["policy"]),
    ),
    GET: (
        Member(
            name="JobId",
            type=str,
            required=True,
            min_length=JOB_ID_LENGTH,
            max_length=JOB_ID_LENGTH,
        ),
        Member(name="MaxItems", type=int, min_value=1, max_value=1000),
        Member(name="Marker", type=str, min_length=1, max_length=320, pattern=r"[\u0020-\u00FF]+"),
        Member(name="SortKey", type=str, enum=tuple(k.value for k in SortKey)),
    ),
}


def param_validation_error(problems: list[str]) -> ServiceError:
    """botocore's client-side ``ParamValidationError`` for these problems (one report)."""
    return ServiceError(
        "ParamValidationError", "Parameter validation failed:\n" + "\n".join(problems)
    )


def validation_error(problems: list[str]) -> ServiceError:
    """IAM's ``ValidationError`` for these problems, counted and joined as AWS does."""
    n = len(problems)
    head = f"{n} validation error{'s' if n != 1 else ''} detected: "
    return ServiceError("ValidationError", head + "; ".join(problems))


def _type_name(kind: type) -> str:
    return f"<class '{kind.__name__}'>"


def validate(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``params`` of ``operation`` as botocore and then IAM would; returns them.

    Raises ``ParamValidationError`` (botocore's checks) or ``ValidationError``
    (IAM's), each listing every problem found.
    """
    members = INPUT_SHAPES[operation]
    names = {m.name for m in members}
    client_side: list[str] = []
    for m in members:
        if m.required and m.name not in params:
            client_side.append(f'Missing required parameter in input: "{m.name}"')
    for name in params:
        if name not in names:
            client_side.append(
                f'Unknown parameter in input: "{name}", must be one of: '
                + ", ".join(m.name for m in members)
            )
    for m in members:
        if m.name not in params:
            continue
        value = params[m.name]
        if not isinstance(value, m.type) or (m.type is int and isinstance(value, bool)):
            client_side.append(
                f"Invalid type for parameter {m.name}, value: {_repr(value)}, "
                f"type: {type(value)}, valid types: {_type_name(m.type)}"
            )
    if client_side:
        raise param_validation_error(client_side)
    _check_service_side(members, params)
    return dict(params)


def _check_service_side(members: tuple[Member, ...], params: Mapping[str, Any]) -> None:
    problems = [
        problem
        for m in members
        if m.name in params and (problem := m.problem(params[m.name])) is not None
    ]
    if problems:
        raise validation_error(problems)


def from_query(operation: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The parameters of a Query-protocol request (text values), checked as IAM checks them.

    Members the operation does not have are ignored, as AWS's Query services do.
    """
    problems: list[str] = []
    params: dict[str, Any] = {}
    for m in INPUT_SHAPES[operation]:
        text = form.get(m.name)
        head = f"at '{m.aws_name}' failed to satisfy constraint: Member must"
        if text is None:
            if m.required:
                problems.append(f"Value null {head} not be null")
            continue
        value: Any = text
        if m.type is int:
            if re.fullmatch(r"[+-]?[0-9]{1,10}", text) is None:
                problems.append(f"Value {_shown(text)} {head} be a number")
                continue
            value = int(text)
        params[m.name] = value
        if (problem := m.problem(value)) is not None:
            problems.append(problem)
    if problems:
        raise validation_error(problems)
    return params
