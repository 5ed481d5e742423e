"""Reading a whole (small) file safely and writing one atomically.

:func:`read_regular_file` reads only regular files, checked before opening
(a FIFO would block in ``open``, ``/dev/zero`` never ends) and again on the
open descriptor, and never more than ``max_bytes``. :func:`write_atomic`
writes to a temporary file in the target's directory and renames it over the
target, so a failure at any point leaves the old file as it was.
"""

from __future__ import annotations

import os
import stat
import tempfile
from typing import Final

__all__ = ["FileReadError", "read_regular_file", "write_atomic"]

_BLOCK: Final = 1 << 16


class FileReadError(Exception):
    """A file that is not read: missing, not a regular file, too large or unreadable."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular_file(path: str, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``; :class:`FileReadError` says why not."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileReadError("no such file") from None
    except OSError as exc:
        raise FileReadError(f"cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileReadError(f"not a regular file: {_kind(info.st_mode)}")
    if info.st_size > max_bytes:
        raise FileReadError(f"{info.st_size:,} bytes: larger than the limit of {max_bytes:,}")
    try:
        # O_NONBLOCK: should the path have become a FIFO since the check, open must not wait.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FileReadError(f"cannot be read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileReadError("not a regular file")
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise FileReadError(f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise FileReadError(f"larger than the limit of {max_bytes:,} bytes")
    return data


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed over it.

    The new file has mode 0644. ``OSError`` passes through; the target is
    then untouched and the temporary file removed.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".orgaccess-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
