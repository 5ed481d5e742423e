"""SCP documents in the full policy language, built from the catalog."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Sequence
from typing import Any

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from ..model.catalog import ServiceCatalog
from ..model.policy import SCP_MAX_CHARACTERS, PolicyDocument, parse_policy_document
from ._common import (
    _CONDITIONS,
    _MAX_ACTIONS,
    _MAX_RESOURCES,
    _MAX_STATEMENTS,
    _NAMELESS_ACTION_GLOBS,
    _SIDS,
    _TEMPLATE_VAR,
    _UNKNOWN_PREFIXES,
    _VARIABLE_VALUES,
    _check_catalog,
    _check_int,
    _check_order,
    _Tables,
    _tables,
    checked_when_used,
)

# --------------------------------------------------------------------------- SCP documents

# The private strategies below are cached (all arguments are hashable): a
# strategy object is validated and labelled by Hypothesis on first use, so
# reusing one instead of building an equal one at every draw saves most of the
# cost of a draw. Cached or not, a strategy draws the same values.
_CACHED = 1024


@functools.cache
def _maybe_sids() -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(_SIDS)


@functools.cache
def _maybe_conditions() -> st.SearchStrategy[dict[str, Any] | None]:
    return st.none() | st.sampled_from(_CONDITIONS)


@functools.lru_cache(maxsize=_CACHED)
@st.composite
def _action_names(draw: st.DrawFn, name: str) -> str:
    """``name`` or a wildcard pattern matching it: ``Get*``, ``*Object``, ``?etObject``, ..."""
    shape = draw(st.sampled_from(("exact", "prefix", "suffix", "single", "single_prefix")))
    if shape == "prefix":
        name = name[: draw(st.integers(0, len(name) - 1))] + "*"
    elif shape == "suffix":
        name = "*" + name[draw(st.integers(min(1, len(name) - 1), len(name) - 1)) :]
    elif shape in ("single", "single_prefix"):
        i = draw(st.integers(0, len(name) - 1))
        name = name[:i] + "?" + name[i + 1 :]
        if shape == "single_prefix":
            name = name[: draw(st.integers(i + 1, len(name)))] + "*"
    case = draw(st.sampled_from(("same", "same", "same", "lower", "upper")))
    return name.lower() if case == "lower" else name.upper() if case == "upper" else name


@functools.lru_cache(maxsize=_CACHED)
@st.composite
def _action_patterns(draw: st.DrawFn, tables: _Tables) -> str:
    kind = draw(st.sampled_from(("action", "action", "action", "service", "everything", "unknown")))
    if kind == "everything":
        return "*"
    if kind == "unknown":
        prefix = draw(st.sampled_from(_UNKNOWN_PREFIXES))
        return f"{prefix}:{draw(st.sampled_from(_NAMELESS_ACTION_GLOBS))}"
    if kind == "service" or not tables.with_actions:
        return f"{draw(st.sampled_from(tables.namespaces))}:*"
    namespace = draw(st.sampled_from(tables.namespaces))
    names = tables.actions[namespace]
    if not names:
        return f"{namespace}:{draw(st.sampled_from(_NAMELESS_ACTION_GLOBS))}"
    return f"{namespace}:{draw(_action_names(draw(st.sampled_from(names))))}"


@functools.lru_cache(maxsize=_CACHED)
@st.composite
def _resource_patterns(draw: st.DrawFn, tables: _Tables, namespaces: Sequence[str]) -> str:
    if draw(st.booleans()):
        return "*"
    namespace = draw(st.sampled_from(namespaces or tables.namespaces))
    template = draw(st.sampled_from(tables.templates[namespace]))

    def fill(match: re.Match[str]) -> str:
        variable = match.group(1)
        if variable == "Partition":
            return "aws"
        if variable == "Region":
            return draw(st.sampled_from(("*", "us-east-1")))
        if variable == "Account":
            return draw(st.sampled_from(("*", "111122223333")))
        return draw(st.sampled_from(_VARIABLE_VALUES))

    return _TEMPLATE_VAR.sub(fill, template)


@functools.lru_cache(maxsize=_CACHED)
@st.composite
def _statements(
    draw: st.DrawFn,
    tables: _Tables,
    *,
    effects: tuple[str, ...],
    max_actions: int,
    max_resources: int,
    not_actions: bool,
    resources: bool,
    conditions: bool,
) -> dict[str, Any]:
    statement: dict[str, Any] = {}
    sid = draw(_maybe_sids())
    if sid is not None:
        statement["Sid"] = sid
    statement["Effect"] = draw(st.sampled_from(effects))
    key = (
        draw(st.sampled_from(("Action", "Action", "Action", "NotAction")))
        if not_actions
        else "Action"
    )
    patterns = draw(
        st.lists(_action_patterns(tables), min_size=1, max_size=max_actions, unique=True)
    )
    single = len(patterns) == 1 and draw(st.booleans())
    statement[key] = patterns[0] if single else patterns
    named = sorted({p.split(":", 1)[0] for p in patterns if ":" in p} & set(tables.namespaces))
    shape = (
        draw(st.sampled_from(("star", "omitted", "Resource", "NotResource")))
        if resources
        else "star"
    )
    if shape == "star":
        statement["Resource"] = "*"
    elif shape != "omitted":
        statement[shape] = draw(
            st.lists(
                _resource_patterns(tables, tuple(named)),
                min_size=1,
                max_size=max_resources,
                unique=True,
            )
        )
    if conditions:
        condition = draw(_maybe_conditions())
        if condition is not None:
            statement["Condition"] = condition
    return statement


def _dump(statements: list[dict[str, Any]], indent: int | None) -> str:
    document = {"Version": "2012-10-17", "Statement": statements}
    if indent is None:
        return json.dumps(document, separators=(",", ":"))
    return json.dumps(document, indent=indent)


@functools.lru_cache(maxsize=_CACHED)
@st.composite
def _documents(
    draw: st.DrawFn,
    catalog: ServiceCatalog | None,
    *,
    min_statements: int,
    max_statements: int,
    effects: tuple[str, ...],
    max_actions: int,
    max_resources: int,
    not_actions: bool,
    resources: bool,
    conditions: bool,
) -> PolicyDocument:
    tables = _tables(catalog)
    statements = draw(
        st.lists(
            _statements(
                tables,
                effects=effects,
                max_actions=max_actions,
                max_resources=max_resources,
                not_actions=not_actions,
                resources=resources,
                conditions=conditions,
            ),
            min_size=min_statements,
            max_size=max_statements,
        )
    )
    indent = draw(st.sampled_from((None, 2)))
    text = _dump(statements, indent)
    if len(text) > SCP_MAX_CHARACTERS:
        # Over the quota: write compactly, then drop statements from the end
        # (never the first) until it fits. Deterministic, so it shrinks well.
        text = _dump(statements, None)
        while len(text) > SCP_MAX_CHARACTERS and len(statements) > 1:
            statements = statements[:-1]
            text = _dump(statements, None)
    return parse_policy_document(text)


@checked_when_used
def scp_documents(
    *,
    catalog: ServiceCatalog | None = None,
    min_statements: int = 1,
    max_statements: int = 4,
    effects: Collection[str] = ("Allow", "Deny"),
    max_actions: int = 3,
    max_resources: int = 2,
    not_actions: bool = True,
    resources: bool = True,
    conditions: bool = True,
) -> st.SearchStrategy[PolicyDocument]:
    """SCP documents (:class:`~orgaccess.model.policy.PolicyDocument`) over ``catalog``'s actions.

    Each statement has an ``Effect`` from ``effects``, 1 to ``max_actions``
    Action patterns (or NotAction, unless ``not_actions=False``) drawn from
    the catalog with wildcards, a Resource of ``*`` or (unless
    ``resources=False``) a Resource / NotResource list of up to
    ``max_resources`` patterns made from the catalog's ARN templates, or no
    Resource at all, and (unless ``conditions=False``) maybe a Condition.
    The text is at most 5,120 characters: statements beyond the quota are
    dropped from the end (never the first), so ``min_statements`` holds
    whenever the quota allows it. ``catalog=None`` means
    :func:`~orgaccess.model.catalog.default_catalog`, loaded on first draw.
    """
    _check_catalog(catalog)
    _check_int("min_statements", min_statements, 1, _MAX_STATEMENTS)
    _check_int("max_statements", max_statements, 1, _MAX_STATEMENTS)
    _check_order("min_statements", min_statements, "max_statements", max_statements)
    _check_int("max_actions", max_actions, 1, _MAX_ACTIONS)
    _check_int("max_resources", max_resources, 1, _MAX_RESOURCES)
    if isinstance(effects, str):
        raise InvalidArgument(
            f"effects must be a collection of effects, not the string {effects!r}"
        )
    chosen = tuple(e for e in ("Allow", "Deny") if e in set(effects))
    if not chosen or len(set(effects)) != len(chosen):
        raise InvalidArgument(
            f"effects must be a non-empty subset of ('Allow', 'Deny'), got {effects!r}"
        )
    return _documents(
        catalog,
        min_statements=min_statements,
        max_statements=max_statements,
        effects=chosen,
        max_actions=max_actions,
        max_resources=max_resources,
        not_actions=not_actions,
        resources=resources,
        conditions=conditions,
    )
