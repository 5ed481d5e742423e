"""A streaming reader of the elements of large JSON arrays, in bounded memory.

Log files hold one large array (``{"Records": [...]}``); this reads it one
element at a time from chunks of at most :data:`CHUNK_CHARS` characters, so
memory holds one chunk plus the largest single element. Several JSON
documents may follow one another in one file. An element that is complete
but not valid JSON (or nested deeper than Python's decoder allows, or with a
number longer than :data:`MAX_NUMBER_CHARS`) is reported in its
:class:`Element` and reading resumes after it. An element longer than
:data:`MAX_ELEMENT_CHARS` is reported the same way without ever being held
whole: once the text buffered from its start passes the bound, the reader
only scans on (tracking strings and brackets chunk by chunk, discarding the
text) to the element's end. Text that is not UTF-8 ends the file at the
exact byte, and every element before it is kept. :meth:`TextStream.lines`
reads lines under the same bound (the aggregated-row reader's input).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from typing import Final, NoReturn

import attrs

from ._ingest import ReadError

__all__ = [
    "CHUNK_CHARS",
    "ELEMENT",
    "IGNORE",
    "MAX_ELEMENT_CHARS",
    "MAX_NUMBER_CHARS",
    "Element",
    "JsonArrayReader",
    "TextStream",
    "loads",
]

#: Characters decoded per read; the parse buffer holds about this much plus one element.
CHUNK_CHARS: Final = 1 << 18
#: The longest element (record) or line read, in characters (4 Mi); a longer one is
#: skipped as malformed, scanned past in bounded memory. CloudTrail events are far smaller.
MAX_ELEMENT_CHARS: Final = 4 << 20
#: The longest JSON number accepted, in characters (a longer one makes its value invalid).
MAX_NUMBER_CHARS: Final = 100

_WS = re.compile(r"[ \t\n\r]*")
_EOL = re.compile(r"\r\n?|\n")
# a whole string (escapes included), a bracket, or the quote of a string that the buffer cuts
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}"]', re.DOTALL)
_STRING_STOP = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[,\]}\s]")
_FIRST_KEY = re.compile(r'\{[ \t\n\r]*"([^"\\]{0,64})"')


def _number_text(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters (the limit is {MAX_NUMBER_CHARS})")


def _parse_int(text: str) -> int:
    _number_text(text)
    return int(text)


def _parse_float(text: str) -> float:
    _number_text(text)
    return float(text)


_DECODER = json.JSONDecoder(parse_int=_parse_int, parse_float=_parse_float)


def loads(text: str) -> object:
    """``json.loads`` with the bounds of this module: numbers of at most
    :data:`MAX_NUMBER_CHARS` characters, and nesting that exhausts the
    recursion limit reported as a ``ValueError`` (a :class:`json.JSONDecodeError`
    for text that is not JSON), never a ``RecursionError``.
    """
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


#: :class:`JsonArrayReader` ``classify`` verdicts.
ELEMENT: Final = "element"
IGNORE: Final = "ignore"
_BOM: Final = b"\xef\xbb\xbf"


class BadValueError(Exception):
    """One JSON value that is complete but not valid; parsing resumes after it."""

    def __init__(self, message: str, end: int) -> None:
        super().__init__(message)
        self.end = end


class ParseStopError(Exception):
    """The file cannot be parsed further (broken structure or early end)."""


def _value_end(buf: str, pos: int) -> int | None:
    """Where the JSON value starting at ``pos`` ends, judged by brackets and strings only.

    ``None`` when the buffer ends first. Used to tell an invalid value from
    one that is not all read yet, and a long value that is still incomplete.
    """
    if buf[pos] not in '[{"':
        match = _SCALAR_END.search(buf, pos)
        return None if match is None else match.start()
    depth = 0
    i = pos
    while True:
        match = _TOKEN.search(buf, i)
        if match is None:
            return None
        token = match.group()
        i = match.end()
        if token[0] == '"':
            if len(token) == 1:  # a string that goes on past the buffer
                return None
            if depth == 0:
                return i
        elif token in "[{":
            depth += 1
        else:
            depth -= 1
            if depth <= 0:
                return i


def _utf8_boundary(data: bytes) -> int:
    """The length of the longest prefix of ``data`` that ends on a whole UTF-8 character."""
    end = len(data)
    i = end - 1
    while i >= 0 and end - i <= 3 and data[i] & 0xC0 == 0x80:
        i -= 1
    if i < 0:
        return end
    lead = data[i]
    need = 1 if lead < 0x80 else 2 if lead >> 5 == 6 else 3 if lead >> 4 == 14 else 4
    return i if i + need > end else end


class TextStream:
    """Decoded text of one file, read chunk by chunk; ``buf[pos:]`` is unparsed."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self._bytes_decoded = 0
        self._first = True
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.offset = 0  # characters dropped before ``buf``
        self.error: str | None = None

    def where(self) -> str:
        return f"character {self.offset + self.pos}"

    def _decode(self, chunk: bytes | None) -> str:
        data = self._pending + (chunk or b"")
        if self._first and (len(data) >= len(_BOM) or chunk is None):
            self._first = False
            if data.startswith(_BOM):
                data = data[len(_BOM) :]
                self._bytes_decoded += len(_BOM)
        cut = len(data) if chunk is None else _utf8_boundary(data)
        try:
            text = data[:cut].decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = self._bytes_decoded + exc.start
            self.error = f"not UTF-8 text ({exc.reason}) at byte {byte}"
            self.eof = True
            return data[: exc.start].decode("utf-8")
        self._bytes_decoded += cut
        self._pending = data[cut:]
        return text

    def more(self) -> bool:
        """Read more text (at least as much as is buffered); ``False`` at the end."""
        if self.eof:
            return False
        if self.pos:
            self.offset += self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        # Double the buffer (few re-parses of a long element), but never past the bound.
        want = max(CHUNK_CHARS, min(len(self.buf), MAX_ELEMENT_CHARS - len(self.buf)))
        parts = [self.buf]
        got = 0
        try:
            while got < want and not self.eof:
                chunk = next(self._chunks, None)
                text = self._decode(chunk)
                if chunk is None:
                    self.eof = True
                parts.append(text)
                got += len(text)
        except ReadError as exc:
            self.error, self.eof = str(exc), True
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
            raise ParseStopError(f"expected {what} at {self.where()}, found {shown}")
        self.pos += 1

    def value(self) -> object:
        """Decode the JSON value at the cursor (call :meth:`peek` first)."""
        while True:
            buf, pos = self.buf, self.pos
            if len(buf) - pos > 2 * CHUNK_CHARS and _value_end(buf, pos) is None:
                # long and not all read: do not build a partial value just to throw it away
                if len(buf) - pos > MAX_ELEMENT_CHARS:
                    self.skip_value()  # raises
                if self.more():
                    continue
                raise ParseStopError(
                    f"the file ends inside a value starting at {self.where()} (truncated?)"
                )
            try:
                obj, end = _DECODER.raw_decode(buf, pos)
            except (json.JSONDecodeError, RecursionError, ValueError) as exc:
                end_guess = _value_end(buf, pos)
                if end_guess is None and len(buf) - pos > MAX_ELEMENT_CHARS:
                    self.skip_value()  # raises
                if end_guess is None and self.more():
                    continue
                if end_guess is None:
                    raise ParseStopError(
                        f"the file ends inside a value starting at {self.where()} (truncated?)"
                    ) from None
                raise BadValueError(f"not valid JSON: {_reason(exc)}", end_guess) from None
            if end == len(buf) and self.more():
                continue  # a number might go on in the next chunk
            if end - pos > MAX_ELEMENT_CHARS:
                raise BadValueError(_too_long(end - pos), end)
            self.pos = end
            return obj

    def skip_value(self) -> NoReturn:
        """Scan past the (over-long) value at the cursor, holding one chunk at a time.

        Strings, escapes and brackets are tracked across chunk boundaries;
        the text is discarded as it is scanned. Raises :class:`BadValueError`
        with the cursor after the value, or :class:`ParseStopError` if the
        file ends inside it.
        """
        start = self.offset + self.pos
        where = self.where()
        i = self.pos
        scalar = self.buf[i] not in '[{"'
        depth = 0
        in_string = False
        escaped = False
        while True:
            buf = self.buf
            if i >= len(buf):
                self.pos = len(buf)  # everything so far is scanned: let more() drop it
                if not self.more():
                    raise ParseStopError(
                        f"the file ends inside a value starting at {where} (truncated?)"
                    )
                i = self.pos
                continue
            if escaped:
                i += 1
                escaped = False
                continue
            if scalar:
                match = _SCALAR_END.search(buf, i)
                if match is None:
                    i = len(buf)
                    continue
                i = match.start()
                break
            if in_string:
                match = _STRING_STOP.search(buf, i)
                if match is None:
                    i = len(buf)
                    continue
                i = match.end()
                if match.group() == "\\":
                    escaped = True
                    continue
                in_string = False
                if depth == 0:
                    break
                continue
            match = _TOKEN.search(buf, i)
            if match is None:
                i = len(buf)
                continue
            token = match.group()
            i = match.end()
            if token[0] == '"':
                if len(token) == 1:
                    in_string = True  # the string goes on in the next chunk
                elif depth == 0:
                    break
            elif token in "[{":
                depth += 1
            else:
                depth -= 1
                if depth <= 0:
                    break
        self.pos = i
        raise BadValueError(_too_long(self.offset + i - start), i)

    def lines(self) -> Iterator[tuple[int, str | None]]:
        """Each line (with its end: ``\\n``, ``\\r\\n`` or ``\\r``) and its number from 1.

        ``None`` stands for a line longer than :data:`MAX_ELEMENT_CHARS`, which
        is scanned past, never held. A last line cut short by a read error is
        not yielded (:attr:`error` says why the file ends).
        """
        number = 0
        while True:
            buf, pos = self.buf, self.pos
            match = _EOL.search(buf, pos)
            if match is None and len(buf) - pos > MAX_ELEMENT_CHARS:
                number += 1
                while match is None:  # skip to the end of this line, a chunk at a time
                    self.pos = len(self.buf)
                    if not self.more():
                        break
                    match = _EOL.search(self.buf, self.pos)
                self.pos = len(self.buf) if match is None else match.end()
                yield number, None
                continue
            if match is None or (match.end() == len(buf) and match.group() == "\r"):
                if self.more():
                    continue  # the line (or its "\r\n") may go on in the next chunk
                if match is None:
                    if pos < len(buf) and self.error is None:
                        number += 1
                        self.pos = len(buf)
                        yield number, buf[pos:]
                    return
            end = match.end()
            number += 1
            self.pos = end
            if end - pos > MAX_ELEMENT_CHARS:
                yield number, None
            else:
                yield number, buf[pos:end]


def _too_long(chars: int) -> str:
    return (
        f"a value of more than {MAX_ELEMENT_CHARS:,} characters ({chars:,} read): "
        "too long for a record, skipped"
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(";")[0][:120]  # e.g. an integer of thousands of digits


@attrs.frozen
class Element:
    """One element of a top-level array, or the JSON error that replaced it."""

    pointer: str
    value: object
    error: str | None = None


class JsonArrayReader:
    """Yield the elements of top-level arrays and of the arrays under ``keys``.

    A top-level object whose first key is one of ``keys`` is streamed (only
    one element is held at a time). Any other top-level object is decoded
    whole and handed to ``classify``: :data:`ELEMENT` makes the object itself
    an element (one record per line, newline-delimited JSON), :data:`IGNORE`
    accepts it as holding no elements (a digest file), and any other text is
    a problem that ends the file. An object holding one of ``keys`` as an
    array anywhere but first is read from the decoded object.
    """

    def __init__(
        self,
        stream: TextStream,
        keys: Collection[str],
        classify: Callable[[dict[str, object]], str],
    ) -> None:
        self.s = stream
        self.keys = frozenset(keys)
        self.classify = classify
        self.problem: str | None = None
        self.documents = 0
        self.elements_read = 0
        self.ignored_documents = 0

    def elements(self) -> Iterator[Element]:
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
                    yield from self._object()
                else:
                    raise ParseStopError(
                        f"expected a JSON object or array at {s.where()}, found {first!r}"
                    )
            if self.documents == 0 and s.error is None:
                raise ParseStopError("the file is empty")
        except ParseStopError as exc:
            self.problem = str(exc)
        except BadValueError as exc:
            self.problem = f"{exc} at {s.where()}"
        if s.error is not None:
            # a read error explains an early end better than the parser can
            self.problem = s.error
        if self.problem is not None and self.elements_read:
            self.problem += f"; the {self.elements_read} record(s) before it were read"

    def _first_key(self) -> str | None:
        """The first key of the object at the cursor, if the buffer shows it."""
        s = self.s
        while True:
            match = _FIRST_KEY.match(s.buf, s.pos)
            if match is not None:
                return match.group(1)
            if len(s.buf) - s.pos > 4096 or not s.more():
                return None

    def _object(self) -> Iterator[Element]:
        s = self.s
        if self._first_key() in self.keys:
            s.pos += 1
            yield from self._streamed_object()
            return
        try:
            value = s.value()
        except BadValueError as exc:
            s.pos = exc.end
            self.elements_read += 1
            yield Element(f"#doc{self.documents}", None, str(exc))
            return
        assert isinstance(value, dict)
        arrays = [k for k in sorted(self.keys) if isinstance(value.get(k), list)]
        if arrays:
            for key in arrays:
                for index, item in enumerate(value[key]):
                    self.elements_read += 1
                    yield Element(f"#/{key}/{index}", item)
            return
        verdict = self.classify(value)
        if verdict == ELEMENT:
            self.elements_read += 1
            yield Element(f"#doc{self.documents}", value)
        elif verdict == IGNORE:
            self.ignored_documents += 1
        else:
            raise ParseStopError(verdict)

    def _streamed_object(self) -> Iterator[Element]:
        s = self.s
        if s.peek() == "}":
            s.pos += 1
            return
        while True:
            if s.peek() != '"':
                raise ParseStopError(f"expected a key at {s.where()}")
            key = s.value()
            assert isinstance(key, str)
            s.expect(":", "':'")
            nxt = s.peek()
            if key in self.keys and nxt == "[":
                s.pos += 1
                yield from self._array("/" + key)
            elif not nxt:
                raise ParseStopError(f"the file ends after key {key!r}")
            else:
                skipped = s.value()
                if key in self.keys:
                    raise ParseStopError(
                        f"{key!r} is not an array but {type(skipped).__name__} {skipped!r:.60}"
                    )
            sep = s.peek()
            if sep == "}":
                s.pos += 1
                return
            s.expect(",", "',' or '}'")

    def _array(self, prefix: str) -> Iterator[Element]:
        s = self.s
        index = 0
        while True:
            char = s.peek()
            if not char:
                raise ParseStopError(f"the file ends inside the array after {index} element(s)")
            if char == "]":
                s.pos += 1
                return
            if index:
                s.expect(",", "',' or ']'")
                if not s.peek():
                    raise ParseStopError(f"the file ends inside the array after {index} element(s)")
            pointer = f"#{prefix}/{index}"
            try:
                element = Element(pointer, s.value())
            except BadValueError as exc:
                s.pos = exc.end
                element = Element(pointer, None, str(exc))
            self.elements_read += 1
            index += 1
            yield element
