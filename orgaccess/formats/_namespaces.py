"""eventSource -> IAM namespace, shared by the CloudTrail and aggregated-row readers."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ..errors import IngestError
from ._event_sources import EVENT_SOURCE_TABLE, namespace_for_stem

__all__ = [
    "EVENT_SOURCE_NAMESPACES",
    "check_namespace_map",
    "namespace_for_event_source",
    "resolve_namespace",
]

#: eventSource stem (the part before ``.amazonaws.com``) → IAM namespace, generated
#: from botocore's service models and the IAM catalog (``scripts/gen_event_sources.py``,
#: see :doc:`/explanation/event-sources`). A stem that is not a key has no namespace.
EVENT_SOURCE_NAMESPACES: Final[Mapping[str, str]] = EVENT_SOURCE_TABLE

_AMAZONAWS: Final = ".amazonaws.com"


def check_namespace_map(
    namespace_map: Mapping[str, str | None] | None,
) -> Mapping[str, str | None]:
    """A user's eventSource → namespace overrides, checked, with lower-case keys."""
    if namespace_map is None:
        return MappingProxyType({})
    if not isinstance(namespace_map, Mapping):
        raise IngestError(f"namespace_map must be a mapping, got {type(namespace_map).__name__}")
    checked: dict[str, str | None] = {}
    for key, value in namespace_map.items():
        if not isinstance(key, str) or not key:
            raise IngestError(f"namespace_map key {key!r:.60} must be a non-empty string")
        if value is not None and (not isinstance(value, str) or not value):
            raise IngestError(
                f"namespace_map[{key!r:.60}] must be a namespace string or None, got {value!r:.60}"
            )
        checked[key.lower()] = value
    return MappingProxyType(checked)


def namespace_for_event_source(
    event_source: str, namespace_map: Mapping[str, str | None] | None = None
) -> str | None:
    """The IAM namespace of a CloudTrail ``eventSource``, or ``None`` when it has none.

    >>> namespace_for_event_source("s3.amazonaws.com")
    's3'
    >>> namespace_for_event_source("runtime.lex.amazonaws.com")
    'lex'
    >>> namespace_for_event_source("monitoring.amazonaws.com")
    'cloudwatch'
    >>> namespace_for_event_source("pinpoint.amazonaws.com")
    'mobiletargeting'
    >>> namespace_for_event_source("signin.amazonaws.com")
    'signin'
    >>> namespace_for_event_source("partner.example.com") is None
    True
    >>> namespace_for_event_source("newsvc.amazonaws.com") is None
    True
    >>> namespace_for_event_source("newsvc.amazonaws.com", {"newsvc": "newsvc"})
    'newsvc'
    """
    if not isinstance(event_source, str):
        raise IngestError(
            f"event_source must be a string, got {type(event_source).__name__} {event_source!r:.60}"
        )
    return resolve_namespace(event_source.lower(), check_namespace_map(namespace_map))


def resolve_namespace(source: str, user: Mapping[str, str | None]) -> str | None:
    """The namespace of a lower-case ``source`` under checked overrides ``user``.

    The user's overrides come first (keyed by the whole source, its stem or
    the stem's first label; ``None`` skips it), then the generated table by
    stem. There is no guess: a stem the table does not have maps to ``None``.
    """
    if source in user:
        return user[source]
    if not source.endswith(_AMAZONAWS):
        return None
    stem = source[: -len(_AMAZONAWS)]
    if not stem:
        return None
    for key in (stem, stem.split(".", 1)[0]):
        if key in user:
            return user[key]
    return namespace_for_stem(stem)
