"""parse_instant's shortcut for CloudTrail's exact form agrees with the general parser.

The shortcut (``2026-01-02T03:04:05Z`` read by ``datetime.fromisoformat``) exists
for speed only: on every text, shaped like the form or one edit away from it,
it must give the general parser's instant, or both must refuse.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from hypothesis import example, given
from hypothesis import strategies as st

from orgaccess._time import _parse_general, parse_instant
from orgaccess.errors import InvalidTimeError


def _outcome(parse: Callable[[], datetime]) -> datetime | str:
    try:
        return parse()
    except InvalidTimeError:
        return "refused"


exact = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ").rjust(20, "0")
)
# one character replaced by a digit, a separator, a non-ASCII digit or a letter
mutated = st.tuples(
    exact, st.integers(0, 19), st.sampled_from("0123456789-:TtZz W+.\uff12\u0663")
).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :])
shaped = st.builds(
    lambda y, mo, d, h, mi, s: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z",
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
)


@given(st.one_of(exact, mutated, shaped))
@example("2026-03-04T24:00:00Z")
@example("2026-02-29T00:00:00Z")
@example("2024-02-29T00:00:00Z")
@example("0000-01-01T00:00:00Z")
@example("2026-W10-3T05:06:07Z")
@example("20260304T050607.000Z")
@example("2026-03-04x05:06:07Z")
def test_the_shortcut_gives_the_general_answer(text: str) -> None:
    naive: Literal["utc", "reject"]
    for naive in ("utc", "reject"):
        fast = _outcome(functools.partial(parse_instant, text, naive=naive))
        general = _outcome(functools.partial(_parse_general, text, naive))
        assert fast == general
        if isinstance(fast, datetime):
            assert fast.tzinfo is UTC


def test_the_exact_form_is_read() -> None:
    assert parse_instant("2026-03-04T05:06:07Z") == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
