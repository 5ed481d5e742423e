"""The record rules of orgaccess.formats.cloudtrail decided for issue 12 (lead's decisions).

Each test pins one rule that the real corpus (test_real_cloudtrail_corpus.py)
showed or settled: zone-less times are UTC, a failed console sign-in is
unauthenticated whatever account it names, service and Insights events have no
principal before any field is checked, an untyped identity has no principal, a
typed principal acting through "AWS Internal" counts, a blank in awsRegion is
malformed, and one odd line of a newline-delimited file is a malformed record,
not the end of the file.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from test_cloudtrail import ACCOUNT, identity, one_outcome, read, record

from orgaccess.formats.cloudtrail import SkipReason
from orgaccess.model.events import AccessEvent


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2022-11-15 23:05:21", datetime(2022, 11, 15, 23, 5, 21, tzinfo=UTC)),
        ("2022-11-15T23:05:21", datetime(2022, 11, 15, 23, 5, 21, tzinfo=UTC)),
        ("2021-05-20 15:53:47Z", datetime(2021, 5, 20, 15, 53, 47, tzinfo=UTC)),
        ("2021-05-20 15:53:47.5", datetime(2021, 5, 20, 15, 53, 47, 500000, tzinfo=UTC)),
    ],
)
def test_a_zone_less_event_time_is_utc(tmp_path: Path, text: str, moment: datetime) -> None:
    outcome = one_outcome(tmp_path, record(time=text))
    assert isinstance(outcome, AccessEvent)
    assert outcome.time == moment


@pytest.mark.parametrize("account", [ACCOUNT, None, "account"])
@pytest.mark.parametrize("kind", ["Root", "IAMUser"])
def test_a_failed_console_sign_in_is_unauthenticated_whatever_account_it_names(
    tmp_path: Path, account: str | None, kind: str
) -> None:
    rec = record(
        ident=identity(kind, account),
        source="signin.amazonaws.com",
        eventName="ConsoleLogin",
        eventType="AwsConsoleSignIn",
        responseElements={"ConsoleLogin": "Failure"},
        errorMessage="Failed authentication",
    )
    assert one_outcome(tmp_path, rec) is SkipReason.UNAUTHENTICATED


def test_a_successful_console_sign_in_counts_for_signin(tmp_path: Path) -> None:
    rec = record(
        source="signin.amazonaws.com",
        eventName="ConsoleLogin",
        eventType="AwsConsoleSignIn",
        responseElements={"ConsoleLogin": "Success"},
    )
    outcome = one_outcome(tmp_path, rec)
    assert isinstance(outcome, AccessEvent)
    assert outcome.service_namespace == "signin"


@pytest.mark.parametrize("event_type", ["AwsServiceEvent", "AwsCloudTrailInsight"])
@pytest.mark.parametrize(
    "ident",
    [identity("AssumedRole"), identity("Unknown"), identity(None), None, "not an object"],
    ids=["typed", "unknown-type", "untyped", "absent", "not-an-object"],
)
def test_service_and_insight_events_have_no_principal_whatever_the_identity(
    tmp_path: Path, event_type: str, ident: Any
) -> None:
    rec = record(eventType=event_type)
    if ident is None:
        del rec["userIdentity"]
    else:
        rec["userIdentity"] = ident
    del rec["eventSource"]  # an Insights record has none: the event type decides first
    events, summary = read(_write(tmp_path, [rec]))
    assert events == []
    assert summary.skipped[SkipReason.NO_PRINCIPAL] == 1
    assert summary.problems == ()


@pytest.mark.parametrize(
    "ident",
    [
        {"accountId": ACCOUNT, "invokedBy": "AWS Internal"},
        {"invokedBy": "AWS Internal"},
        {"principalId": "x"},
        {"type": None, "accountId": ACCOUNT},
        {"type": "", "accountId": ACCOUNT},
    ],
)
def test_an_untyped_identity_has_no_principal_with_or_without_an_account(
    tmp_path: Path, ident: dict[str, Any]
) -> None:
    assert one_outcome(tmp_path, record(ident=ident)) is SkipReason.NO_PRINCIPAL


def test_a_typed_principal_acting_through_aws_internal_counts_for_it(tmp_path: Path) -> None:
    rec = record(ident=identity("IAMUser", invokedBy="AWS Internal"), source="kms.amazonaws.com")
    outcome = one_outcome(tmp_path, rec)
    assert isinstance(outcome, AccessEvent)
    assert (str(outcome.account_id), outcome.service_namespace) == (ACCOUNT, "kms")


def test_aws_service_is_aws_service_and_a_typed_principal_without_account_unauthenticated(
    tmp_path: Path,
) -> None:
    assert one_outcome(tmp_path, record(ident=identity("AWSService", None))) is (
        SkipReason.AWS_SERVICE
    )
    assert one_outcome(tmp_path, record(ident=identity("AssumedRole", None))) is (
        SkipReason.UNAUTHENTICATED
    )


def test_a_broken_record_is_malformed_before_its_identity_is_judged(tmp_path: Path) -> None:
    rec = record(time=None)
    del rec["userIdentity"]
    assert one_outcome(tmp_path, rec) is SkipReason.MALFORMED
    assert one_outcome(tmp_path, record(ident=["IAMUser"])) is SkipReason.MALFORMED


@pytest.mark.parametrize("region", ["us east-1", "us-east-1 ", "\tus-east-1"])
def test_a_region_with_a_blank_is_malformed(tmp_path: Path, region: str) -> None:
    assert one_outcome(tmp_path, record(region=region)) is SkipReason.MALFORMED


@pytest.mark.parametrize("position", [0, 1, 2])
def test_an_odd_line_of_a_newline_delimited_file_is_one_malformed_record(
    tmp_path: Path, position: int
) -> None:
    """A record whose keys a tool lower-cased is a malformed record wherever it stands."""
    lines = [record(), record(region="eu-west-1")]
    odd = {key.lower(): value for key, value in record().items()}
    lines.insert(position, odd)
    path = tmp_path / "records.jsonl.gz"
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in lines).encode()))
    events, summary = read(path)
    assert [event.region for event in events] == ["us-east-1", "eu-west-1"]
    assert summary.records_read == 3
    assert summary.skipped[SkipReason.MALFORMED] == 1
    assert len(summary.problems) == 1
    assert "not CloudTrail" not in summary.problems[0].message


def test_after_a_record_any_other_object_line_is_a_malformed_record(tmp_path: Path) -> None:
    path = tmp_path / "records.txt"
    path.write_text(json.dumps(record()) + "\n" + json.dumps({"note": 1}) + "\n")
    events, summary = read(path)
    assert len(events) == 1
    assert summary.skipped[SkipReason.MALFORMED] == 1


def test_a_file_of_other_json_objects_is_still_not_cloudtrail(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"note": 1}) + "\n")
    events, summary = read(path)
    assert events == []
    assert summary.records_read == 0
    assert "not CloudTrail" in summary.problems[0].message


def _write(tmp_path: Path, records: list[Any]) -> Path:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"Records": records}))
    return path
