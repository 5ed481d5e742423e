"""Constants and argument checks shared by the strategies, and the catalog tables."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final, ParamSpec, TypeVar

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from ..model.catalog import ServiceCatalog, default_catalog
from ..model.ids import (
    AccountId,
)

#: Regions events are drawn from unless ``regions=`` is given.
DEFAULT_REGIONS: Final[tuple[str, ...]] = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2")

_MAX_STATEMENTS: Final = 8
_MAX_ACTIONS: Final = 5
_MAX_RESOURCES: Final = 3
_OTHER_POLICY_TYPES: Final = ("TAG_POLICY", "BACKUP_POLICY", "AISERVICES_OPT_OUT_POLICY")
_OUTSIDE_ACCOUNT: Final = AccountId("999999999999")
_MICROSECOND: Final = timedelta(microseconds=1)
_SECOND: Final = timedelta(seconds=1)

# A Condition block from a realistic SCP: each keeps its statement conditional.
_CONDITIONS: Final[tuple[dict[str, Any], ...]] = (
    {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}},
    {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
    {"ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/OrganizationAccountAccessRole"]}},
    {"StringLike": {"aws:PrincipalTag/team": "platform-*"}},
    {"Null": {"aws:ResourceTag/owner": "true"}},
)
_SIDS: Final = ("DenyOutsideRegions", "AllowStorage", "Guardrail1", "ProtectRoles")
_NAMELESS_ACTION_GLOBS: Final = ("*", "Get*", "List?", "*Thing")
_UNKNOWN_PREFIXES: Final = ("notinthecatalog", "example-svc")
_TEMPLATE_VAR = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_VALUES: Final = ("*", "example", "prod-*", "team?")


# --------------------------------------------------------------------------- the catalog


class _Tables:
    """What the strategies need of a catalog, computed once per catalog."""

    def __init__(self, catalog: ServiceCatalog) -> None:
        self.namespaces: tuple[str, ...] = catalog.sorted_namespaces()
        if not self.namespaces:
            raise InvalidArgument(f"{catalog!r} has no services to draw from")
        self.actions: dict[str, tuple[str, ...]] = {
            s.namespace: tuple(a.name for a in s.actions) for s in catalog
        }
        self.with_actions: tuple[str, ...] = tuple(ns for ns in self.namespaces if self.actions[ns])
        self.templates: dict[str, tuple[str, ...]] = {
            s.namespace: tuple(
                dict.fromkeys(t for rt in s.resource_types for t in rt.arn_templates)
            )
            or (f"arn:${{Partition}}:{s.namespace}:${{Region}}:${{Account}}:${{Resource}}",)
            for s in catalog
        }


@functools.lru_cache(maxsize=8)
def _tables_of(catalog: ServiceCatalog) -> _Tables:
    return _Tables(catalog)


def _tables(catalog: ServiceCatalog | None) -> _Tables:
    """The tables of ``catalog`` (the default catalog is loaded here, at draw time)."""
    return _tables_of(catalog if catalog is not None else default_catalog())


def _check_catalog(catalog: object) -> None:
    if catalog is not None and not isinstance(catalog, ServiceCatalog):
        raise InvalidArgument(f"catalog must be a ServiceCatalog or None, got {catalog!r}")


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidArgument(f"{name} must be an int, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise InvalidArgument(f"{name}={value} is outside {bound}")
    return value


def _check_order(low_name: str, low: int, high_name: str, high: int) -> None:
    if low > high:
        raise InvalidArgument(f"{low_name}={low} is greater than {high_name}={high}")


_P = ParamSpec("_P")
_T = TypeVar("_T")


def checked_when_used(
    build: Callable[_P, st.SearchStrategy[_T]],
) -> Callable[_P, st.SearchStrategy[_T]]:
    """Defer ``build`` (and its argument checks) until the strategy is first used.

    Hypothesis's own API style: building a strategy never raises; impossible
    options raise :class:`~hypothesis.errors.InvalidArgument` when a test
    validates or draws from it.
    """

    @functools.wraps(build)
    def deferred(*args: _P.args, **kwargs: _P.kwargs) -> st.SearchStrategy[_T]:
        return st.deferred(lambda: build(*args, **kwargs))

    return deferred
