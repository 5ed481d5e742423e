"""What the activity read could and could not show: the rules behind exit codes 3 and 4.

A report built from CloudTrail can only see what the logs given to it hold.
Two questions decide whether its answer may be trusted:

**Is there any activity at all?** (:func:`emptiness`). When no record was
counted, or none of the counted ones falls in the tracking window
``[as_of - tracking_days, as_of]``, the report would list every service as
never used: almost certainly a wrong input (an empty directory, a failed
``lookup-events``, files that are not CloudTrail), not an organization that
did nothing. ``report`` and ``unused`` stop with exit code 3 unless
``--allow-empty``.

**Could each unused service's use have been observed?** (:func:`assess`).
``unused`` calls a service unused when no counted account used it in the
*unused period* ``[as_of - min(days, tracking_days), as_of]`` (a use older
than the tracking window does not show in a report either). That claim holds
only when the activity read covers that whole period for every account the
report counts. The activity read is taken to cover:

* **from** ``--events-from`` when given (the user knows when the logs begin,
  e.g. when the trail was created), else from the *earliest counted attempt*:
  logs usually start mid-stream, and nothing proves they cover any earlier
  moment;
* **to** the *latest counted attempt* at or before ``--as-of``, which must be
  within :data:`END_TOLERANCE` (one day) of ``--as-of``: CloudTrail delivers
  within minutes, exports run at most daily, so a longer gap means the logs
  were collected before ``--as-of`` and later use is missing;
* **every account the report counts** that has at least one counted attempt
  (of any service, at any time). An account with none was most likely not
  logged at all (an account trail instead of an organization trail, a
  missing prefix in ``aws s3 sync``).

Each gap is a :class:`Gap`; ``unused --suggest-scp`` refuses (exit code 4)
while there is one, unless ``--allow-partial``. The rules are a judgement the
tool cannot make for you: records of event sources the catalog does not know
are skipped (``UNKNOWN_SERVICE``) and listed as a caveat, and services that
write nothing to CloudTrail can never be seen as used (see the how-to).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta

import attrs

from ..model.events import ActivityIndex
from ..model.ids import AccountId

__all__ = [
    "END_TOLERANCE",
    "ActivitySpan",
    "Coverage",
    "Gap",
    "assess",
    "emptiness",
]

#: How far before ``--as-of`` the latest counted attempt may be for the data to reach it.
END_TOLERANCE = timedelta(days=1)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@attrs.frozen(kw_only=True)
class ActivitySpan:
    """What was read: counts, and the earliest / latest attempt folded (at or before as-of)."""

    records_read: int
    rows_read: int
    counted: int
    after_as_of: int
    earliest: datetime | None
    latest: datetime | None
    unknown_sources: Mapping[str, int] = attrs.field(factory=dict)

    def describe(self) -> str:
        """One sentence: what was read and counted, and the span of the counted attempts."""
        text = (
            f"read {self.records_read} CloudTrail records and {self.rows_read} aggregated rows; "
            f"counted {self.counted}"
        )
        if self.after_as_of:
            text += f" ({self.after_as_of} after --as-of left out)"
        if self.earliest is not None and self.latest is not None:
            text += f"; attempts from {_iso(self.earliest)} to {_iso(self.latest)}"
        return text


def _window_start(as_of: datetime, days: int) -> datetime:
    return as_of - timedelta(days=days)


def emptiness(span: ActivitySpan, *, as_of: datetime, tracking_days: int) -> str | None:
    """Why the activity is empty for a report at ``as_of``, or ``None`` when it is not.

    Empty means: nothing was counted, or no counted attempt falls in
    ``[as_of - tracking_days, as_of]``.
    """
    start = _window_start(as_of, tracking_days)
    window = f"the tracking window {_iso(start)} .. {_iso(as_of)} ({tracking_days} days)"
    if span.counted == 0 or span.latest is None:
        return f"no activity: {span.describe()}; nothing falls in {window}"
    if span.latest < start:
        return f"no activity in {window}: {span.describe()}; the latest is before the window starts"
    return None


@attrs.frozen(kw_only=True)
class Gap:
    """One reason the unused period is not fully observed."""

    kind: str  # "start", "end" or "accounts"
    message: str
    accounts: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Coverage:
    """The unused period, what the activity covers, and the gaps between them."""

    period_start: datetime
    period_end: datetime
    covered_from: datetime | None
    covered_to: datetime | None
    from_declared: bool
    accounts_counted: int
    accounts_seen: int
    gaps: tuple[Gap, ...]
    caveats: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """Whether the activity covers the whole unused period for every counted account."""
        return not self.gaps

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict of this assessment."""
        return {
            "Complete": self.complete,
            "PeriodStart": _iso(self.period_start),
            "PeriodEnd": _iso(self.period_end),
            "CoveredFrom": _iso(self.covered_from) if self.covered_from else None,
            "CoveredFromDeclared": self.from_declared,
            "CoveredTo": _iso(self.covered_to) if self.covered_to else None,
            "AccountsCounted": self.accounts_counted,
            "AccountsWithActivity": self.accounts_seen,
            "Gaps": [
                {"Kind": g.kind, "Message": g.message, "Accounts": list(g.accounts)}
                for g in self.gaps
            ],
            "Caveats": list(self.caveats),
        }


def _list(items: Iterable[str], limit: int = 5) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def assess(
    span: ActivitySpan,
    index: ActivityIndex,
    *,
    as_of: datetime,
    days: int,
    tracking_days: int,
    counted_accounts: Collection[AccountId],
    events_from: datetime | None = None,
) -> Coverage:
    """Whether the activity read covers the unused period for every counted account."""
    period_days = min(days, tracking_days)
    start = _window_start(as_of, period_days)
    covered_from = events_from if events_from is not None else span.earliest
    covered_to = span.latest
    gaps: list[Gap] = []
    if covered_from is None or covered_from > start:
        begins = "no counted attempt" if covered_from is None else _iso(covered_from)
        how = "--events-from" if events_from is not None else "the earliest counted attempt"
        gaps.append(
            Gap(
                kind="start",
                message=(
                    f"the activity read begins at {begins} ({how}), after the start of the "
                    f"{period_days}-day period ({_iso(start)}): use before then could not be "
                    "seen (give older logs, or --events-from TIME if the logs are complete "
                    "from an earlier time)"
                ),
            )
        )
    if covered_to is None or covered_to < as_of - END_TOLERANCE:
        ends = "no counted attempt" if covered_to is None else _iso(covered_to)
        gaps.append(
            Gap(
                kind="end",
                message=(
                    f"the latest counted attempt is {ends}, more than a day before --as-of "
                    f"({_iso(as_of)}): use after it could not be seen (set --as-of to when "
                    "the logs were collected)"
                ),
            )
        )
    seen = index.accounts
    missing = sorted(str(a) for a in counted_accounts if a not in seen)
    if missing:
        gaps.append(
            Gap(
                kind="accounts",
                message=(
                    f"{len(missing)} of {len(counted_accounts)} accounts the report counts have "
                    f"no counted attempt at all: {_list(missing)} (were they logged? an "
                    "organization trail logs every account)"
                ),
                accounts=tuple(missing),
            )
        )
    caveats: list[str] = []
    if span.unknown_sources:
        top = sorted(span.unknown_sources.items(), key=lambda kv: (-kv[1], kv[0]))
        total = sum(span.unknown_sources.values())
        caveats.append(
            f"{total} records of event sources outside the service catalog were skipped "
            f"({_list(f'{k}: {v}' for k, v in top)}); if one belongs to a listed service, "
            "that service's use was not seen"
        )
    return Coverage(
        period_start=start,
        period_end=as_of,
        covered_from=covered_from,
        covered_to=covered_to,
        from_declared=events_from is not None,
        accounts_counted=len(counted_accounts),
        accounts_seen=len(counted_accounts) - len(missing),
        gaps=tuple(gaps),
        caveats=tuple(caveats),
    )
