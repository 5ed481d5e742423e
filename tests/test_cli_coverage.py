"""The coverage rules (``orgaccess.cli.coverage``) against a plain restatement, as properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from orgaccess.cli.coverage import END_TOLERANCE, ActivitySpan, assess, emptiness
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.ids import AccountId

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
ACCOUNTS = ("111111111111", "222222222222", "333333333333")

attempts = st.lists(
    st.tuples(
        st.sampled_from(ACCOUNTS),
        st.integers(min_value=-500 * 24, max_value=2 * 24).map(
            lambda h: AS_OF + timedelta(hours=h)
        ),
    ),
    max_size=12,
)


def _load(events: list[tuple[str, datetime]]) -> tuple[ActivityIndex, ActivitySpan]:
    index = ActivityIndex(
        [
            AccessEvent(account_id=a, service_namespace="s3", region="us-east-1", time=t)
            for a, t in events
        ],
        until=AS_OF,
    )
    kept = [t for _, t in events if t <= AS_OF]
    span = ActivitySpan(
        records_read=len(events),
        rows_read=0,
        counted=len(events),
        after_as_of=len(events) - len(kept),
        earliest=min(kept, default=None),
        latest=max(kept, default=None),
    )
    return index, span


@given(
    events=attempts,
    days=st.integers(min_value=0, max_value=500),
    tracking=st.integers(min_value=0, max_value=500),
    counted=st.sets(st.sampled_from(ACCOUNTS), min_size=1),
    declared=st.none() | st.integers(min_value=0, max_value=600),
)
def test_complete_exactly_when_the_period_and_every_account_are_seen(
    events: list[tuple[str, datetime]],
    days: int,
    tracking: int,
    counted: set[str],
    declared: int | None,
) -> None:
    index, span = _load(events)
    events_from = None if declared is None else AS_OF - timedelta(days=declared)
    coverage = assess(
        span,
        index,
        as_of=AS_OF,
        days=days,
        tracking_days=tracking,
        counted_accounts=frozenset(AccountId(a) for a in counted),
        events_from=events_from,
    )
    kept = [(a, t) for a, t in events if t <= AS_OF]
    start = AS_OF - timedelta(days=min(days, tracking))
    begins = events_from if events_from is not None else min((t for _, t in kept), default=None)
    ends = max((t for _, t in kept), default=None)
    seen = {a for a, _ in kept}
    expected_kinds = []
    if begins is None or begins > start:
        expected_kinds.append("start")
    if ends is None or ends < AS_OF - END_TOLERANCE:
        expected_kinds.append("end")
    if counted - seen:
        expected_kinds.append("accounts")
    assert [g.kind for g in coverage.gaps] == expected_kinds
    assert coverage.complete == (not expected_kinds)
    if counted - seen:
        assert set(coverage.gaps[-1].accounts) == counted - seen


@given(events=attempts, tracking=st.integers(min_value=0, max_value=500))
def test_empty_exactly_when_no_attempt_falls_in_the_tracking_window(
    events: list[tuple[str, datetime]], tracking: int
) -> None:
    _, span = _load(events)
    start = AS_OF - timedelta(days=tracking)
    in_window = [t for _, t in events if start <= t <= AS_OF]
    assert (emptiness(span, as_of=AS_OF, tracking_days=tracking) is None) == bool(in_window)


@given(events=attempts, days=st.integers(min_value=0, max_value=500))
def test_declaring_an_earlier_start_never_adds_a_gap(
    events: list[tuple[str, datetime]], days: int
) -> None:
    index, span = _load(events)
    counted = frozenset(AccountId(a) for a in ACCOUNTS)
    inferred = assess(
        span, index, as_of=AS_OF, days=days, tracking_days=400, counted_accounts=counted
    )
    declared = assess(
        span,
        index,
        as_of=AS_OF,
        days=days,
        tracking_days=400,
        counted_accounts=counted,
        events_from=AS_OF - timedelta(days=days),
    )
    assert {g.kind for g in declared.gaps} <= {g.kind for g in inferred.gaps}
    assert "start" not in {g.kind for g in declared.gaps}
