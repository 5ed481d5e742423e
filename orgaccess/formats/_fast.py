"""The fast CloudTrail path: msgspec decodes only the fields the reader needs.

Used by :func:`~orgaccess.formats.activity.read_activity` when ``msgspec`` is
importable (the ``orgaccess[fast]`` extra) and ``fast`` is not ``False``.
Results and summaries are the same as the pure path's, by construction:

* a file is taken by the fast path only when its whole content decodes as
  one ``{"Records": [...]}`` object (gzipped or not) whose records are JSON
  objects with an object or null ``userIdentity``; anything else (newline-
  delimited records, ``lookup-events`` output, several documents, a BOM, text
  that is not UTF-8, invalid JSON, a record that is not an object ...) is read
  by the pure path, from the start of the file;
* a record is decided here only in the common cases, each checked in the
  pure path's rule order (semantics section 4; :mod:`orgaccess.formats.cloudtrail`):
  a service or Insights event (``NO_PRINCIPAL``), and, when ``eventSource``
  is a non-blank string, ``awsRegion`` a string without blanks and
  ``eventTime`` has the form ``2026-01-02T03:04:05Z``: no ``userIdentity``
  (``UNAUTHENTICATED``), an ``AWSService`` caller (``AWS_SERVICE``) or a
  principal with a type and a 12-digit account whose source maps to a known
  namespace (counted); every
  other record is rebuilt as the dict of the fields the rules read and handed
  to the pure path's converter, which decides it and words its problem.

The differential tests (``tests/test_fast_ingest.py``) compare both paths over
generated records, malformed ones included, and the real corpus.

A file holding a record longer than the pure path's
:data:`~orgaccess.formats._jsonstream.MAX_ELEMENT_CHARS` is left to the pure
path. Two known differences remain, in records no CloudTrail writes: a JSON
number longer than :data:`~orgaccess.formats._jsonstream.MAX_NUMBER_CHARS`
characters in a field the rules do not read, and nesting about 985 to 997
levels deep, are accepted by msgspec but make the record ``MALFORMED`` in the
pure path.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from ..model.events import ActivityIndex, CheckedAttempt
from ..model.ids import AccountId
from ._ingest import ProgressCallback, SkipError, SkipReason, Tally
from ._jsonstream import MAX_ELEMENT_CHARS

try:  # pragma: no cover - depends on the environment
    import msgspec
except ImportError:  # pragma: no cover
    msgspec = None  # type: ignore[assignment]

__all__ = ["AVAILABLE", "read_file_fast"]

#: Whether msgspec is importable, so that the fast path can be used.
AVAILABLE: Final = msgspec is not None

_NO_PRINCIPAL_EVENT_TYPES: Final = ("AwsServiceEvent", "AwsCloudTrailInsight")
_PROGRESS_EVERY: Final = 10_000
_ACCOUNT = re.compile(r"[0-9]{12}")
_CACHE_LIMIT: Final = 1 << 16

if msgspec is not None:

    class _Identity(msgspec.Struct, rename="camel", gc=False):
        type: Any = None
        account_id: Any = None
        arn: Any = None

    class _Record(msgspec.Struct, rename="camel", gc=False):
        event_type: Any = None
        user_identity: _Identity | None = None
        event_source: Any = None
        event_time: Any = None
        aws_region: Any = None
        event_name: Any = None
        error_code: Any = None
        response_elements: msgspec.Raw = msgspec.Raw(b"null")

    class _Log(msgspec.Struct, rename="pascal", gc=False):
        records: list[_Record] | None = None
        events: msgspec.Raw | None = None

    class _RawLog(msgspec.Struct, rename="pascal", gc=False):
        records: list[msgspec.Raw] | None = None

    _DECODER: Any = msgspec.json.Decoder(_Log)
    _RAW_DECODER: Any = msgspec.json.Decoder(_RawLog)
else:  # pragma: no cover
    _DECODER = _RAW_DECODER = None


class _Caches:
    """Per-read caches of parsed times and checked account ids (bounded)."""

    def __init__(self) -> None:
        self.times: dict[str, datetime] = {}
        self.accounts: dict[str, AccountId] = {}
        self.namespaces: dict[str, str | None] = {}
        self.regions: set[str] = set()

    def time(self, text: str) -> datetime | None:
        """``text`` as a UTC instant when it has exactly the form ``2026-01-02T03:04:05Z``."""
        found = self.times.get(text)
        if found is not None:
            return found
        if (
            len(text) != 20
            or text[10] != "T"
            or text[19] != "Z"
            or text[4] != "-"
            or text[7] != "-"
            or text[13] != ":"
            or text[16] != ":"
            or not text.isascii()
        ):
            return None
        try:  # ASCII digits in every other place, or fromisoformat refuses
            value = datetime.fromisoformat(text)
        except ValueError:
            return None
        if value.tzinfo is not UTC:  # pragma: no cover - 'Z' is UTC
            return None
        if len(self.times) >= _CACHE_LIMIT:
            self.times.clear()
        self.times[text] = value
        return value

    def account(self, text: object) -> AccountId | None:
        if type(text) is not str:
            return None
        found = self.accounts.get(text)
        if found is not None:
            return found
        if _ACCOUNT.fullmatch(text) is None:
            return None
        if len(self.accounts) >= _CACHE_LIMIT:
            self.accounts.clear()
        value = self.accounts[text] = AccountId(text)
        return value


def _as_dict(record: Any) -> dict[str, object]:
    """The fields the pure rules read, as the pure path's decoded record would hold them."""
    out: dict[str, object] = {}
    for key, value in (
        ("eventType", record.event_type),
        ("eventSource", record.event_source),
        ("eventTime", record.event_time),
        ("awsRegion", record.aws_region),
        ("eventName", record.event_name),
        ("errorCode", record.error_code),
    ):
        if value is not None:
            out[key] = value
    identity = record.user_identity
    if identity is not None:
        fields = (
            ("type", identity.type),
            ("accountId", identity.account_id),
            ("arn", identity.arn),
        )
        out["userIdentity"] = {k: v for k, v in fields if v is not None}
    if record.event_name == "ConsoleLogin":
        out["responseElements"] = msgspec.json.decode(record.response_elements)
    return out


def read_file_fast(
    path: str,
    run: Tally,
    index: ActivityIndex,
    event_of: Callable[[object], Any],
    namespace_of: Callable[[str], str | None],
    caches: _Caches,
    progress: ProgressCallback | None,
) -> bool:
    """Read one log file into ``index`` and ``run``; ``False`` (nothing done) if it is not
    a plain ``{"Records": [...]}`` file, so that the pure path reads it."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        data = gzip.decompress(raw) if raw.startswith(b"\x1f\x8b") else raw
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
        return False
    del raw
    try:
        log = _DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError, ValueError):
        return False
    records = log.records
    if records is None or log.events is not None:
        return False
    if len(data) > MAX_ELEMENT_CHARS and max(map(len, _RAW_DECODER.decode(data).records)) > (
        MAX_ELEMENT_CHARS
    ):
        return False  # a record the pure path skips as too long (bytes >= characters)
    del data
    add = index.add_checked
    batch: list[CheckedAttempt] = []
    append = batch.append
    time_of, times = caches.time, caches.times
    account_of, accounts = caches.account, caches.accounts
    # sources already seen as non-blank strings, and the namespace each maps to
    namespaces = caches.namespaces
    regions = caches.regions  # regions already seen as non-blank strings
    skipped = run.skipped
    no_principal = unauthenticated = aws_service = flushed = 0
    base = run.records_read
    for number, record in enumerate(records):
        if progress is not None and (base + number + 1) % _PROGRESS_EVERY == 0:
            progress(run.files_done, base + number + 1)  # pragma: no cover - timing only
        event_type = record.event_type
        if event_type is not None and event_type in _NO_PRINCIPAL_EVENT_TYPES:
            no_principal += 1
            continue
        source = record.event_source
        region = record.aws_region
        stamp = record.event_time
        if type(source) is str and type(region) is str and type(stamp) is str:
            good = source in namespaces
            if not good and source.strip():
                if len(namespaces) >= _CACHE_LIMIT:
                    namespaces.clear()
                namespaces[source] = namespace_of(source)
                good = True
            if good and region not in regions:
                good = bool(region) and not any(ch.isspace() for ch in region)
                if good:
                    if len(regions) >= _CACHE_LIMIT:
                        regions.clear()
                    regions.add(region)
            moment = (times.get(stamp) or time_of(stamp)) if good else None
            if moment is not None:
                identity = record.user_identity
                if identity is None:
                    unauthenticated += 1
                    continue
                kind = identity.type
                if kind == "AWSService":
                    aws_service += 1
                    continue
                if type(kind) is str and kind and record.event_name != "ConsoleLogin":
                    account_text = identity.account_id
                    account = (
                        accounts.get(account_text) if type(account_text) is str else None
                    ) or account_of(account_text)
                    namespace = namespaces.get(source)
                    if account is not None and namespace is not None:
                        append(CheckedAttempt(account, namespace, moment, region))
                        continue
        # every other case: the pure rules decide, and word the problem
        try:
            event = event_of(_as_dict(record))
        except SkipError as skip:
            if run.options.strict and batch:  # what came before stays folded, as in the pure path
                add(batch)
                flushed += len(batch)
                batch.clear()
            run.records_read = base + number + 1
            run.skip(skip, f"{path}#/Records/{number}")
        else:
            append(
                CheckedAttempt(event.account_id, event.service_namespace, event.time, event.region)
            )
    run.records_read = base + len(records)
    skipped[SkipReason.NO_PRINCIPAL] += no_principal
    skipped[SkipReason.UNAUTHENTICATED] += unauthenticated
    skipped[SkipReason.AWS_SERVICE] += aws_service
    run.counted += flushed + len(batch)
    add(batch)
    run.files_read += 1
    return True


def new_caches() -> _Caches:
    """Caches for one read (times and account ids)."""
    return _Caches()
