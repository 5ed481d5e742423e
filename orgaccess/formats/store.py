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
import json
import os
import sqlite3
import time
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

from .._time import ensure_utc, format_instant
from ..errors import (
    ActivityHorizonError,
    Problem,
    StoreError,
)
from ..model.events import ActivityIndex, from_micros, to_micros
from ._ingest import (
    DEFAULT_MAX_PROBLEMS,
    IngestSummary,
    SourcePath,
    Tally,
    read_options,
    walk_files,
)
from ._store_parts import (
    _SCHEMA,
    _SQLITE_MAGIC,
    DEFAULT_BUSY_TIMEOUT,
    PAUSE_ENV,
    SCHEMA_VERSION,
    STORE_APPLICATION_ID,
    _accept_activity_name,
    _add_summaries,
    _Fold,
    _now_text,
    _Options,
    _quote_uri,
    _read_file,
    _sha256,
    _summary_json,
    _Transaction,
    _version,
)
from .activity import is_rows_file

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
        text = os.fspath(path)
        if not isinstance(text, str):
            raise StoreError(f"a store path must be text, got {text!r:.80}")
        text = os.path.abspath(text)
        if not os.path.exists(text):
            if not create or readonly:
                raise StoreError(
                    f"{text}: no such activity store (make one with 'orgaccess ingest --store')"
                )
            return cls._create(text, busy_timeout)
        if not os.path.isfile(text):
            raise StoreError(f"{text}: not an activity store (not a regular file)")
        cls._check_header(text)
        uri = "file:" + _quote_uri(text) + ("?mode=ro" if readonly else "?mode=rw")
        try:
            db = sqlite3.connect(
                uri, uri=True, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{text}: cannot open the activity store: {exc}") from None
        try:
            cls._check_identity(text, db)
            db.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                db.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            db.close()
            raise
        return cls(text, db, readonly=readonly)

    @staticmethod
    def _check_header(path: str) -> None:
        try:
            with open(path, "rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if head != _SQLITE_MAGIC:
            what = "an empty file" if not head else "not an SQLite database"
            raise StoreError(
                f"{path}: not an orgaccess activity store ({what}); it is left as it is"
            )

    @staticmethod
    def _check_identity(path: str, db: sqlite3.Connection) -> None:
        try:
            app = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not an orgaccess activity store ({exc})") from None
        if app != STORE_APPLICATION_ID:
            raise StoreError(
                f"{path}: an SQLite database but not an orgaccess activity store "
                f"(application id {app:#x}); it is left as it is"
            )
        if version != SCHEMA_VERSION:
            created_by = "an unknown version"
            try:
                row = db.execute("SELECT value FROM meta WHERE key = 'created_by'").fetchone()
                if row is not None:
                    created_by = f"orgaccess {row[0]}"
            except sqlite3.Error:
                pass
            raise StoreError(
                f"{path}: activity store schema version {version} (made by {created_by}); "
                f"orgaccess {_version()} reads version {SCHEMA_VERSION}: ingest the logs into "
                "a new store; this one is left as it is"
            )

    @classmethod
    def _create(cls, path: str, busy_timeout: float) -> ActivityStore:
        """Build a new store beside ``path``, then link it into place unless one appeared.

        Two processes creating the same store at once: one link wins, the
        other opens the winner's store; neither sees a half-made file.
        """
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            raise StoreError(f"{path}: directory {directory} does not exist")
        tmp = f"{path}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
        try:
            db = sqlite3.connect(tmp, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("BEGIN IMMEDIATE")
                db.execute(f"PRAGMA application_id = {STORE_APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("created_by", _version()), ("created_at", _now_text())],
                )
                db.execute("COMMIT")
            finally:
                db.close()
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
            except OSError:  # no hard links here: a rename, unless the store appeared
                if not os.path.exists(path):
                    os.replace(tmp, path)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot create the activity store: {exc}") from None
        finally:
            for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
                if os.path.exists(leftover):
                    os.unlink(leftover)
        return cls.open(path, busy_timeout=busy_timeout)

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
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _require_writable(self) -> None:
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")

    def _options_id(self, options: _Options) -> int:
        fingerprint = options.fingerprint()
        row = self._db.execute(
            "SELECT id FROM options WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        if row is not None:
            return int(row[0])
        with _Transaction(self._db, self.path):
            self._db.execute(
                "INSERT OR IGNORE INTO options (fingerprint, spec) VALUES (?, ?)",
                (fingerprint, options.spec()),
            )
        row = self._db.execute(
            "SELECT id FROM options WHERE fingerprint = ?", (fingerprint,)
        ).fetchone()
        return int(row[0])

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
        if isinstance(sources, (str, os.PathLike)):
            sources = [sources]
        checked = read_options(
            strict=strict,
            namespace_map=namespace_map,
            known_namespaces=known_namespaces,
            max_problems=DEFAULT_MAX_PROBLEMS,
        )
        options = _Options(namespace_map=checked.namespace_map, known=checked.known_namespaces)
        options_id = self._options_id(options)
        walk = Tally(checked)
        files = list(walk_files(list(sources), _accept_activity_name, walk))
        pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
        empty = IngestSummary()
        totals = {"cloudtrail": empty, "rows": empty}
        new = unchanged = concurrent = 0
        changed: list[FileChange] = []
        problems: list[Problem] = list(walk.problems)
        for path in files:
            path = os.path.abspath(path)
            outcome = self._ingest_file(path, options, options_id, verify, problems, totals)
            if outcome is None:
                continue
            if outcome == "unchanged":
                unchanged += 1
            elif outcome == "concurrent":
                concurrent += 1
            elif outcome == "new":
                new += 1
            else:
                changed.append(FileChange(path=path, reason=outcome))
            if pause > 0 and outcome not in ("unchanged",):
                time.sleep(pause)
        trail = attrs.evolve(
            totals["cloudtrail"],
            files_ignored=totals["cloudtrail"].files_ignored + len(walk.ignored_files),
            ignored_files=tuple(walk.ignored_files) + totals["cloudtrail"].ignored_files,
        )
        return StoreIngest(
            store=self.path,
            files_new=new,
            changed=tuple(changed),
            files_unchanged=unchanged,
            files_concurrent=concurrent,
            cloudtrail=trail,
            rows=totals["rows"],
            problems=tuple(problems),
            seconds=time.monotonic() - started,
        )

    def _ingest_file(
        self,
        path: str,
        options: _Options,
        options_id: int,
        verify: bool,
        problems: list[Problem],
        totals: dict[str, IngestSummary],
    ) -> str | None:
        """Ingest one file; its outcome (new, content, options, unchanged, concurrent) or None."""
        db = self._db
        try:
            info = os.stat(path)
        except OSError as exc:
            problems.append(Problem(location=path, message=f"cannot stat: {exc.strerror or exc}"))
            return None
        row = db.execute(
            "SELECT id, size, mtime_ns, sha256, options_id FROM files WHERE path = ?", (path,)
        ).fetchone()
        same_stat = row is not None and (row[1], row[2]) == (info.st_size, info.st_mtime_ns)
        if same_stat and not verify and row[4] == options_id:
            return "unchanged"
        try:
            digest = _sha256(path)
        except OSError as exc:
            problems.append(Problem(location=path, message=f"cannot read: {exc.strerror or exc}"))
            return None
        if row is not None and row[3] == digest and row[4] == options_id:
            if not same_stat:
                with _Transaction(db, self.path):
                    db.execute(
                        "UPDATE files SET size = ?, mtime_ns = ? WHERE id = ? AND sha256 = ?",
                        (info.st_size, info.st_mtime_ns, row[0], digest),
                    )
            return "unchanged"
        kind = "rows" if is_rows_file(path) else "cloudtrail"
        fold = _Fold()
        summary = _read_file(path, kind, options, fold)
        if summary.files_read == 0 and summary.files_ignored == 0:
            problems.extend(summary.problems)  # not opened: not recorded, tried again next run
            return None
        try:
            after = os.stat(path)
            if (after.st_size, after.st_mtime_ns) != (info.st_size, info.st_mtime_ns) and (
                _sha256(path) != digest
            ):
                problems.append(
                    Problem(
                        location=path,
                        message="changed while it was read; not stored (read next run)",
                    )
                )
                return None
        except OSError as exc:
            problems.append(Problem(location=path, message=f"vanished while read: {exc}"))
            return None
        with _Transaction(db, self.path):
            current = db.execute(
                "SELECT id, sha256, options_id FROM files WHERE path = ?", (path,)
            ).fetchone()
            if current is not None and current[1] == digest and current[2] == options_id:
                return "concurrent"
            if current is not None:
                self._remove_file(int(current[0]))
            outcome = (
                "new"
                if row is None or current is None
                else ("content" if row[3] != digest else "options")
            )
            self._insert_file(path, info, digest, kind, options_id, summary, fold)
        problems.extend(summary.problems)
        totals[kind] = _add_summaries(totals[kind], summary)
        return outcome

    def _insert_file(
        self,
        path: str,
        info: os.stat_result,
        digest: str,
        kind: str,
        options_id: int,
        summary: IngestSummary,
        fold: _Fold,
    ) -> None:
        db = self._db
        cursor = db.execute(
            "INSERT INTO files (path, size, mtime_ns, sha256, kind, options_id, ingested_at, "
            "records_read, counted, ignored, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                path,
                info.st_size,
                info.st_mtime_ns,
                digest,
                kind,
                options_id,
                _now_text(),
                summary.records_read,
                summary.counted,
                1 if summary.files_ignored and not summary.files_read else 0,
                _summary_json(summary),
            ),
        )
        file_id = cursor.lastrowid
        floor = self._meta("pruned_before_us")
        cells = [
            (file_id, a, n, d, c[0], c[1], c[2], c[3])
            for (a, n, d), c in fold.cells.items()
            if floor is None or c[0] >= int(floor)
        ]
        db.executemany("INSERT INTO contrib VALUES (?, ?, ?, ?, ?, ?, ?, ?)", cells)
        db.executemany(
            "INSERT INTO bucket VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (account, namespace, day) DO UPDATE SET "
            "region = CASE WHEN excluded.max_us > max_us THEN excluded.region "
            "WHEN excluded.max_us = max_us THEN min(region, excluded.region) ELSE region END, "
            "max_us = max(max_us, excluded.max_us), "
            "min_us = min(min_us, excluded.min_us), "
            "events = events + excluded.events",
            [cell[1:] for cell in cells],
        )

    def _remove_file(self, file_id: int) -> None:
        """Remove a file's contribution, recomputing the day buckets it touched."""
        db = self._db
        keys = db.execute(
            "SELECT account, namespace, day FROM contrib WHERE file_id = ?", (file_id,)
        ).fetchall()
        db.execute("DELETE FROM contrib WHERE file_id = ?", (file_id,))
        db.execute("DELETE FROM files WHERE id = ?", (file_id,))
        for account, namespace, day in keys:
            rows = db.execute(
                "SELECT max_us, region, min_us, events FROM contrib "
                "WHERE account = ? AND namespace = ? AND day = ?",
                (account, namespace, day),
            ).fetchall()
            db.execute(
                "DELETE FROM bucket WHERE account = ? AND namespace = ? AND day = ?",
                (account, namespace, day),
            )
            if not rows:
                continue
            top = max(r[0] for r in rows)
            db.execute(
                "INSERT INTO bucket VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    account,
                    namespace,
                    day,
                    top,
                    min(r[1] for r in rows if r[0] == top),
                    min(r[2] for r in rows),
                    sum(r[3] for r in rows),
                ),
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
        db = self._db
        moment = None if until is None else to_micros(ensure_utc(until, what="until"))
        index = ActivityIndex(until=until)
        limit = moment if moment is not None else (1 << 62)
        latest_rows = db.execute(
            "SELECT b.account, b.namespace, b.max_us, min(b.region) FROM bucket b JOIN "
            "(SELECT account, namespace, max(max_us) AS top FROM bucket WHERE max_us <= ? "
            "GROUP BY account, namespace) g ON b.account = g.account AND "
            "b.namespace = g.namespace AND b.max_us = g.top GROUP BY b.account, b.namespace",
            (limit,),
        )
        add = index.add_last_access
        for account, namespace, micros, region in latest_rows:
            add(account, namespace, from_micros(micros), region)
        after = 0
        reread: list[str] = []
        if moment is not None:
            after, reread = self._open_buckets(index, moment)
        earliest_row = db.execute(
            "SELECT min(min_us) FROM bucket WHERE min_us <= ?", (limit,)
        ).fetchone()
        earliest = earliest_row[0]
        pruned_earliest = self._meta("pruned_earliest_us")
        if pruned_earliest is not None and int(pruned_earliest) <= limit:
            earliest = min(int(pruned_earliest), earliest if earliest is not None else 1 << 62)
        totals = db.execute(
            "SELECT count(*), "
            "coalesce(sum(CASE WHEN kind = 'cloudtrail' THEN records_read END), 0), "
            "coalesce(sum(CASE WHEN kind = 'rows' THEN records_read END), 0), "
            "coalesce(sum(counted), 0) FROM files"
        ).fetchone()
        unknown: dict[str, int] = {}
        for (text,) in db.execute(
            'SELECT summary FROM files WHERE summary LIKE \'%"unknown_sources":{"%\''
        ):
            for name, n in json.loads(text)["unknown_sources"].items():
                unknown[name] = unknown.get(name, 0) + n
        latest = index.latest_micros
        return StoreLoad(
            index=index,
            until=index.until,
            files=totals[0],
            records_read=totals[1],
            rows_read=totals[2],
            counted=totals[3],
            after_until=after,
            earliest=None if earliest is None else from_micros(earliest),
            latest=None if latest is None else from_micros(latest),
            unknown_sources=MappingProxyType(dict(sorted(unknown.items()))),
            pruned_before=self.pruned_before,
            files_reread=tuple(reread),
        )

    def _open_buckets(self, index: ActivityIndex, moment: int) -> tuple[int, list[str]]:
        """Fold the attempts at or before ``moment`` of the buckets that straddle it.

        Returns the counted records after ``moment`` and the files read again.
        """
        db = self._db
        after_row = db.execute(
            "SELECT coalesce(sum(events), 0) FROM bucket WHERE min_us > ?", (moment,)
        ).fetchone()
        after = int(after_row[0])
        open_keys = db.execute(
            "SELECT account, namespace, day FROM bucket WHERE min_us <= ? AND max_us > ?",
            (moment, moment),
        ).fetchall()
        # file id -> the (account, namespace, day) keys it must answer
        to_read: dict[int, set[tuple[str, str, int]]] = {}
        for account, namespace, day in open_keys:
            for file_id, max_us, region, min_us, events in db.execute(
                "SELECT file_id, max_us, region, min_us, events FROM contrib "
                "WHERE account = ? AND namespace = ? AND day = ?",
                (account, namespace, day),
            ):
                if max_us <= moment:
                    index.add_last_access(account, namespace, from_micros(max_us), region)
                elif min_us > moment:
                    after += events
                else:
                    to_read.setdefault(file_id, set()).add((account, namespace, day))
        reread: list[str] = []
        for file_id, keys in sorted(to_read.items()):
            path, digest, kind, spec = db.execute(
                "SELECT f.path, f.sha256, f.kind, o.spec FROM files f JOIN options o "
                "ON o.id = f.options_id WHERE f.id = ?",
                (file_id,),
            ).fetchone()
            fold = self._reread(path, digest, kind, _Options.from_spec(spec), moment)
            reread.append(path)
            for key in keys:
                cell = fold.cells.get(key)
                if cell is not None:
                    index.add_last_access(key[0], key[1], from_micros(cell[0]), cell[1])
                after += fold.after.get(key, 0)
        return after, reread

    def _reread(self, path: str, digest: str, kind: str, options: _Options, moment: int) -> _Fold:
        why = ""
        try:
            if _sha256(path) != digest:
                why = "it has changed since it was ingested (run orgaccess ingest again)"
        except OSError as exc:
            why = f"it cannot be read ({exc.strerror or exc})"
        if why:
            raise ActivityHorizonError(
                f"a report at {format_instant(from_micros(moment))} falls inside the span of "
                f"{path}, which must be read again to be exact, but {why}"
            )
        fold = _Fold(until=moment)
        _read_file(path, kind, options, fold)
        return fold

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
            for r in self._db.execute(
                "SELECT path, size, mtime_ns, sha256, kind, ingested_at, records_read, counted "
                "FROM files ORDER BY path"
            )
        )

    def info(self) -> StoreInfo:
        """Files, records, date range, size on disk, accounts and services."""
        db = self._db
        files = db.execute(
            "SELECT count(*), coalesce(sum(kind = 'cloudtrail'), 0), "
            "coalesce(sum(kind = 'rows'), 0), coalesce(sum(records_read), 0), "
            "coalesce(sum(counted), 0) FROM files"
        ).fetchone()
        buckets, low, high = db.execute(
            "SELECT count(*), min(min_us), max(max_us) FROM bucket"
        ).fetchone()
        accounts = tuple(r[0] for r in db.execute("SELECT DISTINCT account FROM bucket ORDER BY 1"))
        services = tuple(
            r[0] for r in db.execute("SELECT DISTINCT namespace FROM bucket ORDER BY 1")
        )
        size = sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
        return StoreInfo(
            path=self.path,
            schema_version=SCHEMA_VERSION,
            created_by=self._meta("created_by") or "?",
            files=files[0],
            files_cloudtrail=files[1],
            files_rows=files[2],
            records_read=files[3],
            counted=files[4],
            buckets=buckets,
            earliest=None if low is None else from_micros(low),
            latest=None if high is None else from_micros(high),
            size_bytes=size,
            accounts=accounts,
            services=services,
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
        db = self._db
        with _Transaction(db, self.path):
            earlier = self._meta("pruned_before_us")
            floor = moment if earlier is None else max(moment, int(earlier))
            low = db.execute("SELECT min(min_us) FROM bucket WHERE max_us < ?", (floor,)).fetchone()
            contributions = db.execute("DELETE FROM contrib WHERE max_us < ?", (floor,)).rowcount
            buckets = db.execute("DELETE FROM bucket WHERE max_us < ?", (floor,)).rowcount
            known = self._meta("pruned_earliest_us")
            if low[0] is not None:
                earliest = low[0] if known is None else min(low[0], int(known))
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('pruned_earliest_us', ?)",
                    (str(earliest),),
                )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('pruned_before_us', ?)", (str(floor),))
        if buckets:
            db.execute("VACUUM")
        return StorePrune(
            before=from_micros(floor),
            buckets_dropped=buckets,
            contributions_dropped=contributions,
        )
