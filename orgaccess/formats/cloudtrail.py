"""Read CloudTrail logs into access events, streaming, with every record accounted for.

:func:`read_cloudtrail` takes log files and directories and returns a
:class:`CloudTrailIngest`; iterating it yields one
:class:`~orgaccess.model.events.AccessEvent` per counted record. After a full pass,
:attr:`CloudTrailIngest.summary` says what happened to every record::

    counted + sum(skipped.values()) == records_read

Inputs
------
* Paths are files or directories. Directories are searched recursively in
  sorted order; files named ``*.json`` or ``*.json.gz`` are read, every
  other entry (another name, a symbolic link to a directory, which is not
  followed, a broken link) is counted in ``files_ignored`` and listed in
  ``ignored_files``. A file named explicitly is read whatever its name. The
  same file reached twice (by name, through a directory, through a link) is
  read once.
* Compression is decided by content, not by name: a file starting with the
  gzip magic bytes is decompressed (several gzip members in a row are read
  one after another), anything else is read as UTF-8 JSON.
* Shapes, which may follow one another in one file (concatenated JSON
  documents, e.g. several pages of ``lookup-events`` output):

  - ``{"Records": [record, ...]}``, the log file CloudTrail delivers;
  - ``{"Events": [{"CloudTrailEvent": "<record as JSON text>", ...}, ...]}``,
    the output of ``aws cloudtrail lookup-events`` (``CloudTrailEvent`` may
    also be the record object itself);
  - ``[record, ...]``, a bare list of records (what ``jq .Records`` gives).

  A CloudTrail digest file (``{"logFiles": [...], "digestStartTime": ...}``)
  is recognised and counted as ignored. Any other JSON document is reported
  as a problem.
* Streaming: the ``Records`` / ``Events`` array is parsed one element at a
  time over chunks of at most :data:`CHUNK_CHARS` characters, so memory stays
  flat however large a file grows; it holds one chunk plus the largest single
  record. A top-level value other than those arrays (e.g. ``NextToken``) is
  held whole while it is skipped.

Record → :class:`~orgaccess.model.events.AccessEvent` (semantics section 4)
-------------------------------------------------------------------------------
Checked in this order; the first rule that applies decides.

1. not a JSON object (or not valid JSON): ``MALFORMED``;
2. no ``userIdentity`` (anonymous calls, CloudTrail Insights events):
   ``UNAUTHENTICATED``;
3. ``userIdentity`` present but not an object: ``MALFORMED``;
4. ``eventSource`` missing or not a non-empty string: ``MALFORMED``;
5. ``eventTime`` missing, not ISO 8601, or without a time zone: ``MALFORMED``;
6. ``awsRegion`` missing or not a non-empty string: ``MALFORMED``;
7. ``userIdentity.type == "AWSService"``: ``AWS_SERVICE``;
8. ``userIdentity.accountId`` missing or not 12 ASCII digits (``"anonymous"``;
   SAML / web-identity federation records, which carry no account):
   ``UNAUTHENTICATED``;
9. ``eventSource`` maps to no namespace, or to one outside
   ``known_namespaces``: ``UNKNOWN_SERVICE``;
10. otherwise the record is counted.

A counted record becomes ``AccessEvent(account_id=userIdentity.accountId,
service_namespace=<mapped>, region=awsRegion, time=eventTime,
principal_type=userIdentity.type, principal_arn=userIdentity.arn,
denied=<errorCode present and not null>)``. ``eventTime`` may carry any
explicit zone (``Z``, ``+02:00``, ``+0200``, ``+02``) and is converted to
UTC; fractions beyond microseconds are cut. ``invokedBy`` does not matter: a call a
service made on a principal's behalf counts for that principal, and a record
with an ``errorCode`` (denied or failed) counts as an attempt. Every
``userIdentity.type`` other than ``AWSService`` (``Root``, ``IAMUser``,
``AssumedRole``, ``Role``, ``FederatedUser``, ``Directory``, ``AWSAccount``,
``IdentityCenterUser``, ``Unknown``, ``SAMLUser``, ``WebIdentityUser``, or no
type) counts exactly when it carries a 12-digit ``accountId``. The tracking
window is not applied here; it belongs to each report.

eventSource → IAM namespace
---------------------------
AWS publishes no table. The rule: the source must end in ``.amazonaws.com``;
the *stem* before that suffix is looked up whole (so that multi-label sources
such as ``models.lex`` match), then its first label; with no entry the first
label is the namespace. :data:`EVENT_SOURCE_NAMESPACES`:

====================  ====================
stem                  namespace
====================  ====================
``monitoring``        ``cloudwatch``
``email``             ``ses``
``appstream2``        ``appstream``
``models.lex``        ``lex``
``runtime.lex``       ``lex``
``mturk-requester``   ``mechanicalturk``
``streams.dynamodb``  ``dynamodb``
``tagging``           ``tag``
``signin``            skipped (``None``)
====================  ====================

``signin`` is skipped (as ``UNKNOWN_SERVICE``) by decision: its events
(``ConsoleLogin``, ``SwitchRole``, ``CheckMfa`` ...) record signing in, which
no ``signin:`` IAM action authorises, so counting them would mark the AWS
Sign-In service as used by every console user. Pass
``namespace_map={"signin": "signin"}`` to count them.

``namespace_map`` extends or overrides the table. Its keys are a full
eventSource (``"myapp.example.com"``, which need not end in
``.amazonaws.com``), a stem (``"runtime.lex"``) or a first label; a value of
``None`` skips the source as ``UNKNOWN_SERVICE``. The most specific key wins
(full source, then stem, then first label), and at the same level the
caller's map wins over the table. Sources are compared in lower case.

Passes and the summary
----------------------
Nothing is read until the :class:`CloudTrailIngest` is iterated. Each
iteration is a new pass: it reads the files again (they may have changed)
with new counters. :attr:`CloudTrailIngest.summary` is the summary of the
last pass that ran to its end; asking for it before any pass has finished
raises :class:`IngestIncompleteError` (an
:class:`~orgaccess.errors.OrgAccessError`), so a half-read input is never
mistaken for a whole one. :attr:`CloudTrailIngest.partial_summary` shows the
latest pass so far (``complete=False`` while it runs). ``on_progress(files_done,
records_read)`` is called after each file and every 10,000 records.

Errors
------
With ``strict=False`` (the default) a malformed record is skipped as
``MALFORMED`` and a :class:`~orgaccess.errors.Problem` names the file and the
record (``logs/a.json.gz#/Records/17``); a file that cannot be read or ends
early (a truncated gzip, truncated JSON) is a problem too, and every record
read before the break is kept. At most ``max_problems`` problems are kept;
the rest are counted in ``problems_omitted``. With ``strict=True`` the first
malformed record or unreadable file raises
:class:`~orgaccess.errors.IngestError` with the same location. Records skipped
as ``UNAUTHENTICATED``, ``AWS_SERVICE`` or ``UNKNOWN_SERVICE`` are not
problems, only counted (unknown sources per eventSource in
``unknown_event_sources``), and never raise.
"""

from __future__ import annotations

import codecs
import enum
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import BinaryIO, Final, TypeAlias

import attrs

from ..errors import IngestError, OrgAccessError, Problem
from ..model.events import AccessEvent
from ..model.ids import AccountId

__all__ = [
    "CHUNK_CHARS",
    "EVENT_SOURCE_NAMESPACES",
    "CloudTrailIngest",
    "IngestIncompleteError",
    "IngestSummary",
    "SkipReason",
    "namespace_for_event_source",
    "read_cloudtrail",
]

#: The built-in eventSource → IAM namespace exceptions (keys are stems, the
#: part before ``.amazonaws.com``); ``None`` means "skip as UNKNOWN_SERVICE".
EVENT_SOURCE_NAMESPACES: Final[Mapping[str, str | None]] = MappingProxyType(
    {
        "monitoring": "cloudwatch",
        "email": "ses",
        "appstream2": "appstream",
        "models.lex": "lex",
        "runtime.lex": "lex",
        "mturk-requester": "mechanicalturk",
        "streams.dynamodb": "dynamodb",
        "tagging": "tag",
        "signin": None,
    }
)

#: Characters decoded per read; the parse buffer holds about this much plus one record.
CHUNK_CHARS: Final = 1 << 18

_AMAZONAWS: Final = ".amazonaws.com"
_RAW_BLOCK: Final = 1 << 16
_GZIP_MAGIC: Final = b"\x1f\x8b"
_PROGRESS_EVERY: Final = 10_000
_DEFAULT_MAX_PROBLEMS: Final = 1000

SourcePath: TypeAlias = "str | os.PathLike[str]"
ProgressCallback: TypeAlias = Callable[[int, int], object]


class SkipReason(enum.StrEnum):
    """Why a record (or an aggregated row) was not counted."""

    #: no authenticated principal: no ``userIdentity``, or no 12-digit ``accountId``
    UNAUTHENTICATED = "UNAUTHENTICATED"
    #: ``userIdentity.type == "AWSService"``: a call an AWS service made itself
    AWS_SERVICE = "AWS_SERVICE"
    #: the eventSource maps to no IAM namespace, or to one the catalog does not have
    UNKNOWN_SERVICE = "UNKNOWN_SERVICE"
    #: not a record: wrong type, a required field missing or invalid
    MALFORMED = "MALFORMED"


class IngestIncompleteError(OrgAccessError, RuntimeError):
    """A summary was asked for before a full pass over the input finished."""


def _frozen_counts(counts: Mapping[SkipReason, int]) -> Mapping[SkipReason, int]:
    return MappingProxyType({reason: int(counts.get(reason, 0)) for reason in SkipReason})


def _frozen_mapping(counts: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(sorted(counts.items())))


@attrs.frozen(kw_only=True)
class IngestSummary:
    """What one pass over CloudTrail input did with every file and record.

    ``skipped`` has every :class:`SkipReason` as a key (0 when none), and
    ``counted + sum(skipped.values()) == records_read`` always holds.
    ``complete`` is false for a partial summary taken during a pass.
    """

    files_read: int = 0
    files_ignored: int = 0
    records_read: int = 0
    counted: int = 0
    skipped: Mapping[SkipReason, int] = attrs.field(factory=dict, converter=_frozen_counts)
    problems: tuple[Problem, ...] = ()
    problems_omitted: int = 0
    ignored_files: tuple[str, ...] = ()
    unknown_event_sources: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_mapping)
    complete: bool = True

    @property
    def skipped_total(self) -> int:
        """Records not counted, whatever the reason."""
        return sum(self.skipped.values())


class _Tally:
    """Counters shared by every reader: ignored files, skips, and problems up to a limit."""

    def __init__(self, max_problems: int) -> None:
        self.max_problems = max_problems
        self.files_read = 0
        self.ignored_files: list[str] = []
        self.skipped: Counter[SkipReason] = Counter()
        self.problems: list[Problem] = []
        self.problems_omitted = 0

    def problem(self, location: str, message: str) -> None:
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(location=location, message=message))
        else:
            self.problems_omitted += 1


class _Pass(_Tally):
    """The mutable counters of one pass (frozen into an :class:`IngestSummary`)."""

    def __init__(self, max_problems: int) -> None:
        super().__init__(max_problems)
        self.records_read = 0
        self.counted = 0
        self.unknown_sources: Counter[str] = Counter()
        self.files_done = 0
        self.done = False

    def summary(self, *, complete: bool) -> IngestSummary:
        return IngestSummary(
            files_read=self.files_read,
            files_ignored=len(self.ignored_files),
            records_read=self.records_read,
            counted=self.counted,
            skipped=self.skipped,
            problems=tuple(self.problems),
            problems_omitted=self.problems_omitted,
            ignored_files=tuple(self.ignored_files),
            unknown_event_sources=self.unknown_sources,
            complete=complete,
        )


# --------------------------------------------------------------------------- namespaces


def _check_namespace_map(
    namespace_map: Mapping[str, str | None] | None,
) -> dict[str, str | None]:
    if namespace_map is None:
        return {}
    if not isinstance(namespace_map, Mapping):
        raise IngestError(f"namespace_map must be a mapping, got {type(namespace_map).__name__}")
    checked: dict[str, str | None] = {}
    for key, value in namespace_map.items():
        if not isinstance(key, str) or not key:
            raise IngestError(f"namespace_map key {key!r} must be a non-empty string")
        if value is not None and (not isinstance(value, str) or not value):
            raise IngestError(
                f"namespace_map[{key!r}] must be a namespace string or None, got {value!r}"
            )
        checked[key.lower()] = value
    return checked


def namespace_for_event_source(
    event_source: str, namespace_map: Mapping[str, str | None] | None = None
) -> str | None:
    """The IAM namespace of a CloudTrail ``eventSource``, or ``None`` when it has none.

    >>> namespace_for_event_source("s3.amazonaws.com")
    's3'
    >>> namespace_for_event_source("runtime.lex.amazonaws.com")
    'lex'
    >>> namespace_for_event_source("monitoring.amazonaws.com")
    'cloudwatch'
    >>> namespace_for_event_source("signin.amazonaws.com") is None
    True
    >>> namespace_for_event_source("partner.example.com") is None
    True
    >>> namespace_for_event_source("signin.amazonaws.com", {"signin": "signin"})
    'signin'
    """
    if not isinstance(event_source, str):
        raise IngestError(
            f"event_source must be a string, got {type(event_source).__name__} {event_source!r:.60}"
        )
    return _resolve(event_source.lower(), _check_namespace_map(namespace_map))


def _resolve(source: str, user: Mapping[str, str | None]) -> str | None:
    if source in user:
        return user[source]
    if not source.endswith(_AMAZONAWS):
        return None
    stem = source[: -len(_AMAZONAWS)]
    if not stem:
        return None
    label = stem.split(".", 1)[0]
    for key in (stem, label):
        if key in user:
            return user[key]
        if key in EVENT_SOURCE_NAMESPACES:
            return EVENT_SOURCE_NAMESPACES[key]
    return label or None


# --------------------------------------------------------------------------- time

_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII | re.IGNORECASE,
)


def _parse_time(text: object, *, naive_is_utc: bool) -> datetime:
    """Parse an ISO 8601 / SQL timestamp; raise ``ValueError`` with a readable reason.

    Accepted: ``2026-01-02T03:04:05Z``, ``...05.123+02:00``, ``...05+0200``,
    ``...05+02``, ``2026-01-02 03:04:05.000`` and ``... UTC``. Fractions beyond
    microseconds are truncated. A zone-less value is UTC when
    ``naive_is_utc``, otherwise rejected.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a time string, got {type(text).__name__} {text!r:.80}")
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r:.80} is not an ISO 8601 date and time")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone is None:
        if not naive_is_utc:
            raise ValueError(f"{text!r:.80} has no time zone (expected e.g. 'Z')")
        tz: timezone = UTC
    elif zone.upper() in ("Z", "UTC"):
        tz = UTC
    else:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        if offset >= timedelta(hours=24):
            raise ValueError(f"{text!r:.80} has an impossible offset {zone!r}")
        tz = timezone(-offset if zone[0] == "-" else offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        value = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError as exc:
        raise ValueError(f"{text!r:.80} is not a valid date and time ({exc})") from None
    return value if tz is UTC else value.astimezone(UTC)


# --------------------------------------------------------------------------- files


def _suffix_of(name: str) -> str:
    lower = name.lower()
    return ".json.gz" if lower.endswith(".json.gz") else os.path.splitext(lower)[1]


def _walk_files(
    sources: Iterable[SourcePath],
    accept: Callable[[str], bool],
    run: _Tally,
    strict: bool,
) -> Iterator[str]:
    """Every file to read, in a deterministic order; others are counted as ignored.

    A source that does not exist is a problem (or an ``IngestError`` when strict).
    """
    seen: set[str] = set()

    def once(path: str) -> bool:
        key = os.path.realpath(path)
        if key in seen:
            return False
        seen.add(key)
        return True

    def walk(directory: str) -> Iterator[str]:
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            _fail(run, strict, directory, f"cannot list directory: {exc.strerror or exc}")
            return
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
            except OSError as exc:
                _fail(run, strict, entry.path, f"cannot stat: {exc.strerror or exc}")
                continue
            if is_dir:
                yield from walk(entry.path)
            elif is_file and accept(entry.name):
                if once(entry.path):
                    yield entry.path
            else:  # another name, a link to a directory, a broken link, a socket ...
                run.ignored_files.append(entry.path)

    for source in sources:
        try:
            path = os.fspath(source)
        except TypeError:
            raise IngestError(
                f"a source must be a path (str or os.PathLike), got {type(source).__name__} "
                f"{source!r:.80}"
            ) from None
        if isinstance(path, bytes):
            raise IngestError(f"a source must be a text path, got bytes {path!r:.80}")
        if os.path.isdir(path):
            yield from walk(path)
        elif os.path.isfile(path):
            if once(path):
                yield path
        else:
            _fail(run, strict, path, "no such file or directory")


def _fail(run: _Tally, strict: bool, location: str, message: str) -> None:
    if strict:
        raise IngestError(f"{location}: {message}")
    run.problem(location, message)


class _ReadError(Exception):
    """A file whose bytes cannot all be read (truncated or corrupt compressed data)."""


def _byte_chunks(fh: BinaryIO) -> Iterator[bytes]:
    """The content of ``fh``, gunzipped when it starts with the gzip magic bytes."""
    first = fh.read(len(_GZIP_MAGIC))  # a buffered read: all of it unless the file is shorter
    if first.startswith(_GZIP_MAGIC):
        yield from _gunzip(first, fh)
        return
    block = first
    while block:
        yield block
        block = fh.read(_RAW_BLOCK)


def _gunzip(first: bytes, fh: BinaryIO) -> Iterator[bytes]:
    """Decompress gzip members one after another, never more than a block of output at once."""
    decomp = zlib.decompressobj(zlib.MAX_WBITS | 16)
    fed = False  # whether the current member has had any input
    data = first
    try:
        while True:
            fed = fed or bool(data)
            out = decomp.decompress(data, _RAW_BLOCK)
            if out:
                yield out
            if decomp.eof:  # one member done; another may follow (zero padding is ignored)
                rest = decomp.unused_data
                decomp = zlib.decompressobj(zlib.MAX_WBITS | 16)
                fed = False
                data = rest if rest.strip(b"\x00") else b""
                continue
            data = decomp.unconsumed_tail
            if data or len(out) == _RAW_BLOCK:
                continue  # input left, or output was capped: decompress more first
            data = fh.read(_RAW_BLOCK)
            if not data:
                break
        if fed:
            tail = decomp.flush()
            if tail:
                yield tail
    except zlib.error as exc:
        raise _ReadError(f"corrupt gzip data ({exc})") from None
    if fed:
        raise _ReadError("the gzip stream ends before its end marker (truncated file?)")


# --------------------------------------------------------------------------- streaming JSON

_WS = re.compile(r"[ \t\n\r]*")
_STRUCTURE = re.compile(r'["\[\]{}]')
_STRING_STOP = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[,\]}\s]")
_DECODER = json.JSONDecoder()


class _BadValueError(Exception):
    """One JSON value that is complete but not valid; parsing resumes after it."""

    def __init__(self, message: str, end: int) -> None:
        super().__init__(message)
        self.end = end


class _ParseStopError(Exception):
    """The file cannot be parsed further (broken structure or early end)."""


def _value_end(buf: str, pos: int) -> int | None:
    """Where the JSON value starting at ``pos`` ends, judged by brackets and strings only.

    ``None`` when the buffer ends first. Used only after a decode failed, to
    tell an invalid value from one that is not all read yet.
    """
    if buf[pos] not in '[{"':
        match = _SCALAR_END.search(buf, pos)
        return None if match is None else match.start()
    depth = 0
    i = pos
    while True:
        match = _STRUCTURE.search(buf, i)
        if match is None:
            return None
        char = match.group()
        i = match.end()
        if char == '"':
            while True:
                stop = _STRING_STOP.search(buf, i)
                if stop is None:
                    return None
                if stop.group() == "\\":
                    i = stop.end() + 1
                    continue
                i = stop.end()
                break
            if depth == 0:
                return i
        elif char in "[{":
            depth += 1
        else:
            depth -= 1
            if depth <= 0:
                return i


class _TextStream:
    """Decoded text of one file, read chunk by chunk; ``buf[pos:]`` is unparsed."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.offset = 0  # characters dropped before ``buf``
        self.error: str | None = None

    def where(self) -> str:
        return f"character {self.offset + self.pos}"

    def more(self) -> bool:
        """Read more text (at least as much as is buffered); ``False`` at the end."""
        if self.eof:
            return False
        if self.pos:
            self.offset += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        want = max(CHUNK_CHARS, len(self.buf))
        parts = [self.buf]
        got = 0
        try:
            while got < want:
                chunk = next(self._chunks, None)
                if chunk is None:
                    text = self._decoder.decode(b"", final=True)
                    self.eof = True
                else:
                    text = self._decoder.decode(chunk)
                parts.append(text)
                got += len(text)
                if self.eof:
                    break
        except _ReadError as exc:
            self.error, self.eof = str(exc), True
        except UnicodeDecodeError as exc:
            self.error, self.eof = f"not UTF-8 text ({exc.reason} near byte {exc.start})", True
        except OSError as exc:
            self.error, self.eof = f"read error: {exc}", True
        self.buf = "".join(parts)
        return got > 0

    def peek(self) -> str:
        """The next non-whitespace character (not consumed), or ``""`` at the end."""
        while True:
            match = _WS.match(self.buf, self.pos)
            assert match is not None  # the pattern matches the empty string
            self.pos = match.end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def expect(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            shown = "the end of the file" if not found else repr(found)
            raise _ParseStopError(f"expected {what} at {self.where()}, found {shown}")
        self.pos += 1

    def value(self) -> object:
        """Decode the JSON value at the cursor (call :meth:`peek` first)."""
        while True:
            buf, pos = self.buf, self.pos
            try:
                obj, end = _DECODER.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                end_guess = _value_end(buf, pos)
                if end_guess is None and self.more():
                    continue
                if end_guess is None:
                    raise _ParseStopError(
                        f"the file ends inside a value starting at {self.where()} (truncated?)"
                    ) from None
                raise _BadValueError(f"not valid JSON: {exc.msg}", end_guess) from None
            if end == len(buf) and self.more():
                continue  # a number might go on in the next chunk
            self.pos = end
            return obj


@attrs.frozen
class _Element:
    """One element of a top-level array, or the JSON error that replaced it."""

    pointer: str
    value: object
    error: str | None = None


class _FileReader:
    """Yield the elements of the Records / Events arrays of one file."""

    def __init__(self, stream: _TextStream) -> None:
        self.s = stream
        self.problem: str | None = None
        self.is_digest = False
        self.documents = 0
        self.elements_read = 0

    def elements(self) -> Iterator[_Element]:
        s = self.s
        try:
            while True:
                first = s.peek()
                if not first:
                    break
                self.documents += 1
                if first == "[":
                    s.pos += 1
                    yield from self._array("")
                elif first == "{":
                    s.pos += 1
                    yield from self._object()
                else:
                    raise _ParseStopError(
                        f"expected a JSON object or array at {s.where()}, found {first!r}"
                    )
            if self.documents == 0 and s.error is None:
                raise _ParseStopError("the file is empty")
        except _ParseStopError as exc:
            self.problem = str(exc)
        except _BadValueError as exc:
            self.problem = f"{exc} at {s.where()}"
        if s.error is not None:
            # a read error explains an early end better than the parser can
            self.problem = s.error
        if self.problem is not None and self.elements_read:
            self.problem += f"; the {self.elements_read} record(s) before it were read"

    def _object(self) -> Iterator[_Element]:
        s = self.s
        keys: set[str] = set()
        found = False
        if s.peek() == "}":
            s.pos += 1
        else:
            while True:
                if s.peek() != '"':
                    raise _ParseStopError(f"expected a key at {s.where()}")
                key = s.value()
                assert isinstance(key, str)
                keys.add(key)
                s.expect(":", "':'")
                nxt = s.peek()
                if key in ("Records", "Events") and nxt == "[":
                    found = True
                    s.pos += 1
                    yield from self._array("/" + key)
                elif not nxt:
                    raise _ParseStopError(f"the file ends after key {key!r}")
                else:
                    skipped = s.value()
                    if key in ("Records", "Events"):
                        raise _ParseStopError(
                            f"{key!r} is not an array but {type(skipped).__name__} {skipped!r:.60}"
                        )
                sep = s.peek()
                if sep == "}":
                    s.pos += 1
                    break
                s.expect(",", "',' or '}'")
        if not found:
            if {"logFiles", "digestStartTime"} <= keys:
                self.is_digest = True
            else:
                shown = ", ".join(sorted(keys)[:8]) or "none"
                raise _ParseStopError(
                    f"not a CloudTrail log: no 'Records' or 'Events' array (keys: {shown})"
                )

    def _array(self, prefix: str) -> Iterator[_Element]:
        s = self.s
        index = 0
        while True:
            char = s.peek()
            if not char:
                raise _ParseStopError(f"the file ends inside the array after {index} element(s)")
            if char == "]":
                s.pos += 1
                return
            if index:
                s.expect(",", "',' or ']'")
                if not s.peek():
                    raise _ParseStopError(
                        f"the file ends inside the array after {index} element(s)"
                    )
            pointer = f"#{prefix}/{index}"
            try:
                element = _Element(pointer, s.value())
            except _BadValueError as exc:
                s.pos = exc.end
                element = _Element(pointer, None, str(exc))
            self.elements_read += 1
            index += 1
            yield element


# --------------------------------------------------------------------------- records


class _SkipError(Exception):
    def __init__(self, reason: SkipReason, message: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _text_field(record: Mapping[str, object], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        what = "missing" if value is None else f"not a non-empty string: {value!r:.60}"
        raise _SkipError(SkipReason.MALFORMED, f"{key} is {what}")
    return value


class _Converter:
    """Turn one decoded record into an :class:`AccessEvent` or a :class:`_SkipError`."""

    def __init__(
        self,
        namespace_map: Mapping[str, str | None],
        known_namespaces: frozenset[str] | None,
    ) -> None:
        self._map = namespace_map
        self._known = known_namespaces
        self._cache: dict[str, str | None] = {}

    def namespace(self, source: str) -> str | None:
        try:
            return self._cache[source]
        except KeyError:
            pass
        namespace = _resolve(source.lower(), self._map)
        if namespace is not None and self._known is not None and namespace not in self._known:
            namespace = None
        if len(self._cache) < 10_000:
            self._cache[source] = namespace
        return namespace

    def event(self, record: object) -> AccessEvent:
        if not isinstance(record, dict):
            raise _SkipError(
                SkipReason.MALFORMED, f"a record must be a JSON object, got {_json_type(record)}"
            )
        identity = record.get("userIdentity")
        if identity is None:
            raise _SkipError(SkipReason.UNAUTHENTICATED)
        if not isinstance(identity, dict):
            raise _SkipError(
                SkipReason.MALFORMED,
                f"userIdentity must be an object, got {_json_type(identity)}",
            )
        source = _text_field(record, "eventSource")
        raw_time = record.get("eventTime")
        if raw_time is None:
            raise _SkipError(SkipReason.MALFORMED, "eventTime is missing")
        try:
            time = _parse_time(raw_time, naive_is_utc=False)
        except ValueError as exc:
            raise _SkipError(SkipReason.MALFORMED, f"eventTime: {exc}") from None
        region = _text_field(record, "awsRegion")
        principal_type = identity.get("type")
        if principal_type == "AWSService":
            raise _SkipError(SkipReason.AWS_SERVICE)
        account = identity.get("accountId")
        if not AccountId.is_valid(account):
            raise _SkipError(SkipReason.UNAUTHENTICATED)
        namespace = self.namespace(source)
        if namespace is None:
            raise _SkipError(SkipReason.UNKNOWN_SERVICE, source)
        arn = identity.get("arn")
        return AccessEvent(
            account_id=account,  # type: ignore[arg-type]
            service_namespace=namespace,
            region=region,
            time=time,
            principal_type=principal_type if isinstance(principal_type, str) else None,
            principal_arn=arn if isinstance(arn, str) else None,
            denied=record.get("errorCode") is not None,
        )


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _unwrap_lookup_event(element: object) -> object:
    """The record inside one ``lookup-events`` element."""
    if not isinstance(element, dict):
        raise _SkipError(
            SkipReason.MALFORMED, f"an Events element must be an object, got {_json_type(element)}"
        )
    inner = element.get("CloudTrailEvent")
    if isinstance(inner, dict):
        return inner
    if not isinstance(inner, str):
        what = "missing" if inner is None else f"a {_json_type(inner)}, not a JSON string"
        raise _SkipError(SkipReason.MALFORMED, f"CloudTrailEvent is {what}")
    try:
        return json.loads(inner)
    except json.JSONDecodeError as exc:
        raise _SkipError(
            SkipReason.MALFORMED,
            f"CloudTrailEvent is not JSON ({exc.msg} at character {exc.pos}): {inner!r:.60}",
        ) from None


# --------------------------------------------------------------------------- the ingest


def _accept_log_name(name: str) -> bool:
    return _suffix_of(name) in (".json", ".json.gz")


class CloudTrailIngest:
    """CloudTrail input, read lazily: iterating yields the event of each counted record.

    Every iteration is a new pass that reads the files again (they may have
    changed) with new counters. :attr:`summary` is the summary of the last
    pass that ran to the end; before any pass has finished it raises
    :class:`IngestIncompleteError`. :attr:`partial_summary` shows the
    counters of the latest pass so far, finished or not (``complete`` says
    which).
    """

    def __init__(
        self,
        sources: tuple[SourcePath, ...],
        *,
        strict: bool,
        namespace_map: Mapping[str, str | None],
        known_namespaces: frozenset[str] | None,
        on_progress: ProgressCallback | None,
        max_problems: int,
    ) -> None:
        self.sources = sources
        self.strict = strict
        self._converter = _Converter(namespace_map, known_namespaces)
        self._on_progress = on_progress
        self._max_problems = max_problems
        self._summary: IngestSummary | None = None
        self._latest: _Pass | None = None

    @property
    def summary(self) -> IngestSummary:
        """The summary of the last complete pass."""
        if self._summary is None:
            raise IngestIncompleteError(
                "no pass over the CloudTrail input has finished yet: iterate the ingest to "
                "the end before reading its summary (or read partial_summary)"
            )
        return self._summary

    @property
    def partial_summary(self) -> IngestSummary:
        """The counters of the latest pass so far (``complete=False`` until it ends)."""
        run = self._latest
        if run is None:
            return IngestSummary(complete=False)
        return run.summary(complete=run.done)

    def __iter__(self) -> Iterator[AccessEvent]:
        run = _Pass(self._max_problems)
        self._latest = run
        for path in _walk_files(self.sources, _accept_log_name, run, self.strict):
            yield from self._read_file(path, run)
            run.files_done += 1
            if self._on_progress is not None:
                self._on_progress(run.files_done, run.records_read)
        run.done = True
        self._summary = run.summary(complete=True)

    def _read_file(self, path: str, run: _Pass) -> Iterator[AccessEvent]:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the ``with`` below, across yields
        except OSError as exc:
            _fail(run, self.strict, path, f"cannot open: {exc.strerror or exc}")
            return
        with fh:
            reader = _FileReader(_TextStream(_byte_chunks(fh)))
            converter = self._converter
            progress = self._on_progress
            for element in reader.elements():
                run.records_read += 1
                try:
                    if element.error is not None:
                        raise _SkipError(SkipReason.MALFORMED, element.error)
                    record = element.value
                    if element.pointer.startswith("#/Events/"):
                        record = _unwrap_lookup_event(record)
                    event = converter.event(record)
                except _SkipError as skip:
                    run.skipped[skip.reason] += 1
                    if skip.reason is SkipReason.MALFORMED:
                        _fail(run, self.strict, path + element.pointer, skip.message)
                    elif skip.reason is SkipReason.UNKNOWN_SERVICE:
                        run.unknown_sources[skip.message] += 1
                else:
                    run.counted += 1
                    yield event
                if progress is not None and run.records_read % _PROGRESS_EVERY == 0:
                    progress(run.files_done, run.records_read)
        if reader.is_digest and reader.problem is None and not reader.elements_read:
            run.ignored_files.append(path)
        else:
            run.files_read += 1
        if reader.problem is not None:
            _fail(run, self.strict, path, reader.problem)

    def __repr__(self) -> str:
        return f"<CloudTrailIngest of {len(self.sources)} source(s), strict={self.strict}>"


def read_cloudtrail(
    *sources: SourcePath,
    strict: bool = False,
    namespace_map: Mapping[str, str | None] | None = None,
    known_namespaces: Collection[str] | None = None,
    on_progress: ProgressCallback | None = None,
    max_problems: int = _DEFAULT_MAX_PROBLEMS,
) -> CloudTrailIngest:
    """Read CloudTrail log files and directories lazily (see the module documentation).

    ``on_progress(files_done, records_read)`` is called after each file and
    every 10,000 records. Nothing is read until the result is iterated.
    """
    if known_namespaces is not None and isinstance(known_namespaces, str):
        raise IngestError(
            f"known_namespaces must be a collection of namespaces, not the string "
            f"{known_namespaces!r:.60}"
        )
    if not isinstance(max_problems, int) or max_problems < 0:
        raise IngestError(f"max_problems must be a non-negative int, got {max_problems!r}")
    return CloudTrailIngest(
        sources,
        strict=strict,
        namespace_map=_check_namespace_map(namespace_map),
        known_namespaces=None if known_namespaces is None else frozenset(known_namespaces),
        on_progress=on_progress,
        max_problems=max_problems,
    )
