"""Read CloudTrail logs into access events, streaming, with every record accounted for.

:func:`read_cloudtrail` takes log files and directories and returns a
:class:`CloudTrailIngest`; iterating it yields one
:class:`~orgaccess.model.events.AccessEvent` per counted record. After a full pass,
:attr:`CloudTrailIngest.summary` says what happened to every record
(``counted + sum(skipped.values()) == records_read``):

>>> import json, pathlib, tempfile
>>> record = {"eventSource": "s3.amazonaws.com", "eventTime": "2026-10-01T12:00:00Z",
...           "awsRegion": "eu-west-1",
...           "userIdentity": {"type": "IAMUser", "accountId": "777788889999"}}
>>> service = {**record, "userIdentity": {"type": "AWSService"}}
>>> with tempfile.TemporaryDirectory() as scratch:
...     log = pathlib.Path(scratch, "trail.json")
...     _ = log.write_text(json.dumps({"Records": [record, service]}))
...     ingest = read_cloudtrail(log, known_namespaces=frozenset({"s3"}))
...     events = list(ingest)
>>> [(e.account_id, e.service_namespace, e.region) for e in events]
[(AccountId('777788889999'), 's3', 'eu-west-1')]
>>> summary = ingest.summary
>>> summary.records_read, summary.counted, summary.skipped_total
(2, 1, 1)

Inputs
------
* Paths are files or directories. Directories are searched recursively in
  sorted order; files named ``*.json``, ``*.jsonl`` or ``*.ndjson`` (each
  optionally ``.gz``) are read, every other entry (another name, a symbolic
  link to a directory, which is not followed, a broken link) is counted in
  ``files_ignored`` and listed in ``ignored_files``. A file named explicitly
  is read whatever its name (``records.txt``). The same file reached twice
  (by name, through a directory, through a link) is read once.
* Compression is decided by content, not by name: a file starting with the
  gzip magic bytes is decompressed (several gzip members in a row are read
  one after another), anything else is read as UTF-8 JSON.
* Shapes, decided by content and which may follow one another in one file
  (concatenated JSON documents, e.g. several pages of ``lookup-events`` output):

  - ``{"Records": [record, ...]}``, the log file CloudTrail delivers;
  - ``{"Events": [{"CloudTrailEvent": "<record as JSON text>", ...}, ...]}``,
    the output of ``aws cloudtrail lookup-events`` (``CloudTrailEvent`` may
    also be the record object itself);
  - ``[record, ...]``, a bare list of records (what ``jq .Records`` gives);
  - records one after another, typically one per line (newline-delimited
    JSON, as many tools export them). A top-level object with a CloudTrail
    record key (``eventVersion``, ``eventSource``, ``eventTime``,
    ``eventName``, ``userIdentity``, ``awsRegion``, ``eventID``, in any case)
    is a record; once a file has held a record, every later top-level object
    is a record too, so one odd line is one ``MALFORMED`` record, never the
    end of the file.

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
2. ``eventType`` is ``AwsServiceEvent`` (a service event: KMS key rotation,
   Organizations ``CreateAccountResult`` ...) or ``AwsCloudTrailInsight``:
   ``NO_PRINCIPAL``, whatever ``userIdentity`` says. This comes before the
   field checks because an Insights record has no top-level ``eventSource``;
3. ``eventSource`` missing or not a non-empty string: ``MALFORMED``;
4. ``eventTime`` missing or not an ISO 8601 date and time: ``MALFORMED``;
5. ``awsRegion`` missing, not a non-empty string, or with a blank: ``MALFORMED``;
6. ``userIdentity`` present, not null and not an object: ``MALFORMED``;
7. no ``userIdentity`` (or null): ``UNAUTHENTICATED``;
8. ``userIdentity.type == "AWSService"``: ``AWS_SERVICE``;
9. ``userIdentity.type`` missing or not a non-empty string (AWS-internal
   calls, ``{"accountId": ..., "invokedBy": "AWS Internal"}``):
   ``NO_PRINCIPAL``, with or without an ``accountId``;
10. a failed console sign-in (``eventName`` ``ConsoleLogin`` with
    ``responseElements.ConsoleLogin == "Failure"``): ``UNAUTHENTICATED``,
    whatever account it names: a failed password establishes no principal,
    and AWS does not report unauthenticated requests;
11. ``userIdentity.accountId`` missing or not 12 ASCII digits (``"anonymous"``;
    SAML / web-identity federation records, which carry no account):
    ``UNAUTHENTICATED``;
12. ``eventSource`` maps to no namespace, or to one outside
    ``known_namespaces``: ``UNKNOWN_SERVICE``;
13. otherwise the record is counted.

A counted record becomes ``AccessEvent(account_id=userIdentity.accountId,
service_namespace=<mapped>, region=awsRegion, time=eventTime,
principal_type=userIdentity.type, principal_arn=userIdentity.arn,
denied=<errorCode present and not null>)``.

``eventTime`` may carry any explicit zone (``Z``, ``+02:00``, ``+0200``,
``+02``) and is converted to UTC; a time without a zone
(``2022-11-15 23:05:21``, as SIEM exports write it) is UTC, the same rule as
the aggregated-row reader's; a blank may stand for the ``T``; fractions beyond
microseconds are cut.

``invokedBy`` does not matter for a typed principal: a call a service made on
a principal's behalf (``invokedBy`` a service, or ``"AWS Internal"``) counts
for that principal (semantics section 4), and a record with an ``errorCode``
(denied or failed) counts as an attempt. Every ``userIdentity.type`` other
than ``AWSService`` (``Root``, ``IAMUser``, ``AssumedRole``, ``Role``,
``FederatedUser``, ``Directory``, ``AWSAccount``, ``IdentityCenterUser``,
``Unknown``, ``SAMLUser``, ``WebIdentityUser``) counts exactly when it carries
a 12-digit ``accountId``. The tracking window is not applied here; it belongs
to each report.

These rules are checked against a corpus of real records from public sources
(``tests/data/cloudtrail/real``) whose expected outcomes are derived
independently of this module.

eventSource → IAM namespace
---------------------------
AWS publishes no table. :data:`EVENT_SOURCE_NAMESPACES` is generated from
botocore's service models held against the IAM catalog, plus reviewed
exceptions (``scripts/gen_event_sources.py``; see
:doc:`/explanation/event-sources`). The source must end in
``.amazonaws.com``; the *stem* before that suffix is looked up whole, in lower
case, and nothing is guessed: a stem the table does not hold has no
namespace. ``signin`` maps to ``signin`` (the IAM catalog has ``signin:``
actions); ``pinpoint`` to ``mobiletargeting``; ``iotevents``, ``codestar`` and
``macie`` were reviewed and have none.

``namespace_map`` extends or overrides the table. Its keys are a full
eventSource (``"myapp.example.com"``, which need not end in
``.amazonaws.com``), a stem (``"runtime.lex"``) or a stem's first label; a
value of ``None`` skips the source as ``UNKNOWN_SERVICE``. The caller's map
comes first (full source, then stem, then first label), then the table by
stem. Sources are compared in lower case.

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
as ``UNAUTHENTICATED``, ``AWS_SERVICE``, ``NO_PRINCIPAL`` or
``UNKNOWN_SERVICE`` are not problems, only counted (unknown sources per
eventSource in ``unknown_sources``), and never raise.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import datetime
from typing import Final, TypeVar

from .._time import parse_instant
from ..errors import IngestIncompleteError, InvalidTimeError
from ..model.events import AccessEvent, CheckedAttempt
from ..model.ids import AccountId
from ._ingest import (
    DEFAULT_MAX_PROBLEMS,
    IngestSummary,
    KnownValues,
    ProgressCallback,
    ReadOptions,
    SkipError,
    SkipReason,
    SourcePath,
    Tally,
    byte_chunks,
    read_options,
    walk_files,
)
from ._jsonstream import CHUNK_CHARS, ELEMENT, IGNORE, JsonArrayReader, TextStream, loads
from ._namespaces import EVENT_SOURCE_NAMESPACES, namespace_for_event_source, resolve_namespace

__all__ = [
    "CHUNK_CHARS",
    "EVENT_SOURCE_NAMESPACES",
    "CloudTrailIngest",
    "IngestSummary",
    "SkipReason",
    "namespace_for_event_source",
    "read_cloudtrail",
]

_PROGRESS_EVERY: Final = 10_000
_T = TypeVar("_T")
_LOG_KEYS: Final = ("Records", "Events")


# --------------------------------------------------------------------------- records


def _text_field(record: Mapping[str, object], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        what = "missing" if value is None else f"not a non-empty string: {value!r:.60}"
        raise SkipError(SkipReason.MALFORMED, f"{key} is {what}")
    return value


class _Converter:
    """Turn one decoded record into an :class:`AccessEvent` or a :class:`SkipError`."""

    def __init__(self, options: ReadOptions) -> None:
        self._map = options.namespace_map
        self._known = options.known_namespaces
        self._cache: dict[str, str | None] = {}
        #: values already checked (shared with the fast path of the same read)
        self.known = KnownValues()

    def namespace(self, source: str) -> str | None:
        try:
            return self._cache[source]
        except KeyError:
            pass
        namespace = resolve_namespace(source.lower(), self._map)
        if namespace is not None and namespace not in self._known:
            namespace = None
        if len(self._cache) < 10_000:
            self._cache[source] = namespace
        return namespace

    def event(self, record: object) -> AccessEvent:
        """The event of one record, or a :class:`SkipError` saying why there is none."""
        checked, identity, account, principal_type, namespace, time, region = self._check(record)
        arn = identity.get("arn")
        return AccessEvent(
            account_id=account,
            service_namespace=namespace,
            region=region,
            time=time,
            principal_type=principal_type,
            principal_arn=arn if isinstance(arn, str) else None,
            denied=checked.get("errorCode") is not None,
        )

    def attempt(self, record: object) -> CheckedAttempt:
        """What an index keeps of :meth:`event`'s event (same checks, no event built)."""
        _, _, account, _, namespace, time, region = self._check(record)
        return CheckedAttempt(account, namespace, time, region)

    def _check(
        self, record: object
    ) -> tuple[dict[str, object], dict[str, object], AccountId, str, str, datetime, str]:
        """The rules of semantics section 4, in their order (a broken record is MALFORMED)."""
        if not isinstance(record, dict):
            raise SkipError(
                SkipReason.MALFORMED, f"a record must be a JSON object, got {_json_type(record)}"
            )
        if record.get("eventType") in _NO_PRINCIPAL_EVENT_TYPES:
            raise SkipError(SkipReason.NO_PRINCIPAL)
        source = _text_field(record, "eventSource")
        time = _event_time(record)
        region = record.get("awsRegion")
        if type(region) is not str or not self.known.region(region):
            region = _region(record)  # raises, wording the problem
        identity = record.get("userIdentity")
        if identity is not None and not isinstance(identity, dict):
            raise SkipError(
                SkipReason.MALFORMED,
                f"userIdentity must be an object, got {_json_type(identity)}",
            )
        if identity is None:
            raise SkipError(SkipReason.UNAUTHENTICATED)
        account, principal_type = _principal(record, identity, self.known)
        namespace = self.namespace(source)
        if namespace is None:
            raise SkipError(SkipReason.UNKNOWN_SERVICE, source[:200])
        return record, identity, account, principal_type, namespace, time, region


def _region(record: Mapping[str, object]) -> str:
    region = _text_field(record, "awsRegion")
    if any(ch.isspace() for ch in region):
        raise SkipError(SkipReason.MALFORMED, f"awsRegion has a blank: {region!r:.60}")
    return region


def _event_time(record: Mapping[str, object]) -> datetime:
    raw_time = record.get("eventTime")
    if raw_time is None:
        raise SkipError(SkipReason.MALFORMED, "eventTime is missing")
    try:
        return parse_instant(raw_time, naive="utc")
    except InvalidTimeError as exc:
        raise SkipError(SkipReason.MALFORMED, f"eventTime: {exc}") from None


def _failed_sign_in(record: Mapping[str, object]) -> bool:
    response = record.get("responseElements")
    return (
        record.get("eventName") == "ConsoleLogin"
        and isinstance(response, dict)
        and response.get("ConsoleLogin") == "Failure"
    )


def _principal(
    record: Mapping[str, object], identity: Mapping[str, object], known: KnownValues
) -> tuple[AccountId, str]:
    """The account and type of the principal that made the attempt, or why there is none."""
    principal_type = identity.get("type")
    if principal_type == "AWSService":
        raise SkipError(SkipReason.AWS_SERVICE)
    if not isinstance(principal_type, str) or not principal_type:
        raise SkipError(SkipReason.NO_PRINCIPAL)  # AWS-internal calls, service events
    account = known.account(identity.get("accountId"))
    if account is None or _failed_sign_in(record):
        raise SkipError(SkipReason.UNAUTHENTICATED)
    return account, principal_type


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _unwrap_lookup_event(element: object) -> object:
    """The record inside one ``lookup-events`` element."""
    if not isinstance(element, dict):
        raise SkipError(
            SkipReason.MALFORMED, f"an Events element must be an object, got {_json_type(element)}"
        )
    inner = element.get("CloudTrailEvent")
    if isinstance(inner, dict):
        return inner
    if not isinstance(inner, str):
        what = "missing" if inner is None else f"a {_json_type(inner)}, not a JSON string"
        raise SkipError(SkipReason.MALFORMED, f"CloudTrailEvent is {what}")
    try:
        return loads(inner)  # bounded like the file's own JSON (number size, depth)
    except ValueError as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise SkipError(
            SkipReason.MALFORMED, f"CloudTrailEvent is not JSON ({reason}): {inner!r:.60}"
        ) from None


# --------------------------------------------------------------------------- the ingest


def _accept_log_name(name: str) -> bool:
    return name.lower().removesuffix(".gz").endswith((".json", ".jsonl", ".ndjson"))


#: Records that no principal made: service events and CloudTrail Insights events.
_NO_PRINCIPAL_EVENT_TYPES: Final = ("AwsServiceEvent", "AwsCloudTrailInsight")
_RECORD_KEYS: Final = frozenset(
    {
        "eventversion",
        "eventsource",
        "eventtime",
        "eventname",
        "useridentity",
        "awsregion",
        "eventid",
    }
)


class _Classifier:
    """Judge the top-level objects of one file that are not a log: record, digest, or neither.

    An object with a CloudTrail record key (in any case, so that a record whose
    keys a tool lower-cased is still a record, and is then malformed) is a
    record of a newline-delimited file. Once a file has held a record, every
    later object is a record too: one bad line of a newline-delimited file is
    a malformed record, never the end of the file.
    """

    __slots__ = ("records_seen",)

    def __init__(self) -> None:
        self.records_seen = False

    def __call__(self, document: dict[str, object]) -> str:
        if self.records_seen or any(
            isinstance(key, str) and key.lower() in _RECORD_KEYS for key in document
        ):
            self.records_seen = True
            return ELEMENT
        if {"logFiles", "digestStartTime"} <= document.keys():
            return IGNORE
        shown = ", ".join(sorted(document)[:8]) or "none"
        return f"not CloudTrail: no 'Records' or 'Events' array and not a record (keys: {shown})"


class CloudTrailIngest:
    """CloudTrail input, read lazily: iterating yields the event of each counted record.

    Every iteration is a new pass that reads the files again (they may have
    changed) with new counters. :attr:`summary` is the summary of the last
    pass that ran to the end; before any pass has finished it raises
    :class:`~orgaccess.errors.IngestIncompleteError`. :attr:`partial_summary`
    shows the counters of the latest pass so far, finished or not
    (``complete`` says which).
    """

    def __init__(
        self,
        sources: tuple[SourcePath, ...],
        options: ReadOptions,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.sources = sources
        self.options = options
        self._converter = _Converter(options)
        self._on_progress = on_progress
        self._summary: IngestSummary | None = None
        self._latest: Tally | None = None

    @property
    def strict(self) -> bool:
        """Whether the first problem raises."""
        return self.options.strict

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
        run = Tally(self.options)
        self._latest = run
        for path in walk_files(self.sources, _accept_log_name, run):
            yield from self._read_file(path, run, self._converter.event)
            run.files_done += 1
            if self._on_progress is not None:
                self._on_progress(run.files_done, run.records_read)
        run.done = True
        self._summary = run.summary(complete=True)

    def _read_file(self, path: str, run: Tally, make: Callable[[object], _T]) -> Iterator[_T]:
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed by the ``with`` below, across yields
        except OSError as exc:
            run.fail(path, f"cannot open: {exc.strerror or exc}")
            return
        with fh:
            reader = JsonArrayReader(TextStream(byte_chunks(fh)), _LOG_KEYS, _Classifier())
            progress = self._on_progress
            for element in reader.elements():
                run.records_read += 1
                try:
                    if element.error is not None:
                        raise SkipError(SkipReason.MALFORMED, element.error)
                    record = element.value
                    if element.pointer.startswith("#/Events/"):
                        record = _unwrap_lookup_event(record)
                    event = make(record)
                except SkipError as skip:
                    run.skip(skip, path + element.pointer)
                else:
                    run.counted += 1
                    yield event
                if progress is not None and run.records_read % _PROGRESS_EVERY == 0:
                    progress(run.files_done, run.records_read)
        if reader.ignored_documents and reader.problem is None and not reader.elements_read:
            run.ignored_files.append(path)
        else:
            run.files_read += 1
        if reader.problem is not None:
            run.fail(path, reader.problem)

    def __repr__(self) -> str:
        return f"<CloudTrailIngest of {len(self.sources)} source(s), strict={self.strict}>"


def read_cloudtrail(
    *sources: SourcePath,
    strict: bool = False,
    namespace_map: Mapping[str, str | None] | None = None,
    known_namespaces: Collection[str] | None = None,
    on_progress: ProgressCallback | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
) -> CloudTrailIngest:
    """Read CloudTrail log files and directories lazily (see the module documentation).

    ``on_progress(files_done, records_read)`` is called after each file and
    every 10,000 records. Nothing is read until the result is iterated.
    """
    options = read_options(
        strict=strict,
        namespace_map=namespace_map,
        known_namespaces=known_namespaces,
        max_problems=max_problems,
    )
    return CloudTrailIngest(sources, options, on_progress)
