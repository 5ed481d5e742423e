"""A botocore-style paginator for ``get_organizations_access_report``.

botocore has no paginator for this operation; this one behaves like
botocore's ``paginate.py``: :class:`Paginator` takes the *bound method*
(of a :class:`~orgaccess.aws.client.ReportClient` or of a boto3 IAM client),
``paginate()`` honours ``PaginationConfig`` (``MaxItems``: rows in total,
``PageSize``: rows per call, ``StartingToken``: a :attr:`PageIterator.resume_token`)
and :meth:`PageIterator.build_full_result` merges the pages:

>>> from orgaccess import ReportClient, ServiceCatalog, example_organization
>>> catalog = ServiceCatalog.from_mapping({name: {"actions": ["Get"]} for name in "abcdefg"})
>>> client = ReportClient(example_organization(), catalog=catalog)
>>> job_id = client.generate_organizations_access_report(EntityPath="o-exampleorg1/r-ex12")["JobId"]
>>> paginator = Paginator(client.get_organizations_access_report)
>>> pages = paginator.paginate(JobId=job_id, PaginationConfig={"MaxItems": 5, "PageSize": 2})
>>> result = pages.build_full_result()
>>> len(result["AccessDetails"]), "NextToken" in result
(5, True)

A job that is not COMPLETED has no pages: iterating raises
:class:`~orgaccess.errors.PaginationError` with ``code`` ``IN_PROGRESS`` or
the job's failure code.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..errors import PaginationError

__all__ = ["NON_AGGREGATE_KEYS", "PageIterator", "Paginator"]

#: Members of a page that are the same on every page (copied once into the full result).
NON_AGGREGATE_KEYS = (
    "JobStatus",
    "JobCreationDate",
    "JobCompletionDate",
    "NumberOfServicesAccessible",
    "NumberOfServicesNotAccessed",
)
_CONFIG_KEYS = frozenset({"MaxItems", "PageSize", "StartingToken"})


def _positive(config: Mapping[str, Any], key: str) -> int | None:
    value = config.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PaginationError(
            f"PaginationConfig {key} must be a positive integer, got {value!r}",
            code="InvalidPaginationConfig",
        )
    return value


def _encode_token(marker: str | None, skip: int) -> str:
    token: dict[str, Any] = {"Marker": marker}
    if skip:
        token["boto_truncate_amount"] = skip
    return base64.b64encode(json.dumps(token, sort_keys=True).encode()).decode("ascii")


def _decode_token(token: object) -> tuple[str | None, int]:
    bad = PaginationError(f"invalid StartingToken {token!r}", code="InvalidStartingToken")
    if not isinstance(token, str) or len(token) > 4096:
        raise bad
    try:
        data = json.loads(base64.b64decode(token.encode("ascii"), validate=True))
    except (ValueError, UnicodeError, binascii.Error):
        raise bad from None
    if not isinstance(data, dict) or set(data) - {"Marker", "boto_truncate_amount"}:
        raise bad
    marker, skip = data.get("Marker"), data.get("boto_truncate_amount", 0)
    if not (marker is None or isinstance(marker, str)) or not isinstance(skip, int) or skip < 0:
        raise bad
    return marker, skip


class Paginator:
    """Pages of ``get_organizations_access_report``, from the bound method."""

    def __init__(self, method: Callable[..., Mapping[str, Any]]) -> None:
        if not callable(method):
            raise TypeError(f"Paginator needs the bound operation method, got {method!r}")
        self._method = method

    def paginate(
        self, *, PaginationConfig: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> PageIterator:
        """An iterable of pages; ``kwargs`` are the operation's (``JobId``, ``SortKey``)."""
        config = dict(PaginationConfig or {})
        unknown = set(config) - _CONFIG_KEYS
        if unknown:
            raise PaginationError(
                f"unknown PaginationConfig keys {sorted(unknown)}; "
                f"valid keys: {sorted(_CONFIG_KEYS)}",
                code="InvalidPaginationConfig",
            )
        for key in ("MaxItems", "Marker"):
            if key in kwargs:
                raise PaginationError(
                    f"{key} is set by the paginator: use PaginationConfig "
                    "(PageSize, StartingToken) instead",
                    code="InvalidPaginationConfig",
                )
        token = config.get("StartingToken")
        return PageIterator(
            self._method,
            kwargs,
            max_items=_positive(config, "MaxItems"),
            page_size=_positive(config, "PageSize"),
            start=_decode_token(token) if token is not None else (None, 0),
        )


class PageIterator:
    """The pages of one ``paginate()`` call; ``resume_token`` is set once ``MaxItems`` cut it."""

    def __init__(
        self,
        method: Callable[..., Mapping[str, Any]],
        kwargs: Mapping[str, Any],
        *,
        max_items: int | None,
        page_size: int | None,
        start: tuple[str | None, int],
    ) -> None:
        self._method = method
        self._kwargs = dict(kwargs)
        self._max_items = max_items
        self._page_size = page_size
        self._start = start
        self.resume_token: str | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        marker, skip = self._start
        left = self._max_items
        self.resume_token = None
        while True:
            kwargs = dict(self._kwargs)
            if self._page_size is not None:
                kwargs["MaxItems"] = self._page_size
            if marker is not None:
                kwargs["Marker"] = marker
            page = dict(self._method(**kwargs))
            _require_completed(page, kwargs.get("JobId"))
            rows = list(page.get("AccessDetails", ()))[skip:]
            more = bool(page.get("IsTruncated"))
            next_marker = page.get("Marker") if more else None
            if left is not None and len(rows) >= left:
                if len(rows) > left:
                    self.resume_token = _encode_token(marker, skip + left)
                elif more:
                    self.resume_token = _encode_token(next_marker, 0)
                rows = rows[:left]
                more = False
            elif left is not None:
                left -= len(rows)
            page["AccessDetails"] = rows
            yield page
            if not more:
                return
            marker, skip = next_marker, 0

    def build_full_result(self) -> dict[str, Any]:
        """Every row of every page in one dict, with ``NextToken`` when ``MaxItems`` cut it."""
        result: dict[str, Any] = {}
        rows: list[Any] = []
        for page in self:
            if not result:
                result = {key: page[key] for key in NON_AGGREGATE_KEYS if key in page}
            rows.extend(page["AccessDetails"])
        result["AccessDetails"] = rows
        if self.resume_token is not None:
            result["NextToken"] = self.resume_token
        return result


def _require_completed(page: Mapping[str, Any], job_id: object) -> None:
    status = page.get("JobStatus")
    if status == "COMPLETED":
        return
    details = page.get("ErrorDetails") or {}
    raise PaginationError(
        f"job {job_id} is {status}" + (f": {details.get('Message')}" if details else ""),
        code=str(details.get("Code", status)),
    )
