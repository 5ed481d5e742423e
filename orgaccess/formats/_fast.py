"""The fast CloudTrail path: msgspec decodes only the fields the reader needs.

Used by :func:`~orgaccess.formats.activity.read_activity` when ``msgspec`` is
importable (the ``orgaccess[fast]`` extra) and ``fast`` is not ``False``.
Results and summaries are the same as the pure path's, by construction:

* a file is taken by the fast path only when its whole content decodes as
  one ``{"Records": [...]}`` object (gzipped or not) whose records are JSON
  objects with an object or null ``userIdentity``, and a string or null in
  ``eventType``, ``eventSource``, ``eventTime``, ``awsRegion``, ``eventName``,
  ``userIdentity.type`` and ``userIdentity.accountId``; anything else (newline-
  delimited records, ``lookup-events`` output, several documents, a BOM, text
  that is not UTF-8, invalid JSON, a record that is not an object, a number
  where CloudTrail writes a string ...) is read by the pure path, from the
  start of the file;
* a record is decided here only in the common cases, each checked in the
  pure path's rule order (semantics section 4; :mod:`orgaccess.formats.cloudtrail`):
  a service or Insights event (``NO_PRINCIPAL``), and, when ``eventSource``
  is a non-blank string, ``awsRegion`` a string without blanks and
  ``eventTime`` has the form ``2026-01-02T03:04:05Z``: no ``userIdentity``
  (``UNAUTHENTICATED``), an ``AWSService`` caller (``AWS_SERVICE``) or a
  principal with a type and a 12-digit account whose source maps to a known
  namespace (counted); every
  other record is rebuilt as the dict of the fields the rules read and handed
  to the pure path's converter, which decides it and words its problem;
* when the index keeps the latest attempt only and has no ``until`` (the
  default of ``read_activity``), counted attempts are reduced as they are read
  to the latest of each (account, namespace), ties to the smallest region,
  and folded in once at the end of the read (:func:`flush`,
  :meth:`~orgaccess.model.events.ActivityIndex.add_latest`): the index is the
  same, with one attempt object per pair instead of one per record. Any other
  index gets every attempt.

The differential tests (``tests/test_fast_ingest.py``) compare both paths over
generated records, malformed ones included, and the real corpus.

A file of more than :data:`MAX_FAST_BYTES` once gunzipped (a gzip bomb
included: inflating stops there), a gzip file of several members, and a file
holding a record longer than the pure path's
:data:`~orgaccess.formats._jsonstream.MAX_ELEMENT_CHARS` are left to the pure
path, which streams them in bounded chunks. Two known differences remain, in
records no CloudTrail writes: a JSON number longer than
:data:`~orgaccess.formats._jsonstream.MAX_NUMBER_CHARS` characters in a field
the rules do not read, and nesting about 985 to 997 levels deep, are accepted
by msgspec but make the record ``MALFORMED`` in the pure path.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, NamedTuple

from ..errors import IngestError
from ..model.events import ActivityIndex, CheckedAttempt
from ..model.ids import AccountId
from ._ingest import KnownValues, ProgressCallback, SkipError, SkipReason, Tally
from ._jsonstream import MAX_ELEMENT_CHARS

try:  # pragma: no cover - depends on the environment
    import msgspec
except ImportError:  # pragma: no cover
    msgspec = None  # type: ignore[assignment]

__all__ = ["AVAILABLE", "flush", "new_caches", "read_file_fast"]

#: Whether msgspec is importable, so that the fast path can be used.
AVAILABLE: Final = msgspec is not None

_NO_PRINCIPAL_EVENT_TYPES: Final = ("AwsServiceEvent", "AwsCloudTrailInsight")
_PROGRESS_EVERY: Final = 10_000
_CACHE_LIMIT: Final = 1 << 16
#: The most bytes (after gunzip) the fast path holds for one file; a larger file, or a
#: gzip bomb, is read by the pure path, which streams in bounded chunks.
MAX_FAST_BYTES: Final = 256 << 20


def _reads_hour_24() -> bool:
    try:
        datetime.fromisoformat("2026-01-01T24:00:00Z")
    except ValueError:
        return False
    return True  # pragma: no cover - Pythons that read 24:00 as the next day's 00:00


#: Whether this Python's fromisoformat refuses hour 24 (else the loop checks it first).
_NO_HOUR_24: Final = not _reads_hour_24()

if msgspec is not None:
    # Fields the rules test are typed: msgspec checks them in C, and a file with a
    # value of another type (no CloudTrail writes one) is left to the pure path.
    class _Identity(msgspec.Struct, rename="camel", gc=False):
        type: str | None = None
        account_id: str | None = None
        arn: Any = None

    class _Record(msgspec.Struct, rename="camel", gc=False):
        event_type: str | None = None
        user_identity: _Identity | None = None
        event_source: str | None = None
        event_time: str | None = None
        aws_region: str | None = None
        event_name: str | None = None
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
    """Per-read state: sources seen, values checked, and the attempts reduced so far."""

    def __init__(self, known: KnownValues) -> None:
        self.known = known  # account ids and regions checked (shared with the pure converter)
        self.namespaces: dict[str, str | None] = {}
        # (account, namespace) -> (time, region): the latest attempt of each pair, for an
        # index that folds the latest only (see ActivityIndex.add_latest)
        self.latest: dict[tuple[AccountId, str], tuple[datetime, str]] = {}
        self.pending = 0  # attempts reduced into ``latest`` since the last flush

    def see_source(self, source: str, namespace_of: Callable[[str], str | None]) -> bool:
        """Whether ``source`` is a non-blank string; its namespace is cached if so."""
        if not source.strip():
            return False
        if len(self.namespaces) >= _CACHE_LIMIT:
            self.namespaces.clear()
        self.namespaces[source] = namespace_of(source)
        return True


def flush(caches: _Caches, index: ActivityIndex) -> None:
    """Fold the attempts reduced so far into ``index`` (after a read, or before it stops)."""
    if caches.pending:
        index.add_latest(
            [
                CheckedAttempt(account, namespace, moment, region)
                for (account, namespace), (moment, region) in caches.latest.items()
            ],
            folded=caches.pending,
        )
        caches.latest.clear()
        caches.pending = 0


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


def _records(path: str) -> list[Any] | None:
    """The decoded records of a plain ``{"Records": [...]}`` file, or ``None``."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FAST_BYTES + 1)
        data = _gunzip(raw) if raw.startswith(b"\x1f\x8b") else raw
    except (OSError, zlib.error):
        return None
    del raw
    if data is None or len(data) > MAX_FAST_BYTES:
        return None  # held whole here: past the bound, the pure path streams it
    try:
        log = _DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError, ValueError):
        return None
    records: list[Any] | None = log.records
    if records is None or log.events is not None:
        return None
    if len(data) > MAX_ELEMENT_CHARS and max(map(len, _RAW_DECODER.decode(data).records)) > (
        MAX_ELEMENT_CHARS
    ):
        return None  # a record the pure path skips as too long (bytes >= characters)
    return records


def _gunzip(raw: bytes) -> bytes | None:
    """One whole gzip member inflated in C (its CRC checked there), at most
    :data:`MAX_FAST_BYTES`; ``None`` for anything else (several members, truncated,
    larger), which the pure path reads."""
    inflate = zlib.decompressobj(31)
    data = inflate.decompress(raw, MAX_FAST_BYTES + 1)
    if inflate.eof and not inflate.unused_data and len(data) <= MAX_FAST_BYTES:
        return data
    return None


def read_file_fast(
    path: str,
    run: Tally,
    index: ActivityIndex,
    attempt_of: Callable[[object], CheckedAttempt],
    namespace_of: Callable[[str], str | None],
    caches: _Caches,
    progress: ProgressCallback | None,
) -> bool:
    """Read one log file into ``index`` (or ``caches``, see :func:`flush`) and ``run``;
    ``False`` (nothing done) if it is not a plain ``{"Records": [...]}`` file, so that
    the pure path reads it."""
    records = _records(path)
    if records is None:
        return False
    base = run.records_read
    reading = _Reading(run, index, attempt_of, namespace_of, caches, progress)
    counted, skipped, batch = _fold(records, path, reading)
    run.records_read = base + len(records)
    run.skipped.update(skipped)
    run.counted += counted
    index.add_checked(batch)
    run.files_read += 1
    return True


class _Reading(NamedTuple):
    """What one read passes to :func:`_fold` (the arguments of :func:`read_file_fast`)."""

    run: Tally
    into: ActivityIndex
    attempt_of: Callable[[object], CheckedAttempt]
    namespace_of: Callable[[str], str | None]
    caches: _Caches
    progress: ProgressCallback | None


def _fold(
    records: list[Any], path: str, reading: _Reading
) -> tuple[int, dict[SkipReason, int], list[CheckedAttempt]]:
    """Decide every record in the rules' order: (counted, skips by reason, attempts to fold).

    Counted attempts in the common shape go to ``caches.latest`` when the index
    folds the latest only, else to the returned list with the pure path's decisions.
    """
    run, index, attempt_of, namespace_of, caches, progress = reading
    plain = index.folds_latest_only
    latest = caches.latest
    batch: list[CheckedAttempt] = []
    append = batch.append
    fromisoformat = datetime.fromisoformat
    checked, namespaces = caches.known, caches.namespaces
    accounts, regions = checked.accounts, checked.regions
    no_principal = unauthenticated = aws_service = counted = reduced = 0
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
        if (
            source is not None
            and region is not None
            and stamp is not None
            and (source in namespaces or caches.see_source(source, namespace_of))
            and (region in regions or checked.region(region))
            and len(stamp) == 20
            and stamp[4::3] == "--T::Z"  # the separators of 2026-01-02T03:04:05Z
            and stamp.isascii()
            and (_NO_HOUR_24 or stamp[11:13] < "24")
        ):
            try:  # with the separators fixed, fromisoformat checks digits and ranges
                moment = fromisoformat(stamp)
            except ValueError:
                moment = None
        else:
            moment = None
        if moment is not None:
            identity = record.user_identity
            if identity is None:
                unauthenticated += 1
                continue
            kind = identity.type
            if kind == "AWSService":
                aws_service += 1
                continue
            if kind and record.event_name != "ConsoleLogin":
                text = identity.account_id
                account = accounts.get(text) or checked.account(text)
                namespace = namespaces.get(source)
                if account is not None and namespace is not None:
                    counted += 1
                    if not plain:
                        append(CheckedAttempt(account, namespace, moment, region))
                        continue
                    reduced += 1
                    key = (account, namespace)
                    known = latest.get(key)
                    if (
                        known is None
                        or moment > known[0]
                        or (moment == known[0] and region < known[1])
                    ):
                        latest[key] = (moment, region)
                    continue
        # every other case: the pure rules decide, and word the problem
        try:
            attempt = attempt_of(_as_dict(record))
        except SkipError as skip:
            run.records_read = base + number + 1
            try:
                run.skip(skip, f"{path}#/Records/{number}")
            except IngestError:  # strict: what came before stays folded, as in the pure path
                run.counted += counted
                caches.pending += reduced
                index.add_checked(batch)
                flush(caches, index)
                raise
            continue
        counted += 1
        append(attempt)
    caches.pending += reduced
    skipped = {
        SkipReason.NO_PRINCIPAL: no_principal,
        SkipReason.UNAUTHENTICATED: unauthenticated,
        SkipReason.AWS_SERVICE: aws_service,
    }
    return counted, skipped, batch


def new_caches(known: KnownValues) -> _Caches:
    """The state of one read, sharing ``known`` with its pure converter."""
    return _Caches(known)
