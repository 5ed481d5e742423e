"""One entry point for activity input: CloudTrail logs and aggregated rows, mixed.

:func:`read_activity` tells the two kinds apart by name and folds
everything into one :class:`~orgaccess.model.events.ActivityIndex`:

* a *file* named ``*.csv``, ``*.jsonl`` or ``*.ndjson`` (optionally ``.gz``)
  holds aggregated rows, read by :func:`~orgaccess.formats.rows.read_aggregated_rows`;
* every other path, a ``*.json`` / ``*.json.gz`` file or a *directory*, is
  CloudTrail, read by :func:`~orgaccess.formats.cloudtrail.read_cloudtrail` (row files
  inside a directory are therefore counted as ignored files there: name them
  explicitly).

Pass ``index=ActivityIndex(until=..., keep_history=...)`` to choose how the
index keeps attempts (or to add to an existing one). ``on_progress`` reports
the CloudTrail part only; rows are read in one quick pass after it. With
``strict=True`` the first malformed record, row or unreadable file raises
:class:`~orgaccess.errors.IngestError`; what was folded before stays in the
index.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping

import attrs

from ..errors import IngestError, Problem
from ..model.events import ActivityIndex
from ._ingest import IngestSummary, ProgressCallback, SourcePath
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


def is_rows_file(path: SourcePath) -> bool:
    """Whether ``path`` is read as aggregated rows (by its name; directories never are)."""
    name = os.fspath(path).lower().removesuffix(".gz")
    return name.endswith(ROW_SUFFIXES) and not os.path.isdir(path)


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
    row_files = [p for p in sources if is_rows_file(p)]
    trail = [p for p in sources if not is_rows_file(p)]
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
    return ActivityLoad(
        index=index,
        cloudtrail=ingest.summary,
        rows=rows.summary,
        after_until=index.after_until - before,
    )
