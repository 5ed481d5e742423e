"""Small JSON files read safely: a settings file (the ``serve`` principals, a policy).

Only a regular file is read (a FIFO or ``/dev/zero`` is refused before it is
opened), never more than ``max_bytes`` of it, as UTF-8, with the number and
nesting bounds of the activity readers.
"""

from __future__ import annotations

import os

from ..errors import InputFileError
from ._files import FileReadError, read_regular_file
from ._jsonstream import loads

__all__ = ["read_json_file"]


def read_json_file(path: str | os.PathLike[str], *, max_bytes: int) -> object:
    """The JSON value in ``path``; :class:`~orgaccess.errors.InputFileError` says why not.

    >>> read_json_file("/dev/zero", max_bytes=1024)
    Traceback (most recent call last):
        ...
    orgaccess.errors.InputFileError: /dev/zero: not a regular file...
    """
    text = os.fspath(path)
    try:
        return loads(read_regular_file(text, max_bytes).decode("utf-8"))
    except (FileReadError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        raise InputFileError(f"{text}: {exc}", path=text) from None
