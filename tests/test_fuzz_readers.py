"""Fuzzing the readers (issue 11 item 6): CloudTrail files, aggregated rows, snapshots.

Inputs are real files mutated byte by byte (the CloudTrail corpus in
``tests/data/cloudtrail/real``, the bundled example snapshot), truncated, or
random JSON. The only outcomes allowed are the documented ones: a reader
returns a summary whose counts add up (every record counted or skipped, each
problem located in the file read), and raises nothing but its typed error in
strict mode; a snapshot loads or raises :class:`SnapshotError`, and what loads
round-trips.
"""

from __future__ import annotations

import functools
import gzip
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgaccess.errors import IngestError, SnapshotError
from orgaccess.formats.cloudtrail import read_cloudtrail
from orgaccess.formats.rows import read_aggregated_rows
from orgaccess.formats.snapshot import example_snapshot, load_organization, to_snapshot
from orgaccess.model.organization import Organization

CORPUS = Path(__file__).parent / "data" / "cloudtrail" / "real"
KNOWN = frozenset({"s3", "ec2", "iam", "lambda", "sts", "kms", "cloudtrail", "dynamodb"})
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def corpus_files() -> tuple[bytes, ...]:
    """The smallest real corpus files (fast to read many times), as bytes."""
    paths = sorted(CORPUS.glob("*.json"), key=lambda p: (p.stat().st_size, p.name))
    return tuple(p.read_bytes() for p in paths[:40])


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
# keys a record may have, so random objects often reach the record rules
record_keys = st.sampled_from(
    ["eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "userIdentity",
     "eventType", "errorCode", "responseElements", "type", "accountId", "Records", "Events",
     "CloudTrailEvent"]
)  # fmt: skip
records = st.dictionaries(
    record_keys, json_values | st.dictionaries(record_keys, json_values), max_size=8
)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few random edits: flips, inserts, deletes, a cut, a repeat."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat", "byte"]))
        at = draw(st.integers(0, len(out)))
        if kind == "flip" and at < len(out):
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and at < len(out):
            out[at] = draw(st.sampled_from(b'"\\{}[],:\x00\xff\xc3\n '))
        elif kind == "insert":
            out[at:at] = draw(
                st.binary(max_size=8) | st.sampled_from([b'"', b"{", b"]", b"\xe2\x82"])
            )
        elif kind == "delete":
            del out[at : at + draw(st.integers(1, 64))]
        elif kind == "truncate":
            del out[at:]
        elif kind == "repeat":
            out[at:at] = out[at : at + draw(st.integers(1, 200))]
    return bytes(out)


def _write(directory: str, name: str, data: bytes) -> Path:
    path = Path(directory) / name
    path.write_bytes(data)
    return path


def check_summary(summary: Any, path: Path) -> None:
    assert summary.counted + sum(summary.skipped.values()) == summary.records_read
    assert summary.files_read + summary.files_ignored <= 1
    for problem in summary.problems:
        assert problem.location.startswith(str(path)), problem
        assert problem.message


def check_cloudtrail(path: Path) -> None:
    ingest = read_cloudtrail(path, known_namespaces=KNOWN)
    events = list(ingest)
    check_summary(ingest.summary, path)
    assert len(events) == ingest.summary.counted
    try:
        list(read_cloudtrail(path, known_namespaces=KNOWN, strict=True))
    except IngestError as exc:
        error = str(exc)
    else:
        error = str(path)
    assert str(path) in error


def check_rows(path: Path) -> None:
    summary = read_aggregated_rows(path, known_namespaces=KNOWN).summary
    check_summary(summary, path)
    try:
        read_aggregated_rows(path, known_namespaces=KNOWN, strict=True)
    except IngestError as exc:
        error = str(exc)
    else:
        error = str(path)
    assert str(path) in error


# -- CloudTrail ----------------------------------------------------------------


@FUZZ
@given(st.data())
def test_mutated_real_cloudtrail_files(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(corpus_files()))
    content = data.draw(mutated(original))
    with tempfile.TemporaryDirectory() as tmp:
        check_cloudtrail(_write(tmp, "log.json", content))


@FUZZ
@given(st.data())
def test_mutated_gzipped_cloudtrail_files(data: st.DataObject) -> None:
    original = gzip.compress(data.draw(st.sampled_from(corpus_files())), mtime=0)
    content = data.draw(mutated(original))
    with tempfile.TemporaryDirectory() as tmp:
        check_cloudtrail(_write(tmp, "log.json.gz", content))


@FUZZ
@given(st.data())
def test_truncated_real_cloudtrail_files(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(corpus_files()))
    cut = data.draw(st.integers(0, len(original)))
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(tmp, "log.json", original[:cut])
        check_cloudtrail(path)
        ingest = read_cloudtrail(path, known_namespaces=KNOWN)
        list(ingest)
        whole = read_cloudtrail(_write(tmp, "whole.json", original), known_namespaces=KNOWN)
        list(whole)
        # a cut file never yields more records than the whole one
        assert ingest.summary.records_read <= whole.summary.records_read


@FUZZ
@given(
    st.one_of(
        st.builds(lambda rs: {"Records": rs}, st.lists(records, max_size=5)),
        st.builds(lambda rs: {"Events": rs}, st.lists(records | json_values, max_size=5)),
        st.lists(records, max_size=5),
        records,
        json_values,
    ),
    st.sampled_from(["json", "ndjson"]),
)
def test_random_json_as_cloudtrail(document: Any, layout: str) -> None:
    if (
        layout == "ndjson"
        and isinstance(document, dict)
        and isinstance(document.get("Records"), list)
    ):
        text = "\n".join(json.dumps(r) for r in document["Records"])
    else:
        text = json.dumps(document)
    with tempfile.TemporaryDirectory() as tmp:
        check_cloudtrail(_write(tmp, "log.json", text.encode()))


# -- aggregated rows -------------------------------------------------------------

ROW_HEADER = b"account_id,event_source,region,last_attempt,principal_type\n"
ROW = b"111122223333,s3.amazonaws.com,us-east-1,2026-01-02 03:04:05.000 UTC,IAMUser\n"
cells = st.text(max_size=15) | st.sampled_from(
    [
        "111122223333",
        "s3",
        "s3.amazonaws.com",
        "us-east-1",
        "2026-01-02T03:04:05Z",
        "AWSService",
        "",
    ]
)


@FUZZ
@given(st.data(), st.sampled_from(["r.csv", "r.jsonl", "r.csv.gz", "rows.txt"]))
def test_mutated_row_files(data: st.DataObject, name: str) -> None:
    if "jsonl" in name:
        row = {"account_id": "111122223333", "namespace": "s3", "region": "us-east-1",
               "last_attempt": "2026-01-02T03:04:05Z"}  # fmt: skip
        original = ("\n".join(json.dumps(row) for _ in range(5)) + "\n").encode()
    else:
        original = ROW_HEADER + ROW * 5
    if name.endswith(".gz"):
        original = gzip.compress(original, mtime=0)
    content = data.draw(mutated(original))
    with tempfile.TemporaryDirectory() as tmp:
        check_rows(_write(tmp, name, content))


@FUZZ
@given(
    st.lists(st.lists(cells, min_size=1, max_size=7), max_size=6),
    st.lists(records | json_values, max_size=6),
)
def test_random_rows(csv_rows: list[list[str]], json_rows: list[Any]) -> None:
    import csv
    import io

    text = io.StringIO()
    csv.writer(text).writerows([["account", "namespace", "region", "time"], *csv_rows])
    with tempfile.TemporaryDirectory() as tmp:
        check_rows(_write(tmp, "r.csv", text.getvalue().encode("utf-8", "surrogatepass")))
        lines = "\n".join(json.dumps(r) for r in json_rows)
        check_rows(_write(tmp, "r.jsonl", lines.encode("utf-8", "surrogatepass")))


# -- snapshots ---------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Callable[[Any], Any]) -> Any:
    if not path:
        return new(value)
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


IDS = ["r-ex12", "ou-ex12-dev00001", "101010101010", "p-FullAWSAccess", "o-exampleorg1", "", "x"]


def check_snapshot(source: Any) -> None:
    try:
        org = load_organization(source)
    except SnapshotError as exc:
        problems: tuple[Any, ...] | None = exc.problems
    else:
        problems = None
    if problems is not None:
        assert problems
        assert all(isinstance(p.location, str) and p.message for p in problems)
        return
    assert isinstance(org, Organization)
    assert load_organization(to_snapshot(org)) == org


@FUZZ
@given(st.data())
def test_mutated_snapshot_structures(data: st.DataObject) -> None:
    snapshot: Any = example_snapshot()
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(snapshot)))
        action = data.draw(st.sampled_from(["value", "delete", "duplicate", "id"]))
        if action == "value":
            replacement = data.draw(json_values)
            snapshot = _replace(snapshot, path, lambda _old, r=replacement: r)
        elif action in ("delete", "duplicate") and path:
            parent_path, key = path[:-1], path[-1]

            def edit(parent: Any, key: Any = key, action: str = action) -> Any:
                copy = dict(parent) if isinstance(parent, dict) else list(parent)
                if action == "delete":
                    del copy[key]
                elif isinstance(copy, list):
                    copy.insert(key, copy[key])
                return copy

            snapshot = _replace(snapshot, parent_path, edit)
        elif action == "id":
            text = data.draw(st.sampled_from(IDS))
            snapshot = _replace(snapshot, path, lambda _old, t=text: t)
    check_snapshot(snapshot)


@FUZZ
@given(st.data())
def test_mutated_snapshot_files(data: st.DataObject) -> None:
    original = json.dumps(example_snapshot(), indent=1).encode()
    content = data.draw(mutated(original))
    with tempfile.TemporaryDirectory() as tmp:
        check_snapshot(_write(tmp, "org.json", content))


@FUZZ
@given(json_values | records)
def test_random_json_as_a_snapshot(document: Any) -> None:
    check_snapshot(document if isinstance(document, dict) else {"Organization": document})
