"""AWS's PascalCase shapes for the report rows, in one cattrs converter.

The domain model is snake_case (:class:`~orgaccess.engine.report.AccessDetail`);
the ``AccessDetail`` dict that boto3 returns is made and read here, by a
converter that :func:`make_converter` configures (cattrs' global converter
is never touched).

>>> from orgaccess.engine.report import AccessDetail
>>> detail = AccessDetail(service_name="Amazon S3", service_namespace="s3")
>>> access_detail_to_aws(detail)
{'ServiceName': 'Amazon S3', 'ServiceNamespace': 's3', 'TotalAuthenticatedEntities': 0}
>>> access_detail_from_aws(access_detail_to_aws(detail)) == detail
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .._time import ensure_utc
from ..engine.report import AccessDetail
from ..errors import ShapeError
from ..model.ids import EntityPath

__all__ = ["access_detail_from_aws", "access_detail_to_aws", "make_converter"]

_FIELDS = {
    "service_name": "ServiceName",
    "service_namespace": "ServiceNamespace",
    "region": "Region",
    "entity_path": "EntityPath",
    "last_authenticated_time": "LastAuthenticatedTime",
    "total_authenticated_entities": "TotalAuthenticatedEntities",
}
_OPTIONAL = frozenset({"region", "entity_path", "last_authenticated_time"})


def _structure_time(value: object, _type: type) -> datetime:
    if isinstance(value, str):
        text = value[:-1] + "+00:00" if value.endswith("Z") else value
        value = datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime or ISO 8601 text, got {value!r}")
    return ensure_utc(value, what="LastAuthenticatedTime")


def make_converter() -> cattrs.Converter:
    """A converter between :class:`AccessDetail` and AWS's ``AccessDetail`` dict.

    Absent members (``Region``, ``EntityPath``, ``LastAuthenticatedTime`` of an
    unused service) have no key, as in boto3's responses; times stay aware
    ``datetime`` values (ISO 8601 text is accepted when reading).
    """
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_unstructure_hook(EntityPath, str)
    converter.register_structure_hook(EntityPath, lambda value, _t: EntityPath.parse(value))
    converter.register_unstructure_hook(datetime, lambda value: value)
    converter.register_structure_hook(datetime, _structure_time)
    renames: dict[str, Any] = {
        name: override(rename=aws, omit_if_default=name in _OPTIONAL)
        for name, aws in _FIELDS.items()
    }
    converter.register_unstructure_hook(
        AccessDetail, make_dict_unstructure_fn(AccessDetail, converter, **renames)
    )
    converter.register_structure_hook(
        AccessDetail,
        make_dict_structure_fn(AccessDetail, converter, _cattrs_forbid_extra_keys=True, **renames),
    )
    return converter


@functools.cache
def _converter() -> cattrs.Converter:
    return make_converter()


@functools.cache
def _to_aws() -> Callable[[AccessDetail], dict[str, Any]]:
    hook: Callable[[AccessDetail], dict[str, Any]] = _converter().get_unstructure_hook(AccessDetail)
    return hook


def access_detail_to_aws(detail: AccessDetail) -> dict[str, Any]:
    """The ``AccessDetail`` dict boto3 returns for one row, keys in boto3's documented order."""
    raw = _to_aws()(detail)
    # The generated hook puts the members it may omit after the others, in field
    # order: moving the count to the end gives boto3's order (a test checks it).
    raw["TotalAuthenticatedEntities"] = raw.pop("TotalAuthenticatedEntities")
    return raw


def access_detail_from_aws(data: Mapping[str, Any]) -> AccessDetail:
    """Read an ``AccessDetail`` dict (as boto3 returns it) into the model.

    Raises :class:`~orgaccess.errors.OrgAccessError` naming the problem for a
    dict that is not one (unknown keys, missing members, wrong types).
    """
    try:
        detail: AccessDetail = _converter().structure(dict(data), AccessDetail)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        reasons = (
            "; ".join(cattrs.transform_error(exc))
            if isinstance(exc, cattrs.BaseValidationError)
            else str(exc)
        )
        raise ShapeError(f"not an AccessDetail dict: {reasons}: {dict(data)!r:.300}") from None
    return detail
