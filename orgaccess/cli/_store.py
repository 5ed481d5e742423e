"""The command line's use of an activity store: ``--store``, opening, loading, errors.

Every command that reads activity (``report``, ``unused``, ``impact``,
``serve``) takes ``--store ACTIVITY.db`` in place of, or with, ``--events``;
this module opens the store read-only, refuses a report whose tracking
period reaches before a prune, and turns SQLite's own errors into one
``orgaccess:`` line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

from .._time import format_instant
from ..errors import StoreError
from ..formats.store import ActivityStore, StoreLoad
from ._args import CliError, UsageError

__all__ = ["add_store", "check_sources", "load_store", "open_store", "store_errors"]


def add_store(p: argparse.ArgumentParser, *, help: str | None = None) -> None:
    """The ``--store`` option."""
    p.add_argument(
        "--store",
        metavar="ACTIVITY.db",
        help=help or "an activity store made by 'orgaccess ingest', in place of or with --events",
    )


def check_sources(args: argparse.Namespace) -> None:
    """At least one of ``--events`` and ``--store``; a named store must exist."""
    store = getattr(args, "store", None)
    if not args.events and store is None:
        raise UsageError("give --events PATH..., --store ACTIVITY.db, or both")
    if store is not None and not os.path.exists(store):
        raise CliError(
            f"--store {store}: no such activity store (make one with 'orgaccess ingest "
            f"--store {store} --events ...')"
        )


@contextlib.contextmanager
def store_errors(path: str) -> Iterator[None]:
    """SQLite errors (a corrupt file, a full disk) as one line naming the store."""
    try:
        yield
    except sqlite3.Error as exc:
        raise CliError(f"--store {path}: {exc}") from None


@contextlib.contextmanager
def open_store(
    path: str, *, create: bool = False, readonly: bool = True
) -> Iterator[ActivityStore]:
    """The store at ``path``, closed at the end; every error a :class:`CliError` or StoreError."""
    with store_errors(path):
        store = ActivityStore.open(path, create=create, readonly=readonly)
        try:
            yield store
        finally:
            store.close()


def load_store(
    path: str, *, as_of: datetime | None, window_start: datetime | None, stderr: TextIO
) -> StoreLoad:
    """The store's index for a report at ``as_of``, with one ``activity:`` line on stderr."""
    with open_store(path) as store:
        if window_start is not None:
            try:
                store.check_window(window_start)
            except StoreError as exc:
                raise CliError(str(exc)) from None
        load = store.load(as_of)
    stderr.write(
        f"activity: store {path}: {load.files} files, {load.records_read} CloudTrail records "
        f"and {load.rows_read} aggregated rows read, {load.counted} counted"
        + (f"; {load.after_until} after --as-of left out" if load.after_until else "")
        + (f"; {len(load.files_reread)} files read again" if load.files_reread else "")
        + (
            f"; pruned before {format_instant(load.pruned_before)}"
            if load.pruned_before is not None
            else ""
        )
        + "\n"
    )
    return load
