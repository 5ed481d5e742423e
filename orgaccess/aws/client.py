"""A boto3-shaped client for GenerateOrganizationsAccessReport / GetOrganizationsAccessReport.

:class:`ReportClient` answers the two IAM operations the way AWS does
(semantics sections 5 to 8), so code that calls boto3's IAM client can be
tested against it:

>>> from datetime import UTC, datetime
>>> from orgaccess import AccessEvent, ServiceCatalog, example_organization
>>> now = datetime(2026, 11, 1, tzinfo=UTC)
>>> catalog = ServiceCatalog.from_mapping({"s3": {"actions": ["GetObject"]},
...                                        "ec2": {"actions": ["RunInstances"]}})
>>> events = [AccessEvent(account_id="777788889999", service_namespace="s3",
...                       region="eu-west-1", time=datetime(2026, 10, 1, tzinfo=UTC))]
>>> client = ReportClient(example_organization(), events, clock=lambda: now, catalog=catalog)
>>> job = client.generate_organizations_access_report(EntityPath="o-exampleorg1/r-ex12")
>>> report = client.get_organizations_access_report(JobId=job["JobId"])
>>> report["JobStatus"], report["NumberOfServicesAccessible"], report["NumberOfServicesNotAccessed"]
('COMPLETED', 2, 1)
>>> [(d["ServiceNamespace"], d["TotalAuthenticatedEntities"]) for d in report["AccessDetails"]]
[('ec2', 0), ('s3', 1)]

Several principals share one set of jobs: :meth:`ReportClient.as_caller`
returns a client bound to another caller over the same jobs, so the owner
rule and the per-account concurrency limit can be exercised.

Errors AWS raises are :class:`~orgaccess.errors.ServiceError` (an
:class:`~orgaccess.errors.OrgAccessError`) with ``.code``; failures AWS
reports in the job come back as ``JobStatus: FAILED`` with ``ErrorDetails``.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs

from .._time import ensure_utc
from ..engine.evaluation import Evaluator
from ..engine.report import Report, ReportOptions, build_report
from ..engine.sorting import SortKey, sort_details
from ..errors import (
    ConfigurationError,
    InvalidIdError,
    JobInProgressError,
    PaginationError,
    ReportFailedError,
    ServiceError,
)
from ..model.catalog import ServiceCatalog, default_catalog
from ..model.events import AccessEvent, ActivityIndex
from ..model.ids import AccountId, OrganizationId
from ..model.organization import Organization
from ._errors import ClientExceptions, typed
from ._validation import GENERATE, GET, JOB_ID_LENGTH, validate
from .paginate import Paginator
from .paging import DEFAULT_MAX_ITEMS, MarkerCodec, page_of
from .shapes import access_detail_to_aws
from .waiter import WAITER_NAME, Waiter

__all__ = [
    "DEFAULT_REUSE_WINDOW",
    "JOB_ID_LENGTH",
    "ReportClient",
    "iter_access_details",
    "paginate_access_report",
    "parse_caller",
]

DEFAULT_REUSE_WINDOW = timedelta(seconds=60)
_CALLER_RE = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(.+)$")


def _brief(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters; words for an int too large to print."""
    if isinstance(value, int) and value.bit_length() > 256:
        return f"<an integer of about {int(value.bit_length() * 0.30103)} digits>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_caller(caller: str) -> tuple[str, AccountId]:
    """Normalise a caller (an IAM or STS ARN, or a bare account id) to (ARN, account id).

    A bare account id means that account's root user.
    """
    if isinstance(caller, str) and AccountId.is_valid(caller):
        return f"arn:aws:iam::{caller}:root", AccountId(caller)
    match = _CALLER_RE.match(caller) if isinstance(caller, str) else None
    if match is None:
        raise InvalidIdError(
            f"caller {_brief(caller)} is not an IAM or STS principal ARN "
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
        organizations_read_denied: frozenset[str],
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
        self.organizations_read_denied = organizations_read_denied
        # Guards ``jobs`` and ``sorted_rows``; held for a whole generation so that the
        # reuse check, the in-progress count and the insertion are one step.
        self.lock = threading.RLock()
        self.jobs: dict[str, _Job] = {}
        # Per (job, sort key): the rows in that order, already as AWS dicts, so
        # that a page costs a slice and a shallow copy of each of its rows.
        self.sorted_rows: dict[tuple[str, SortKey], tuple[dict[str, Any], ...]] = {}

    def now(self) -> datetime:
        return ensure_utc(self.clock(), what="clock()")

    def rows_of(self, job: _Job, key: SortKey) -> tuple[dict[str, Any], ...]:
        """The job's rows in ``key`` order as AWS dicts, sorted once per (job, key)."""
        with self.lock:
            rows = self.sorted_rows.get((job.job_id, key))
        if rows is None:
            assert job.report is not None
            rows = tuple(access_detail_to_aws(d) for d in sort_details(job.report.details, key))
            with self.lock:
                rows = self.sorted_rows.setdefault((job.job_id, key), rows)
        return rows


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _uuid() -> str:
    return str(uuid.uuid4())


_EXCEPTIONS = ClientExceptions()
_Method = TypeVar("_Method", bound=Callable[..., dict[str, Any]])


def _operation(name: str) -> Callable[[_Method], _Method]:
    """Raise the operation's ServiceErrors as their ``<Code>Exception`` (ClientError) classes."""

    def decorate(method: _Method) -> _Method:
        @functools.wraps(method)
        def call(self: ReportClient, **params: Any) -> dict[str, Any]:
            try:
                return method(self, **params)
            except ServiceError as exc:
                raise typed(exc, name) from None

        return call  # type: ignore[return-value]

    return decorate


class ReportClient:
    """Answers ``generate_organizations_access_report`` and ``get_organizations_access_report``.

    ``events`` is any iterable of :class:`~orgaccess.model.events.AccessEvent`, or a
    ready :class:`~orgaccess.model.events.ActivityIndex`. Given an iterable, the
    client folds it into an index whose horizon is its clock's time at
    construction: every report it makes later is exact, attempts after that
    time included, and its memory does not grow with the number of events
    (one entry per (account, service), plus attempts later than the clock, at
    most :data:`~orgaccess.model.events.DEFAULT_HISTORY_LIMIT` of them; see
    :mod:`orgaccess.model.events`). A clock set back before that time can
    make a report raise :class:`~orgaccess.errors.ActivityHorizonError`.
    ``clock`` is a zero-argument callable returning an aware datetime
    (default: the system clock, UTC). ``caller`` is an IAM or STS ARN, or an
    account id (its root); by default the management account's
    root. ``id_factory`` makes job ids (default: random UUIDs) and
    ``marker_secret`` signs pagination markers (default: random bytes); pass
    both for fully reproducible runs. ``organizations_read_denied`` names the
    principals (ARNs, or account ids for their roots) that lack the
    Organizations read permissions the report needs: their jobs end ``FAILED``
    with ``ORGANIZATIONS_REPORT_ACCESS_DENIED``, as on AWS.

    Parameters are checked as boto3 and IAM check them (one table of the
    botocore input shapes, :mod:`orgaccess.aws._validation`).

    **Threads.** One client, and every client :meth:`as_caller` makes from it,
    may be shared between threads: the job store is locked, generating a job
    (reuse check, the in-progress limit, building the report, storing the
    job) is one critical section, so the limit holds exactly; reading pages
    of finished jobs runs in parallel.
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
        organizations_read_denied: Iterable[str] = (),
    ) -> None:
        if not isinstance(organization, Organization):
            raise TypeError(f"organization must be an Organization, got {_brief(organization)}")
        for name, value in (("job_duration", job_duration), ("reuse_window", reuse_window)):
            if not isinstance(value, timedelta) or value < timedelta(0):
                raise ConfigurationError(
                    f"{name} must be a non-negative timedelta, got {_brief(value)}"
                )
        if (
            isinstance(max_concurrent_jobs, bool)
            or not isinstance(max_concurrent_jobs, int)
            or max_concurrent_jobs < 1
        ):
            raise ConfigurationError(
                f"max_concurrent_jobs must be at least 1, got {_brief(max_concurrent_jobs)}"
            )
        if isinstance(organizations_read_denied, str) or not isinstance(
            organizations_read_denied, Iterable
        ):
            raise TypeError(
                "organizations_read_denied must be a collection of principals, got "
                f"{_brief(organizations_read_denied)}"
            )
        for hook_name, hook in (("clock", clock), ("id_factory", id_factory)):
            if hook is not None and not callable(hook):
                raise TypeError(f"{hook_name} must be a function, got {_brief(hook)}")
        if options is not None and not isinstance(options, ReportOptions):
            raise TypeError(f"options must be a ReportOptions, got {_brief(options)}")
        if catalog is not None and not isinstance(catalog, ServiceCatalog):
            raise TypeError(f"catalog must be a ServiceCatalog, got {_brief(catalog)}")
        if not isinstance(events, ActivityIndex | Iterable):
            raise TypeError(f"events must be an ActivityIndex or events, got {_brief(events)}")
        options = options or ReportOptions()
        catalog = catalog if catalog is not None else default_catalog()
        clock = clock or _system_clock
        activity = (
            events
            if isinstance(events, ActivityIndex)
            else ActivityIndex(events, horizon=ensure_utc(clock(), what="clock()"))
        )
        store = _Store(
            organization,
            activity,
            Evaluator(
                organization,
                catalog,
                resources=options.resources,
                partition=options.partition,
            ),
            clock=clock,
            job_duration=job_duration,
            reuse_window=reuse_window,
            max_concurrent_jobs=max_concurrent_jobs,
            options=options,
            id_factory=id_factory or _uuid,
            markers=MarkerCodec(marker_secret if marker_secret is not None else os.urandom(32)),
            organizations_read_denied=frozenset(
                parse_caller(p)[0] for p in organizations_read_denied
            ),
        )
        self._init(store, caller if caller is not None else str(organization.management_account_id))

    def _init(self, store: _Store, caller: str) -> None:
        # The one place a client's state is set, for __init__ and for as_caller.
        self._store = store
        self.caller, self.caller_account = parse_caller(caller)

    def as_caller(self, caller: str) -> ReportClient:
        """A client for another principal over the same jobs, organization and activity."""
        client = object.__new__(type(self))
        client._init(self._store, caller)
        return client

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
                f"User: {self.caller} is not authorized to perform: iam:{operation} "
                f"(the caller must be in the management account {org.management_account_id} "
                f"of organization {org.id})",
            )

    # -- GenerateOrganizationsAccessReport ------------------------------------
    @_operation(GENERATE)
    def generate_organizations_access_report(self, **params: Any) -> dict[str, Any]:
        """Start a report job; returns ``{"JobId": ...}`` (or an earlier job's id, see reuse).

        Parameters as boto3's: ``EntityPath`` (required), ``OrganizationsPolicyId``.
        """
        params = validate(GENERATE, params)
        entity_path: str = params["EntityPath"]
        policy_id: str | None = params.get("OrganizationsPolicyId")
        self._require_management(GENERATE)
        store = self._store
        org = store.organization
        org_part = entity_path.split("/", 1)[0]
        if org_part != org.id:
            raise ServiceError(
                "AccessDenied",
                "The organization ID in the specified entity path is different than your "
                f"organization ID. (path names {OrganizationId(org_part)}, yours is {org.id})",
            )
        with store.lock:
            return {"JobId": self._generate_locked(entity_path, policy_id)}

    def _generate_locked(self, entity_path: str, policy_id: str | None) -> str:
        store = self._store
        now = store.now()
        # Reuse comes first: same caller, path and policy id within the window.
        for job in reversed(store.jobs.values()):
            if (
                job.owner == self.caller
                and job.entity_path == entity_path
                and job.policy_id == policy_id
                and job.created <= now <= job.created + store.reuse_window
            ):
                return job.job_id
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
            raise ConfigurationError(
                f"id_factory must return new {JOB_ID_LENGTH}-character strings, "
                f"got {_brief(job_id)}"
            )
        report: Report | None = None
        failure: ReportFailedError | None = None
        try:
            if self.caller in store.organizations_read_denied:
                raise ReportFailedError(
                    "ORGANIZATIONS_REPORT_ACCESS_DENIED",
                    f"{self.caller} is configured as lacking the Organizations read permissions",
                )
            report = build_report(
                store.organization,
                store.activity,
                entity_path,
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
            entity_path=entity_path,
            policy_id=policy_id,
            created=now,
            completes=now + store.job_duration,
            report=report,
            failure=failure,
        )
        return job_id

    # -- GetOrganizationsAccessReport -------------------------------------------
    @_operation(GET)
    def get_organizations_access_report(self, **params: Any) -> dict[str, Any]:
        """The job's status and, once COMPLETED, one page of its report (as boto3 returns it).

        Parameters as boto3's: ``JobId`` (required), ``MaxItems``, ``Marker``, ``SortKey``.
        """
        params = validate(GET, params)
        job_id: str = params["JobId"]
        marker: str | None = params.get("Marker")
        self._require_management(GET)
        store = self._store
        job = self._job(job_id)
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
        key = _sort_key(params.get("SortKey"))
        rows = store.rows_of(job, key)
        start = 0
        if marker is not None:
            start = store.markers.decode(marker, job.job_id, key)
            if start > len(rows):
                raise ServiceError(
                    "InvalidInput",
                    f"The marker passed in the request was invalid. (marker {marker!r})",
                )
        page = page_of(rows, start, params.get("MaxItems", DEFAULT_MAX_ITEMS))
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

    def _job(self, job_id: str) -> _Job:
        with self._store.lock:
            job = self._store.jobs.get(job_id)
        if job is None or job.owner != self.caller:
            raise ServiceError("NoSuchEntity", f"Job {job_id} does not exist.")
        return job

    def report_of(self, job_id: str) -> Report:
        """The :class:`~orgaccess.engine.report.Report` behind a COMPLETED job of this caller.

        It fails where ``get_organizations_access_report(JobId=job_id)`` gives no
        report, with the same checks in the same order: a bad ``job_id`` is
        ``ValidationError``, a caller outside the management account
        ``AccessDenied``, a job that is not this caller's ``NoSuchEntity`` (each
        raised as ``get`` raises it, a ``ServiceError`` that is also botocore's
        ``ClientError``); a job that ``get`` shows ``IN_PROGRESS`` raises
        :class:`~orgaccess.errors.JobInProgressError` (even one that will fail),
        and a ``FAILED`` job its :class:`~orgaccess.errors.ReportFailedError`.
        """
        try:
            validate(GET, {"JobId": job_id})
            self._require_management(GET)
            job = self._job(job_id)
        except ServiceError as exc:
            raise typed(exc, GET) from None
        if self._store.now() < job.completes:
            raise JobInProgressError(job.job_id, job.completes)
        if job.failure is not None:
            raise job.failure
        assert job.report is not None
        return job.report

    # -- boto3 conventions ------------------------------------------------------
    @property
    def exceptions(self) -> ClientExceptions:
        """``client.exceptions.NoSuchEntityException`` and friends, as on a boto3 client."""
        return _EXCEPTIONS

    def can_paginate(self, operation_name: str) -> bool:
        """Whether :meth:`get_paginator` has a paginator for ``operation_name``."""
        return operation_name == "get_organizations_access_report"

    def get_paginator(self, operation_name: str) -> Paginator:
        """A botocore-style paginator for ``get_organizations_access_report`` (botocore has none).

        It honours ``PaginationConfig`` (``MaxItems``, ``PageSize``,
        ``StartingToken``) and offers ``build_full_result()``; see
        :mod:`orgaccess.aws.paginate`.
        """
        if not self.can_paginate(operation_name):
            raise PaginationError(
                f"no paginator for {operation_name!r}; only get_organizations_access_report",
                code="OperationNotPageableError",
            )
        return Paginator(self.get_organizations_access_report)

    @property
    def waiter_names(self) -> list[str]:
        """The waiters :meth:`get_waiter` knows."""
        return [WAITER_NAME]

    def get_waiter(
        self, waiter_name: str, *, sleep: Callable[[float], object] | None = None
    ) -> Waiter:
        """The ``organizations_access_report_complete`` waiter (see :mod:`orgaccess.aws.waiter`).

        ``sleep`` replaces :func:`time.sleep` between polls, for example with a
        function that advances the test's clock.
        """
        if waiter_name != WAITER_NAME:
            # botocore raises ValueError("Waiter does not exist: ..."); this is one too
            raise ConfigurationError(
                f"Waiter does not exist: {waiter_name!r:.80}; only {WAITER_NAME!r}",
                code="UnknownWaiter",
            )
        if sleep is None:
            return Waiter(self.get_organizations_access_report)
        return Waiter(self.get_organizations_access_report, sleep=sleep)


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

    Raises :class:`~orgaccess.errors.PaginationError` (code ``IN_PROGRESS`` or
    the job's failure code) when the job has no report to page through.
    """
    kwargs: dict[str, Any] = {"JobId": JobId}
    if SortKey is not None:
        kwargs["SortKey"] = SortKey
    config = {} if PageSize is None else {"PageSize": PageSize}
    return iter(
        Paginator(client.get_organizations_access_report).paginate(
            PaginationConfig=config, **kwargs
        )
    )


def iter_access_details(
    client: Any, *, JobId: str, SortKey: str | None = None, PageSize: int | None = None
) -> Iterator[Mapping[str, Any]]:
    """Every ``AccessDetail`` dict of a COMPLETED job, page by page."""
    for page in paginate_access_report(client, JobId=JobId, SortKey=SortKey, PageSize=PageSize):
        yield from page.get("AccessDetails", ())
