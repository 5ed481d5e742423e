"""Hostile and extreme input to the readers and the snapshot file (issue 11 items 2 and 3).

Every case ends in a documented outcome (docs/reference/bad-input.md): a
record skipped as MALFORMED with its location while the read goes on, or a
typed error naming the file; never an exception escaping a reader, a hang or
memory growing with the input.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import attrs
import pytest

from orgaccess.engine.change_impact import impact
from orgaccess.engine.report import MAX_TRACKING_DAYS, ReportOptions, build_report
from orgaccess.errors import ConfigurationError, IngestError, SnapshotError
from orgaccess.formats import _ingest, _jsonstream, snapshot
from orgaccess.formats.cloudtrail import SkipReason, read_cloudtrail
from orgaccess.formats.rows import read_aggregated_rows
from orgaccess.formats.snapshot import (
    dump_organization,
    example_organization,
    example_snapshot,
    load_organization,
)
from orgaccess.model.events import ActivityIndex

ACCOUNT = "111122223333"
HEADER = "account_id,namespace,region,last_attempt"
KNOWN = frozenset({"s3", "ec2"})


def record(i: int = 0, **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "accountId": ACCOUNT},
        "eventTime": "2026-01-02T03:04:05Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "eventID": f"id-{i}",
    }
    rec.update(extra)
    return rec


def read(*paths: Any, **kwargs: Any) -> tuple[list[Any], Any]:
    ingest = read_cloudtrail(*paths, known_namespaces=KNOWN, **kwargs)
    events = list(ingest)
    return events, ingest.summary


def records_text(records: list[str]) -> bytes:
    return ('{"Records": [' + ", ".join(records) + "]}").encode()


# -- one record too large, too deep, too long a number -------------------------


def test_a_record_over_the_size_bound_is_malformed_and_the_read_goes_on(tmp_path: Path) -> None:
    big = json.dumps(record(1, requestParameters={"blob": "x" * (5 << 20)}))
    assert len(big) > _jsonstream.MAX_ELEMENT_CHARS
    path = tmp_path / "big.json"
    path.write_bytes(records_text([json.dumps(record(0)), big, json.dumps(record(2))]))
    events, summary = read(path)
    assert len(events) == 2
    assert summary.skipped[SkipReason.MALFORMED] == 1
    (problem,) = summary.problems
    assert problem.location == f"{path}#/Records/1"
    assert f"more than {_jsonstream.MAX_ELEMENT_CHARS:,} characters" in problem.message


@pytest.mark.parametrize("chunk", [3, 7, 64])
def test_an_oversized_record_is_scanned_past_across_chunks_with_strings_and_escapes(
    chunk: int, tmp_path: Path
) -> None:
    # brackets and quotes inside strings, escaped quotes and backslashes at chunk edges
    tricky = record(1, requestParameters={"s": '] } [ { \\" \\\\' * 40, "n": [[1, {"a": "]"}]]})
    path = tmp_path / "t.json"
    path.write_bytes(
        records_text([json.dumps(record(0)), json.dumps(tricky), '"' + "y" * 500 + '"', "1" * 600])
        + b"\n"
        + json.dumps(record(9)).encode()
    )
    with (
        mock.patch.object(_jsonstream, "CHUNK_CHARS", chunk),
        mock.patch.object(_jsonstream, "MAX_ELEMENT_CHARS", 400),
    ):
        events, summary = read(path)
    assert [e.time.year for e in events] == [2026, 2026]  # records 0 and 9
    assert [p.location.rsplit("#", 1)[1] for p in summary.problems] == [
        "/Records/1",
        "/Records/2",
        "/Records/3",
    ]
    assert [p.message.split(":")[0] for p in summary.problems] == [
        f"a value of more than 400 characters ({len(json.dumps(tricky)):,} read)",
        "a value of more than 400 characters (502 read)",
        "not valid JSON",
    ], summary.problems


def test_a_file_ending_inside_an_oversized_record_is_a_file_problem(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_bytes(records_text([json.dumps(record(0))])[:-2] + b', {"a": "' + b"z" * 900)
    with mock.patch.object(_jsonstream, "MAX_ELEMENT_CHARS", 400):
        events, summary = read(path)
    assert len(events) == 1
    assert "the file ends inside a value" in summary.problems[-1].message


def test_a_deeply_nested_record_is_malformed(tmp_path: Path) -> None:
    deep = '{"eventVersion": "1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = tmp_path / "deep.json"
    path.write_bytes(records_text([json.dumps(record(0)), deep, json.dumps(record(2))]))
    events, summary = read(path)
    assert len(events) == 2
    (problem,) = summary.problems
    assert problem.location.endswith("#/Records/1")
    assert "nested too deeply" in problem.message


def test_a_number_over_the_length_bound_is_malformed(tmp_path: Path) -> None:
    long_number = "9" * (_jsonstream.MAX_NUMBER_CHARS + 1)
    fine = "9" * _jsonstream.MAX_NUMBER_CHARS
    path = tmp_path / "num.json"
    path.write_bytes(
        records_text(
            [
                json.dumps(record(0))[:-1] + f', "n": {fine}}}',
                json.dumps(record(1))[:-1] + f', "n": {long_number}}}',
                json.dumps(record(2))[:-1] + f', "f": 1.{long_number}}}',
            ]
        )
    )
    events, summary = read(path)
    assert len(events) == 1
    assert [p.location.rsplit("#", 1)[1] for p in summary.problems] == ["/Records/1", "/Records/2"]
    assert [p.message for p in summary.problems] == [
        "not valid JSON: a number of 101 characters (the limit is 100)",
        "not valid JSON: a number of 103 characters (the limit is 100)",
    ]


def test_a_5000_digit_number_is_malformed_whatever_the_int_digit_limit(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_bytes(records_text([json.dumps(record(0))[:-1] + ', "n": ' + "7" * 5000 + "}"]))
    events, summary = read(path)
    assert events == []
    assert summary.skipped[SkipReason.MALFORMED] == 1


@pytest.mark.parametrize(
    ("inner", "message"),
    [
        ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
        ('{"n": ' + "1" * 5000 + "}", "a number of 5000 characters"),
        ("{", "not JSON"),
    ],
)
def test_lookup_events_strings_are_bounded_like_files(
    tmp_path: Path, inner: str, message: str
) -> None:
    good = {"EventId": "a", "CloudTrailEvent": json.dumps(record(0))}
    bad = {"EventId": "b", "CloudTrailEvent": inner}
    path = tmp_path / "lookup.json"
    path.write_text(json.dumps({"Events": [bad, good]}))
    events, summary = read(path)
    assert len(events) == 1
    (problem,) = summary.problems
    assert problem.location.endswith("#/Events/0")
    assert message in problem.message


@pytest.mark.parametrize(
    "time", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "99999-01-01T00:00:00Z"]
)
def test_an_event_time_outside_the_representable_range_is_malformed(
    tmp_path: Path, time: str
) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(records_text([json.dumps(record(0, eventTime=time)), json.dumps(record(1))]))
    events, summary = read(path)
    assert len(events) == 1
    assert summary.skipped[SkipReason.MALFORMED] == 1
    assert summary.problems[0].location.endswith("#/Records/0")


# -- bytes that are not UTF-8 --------------------------------------------------


def test_a_bad_byte_after_1000_records_keeps_them_all_and_names_the_byte(tmp_path: Path) -> None:
    good = records_text([json.dumps(record(i)) for i in range(1000)])[:-2]
    path = tmp_path / "bad.json"
    path.write_bytes(good + b", \xff]}")
    events, summary = read(path)
    assert len(events) == 1000
    (problem,) = summary.problems
    assert f"at byte {len(good) + 2}" in problem.message
    assert "the 1000 record(s) before it were read" in problem.message


@pytest.mark.parametrize("gz", [False, True])
def test_a_bad_byte_after_1000_rows_keeps_them_all_and_names_the_line(
    tmp_path: Path, gz: bool
) -> None:
    rows = "".join(f"{ACCOUNT},s3,r{i},2026-01-02T03:04:05Z\n" for i in range(1000))
    data = (HEADER + "\n" + rows).encode() + b"\xc3\x28,s3,r,2026-01-02T03:04:05Z\n"
    path = tmp_path / ("r.csv.gz" if gz else "r.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    summary = read_aggregated_rows(path, known_namespaces=KNOWN).summary
    assert summary.counted == 1000
    (problem,) = summary.problems
    byte = len((HEADER + "\n" + rows).encode())
    assert (
        problem.message
        == f"not UTF-8 text (invalid continuation byte) at byte {byte} after line 1001"
    )


# -- the row reader's lines ------------------------------------------------------


def test_an_overlong_csv_line_is_malformed_and_scanned_past(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        f"{HEADER}\n{ACCOUNT},s3,r,2026-01-02T03:04:05Z\n{ACCOUNT},s3,{'x' * 5000},2026\n"
        f"{ACCOUNT},ec2,r,2026-01-02T03:04:05Z\n"
    )
    with (
        mock.patch.object(_jsonstream, "CHUNK_CHARS", 16),
        mock.patch.object(_jsonstream, "MAX_ELEMENT_CHARS", 300),
    ):
        summary = read_aggregated_rows(path, known_namespaces=KNOWN).summary
    assert (summary.records_read, summary.counted) == (3, 2)
    (problem,) = summary.problems
    assert (problem.location, problem.message) == (
        f"{path}:3",
        "the line is longer than 300 characters: skipped",
    )


def test_a_csv_field_over_the_csv_module_limit_skips_the_row_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        f'{HEADER}\n{ACCOUNT},s3,"{"y" * 200_000}",2026-01-02T03:04:05Z\n'
        f"{ACCOUNT},ec2,r,2026-01-02T03:04:05Z\n"
    )
    summary = read_aggregated_rows(path, known_namespaces=KNOWN).summary
    assert (summary.records_read, summary.counted) == (2, 1)
    assert summary.problems[0].location == f"{path}:2"
    assert "field larger than field limit" in summary.problems[0].message


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"account_id": ' + "1" * 5000 + "}", "a number of 5000 characters"),
        ('{"account_id": "x"' + " " * (5 << 20) + "}", "the line is longer than 4,194,304"),
    ],
)
def test_jsonl_rows_are_bounded(tmp_path: Path, line: str, message: str) -> None:
    good = json.dumps(
        {"account_id": ACCOUNT, "namespace": "s3", "region": "r", "last_attempt": "2026-01-02Z"}
    ).replace("2026-01-02Z", "2026-01-02T03:04:05Z")
    path = tmp_path / "r.jsonl"
    path.write_text(f"{good}\n{line}\n{good}\n")
    summary = read_aggregated_rows(path, known_namespaces=KNOWN).summary
    assert (summary.records_read, summary.counted) == (3, 2)
    (problem,) = summary.problems
    assert problem.location == f"{path}:2"
    assert message in problem.message


def test_a_csv_with_carriage_returns_only_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(
        f"{HEADER}\r{ACCOUNT},s3,r,2026-01-02T03:04:05Z\r{ACCOUNT},ec2,r,2026-01-02T03:04:05Z\r".encode()
    )
    assert read_aggregated_rows(path, known_namespaces=KNOWN).summary.counted == 2


# -- memory -------------------------------------------------------------------------


def _peak(fn: Any) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_one_huge_line_is_read_in_memory_bounded_by_the_record_limit(tmp_path: Path) -> None:
    size = 3 << 20
    huge = tmp_path / "huge.json"
    huge.write_bytes(b'{"eventVersion": "' + b"a" * size + b'"}\n' + json.dumps(record()).encode())
    rows = tmp_path / "huge.csv"
    rows.write_bytes(f"{HEADER}\n".encode() + b"b" * size + b"\n")
    with (
        mock.patch.object(_jsonstream, "MAX_ELEMENT_CHARS", 1 << 18),
        mock.patch.object(_jsonstream, "CHUNK_CHARS", 1 << 16),
    ):
        peak = _peak(lambda: read(huge))
        peak_rows = _peak(lambda: read_aggregated_rows(rows, known_namespaces=KNOWN))
        events, summary = read(huge)
    assert len(events) == 1
    assert summary.skipped[SkipReason.MALFORMED] == 1
    # a few copies of the bound, far below the 3 MiB line
    assert peak < 2 << 20, peak
    assert peak_rows < 2 << 20, peak_rows


def test_distinct_unknown_sources_are_counted_by_name_up_to_the_cap(tmp_path: Path) -> None:
    n = _ingest.MAX_UNKNOWN_SOURCES + 500
    path = tmp_path / "u.json"
    path.write_bytes(
        records_text([json.dumps(record(i, eventSource=f"x{i}.amazonaws.com")) for i in range(n)])
    )
    _, summary = read(path)
    assert summary.skipped[SkipReason.UNKNOWN_SERVICE] == n
    assert len(summary.unknown_sources) == _ingest.MAX_UNKNOWN_SOURCES + 1
    assert summary.unknown_sources["(others)"] == 500
    assert sum(summary.unknown_sources.values()) == n


# -- files reached twice; files that are not regular ---------------------------------


def test_a_file_reached_twice_is_read_once(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    log = data / "a.json"
    log.write_bytes(records_text([json.dumps(record())]))
    os.link(log, data / "hard.json")
    (data / "soft.json").symlink_to(log)
    rows = data / "r.csv"
    rows.write_text(f"{HEADER}\n{ACCOUNT},s3,r,2026-01-02T03:04:05Z\n")
    os.link(rows, data / "hard.csv")
    (data / "soft.csv").symlink_to(rows)
    for sources in ([data], [log, log], [log, data / "hard.json"], [data / "soft.json", log]):
        events, summary = read(*sources)
        assert (len(events), summary.files_read, summary.records_read) == (1, 1, 1), sources
    for row_sources in ([data], [rows, rows], [rows, data / "hard.csv"], [data / "soft.csv", rows]):
        summary = read_aggregated_rows(*row_sources, known_namespaces=KNOWN).summary
        assert (summary.files_read, summary.records_read) == (1, 1), row_sources


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_as_activity_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    _, summary = read(fifo)
    assert [p.message for p in summary.problems] == [
        "not a regular file or directory (a FIFO, device or socket)"
    ]
    rows = read_aggregated_rows(fifo).summary
    assert rows.problems[0].message.startswith("not a regular file")
    with pytest.raises(IngestError, match="not a regular file"):
        read(fifo, strict=True)


def _with_timeout(fn: Any, seconds: float = 10) -> Any:
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not return."""
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # handed to the test thread
            error.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "hung"
    if error:
        raise error[0]
    return result[0] if result else None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_the_snapshot_is_a_clear_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "org.json"
    os.mkfifo(fifo)
    with pytest.raises(SnapshotError, match=r"not a regular file: a FIFO \(named pipe\)"):
        _with_timeout(lambda: load_organization(fifo))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_as_the_snapshot_is_a_clear_error_not_a_memory_blow_up() -> None:
    with pytest.raises(SnapshotError, match="not a regular file: a device") as info:
        _with_timeout(lambda: load_organization("/dev/zero"))
    assert info.value.source == "/dev/zero"


def test_a_snapshot_over_the_size_bound_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    path.write_text(json.dumps(example_snapshot()))
    size = path.stat().st_size
    with (
        mock.patch.object(snapshot, "MAX_SNAPSHOT_BYTES", size - 1),
        pytest.raises(SnapshotError, match=f"{size:,} bytes: larger than the limit"),
    ):
        load_organization(path)
    with mock.patch.object(snapshot, "MAX_SNAPSHOT_BYTES", size):
        assert load_organization(path) == example_organization()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"Organization": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"Organization": ' + "1" * 5000 + "}", "a number of 5000 characters"),
    ],
)
def test_an_extreme_snapshot_file_is_a_snapshot_error(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "org.json"
    path.write_text(text)
    with pytest.raises(SnapshotError, match=message):
        load_organization(path)


# -- writing -----------------------------------------------------------------------


def test_a_failed_dump_leaves_the_old_file_intact(tmp_path: Path) -> None:
    org = example_organization()
    path = tmp_path / "org.json"
    dump_organization(org, path)
    before = path.read_bytes()
    account = org.accounts[0]
    broken = org.evolve(accounts=(attrs.evolve(account, name="bad \udc80 name"), *org.accounts[1:]))
    with pytest.raises(SnapshotError, match="text UTF-8 cannot encode") as info:
        dump_organization(broken, path)
    assert path.read_bytes() == before
    assert info.value.problems[0].location.endswith("/Name")
    assert sorted(os.listdir(tmp_path)) == ["org.json"]  # no temporary file left behind


def test_dump_replaces_the_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    path.write_text("old")
    calls: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        calls.append((os.path.dirname(src), Path(src).read_text()[:1]))
        real_replace(src, dst)

    with mock.patch("os.replace", spy):
        dump_organization(example_organization(), path)
    assert calls == [(str(tmp_path), "{")]
    assert load_organization(path) == example_organization()


def test_dump_into_a_missing_directory_is_a_snapshot_error(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="cannot be written"):
        dump_organization(example_organization(), tmp_path / "no" / "org.json")


# -- report options ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"partition": "aws/x"}, "partition must be a non-empty string without"),
        ({"partition": ""}, "partition must be a non-empty string without"),
        ({"resources": "exact"}, "resources must be 'precise' or 'simple'"),
        ({"tracking_days": 10**7}, "tracking_days must be at most 3,652,059"),
        ({"tracking_days": -(10**5000)}, "an integer of about 5000 digits"),
    ],
)
def test_bad_report_options_are_configuration_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ReportOptions(**options)


def test_a_tracking_period_reaching_past_year_1_starts_at_year_1() -> None:
    org = example_organization()
    report = build_report(
        org,
        ActivityIndex(),
        f"{org.id}/{org.root.id}",
        created=datetime(50, 1, 1, tzinfo=UTC),
        options=ReportOptions(tracking_days=MAX_TRACKING_DAYS),
    )
    assert report.details


def test_impact_window_days_are_bounded_and_may_reach_back_to_year_1() -> None:
    org = example_organization()
    early = datetime(30, 1, 1, tzinfo=UTC)
    for bad in (MAX_TRACKING_DAYS + 1, -(10**5000)):
        with pytest.raises(ConfigurationError, match="window_days must be an integer from 0 to"):
            impact(org, ActivityIndex(), [], as_of=early, window_days=bad)
    result = impact(org, ActivityIndex(), [], as_of=early, window_days=MAX_TRACKING_DAYS)
    assert result.window_start == datetime.min.replace(tzinfo=UTC)
