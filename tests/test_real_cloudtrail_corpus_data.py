"""The real CloudTrail corpus (tests/data/cloudtrail/real) is whole and consistent (issue 12).

These tests check the data only: every corpus file parses in CloudTrail's delivered
shape, every record has exactly one line in ``expected.jsonl`` and that line is well
formed, ``PROVENANCE.md`` accounts for every file with the right record count, and
``expected.jsonl`` is exactly what ``derive_expected.py`` (which imports nothing from
orgaccess) writes.  Whether orgaccess's reader agrees with the expectations is a
separate test.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from datetime import datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CORPUS = Path(__file__).parent / "data" / "cloudtrail" / "real"
EXPECTED = CORPUS / "expected.jsonl"
PROVENANCE = CORPUS / "PROVENANCE.md"
REASONS = {"MALFORMED", "UNAUTHENTICATED", "NO_PRINCIPAL", "AWS_SERVICE", "UNKNOWN_SERVICE"}
CORPUS_FILES = sorted(CORPUS.glob("*.json"))


@cache
def records(name: str) -> list[Any]:
    document = json.loads((CORPUS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    assert set(document) == {"Records"}
    assert isinstance(document["Records"], list)
    return document["Records"]


@cache
def expected() -> list[dict[str, Any]]:
    lines = EXPECTED.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@cache
def provenance_counts() -> dict[str, int]:
    """``file -> records`` as the per-file tables of PROVENANCE.md state them."""
    counts: dict[str, int] = {}
    current = None
    for line in PROVENANCE.read_text(encoding="utf-8").splitlines():
        heading = re.fullmatch(r"### `([^`]+\.json)`", line)
        if heading:
            current = heading.group(1)
            assert current not in counts, f"{current} has two sections"
            continue
        row = re.fullmatch(r"\| records \| (\d+)(?: \(extracted \d+\))? \|", line)
        if row and current is not None:
            counts[current] = int(row.group(1))
            current = None
    return counts


@cache
def derive_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("derive_expected", CORPUS / "derive_expected.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_is_at_least_a_thousand_records_from_many_sources() -> None:
    """The corpus keeps its size and variety (issue 12: about 1,000 records, 100+ sources)."""
    sources = {
        record["eventSource"]
        for path in CORPUS_FILES
        for record in records(path.name)
        if isinstance(record, dict) and isinstance(record.get("eventSource"), str)
    }
    assert sum(len(records(path.name)) for path in CORPUS_FILES) >= 1000
    assert len(sources) >= 100


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.name)
def test_every_file_is_a_delivered_cloudtrail_file(path: Path) -> None:
    """Each file is ``{"Records": [...]}`` with at least one record, named ``owner__repo``."""
    assert re.fullmatch(r"[A-Za-z0-9-]+__[A-Za-z0-9._-]+?(__[0-9a-f]{7})?\.json", path.name)
    assert records(path.name)


def test_every_record_has_exactly_one_expected_line() -> None:
    """``(file, index)`` keys of expected.jsonl are exactly the records of the corpus."""
    keys = Counter((line["file"], line["index"]) for line in expected())
    assert max(keys.values()) == 1
    wanted = {(path.name, i) for path in CORPUS_FILES for i in range(len(records(path.name)))}
    assert set(keys) == wanted


def test_expected_lines_name_the_records_event_id() -> None:
    """``eventID`` in a line is the record's own (or null when the record has none)."""
    for line in expected():
        record = records(line["file"])[line["index"]]
        own = record.get("eventID") if isinstance(record, dict) else None
        assert line["eventID"] == (own if isinstance(own, str) else None), line


def test_expected_lines_are_well_formed() -> None:
    """A line is counted (account, namespace, region, UTC time, denied) or skipped with a reason."""
    for line in expected():
        outcome = {k: v for k, v in line.items() if k not in ("file", "index", "eventID")}
        if outcome["outcome"] == "counted":
            assert set(outcome) == {"outcome", "account", "namespace", "region", "time", "denied"}
            assert re.fullmatch(r"\d{12}", outcome["account"]), line
            assert re.fullmatch(r"[a-z0-9-]+", outcome["namespace"]), line
            assert outcome["region"], line
            assert outcome["time"].endswith("Z"), line
            datetime.fromisoformat(outcome["time"])
            assert isinstance(outcome["denied"], bool), line
        else:
            assert outcome == {"outcome": "skipped", "reason": outcome.get("reason")}, line
            assert outcome["reason"] in REASONS, line


def test_provenance_accounts_for_every_file_and_record() -> None:
    """PROVENANCE.md has one table per corpus file, and its record counts are the files' counts."""
    counts = provenance_counts()
    assert set(counts) == {path.name for path in CORPUS_FILES}
    for path in CORPUS_FILES:
        assert counts[path.name] == len(records(path.name)), path.name


def test_provenance_names_repository_commit_and_licence_of_every_file() -> None:
    """Every per-file table says where the records come from and under which licence."""
    sections = PROVENANCE.read_text(encoding="utf-8").split("\n### `")[1:]
    assert len(sections) == len(CORPUS_FILES)
    for section in sections:
        name = section.split("`", 1)[0]
        owner, repo = name.removesuffix(".json").split("__")[:2]
        assert f"| repository | `{owner}/{repo}` |" in section, name
        assert re.search(r"\| commit \| `[0-9a-f]{40}` \|", section), name
        assert re.search(r"\| licence \| (Apache-2\.0|CC-BY-SA-4\.0|MIT-0)", section), name


def test_expected_is_what_the_independent_derivation_writes() -> None:
    """expected.jsonl is not edited by hand away from derive_expected.py's rules."""
    lines = derive_module().expected_lines()
    assert lines == EXPECTED.read_text(encoding="utf-8").splitlines()


def test_derivation_table_lists_exactly_the_corpus_event_sources() -> None:
    """Every eventSource of the corpus has an explicit namespace decision, and no other does."""
    sources = {
        record["eventSource"]
        for path in CORPUS_FILES
        for record in records(path.name)
        if isinstance(record, dict) and isinstance(record.get("eventSource"), str)
    }
    assert set(derive_module().EVENT_SOURCE_NAMESPACES) == sources


def _record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventTime": "2024-03-01T10:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "awsRegion": "eu-west-1",
        "eventType": "AwsApiCall",
        "userIdentity": {"type": "IAMUser", "accountId": "111122223333"},
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


@pytest.mark.parametrize(
    ("record", "outcome"),
    [
        pytest.param([], "MALFORMED", id="not-an-object"),
        pytest.param(_record(eventSource=...), "MALFORMED", id="no-event-source"),
        pytest.param(_record(eventTime="2024-03-01"), "MALFORMED", id="date-only"),
        pytest.param(_record(eventTime="2024-03-01T25:00:00Z"), "MALFORMED", id="bad-hour"),
        pytest.param(_record(awsRegion=None), "MALFORMED", id="no-region"),
        pytest.param(
            _record(eventType="AwsServiceEvent"), "NO_PRINCIPAL", id="service-event-typed"
        ),
        pytest.param(
            _record(eventType="AwsCloudTrailInsight", eventSource=..., userIdentity=...),
            "NO_PRINCIPAL",
            id="insight-without-event-source",
        ),
        pytest.param(_record(userIdentity="IAMUser"), "MALFORMED", id="identity-not-an-object"),
        pytest.param(
            _record(
                eventName="ConsoleLogin",
                eventSource="signin.amazonaws.com",
                responseElements={"ConsoleLogin": "Failure"},
                userIdentity={"type": "Root", "accountId": "111122223333"},
            ),
            "UNAUTHENTICATED",
            id="console-failure-with-account",
        ),
        pytest.param(
            _record(userIdentity={"accountId": "111122223333", "invokedBy": "AWS Internal"}),
            "NO_PRINCIPAL",
            id="aws-internal",
        ),
        pytest.param(
            _record(userIdentity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}),
            "AWS_SERVICE",
            id="aws-service",
        ),
        pytest.param(_record(userIdentity=...), "UNAUTHENTICATED", id="no-identity"),
        pytest.param(
            _record(userIdentity={"principalId": "x"}), "NO_PRINCIPAL", id="untyped-no-account"
        ),
        pytest.param(
            _record(userIdentity={"type": "AWSAccount", "accountId": "anonymous"}),
            "UNAUTHENTICATED",
            id="anonymous",
        ),
        pytest.param(
            _record(
                eventSource="signin.amazonaws.com",
                userIdentity={"type": "IAMUser", "principalId": "", "userName": "HIDDEN"},
            ),
            "UNAUTHENTICATED",
            id="console-failure-no-account",
        ),
        pytest.param(
            _record(eventSource="iotevents.amazonaws.com"), "UNKNOWN_SERVICE", id="no-namespace"
        ),
    ],
)
def test_derivation_skips(record: object, outcome: str) -> None:
    """Spot checks of rules 1-8 of derive_expected.py on small hand-made records."""
    assert derive_module().expected_outcome(record) == {"outcome": "skipped", "reason": outcome}


def test_derivation_counts_in_utc_with_denied_from_error_code() -> None:
    """Rule 9: the principal's account, the mapped namespace, UTC time, denied iff errorCode."""
    record = _record(
        eventSource="pinpoint.amazonaws.com",
        eventTime="2024-03-01T01:30:00.250+02:00",
        errorCode="AccessDenied",
        recipientAccountId="444455556666",
    )
    assert derive_module().expected_outcome(record) == {
        "outcome": "counted",
        "account": "111122223333",
        "namespace": "mobiletargeting",
        "region": "eu-west-1",
        "time": "2024-02-29T23:30:00.250000Z",
        "denied": True,
    }
    assert derive_module().expected_outcome(_record(errorCode=None))["denied"] is False


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("2022-11-15 23:05:21", "2022-11-15T23:05:21Z"),
        ("2021-05-20 15:53:47Z", "2021-05-20T15:53:47Z"),
        ("2024-03-01T10:00", "2024-03-01T10:00:00Z"),
        ("2024-03-01T10:00:00+0130", "2024-03-01T08:30:00Z"),
        ("2024-03-01T10:00:00-01", "2024-03-01T11:00:00Z"),
    ],
)
def test_derivation_reads_zone_less_times_as_utc(text: str, time: str) -> None:
    """One rule for both readers: no zone is UTC; a blank may stand for the ``T``."""
    assert derive_module().expected_outcome(_record(eventTime=text))["time"] == time


def test_derivation_counts_a_typed_principal_acting_through_aws_internal() -> None:
    """Semantics section 4: a call made through a service on a principal's behalf counts."""
    identity = {"type": "IAMUser", "accountId": "111122223333", "invokedBy": "AWS Internal"}
    outcome = derive_module().expected_outcome(_record(userIdentity=identity))
    assert outcome["outcome"] == "counted"
    assert outcome["account"] == "111122223333"
