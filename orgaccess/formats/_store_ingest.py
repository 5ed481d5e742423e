"""Ingesting files into an activity store, one transaction each (private).

:meth:`~orgaccess.formats.store.ActivityStore.ingest` is built from these.
Files are read and folded outside any transaction; the write re-checks the
file's row, so two ingests at once neither corrupt nor double-count.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Collection, Iterable, Mapping

import attrs

from ..errors import Problem
from ._ingest import (
    DEFAULT_MAX_PROBLEMS,
    IngestSummary,
    SourcePath,
    Tally,
    read_options,
    walk_files,
)
from ._store_parts import (
    PAUSE_ENV,
    _accept_activity_name,
    _add_summaries,
    _Fold,
    _meta,
    _now_text,
    _Options,
    _read_file,
    _sha256,
    _summary_json,
    _Transaction,
)
from .activity import is_rows_file

__all__ = ["IngestRun", "ingest"]


@attrs.frozen(kw_only=True)
class IngestRun:
    """What one ingest did, before it becomes a :class:`~orgaccess.formats.store.StoreIngest`."""

    files_new: int
    #: (path, reason) of each file read again, in the order read
    changed: tuple[tuple[str, str], ...]
    files_unchanged: int
    files_concurrent: int
    cloudtrail: IngestSummary
    rows: IngestSummary
    problems: tuple[Problem, ...]


def ingest(
    db: sqlite3.Connection,
    store: str,
    sources: SourcePath | Iterable[SourcePath],
    *,
    known_namespaces: Collection[str] | None,
    namespace_map: Mapping[str, str | None] | None,
    verify: bool,
    strict: bool,
) -> IngestRun:
    """Read every new or changed file of ``sources`` into the store ``db`` (at ``store``)."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    checked = read_options(
        strict=strict,
        namespace_map=namespace_map,
        known_namespaces=known_namespaces,
        max_problems=DEFAULT_MAX_PROBLEMS,
    )
    options = _Options(namespace_map=checked.namespace_map, known=checked.known_namespaces)
    options_id = _options_id(db, store, options)
    walk = Tally(checked)
    files = list(walk_files(list(sources), _accept_activity_name, walk))
    pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
    empty = IngestSummary()
    totals = {"cloudtrail": empty, "rows": empty}
    new = unchanged = concurrent = 0
    changed: list[tuple[str, str]] = []
    problems: list[Problem] = list(walk.problems)
    for path in files:
        path = os.path.abspath(path)
        outcome = _ingest_file(db, store, path, options, options_id, verify, problems, totals)
        if outcome is None:
            continue
        if outcome == "unchanged":
            unchanged += 1
        elif outcome == "concurrent":
            concurrent += 1
        elif outcome == "new":
            new += 1
        else:
            changed.append((path, outcome))
        if pause > 0 and outcome not in ("unchanged",):
            time.sleep(pause)
    trail = attrs.evolve(
        totals["cloudtrail"],
        files_ignored=totals["cloudtrail"].files_ignored + len(walk.ignored_files),
        ignored_files=tuple(walk.ignored_files) + totals["cloudtrail"].ignored_files,
    )
    return IngestRun(
        files_new=new,
        changed=tuple(changed),
        files_unchanged=unchanged,
        files_concurrent=concurrent,
        cloudtrail=trail,
        rows=totals["rows"],
        problems=tuple(problems),
    )


def _options_id(db: sqlite3.Connection, store: str, options: _Options) -> int:
    fingerprint = options.fingerprint()
    row = db.execute("SELECT id FROM options WHERE fingerprint = ?", (fingerprint,)).fetchone()
    if row is not None:
        return int(row[0])
    with _Transaction(db, store):
        db.execute(
            "INSERT OR IGNORE INTO options (fingerprint, spec) VALUES (?, ?)",
            (fingerprint, options.spec()),
        )
    row = db.execute("SELECT id FROM options WHERE fingerprint = ?", (fingerprint,)).fetchone()
    return int(row[0])


def _ingest_file(
    db: sqlite3.Connection,
    store: str,
    path: str,
    options: _Options,
    options_id: int,
    verify: bool,
    problems: list[Problem],
    totals: dict[str, IngestSummary],
) -> str | None:
    """Ingest one file; its outcome (new, content, options, unchanged, concurrent) or None."""
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
            with _Transaction(db, store):
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
    with _Transaction(db, store):
        current = db.execute(
            "SELECT id, sha256, options_id FROM files WHERE path = ?", (path,)
        ).fetchone()
        if current is not None and current[1] == digest and current[2] == options_id:
            return "concurrent"
        if current is not None:
            _remove_file(db, int(current[0]))
        outcome = (
            "new"
            if row is None or current is None
            else ("content" if row[3] != digest else "options")
        )
        _insert_file(db, path, info, digest, kind, options_id, summary, fold)
    problems.extend(summary.problems)
    totals[kind] = _add_summaries(totals[kind], summary)
    return outcome


def _insert_file(
    db: sqlite3.Connection,
    path: str,
    info: os.stat_result,
    digest: str,
    kind: str,
    options_id: int,
    summary: IngestSummary,
    fold: _Fold,
) -> None:
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
    floor = _meta(db, "pruned_before_us")
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


def _remove_file(db: sqlite3.Connection, file_id: int) -> None:
    """Remove a file's contribution, recomputing the day buckets it touched."""
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
