"""Loading an activity index from a store for a creation time (private).

:meth:`~orgaccess.formats.store.ActivityStore.load` is built from these; the
module documentation of :mod:`orgaccess.formats.store` says why the index is
exact: only the day buckets that straddle the creation time are opened, and
only the files with attempts on both sides of it are read again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

from .._time import ensure_utc, format_instant
from ..errors import ActivityHorizonError
from ..model.events import ActivityIndex, from_micros, to_micros
from ._store_parts import _Fold, _meta, _Options, _read_file, _sha256

__all__ = ["Loaded", "load"]


@attrs.frozen(kw_only=True)
class Loaded:
    """An index and its counts, before they become a :class:`~orgaccess.formats.store.StoreLoad`."""

    index: ActivityIndex
    files: int
    records_read: int
    rows_read: int
    counted: int
    after_until: int
    earliest: datetime | None
    latest: datetime | None
    unknown_sources: Mapping[str, int]
    files_reread: tuple[str, ...]


def load(db: sqlite3.Connection, until: datetime | None) -> Loaded:
    """The latest attempts at or before ``until`` in the store ``db``, with their counts."""
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
        after, reread = _open_buckets(db, index, moment)
    earliest_row = db.execute(
        "SELECT min(min_us) FROM bucket WHERE min_us <= ?", (limit,)
    ).fetchone()
    earliest = earliest_row[0]
    pruned_earliest = _meta(db, "pruned_earliest_us")
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
    return Loaded(
        index=index,
        files=totals[0],
        records_read=totals[1],
        rows_read=totals[2],
        counted=totals[3],
        after_until=after,
        earliest=None if earliest is None else from_micros(earliest),
        latest=None if latest is None else from_micros(latest),
        unknown_sources=MappingProxyType(dict(sorted(unknown.items()))),
        files_reread=tuple(reread),
    )


def _open_buckets(
    db: sqlite3.Connection, index: ActivityIndex, moment: int
) -> tuple[int, list[str]]:
    """Fold the attempts at or before ``moment`` of the buckets that straddle it.

    Returns the counted records after ``moment`` and the files read again.
    """
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
        fold = _reread(path, digest, kind, _Options.from_spec(spec), moment)
        reread.append(path)
        for key in keys:
            cell = fold.cells.get(key)
            if cell is not None:
                index.add_last_access(key[0], key[1], from_micros(cell[0]), cell[1])
            after += fold.after.get(key, 0)
    return after, reread


def _reread(path: str, digest: str, kind: str, options: _Options, moment: int) -> _Fold:
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
