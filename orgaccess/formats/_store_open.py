"""Opening, creating and checking an activity store's SQLite file (private).

:meth:`~orgaccess.formats.store.ActivityStore.open` is built from these: a
file that is not a store, or a store of another schema version, is a
:class:`~orgaccess.errors.StoreError` and is never written.
"""

from __future__ import annotations

import os
import sqlite3

from ..errors import StoreError
from ._ingest import SourcePath
from ._store_parts import (
    _SCHEMA,
    _SQLITE_MAGIC,
    SCHEMA_VERSION,
    STORE_APPLICATION_ID,
    _now_text,
    _quote_uri,
    _version,
)

__all__ = ["check_header", "check_identity", "connect", "create", "store_path"]


def store_path(path: SourcePath) -> str:
    """``path`` as absolute text; a path that is not text is a :class:`StoreError`."""
    text = os.fspath(path)
    if not isinstance(text, str):
        raise StoreError(f"a store path must be text, got {text!r:.80}")
    return os.path.abspath(text)


def connect(path: str, *, readonly: bool, busy_timeout: float) -> sqlite3.Connection:
    """A connection to the existing store at absolute ``path``, checked to be one."""
    check_header(path)
    uri = "file:" + _quote_uri(path) + ("?mode=ro" if readonly else "?mode=rw")
    try:
        db = sqlite3.connect(
            uri, uri=True, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the activity store: {exc}") from None
    try:
        check_identity(path, db)
        db.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            db.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        db.close()
        raise
    return db


def check_header(path: str) -> None:
    """Raise :class:`StoreError` unless ``path`` starts as an SQLite database does."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if head != _SQLITE_MAGIC:
        what = "an empty file" if not head else "not an SQLite database"
        raise StoreError(f"{path}: not an orgaccess activity store ({what}); it is left as it is")


def check_identity(path: str, db: sqlite3.Connection) -> None:
    """Raise :class:`StoreError` unless ``db`` is an orgaccess store of this schema version."""
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


def create(path: str) -> None:
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
