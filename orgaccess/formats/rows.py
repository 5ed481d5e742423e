"""Read aggregated activity rows (Athena, Spark, DuckDB results) into an activity index.

An organization trail is usually queried with SQL rather than read file by
file, e.g. in Athena:

.. code-block:: sql

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
Checked in this order (reasons are :class:`~orgaccess.formats.cloudtrail.SkipReason`,
the same vocabulary as CloudTrail's):

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

The summary is an :class:`~orgaccess.formats.cloudtrail.IngestSummary`, as for
CloudTrail (a row is a record): ``counted + sum(skipped.values()) == records_read``.
A malformed row is a
:class:`~orgaccess.errors.Problem` at ``file:line``; with ``strict=True`` it
raises :class:`~orgaccess.errors.IngestError` instead, as does a file that
cannot be read. Rows folded before an error stay in the index. Rows later
than the index's ``until`` are folded but dropped by the index: they are
counted in the summary's ``after_until``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final

import attrs

from .._time import parse_instant
from ..errors import EventError, IngestError, InvalidTimeError
from ..model.events import ActivityIndex
from ..model.ids import AccountId
from . import _jsonstream
from ._ingest import (
    DEFAULT_MAX_PROBLEMS,
    IngestSummary,
    ReadOptions,
    SkipError,
    SkipReason,
    SourcePath,
    Tally,
    byte_chunks,
    read_options,
    walk_files,
)
from ._jsonstream import TextStream
from ._namespaces import resolve_namespace

__all__ = ["ROW_COLUMNS", "ROW_SUFFIXES", "RowsResult", "read_aggregated_rows"]

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


def _column_key(name: str) -> str:
    return _NOT_WORD.sub("_", name.strip().lower()).strip("_")


@attrs.frozen(kw_only=True)
class RowsResult:
    """The index the rows were folded into, and the summary of the reading.

    Rows are read at once (unlike :class:`~orgaccess.formats.cloudtrail.CloudTrailIngest`,
    a lazy reader): a row is a latest attempt, folded straight into the index.
    """

    index: ActivityIndex
    summary: IngestSummary


class _FileError(Exception):
    """A file that cannot be read further, at ``line`` (0: the file as a whole)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


class _RowsPass(Tally):
    """Reads row files into the index, counting what happens to every row."""

    def __init__(self, index: ActivityIndex, options: ReadOptions) -> None:
        super().__init__(options)
        self.index = index
        self.namespace_map = options.namespace_map
        self.known = options.known_namespaces

    # -- one row ---------------------------------------------------------

    def row(self, values: Mapping[str, object] | str, location: str) -> None:
        """Fold one row, or count why not; ``values`` is an error message for a broken row."""
        self.records_read += 1
        try:
            if isinstance(values, str):
                raise SkipError(SkipReason.MALFORMED, values)
            account, namespace, time, region = self._check(values)
            try:
                self.index.add_last_access(account, namespace, time, region)
            except EventError as exc:
                raise SkipError(SkipReason.MALFORMED, str(exc)) from None
        except SkipError as skip:
            self.skip(skip, location)
        else:
            self.counted += 1

    def _check(self, values: Mapping[str, object]) -> tuple[str, str, datetime, str]:
        account = values.get("account")  # an empty cell is missing: anonymous
        if account is not None and not isinstance(account, str):
            raise SkipError(
                SkipReason.MALFORMED,
                f"account {account!r:.40} must be text (a number loses leading zeros)",
            )
        account = (account or "").strip()
        if _DIGITS.fullmatch(account) and len(account) != 12:
            raise SkipError(
                SkipReason.MALFORMED,
                f"account {account!r} has {len(account)} digits, not 12 (leading zeros lost?)",
            )
        raw_time = values.get("time")
        if raw_time is None:
            raise SkipError(SkipReason.MALFORMED, "time is missing")
        try:
            time = parse_instant(raw_time, naive="utc")
        except InvalidTimeError as exc:
            raise SkipError(SkipReason.MALFORMED, f"time: {exc}") from None
        region = values.get("region")
        if not isinstance(region, str) or not region.strip():
            raise SkipError(SkipReason.MALFORMED, _bad("region", region, "a region name"))
        namespace = self._namespace(values)
        principal_type = values.get("principal_type")
        if isinstance(principal_type, str) and principal_type.strip() == "AWSService":
            raise SkipError(SkipReason.AWS_SERVICE)
        if not AccountId.is_valid(account):
            raise SkipError(SkipReason.UNAUTHENTICATED)
        if namespace is None or namespace not in self.known:
            raise SkipError(SkipReason.UNKNOWN_SERVICE, namespace or _source_text(values))
        return account, namespace, time, region.strip()

    def _namespace(self, values: Mapping[str, object]) -> str | None:
        if "namespace" in values:
            raw = values["namespace"]
            if not isinstance(raw, str) or not _NAMESPACE.fullmatch(raw.strip().lower()):
                hint = ""
                if isinstance(raw, str) and raw.strip().lower().endswith(".amazonaws.com"):
                    hint = " (an eventSource: name the column event_source)"
                raise SkipError(
                    SkipReason.MALFORMED, _bad("namespace", raw, "an IAM namespace") + hint
                )
            return raw.strip().lower()
        if "event_source" not in values:
            raise SkipError(SkipReason.MALFORMED, "namespace (or event source) is missing")
        source = values["event_source"]
        if not isinstance(source, str) or not source.strip():
            raise SkipError(SkipReason.MALFORMED, _bad("event source", source, "an eventSource"))
        return resolve_namespace(source.strip().lower(), self.namespace_map)

    # -- files -----------------------------------------------------------

    def read_file(self, path: str) -> None:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the ``with`` below
        except OSError as exc:
            self.fail(path, f"cannot open: {exc.strerror or exc}")
            return
        with fh:
            stream = TextStream(byte_chunks(fh))
            lines = _Lines(stream)
            try:
                jsonl = _is_jsonl(path, stream)
                self.files_read += 1
                rows = _jsonl_rows(lines) if jsonl else _csv_rows(lines)
                for line, values in rows:
                    self.row(values, f"{path}:{line}")
            except _FileError as exc:
                self.fail(f"{path}:{exc.line}" if exc.line else path, str(exc))
            if stream.error is not None:
                self.fail(path, f"{stream.error} after line {lines.number}")


class _Lines:
    """The lines of a stream, each bounded in length; remembers the last line number."""

    def __init__(self, stream: TextStream) -> None:
        self.number = 0
        self._lines = stream.lines()

    def __iter__(self) -> Iterator[tuple[int, str | None]]:
        for number, text in self._lines:
            self.number = number
            yield number, text


def _too_long_line() -> str:
    return f"the line is longer than {_jsonstream.MAX_ELEMENT_CHARS:,} characters: skipped"


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


def _is_jsonl(path: str, stream: TextStream) -> bool:
    """Whether the file is JSON lines (else CSV): by its name, else by its first character."""
    kind = _name_kind(path)
    if kind is not None:
        return kind == "jsonl"
    return stream.peek() == "{"


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


def _csv_rows(lines: _Lines) -> Iterator[tuple[int, dict[str, object] | str]]:
    too_long: list[int] = []

    def text() -> Iterator[str]:
        for number, line in lines:
            if line is None:
                too_long.append(number)
                yield "\n"  # a blank line stands for it; it is reported below
            else:
                yield line

    reader = csv.reader(text())
    header: list[str] | None = None
    columns: dict[int, str] = {}
    last_line = 0
    while True:
        line = last_line + 1
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            # one broken row (a field over csv's size limit, a stray quote): skip it
            last_line = reader.line_num
            if header is None:
                raise _FileError(f"not readable as CSV: {exc}", line) from None
            yield line, f"not readable as CSV: {exc}"
            continue
        last_line = reader.line_num
        while too_long:
            if header is None:
                raise _FileError(_too_long_line(), too_long[0])
            yield too_long.pop(0), _too_long_line()
        if cells is None:
            break
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
    if header is None:
        raise _FileError("no header row: the file is empty")


def _jsonl_rows(lines: _Lines) -> Iterator[tuple[int, dict[str, object] | str]]:
    for number, text in lines:
        if text is None:
            yield number, _too_long_line()
            continue
        if not text.strip():
            continue
        try:
            value = _jsonstream.loads(text)
        except json.JSONDecodeError as exc:
            yield number, f"not JSON ({exc.msg} at column {exc.colno})"
            continue
        except ValueError as exc:
            yield number, f"not usable JSON ({exc})"
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
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> RowsResult:
    """Fold aggregated rows from CSV / JSON-lines files into ``index`` (a new one if ``None``).

    Reads everything before returning. See the module documentation for the
    columns, time formats and skip reasons; ``namespace_map`` applies to an
    event-source column as in :func:`~orgaccess.formats.cloudtrail.read_cloudtrail`.
    """
    if index is None:
        index = ActivityIndex()
    elif not isinstance(index, ActivityIndex):
        raise IngestError(f"index must be an ActivityIndex, got {type(index).__name__}")
    options = read_options(
        strict=strict,
        namespace_map=namespace_map,
        known_namespaces=known_namespaces,
        max_problems=max_problems,
    )
    run = _RowsPass(index, options)
    before = index.after_until
    for path in walk_files(sources, _accept_row_name, run):
        run.read_file(path)
    return RowsResult(index=index, summary=run.summary(after_until=index.after_until - before))
