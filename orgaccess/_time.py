"""The one place that parses and formats instants.

Every instant orgaccess reads (CloudTrail ``eventTime``, an aggregated row's
time, a snapshot's ``JoinedTimestamp``, the AWS ``LastAuthenticatedTime``,
``--as-of`` on the command line) goes through :func:`parse_instant`, and every
instant it writes goes through :func:`format_instant`. Inside, instants are
timezone-aware :class:`~datetime.datetime` values in UTC.

Accepted text (ISO 8601 and the SQL forms Athena, Trino, Spark and DuckDB print):

.. code-block:: text

    2026-01-02T03:04:05Z            2026-01-02T05:04:05.123+02:00
    2026-01-02T03:04:05+0200        2026-01-02T03:04:05+02
    2026-01-02 03:04:05.000 UTC     2026-01-02 03:04:05+00
    2026-01-02T03:04                (seconds may be left out)

Fractions beyond microseconds are cut. Text without a zone is UTC when the
caller says so (``naive="utc"``: aggregated rows, whose SQL engines drop the
zone of CloudTrail's UTC times) and an error otherwise (``naive="reject"``).
A value whose UTC instant falls outside years 1-9999 (``9999-12-31T23:59:59-01:00``)
is an error, never an ``OverflowError``.

>>> parse_instant("2026-01-02T05:04:05.123+02:00")
datetime.datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=datetime.timezone.utc)
>>> format_instant(parse_instant("2026-01-02 03:04:05 UTC"))
'2026-01-02T03:04:05Z'
>>> parse_instant("2026-01-02T03:04:05")
Traceback (most recent call last):
    ...
orgaccess.errors.InvalidTimeError: '2026-01-02T03:04:05' has no time zone (expected e.g. 'Z')
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final, Literal

from .errors import InvalidTimeError

__all__ = ["MAX_TIME_TEXT", "ensure_utc", "format_instant", "parse_instant"]

#: Longer text is not a time: it is rejected before any parsing.
MAX_TIME_TEXT: Final = 64

_ZERO: Final = timedelta(0)
_TIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,32}))?)?"
    r" ?(Z|UTC|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII | re.IGNORECASE,
)


def parse_instant(text: object, *, naive: Literal["utc", "reject"] = "reject") -> datetime:
    """The UTC instant ``text`` names; :class:`~orgaccess.errors.InvalidTimeError` if none."""
    if (  # the form CloudTrail writes, 2026-01-02T03:04:05Z, without the general parse
        type(text) is str
        and len(text) == 20
        and text[4::3] == "--T::Z"
        and text.isascii()
        and text[11:13] < "24"  # (newer Pythons read hour 24 as the next day)
    ):
        try:  # with the separators fixed, fromisoformat checks digits and ranges
            value = datetime.fromisoformat(text)
        except ValueError:
            pass  # the general parse below words the problem
        else:
            if value.tzinfo is UTC:
                return value
    return _parse_general(text, naive)


def _parse_general(text: object, naive: Literal["utc", "reject"]) -> datetime:
    """:func:`parse_instant` without its shortcut (every accepted form, every message)."""
    if not isinstance(text, str):
        raise InvalidTimeError(f"expected a time string, got {type(text).__name__} {text!r:.80}")
    if len(text) > MAX_TIME_TEXT:
        raise InvalidTimeError(f"{text[:40]!r}... ({len(text)} characters) is not a time")
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise InvalidTimeError(f"{text!r} is not an ISO 8601 date and time")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone is None:
        if naive != "utc":
            raise InvalidTimeError(f"{text!r} has no time zone (expected e.g. 'Z')")
        tz: timezone = UTC
    elif zone.upper() in ("Z", "UTC"):
        tz = UTC
    else:
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        if offset >= timedelta(hours=24):
            raise InvalidTimeError(f"{text!r} has an impossible offset {zone!r}")
        tz = timezone(-offset if zone[0] == "-" else offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        value = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError as exc:
        raise InvalidTimeError(f"{text!r} is not a valid date and time ({exc})") from None
    return _to_utc(value, text)


def _to_utc(value: datetime, shown: object) -> datetime:
    try:
        return value if value.tzinfo is UTC else value.astimezone(UTC)
    except OverflowError:
        raise InvalidTimeError(
            f"{shown!r} is outside the years 1-9999 once converted to UTC"
        ) from None


def ensure_utc(value: datetime, *, what: str = "time") -> datetime:
    """``value`` in UTC; a naive or out-of-range datetime is an :class:`InvalidTimeError`.

    An aware datetime in another zone is the same instant, so it is accepted
    and converted.
    """
    if not isinstance(value, datetime):
        raise InvalidTimeError(
            f"{what} must be a datetime, got {type(value).__name__} {value!r:.80}"
        )
    offset = value.utcoffset()
    if offset is None:
        raise InvalidTimeError(
            f"{what} {value.isoformat()!r} is naive; give a timezone-aware datetime"
        )
    if offset == _ZERO and value.tzinfo is UTC:
        return value
    return _to_utc(value, f"{what} {value.isoformat()}")


def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``; microseconds only when there are some."""
    text = ensure_utc(value).isoformat()
    return text.removesuffix("+00:00") + "Z"
