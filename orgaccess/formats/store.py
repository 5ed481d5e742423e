"""An activity store: each log file read once into SQLite, reports from it every day.

:class:`ActivityStore` keeps, in one SQLite file (the standard library's
:mod:`sqlite3`, no server), what the activity readers found in every file
ingested, so that a daily run reads only the files that are new or changed.

What is kept
------------
``files``
    one row per file read: its absolute path, size, modification time,
    SHA-256 of its bytes, kind (CloudTrail or aggregated rows), the reading
    options (catalog namespaces, namespace map) and its ingest summary.
``contrib``
    per (file, account, namespace, UTC day): the latest attempt (time and
    the smallest region among attempts at that time), the earliest attempt
    and the number of counted records. A CloudTrail file spans minutes, so a
    file has one row per (account, service) it holds, whatever its record
    count. These rows let a changed file's old contribution be removed.
``bucket``
    per (account, namespace, UTC day): the same, over every file. Reports
    read this table; it grows with accounts x services x days, not with
    records or files.

What is guaranteed
------------------
For every creation time ``T``, :meth:`ActivityStore.index` with ``until=T``
holds, per (account, namespace), exactly the latest counted attempt at or
before ``T`` and its region (the smallest among attempts at that time): the
entry ``ActivityIndex(until=T)`` gets from reading every recorded file. So
every report created at ``T`` (any tracking period) is the report reading
every file gives. The argument: a day bucket whose latest attempt is at or
before ``T`` contributes its latest attempt; one whose earliest attempt is
after ``T`` contributes nothing; only a bucket with attempts on both sides
of ``T`` (at most one per pair: the bucket of ``T``'s day) is open, and
there the same holds per file; a file with attempts on both sides of ``T``
is read again (after checking its SHA-256) for the pairs concerned. When
``T`` is at or after every stored attempt (the daily report) no file is
read. A file that must be read again but is gone or changed raises
:class:`~orgaccess.errors.ActivityHorizonError` naming it.

After :meth:`ActivityStore.prune` with ``before=D``, attempts before ``D``
are gone: reports whose tracking period starts at or after ``D`` stay exact
(:meth:`ActivityStore.check_window` says whether one does).

Safety
------
Each file is one transaction: a process killed at any point leaves the
store as it was before the file it was writing. Files are read and folded
outside any transaction; the write re-checks the file's row, so two ingests
at once neither corrupt nor double-count. A lock held longer than the busy
timeout is :class:`~orgaccess.errors.StoreBusyError`. A file that is not a
store, or a store of another schema version, is
:class:`~orgaccess.errors.StoreError` and is never written.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

import attrs

from .._time import ensure_utc, format_instant
from ..errors import Problem, StoreError
from ..model.events import ActivityIndex, from_micros, to_micros
from . import _store_ingest, _store_inspect, _store_load, _store_open
from ._ingest import IngestSummary, SourcePath
from ._store_parts import (
    DEFAULT_BUSY_TIMEOUT,
    SCHEMA_VERSION,
    STORE_APPLICATION_ID,
    _meta,
)
from ._store_parts import (
    PAUSE_ENV as PAUSE_ENV,  # bound here for the tests that pause an ingest
)

__all__ = [
    "SCHEMA_VERSION",
    "STORE_APPLICATION_ID",
    "ActivityStore",
    "FileChange",
    "StoreIngest",
    "StoreInfo",
    "StoreLoad",
    "StorePrune",
    "StoredFile",
]


# --------------------------------------------------------------------------- results


@attrs.frozen(kw_only=True)
class StoredFile:
    """One file the store has read, as recorded."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    kind: str
    ingested_at: str
    records_read: int
    counted: int


@attrs.frozen(kw_only=True)
class FileChange:
    """A file read again because it changed since it was ingested, and why."""

    path: str
    #: ``"content"`` (other bytes at the same path) or ``"options"`` (same bytes, other
    #: catalog or namespace map)
    reason: str


@attrs.frozen(kw_only=True)
class StoreIngest:
    """What one :meth:`ActivityStore.ingest` run did.

    ``files_new`` + ``len(changed)`` files were read and committed;
    ``files_unchanged`` were skipped (same size and modification time, or
    same SHA-256); ``files_concurrent`` were committed by another ingest
    while this one read them. ``cloudtrail`` and ``rows`` sum the summaries
    of the files read in this run.
    """

    store: str
    files_new: int
    changed: tuple[FileChange, ...]
    files_unchanged: int
    files_concurrent: int
    cloudtrail: IngestSummary
    rows: IngestSummary
    problems: tuple[Problem, ...]
    seconds: float

    @property
    def files_read(self) -> int:
        """Files read and committed in this run."""
        return self.files_new + len(self.changed)


@attrs.frozen(kw_only=True)
class StoreLoad:
    """An index materialised from the store for creation time ``until``, and what it rests on.

    ``earliest`` / ``latest`` are the earliest and latest counted attempt at
    or before ``until``; ``after_until`` the counted records after it;
    ``files_reread`` the files read again to answer a creation time inside
    their span.
    """

    index: ActivityIndex
    until: datetime | None
    files: int
    records_read: int
    rows_read: int
    counted: int
    after_until: int
    earliest: datetime | None
    latest: datetime | None
    unknown_sources: Mapping[str, int]
    pruned_before: datetime | None
    files_reread: tuple[str, ...]


@attrs.frozen(kw_only=True)
class StoreInfo:
    """What a store holds (``orgaccess store info``)."""

    path: str
    schema_version: int
    created_by: str
    files: int
    files_cloudtrail: int
    files_rows: int
    records_read: int
    counted: int
    buckets: int
    earliest: datetime | None
    latest: datetime | None
    size_bytes: int
    accounts: tuple[str, ...]
    services: tuple[str, ...]
    pruned_before: datetime | None


@attrs.frozen(kw_only=True)
class StorePrune:
    """What :meth:`ActivityStore.prune` dropped."""

    before: datetime
    buckets_dropped: int
    contributions_dropped: int


# --------------------------------------------------------------------------- the store


class ActivityStore:
    """An SQLite activity store; see the module documentation.

    Open one with :meth:`open` (``create=True`` makes a new store when the
    path does not exist; an existing file is never re-created). Use it as a
    context manager, or :meth:`close` it. One object is for one thread.
    """

    def __init__(self, path: str, connection: sqlite3.Connection, *, readonly: bool) -> None:
        self.path = path
        self.readonly = readonly
        self._db = connection

    # -- opening --------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: SourcePath,
        *,
        create: bool = False,
        readonly: bool = False,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> ActivityStore:
        """Open the store at ``path``; with ``create=True`` make it when the path does not exist."""
        text = _store_open.store_path(path)
        if not os.path.exists(text):
            if not create or readonly:
                raise StoreError(
                    f"{text}: no such activity store (make one with 'orgaccess ingest --store')"
                )
            _store_open.create(text)
            return cls.open(text, busy_timeout=busy_timeout)
        if not os.path.isfile(text):
            raise StoreError(f"{text}: not an activity store (not a regular file)")
        db = _store_open.connect(text, readonly=readonly, busy_timeout=busy_timeout)
        return cls(text, db, readonly=readonly)

    def close(self) -> None:
        """Close the connection (the store stays on disk)."""
        if not self.readonly:
            # fold the write-ahead log back into the file when no one else reads it
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()

    def __enter__(self) -> ActivityStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ActivityStore {self.path!r}>"

    # -- helpers --------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        return _meta(self._db, key)

    def _require_writable(self) -> None:
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")

    @property
    def pruned_before(self) -> datetime | None:
        """Attempts before this time were dropped by :meth:`prune` (``None``: never pruned)."""
        value = self._meta("pruned_before_us")
        return None if value is None else from_micros(int(value))

    # -- ingest ---------------------------------------------------------------------

    def ingest(
        self,
        sources: SourcePath | Iterable[SourcePath],
        *,
        known_namespaces: Collection[str] | None = None,
        namespace_map: Mapping[str, str | None] | None = None,
        verify: bool = False,
        strict: bool = False,
    ) -> StoreIngest:
        """Read every new or changed file of ``sources`` into the store, one transaction each.

        Directories are searched as :func:`~orgaccess.formats.activity.read_activity`
        searches them; each file is CloudTrail or aggregated rows by content.
        A file whose size and modification time are as recorded is skipped
        without being read (``verify=True``: only when its SHA-256 is too).
        A recorded file with other content, or read with other options, is
        read again and its earlier contribution replaced.
        """
        self._require_writable()
        started = time.monotonic()
        run = _store_ingest.ingest(
            self._db,
            self.path,
            sources,
            known_namespaces=known_namespaces,
            namespace_map=namespace_map,
            verify=verify,
            strict=strict,
        )
        return StoreIngest(
            store=self.path,
            files_new=run.files_new,
            changed=tuple(FileChange(path=path, reason=why) for path, why in run.changed),
            files_unchanged=run.files_unchanged,
            files_concurrent=run.files_concurrent,
            cloudtrail=run.cloudtrail,
            rows=run.rows,
            problems=run.problems,
            seconds=time.monotonic() - started,
        )

    # -- reading --------------------------------------------------------------------

    def index(self, until: datetime | None = None) -> ActivityIndex:
        """An :class:`ActivityIndex` of the latest attempts at or before ``until``.

        Exact for reports created at ``until`` (see the module documentation);
        ``until=None``: every stored attempt, exact for reports created at or
        after the latest one.
        """
        return self.load(until).index

    def load(self, until: datetime | None = None) -> StoreLoad:
        """:meth:`index`, with the counts a report's coverage needs."""
        loaded = _store_load.load(self._db, until)
        return StoreLoad(
            index=loaded.index,
            until=loaded.index.until,
            files=loaded.files,
            records_read=loaded.records_read,
            rows_read=loaded.rows_read,
            counted=loaded.counted,
            after_until=loaded.after_until,
            earliest=loaded.earliest,
            latest=loaded.latest,
            unknown_sources=loaded.unknown_sources,
            pruned_before=self.pruned_before,
            files_reread=loaded.files_reread,
        )

    def check_window(self, start: datetime) -> None:
        """Raise :class:`StoreError` when attempts from ``start`` on may have been pruned."""
        pruned = self.pruned_before
        if pruned is not None and ensure_utc(start, what="start") < pruned:
            raise StoreError(
                f"{self.path}: attempts before {format_instant(pruned)} were pruned, but the "
                f"tracking period starts at {format_instant(ensure_utc(start))}: use a later "
                "creation time or fewer tracking days"
            )

    # -- housekeeping ---------------------------------------------------------------

    def files(self) -> tuple[StoredFile, ...]:
        """Every recorded file, by path."""
        return tuple(
            StoredFile(
                path=r[0],
                size=r[1],
                mtime_ns=r[2],
                sha256=r[3],
                kind=r[4],
                ingested_at=r[5],
                records_read=r[6],
                counted=r[7],
            )
            for r in _store_inspect.file_rows(self._db)
        )

    def info(self) -> StoreInfo:
        """Files, records, date range, size on disk, accounts and services."""
        held = _store_inspect.counts(self._db, self.path)
        return StoreInfo(
            path=self.path,
            schema_version=SCHEMA_VERSION,
            created_by=self._meta("created_by") or "?",
            files=held.files,
            files_cloudtrail=held.files_cloudtrail,
            files_rows=held.files_rows,
            records_read=held.records_read,
            counted=held.counted,
            buckets=held.buckets,
            earliest=held.earliest,
            latest=held.latest,
            size_bytes=held.size_bytes,
            accounts=held.accounts,
            services=held.services,
            pruned_before=self.pruned_before,
        )

    def prune(self, before: datetime) -> StorePrune:
        """Drop the day buckets whose every attempt is before ``before``.

        Files stay recorded (a rerun does not read them again); a file read
        later adds nothing before ``before``. Reports whose tracking period
        starts at or after ``before`` are unchanged.
        """
        self._require_writable()
        moment = to_micros(ensure_utc(before, what="before"))
        pruned = _store_inspect.prune(self._db, self.path, moment)
        return StorePrune(
            before=from_micros(pruned.floor),
            buckets_dropped=pruned.buckets_dropped,
            contributions_dropped=pruned.contributions_dropped,
        )
