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
index keeps attempts (or to add to an existing one).

Two ways to go faster, each with the same index and summaries:

* ``fast``: the msgspec path of :mod:`orgaccess.formats._fast` for delivered
  ``{"Records": [...]}`` files (``None``, the default, uses it when msgspec is
  installed: ``pip install 'orgaccess[fast]'``; ``False`` never does);
* ``jobs=N``: runs of CloudTrail files, in order and of about equal size, are
  read in N worker processes (``spawn``) into indexes of the caller's kind,
  merged in file order with :meth:`~orgaccess.model.events.ActivityIndex.merge`;
  counters add up, problems are kept in file order up to the same limit, and
  with ``strict=True`` the first problem in file order is raised;
  ``on_progress`` is then called once per worker's run.

``on_progress`` reports the CloudTrail part only; rows are read in one quick
pass after it. With
``strict=True`` the first malformed record, row or unreadable file raises
:class:`~orgaccess.errors.IngestError`; what was folded before stays in the
index.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Final

import attrs

from ..errors import IngestError, Problem
from ..model.events import ActivityIndex
from . import _fast
from ._ingest import (
    DEFAULT_MAX_PROBLEMS,
    MAX_UNKNOWN_SOURCES,
    IngestSummary,
    ProgressCallback,
    ReadError,
    ReadOptions,
    SkipReason,
    SourcePath,
    Tally,
    byte_chunks,
    read_options,
    walk_files,
)
from .cloudtrail import CloudTrailIngest
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
    fast: bool | None = None,
    jobs: int = 1,
) -> ActivityLoad:
    """Read CloudTrail files / directories and aggregated-row files into one index.

    ``fast`` chooses the msgspec path for CloudTrail files (``None``: when
    msgspec is installed); ``jobs`` > 1 reads the CloudTrail files in that many
    worker processes (see the module documentation). Either way the index and
    the summaries are the same.
    """
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
    options = read_options(
        strict=strict,
        namespace_map=namespace_map,
        known_namespaces=known_namespaces,
        max_problems=DEFAULT_MAX_PROBLEMS,
    )
    use_fast = _fast.AVAILABLE if fast is None else bool(fast)
    if use_fast and not _fast.AVAILABLE:
        raise IngestError("fast=True needs msgspec: pip install 'orgaccess[fast]'")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise IngestError(f"jobs must be a positive int, got {jobs!r:.60}")
    if jobs > 1 and len(trail) > 1:
        summary = _read_parallel(
            trail,
            index,
            jobs,
            use_fast,
            on_progress,
            # checked options, picklable: no catalog to load in the workers
            (options.strict, dict(options.namespace_map), options.known_namespaces),
        )
    else:
        summary = _read_trail(trail, options, index, use_fast, on_progress)
    rows = read_aggregated_rows(
        *row_files,
        index=index,
        strict=strict,
        known_namespaces=known_namespaces,
        namespace_map=namespace_map,
    )
    walked = walk.summary()
    trail_summary = attrs.evolve(
        summary,
        files_ignored=summary.files_ignored + walked.files_ignored,
        ignored_files=walked.ignored_files + summary.ignored_files,
        problems=walked.problems + summary.problems,
        problems_omitted=walked.problems_omitted + summary.problems_omitted,
    )
    return ActivityLoad(
        index=index,
        cloudtrail=trail_summary,
        rows=rows.summary,
        after_until=index.after_until - before,
    )


def _read_trail(
    paths: list[str],
    options: ReadOptions,
    index: ActivityIndex,
    use_fast: bool,
    on_progress: ProgressCallback | None,
) -> IngestSummary:
    """Read CloudTrail files in order into ``index``: the fast path where it applies."""
    ingest = CloudTrailIngest(tuple(paths), options, on_progress)
    converter = ingest._converter
    run = Tally(options)
    caches = _fast.new_caches(converter.known) if use_fast else None
    try:
        for path in paths:
            done = caches is not None and _fast.read_file_fast(
                path, run, index, converter.attempt, converter.namespace, caches, on_progress
            )
            if not done:
                index.add_checked(ingest._read_file(path, run, converter.attempt))
            run.files_done += 1
            if on_progress is not None:
                on_progress(run.files_done, run.records_read)
    finally:  # the fast path's reduced attempts, also when a strict read stops
        if caches is not None:
            _fast.flush(caches, index)
    run.done = True
    return run.summary(complete=True)


# --------------------------------------------------------------------------- parallel

_OptionArgs = tuple[bool, "Mapping[str, str | None] | None", "Collection[str] | None"]


def _read_part(
    paths: list[str], empty: ActivityIndex, use_fast: bool, args: _OptionArgs
) -> tuple[ActivityIndex, dict[str, object]]:
    """One worker's share: its files into an index of the caller's kind, and its counters."""
    strict, namespace_map, known_namespaces = args
    options = read_options(
        strict=strict,
        namespace_map=namespace_map,
        known_namespaces=known_namespaces,
        max_problems=DEFAULT_MAX_PROBLEMS,
    )
    summary = _read_trail(paths, options, empty, use_fast, None)
    return empty, {
        "files_read": summary.files_read,
        "records_read": summary.records_read,
        "counted": summary.counted,
        "skipped": {reason.value: n for reason, n in summary.skipped.items()},
        "problems": list(summary.problems),
        "problems_omitted": summary.problems_omitted,
        "ignored_files": list(summary.ignored_files),
        "unknown_sources": dict(summary.unknown_sources),
    }


def _split(paths: list[str], parts: int) -> list[list[str]]:
    """Contiguous runs of files of about equal total size, in order."""
    sizes = []
    for path in paths:
        try:
            sizes.append(max(os.path.getsize(path), 1))
        except OSError:
            sizes.append(1)
    share = sum(sizes) / parts
    runs: list[list[str]] = [[]]
    total = 0.0
    for path, size in zip(paths, sizes, strict=True):
        if runs[-1] and total >= share * len(runs) and len(runs) < parts:
            runs.append([])
        runs[-1].append(path)
        total += size
    return runs


def _read_parallel(
    paths: list[str],
    index: ActivityIndex,
    jobs: int,
    use_fast: bool,
    on_progress: ProgressCallback | None,
    args: _OptionArgs,
) -> IngestSummary:
    """Read runs of files in worker processes and merge their indexes and counters in order.

    The counters add up to the sequential read's; problems are kept in file
    order up to the same limit. Unknown sources are counted by name up to
    :data:`~orgaccess.formats.cloudtrail.MAX_UNKNOWN_SOURCES` names per worker,
    so past that many distinct names the split between names and
    ``"(others)"`` may differ from a sequential read (the total does not).
    """
    import multiprocessing

    runs = _split(paths, min(jobs, len(paths)))
    context = multiprocessing.get_context("spawn")
    files_done = records_read = 0
    totals: Counter[str] = Counter()
    skipped: Counter[SkipReason] = Counter()
    unknown: Counter[str] = Counter()
    problems: list[Problem] = []
    omitted = 0
    ignored: list[str] = []
    with ProcessPoolExecutor(max_workers=len(runs), mp_context=context) as pool:
        futures = [pool.submit(_read_part, run, index.like(), use_fast, args) for run in runs]
        for run, future in zip(runs, futures, strict=True):
            part, counts = future.result()  # the first failure, in file order, raises
            index.merge(part)
            for key in ("files_read", "records_read", "counted"):
                totals[key] += counts[key]  # type: ignore[operator]
            skipped.update(
                {SkipReason(k): n for k, n in counts["skipped"].items()}  # type: ignore[attr-defined]
            )
            for name, n in counts["unknown_sources"].items():  # type: ignore[attr-defined]
                if name not in unknown and len(unknown) >= MAX_UNKNOWN_SOURCES:
                    name = "(others)"
                unknown[name] += n
            problems.extend(counts["problems"])  # type: ignore[arg-type]
            omitted += counts["problems_omitted"]  # type: ignore[operator]
            ignored.extend(counts["ignored_files"])  # type: ignore[arg-type]
            files_done += len(run)
            records_read = totals["records_read"]
            if on_progress is not None:
                on_progress(files_done, records_read)
    kept = problems[:DEFAULT_MAX_PROBLEMS]
    return IngestSummary(
        files_read=totals["files_read"],
        files_ignored=len(ignored),
        records_read=totals["records_read"],
        counted=totals["counted"],
        skipped=skipped,
        problems=tuple(kept),
        problems_omitted=omitted + len(problems) - len(kept),
        ignored_files=tuple(ignored),
        unknown_sources=unknown,
    )
