"""Access events and the activity index.

An :class:`AccessEvent` is one authenticated attempt by a principal of an
account to use a service (successful or denied). The :class:`ActivityIndex`
folds any number of events into, per (account, namespace), the latest attempt
and its region, so its size grows with accounts x services, not with events.
The tracking window is not applied here: it belongs to each report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import attrs

from .errors import ActivityHorizonError, EventError
from .ids import AccountId

__all__ = ["AccessEvent", "ActivityIndex", "LastAccess", "ensure_utc"]

_ZERO = timedelta(0)


def ensure_utc(value: datetime, *, what: str = "time") -> datetime:
    """Return ``value`` if it is timezone-aware UTC-convertible; reject naive datetimes.

    The result is converted to UTC (an aware datetime in another zone is the
    same instant, so it is accepted and normalised).
    """
    if not isinstance(value, datetime):
        raise EventError(f"{what} must be a datetime, got {type(value).__name__} {value!r}")
    offset = value.utcoffset()
    if offset is None:
        raise EventError(f"{what} {value.isoformat()!r} is naive; give a timezone-aware datetime")
    return value.astimezone(UTC) if offset != _ZERO or value.tzinfo is not UTC else value


def _account(value: str) -> AccountId:
    try:
        return AccountId(value)
    except ValueError as exc:
        raise EventError(f"account_id: {exc}") from None


def _nonempty(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise EventError(f"AccessEvent.{attribute.name} must be a non-empty string, got {value!r}")


def _utc_time(value: datetime) -> datetime:
    return ensure_utc(value, what="AccessEvent.time")


@attrs.frozen(kw_only=True)
class AccessEvent:
    """One authenticated attempt to use a service.

    ``account_id`` is the account of the principal that made the attempt
    (CloudTrail's ``userIdentity.accountId``), not the account that received it.
    """

    account_id: AccountId = attrs.field(converter=_account)
    service_namespace: str = attrs.field(validator=_nonempty)
    region: str = attrs.field(validator=_nonempty)
    time: datetime = attrs.field(converter=_utc_time)
    principal_type: str | None = None
    principal_arn: str | None = None
    denied: bool = False


@attrs.frozen(kw_only=True, order=False)
class LastAccess:
    """The latest attempt of one account on one service: when and in which region.

    Among attempts at the same time, the smallest region wins, so the value
    does not depend on input order.
    """

    time: datetime
    region: str

    def later_than(self, other: LastAccess) -> bool:
        """Whether this attempt wins over ``other`` (later, or same time and smaller region)."""
        return (self.time, _neg(self.region)) > (other.time, _neg(other.region))


def _neg(region: str) -> tuple[int, ...]:
    # Order regions descending so that ``max`` picks the smallest one on a time tie.
    return (*(-ord(c) for c in region), 1)


class ActivityIndex:
    """Per (account, namespace): the latest attempt. Built in one pass; events may be added later.

    By default only the latest attempt of each (account, namespace) is kept,
    so memory grows with accounts x services, never with the number of
    events. That answers every report whose creation time is at or after
    the attempts it meets. Two options make earlier creation times exact too:

    ``until``
        events after this time are not folded in (they are counted in
        :attr:`after_until`); exact for reports created at ``until`` or later.
    ``keep_history=True``
        every distinct attempt time is kept (memory then grows with distinct
        attempt times); exact for any creation time.

    A report that needs an attempt the index did not keep raises
    :class:`~orgaccess.errors.ActivityHorizonError` instead of guessing.
    """

    __slots__ = ("_history", "_latest", "after_until", "events_folded", "until")

    def __init__(
        self,
        events: Iterable[AccessEvent] = (),
        *,
        until: datetime | None = None,
        keep_history: bool = False,
    ) -> None:
        self._latest: dict[tuple[AccountId, str], LastAccess] = {}
        self._history: dict[tuple[AccountId, str], dict[datetime, str]] | None = (
            {} if keep_history else None
        )
        self.until = None if until is None else ensure_utc(until, what="until")
        #: events not folded in because they came after ``until``
        self.after_until = 0
        #: events folded in (duplicates included)
        self.events_folded = 0
        self.add(events)

    @property
    def keeps_history(self) -> bool:
        """Whether every distinct attempt time is kept."""
        return self._history is not None

    def add(self, events: Iterable[AccessEvent]) -> None:
        """Fold more events into the index (order and duplicates do not matter)."""
        for event in events:
            self._fold(event.account_id, event.service_namespace, event.time, event.region)

    def add_last_access(self, account_id: str, namespace: str, time: datetime, region: str) -> None:
        """Fold one pre-aggregated (account, namespace, time, region) row into the index."""
        if not isinstance(namespace, str) or not namespace:
            raise EventError(f"namespace must be a non-empty string, got {namespace!r}")
        if not isinstance(region, str) or not region:
            raise EventError(f"region must be a non-empty string, got {region!r}")
        self._fold(_account(account_id), namespace, ensure_utc(time), region)

    def _fold(self, account: AccountId, namespace: str, time: datetime, region: str) -> None:
        until = self.until
        if until is not None and time > until:
            self.after_until += 1
            return
        self.events_folded += 1
        key = (account, namespace)
        candidate = LastAccess(time=time, region=region)
        current = self._latest.get(key)
        if current is None or candidate.later_than(current):
            self._latest[key] = candidate
        history = self._history
        if history is not None:
            per_time = history.setdefault(key, {})
            known = per_time.get(time)
            if known is None or region < known:
                per_time[time] = region

    def __len__(self) -> int:
        return len(self._latest)

    def items(self) -> Iterator[tuple[tuple[AccountId, str], LastAccess]]:
        """Every ((account, namespace), latest attempt) entry."""
        return iter(self._latest.items())

    def as_mapping(self) -> Mapping[tuple[AccountId, str], LastAccess]:
        """A read-only view of the entries."""
        return MappingProxyType(self._latest)

    def get(self, account_id: str, namespace: str) -> LastAccess | None:
        """The latest attempt of ``account_id`` on ``namespace``, or ``None``."""
        return self._latest.get((_account(account_id), namespace))

    def latest_at_or_before(
        self, key: tuple[AccountId, str], latest: LastAccess, moment: datetime
    ) -> LastAccess | None:
        """The latest attempt of ``key`` at or before ``moment``.

        ``latest`` is the entry for ``key`` (from :meth:`items`). Raises
        :class:`ActivityHorizonError` when the answer needs an attempt the
        index did not keep.
        """
        if latest.time <= moment:
            return latest
        if self.until is not None and moment >= self.until:
            return latest  # unreachable: nothing after ``until`` was folded
        history = self._history
        if history is None:
            raise ActivityHorizonError(
                f"account {key[0]} last used {key[1]!r} at {latest.time.isoformat()}, after the "
                f"report time {moment.isoformat()}; this activity index keeps only the latest "
                "attempt per (account, service): build it with keep_history=True or "
                "until=<report time>"
            )
        best: LastAccess | None = None
        for time, region in history[key].items():
            if time <= moment:
                candidate = LastAccess(time=time, region=region)
                if best is None or candidate.later_than(best):
                    best = candidate
        return best

    def __repr__(self) -> str:
        return f"<ActivityIndex {len(self._latest)} (account, service) entries>"
