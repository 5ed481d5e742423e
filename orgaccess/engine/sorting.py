"""The four orders of a report (semantics section 6), usable without the client.

``SERVICE_NAMESPACE_ASCENDING`` (the default) and ``..._DESCENDING``;
``LAST_AUTHENTICATED_TIME_ASCENDING`` and ``..._DESCENDING``. Under the time
keys a row compares by the tuple (``LastAuthenticatedTime``, a never-used
service being the oldest; ``Region``, no Region first; ``ServiceNamespace``
ascending). Each descending order is the exact reverse of its ascending order.

The Region term reproduces real AWS (captured 2026-09-11): on a report of three
never-used services where only ``iam`` carries a Region (the quirk of
semantics section 5), ``LAST_AUTHENTICATED_TIME_ASCENDING`` gave s3, sqs, iam
and ``..._DESCENDING`` iam, sqs, s3.

>>> from orgaccess.engine.report import AccessDetail
>>> rows = [AccessDetail(service_name="IAM", service_namespace="iam", region="us-east-1"),
...         AccessDetail(service_name="S3", service_namespace="s3"),
...         AccessDetail(service_name="SQS", service_namespace="sqs")]
>>> [d.service_namespace for d in sort_details(rows, "LAST_AUTHENTICATED_TIME_ASCENDING")]
['s3', 'sqs', 'iam']
>>> [d.service_namespace for d in sort_details(rows, "LAST_AUTHENTICATED_TIME_DESCENDING")]
['iam', 'sqs', 's3']
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from .report import AccessDetail

__all__ = ["SortKey", "sort_details"]


class SortKey(enum.Enum):
    """The four orders of ``GetOrganizationsAccessReport``."""

    SERVICE_NAMESPACE_ASCENDING = "SERVICE_NAMESPACE_ASCENDING"
    SERVICE_NAMESPACE_DESCENDING = "SERVICE_NAMESPACE_DESCENDING"
    LAST_AUTHENTICATED_TIME_ASCENDING = "LAST_AUTHENTICATED_TIME_ASCENDING"
    LAST_AUTHENTICATED_TIME_DESCENDING = "LAST_AUTHENTICATED_TIME_DESCENDING"

    @property
    def descending(self) -> bool:
        """Whether this is a descending order."""
        return self.value.endswith("_DESCENDING")


def _time_key(detail: AccessDetail) -> tuple[bool, object, bool, str, str]:
    time = detail.last_authenticated_time
    region = detail.region
    return (time is not None, time or 0, region is not None, region or "", detail.service_namespace)


def sort_details(
    details: Sequence[AccessDetail], sort_key: SortKey | str = SortKey.SERVICE_NAMESPACE_ASCENDING
) -> tuple[AccessDetail, ...]:
    """The rows in the order ``sort_key`` asks for."""
    key = SortKey(sort_key)
    if key in (SortKey.SERVICE_NAMESPACE_ASCENDING, SortKey.SERVICE_NAMESPACE_DESCENDING):
        ascending = sorted(details, key=lambda d: d.service_namespace)
    else:
        ascending = sorted(details, key=_time_key)
    return tuple(reversed(ascending)) if key.descending else tuple(ascending)
