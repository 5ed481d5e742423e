"""A boto3-shaped client for GenerateOrganizationsAccessReport / GetOrganizationsAccessReport.

:class:`ReportClient` answers the two IAM operations the way AWS does
(semantics sections 5 to 8), so code that calls boto3's IAM client can be
tested against it::

    client = ReportClient(org, events, clock=fixed_clock)
    job = client.generate_organizations_access_report(EntityPath=path)
    report = client.get_organizations_access_report(JobId=job["JobId"])

Several principals share one set of jobs: :meth:`ReportClient.as_caller`
returns a client bound to another caller over the same jobs, so the owner
rule and the per-account concurrency limit can be exercised.

Errors AWS raises are :class:`~orgaccess.errors.ServiceError` (an
:class:`~orgaccess.errors.OrgAccessError`) with ``.code``; failures AWS
reports in the job come back as ``JobStatus: FAILED`` with ``ErrorDetails``.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from .._time import ensure_utc
from ..engine.evaluation import Evaluator
from ..engine.report import Report, ReportOptions, build_report
from ..engine.sorting import SortKey, sort_details
from ..errors import InvalidIdError, OrgAccessError, ReportFailedError, ServiceError
from ..model.catalog import ServiceCatalog, default_catalog
from ..model.events import AccessEvent, ActivityIndex
from ..model.ids import (
    ENTITY_PATH_API_PATTERN,
    ENTITY_PATH_MAX_LENGTH,
    ENTITY_PATH_MIN_LENGTH,
    ID_PATTERNS,
    AccountId,
    OrganizationId,
)
from ..model.organization import Organization
from .paging import DEFAULT_MAX_ITEMS, MAX_ITEMS_LIMIT, MarkerCodec, page_of
from .shapes import access_detail_to_aws

__all__ = [
    "DEFAULT_REUSE_WINDOW",
    "JOB_ID_LENGTH",
    "ReportClient",
    "iter_access_details",
    "paginate_access_report",
    "parse_caller",
]

JOB_ID_LENGTH = 36
DEFAULT_REUSE_WINDOW = timedelta(seconds=60)
_ENTITY_PATH_RE = re.compile(ENTITY_PATH_API_PATTERN)
_POLICY_RE = re.compile(ID_PATTERNS["policy"])
_MARKER_RE = re.compile(r"^[\u0020-\u00FF]+$")
_SORT_KEYS = [k.value for k in SortKey]
_CALLER_RE = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(.+)$")


def parse_caller(caller: str) -> tuple[str, AccountId]:
    """Normalise a caller (an IAM or STS ARN, or a bare account id) to (ARN, account id).

    A bare account id means that account's root user.
    """
    if isinstance(caller, str) and AccountId.is_valid(caller):
        return f"arn:aws:iam::{caller}:root", AccountId(caller)
    match = _CALLER_RE.match(caller) if isinstance(caller, str) else None
    if match is None:
        raise InvalidIdError(
            f"caller {caller!r} is not an IAM or STS principal ARN "
            "(arn:aws:iam::123456789012:user/name, arn:aws:sts::123456789012:assumed-role/r/s) "
            "or a 12-digit account id"
        )
    return caller, AccountId(match.group(2))


@attrs.frozen(kw_only=True)
class _Job:
    job_id: str
    owner: str
    owner_account: AccountId
    entity_path: str
    policy_id: str | None
    created: datetime
    completes: datetime
    report: Report | None
    failure: ReportFailedError | None


class _Store:
    """The jobs and inputs that every principal's client shares."""

    def __init__(
        self,
        organization: Organization,
        activity: ActivityIndex,
        evaluator: Evaluator,
        *,
        clock: Callable[[], datetime],
        job_duration: timedelta,
        reuse_window: timedelta,
        max_concurrent_jobs: int,
        options: ReportOptions,
        id_factory: Callable[[], str],
        markers: MarkerCodec,
    ) -> None:
        self.organization = organization
        self.activity = activity
        self.evaluator = evaluator
        self.clock = clock
        self.job_duration = job_duration
        self.reuse_window = reuse_window
        self.max_concurrent_jobs = max_concurrent_jobs
        self.options = options
        self.id_factory = id_factory
        self.markers = markers
        self.jobs: dict[str, _Job] = {}
        # Per (job, sort key): the rows in that order, already as AWS dicts, so
        # that a page costs a slice and a shallow copy of each of its rows.
        self.sorted_rows: dict[tuple[str, SortKey], tuple[dict[str, Any], ...]] = {}

    def now(self) -> datetime:
        return ensure_utc(self.clock(), what="clock()")


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _uuid() -> str:
    return str(uuid.uuid4())


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _validation_error(problems: list[str]) -> ServiceError:
    n = len(problems)
    head = f"{n} validation error{'s' if n != 1 else ''} detected: "
    return ServiceError("ValidationError", head + "; ".join(problems))


def _check_unknown(operation: str, unknown: Mapping[str, Any]) -> None:
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ServiceError(
            "ParamValidationError",
            f"Parameter validation failed: unknown parameter in input of {operation}: {names}",
        )


def _check_length(
    problems: list[str], value: str, member: str, low: int | None, high: int | None
) -> bool:
    shown = value if len(value) <= 80 else value[:77] + "..."
    if low is not None and len(value) < low:
        problems.append(
            f"Value '{shown}' at '{member}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {low}"
        )
        return False
    if high is not None and len(value) > high:
        problems.append(
            f"Value '{shown}' at '{member}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {high}"
        )
        return False
    return True


def _check_type(value: object, expected: type, member: str, operation: str) -> None:
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ServiceError(
            "ParamValidationError",
            f"Parameter validation failed: invalid type for parameter {member} of {operation}, "
            f"value: {value!r}, type: {type(value).__name__}, valid types: {expected.__name__}",
        )


def _check_required(value: object, expected: type, member: str, operation: str) -> None:
    if value is _MISSING:
        raise ServiceError(
            "ParamValidationError",
            f'Parameter validation failed: Missing required parameter in input: "{member}"',
        )
    _check_type(value, expected, member, operation)


class ReportClient:
    """Answers ``generate_organizations_access_report`` and ``get_organizations_access_report``.

    ``events`` is any iterable of :class:`~orgaccess.model.events.AccessEvent`, or a
    ready :class:`~orgaccess.model.events.ActivityIndex` (when an iterable is given,
    the client keeps every distinct attempt time so that reports are exact at
    any clock time). ``clock`` is a zero-argument callable returning an aware
    datetime (default: the system clock, UTC). ``caller`` is an IAM or STS
    ARN, or an account id (its root); by default the management account's
    root. ``id_factory`` makes job ids (default: random UUIDs) and
    ``marker_secret`` signs pagination markers (default: random bytes); pass
    both for fully reproducible runs.
    """

    def __init__(
        self,
        organization: Organization,
        events: Iterable[AccessEvent] | ActivityIndex = (),
        *,
        clock: Callable[[], datetime] | None = None,
        catalog: ServiceCatalog | None = None,
        caller: str | None = None,
        job_duration: timedelta = timedelta(0),
        reuse_window: timedelta = DEFAULT_REUSE_WINDOW,
        max_concurrent_jobs: int = 1,
        options: ReportOptions | None = None,
        id_factory: Callable[[], str] | None = None,
        marker_secret: bytes | None = None,
    ) -> None:
        if not isinstance(organization, Organization):
            raise TypeError(f"organization must be an Organization, got {organization!r}")
        for name, value in (("job_duration", job_duration), ("reuse_window", reuse_window)):
            if not isinstance(value, timedelta) or value < timedelta(0):
                raise ValueError(f"{name} must be a non-negative timedelta, got {value!r}")
        if not isinstance(max_concurrent_jobs, int) or max_concurrent_jobs < 1:
            raise ValueError(f"max_concurrent_jobs must be at least 1, got {max_concurrent_jobs!r}")
        options = options or ReportOptions()
        catalog = catalog if catalog is not None else default_catalog()
        activity = (
            events
            if isinstance(events, ActivityIndex)
            else ActivityIndex(events, keep_history=True)
        )
        self._store = _Store(
            organization,
            activity,
            Evaluator(
                organization,
                catalog,
                resources=options.resources,
                partition=options.partition,
            ),
            clock=clock or _system_clock,
            job_duration=job_duration,
            reuse_window=reuse_window,
            max_concurrent_jobs=max_concurrent_jobs,
            options=options,
            id_factory=id_factory or _uuid,
            markers=MarkerCodec(marker_secret if marker_secret is not None else os.urandom(32)),
        )
        self.caller, self.caller_account = parse_caller(
            caller if caller is not None else str(organization.management_account_id)
        )

    @classmethod
    def _bound(cls, store: _Store, caller: str) -> ReportClient:
        client = cls.__new__(cls)
        client._store = store
        client.caller, client.caller_account = parse_caller(caller)
        return client

    def as_caller(self, caller: str) -> ReportClient:
        """A client for another principal over the same jobs, organization and activity."""
        return self._bound(self._store, caller)

    @property
    def organization(self) -> Organization:
        """The organization this client reports on."""
        return self._store.organization

    @property
    def activity(self) -> ActivityIndex:
        """The activity index the reports read."""
        return self._store.activity

    def _require_management(self, operation: str) -> None:
        org = self._store.organization
        if self.caller_account != org.management_account_id:
            raise ServiceError(
                "AccessDenied",
                f"User: {self.caller} is not authorized to perform: iam:{operation}: "
                f"the caller must be in the management account {org.management_account_id} "
                f"of organization {org.id}",
            )

    # -- GenerateOrganizationsAccessReport ------------------------------------
    def generate_organizations_access_report(
        self,
        *,
        EntityPath: str = _MISSING,
        OrganizationsPolicyId: str | None = _MISSING,
        **unknown: Any,
    ) -> dict[str, Any]:
        """Start a report job; returns ``{"JobId": ...}`` (or an earlier job's id, see reuse)."""
        operation = "GenerateOrganizationsAccessReport"
        _check_unknown(operation, unknown)
        _check_required(EntityPath, str, "EntityPath", operation)
        policy_id = None if OrganizationsPolicyId is _MISSING else OrganizationsPolicyId
        if policy_id is not None:
            _check_type(policy_id, str, "OrganizationsPolicyId", operation)
        problems: list[str] = []
        if _check_length(
            problems, EntityPath, "entityPath", ENTITY_PATH_MIN_LENGTH, ENTITY_PATH_MAX_LENGTH
        ) and not _ENTITY_PATH_RE.match(EntityPath):
            problems.append(
                f"Value '{EntityPath}' at 'entityPath' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {ENTITY_PATH_API_PATTERN}"
            )
        if policy_id is not None and not _POLICY_RE.fullmatch(policy_id):
            problems.append(
                f"Value '{policy_id}' at 'organizationsPolicyId' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {ID_PATTERNS['policy']}"
            )
        if problems:
            raise _validation_error(problems)
        self._require_management(operation)
        store = self._store
        org = store.organization
        org_part = EntityPath.split("/", 1)[0]
        if org_part != org.id:
            raise ServiceError(
                "AccessDenied",
                "The organization ID in the specified entity path is different than your "
                f"organization ID. (path names {OrganizationId(org_part)}, yours is {org.id})",
            )
        now = store.now()
        # Reuse comes first: same caller, path and policy id within the window.
        for job in reversed(store.jobs.values()):
            if (
                job.owner == self.caller
                and job.entity_path == EntityPath
                and job.policy_id == policy_id
                and job.created <= now <= job.created + store.reuse_window
            ):
                return {"JobId": job.job_id}
        running = sum(
            1
            for job in store.jobs.values()
            if job.owner_account == self.caller_account and job.created <= now < job.completes
        )
        if running >= store.max_concurrent_jobs:
            raise ServiceError(
                "ReportGenerationLimitExceeded",
                "Maximum number of concurrent jobs exceeded (account "
                f"{self.caller_account} has {running} in progress; the limit is "
                f"{store.max_concurrent_jobs})",
            )
        job_id = store.id_factory()
        if not isinstance(job_id, str) or len(job_id) != JOB_ID_LENGTH or job_id in store.jobs:
            raise ValueError(
                f"id_factory must return new {JOB_ID_LENGTH}-character strings, got {job_id!r}"
            )
        report: Report | None = None
        failure: ReportFailedError | None = None
        try:
            report = build_report(
                org,
                store.activity,
                EntityPath,
                created=now,
                policy_id=policy_id,
                options=store.options,
                evaluator=store.evaluator,
            )
        except ReportFailedError as exc:
            failure = exc
        store.jobs[job_id] = _Job(
            job_id=job_id,
            owner=self.caller,
            owner_account=self.caller_account,
            entity_path=EntityPath,
            policy_id=policy_id,
            created=now,
            completes=now + store.job_duration,
            report=report,
            failure=failure,
        )
        return {"JobId": job_id}

    # -- GetOrganizationsAccessReport -------------------------------------------
    def get_organizations_access_report(
        self,
        *,
        JobId: str = _MISSING,
        MaxItems: int | None = None,
        Marker: str | None = None,
        SortKey: str | None = None,
        **unknown: Any,
    ) -> dict[str, Any]:
        """The job's status and, once COMPLETED, one page of its report (as boto3 returns it)."""
        operation = "GetOrganizationsAccessReport"
        _check_unknown(operation, unknown)
        _check_required(JobId, str, "JobId", operation)
        if MaxItems is not None:
            _check_type(MaxItems, int, "MaxItems", operation)
        if Marker is not None:
            _check_type(Marker, str, "Marker", operation)
        if SortKey is not None:
            _check_type(SortKey, str, "SortKey", operation)
        problems: list[str] = []
        _check_length(problems, JobId, "jobId", JOB_ID_LENGTH, JOB_ID_LENGTH)
        if MaxItems is not None and MaxItems < 1:
            problems.append(
                f"Value '{MaxItems}' at 'maxItems' failed to satisfy constraint: "
                "Member must have value greater than or equal to 1"
            )
        elif MaxItems is not None and MaxItems > MAX_ITEMS_LIMIT:
            problems.append(
                f"Value '{MaxItems}' at 'maxItems' failed to satisfy constraint: "
                f"Member must have value less than or equal to {MAX_ITEMS_LIMIT}"
            )
        if (
            Marker is not None
            and _check_length(problems, Marker, "marker", 1, 320)
            and not _MARKER_RE.match(Marker)
        ):
            problems.append(
                "Value at 'marker' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\u0020-\\u00FF]+"
            )
        if SortKey is not None and SortKey not in _SORT_KEYS:
            problems.append(
                f"Value '{SortKey}' at 'sortKey' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(_SORT_KEYS)}]"
            )
        if problems:
            raise _validation_error(problems)
        self._require_management(operation)
        store = self._store
        job = store.jobs.get(JobId)
        if job is None or job.owner != self.caller:
            raise ServiceError("NoSuchEntity", f"Job {JobId} does not exist.")
        now = store.now()
        if now < job.completes:
            return {
                "JobStatus": "IN_PROGRESS",
                "JobCreationDate": job.created,
                "IsTruncated": False,
            }
        if job.failure is not None:
            return {
                "JobStatus": "FAILED",
                "JobCreationDate": job.created,
                "JobCompletionDate": job.completes,
                "IsTruncated": False,
                "ErrorDetails": {"Message": job.failure.aws_message, "Code": job.failure.code},
            }
        assert job.report is not None
        key = _sort_key(SortKey)
        rows = store.sorted_rows.get((job.job_id, key))
        if rows is None:
            rows = store.sorted_rows[(job.job_id, key)] = tuple(
                access_detail_to_aws(d) for d in sort_details(job.report.details, key)
            )
        start = 0
        if Marker is not None:
            start = store.markers.decode(Marker, job.job_id, key)
            if start > len(rows):
                raise ServiceError(
                    "InvalidInput",
                    f"The marker passed in the request was invalid. (marker {Marker!r})",
                )
        page = page_of(rows, start, MaxItems if MaxItems is not None else DEFAULT_MAX_ITEMS)
        response: dict[str, Any] = {
            "JobStatus": "COMPLETED",
            "JobCreationDate": job.created,
            "JobCompletionDate": job.completes,
            "NumberOfServicesAccessible": job.report.number_of_services_accessible,
            "NumberOfServicesNotAccessed": job.report.number_of_services_not_accessed,
            "AccessDetails": [dict(row) for row in page.items],
            "IsTruncated": page.is_truncated,
        }
        if page.next_start is not None:
            response["Marker"] = store.markers.encode(job.job_id, key, page.next_start)
        return response

    def report_of(self, job_id: str) -> Report:
        """The :class:`~orgaccess.engine.report.Report` behind a COMPLETED job of this caller."""
        job = self._store.jobs.get(job_id)
        if job is None or job.owner != self.caller:
            raise ServiceError("NoSuchEntity", f"Job {job_id} does not exist.")
        if job.report is None:
            assert job.failure is not None
            raise job.failure
        return job.report

    def get_paginator(self, operation_name: str) -> _AccessReportPaginator:
        """A paginator for ``get_organizations_access_report`` (botocore has none)."""
        if operation_name != "get_organizations_access_report":
            raise OrgAccessError(
                f"no paginator for {operation_name!r}; only get_organizations_access_report",
                code="OperationNotPageableError",
            )
        return _AccessReportPaginator(self)


def _sort_key(value: str | None) -> SortKey:
    return SortKey.SERVICE_NAMESPACE_ASCENDING if value is None else SortKey(value)


def paginate_access_report(
    client: Any,
    *,
    JobId: str,
    SortKey: str | None = None,
    PageSize: int | None = None,
) -> Iterator[Mapping[str, Any]]:
    """Every page of a COMPLETED job, following markers; works with boto3's IAM client too.

    Raises :class:`~orgaccess.errors.OrgAccessError` (code ``IN_PROGRESS`` or
    the job's failure code) when the job has no report to page through.
    """
    kwargs: dict[str, Any] = {"JobId": JobId}
    if SortKey is not None:
        kwargs["SortKey"] = SortKey
    if PageSize is not None:
        kwargs["MaxItems"] = PageSize
    while True:
        page = client.get_organizations_access_report(**kwargs)
        status = page.get("JobStatus")
        if status != "COMPLETED":
            details = page.get("ErrorDetails") or {}
            raise OrgAccessError(
                f"job {JobId} is {status}" + (f": {details.get('Message')}" if details else ""),
                code=details.get("Code", status),
            )
        yield page
        if not page.get("IsTruncated"):
            return
        kwargs["Marker"] = page["Marker"]


def iter_access_details(
    client: Any, *, JobId: str, SortKey: str | None = None, PageSize: int | None = None
) -> Iterator[Mapping[str, Any]]:
    """Every ``AccessDetail`` dict of a COMPLETED job, page by page."""
    for page in paginate_access_report(client, JobId=JobId, SortKey=SortKey, PageSize=PageSize):
        yield from page.get("AccessDetails", ())


class _AccessReportPaginator:
    """boto3-style paginator: ``paginate(JobId=..., SortKey=..., PaginationConfig=...)``."""

    def __init__(self, client: ReportClient) -> None:
        self._client = client

    def paginate(
        self,
        *,
        JobId: str,
        SortKey: str | None = None,
        PaginationConfig: Mapping[str, Any] | None = None,
    ) -> Iterator[Mapping[str, Any]]:
        """The pages of a COMPLETED job."""
        size = (PaginationConfig or {}).get("PageSize")
        return paginate_access_report(self._client, JobId=JobId, SortKey=SortKey, PageSize=size)
