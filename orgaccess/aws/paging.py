"""Pagination of a report (semantics section 6): pages and markers.

Markers are opaque and tamper-evident: :class:`MarkerCodec` signs (job id,
sort key, position) with a secret, so any text it did not issue for that job
and sort key is rejected, never read as another position.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Generic, TypeVar

import attrs

from ..engine.sorting import SortKey
from ..errors import ConfigurationError, ServiceError

__all__ = [
    "DEFAULT_MAX_ITEMS",
    "MAX_ITEMS_LIMIT",
    "MarkerCodec",
    "Page",
    "page_of",
]

DEFAULT_MAX_ITEMS = 100
MAX_ITEMS_LIMIT = 1000


_Row = TypeVar("_Row")


@attrs.frozen(kw_only=True)
class Page(Generic[_Row]):
    """One page of rows, and where the next one starts (``None`` on the last page)."""

    items: tuple[_Row, ...]
    next_start: int | None

    @property
    def is_truncated(self) -> bool:
        """Whether more rows follow."""
        return self.next_start is not None


def page_of(rows: Sequence[_Row], start: int, max_items: int) -> Page[_Row]:
    """The page of ``rows`` from position ``start``, at most ``max_items`` long."""
    if not 0 <= start <= len(rows):
        raise ValueError(f"start {start} is outside 0..{len(rows)}")
    if max_items < 1:
        raise ValueError(f"max_items must be at least 1, got {max_items}")
    stop = start + max_items
    items = tuple(rows[start:stop])
    return Page(items=items, next_start=stop if stop < len(rows) else None)


_PREFIX = "oa1."
_MAC_BYTES = 16


class MarkerCodec:
    """Issues and checks pagination markers for (job id, sort key, position).

    ``secret`` keys the signature; pass one for reproducible markers (tests),
    or let the client draw a random one.
    """

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes) or len(secret) < 16:
            raise ConfigurationError("the marker secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, job_id: str, sort_key: SortKey, position: int) -> bytes:
        message = f"{job_id}\x00{sort_key.value}\x00{position}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, job_id: str, sort_key: SortKey, position: int) -> str:
        """The marker text for a position (printable ASCII, well under 320 characters)."""
        raw = position.to_bytes(4, "big") + self._mac(job_id, sort_key, position)
        return _PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def decode(self, marker: str, job_id: str, sort_key: SortKey) -> int:
        """The position a marker stands for.

        Raises ``ValidationError`` ("Invalid Marker.") for text that does not
        decode, and ``InvalidInput`` for a well-formed marker that this job and
        sort key did not produce (another job, another sort key, altered).
        """
        shown = repr(marker if len(marker) <= 80 else marker[:77] + "...")
        invalid = ServiceError("ValidationError", f"Invalid Marker. (marker {shown})")
        if not marker.startswith(_PREFIX):
            raise invalid
        body = marker[len(_PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, TypeError):
            raise invalid from None
        if len(raw) != 4 + _MAC_BYTES or not body.isascii():
            raise invalid
        position = int.from_bytes(raw[:4], "big")
        # The lenient decoder skips stray characters, reads '+' '/' as '-' '_' and ignores
        # the unused low bits of the last character: only the exact text issued is valid.
        canonical = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        if canonical != body or not hmac.compare_digest(
            raw[4:], self._mac(job_id, sort_key, position)
        ):
            raise ServiceError(
                "InvalidInput", f"The marker passed in the request was invalid. (marker {shown})"
            )
        return position
