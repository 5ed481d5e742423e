"""Read aggregated activity rows (Athena, Spark, DuckDB results) into an activity index.

An organization trail is usually queried with SQL rather than read file by
file, e.g. in Athena::

    SELECT useridentity.accountid AS account_id, eventsource, awsregion AS region,
           max(eventtime) AS last_attempt
    FROM cloudtrail_logs
    WHERE useridentity.type <> 'AWSService'
    GROUP BY 1, 2, 3

:func:`read_aggregated_rows` reads such results, one row per (account,
service, region) with the latest attempt, and folds each row into an
:class:`~orgaccess.model.events.ActivityIndex` with
:meth:`~orgaccess.model.events.ActivityIndex.add_last_access` (maximum per
(account, namespace), so rows may repeat, overlap or come in any order).

Files
-----
* CSV with a header row (``*.csv``) or JSON lines, one object per line
  (``*.jsonl``, ``*.ndjson``); each may be gzipped (``*.csv.gz`` ...; gzip is
  recognised by content). Directories are searched recursively in sorted
  order; other files there are counted in ``files_ignored``. A file named
  explicitly with another suffix is JSON lines if its first character is
  ``{``, CSV otherwise. Text is UTF-8 (a byte-order mark is allowed). Blank
  lines are not rows. An empty CSV cell or a JSON ``null`` is a missing value
  (SQL ``NULL``).
* Columns (CSV header cells or JSON keys) are matched case-insensitively
  after every run of characters other than letters and digits becomes ``_``
  (so ``userIdentity.accountId`` is ``useridentity_accountid`` and
  ``max(eventtime)`` is ``max_eventtime``). :data:`ROW_COLUMNS` lists the
  names accepted for each field:

  ===================  ==========================================================
  field                accepted names
  ===================  ==========================================================
  account (required)   ``account_id``, ``accountid``, ``account``,
                       ``aws_account_id``, ``useridentity_accountid``
  namespace            ``service_namespace``, ``servicenamespace``,
                       ``namespace``, ``service_prefix``, ``iam_namespace``
  event source         ``event_source``, ``eventsource`` (used when there is no
                       namespace column; mapped like CloudTrail's
                       ``eventSource``, see :mod:`orgaccess.formats.cloudtrail`)
  region (required)    ``region``, ``aws_region``, ``awsregion``
  time (required)      ``last_attempt``, ``last_attempt_time``,
                       ``last_authenticated_time``, ``lastauthenticatedtime``,
                       ``last_authenticated``, ``last_access_time``,
                       ``last_accessed``, ``last_used``, ``max_event_time``,
                       ``max_eventtime``, ``event_time``, ``eventtime``
  principal type       ``principal_type``, ``useridentity_type``,
                       ``identity_type`` (optional; ``AWSService`` rows are
                       skipped)
  ===================  ==========================================================

  A namespace or an event-source column is required. Other columns are
  ignored. Two columns naming the same field make the file unreadable.
* Times: ISO 8601 with a zone (``2026-01-02T03:04:05Z``,
  ``2026-01-02T05:04:05.123+02:00``), SQL timestamps
  (``2026-01-02 03:04:05.000``, Athena/Trino's ``2026-01-02 03:04:05.000 UTC``,
  DuckDB's ``2026-01-02 03:04:05+00``). **A timestamp without a zone is
  taken as UTC**: CloudTrail's ``eventTime`` is UTC and Athena's
  ``from_iso8601_timestamp`` / ``max(eventtime)`` keep it so. A date without
  a time is rejected.

Each row
--------
Checked in this order (reasons are :class:`~orgaccess.formats.cloudtrail.SkipReason`):

* ``MALFORMED``: a JSON line that is not an object; a CSV row with a
  different number of cells than the header; an account that is not text
  (a JSON number) or is all digits but not 12 of them (leading zeros lost in
  a spreadsheet); a missing or invalid time, region or namespace.
* ``AWS_SERVICE``: the principal type column says ``AWSService``.
* ``UNAUTHENTICATED``: an empty account or one that is not digits
  (``anonymous``).
* ``UNKNOWN_SERVICE``: the event source maps to no namespace, or the
  namespace is not in ``known_namespaces``.
* otherwise the row is folded. Namespaces are compared in lower case.

``folded + sum(skipped.values()) == rows_read``. A malformed row is a
:class:`~orgaccess.errors.Problem` at ``file:line``; with ``strict=True`` it
raises :class:`~orgaccess.errors.IngestError` instead, as does a file that
cannot be read. Rows folded before an error stay in the index. Rows later
than the index's ``until`` are folded but dropped by the index: they are
counted in ``after_until``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final, TextIO

import attrs

from ..errors import EventError, IngestError, Problem
from ..model.events import ActivityIndex
from ..model.ids import AccountId
from .cloudtrail import (
    SkipReason,
    SourcePath,
    _check_namespace_map,
    _fail,
    _frozen_counts,
    _frozen_mapping,
    _parse_time,
    _resolve,
    _Tally,
    _walk_files,
)

__all__ = ["ROW_COLUMNS", "ROW_SUFFIXES", "RowsIngest", "RowsSummary", "read_aggregated_rows"]

#: Column names accepted for each field, in normalised form (lower case, ``_`` separators).
ROW_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "account": (
            "account_id",
            "accountid",
            "account",
            "aws_account_id",
            "useridentity_accountid",
        ),
        "namespace": (
            "service_namespace",
            "servicenamespace",
            "namespace",
            "service_prefix",
            "iam_namespace",
        ),
        "event_source": ("event_source", "eventsource"),
        "region": ("region", "aws_region", "awsregion"),
        "time": (
            "last_attempt",
            "last_attempt_time",
            "last_authenticated_time",
            "lastauthenticatedtime",
            "last_authenticated",
            "last_access_time",
            "last_accessed",
            "last_used",
            "max_event_time",
            "max_eventtime",
            "event_time",
            "eventtime",
        ),
        "principal_type": ("principal_type", "useridentity_type", "identity_type"),
    }
)

#: File names read from directories (gzipped variants too).
ROW_SUFFIXES: Final = (".csv", ".jsonl", ".ndjson")

_FIELD_OF: Final = {alias: field for field, names in ROW_COLUMNS.items() for alias in names}
_NOT_WORD: Final = re.compile(r"[^0-9a-z]+")
_NAMESPACE: Final = re.compile(r"[a-z0-9][a-z0-9-]*", re.ASCII)
_DIGITS: Final = re.compile(r"[0-9]+", re.ASCII)
_DEFAULT_MAX_PROBLEMS: Final = 1000


def _column_key(name: str) -> str:
    return _NOT_WORD.sub("_", name.strip().lower()).strip("_")


@attrs.frozen(kw_only=True)
class RowsSummary:
    """What reading aggregated rows did with every file and row.

    ``skipped`` has every :class:`~orgaccess.formats.cloudtrail.SkipReason` as a key
    (0 when none) and ``folded + sum(skipped.values()) == rows_read``.
    ``after_until`` counts folded rows the index dropped as later than its
    ``until``; ``unknown_services`` counts skipped rows per namespace or
    event source.
    """

    files_read: int = 0
    files_ignored: int = 0
    rows_read: int = 0
    folded: int = 0
    skipped: Mapping[SkipReason, int] = attrs.field(factory=dict, converter=_frozen_counts)
    after_until: int = 0
    problems: tuple[Problem, ...] = ()
    problems_omitted: int = 0
    ignored_files: tuple[str, ...] = ()
    unknown_services: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_mapping)

    @property
    def skipped_total(self) -> int:
        """Rows not folded, whatever the reason."""
        return sum(self.skipped.values())


@attrs.frozen(kw_only=True)
class RowsIngest:
    """The index the rows were folded into, and the summary of the reading."""

    index: ActivityIndex
    summary: RowsSummary


class _SkipRowError(Exception):
    def __init__(self, reason: SkipReason, message: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class _FileError(Exception):
    """A file that cannot be read further, at ``line`` (0: the file as a whole)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


class _RowsPass(_Tally):
    """Reads row files into the index, counting what happens to every row."""

    def __init__(
        self,
        index: ActivityIndex,
        *,
        strict: bool,
        namespace_map: Mapping[str, str | None],
        known_namespaces: frozenset[str] | None,
        max_problems: int,
    ) -> None:
        super().__init__(max_problems)
        self.index = index
        self.strict = strict
        self.namespace_map = namespace_map
        self.known = known_namespaces
        self.rows_read = 0
        self.folded = 0
        self.unknown: Counter[str] = Counter()

    # -- one row ---------------------------------------------------------

    def row(self, values: Mapping[str, object] | str, location: str) -> None:
        """Fold one row, or count why not; ``values`` is an error message for a broken row."""
        self.rows_read += 1
        try:
            if isinstance(values, str):
                raise _SkipRowError(SkipReason.MALFORMED, values)
            account, namespace, time, region = self._check(values)
            try:
                self.index.add_last_access(account, namespace, time, region)
            except EventError as exc:
                raise _SkipRowError(SkipReason.MALFORMED, str(exc)) from None
        except _SkipRowError as skip:
            self.skipped[skip.reason] += 1
            if skip.reason is SkipReason.MALFORMED:
                _fail(self, self.strict, location, skip.message)
            elif skip.reason is SkipReason.UNKNOWN_SERVICE:
                self.unknown[skip.message] += 1
        else:
            self.folded += 1

    def _check(self, values: Mapping[str, object]) -> tuple[str, str, datetime, str]:
        account = values.get("account")  # an empty cell is missing: anonymous
        if account is not None and not isinstance(account, str):
            raise _SkipRowError(
                SkipReason.MALFORMED,
                f"account {account!r:.40} must be text (a number loses leading zeros)",
            )
        account = (account or "").strip()
        if _DIGITS.fullmatch(account) and len(account) != 12:
            raise _SkipRowError(
                SkipReason.MALFORMED,
                f"account {account!r} has {len(account)} digits, not 12 (leading zeros lost?)",
            )
        raw_time = values.get("time")
        if raw_time is None:
            raise _SkipRowError(SkipReason.MALFORMED, "time is missing")
        try:
            time = _parse_time(raw_time, naive_is_utc=True)
        except ValueError as exc:
            raise _SkipRowError(SkipReason.MALFORMED, f"time: {exc}") from None
        region = values.get("region")
        if not isinstance(region, str) or not region.strip():
            raise _SkipRowError(SkipReason.MALFORMED, _bad("region", region, "a region name"))
        namespace = self._namespace(values)
        principal_type = values.get("principal_type")
        if isinstance(principal_type, str) and principal_type.strip() == "AWSService":
            raise _SkipRowError(SkipReason.AWS_SERVICE)
        if not AccountId.is_valid(account):
            raise _SkipRowError(SkipReason.UNAUTHENTICATED)
        if namespace is None or (self.known is not None and namespace not in self.known):
            raise _SkipRowError(SkipReason.UNKNOWN_SERVICE, namespace or _source_text(values))
        return account, namespace, time, region.strip()

    def _namespace(self, values: Mapping[str, object]) -> str | None:
        if "namespace" in values:
            raw = values["namespace"]
            if not isinstance(raw, str) or not _NAMESPACE.fullmatch(raw.strip().lower()):
                hint = ""
                if isinstance(raw, str) and raw.strip().lower().endswith(".amazonaws.com"):
                    hint = " (an eventSource: name the column event_source)"
                raise _SkipRowError(
                    SkipReason.MALFORMED, _bad("namespace", raw, "an IAM namespace") + hint
                )
            return raw.strip().lower()
        if "event_source" not in values:
            raise _SkipRowError(SkipReason.MALFORMED, "namespace (or event source) is missing")
        source = values["event_source"]
        if not isinstance(source, str) or not source.strip():
            raise _SkipRowError(
                SkipReason.MALFORMED, _bad("event source", source, "an eventSource")
            )
        return _resolve(source.strip().lower(), self.namespace_map)

    # -- files -----------------------------------------------------------

    def read_file(self, path: str) -> None:
        line = 0
        try:
            jsonl, fh = _open_rows(path)
        except OSError as exc:
            _fail(self, self.strict, path, f"cannot open: {exc.strerror or exc}")
            return
        except (EOFError, zlib.error, UnicodeDecodeError) as exc:
            _fail(self, self.strict, path, f"cannot read the start of the file: {exc}")
            return
        self.files_read += 1
        try:
            with fh:
                if jsonl:
                    for line, values in _jsonl_rows(fh):
                        self.row(values, f"{path}:{line}")
                else:
                    for line, values in _csv_rows(fh):
                        self.row(values, f"{path}:{line}")
        except _FileError as exc:
            _fail(self, self.strict, f"{path}:{exc.line}" if exc.line else path, str(exc))
        except (OSError, EOFError, zlib.error) as exc:
            what = "truncated gzip data" if isinstance(exc, EOFError) else f"read error: {exc}"
            _fail(self, self.strict, path, f"{what} after line {line}")
        except UnicodeDecodeError as exc:
            _fail(self, self.strict, path, f"not UTF-8 text ({exc.reason}) after line {line}")

    def summary(self, after_until: int) -> RowsSummary:
        return RowsSummary(
            files_read=self.files_read,
            files_ignored=len(self.ignored_files),
            rows_read=self.rows_read,
            folded=self.folded,
            skipped=self.skipped,
            after_until=after_until,
            problems=tuple(self.problems),
            problems_omitted=self.problems_omitted,
            ignored_files=tuple(self.ignored_files),
            unknown_services=self.unknown,
        )


def _bad(field: str, value: object, expected: str) -> str:
    if value is None:
        return f"{field} is missing"
    return f"{field} {value!r:.60} is not {expected}"


def _source_text(values: Mapping[str, object]) -> str:
    source = values.get("event_source")
    return source.strip() if isinstance(source, str) else "?"


def _name_kind(path: str) -> str | None:
    name = path.lower()
    name = name.removesuffix(".gz")
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return None


def _accept_row_name(name: str) -> bool:
    return _name_kind(name) is not None


def _open_rows(path: str) -> tuple[bool, TextIO]:
    """Whether the file is JSON lines (else CSV), and its text, gunzipped if need be."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    kind = _name_kind(path)
    if kind is None:  # sniff the first character other than blank space
        with gzip.open(path, "rb") if gzipped else open(path, "rb") as probe:
            start = probe.read(512).decode("utf-8-sig", errors="replace").lstrip()
        kind = "jsonl" if start.startswith("{") else "csv"
    if gzipped:
        return kind == "jsonl", io.TextIOWrapper(
            gzip.open(path, "rb"), encoding="utf-8-sig", newline=""
        )
    return kind == "jsonl", open(path, encoding="utf-8-sig", newline="")


def _fields(keys: list[str]) -> dict[str, str]:
    """Map each usable column (its original name) to its field; raise on a bad header."""
    by_field: dict[str, str] = {}
    for key in keys:
        field = _FIELD_OF.get(_column_key(key))
        if field is None:
            continue
        if field in by_field:
            raise _FileError(
                f"columns {by_field[field]!r} and {key!r} both give the {field.replace('_', ' ')}"
            )
        by_field[field] = key
    missing = [f for f in ("account", "region", "time") if f not in by_field]
    if "namespace" not in by_field and "event_source" not in by_field:
        missing.append("namespace")
    if missing:
        wanted = "; ".join(
            f"{f}: one of {', '.join(ROW_COLUMNS[f])}"
            + (f" (or {', '.join(ROW_COLUMNS['event_source'])})" if f == "namespace" else "")
            for f in missing
        )
        shown = ", ".join(repr(k) for k in keys[:12]) or "none"
        raise _FileError(f"no column for {wanted}; columns found: {shown}")
    return {key: field for field, key in by_field.items()}


def _csv_rows(fh: TextIO) -> Iterator[tuple[int, dict[str, object] | str]]:
    reader = csv.reader(fh)
    header: list[str] | None = None
    columns: dict[int, str] = {}
    last_line = 0
    try:
        for cells in reader:
            line = last_line + 1
            last_line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if header is None:
                header = cells
                try:
                    names = _fields(cells)
                except _FileError as exc:
                    exc.line = line
                    raise
                columns = {i: names[c] for i, c in enumerate(cells) if c in names}
                continue
            if len(cells) != len(header):
                yield line, f"the row has {len(cells)} cells, the header {len(header)}"
                continue
            # an empty cell is a missing value (SQL NULL)
            yield line, {field: cells[i] for i, field in columns.items() if cells[i].strip()}
    except csv.Error as exc:
        raise _FileError(f"not readable as CSV: {exc}", last_line + 1) from None
    if header is None:
        raise _FileError("no header row: the file is empty")


def _jsonl_rows(fh: TextIO) -> Iterator[tuple[int, dict[str, object] | str]]:
    for number, text in enumerate(fh, start=1):
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, f"not JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(value, dict):
            yield number, f"a row must be a JSON object, got {type(value).__name__}"
            continue
        fields: dict[str, object] = {}
        names: dict[str, str] = {}
        clash: str | None = None
        for key, item in value.items():
            field = _FIELD_OF.get(_column_key(key))
            if field is None:
                continue
            if field in names:
                clash = f"keys {names[field]!r} and {key!r} both give the {field.replace('_', ' ')}"
            names[field] = key
            if item is not None:
                fields[field] = item
        yield number, fields if clash is None else clash


def read_aggregated_rows(
    *sources: SourcePath,
    index: ActivityIndex | None = None,
    strict: bool = False,
    known_namespaces: Collection[str] | None = None,
    namespace_map: Mapping[str, str | None] | None = None,
    max_problems: int = _DEFAULT_MAX_PROBLEMS,
) -> RowsIngest:
    """Fold aggregated rows from CSV / JSON-lines files into ``index`` (a new one if ``None``).

    Reads everything before returning. See the module documentation for the
    columns, time formats and skip reasons; ``namespace_map`` applies to an
    event-source column as in :func:`~orgaccess.formats.cloudtrail.read_cloudtrail`.
    """
    if index is None:
        index = ActivityIndex()
    elif not isinstance(index, ActivityIndex):
        raise IngestError(f"index must be an ActivityIndex, got {type(index).__name__}")
    if isinstance(known_namespaces, str):
        raise IngestError(
            f"known_namespaces must be a collection of namespaces, not the string "
            f"{known_namespaces!r:.60}"
        )
    if not isinstance(max_problems, int) or max_problems < 0:
        raise IngestError(f"max_problems must be a non-negative int, got {max_problems!r}")
    run = _RowsPass(
        index,
        strict=strict,
        namespace_map=_check_namespace_map(namespace_map),
        known_namespaces=None if known_namespaces is None else frozenset(known_namespaces),
        max_problems=max_problems,
    )
    before = index.after_until
    for path in _walk_files(sources, _accept_row_name, run, strict):
        run.read_file(path)
    return RowsIngest(index=index, summary=run.summary(index.after_until - before))
