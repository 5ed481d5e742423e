"""The ingest core shared by every activity reader (CloudTrail files, aggregated rows).

One skip vocabulary (:class:`SkipReason`), one summary type
(:class:`IngestSummary`, the same field names for every reader), one set of
option checks (:func:`read_options`), one walk over files and directories
(:func:`walk_files`) and one way to open a file's bytes, gunzipped when its
content says so (:func:`byte_chunks`). Private to :mod:`orgaccess.formats`;
the public names are re-exported by the reader modules.
"""

from __future__ import annotations

import enum
import os
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import BinaryIO, Final, TypeAlias

import attrs

from ..errors import IngestError, Problem
from ..model.catalog import default_catalog
from ..model.ids import AccountId
from ._namespaces import check_namespace_map

__all__ = [
    "DEFAULT_MAX_PROBLEMS",
    "MAX_UNKNOWN_SOURCES",
    "IngestSummary",
    "KnownValues",
    "ProgressCallback",
    "ReadError",
    "ReadOptions",
    "SkipError",
    "SkipReason",
    "SourcePath",
    "Tally",
    "byte_chunks",
    "read_options",
    "walk_files",
]

SourcePath: TypeAlias = "str | os.PathLike[str]"
ProgressCallback: TypeAlias = Callable[[int, int], object]

DEFAULT_MAX_PROBLEMS: Final = 1000
#: Distinct unknown sources counted by name; the rest are counted under ``"(others)"``.
MAX_UNKNOWN_SOURCES: Final = 1000
_OTHERS: Final = "(others)"
_RAW_BLOCK: Final = 1 << 16
_GZIP_MAGIC: Final = b"\x1f\x8b"


class SkipReason(enum.StrEnum):
    """Why a record (or an aggregated row) was not counted."""

    #: no authenticated principal: no ``userIdentity``, or no 12-digit ``accountId``
    UNAUTHENTICATED = "UNAUTHENTICATED"
    #: ``userIdentity.type == "AWSService"``: a call an AWS service made itself
    AWS_SERVICE = "AWS_SERVICE"
    #: no principal made it: a service event (``eventType: AwsServiceEvent``) or an
    #: AWS-internal call (``userIdentity`` without a ``type``)
    NO_PRINCIPAL = "NO_PRINCIPAL"
    #: the eventSource maps to no IAM namespace, or to one the catalog does not have
    UNKNOWN_SERVICE = "UNKNOWN_SERVICE"
    #: not a record: wrong type, a required field missing or invalid
    MALFORMED = "MALFORMED"


def _frozen_counts(counts: Mapping[SkipReason, int]) -> Mapping[SkipReason, int]:
    return MappingProxyType({reason: int(counts.get(reason, 0)) for reason in SkipReason})


def _frozen_mapping(counts: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(sorted(counts.items())))


@attrs.frozen(kw_only=True)
class IngestSummary:
    """What one pass over activity input did with every file and record.

    The same type for CloudTrail records and aggregated rows (a row is a
    record here). ``skipped`` has every :class:`SkipReason` as a key (0 when
    none), and ``counted + sum(skipped.values()) == records_read`` always
    holds. ``unknown_sources`` counts the records skipped as
    ``UNKNOWN_SERVICE`` by eventSource (or by namespace, for rows); past
    :data:`MAX_UNKNOWN_SOURCES` distinct names the rest are counted under
    ``"(others)"``. ``after_until`` counts counted records that the index
    dropped as later than its ``until``. ``complete`` is false for a partial
    summary taken during a pass.
    """

    files_read: int = 0
    files_ignored: int = 0
    records_read: int = 0
    counted: int = 0
    skipped: Mapping[SkipReason, int] = attrs.field(factory=dict, converter=_frozen_counts)
    after_until: int = 0
    problems: tuple[Problem, ...] = ()
    problems_omitted: int = 0
    ignored_files: tuple[str, ...] = ()
    unknown_sources: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_mapping)
    complete: bool = True

    @property
    def skipped_total(self) -> int:
        """Records not counted, whatever the reason."""
        return sum(self.skipped.values())


@attrs.frozen(kw_only=True)
class ReadOptions:
    """The checked options every reader takes."""

    strict: bool
    namespace_map: Mapping[str, str | None]
    #: the namespaces a record may count for (``None`` given: the default catalog's)
    known_namespaces: frozenset[str]
    max_problems: int


def read_options(
    *,
    strict: bool,
    namespace_map: Mapping[str, str | None] | None,
    known_namespaces: Collection[str] | None,
    max_problems: int,
) -> ReadOptions:
    """Check a reader's options; an :class:`~orgaccess.errors.IngestError` names a bad one."""
    if not isinstance(strict, bool):
        raise IngestError(f"strict must be True or False, got {strict!r:.60}")
    if isinstance(known_namespaces, str):
        raise IngestError(
            f"known_namespaces must be a collection of namespaces, not the string "
            f"{known_namespaces!r:.60}"
        )
    if isinstance(max_problems, bool) or not isinstance(max_problems, int) or max_problems < 0:
        raise IngestError(f"max_problems must be a non-negative int, got {max_problems!r:.60}")
    return ReadOptions(
        strict=strict,
        namespace_map=check_namespace_map(namespace_map),
        known_namespaces=(
            default_catalog().namespaces
            if known_namespaces is None
            else frozenset(known_namespaces)
        ),
        max_problems=max_problems,
    )


class SkipError(Exception):
    """One record that is not counted, and why."""

    def __init__(self, reason: SkipReason, message: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class KnownValues:
    """Values a read has already checked, so that each is checked once (bounded).

    Shared by the pure converter and the fast path of one read: account ids
    (text -> :class:`~orgaccess.model.ids.AccountId`) and regions without blanks.
    Past :attr:`LIMIT` entries new values are still checked, just not kept.
    """

    __slots__ = ("accounts", "regions")
    LIMIT: Final = 1 << 16

    def __init__(self) -> None:
        self.accounts: dict[str, AccountId] = {}
        self.regions: set[str] = set()

    def account(self, text: object) -> AccountId | None:
        """``text`` as an account id, or ``None`` if it is not 12 ASCII digits."""
        if type(text) is not str:
            return None
        found = self.accounts.get(text)
        if found is None and AccountId.is_valid(text):
            found = AccountId(text)
            if len(self.accounts) < self.LIMIT:
                self.accounts[text] = found
        return found

    def region(self, region: str) -> bool:
        """Whether ``region`` is non-empty and has no blank (kept if so)."""
        if region in self.regions:
            return True
        if not region or any(ch.isspace() for ch in region):
            return False
        if len(self.regions) < self.LIMIT:
            self.regions.add(region)
        return True


class ReadError(Exception):
    """A file whose bytes cannot all be read (truncated or corrupt compressed data)."""


class Tally:
    """The mutable counters of one pass, frozen into an :class:`IngestSummary` at the end."""

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self.files_read = 0
        self.files_done = 0
        self.ignored_files: list[str] = []
        self.records_read = 0
        self.counted = 0
        self.skipped: Counter[SkipReason] = Counter()
        self.problems: list[Problem] = []
        self.problems_omitted = 0
        self.unknown: Counter[str] = Counter()
        self.done = False

    def fail(self, location: str, message: str) -> None:
        """A problem at ``location``: raised when strict, else kept (up to the limit)."""
        if self.options.strict:
            raise IngestError(f"{location}: {message}")
        if len(self.problems) < self.options.max_problems:
            self.problems.append(Problem(location=location, message=message))
        else:
            self.problems_omitted += 1

    def skip(self, skip: SkipError, location: str) -> None:
        """Count a record that is not counted; a malformed one is also a problem."""
        self.skipped[skip.reason] += 1
        if skip.reason is SkipReason.MALFORMED:
            self.fail(location, skip.message)
        elif skip.reason is SkipReason.UNKNOWN_SERVICE:
            name = skip.message
            if name not in self.unknown and len(self.unknown) >= MAX_UNKNOWN_SOURCES:
                name = _OTHERS
            self.unknown[name] += 1

    def summary(self, *, complete: bool = True, after_until: int = 0) -> IngestSummary:
        return IngestSummary(
            files_read=self.files_read,
            files_ignored=len(self.ignored_files),
            records_read=self.records_read,
            counted=self.counted,
            skipped=self.skipped,
            after_until=after_until,
            problems=tuple(self.problems),
            problems_omitted=self.problems_omitted,
            ignored_files=tuple(self.ignored_files),
            unknown_sources=self.unknown,
            complete=complete,
        )


def walk_files(
    sources: Iterable[SourcePath], accept: Callable[[str], bool], tally: Tally
) -> Iterator[str]:
    """Every file to read, in a deterministic order; others are counted as ignored.

    Directories are searched recursively in name order; a file there is read
    when ``accept(name)``; other entries (another name, a link to a directory,
    a broken link, a socket) are ignored files. A file named explicitly is
    read whatever its name. The same file reached twice (by name, through a
    directory, a symbolic or a hard link) is read once. A source that does not
    exist is a problem.
    """
    seen: set[tuple[int, int] | str] = set()

    def once(path: str) -> bool:
        try:
            info = os.stat(path)
            key: tuple[int, int] | str = (info.st_dev, info.st_ino)
        except OSError:
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
            tally.fail(directory, f"cannot list directory: {exc.strerror or exc}")
            return
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()
            except OSError as exc:
                tally.fail(entry.path, f"cannot stat: {exc.strerror or exc}")
                continue
            if is_dir:
                yield from walk(entry.path)
            elif is_file and accept(entry.name):
                if once(entry.path):
                    yield entry.path
            else:
                tally.ignored_files.append(entry.path)

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
        elif os.path.exists(path):
            tally.fail(path, "not a regular file or directory (a FIFO, device or socket)")
        else:
            tally.fail(path, "no such file or directory")


def byte_chunks(fh: BinaryIO) -> Iterator[bytes]:
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
        raise ReadError(f"corrupt gzip data ({exc})") from None
    if fed:
        raise ReadError("the gzip stream ends before its end marker (truncated file?)")
