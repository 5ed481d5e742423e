"""Access events and CloudTrail records of an organization's accounts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from ..model.catalog import ServiceCatalog
from ..model.events import AccessEvent
from ..model.ids import (
    AccountId,
)
from ..model.organization import (
    Organization,
)
from ._common import (
    _MICROSECOND,
    _OUTSIDE_ACCOUNT,
    _SECOND,
    DEFAULT_REGIONS,
    _check_catalog,
    _check_int,
    _check_order,
    _tables,
    checked_when_used,
)

# --------------------------------------------------------------------------- activity


def _aware(name: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidArgument(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value


def _check_window(start_value: object, end_value: object) -> tuple[datetime, datetime]:
    start = _aware("start", start_value)
    end = _aware("end", end_value)
    if start > end:
        raise InvalidArgument(f"start={start.isoformat()} is after end={end.isoformat()}")
    return start.astimezone(UTC), end.astimezone(UTC)


def _check_regions(regions: Sequence[str]) -> tuple[str, ...]:
    if (
        isinstance(regions, str)
        or not regions
        or not all(isinstance(r, str) and r for r in regions)
    ):
        raise InvalidArgument(
            f"regions must be a non-empty sequence of region names, got {regions!r}"
        )
    return tuple(regions)


def _instants(start: datetime, end: datetime, step: timedelta) -> st.SearchStrategy[datetime]:
    """Instants in [start, end] on multiples of ``step`` after ``start`` (both ends drawn often).

    Hypothesis draws integers of a wide range mostly near zero, so the offset
    is drawn as a bucket (one of about a thousand, spread evenly) and a
    position inside it.
    """
    count = (end - start) // step
    buckets = min(count + 1, 1000)
    width = count // buckets + 1

    def at(bucket: int, inside: int) -> datetime:
        return start + min(bucket * width + inside, count) * step

    return st.one_of(
        st.builds(at, st.integers(0, buckets - 1), st.integers(0, width - 1)),
        st.sampled_from((start, start + count * step)),
    )


def _arn_of(principal_type: str, account: str) -> str:
    if principal_type == "Root":
        return f"arn:aws:iam::{account}:root"
    if principal_type == "AssumedRole":
        return f"arn:aws:sts::{account}:assumed-role/Admin/session"
    return f"arn:aws:iam::{account}:user/alice"


_PRINCIPAL_TYPES: Final = ("IAMUser", "AssumedRole", "Root")


@st.composite
def _event_fields(
    draw: st.DrawFn,
    organization: Organization,
    *,
    catalog: ServiceCatalog | None,
    namespaces: tuple[str, ...] | None,
    start: datetime,
    end: datetime,
    step: timedelta,
    min_size: int,
    max_size: int,
    regions: tuple[str, ...],
    outside_accounts: bool,
) -> list[tuple[AccountId, str, str, datetime, str, bool]]:
    names = namespaces if namespaces is not None else _tables(catalog).namespaces
    accounts: list[AccountId] = [a.id for a in organization.accounts]
    if outside_accounts and _OUTSIDE_ACCOUNT not in accounts:
        accounts.append(_OUTSIDE_ACCOUNT)
    instants = _instants(start, end, step)
    # A few shared instants make equal times (the tie rule) common.
    shared = draw(st.lists(instants, min_size=1, max_size=3))
    times = st.one_of(st.sampled_from(shared), instants)
    rows = st.tuples(
        st.sampled_from(accounts),
        st.sampled_from(names),
        st.sampled_from(regions),
        times,
        st.sampled_from(_PRINCIPAL_TYPES),
        st.booleans(),
    )
    return draw(st.lists(rows, min_size=min_size, max_size=max_size))


def _check_events_options(
    organization: object,
    catalog: object,
    namespaces: Collection[str] | None,
    min_size: int,
    max_size: int,
    regions: Sequence[str],
) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    if not isinstance(organization, Organization):
        raise InvalidArgument(f"organization must be an Organization, got {organization!r}")
    _check_catalog(catalog)
    _check_int("min_size", min_size, 0)
    _check_int("max_size", max_size, 0)
    _check_order("min_size", min_size, "max_size", max_size)
    names: tuple[str, ...] | None = None
    if namespaces is not None:
        if isinstance(namespaces, str) or not namespaces:
            raise InvalidArgument(
                f"namespaces must be a non-empty collection of namespaces, got {namespaces!r}"
            )
        names = tuple(sorted(set(namespaces)))
    return names, _check_regions(regions)


@checked_when_used
def access_events(
    organization: Organization,
    *,
    start: datetime,
    end: datetime,
    catalog: ServiceCatalog | None = None,
    namespaces: Collection[str] | None = None,
    min_size: int = 0,
    max_size: int = 20,
    regions: Sequence[str] = DEFAULT_REGIONS,
    outside_accounts: bool = False,
) -> st.SearchStrategy[list[AccessEvent]]:
    """Lists of :class:`~orgaccess.model.events.AccessEvent` of ``organization``'s accounts.

    Times lie in ``[start, end]`` (both ends included, and both ends drawn
    often), many of them shared so that equal times happen; namespaces come
    from ``namespaces`` or else the catalog (``None``: the default catalog);
    regions from ``regions``. ``outside_accounts=True`` also draws events of
    an account that is not in the organization (999999999999). Events may
    repeat. Shrinks towards fewer events, at ``start``.
    """
    names, region_list = _check_events_options(
        organization, catalog, namespaces, min_size, max_size, regions
    )
    first, last = _check_window(start, end)
    return _event_fields(
        organization,
        catalog=catalog,
        namespaces=names,
        start=first,
        end=last,
        step=_MICROSECOND,
        min_size=min_size,
        max_size=max_size,
        regions=region_list,
        outside_accounts=outside_accounts,
    ).map(
        lambda rows: [
            AccessEvent(
                account_id=account,
                service_namespace=namespace,
                region=region,
                time=time,
                principal_type=principal,
                principal_arn=_arn_of(principal, account),
                denied=denied,
            )
            for account, namespace, region, time, principal, denied in rows
        ]
    )


def _record(
    account: str,
    namespace: str,
    region: str,
    time: datetime,
    principal: str,
    denied: bool,
    *,
    event_name: str,
    event_id: str,
    invoked_by: str | None,
) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": principal,
        "principalId": "AIDAEXAMPLE" if principal != "AssumedRole" else "AROAEXAMPLE:session",
        "arn": _arn_of(principal, account),
        "accountId": account,
    }
    if invoked_by is not None:
        identity["invokedBy"] = invoked_by
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{namespace}.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": invoked_by or "192.0.2.10",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": None,
        "responseElements": None,
        "eventID": event_id,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
    }
    if denied:
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = f"User is not authorized to perform: {namespace}:{event_name}"
    return record


@st.composite
def _records(
    draw: st.DrawFn,
    rows: list[tuple[AccountId, str, str, datetime, str, bool]],
    catalog: ServiceCatalog | None,
    uncounted: bool,
) -> list[dict[str, Any]]:
    tables = _tables(catalog)
    records: list[dict[str, Any]] = []
    for account, namespace, region, time, principal, denied in rows:
        names = tables.actions.get(namespace) or ("Describe",)
        kind = (
            draw(st.sampled_from(("counted", "service", "anonymous"))) if uncounted else "counted"
        )
        record = _record(
            account,
            namespace,
            region,
            time,
            principal,
            denied,
            event_name=draw(st.sampled_from(names)),
            event_id=str(draw(st.uuids())),
            invoked_by=draw(st.none() | st.just("cloudformation.amazonaws.com")),
        )
        if kind == "service":
            record["userIdentity"] = {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
            record["sourceIPAddress"] = "ec2.amazonaws.com"
        elif kind == "anonymous":
            record["userIdentity"] = {
                "type": "AWSAccount",
                "principalId": "",
                "accountId": "anonymous",
            }
        records.append(record)
    return records


@checked_when_used
def cloudtrail_records(
    organization: Organization,
    *,
    start: datetime,
    end: datetime,
    catalog: ServiceCatalog | None = None,
    namespaces: Collection[str] | None = None,
    min_size: int = 0,
    max_size: int = 20,
    regions: Sequence[str] = DEFAULT_REGIONS,
    outside_accounts: bool = False,
    uncounted: bool = False,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of CloudTrail records (dicts, as in a log file's ``Records``) of the org's accounts.

    Each record has CloudTrail's shape: ``eventTime`` (whole seconds, ``Z``),
    ``eventSource`` ``<namespace>.amazonaws.com``, ``eventName`` (an action of
    the catalog), ``awsRegion``, ``userIdentity`` ``{type, principalId, arn,
    accountId[, invokedBy]}`` (``IAMUser``, ``AssumedRole`` or ``Root``) and,
    for a denied attempt, ``errorCode`` / ``errorMessage``. With
    ``uncounted=True`` some records are calls that do not count (an AWS
    service's own call, an anonymous call). Note that
    :func:`orgaccess.formats.cloudtrail.read_cloudtrail` maps a few sources
    elsewhere (``signin.amazonaws.com`` is skipped by default). Other options
    as in :func:`access_events`; ``[start, end]`` must contain a whole second.
    """
    names, region_list = _check_events_options(
        organization, catalog, namespaces, min_size, max_size, regions
    )
    first, last = _check_window(start, end)
    whole = first.replace(microsecond=0)
    if whole < first:
        whole += _SECOND
    if whole > last:
        raise InvalidArgument(
            f"[{first.isoformat()}, {last.isoformat()}] contains no whole second for eventTime"
        )
    fields = _event_fields(
        organization,
        catalog=catalog,
        namespaces=names,
        start=whole,
        end=last,
        step=_SECOND,
        min_size=min_size,
        max_size=max_size,
        regions=region_list,
        outside_accounts=outside_accounts,
    )
    return fields.flatmap(lambda rows: _records(rows, catalog, uncounted))
