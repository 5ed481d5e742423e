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

from .._time import ensure_utc
from ..errors import ActivityHorizonError, EventError
from .ids import AccountId

__all__ = [
    "AccessEvent",
    "ActivityIndex",
    "LastAccess",
    "NamespaceColumn",
    "from_micros",
    "to_micros",
]


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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    return (value - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    """The aware UTC datetime ``value`` microseconds after the Unix epoch."""
    return _EPOCH + timedelta(microseconds=value)


@attrs.frozen
class NamespaceColumn:
    """One namespace's entries in time order: parallel tuples of times, accounts, regions."""

    times: tuple[int, ...]
    accounts: tuple[AccountId, ...]
    regions: tuple[str, ...]


# An entry: (microseconds since the epoch, region). Kept as a plain tuple so
# that the report engine's pass over the index stays close to a bare pass.
_Entry = tuple[int, str]


class ActivityIndex:
    """Per (account, namespace): the latest attempt. Built in one pass; events may be added later.

    By default only the latest attempt of each (account, namespace) is kept,
    so memory grows with accounts x services, never with the number of
    events. That answers every report whose creation time is at or after
    the attempts it meets. Two options make earlier creation times exact too:

    ``until``
        events after this time are not folded in (they are counted in
        :attr:`after_until`); exact for a report created at ``until``. A
        report created later does not see the attempts made after ``until``
        (a service used only then shows as not used), so make ``until`` the
        report time.
    ``keep_history=True``
        every distinct attempt time is kept (memory then grows with distinct
        attempt times); exact for any creation time.

    A report that needs an attempt the index did not keep raises
    :class:`~orgaccess.errors.ActivityHorizonError` instead of guessing.
    """

    __slots__ = (
        "_by_account",
        "_history",
        "_max_micros",
        "_size",
        "_view",
        "after_until",
        "events_folded",
        "until",
    )

    def __init__(
        self,
        events: Iterable[AccessEvent] = (),
        *,
        until: datetime | None = None,
        keep_history: bool = False,
    ) -> None:
        self._by_account: dict[AccountId, dict[str, _Entry]] = {}
        self._history: dict[tuple[AccountId, str], dict[int, str]] | None = (
            {} if keep_history else None
        )
        self._size = 0
        self._max_micros: int | None = None
        self._view: dict[str, NamespaceColumn] | None = None
        self.until = None if until is None else ensure_utc(until, what="until")
        #: events not folded in because they came after ``until``
        self.after_until = 0
        #: events (and rows) folded in, duplicates included
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
        micros = to_micros(time)
        self._view = None
        if self._max_micros is None or micros > self._max_micros:
            self._max_micros = micros
        per = self._by_account.get(account)
        if per is None:
            per = self._by_account[account] = {}
        current = per.get(namespace)
        if current is None:
            per[namespace] = (micros, region)
            self._size += 1
        elif micros > current[0] or (micros == current[0] and region < current[1]):
            per[namespace] = (micros, region)
        history = self._history
        if history is not None:
            per_time = history.setdefault((account, namespace), {})
            known = per_time.get(micros)
            if known is None or region < known:
                per_time[micros] = region

    def __len__(self) -> int:
        return self._size

    @property
    def latest_micros(self) -> int | None:
        """The latest attempt of all, in microseconds since the epoch (``None`` when empty)."""
        return self._max_micros

    def by_namespace(self) -> Mapping[str, NamespaceColumn]:
        """The entries grouped by namespace, each group sorted by time.

        Built on first use and kept until more events are folded in, so
        reports that need "the latest attempt" or "how many in a window"
        answer with a binary search instead of a pass over every entry.
        """
        view = self._view
        if view is None:
            groups: dict[str, list[tuple[int, AccountId, str]]] = {}
            for account, per in self._by_account.items():
                for namespace, (micros, region) in per.items():
                    group = groups.get(namespace)
                    if group is None:
                        group = groups[namespace] = []
                    group.append((micros, account, region))
            view = {}
            for namespace, group in groups.items():
                group.sort()
                view[namespace] = NamespaceColumn(
                    times=tuple(g[0] for g in group),
                    accounts=tuple(g[1] for g in group),
                    regions=tuple(g[2] for g in group),
                )
            self._view = view
        return MappingProxyType(view)

    @property
    def accounts(self) -> frozenset[AccountId]:
        """The accounts with at least one attempt."""
        return frozenset(self._by_account)

    def items(self) -> Iterator[tuple[tuple[AccountId, str], LastAccess]]:
        """Every ((account, namespace), latest attempt) entry."""
        for account, per in self._by_account.items():
            for namespace, (micros, region) in per.items():
                yield (account, namespace), LastAccess(time=from_micros(micros), region=region)

    def raw(self) -> Mapping[AccountId, Mapping[str, tuple[int, str]]]:
        """account -> namespace -> (microseconds since epoch, region), read-only by contract."""
        return MappingProxyType(self._by_account)

    def get(self, account_id: str, namespace: str) -> LastAccess | None:
        """The latest attempt of ``account_id`` on ``namespace``, or ``None``."""
        entry = self._by_account.get(_account(account_id), {}).get(namespace)
        return None if entry is None else LastAccess(time=from_micros(entry[0]), region=entry[1])

    def latest_micros_at_or_before(
        self, account: AccountId, namespace: str, moment: int
    ) -> tuple[int, str] | None:
        """The latest attempt (microseconds, region) at or before ``moment`` (microseconds).

        Raises :class:`ActivityHorizonError` when the answer needs an attempt
        the index did not keep.
        """
        entry = self._by_account.get(account, {}).get(namespace)
        if entry is None or entry[0] <= moment:
            return entry
        history = self._history
        if history is None:
            raise ActivityHorizonError(
                f"account {account} last used {namespace!r} at "
                f"{from_micros(entry[0]).isoformat()}, after the report time "
                f"{from_micros(moment).isoformat()}; this activity index keeps only the latest "
                "attempt per (account, service): build it with keep_history=True or "
                "until=<report time>"
            )
        best: tuple[int, str] | None = None
        for micros, region in history[(account, namespace)].items():
            if micros <= moment and (
                best is None or micros > best[0] or (micros == best[0] and region < best[1])
            ):
                best = (micros, region)
        return best

    def __repr__(self) -> str:
        return f"<ActivityIndex {self._size} (account, service) entries>"
