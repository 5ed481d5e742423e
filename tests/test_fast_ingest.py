"""The msgspec path gives the same index and summaries as the pure path (issue 15 item 2).

Differential: generated records, malformed ones included, in the shapes the
fast path takes and the ones it hands back to the pure path; and the real
corpus in tests/data/cloudtrail/real. Skipped, with the reason, when msgspec
is not installed (the ``fast`` and ``test`` extras install it).
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgaccess.errors import IngestError
from orgaccess.formats import _fast
from orgaccess.formats.activity import ActivityLoad, read_activity
from orgaccess.formats.cloudtrail import read_cloudtrail
from orgaccess.model.events import ActivityIndex

pytestmark = pytest.mark.skipif(
    not _fast.AVAILABLE, reason="msgspec is not installed (pip install 'orgaccess[fast]')"
)

CORPUS = Path(__file__).parent / "data" / "cloudtrail" / "real"

MISSING = object()  # the key is left out

accounts = st.sampled_from(
    ["111122223333", "444455556666", "12345678901", "anonymous", 111122223333]
)
identity = st.one_of(
    st.just(MISSING),
    st.none(),
    st.just("not an object"),
    st.just([1, 2]),
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(
                ["IAMUser", "AssumedRole", "Root", "AWSService", "", None, 7, "SAMLUser"]
            ),
            "accountId": accounts,
            "arn": st.sampled_from(["arn:aws:iam::111122223333:user/a", None, 5]),
            "invokedBy": st.just("s3.amazonaws.com"),
        },
    ),
)
times = st.sampled_from(
    [
        "2026-03-04T05:06:07Z",
        "2026-03-04T05:06:08Z",
        "2026-03-04T05:06:07.5Z",
        "2026-03-04T07:06:07+02:00",
        "2026-03-04T05:06:07",
        "2026-03-04T05:06:06Z",
        "2026-03-04T23:59:59Z",
        "2024-02-29T01:02:03Z",
        "2026-02-29T01:02:03Z",
        "2026-04-31T01:02:03Z",
        "2026-03-31T01:02:03Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2026-00-04T05:06:07Z",
        "2026-03-00T05:06:07Z",
        "2026-13-04T05:06:07Z",
        "2026-03-04T24:00:00Z",
        "2026-03-04T05:06:60Z",
        "2026-03-04 05:06:07Z",
        "\uff12\uff10\uff12\uff16-03-04T05:06:07Z",
        "20260304T050607.000Z",
        "2026-03-04T05:06:07z",
        " 2026-03-04T05:06:07Z",
        "",
        5,
        None,
    ]
)
sources = st.sampled_from(
    [
        "s3.amazonaws.com",
        "EC2.amazonaws.com",
        "monitoring.amazonaws.com",
        "signin.amazonaws.com",
        "nosuchservice.amazonaws.com",
        "example.com",
        "",
        "   ",
        7,
        None,
    ]
)
record = st.fixed_dictionaries(
    {},
    optional={
        "eventVersion": st.just("1.09"),
        "eventType": st.sampled_from(
            ["AwsApiCall", "AwsServiceEvent", "AwsCloudTrailInsight", None, 3]
        ),
        "userIdentity": identity,
        "eventSource": sources,
        "eventTime": times,
        "awsRegion": st.sampled_from(
            ["us-east-1", "eu-west-1", "ap-south-2", "", " ", "us-east-1 ", None, 1]
        ),
        "eventName": st.sampled_from(["GetObject", "ConsoleLogin", "SwitchRole", None]),
        "errorCode": st.sampled_from(["AccessDenied", None]),
        "responseElements": st.sampled_from(
            [None, {"ConsoleLogin": "Failure"}, {"ConsoleLogin": "Success"}, "text", {"x": [1]}]
        ),
        "requestParameters": st.recursive(
            st.none() | st.integers() | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=8,
        ),
    },
).map(lambda r: {k: v for k, v in r.items() if v is not MISSING})
element = st.one_of(record, record, record, st.just(5), st.just("text"), st.just(None))


def _write(directory: Path, name: str, text: str, compress: bool) -> None:
    path = directory / name
    if compress:
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")


def _both(paths: list[Path], **kwargs: Any) -> tuple[ActivityLoad, ActivityLoad]:
    pure = read_activity(paths, fast=False, **kwargs)
    fast = read_activity(paths, fast=True, **kwargs)
    return pure, fast


def _same(pure: ActivityLoad, fast: ActivityLoad) -> None:
    assert fast.cloudtrail == pure.cloudtrail
    assert fast.rows == pure.rows
    assert fast.index == pure.index
    assert sorted(fast.index.items(), key=str) == sorted(pure.index.items(), key=str)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=st.lists(
        st.tuples(
            st.lists(element, max_size=12),
            st.sampled_from(["log", "log", "ndjson", "events", "twice", "badjson"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_generated_records_give_the_same_index_and_summary(
    files: list[tuple[list[object], str, bool]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for n, (elements, shape, compress) in enumerate(files):
            if shape == "log":
                text = json.dumps({"Records": elements})
            elif shape == "ndjson":
                text = "\n".join(json.dumps(e) for e in elements if isinstance(e, dict))
            elif shape == "events":
                text = json.dumps(
                    {"Events": [{"CloudTrailEvent": json.dumps(e)} for e in elements]}
                )
            elif shape == "twice":
                text = json.dumps({"Records": elements}) + json.dumps({"Records": elements[:2]})
            else:
                text = json.dumps({"Records": elements})[:-3] + "}, ]}"
            _write(directory, f"{n:02d}.json" + (".gz" if compress else ""), text, compress)
        paths = sorted(directory.iterdir())
        _same(*_both(paths))
        until = read_activity(paths, fast=False, index=ActivityIndex(until=_at("05:06:07")))
        fast_until = read_activity(paths, fast=True, index=ActivityIndex(until=_at("05:06:07")))
        _same(until, fast_until)
        assert fast_until.after_until == until.after_until
        # an index that keeps every attempt gets each one, not the reduced latest
        history = read_activity(paths, fast=False, index=ActivityIndex(keep_history=True))
        fast_history = read_activity(paths, fast=True, index=ActivityIndex(keep_history=True))
        _same(history, fast_history)
        # strict: the same first problem, and what came before it folded alike
        outcomes = []
        for fast in (False, True):
            index = ActivityIndex()
            try:
                read_activity(paths, fast=fast, strict=True, index=index)
                outcomes.append(("ok", index))
            except IngestError as exc:
                outcomes.append((str(exc), index))
        assert outcomes[0][0] == outcomes[1][0]
        assert outcomes[0][1] == outcomes[1][1]


def _at(clock: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(f"2026-03-04T{clock}+00:00")


def test_the_real_corpus_gives_the_same_index_and_summary() -> None:
    paths = sorted(CORPUS.glob("*.json"))
    assert len(paths) > 100
    pure, fast = _both(paths)
    _same(pure, fast)
    assert pure.cloudtrail.records_read > 1000


def test_the_fast_path_takes_a_delivered_log_file(tmp_path: Path) -> None:
    """The fast path really runs on a delivered file (the equality above is not vacuous)."""
    records = [
        {
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "accountId": "111122223333"},
            "eventSource": "s3.amazonaws.com",
            "eventTime": "2026-03-04T05:06:07Z",
            "awsRegion": "eu-west-1",
        }
    ]
    path = tmp_path / "log.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    from orgaccess.formats._ingest import Tally, read_options

    options = read_options(strict=False, namespace_map=None, known_namespaces=None, max_problems=5)
    run = Tally(options)
    index = ActivityIndex()
    ingest = read_cloudtrail(path)
    converter = ingest._converter
    caches = _fast.new_caches(converter.known)
    taken = _fast.read_file_fast(
        str(path), run, index, converter.attempt, converter.namespace, caches, None
    )
    assert taken
    assert run.counted == 1
    # reduced to the latest of its pair, folded in by flush (read_activity does it at the end)
    assert caches.pending == 1
    assert len(index) == 0
    _fast.flush(caches, index)
    assert index.get("111122223333", "s3") is not None
    assert index.events_folded == 1
    assert caches.pending == 0
    # newline-delimited records are left to the pure path
    lines = tmp_path / "lines.json"
    lines.write_text(json.dumps(records[0]) + "\n" + json.dumps(records[0]) + "\n")
    assert not _fast.read_file_fast(
        str(lines),
        Tally(options),
        index,
        converter.attempt,
        converter.namespace,
        _fast.new_caches(converter.known),
        None,
    )


def test_fast_true_without_msgspec_is_an_ingest_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orgaccess.errors import IngestError

    monkeypatch.setattr(_fast, "AVAILABLE", False)
    with pytest.raises(IngestError, match="msgspec"):
        read_activity([tmp_path], fast=True)


def test_a_file_past_the_fast_bound_is_streamed_by_the_pure_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path holds a file whole: past MAX_FAST_BYTES once gunzipped (a gzip bomb),
    or a gzip of several members, it declines without inflating further, and the pure
    path gives the same result."""
    record = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "accountId": "111122223333"},
        "eventSource": "s3.amazonaws.com",
        "eventTime": "2026-03-04T05:06:07Z",
        "awsRegion": "eu-west-1",
        "requestParameters": {"padding": " " * 5000},
    }
    text = json.dumps({"Records": [record]}).encode()
    bomb = tmp_path / "big.json.gz"
    bomb.write_bytes(gzip.compress(text))
    members = tmp_path / "members.json.gz"
    members.write_bytes(gzip.compress(text[:50]) + gzip.compress(text[50:]))
    plain = tmp_path / "big.json"
    plain.write_bytes(text)
    monkeypatch.setattr(_fast, "MAX_FAST_BYTES", 4096)
    for path in (bomb, members, plain):
        assert _fast._records(str(path)) is None
        pure, fast = _both([path])
        _same(pure, fast)
        assert fast.cloudtrail.counted == 1
    monkeypatch.setattr(_fast, "MAX_FAST_BYTES", 1 << 20)
    assert _fast._records(str(bomb)) is not None  # under the bound: taken
