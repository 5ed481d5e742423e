"""The activity store's schema, folding of one file, and SQLite transactions (private)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

import attrs

from .._time import ensure_utc, format_instant
from ..errors import (
    OrgAccessError,
    StoreBusyError,
    StoreError,
)
from ..model.events import ActivityIndex, to_micros
from ._ingest import (
    IngestSummary,
    SkipReason,
)
from .cloudtrail import read_cloudtrail
from .rows import read_aggregated_rows

#: The schema this version of orgaccess reads and writes (``PRAGMA user_version``).
SCHEMA_VERSION: Final = 1
#: ``PRAGMA application_id`` of an orgaccess store: ``"OAST"``.
STORE_APPLICATION_ID: Final = 0x4F415354
#: Seconds a writer waits for another one before :class:`StoreBusyError`.
DEFAULT_BUSY_TIMEOUT: Final = 30.0
#: Environment variable (tests only): seconds to sleep after each committed file.
PAUSE_ENV: Final = "ORGACCESS_TEST_INGEST_PAUSE"

_DAY_MICROS: Final = 86_400_000_000
_KEEP_PROBLEMS: Final = 20
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_ACTIVITY_SUFFIXES: Final = (".json", ".jsonl", ".ndjson", ".csv")

_SCHEMA: Final = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE options (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    spec TEXT NOT NULL
);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cloudtrail', 'rows')),
    options_id INTEGER NOT NULL REFERENCES options(id),
    ingested_at TEXT NOT NULL,
    records_read INTEGER NOT NULL,
    counted INTEGER NOT NULL,
    ignored INTEGER NOT NULL,
    summary TEXT NOT NULL
);
CREATE TABLE contrib (
    file_id INTEGER NOT NULL REFERENCES files(id),
    account TEXT NOT NULL,
    namespace TEXT NOT NULL,
    day INTEGER NOT NULL,
    max_us INTEGER NOT NULL,
    region TEXT NOT NULL,
    min_us INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (file_id, account, namespace, day)
) WITHOUT ROWID;
CREATE INDEX contrib_key ON contrib (account, namespace, day);
CREATE TABLE bucket (
    account TEXT NOT NULL,
    namespace TEXT NOT NULL,
    day INTEGER NOT NULL,
    max_us INTEGER NOT NULL,
    region TEXT NOT NULL,
    min_us INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (account, namespace, day)
) WITHOUT ROWID;
CREATE INDEX bucket_max ON bucket (max_us);
"""


# --------------------------------------------------------------------------- folding


class _Fold:
    """Per (account, namespace, day): [latest micros, its smallest region, earliest, count]."""

    __slots__ = ("after", "cells", "until")

    def __init__(self, until: int | None = None) -> None:
        self.cells: dict[tuple[str, str, int], list[Any]] = {}
        self.until = until
        #: per key, the records after ``until`` (not folded)
        self.after: dict[tuple[str, str, int], int] = {}

    def add(self, account: str, namespace: str, micros: int, region: str) -> None:
        key = (account, namespace, micros // _DAY_MICROS)
        if self.until is not None and micros > self.until:
            self.after[key] = self.after.get(key, 0) + 1
            return
        cell = self.cells.get(key)
        if cell is None:
            self.cells[key] = [micros, region, micros, 1]
            return
        if micros > cell[0] or (micros == cell[0] and region < cell[1]):
            cell[0] = micros
            cell[1] = region
        if micros < cell[2]:
            cell[2] = micros
        cell[3] += 1


class _RowCollector(ActivityIndex):
    """An index that also hands every folded row to a :class:`_Fold`.

    The rows reader folds each row it counts with ``add_last_access``; the
    base class checks the row (an invalid one raises and is counted as
    malformed) and keeps only the latest per pair, the fold keeps the day.
    """

    def __init__(self, fold: _Fold) -> None:
        super().__init__()
        self.fold = fold

    def add_last_access(self, account_id: str, namespace: str, time: datetime, region: str) -> None:
        super().add_last_access(account_id, namespace, time, region)
        self.fold.add(account_id, namespace, to_micros(ensure_utc(time)), region)


@attrs.frozen(kw_only=True)
class _Options:
    namespace_map: Mapping[str, str | None]
    known: frozenset[str]

    def spec(self) -> str:
        return json.dumps(
            {
                "namespace_map": sorted(self.namespace_map.items()),
                "known_namespaces": sorted(self.known),
            },
            separators=(",", ":"),
        )

    def fingerprint(self) -> str:
        return hashlib.sha256(self.spec().encode()).hexdigest()

    @classmethod
    def from_spec(cls, text: str) -> _Options:
        data = json.loads(text)
        return cls(
            namespace_map=MappingProxyType(dict(data["namespace_map"])),
            known=frozenset(data["known_namespaces"]),
        )


def _read_file(path: str, kind: str, options: _Options, fold: _Fold) -> IngestSummary:
    """Fold one file's counted records into ``fold``; its summary."""
    if kind == "rows":
        result = read_aggregated_rows(
            path,
            index=_RowCollector(fold),
            known_namespaces=options.known,
            namespace_map=options.namespace_map,
        )
        return result.summary
    ingest = read_cloudtrail(
        path, known_namespaces=options.known, namespace_map=options.namespace_map
    )
    add = fold.add
    for event in ingest:
        add(event.account_id, event.service_namespace, to_micros(event.time), event.region)
    return ingest.summary


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _summary_json(summary: IngestSummary) -> str:
    return json.dumps(
        {
            "files_ignored": summary.files_ignored,
            "skipped": {str(k): v for k, v in summary.skipped.items() if v},
            "unknown_sources": dict(summary.unknown_sources),
            "problems": [[p.location, p.message] for p in summary.problems[:_KEEP_PROBLEMS]],
            "problems_omitted": summary.problems_omitted
            + max(0, len(summary.problems) - _KEEP_PROBLEMS),
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def _add_summaries(total: IngestSummary, more: IngestSummary) -> IngestSummary:
    skipped = {r: total.skipped[r] + more.skipped[r] for r in SkipReason}
    unknown = dict(total.unknown_sources)
    for name, n in more.unknown_sources.items():
        unknown[name] = unknown.get(name, 0) + n
    return IngestSummary(
        files_read=total.files_read + more.files_read,
        files_ignored=total.files_ignored + more.files_ignored,
        records_read=total.records_read + more.records_read,
        counted=total.counted + more.counted,
        skipped=skipped,
        problems=total.problems + more.problems,
        problems_omitted=total.problems_omitted + more.problems_omitted,
        ignored_files=total.ignored_files + more.ignored_files,
        unknown_sources=unknown,
    )


def _accept_activity_name(name: str) -> bool:
    return name.lower().removesuffix(".gz").endswith(_ACTIVITY_SUFFIXES)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("orgaccess")
    except PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "unknown"


def _now_text() -> str:
    return format_instant(datetime.now(UTC))


def _quote_uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


class _Transaction:
    """BEGIN IMMEDIATE .. COMMIT (ROLLBACK on error); a lock timeout is StoreBusyError."""

    def __init__(self, db: sqlite3.Connection, path: str) -> None:
        self.db = db
        self.path = path

    def __enter__(self) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _translate(exc, self.path) from None

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if kind is None:
            try:
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self.db.execute("ROLLBACK")
                raise _translate(exc, self.path) from None
        elif self.db.in_transaction:
            self.db.execute("ROLLBACK")


def _translate(exc: sqlite3.Error, path: str) -> OrgAccessError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreBusyError(
            f"{path}: the activity store is busy (another orgaccess ingest or prune is "
            "writing it); try again when it has finished"
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path}: the activity store cannot be written ({text})")
    return StoreError(f"{path}: {text}")


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    """The store's ``meta`` value for ``key`` (``None``: not set)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])
