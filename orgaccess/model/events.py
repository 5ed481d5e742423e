"""Access events and the activity index.

An :class:`AccessEvent` is one authenticated attempt by a principal of an
account to use a service (successful or denied). The :class:`ActivityIndex`
folds any number of events into, per (account, namespace), the latest attempt
and its region. The tracking window is not applied here: it belongs to each report.

The representation and its size bound
-------------------------------------
A report created at ``T`` needs, per (account, namespace) -- a *pair* --
the latest attempt at or before ``T``. No bounded summary answers that for
every ``T``: a pair with attempts at ``t1 < ... < tn`` gives a different
answer at each ``ti``, so an exact answer for any ``T`` needs every distinct
time. The index therefore keeps what answers every report created at or
after a *horizon* ``H``, and says so (:class:`~orgaccess.errors.ActivityHorizonError`)
for a report before it, never guessing:

* per pair, the **latest** attempt (time, region) -- always;
* the **tail**: every other attempt later than ``H`` (time, pair, region);
* per pair whose latest attempt is later than ``H``, the **settled** entry:
  the latest other attempt at or before ``H``.

The answer at ``T >= H`` is the latest attempt if it is at or before ``T``,
else the latest tail entry of the pair at or before ``T`` (every attempt
after ``H`` is in the tail), else the settled entry (nothing of the pair lies
in ``(H, T]``). An attempt at or before ``H`` of a pair whose latest attempt
is at or before ``H`` too is dropped: no report at ``T >= H`` needs it. Ties
at the same instant go to the smallest region, so the result does not depend
on input order. ``tests/test_index_horizon.py`` checks all of this as
Hypothesis properties against an oracle that keeps every event.

The latest attempt is stored as the folded event itself (no copy), under
namespace, then account: folding an event is two dictionary look-ups and a
comparison, about what any single pass over the events must do. The index
also keeps the latest time of all its entries, so that an event later than
every entry (most of them: logs come in time order) is stored without reading
the entry it replaces; any other event gets the full comparison, so the
order of the input does not change the index.

Three ways to build it:

* default: latest only (``H`` is +infinity): exact for reports created at or
  after the latest attempt. Size: one entry per pair.
* ``horizon=H``: attempts after ``H`` are kept, at most ``history_limit``
  tail entries (default :data:`DEFAULT_HISTORY_LIMIT`); past the limit the
  tail is deduplicated and then the horizon rises to drop its older half
  into the settled entries (:attr:`ActivityIndex.horizon` tells where it
  is). Size: at most two entries per pair plus ``history_limit``, whatever
  the number of events. :class:`~orgaccess.aws.client.ReportClient` builds
  its index this way with ``H`` = its clock at construction: reports made
  later are exact, attempts after that time included (past
  ``history_limit`` of them, reports before the risen horizon may raise).
* ``keep_history=True``: ``H`` is -infinity and the tail has no limit (it is
  deduplicated as it grows): exact for any creation time; size grows with the
  distinct attempt times.

``until`` drops events after it (counted in :attr:`ActivityIndex.after_until`):
exact for a report created at ``until``. A report created later does not see
the attempts made after ``until`` (a service used only then shows as not
used), so make ``until`` the report time.

Indexes are mergeable: :meth:`ActivityIndex.merge` folds another index's
kept attempts in, so that merging the indexes of parts of the input equals
folding the whole input (for latest-only and ``keep_history`` indexes the
state is the same; for a bounded tail every report at or after the merged
horizon is the same).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Final, Protocol, TypeAlias

import attrs

from .._time import ensure_utc
from ..errors import ActivityHorizonError, EventError
from .ids import AccountId

__all__ = [
    "DEFAULT_HISTORY_LIMIT",
    "AccessEvent",
    "ActivityIndex",
    "Attempt",
    "CheckedAttempt",
    "LastAccess",
    "NamespaceColumn",
    "from_micros",
    "to_micros",
]

#: Tail entries a ``horizon=`` index keeps before its horizon rises.
DEFAULT_HISTORY_LIMIT: Final = 100_000
_MIN_CHECK: Final = 4096


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
#: Earlier than any attempt: the latest time of an empty index.
_NEVER = datetime.min.replace(tzinfo=UTC)


def to_micros(value: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    return (value - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    """The aware UTC datetime ``value`` microseconds after the Unix epoch."""
    return _EPOCH + timedelta(microseconds=value)


@attrs.frozen
class NamespaceColumn:
    """One namespace's latest attempts in time order: parallel times, accounts, regions."""

    times: tuple[datetime, ...]
    accounts: tuple[AccountId, ...]
    regions: tuple[str, ...]


class Attempt(Protocol):
    """What the index keeps of a latest attempt: an event, a row, or a :class:`LastAccess`."""

    @property
    def time(self) -> datetime: ...

    @property
    def region(self) -> str: ...


# An earlier attempt as stored in the tail and the settled entries: (time, region),
# compared as a tuple, so at the same instant the smaller region is the smaller entry.
_Stored = tuple[datetime, str]
# An entry in microseconds since the epoch, for raw().
_Entry = tuple[int, str]
# A tail entry: (time, account, namespace, region).
_Tail = tuple[datetime, AccountId, str, str]
_Pair = tuple[AccountId, str]
_Event: TypeAlias = "AccessEvent | CheckedAttempt"


def _better(a: _Stored, b: _Stored | None) -> bool:
    """Whether ``a`` wins over ``b``: later, or as late in a smaller region."""
    return b is None or a[0] > b[0] or (a[0] == b[0] and a[1] < b[1])


class ActivityIndex:
    """Per (account, namespace): the latest attempt, and what earlier reports need.

    See the module documentation for the representation, its size bound and
    when a report is exact. ``until`` drops later events; ``horizon`` keeps
    what reports created at or after it need (at most ``history_limit`` tail
    entries); ``keep_history=True`` keeps every distinct attempt. A report
    that needs an attempt the index did not keep raises
    :class:`~orgaccess.errors.ActivityHorizonError` instead of guessing.
    """

    __slots__ = (
        "_accounts",
        "_by_namespace",
        "_check",
        "_earliest",
        "_horizon",
        "_keeping",
        "_limit",
        "_micros",
        "_settled",
        "_tail",
        "_tail_view",
        "_times",
        "_top",
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
        horizon: datetime | None = None,
        history_limit: int | None = DEFAULT_HISTORY_LIMIT,
    ) -> None:
        if keep_history and horizon is not None:
            raise EventError("pass keep_history=True or a horizon, not both")
        if history_limit is not None and (
            isinstance(history_limit, bool)
            or not isinstance(history_limit, int)
            or history_limit < 2
        ):
            raise EventError(
                f"history_limit must be an int of at least 2, or None, got {history_limit!r}"
            )
        # namespace -> account -> the latest attempt
        self._by_namespace: dict[str, dict[AccountId, Attempt]] = {}
        self._keeping = keep_history or horizon is not None
        self._horizon = None if horizon is None else ensure_utc(horizon, what="horizon")
        self._limit = None if keep_history else history_limit
        self._check = self._next_check(0)
        self._tail: list[_Tail] = []
        self._settled: dict[_Pair, _Stored] = {}
        self._times: dict[str, tuple[datetime, ...]] | None = None
        # the latest time of all entries, kept by the folds that can (None: not known)
        self._top: datetime | None = None
        self._accounts: frozenset[AccountId] | None = None
        self._earliest: datetime | None = None
        self._micros: dict[AccountId, dict[str, _Entry]] | None = None
        self._view: dict[str, NamespaceColumn] | None = None
        self._tail_view: dict[_Pair, list[_Stored]] | None = None
        self.until = None if until is None else ensure_utc(until, what="until")
        #: events not folded in because they came after ``until``
        self.after_until = 0
        #: events (and rows) folded in, duplicates included
        self.events_folded = 0
        self.add(events)

    # -- what kind of index -----------------------------------------------------
    @property
    def keeps_history(self) -> bool:
        """Whether every distinct attempt time is kept (``keep_history=True``)."""
        return self._keeping and self._horizon is None and self._limit is None

    @property
    def horizon(self) -> datetime | None:
        """Reports created at or after this are exact (``None`` for a latest-only index
        and for ``keep_history=True``; see the module documentation)."""
        return self._horizon

    @property
    def history_limit(self) -> int | None:
        """The most tail entries kept (``None``: no limit, or no tail)."""
        return self._limit if self._keeping else None

    def like(self) -> ActivityIndex:
        """A new empty index of the same kind (``until``, horizon, history limit)."""
        if self.keeps_history:
            return ActivityIndex(until=self.until, keep_history=True)
        if self._keeping:
            return ActivityIndex(until=self.until, horizon=self._horizon, history_limit=self._limit)
        return ActivityIndex(until=self.until)

    @property
    def stored_attempts(self) -> int:
        """Attempts held: latest, tail and settled entries (what the size bound bounds)."""
        return len(self) + len(self._tail) + len(self._settled)

    # -- folding ------------------------------------------------------------------
    def _changed(self) -> None:
        self._micros = None
        self._view = None
        self._tail_view = None
        self._times = None
        self._accounts = None

    def _known_top(self) -> datetime:
        """The latest time of all entries (the earliest datetime when there are none)."""
        if self._top is None:  # (not through times(): the caller is about to fold)
            tops = [max(map(_TIME, per.values())) for per in self._by_namespace.values() if per]
            if not tops:
                return _NEVER
            self._top = max(tops)
        return self._top

    def add(self, events: Iterable[AccessEvent]) -> None:
        """Fold more events into the index (order and duplicates do not matter)."""
        self._add(events)

    def _add(self, events: Iterable[_Event]) -> None:
        self._changed()
        if self._keeping:
            self._add_keeping(events)
            return
        by_namespace = self._by_namespace
        until = self.until
        earliest = self._earliest
        top = self._known_top()
        folded = after = 0
        try:
            for event in events:
                moment = event.time
                if until is not None:
                    if moment > until:
                        after += 1
                        continue
                    if earliest is None or moment < earliest:
                        earliest = moment
                folded += 1
                namespace = event.service_namespace
                per = by_namespace.get(namespace)
                if per is None:
                    per = by_namespace[namespace] = {}
                if moment > top:
                    # later than everything folded so far: it is its pair's latest, no
                    # need to read the entry it replaces (time-ordered input, as logs are)
                    per[event.account_id] = event
                    top = moment
                    continue
                account = event.account_id
                current = per.get(account)
                if current is None:
                    per[account] = event
                    continue
                known = current.time
                if moment > known or (moment == known and event.region < current.region):
                    per[account] = event
        finally:
            self.events_folded += folded
            self.after_until += after
            self._earliest = earliest
            self._top = None if top is _NEVER else top

    def _add_keeping(self, events: Iterable[_Event]) -> None:
        if self.until is None and self._horizon is not None and isinstance(events, (list, tuple)):
            self._add_before_horizon(events)
            return
        self._top = None  # this fold does not keep it
        by_namespace = self._by_namespace
        until = self.until
        settled = self._settled
        horizon = self._horizon
        earliest = self._earliest
        folded = after = 0
        try:
            for event in events:
                moment = event.time
                if until is not None:
                    if moment > until:
                        after += 1
                        continue
                    if earliest is None or moment < earliest:
                        earliest = moment
                folded += 1
                if horizon is None or moment > horizon:
                    self._fold_late(event)
                    horizon = self._horizon
                    continue
                # at or before the horizon: as in a latest-only index, except that a pair
                # whose latest attempt is after the horizon keeps its settled entry
                namespace = event.service_namespace
                per = by_namespace.get(namespace)
                if per is None:
                    per = by_namespace[namespace] = {}
                account = event.account_id
                current = per.get(account)
                if current is None:
                    per[account] = event
                elif moment >= current.time:
                    if moment > current.time or event.region < current.region:
                        per[account] = event
                elif current.time > horizon:
                    key = (account, namespace)
                    known = settled.get(key)
                    region = event.region
                    if (
                        known is None
                        or moment > known[0]
                        or (moment == known[0] and region < known[1])
                    ):
                        settled[key] = (moment, region)
        finally:
            self.events_folded += folded
            self.after_until += after
            self._earliest = earliest

    def _add_before_horizon(self, events: list[_Event] | tuple[_Event, ...]) -> None:
        """:meth:`_add_keeping` for a list without ``until``: the client's common case.

        The same steps with fewer checks per event (the count is the list's length).
        """
        by_namespace = self._by_namespace
        settled = self._settled
        horizon = self._horizon
        assert horizon is not None
        top = self._known_top()
        try:
            for event in events:
                moment = event.time
                if moment > horizon:
                    self._fold_late(event)
                    horizon = self._horizon
                    assert horizon is not None
                    if moment > top:
                        top = moment
                    continue
                per = by_namespace.get(event.service_namespace)
                if per is None:
                    per = by_namespace[event.service_namespace] = {}
                if moment > top:
                    # later than every entry, and not after the horizon: the pair's new
                    # latest, and what it replaces (at or before the horizon) is not needed
                    per[event.account_id] = event
                    top = moment
                    continue
                account = event.account_id
                current = per.get(account)
                if current is None:
                    per[account] = event
                    continue
                known = current.time
                if moment > known:
                    per[account] = event
                elif moment == known:
                    if event.region < current.region:
                        per[account] = event
                elif known > horizon:
                    key = (account, event.service_namespace)
                    entry = settled.get(key)
                    region = event.region
                    if (
                        entry is None
                        or moment > entry[0]
                        or (moment == entry[0] and region < entry[1])
                    ):
                        settled[key] = (moment, region)
        finally:
            self.events_folded += len(events)
            self._top = None if top is _NEVER else top

    def _fold_late(self, event: _Event) -> None:
        """Fold an attempt later than the horizon."""
        account, namespace = event.account_id, event.service_namespace
        moment, region = event.time, event.region
        per = self._by_namespace.get(namespace)
        if per is None:
            per = self._by_namespace[namespace] = {}
        current = per.get(account)
        if current is None:
            per[account] = event
            return
        if moment > current.time:
            per[account] = event
            moment, region = current.time, current.region  # the former latest is now earlier
        elif moment == current.time:
            if region < current.region:
                per[account] = event
            return
        horizon = self._horizon
        if horizon is None or moment > horizon:
            self._tail.append((moment, account, namespace, region))
            if len(self._tail) > self._check:
                self._compact()
        else:
            key = (account, namespace)
            if _better((moment, region), self._settled.get(key)):
                self._settled[key] = (moment, region)

    def _next_check(self, kept: int) -> int:
        grow = max(_MIN_CHECK, 2 * kept)
        return grow if self._limit is None else min(grow, self._limit)

    def _compact(self) -> None:
        """Deduplicate the tail; if it is still over half the limit, raise the horizon."""
        unique = _dedupe(self._tail)
        limit = self._limit
        if limit is not None and len(unique) > limit // 2:
            cut = unique[len(unique) - limit // 2 - 1][0]
            self._tail[:] = unique
            self._raise_horizon(cut)
        else:
            self._tail[:] = unique
        self._check = self._next_check(len(self._tail))

    def _raise_horizon(self, horizon: datetime) -> None:
        """Move the horizon up to ``horizon``: tail entries at or before it become settled."""
        self._changed()
        settled = self._settled
        latest = self._by_namespace
        kept: list[_Tail] = []
        for entry in self._tail:
            moment, account, namespace, region = entry
            if moment > horizon:
                kept.append(entry)
            elif latest[namespace][account].time > horizon:
                key = (account, namespace)
                if _better((moment, region), settled.get(key)):
                    settled[key] = (moment, region)
        for key in [k for k in settled if latest[k[1]][k[0]].time <= horizon]:
            del settled[key]
        self._tail[:] = kept
        self._horizon = horizon

    def add_last_access(self, account_id: str, namespace: str, time: datetime, region: str) -> None:
        """Fold one pre-aggregated (account, namespace, time, region) row into the index."""
        if not isinstance(namespace, str) or not namespace:
            raise EventError(f"namespace must be a non-empty string, got {namespace!r}")
        if not isinstance(region, str) or not region:
            raise EventError(f"region must be a non-empty string, got {region!r}")
        self._add((CheckedAttempt(_account(account_id), namespace, ensure_utc(time), region),))

    def add_checked(self, attempts: Iterable[CheckedAttempt]) -> None:
        """Fold attempts a reader has already checked (see :class:`CheckedAttempt`)."""
        self._add(attempts)

    @property
    def folds_latest_only(self) -> bool:
        """Whether folding only each pair's latest attempt gives the same index as folding
        them all: a latest-only index without ``until`` (see :meth:`add_latest`)."""
        return not self._keeping and self.until is None

    def add_latest(self, attempts: Iterable[CheckedAttempt], *, folded: int) -> None:
        """Fold attempts a reader has already reduced to the latest of each pair.

        ``attempts`` holds at most one attempt per (account, namespace): the
        latest of the ``folded`` checked attempts the reader saw for it, ties
        going to the smallest region. Only for an index that
        :attr:`folds_latest_only` (anything else needs every attempt):
        :class:`~orgaccess.errors.EventError` otherwise. ``events_folded``
        grows by ``folded``, as if every attempt had been folded.
        """
        if not self.folds_latest_only:
            raise EventError(
                "add_latest needs a latest-only index without until; fold every attempt instead"
            )
        entries = list(attempts)
        if isinstance(folded, bool) or not isinstance(folded, int) or folded < len(entries):
            raise EventError(
                f"folded must be an int of at least {len(entries)} (one per attempt), "
                f"got {folded!r:.60}"
            )
        self._add(entries)
        self.events_folded += folded - len(entries)

    def merge(self, other: ActivityIndex) -> None:
        """Fold ``other``'s kept attempts into this index (see the module documentation).

        ``other`` must be of the same kind (:meth:`like`); its fold and
        ``until`` counts are added to this index's.
        """
        if not isinstance(other, ActivityIndex):
            raise EventError(f"can only merge an ActivityIndex, got {type(other).__name__}")
        if (other._keeping, other.keeps_history, other.until) != (
            self._keeping,
            self.keeps_history,
            self.until,
        ):
            raise EventError("can only merge indexes of the same kind (same until and history)")
        if (
            self._keeping
            and other._horizon is not None
            and (self._horizon is None or other._horizon > self._horizon)
        ):
            self._raise_horizon(other._horizon)
        entries: list[_Event] = [
            CheckedAttempt(account, namespace, attempt.time, attempt.region)
            for namespace, per in other._by_namespace.items()
            for account, attempt in per.items()
        ]
        entries.extend(CheckedAttempt(a, n, t, r) for t, a, n, r in other._tail)
        entries.extend(CheckedAttempt(a, n, t, r) for (a, n), (t, r) in other._settled.items())
        folded, after = self.events_folded, self.after_until
        self._add(entries)
        if other._earliest is not None and (
            self._earliest is None or other._earliest < self._earliest
        ):
            self._earliest = other._earliest
        self.events_folded = folded + other.events_folded
        self.after_until = after + other.after_until

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle as plain tuples (for worker processes): what is kept, not the objects."""
        entries = [
            (namespace, str(account), attempt.time, attempt.region)
            for namespace, per in self._by_namespace.items()
            for account, attempt in per.items()
        ]
        tail = [(t, str(a), n, r) for t, a, n, r in self._tail]
        settled = [(str(a), n, t, r) for (a, n), (t, r) in self._settled.items()]
        kind = (self.until, self._keeping, self._horizon, self._limit)
        counts = (self.events_folded, self.after_until, self._earliest)
        return (_rebuild, (kind, entries, tail, settled, counts))

    # -- reading ------------------------------------------------------------------
    def __len__(self) -> int:
        return sum(map(len, self._by_namespace.values()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ActivityIndex):
            return NotImplemented
        return self._state() == other._state()

    __hash__ = None  # type: ignore[assignment]

    def _state(self) -> tuple[object, ...]:
        """The kind, the counts and every kept attempt, canonical (the tail deduplicated)."""
        return (
            self.until,
            self._keeping,
            self._horizon,
            self._limit,
            {
                ns: {a: (e.time, e.region) for a, e in per.items()}
                for ns, per in self._by_namespace.items()
                if per
            },
            _dedupe(self._tail),
            dict(self._settled),
            self.events_folded,
            self.after_until,
        )

    @property
    def latest(self) -> datetime | None:
        """The latest attempt of all (``None`` when empty)."""
        return self._known_top() if len(self) else None

    def times(self) -> Mapping[str, tuple[datetime, ...]]:
        """namespace -> the times of its latest attempts, ``times[ns][i]`` being the time of
        the ``i``-th entry of ``namespaces()[ns]``; read-only.

        Built on first use (one C-level pass per namespace) and kept until more
        events are folded in: root reports read it.
        """
        times = self._times
        if times is None:
            times = self._times = {
                namespace: tuple(map(_TIME, per.values()))
                for namespace, per in self._by_namespace.items()
                if per
            }
        return MappingProxyType(times)

    @property
    def earliest(self) -> datetime | None:
        """The earliest attempt folded in, kept by an index with ``until`` (else ``None``)."""
        return self._earliest

    @property
    def latest_micros(self) -> int | None:
        """:attr:`latest` in microseconds since the epoch."""
        latest = self.latest
        return None if latest is None else to_micros(latest)

    def namespaces(self) -> Mapping[str, Mapping[AccountId, Attempt]]:
        """namespace -> account -> its latest attempt (``.time``, ``.region``); read-only."""
        return MappingProxyType(self._by_namespace)

    def by_namespace(self) -> Mapping[str, NamespaceColumn]:
        """The latest attempts grouped by namespace, each group sorted by time.

        Built on first use and kept until more events are folded in, so
        reports that need "the latest attempt" or "how many in a window"
        answer with a binary search instead of a pass over every entry.
        """
        view = self._view
        if view is None:
            view = {}
            for namespace, per in self._by_namespace.items():
                if not per:
                    continue
                values = per.values()
                group = sorted(zip(map(_TIME, values), per, map(_REGION, values), strict=True))
                times, accounts, regions = zip(*group, strict=True)
                view[namespace] = NamespaceColumn(times=times, accounts=accounts, regions=regions)
            self._view = view
        return MappingProxyType(view)

    @property
    def accounts(self) -> frozenset[AccountId]:
        """The accounts with at least one attempt."""
        accounts = self._accounts
        if accounts is None:
            # a union reads each dict's stored hashes: no look at the keys themselves
            accounts = self._accounts = frozenset().union(*self._by_namespace.values())
        return accounts

    def items(self) -> Iterator[tuple[tuple[AccountId, str], LastAccess]]:
        """Every ((account, namespace), latest attempt) entry."""
        for namespace, per in self._by_namespace.items():
            for account, attempt in per.items():
                yield (account, namespace), LastAccess(time=attempt.time, region=attempt.region)

    def raw(self) -> Mapping[AccountId, Mapping[str, tuple[int, str]]]:
        """account -> namespace -> (microseconds since epoch, region), read-only by contract."""
        micros = self._micros
        if micros is None:
            micros = {}
            epoch, unit = _EPOCH, _MICROSECOND
            for namespace, per in self._by_namespace.items():
                for account, attempt in per.items():
                    entry = ((attempt.time - epoch) // unit, attempt.region)
                    known = micros.get(account)
                    if known is None:
                        micros[account] = {namespace: entry}
                    else:
                        known[namespace] = entry
            self._micros = micros
        return MappingProxyType(micros)

    def get(self, account_id: str, namespace: str) -> LastAccess | None:
        """The latest attempt of ``account_id`` on ``namespace``, or ``None``."""
        entry = self._by_namespace.get(namespace, {}).get(_account(account_id))
        return None if entry is None else LastAccess(time=entry.time, region=entry.region)

    def latest_at_or_before(
        self, account: AccountId, namespace: str, moment: datetime
    ) -> Attempt | None:
        """The latest attempt (``.time``, ``.region``) at or before ``moment``.

        Raises :class:`ActivityHorizonError` when the answer needs an attempt
        the index did not keep.
        """
        entry = self._by_namespace.get(namespace, {}).get(account)
        if entry is None or entry.time <= moment:
            return entry
        if not self._keeping:
            raise ActivityHorizonError(
                f"account {account} last used {namespace!r} at "
                f"{entry.time.isoformat()}, after the report time "
                f"{moment.isoformat()}; this activity index keeps only the latest "
                "attempt per (account, service): build it with keep_history=True or "
                "until=<report time>"
            )
        horizon = self._horizon
        if horizon is not None and moment < horizon:
            raise ActivityHorizonError(
                f"account {account} last used {namespace!r} at {entry.time.isoformat()}, "
                f"after the report time {moment.isoformat()}, which is before this activity "
                f"index's horizon {horizon.isoformat()} (it keeps what reports created at or "
                "after its horizon need): build it with an earlier horizon, "
                "keep_history=True or until=<report time>"
            )
        best: _Stored | None = None
        for earlier in self._tail_of(account, namespace):
            if earlier[0] > moment:
                break
            if best is None or earlier[0] > best[0]:
                best = earlier
        if best is None:
            best = self._settled.get((account, namespace))
        return None if best is None else LastAccess(time=best[0], region=best[1])

    def latest_micros_at_or_before(
        self, account: AccountId, namespace: str, moment: int
    ) -> tuple[int, str] | None:
        """:meth:`latest_at_or_before` in microseconds since the epoch."""
        entry = self.latest_at_or_before(account, namespace, from_micros(moment))
        return None if entry is None else (to_micros(entry.time), entry.region)

    def _tail_of(self, account: AccountId, namespace: str) -> list[_Stored]:
        view = self._tail_view
        if view is None:
            view = {}
            for moment, acc, ns, region in _dedupe(self._tail):
                view.setdefault((acc, ns), []).append((moment, region))
            self._tail_view = view
        return view.get((account, namespace), [])

    def __repr__(self) -> str:
        return f"<ActivityIndex {len(self)} (account, service) entries>"


_TIME = operator.attrgetter("time")
_REGION = operator.attrgetter("region")


def _trusted_account(text: str) -> AccountId:
    """An account id that was checked before it was pickled."""
    return str.__new__(AccountId, text)


def _rebuild(
    kind: tuple[datetime | None, bool, datetime | None, int | None],
    entries: list[tuple[str, str, datetime, str]],
    tail: list[tuple[datetime, str, str, str]],
    settled: list[tuple[str, str, datetime, str]],
    counts: tuple[int, int, datetime | None],
) -> ActivityIndex:
    """The index :meth:`ActivityIndex.__reduce__` pickled."""
    until, keeping, horizon, limit = kind
    index = ActivityIndex(until=until)
    index._keeping, index._horizon, index._limit = keeping, horizon, limit
    index._check = index._next_check(len(tail))
    by_namespace = index._by_namespace
    for namespace, account_text, moment, region in entries:
        account = _trusted_account(account_text)
        per = by_namespace.get(namespace)
        if per is None:
            per = by_namespace[namespace] = {}
        per[account] = CheckedAttempt(account, namespace, moment, region)
    index._tail = [(t, _trusted_account(a), n, r) for t, a, n, r in tail]
    index._settled = {(_trusted_account(a), n): (t, r) for a, n, t, r in settled}
    index.events_folded, index.after_until, index._earliest = counts
    return index


def _dedupe(tail: Iterable[_Tail]) -> list[_Tail]:
    """The tail sorted, one entry per (time, pair): the one in the smallest region."""
    unique: list[_Tail] = []
    last: tuple[object, ...] | None = None
    for entry in sorted(set(tail)):
        head = entry[:3]
        if head != last:
            unique.append(entry)
            last = head
    return unique


class CheckedAttempt:
    """An attempt whose fields a reader has already checked, for :meth:`ActivityIndex.add_checked`.

    Shaped like an :class:`AccessEvent` as far as the index reads it (no
    principal fields), and cheaper to make: no conversion or validation. The
    fields must be an :class:`~orgaccess.model.ids.AccountId`, non-empty
    strings and an aware UTC datetime.
    """

    __slots__ = ("account_id", "region", "service_namespace", "time")

    def __init__(self, account_id: AccountId, service_namespace: str, time: datetime, region: str):
        self.account_id = account_id
        self.service_namespace = service_namespace
        self.time = time
        self.region = region

    def __repr__(self) -> str:
        return (
            f"CheckedAttempt({self.account_id!r}, {self.service_namespace!r}, "
            f"{self.time!r}, {self.region!r})"
        )
