"""Inspecting and pruning an activity store (private).

:meth:`~orgaccess.formats.store.ActivityStore.files`,
:meth:`~orgaccess.formats.store.ActivityStore.info` and
:meth:`~orgaccess.formats.store.ActivityStore.prune` are built from these.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs

from ..model.events import from_micros
from ._store_parts import _meta, _Transaction

__all__ = ["Counts", "Pruned", "counts", "file_rows", "prune"]


@attrs.frozen(kw_only=True)
class Counts:
    """What a store holds, before it becomes a :class:`~orgaccess.formats.store.StoreInfo`."""

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


@attrs.frozen(kw_only=True)
class Pruned:
    """What a prune dropped, before it becomes a :class:`~orgaccess.formats.store.StorePrune`."""

    floor: int
    buckets_dropped: int
    contributions_dropped: int


def file_rows(db: sqlite3.Connection) -> Iterator[Any]:
    """Every recorded file's row, by path: the fields of a ``StoredFile`` in order."""
    return iter(
        db.execute(
            "SELECT path, size, mtime_ns, sha256, kind, ingested_at, records_read, counted "
            "FROM files ORDER BY path"
        )
    )


def counts(db: sqlite3.Connection, store: str) -> Counts:
    """Files, records, date range, size on disk, accounts and services of the store ``db``."""
    files = db.execute(
        "SELECT count(*), coalesce(sum(kind = 'cloudtrail'), 0), "
        "coalesce(sum(kind = 'rows'), 0), coalesce(sum(records_read), 0), "
        "coalesce(sum(counted), 0) FROM files"
    ).fetchone()
    buckets, low, high = db.execute(
        "SELECT count(*), min(min_us), max(max_us) FROM bucket"
    ).fetchone()
    accounts = tuple(r[0] for r in db.execute("SELECT DISTINCT account FROM bucket ORDER BY 1"))
    services = tuple(r[0] for r in db.execute("SELECT DISTINCT namespace FROM bucket ORDER BY 1"))
    size = sum(os.path.getsize(p) for p in (store, store + "-wal") if os.path.exists(p))
    return Counts(
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
    )


def prune(db: sqlite3.Connection, store: str, moment: int) -> Pruned:
    """Drop the day buckets of ``db`` (at ``store``) whose every attempt is before ``moment``."""
    with _Transaction(db, store):
        earlier = _meta(db, "pruned_before_us")
        floor = moment if earlier is None else max(moment, int(earlier))
        low = db.execute("SELECT min(min_us) FROM bucket WHERE max_us < ?", (floor,)).fetchone()
        contributions = db.execute("DELETE FROM contrib WHERE max_us < ?", (floor,)).rowcount
        buckets = db.execute("DELETE FROM bucket WHERE max_us < ?", (floor,)).rowcount
        known = _meta(db, "pruned_earliest_us")
        if low[0] is not None:
            earliest = low[0] if known is None else min(low[0], int(known))
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('pruned_earliest_us', ?)",
                (str(earliest),),
            )
        db.execute("INSERT OR REPLACE INTO meta VALUES ('pruned_before_us', ?)", (str(floor),))
    if buckets:
        db.execute("VACUUM")
    return Pruned(floor=floor, buckets_dropped=buckets, contributions_dropped=contributions)
