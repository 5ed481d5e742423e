"""One entry point for activity input: CloudTrail logs and aggregated rows, mixed.

:func:`read_activity` tells the two kinds apart by content (:func:`is_rows_file`)
and folds everything into one :class:`~orgaccess.model.events.ActivityIndex`:

* directories are searched recursively in name order for files named
  ``*.json``, ``*.jsonl``, ``*.ndjson`` or ``*.csv`` (each optionally
  ``.gz``); other entries are ignored files; a file named explicitly is read
  whatever its name; a file reached twice is read once;
* each file is CloudTrail (delivered ``{"Records": [...]}`` logs,
  ``lookup-events`` output, or newline-delimited records, one per line, plain
  or gzipped), read by :func:`~orgaccess.formats.cloudtrail.read_cloudtrail`,
  or aggregated rows (CSV or JSON lines), read by
  :func:`~orgaccess.formats.rows.read_aggregated_rows`.

Pass ``index=ActivityIndex(until=..., keep_history=...)`` to choose how the
index keeps attempts (or to add to an existing one). ``on_progress`` reports
the CloudTrail part only; rows are read in one quick pass after it. With
``strict=True`` the first malformed record, row or unreadable file raises
:class:`~orgaccess.errors.IngestError`; what was folded before stays in the
index.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Final

import attrs

from ..errors import IngestError, Problem
from ..model.events import ActivityIndex
from ._ingest import (
    DEFAULT_MAX_PROBLEMS,
    IngestSummary,
    ProgressCallback,
    ReadError,
    SourcePath,
    Tally,
    byte_chunks,
    read_options,
    walk_files,
)
from .cloudtrail import read_cloudtrail
from .rows import ROW_SUFFIXES, read_aggregated_rows

__all__ = ["ActivityLoad", "is_rows_file", "read_activity"]


@attrs.frozen(kw_only=True)
class ActivityLoad:
    """The filled index and what each reader did.

    ``after_until`` counts events and rows the index dropped as later than
    its ``until`` during this load.
    """

    index: ActivityIndex
    cloudtrail: IngestSummary
    rows: IngestSummary
    after_until: int

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem kept, CloudTrail first."""
        return self.cloudtrail.problems + self.rows.problems


_SNIFF_BYTES: Final = 1 << 16
_CLOUDTRAIL_KEYS: Final = frozenset(
    {
        "Records",
        "Events",
        "logFiles",
        "digestStartTime",
        "eventVersion",
        "eventSource",
        "eventTime",
        "eventName",
        "userIdentity",
    }
)
_ACTIVITY_SUFFIXES: Final = (".json", ".jsonl", ".ndjson", ".csv")


def _head(path: str) -> str:
    """The first characters of a file's content (gunzipped), blank space and BOM stripped."""
    try:
        with open(path, "rb") as fh:
            data = b""
            for chunk in byte_chunks(fh):
                data += chunk
                if len(data) >= _SNIFF_BYTES:
                    break
    except (OSError, ReadError):
        return ""
    return data[:_SNIFF_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")


def is_rows_file(path: SourcePath) -> bool:
    """Whether ``path`` holds aggregated rows rather than CloudTrail, judged by content.

    JSON whose first object is a CloudTrail log, ``lookup-events`` output, a
    digest or a record (it has ``eventSource``, ``eventTime``, ``userIdentity``
    ...) is CloudTrail, whatever the file is named: one record per line is
    newline-delimited CloudTrail. Other JSON lines and CSV are aggregated
    rows. An empty or unreadable file is judged by its name (``.csv``,
    ``.jsonl``, ``.ndjson``, optionally ``.gz``, are rows). Directories never are.
    """
    text = os.fspath(path)
    if os.path.isdir(text):
        return False
    head = _head(text)
    if not head:
        return text.lower().removesuffix(".gz").endswith(ROW_SUFFIXES)
    if head.startswith("["):
        return False
    if not head.startswith("{"):
        return True
    match = re.match(r'\{\s*"([^"\\]{0,64})"', head)
    if match is not None and match.group(1) in _CLOUDTRAIL_KEYS:
        return False
    try:
        first = json.loads(head.split("\n", 1)[0])
    except ValueError:
        return False  # one object over several lines: JSON documents, read as CloudTrail
    return not (isinstance(first, dict) and _CLOUDTRAIL_KEYS & first.keys())


def _accept_activity_name(name: str) -> bool:
    return name.lower().removesuffix(".gz").endswith(_ACTIVITY_SUFFIXES)


def read_activity(
    paths: SourcePath | Iterable[SourcePath],
    *,
    known_namespaces: Collection[str] | None = None,
    strict: bool = False,
    index: ActivityIndex | None = None,
    on_progress: ProgressCallback | None = None,
    namespace_map: Mapping[str, str | None] | None = None,
) -> ActivityLoad:
    """Read CloudTrail files / directories and aggregated-row files into one index."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    sources = list(paths)
    for source in sources:
        if not isinstance(source, (str, os.PathLike)):
            raise IngestError(
                f"a path must be a str or os.PathLike, got {type(source).__name__} {source!r:.60}"
            )
    if index is None:
        index = ActivityIndex()
    elif not isinstance(index, ActivityIndex):
        raise IngestError(f"index must be an ActivityIndex, got {type(index).__name__}")
    walk = Tally(
        read_options(
            strict=strict,
            namespace_map=None,
            known_namespaces=None,
            max_problems=DEFAULT_MAX_PROBLEMS,
        )
    )
    files = list(walk_files(sources, _accept_activity_name, walk))
    rows_or_not = [(path, is_rows_file(path)) for path in files]
    row_files = [path for path, rows in rows_or_not if rows]
    trail = [path for path, rows in rows_or_not if not rows]
    before = index.after_until
    ingest = read_cloudtrail(
        *trail,
        strict=strict,
        namespace_map=namespace_map,
        known_namespaces=known_namespaces,
        on_progress=on_progress,
    )
    index.add(ingest)
    rows = read_aggregated_rows(
        *row_files,
        index=index,
        strict=strict,
        known_namespaces=known_namespaces,
        namespace_map=namespace_map,
    )
    walked = walk.summary()
    trail_summary = attrs.evolve(
        ingest.summary,
        files_ignored=ingest.summary.files_ignored + walked.files_ignored,
        ignored_files=walked.ignored_files + ingest.summary.ignored_files,
        problems=walked.problems + ingest.summary.problems,
        problems_omitted=walked.problems_omitted + ingest.summary.problems_omitted,
    )
    return ActivityLoad(
        index=index,
        cloudtrail=trail_summary,
        rows=rows.summary,
        after_until=index.after_until - before,
    )
