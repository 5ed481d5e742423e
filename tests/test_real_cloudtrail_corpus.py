"""The CloudTrail reader against the real corpus (issue 12, item 5).

``tests/data/cloudtrail/real/expected.jsonl`` holds the outcome of every
record, written by ``derive_expected.py``, which imports nothing from
orgaccess (``test_real_cloudtrail_corpus_data.py`` checks that the file is
what the script writes). Here :func:`read_cloudtrail` reads the corpus and
must give exactly those outcomes:

* record by record (each record alone in a delivered log file), so that every
  counted record is checked field by field and every skipped one by reason;
* file by file, each corpus file read whole: the events in record order and
  the skip counts;
* through :func:`read_activity`, with the same records as newline-delimited
  records, gzipped, named ``.jsonl`` or ``.txt``: the same index and counts.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from orgaccess._time import format_instant
from orgaccess.formats.activity import read_activity
from orgaccess.formats.cloudtrail import SkipReason, read_cloudtrail
from orgaccess.model.events import AccessEvent

CORPUS = Path(__file__).parent / "data" / "cloudtrail" / "real"
CORPUS_FILES = sorted(path.name for path in CORPUS.glob("*.json"))
#: named one by one: the directory also holds expected.jsonl, which is no log
CORPUS_PATHS = [CORPUS / name for name in CORPUS_FILES]


@cache
def records(name: str) -> list[Any]:
    records: list[Any] = json.loads((CORPUS / name).read_text(encoding="utf-8"))["Records"]
    return records


@cache
def expected_by_file() -> dict[str, list[dict[str, Any]]]:
    lines = (CORPUS / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    by_file: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        entry = json.loads(line)
        by_file.setdefault(entry["file"], []).append(entry)
    return by_file


def outcome_of(event: AccessEvent) -> dict[str, Any]:
    """An event in the words of ``expected.jsonl``."""
    return {
        "outcome": "counted",
        "account": str(event.account_id),
        "namespace": event.service_namespace,
        "region": event.region,
        "time": format_instant(event.time),
        "denied": event.denied,
    }


def want(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in ("file", "index", "eventID")}


def test_the_corpus_is_large_and_every_record_has_an_expectation() -> None:
    total = sum(len(records(name)) for name in CORPUS_FILES)
    assert total >= 1000
    assert sum(len(entries) for entries in expected_by_file().values()) == total
    assert sorted(expected_by_file()) == CORPUS_FILES


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_record_alone_has_its_expected_outcome(name: str, tmp_path: Path) -> None:
    mismatches = []
    for entry, record in zip(expected_by_file()[name], records(name), strict=True):
        path = tmp_path / f"{entry['index']}.json"
        path.write_text(json.dumps({"Records": [record]}), encoding="utf-8")
        ingest = read_cloudtrail(path)
        events = list(ingest)
        summary = ingest.summary
        assert summary.records_read == 1
        if events:
            got = outcome_of(events[0])
        else:
            (reason,) = [reason for reason, n in summary.skipped.items() if n]
            got = {"outcome": "skipped", "reason": str(reason)}
            # only a malformed record is a problem; the other skips are counted, never raised
            assert len(summary.problems) == (reason is SkipReason.MALFORMED)
        if got != want(entry):
            mismatches.append((f"{name}#{entry['index']}", want(entry), got))
    assert mismatches == []


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_each_corpus_file_read_whole_gives_the_expected_events_and_counts(name: str) -> None:
    entries = expected_by_file()[name]
    ingest = read_cloudtrail(CORPUS / name)
    events = [outcome_of(event) for event in ingest]
    summary = ingest.summary
    assert events == [want(e) for e in entries if e["outcome"] == "counted"]
    skipped = Counter(e["reason"] for e in entries if e["outcome"] == "skipped")
    assert {str(k): v for k, v in summary.skipped.items() if v} == dict(skipped)
    assert summary.records_read == len(entries)
    assert summary.counted + summary.skipped_total == summary.records_read


def test_the_whole_corpus_in_one_read_matches_the_expected_totals() -> None:
    everything = [e for entries in expected_by_file().values() for e in entries]
    ingest = read_cloudtrail(*CORPUS_PATHS)
    events = list(ingest)
    summary = ingest.summary
    assert summary.files_read == len(CORPUS_FILES)
    assert summary.counted == len(events) == sum(e["outcome"] == "counted" for e in everything)
    unknown = Counter(
        records(e["file"])[e["index"]]["eventSource"]
        for e in everything
        if e.get("reason") == "UNKNOWN_SERVICE"
    )
    assert dict(summary.unknown_sources) == dict(unknown)


def _write_ndjson(path: Path, lines: list[Any]) -> Path:
    text = "".join(json.dumps(record) + "\n" for record in lines)
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    return path


def test_newline_delimited_gzipped_copies_read_through_read_activity_agree(
    tmp_path: Path,
) -> None:
    """The same records, one per line, gzipped, as .jsonl or .txt: the same activity."""
    copies = []
    for number, name in enumerate(CORPUS_FILES):
        suffix = ".jsonl.gz" if number % 2 else ".txt"
        copies.append(
            _write_ndjson(tmp_path / (name.removesuffix(".json") + suffix), records(name))
        )
    original = read_activity(CORPUS_PATHS)
    copied = read_activity(copies)
    assert copied.cloudtrail.records_read == original.cloudtrail.records_read
    assert copied.cloudtrail.counted == original.cloudtrail.counted
    assert dict(copied.cloudtrail.skipped) == dict(original.cloudtrail.skipped)
    assert dict(copied.cloudtrail.unknown_sources) == dict(original.cloudtrail.unknown_sources)
    assert copied.rows.records_read == 0
    assert dict(copied.index.items()) == dict(original.index.items())
    assert len(original.index) > 0


@pytest.mark.parametrize(
    "name", ["panther-labs__panther-analysis.json", "awsdocs__iam-user-guide.json"]
)
def test_a_newline_delimited_copy_gives_the_same_events_in_order(name: str, tmp_path: Path) -> None:
    copy = _write_ndjson(tmp_path / "records.txt", records(name))
    assert list(read_cloudtrail(copy)) == list(read_cloudtrail(CORPUS / name))
