"""The activity index against a naive oracle that keeps every event (issue 15).

Per (account, namespace) the oracle answers "the latest attempt at or before
T" from the full list; the index must give the same answer whenever it
answers, and may refuse (ActivityHorizonError) only for a report created
before its horizon. Merging the indexes of two parts of the input equals
folding the whole input.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.errors import ActivityHorizonError, EventError
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.ids import AccountId

ACCOUNTS = [AccountId(f"3333333333{i:02d}") for i in range(3)]
NAMESPACES = ["s3", "ec2"]
REGIONS = ["eu-west-1", "us-east-1", "ap-south-1"]
BASE = datetime(2026, 1, 1, tzinfo=UTC)


def at(minute: int) -> datetime:
    return BASE + timedelta(minutes=minute)


events_st = st.lists(
    st.builds(
        AccessEvent,
        account_id=st.sampled_from(ACCOUNTS),
        service_namespace=st.sampled_from(NAMESPACES),
        region=st.sampled_from(REGIONS),
        # few distinct minutes, so that ties and duplicates are common
        time=st.integers(0, 30).map(at),
    ),
    max_size=60,
)


def oracle(
    events: list[AccessEvent], account: AccountId, namespace: str, moment: datetime
) -> tuple[datetime, str] | None:
    """The latest attempt at or before ``moment``, the smallest region at the same instant."""
    found = [
        (e.time, e.region)
        for e in events
        if e.account_id == account and e.service_namespace == namespace and e.time <= moment
    ]
    if not found:
        return None
    top = max(t for t, _ in found)
    return top, min(r for t, r in found if t == top)


def answer(
    index: ActivityIndex, account: AccountId, namespace: str, moment: datetime
) -> tuple[datetime, str] | None:
    got = index.latest_at_or_before(account, namespace, moment)
    return None if got is None else (got.time, got.region)


@settings(max_examples=300, deadline=None)
@given(
    events=events_st,
    horizon=st.integers(-1, 31).map(at),
    limit=st.integers(2, 12),
    moment=st.integers(-1, 31).map(at),
)
def test_a_horizon_index_is_exact_at_or_after_its_horizon(
    events: list[AccessEvent], horizon: datetime, limit: int, moment: datetime
) -> None:
    index = ActivityIndex(events, horizon=horizon, history_limit=limit)
    # a list and any other iterable take two loops: the same index
    assert ActivityIndex(iter(events), horizon=horizon, history_limit=limit) == index
    assert index.horizon is not None
    assert index.horizon >= horizon
    assert len(index._tail) <= limit  # the size bound: pairs x 2 + limit
    assert index.stored_attempts <= 2 * len(ACCOUNTS) * len(NAMESPACES) + limit
    for account in ACCOUNTS:
        for namespace in NAMESPACES:
            expected = oracle(events, account, namespace, moment)
            if moment >= index.horizon:
                assert answer(index, account, namespace, moment) == expected
            else:
                try:
                    got = answer(index, account, namespace, moment)
                except ActivityHorizonError:
                    continue
                assert got == expected


@settings(max_examples=200, deadline=None)
@given(events=events_st, moment=st.integers(-1, 31).map(at))
def test_keep_history_is_exact_at_any_time(events: list[AccessEvent], moment: datetime) -> None:
    index = ActivityIndex(events, keep_history=True)
    for account in ACCOUNTS:
        for namespace in NAMESPACES:
            assert answer(index, account, namespace, moment) == oracle(
                events, account, namespace, moment
            )


@settings(max_examples=200, deadline=None)
@given(events=events_st, moment=st.integers(-1, 31).map(at))
def test_latest_only_answers_or_refuses(events: list[AccessEvent], moment: datetime) -> None:
    index = ActivityIndex(events)
    for account in ACCOUNTS:
        for namespace in NAMESPACES:
            expected = oracle(events, account, namespace, moment)
            latest = oracle(events, account, namespace, at(10**6))
            if latest is None or latest[0] <= moment:
                assert answer(index, account, namespace, moment) == expected
            else:
                with pytest.raises(ActivityHorizonError):
                    index.latest_at_or_before(account, namespace, moment)


kinds = st.sampled_from(["latest", "history", "until"])


def _make(kind: str, events: list[AccessEvent] = ()) -> ActivityIndex:  # type: ignore[assignment]
    if kind == "history":
        return ActivityIndex(events, keep_history=True)
    if kind == "until":
        return ActivityIndex(events, until=at(20))
    return ActivityIndex(events)


@settings(max_examples=200, deadline=None)
@given(events=events_st, cut=st.integers(0, 60), kind=kinds)
def test_merging_equals_folding_everything(events: list[AccessEvent], cut: int, kind: str) -> None:
    whole = _make(kind, events)
    left, right = _make(kind, events[:cut]), _make(kind, events[cut:])
    left.merge(right)
    assert left == whole
    assert left.events_folded == whole.events_folded
    assert left.after_until == whole.after_until


@settings(max_examples=200, deadline=None)
@given(
    events=events_st,
    cut=st.integers(0, 60),
    horizons=st.tuples(st.integers(-1, 31), st.integers(-1, 31)).map(
        lambda h: (at(h[0]), at(h[1]))
    ),
    moment=st.integers(-1, 31).map(at),
)
def test_merged_horizon_indexes_answer_like_one(
    events: list[AccessEvent],
    cut: int,
    horizons: tuple[datetime, datetime],
    moment: datetime,
) -> None:
    left = ActivityIndex(events[:cut], horizon=horizons[0], history_limit=None)
    right = ActivityIndex(events[cut:], horizon=horizons[1], history_limit=None)
    left.merge(right)
    assert left.horizon == max(horizons)
    if moment < max(horizons):
        return
    for account in ACCOUNTS:
        for namespace in NAMESPACES:
            assert answer(left, account, namespace, moment) == oracle(
                events, account, namespace, moment
            )


def test_merge_refuses_another_kind() -> None:
    with pytest.raises(EventError, match="same kind"):
        ActivityIndex().merge(ActivityIndex(keep_history=True))


def test_the_tail_stays_bounded_however_many_events() -> None:
    account = ACCOUNTS[0]
    events = [
        AccessEvent(account_id=account, service_namespace="s3", region="eu-west-1", time=at(m))
        for m in range(5000)
    ]
    index = ActivityIndex(events, horizon=BASE, history_limit=100)
    assert index.stored_attempts <= 2 + 100
    assert index.horizon is not None
    assert index.horizon > BASE
    # a report at the horizon or later is exact
    got = index.latest_at_or_before(account, "s3", at(4990) + timedelta(seconds=30))
    assert got is not None
    assert got.time == at(4990)
    # before it, the index refuses rather than guesses
    with pytest.raises(ActivityHorizonError, match="horizon"):
        index.latest_at_or_before(account, "s3", at(10))


@settings(max_examples=100, deadline=None)
@given(
    events=events_st,
    kind=st.sampled_from(["latest", "history", "until", "horizon"]),
    moment=st.integers(-1, 31).map(at),
)
def test_an_index_survives_pickling(events: list[AccessEvent], kind: str, moment: datetime) -> None:
    import pickle

    index = (
        ActivityIndex(events, horizon=at(10), history_limit=4)
        if kind == "horizon"
        else _make(kind, events)
    )
    copy = pickle.loads(pickle.dumps(index))
    assert copy == index
    assert copy.earliest == index.earliest
    assert copy.stored_attempts == index.stored_attempts
    copy.add(events)  # and goes on folding like the original
    index.add(events)
    assert copy == index


@settings(max_examples=300, deadline=None)
@given(
    events=events_st,
    cuts=st.lists(st.integers(0, 60), max_size=3),
    kind=st.sampled_from(["latest", "until", "horizon"]),
    moment=st.integers(-1, 31).map(at),
)
def test_time_ordered_input_in_batches_is_folded_exactly(
    events: list[AccessEvent], cuts: list[int], kind: str, moment: datetime
) -> None:
    """Logs come in time order: an event later than every entry is stored without reading
    the entry it replaces. Sorted input (ties included), folded in batches into an index
    that already holds entries, must still give the oracle's answers."""
    ordered = sorted(events, key=lambda e: e.time)
    index = {
        "latest": ActivityIndex(),
        "until": ActivityIndex(until=at(20)),
        "horizon": ActivityIndex(horizon=at(15), history_limit=None),
    }[kind]
    start = 0
    for cut in [*sorted(cuts), len(ordered)]:
        index.add(ordered[start:cut])  # a list: the client's loop for a horizon index
        start = max(start, cut)
    kept = [e for e in ordered if kind != "until" or e.time <= at(20)]
    assert index.latest == max((e.time for e in kept), default=None)
    assert len(index) == len({(e.account_id, e.service_namespace) for e in kept})
    assert index.events_folded == len(kept)
    for account in ACCOUNTS:
        for namespace in NAMESPACES:
            latest = oracle(kept, account, namespace, at(10**6))
            got = index.get(account, namespace)
            assert (None if got is None else (got.time, got.region)) == latest
            if kind == "horizon" and moment >= at(15):
                assert answer(index, account, namespace, moment) == oracle(
                    kept, account, namespace, moment
                )
