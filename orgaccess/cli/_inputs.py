"""Loading what a command needs, in the order that fails fastest.

:func:`prepare` checks everything that does not need the logs (the
snapshot, the entity, the policy id, the files named, the output directory)
by asking a :class:`~orgaccess.aws.client.ReportClient` over an *empty*
activity index for the report: the same validation, the same FAILED codes as
the real run, before a single log is opened. Only then does
:func:`read_activity` read the logs.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import attrs

from ..aws.client import ReportClient, iter_access_details
from ..engine.report import PolicyScope, ReportOptions
from ..errors import InvalidIdError, SnapshotError
from ..formats.activity import read_activity as read_all_activity
from ..formats.cloudtrail import IngestSummary
from ..model.catalog import ServiceCatalog, default_catalog
from ..model.events import AccessEvent, ActivityIndex
from ..model.ids import EntityId, EntityPath, parse_entity_id
from ..model.organization import Organization
from ._args import CliError, UsageError, namespace_map_from
from .coverage import ActivitySpan, Coverage

__all__ = [
    "MARKER_SECRET",
    "Outcome",
    "Request",
    "diagnose_path",
    "full_report",
    "load_org",
    "make_client",
    "prepare",
    "read_activity",
    "resolve_entity",
    "write_activity_summary",
]

#: How many unknown eventSources the summary names.
TOP_UNKNOWN = 10

#: Markers never leave one run of the command line, so a fixed secret is enough.
MARKER_SECRET = b"orgaccess-cli-markers-are-local"


def load_org(path: str) -> Organization:
    """The snapshot at ``path``; one line naming the first problem otherwise."""
    from ..formats.snapshot import load_organization

    try:
        return load_organization(path)
    except SnapshotError as exc:
        first = exc.problems[0] if exc.problems else exc.message
        more = len(exc.problems) - 1
        tail = f" (and {more} more; run 'orgaccess validate --org {path}')" if more > 0 else ""
        raise CliError(f"{path}: invalid snapshot: {first}{tail}") from None


def _name(org: Organization, entity_id: str) -> str:
    entity = org.entity(entity_id)
    name = getattr(entity, "name", "")
    return f"{entity_id} ({name})" if name else entity_id


def diagnose_path(org: Organization, text: str) -> str:
    """Which link of an entity path is wrong, in words (``""`` when the path exists)."""
    parts = text.split("/")
    if parts[0] != org.id:
        return f"the path names organization {parts[0]!r}; this snapshot is {org.id}"
    if len(parts) < 2 or not parts[1]:
        return f"the path has no root after {org.id} (the root is {org.root.id})"
    for i, part in enumerate(parts[1:], start=1):
        if not part:
            where = "ends with '/'" if i == len(parts) - 1 else f"has an empty element at {i + 1}"
            return f"the path {where}"
        if not org.has_entity(part):
            return f"{part} is not the root, an OU or an account of organization {org.id}"
        if i == 1:
            if part != org.root.id:
                return f"{part} is not the root: the path must start with {org.id}/{org.root.id}"
            continue
        parent = org.parent_of(part)
        if parent != parts[i - 1]:
            return (
                f"{_name(org, part)} is not a child of {parts[i - 1]}: its parent is "
                f"{parent}; its path is {org.path_of(part)}"
            )
    return ""


def resolve_entity(org: Organization, text: str) -> tuple[str, EntityId]:
    """The full entity path and id of ``--entity``: a path, or a bare root / OU / account id."""
    text = text.strip()
    if "/" not in text:
        try:
            entity_id = parse_entity_id(text)
        except InvalidIdError:
            raise CliError(
                f"--entity {text}: not an entity path (o-.../r-...[/ou-...][/account]) "
                "nor a root, OU or account id"
            ) from None
        if not org.has_entity(entity_id):
            raise CliError(
                f"--entity {text}: no root, OU or account has this id in organization {org.id} "
                f"(list them with 'orgaccess tree')"
            )
        return str(org.path_of(entity_id)), entity_id
    why = diagnose_path(org, text)
    if why:
        raise CliError(f"--entity {text}: the path does not exist: {why}")
    path = EntityPath.parse(text)
    return str(path), org.resolve(path)


@attrs.frozen(kw_only=True)
class Request:
    """One report, checked and ready to run once the activity is read."""

    org: Organization
    catalog: ServiceCatalog
    entity_path: str
    entity_id: EntityId
    policy_id: str | None
    as_of: datetime
    options: ReportOptions
    namespace_map: Mapping[str, str | None] | None = None


@attrs.frozen(kw_only=True)
class Outcome:
    """A report made from the logs, with what they could show."""

    request: Request
    index: ActivityIndex
    span: ActivitySpan
    response: dict[str, Any]
    coverage: Coverage


def make_client(request: Request, index: ActivityIndex) -> ReportClient:
    """A client for ``request`` over ``index``, its clock fixed at ``request.as_of``."""
    as_of = request.as_of
    return ReportClient(
        request.org,
        index,
        clock=lambda: as_of,
        catalog=request.catalog,
        options=request.options,
        marker_secret=MARKER_SECRET,
    )


def full_report(client: ReportClient, request: Request, sort_key: str) -> dict[str, Any]:
    """Generate the report and return the whole GetOrganizationsAccessReport dict (every row).

    A FAILED job is bad input (:class:`CliError`, with what is wrong).
    """
    kwargs: dict[str, Any] = {"EntityPath": request.entity_path}
    if request.policy_id is not None:
        kwargs["OrganizationsPolicyId"] = request.policy_id
    job_id = client.generate_organizations_access_report(**kwargs)["JobId"]
    first = client.get_organizations_access_report(JobId=job_id, MaxItems=1000, SortKey=sort_key)
    if first["JobStatus"] == "FAILED":
        error = first["ErrorDetails"]
        raise CliError(f"report FAILED: {error['Code']}: {error['Message']}")
    details = list(iter_access_details(client, JobId=job_id, SortKey=sort_key, PageSize=1000))
    whole = dict(first)
    whole["AccessDetails"] = details
    whole["IsTruncated"] = False
    whole.pop("Marker", None)
    return whole


def prepare(args: argparse.Namespace) -> Request:
    """Check every argument of ``report`` / ``unused`` that needs no logs; raise before reading."""
    from ._store import check_sources

    check_sources(args)
    for path in args.events:
        if not os.path.exists(path):
            raise CliError(f"--events {path}: no such file or directory")
    as_of: datetime = args.as_of or datetime.now(UTC)
    if args.events_from is not None and args.events_from > as_of:
        raise UsageError(
            f"--events-from {args.events_from.isoformat()} is after --as-of {as_of.isoformat()}"
        )
    output_file = getattr(args, "output_file", None)
    if output_file is not None:
        directory = os.path.dirname(os.path.abspath(output_file))
        if not os.path.isdir(directory):
            raise CliError(f"-o {output_file}: directory {directory} does not exist")
    catalog = default_catalog()
    namespace_map = namespace_map_from(args, catalog.namespaces)
    org = load_org(args.org)
    path, entity_id = resolve_entity(org, args.entity)
    options = ReportOptions(
        tracking_days=args.tracking_days,
        policy_scope=PolicyScope(args.policy_scope),
        resources=args.resources,
        partition=args.partition,
    )
    request = Request(
        org=org,
        catalog=catalog,
        entity_path=path,
        entity_id=entity_id,
        policy_id=args.policy_id,
        as_of=as_of,
        options=options,
        namespace_map=namespace_map,
    )
    # The same request on no activity: parameter errors, AccessDenied and
    # FAILED jobs (unknown policy, SCPs not enabled) show up now.
    client = make_client(request, ActivityIndex(until=as_of))
    kwargs: dict[str, Any] = {"EntityPath": path}
    if args.policy_id is not None:
        kwargs["OrganizationsPolicyId"] = args.policy_id
    job = client.generate_organizations_access_report(**kwargs)["JobId"]
    status = client.get_organizations_access_report(JobId=job, MaxItems=1)
    if status["JobStatus"] == "FAILED":
        error = status["ErrorDetails"]
        raise CliError(f"report FAILED: {error['Code']}: {error['Message']}")
    return request


class _Progress:
    """A one-line progress indicator on stderr, only when stderr is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.drawn = False

    def __call__(self, files_done: int, records_read: int) -> None:
        if self.enabled:
            self.stream.write(f"\rreading CloudTrail: {files_done} files, {records_read} records")
            self.stream.flush()
            self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


class _Span:
    def __init__(self, as_of: datetime) -> None:
        self.as_of = as_of
        self.earliest: datetime | None = None
        self.latest: datetime | None = None

    def see(self, time: datetime) -> None:
        if time > self.as_of:
            return
        if self.earliest is None or time < self.earliest:
            self.earliest = time
        if self.latest is None or time > self.latest:
            self.latest = time

    def track(self, events: Iterator[AccessEvent]) -> Iterator[AccessEvent]:
        for event in events:
            self.see(event.time)
            yield event


def write_activity_summary(
    stderr: TextIO, trail: IngestSummary, rows: IngestSummary, *, after: int = 0
) -> None:
    """What a read did, on stderr: records counted and skipped by reason, rows folded,
    problems, and the most frequent unknown eventSources with how to map them."""
    skipped = ", ".join(f"{reason}: {n}" for reason, n in trail.skipped.items() if n)
    stderr.write(
        f"activity: {trail.records_read} CloudTrail records read, {trail.counted} counted"
        + (f" (skipped {skipped})" if skipped else "")
        + f"; {rows.records_read} aggregated rows read, {rows.counted} folded"
        + (f" (skipped {_reasons(rows)})" if rows.skipped_total else "")
        + (f"; {after} after --as-of left out" if after else "")
        + "\n"
    )
    problems = trail.problems + rows.problems
    omitted = trail.problems_omitted + rows.problems_omitted
    for problem in problems[:5]:
        stderr.write(f"  warning: {problem}\n")
    if len(problems) + omitted > 5:
        stderr.write(f"  warning: ... and {len(problems) + omitted - 5} more problems\n")
    unknown = _unknown_sources(trail, rows)
    if unknown:
        top = sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{name}: {n}" for name, n in top[:TOP_UNKNOWN])
        more = f" and {len(top) - TOP_UNKNOWN} more" if len(top) > TOP_UNKNOWN else ""
        stderr.write(
            f"  unknown event sources ({sum(unknown.values())} records skipped as "
            f"UNKNOWN_SERVICE): {shown}{more}; if one belongs to a service, map it with "
            "--namespace-map SOURCE=NAMESPACE\n"
        )


def _reasons(summary: IngestSummary) -> str:
    return ", ".join(f"{reason}: {n}" for reason, n in summary.skipped.items() if n)


def _unknown_sources(trail: IngestSummary, rows: IngestSummary) -> dict[str, int]:
    unknown = dict(trail.unknown_sources)
    for name, n in rows.unknown_sources.items():
        unknown[name] = unknown.get(name, 0) + n
    return unknown


def read_activity(
    paths: Sequence[str],
    *,
    as_of: datetime,
    catalog: ServiceCatalog,
    stderr: TextIO,
    namespace_map: Mapping[str, str | None] | None = None,
    store: str | None = None,
    tracking_days: int = 0,
    jobs: int = 1,
) -> tuple[ActivityIndex, ActivitySpan]:
    """Read the logs (and ``store``) into an index (attempts after ``as_of`` left out).

    ``jobs`` > 1 reads the CloudTrail files in that many worker processes.
    """
    span = _Span(as_of)
    stored = None
    if store is not None:
        from ._store import load_store

        stored = load_store(
            store, as_of=as_of, window_start=as_of - timedelta(days=tracking_days), stderr=stderr
        )
        index = stored.index
        for seen in (stored.earliest, stored.latest):
            if seen is not None:
                span.see(seen)
        if not paths:
            return index, ActivitySpan(
                records_read=stored.records_read,
                rows_read=stored.rows_read,
                counted=stored.counted,
                after_as_of=stored.after_until,
                earliest=span.earliest,
                latest=span.latest,
                unknown_sources=dict(stored.unknown_sources),
            )
    else:
        index = ActivityIndex(until=as_of)
    progress = _Progress(stderr)
    before = index.after_until
    try:
        load = read_all_activity(
            paths,
            index=index,
            known_namespaces=catalog.namespaces,
            namespace_map=namespace_map,
            on_progress=progress,
            jobs=jobs,
        )
    finally:
        progress.close()
    trail_summary, rows = load.cloudtrail, load.rows
    for seen in (index.earliest, index.latest):  # the index keeps both (it has ``until``)
        if seen is not None:
            span.see(seen)
    after = index.after_until - before
    write_activity_summary(stderr, trail_summary, rows, after=after)
    unknown = _unknown_sources(trail_summary, rows)
    if stored is not None:
        for name, n in stored.unknown_sources.items():
            unknown[name] = unknown.get(name, 0) + n
    return index, ActivitySpan(
        records_read=trail_summary.records_read + (stored.records_read if stored else 0),
        rows_read=rows.records_read + (stored.rows_read if stored else 0),
        counted=trail_summary.counted + rows.counted + (stored.counted if stored else 0),
        after_as_of=after + (stored.after_until if stored else 0),
        earliest=span.earliest,
        latest=span.latest,
        unknown_sources=unknown,
    )
