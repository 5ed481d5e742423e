"""The four orders of a report (semantics section 6), usable without the client.

``SERVICE_NAMESPACE_ASCENDING`` (the default) and ``..._DESCENDING``;
``LAST_AUTHENTICATED_TIME_ASCENDING`` and ``..._DESCENDING``. A service with
no attempt sorts as the oldest; every tie breaks by namespace ascending; each
descending order is the exact reverse of its ascending order.
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


def _time_key(detail: AccessDetail) -> tuple[bool, object, str]:
    time = detail.last_authenticated_time
    return (time is not None, time or 0, detail.service_namespace)


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
