"""Tests of orgaccess.formats.cloudtrail: CloudTrail logs to access events (semantics 4, 9)."""

from __future__ import annotations

import doctest
import gzip
import json
import random
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.errors import IngestError, OrgAccessError
from orgaccess.formats import _ingest, _jsonstream, _namespaces, cloudtrail
from orgaccess.formats.cloudtrail import (
    EVENT_SOURCE_NAMESPACES,
    IngestIncompleteError,
    IngestSummary,
    SkipReason,
    namespace_for_event_source,
    read_cloudtrail,
)
from orgaccess.model.events import AccessEvent, ActivityIndex

ACCOUNT = "111122223333"
OTHER = "444455556666"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def identity(
    kind: str | None = "IAMUser", account: str | None = ACCOUNT, **extra: Any
) -> dict[str, Any]:
    ident: dict[str, Any] = dict(extra)
    if kind is not None:
        ident["type"] = kind
    if account is not None:
        ident["accountId"] = account
    return ident


def record(
    *,
    ident: Any = None,
    source: Any = "s3.amazonaws.com",
    time: Any = "2026-01-02T03:04:05Z",
    region: Any = "us-east-1",
    **extra: Any,
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity(arn=f"arn:aws:iam::{ACCOUNT}:user/alice")
        if ident is None
        else ident,
        "eventTime": time,
        "eventSource": source,
        "eventName": "GetObject",
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "eventID": "0b7e3c2a-0000-4000-8000-000000000000",
        "recipientAccountId": OTHER,
        "eventType": "AwsApiCall",
    }
    rec.update(extra)
    return rec


def write_json(path: Path, document: object, *, gz: bool = False) -> Path:
    data = json.dumps(document).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def write_records(path: Path, records: Iterable[object], *, gz: bool = False) -> Path:
    return write_json(path, {"Records": list(records)}, gz=gz)


def write_lookup(path: Path, records: Iterable[object]) -> Path:
    events = [
        {"EventId": f"id-{i}", "EventName": "X", "CloudTrailEvent": json.dumps(r)}
        for i, r in enumerate(records)
    ]
    return write_json(path, {"Events": events, "NextToken": "token"})


def read(*paths: Path | str, **options: Any) -> tuple[list[AccessEvent], IngestSummary]:
    ingest = read_cloudtrail(*paths, **options)
    events = list(ingest)
    return events, ingest.summary


def one_outcome(tmp_path: Path, rec: object, **options: Any) -> SkipReason | AccessEvent:
    """The fate of a single record: its event, or the reason it was skipped."""
    events, summary = read(write_records(tmp_path / "one.json", [rec]), **options)
    assert summary.records_read == 1
    if events:
        return events[0]
    (reason,) = [r for r, n in summary.skipped.items() if n]
    return reason


def assert_adds_up(summary: IngestSummary) -> None:
    assert summary.counted + sum(summary.skipped.values()) == summary.records_read


# --------------------------------------------------------------------------- shapes


def test_records_shape_yields_one_event_per_record_with_all_fields(tmp_path: Path) -> None:
    path = write_records(tmp_path / "log.json", [record(), record(region="eu-west-1")])
    events, summary = read(path)
    assert events[0] == AccessEvent(
        account_id=ACCOUNT,
        service_namespace="s3",
        region="us-east-1",
        time=T0,
        principal_type="IAMUser",
        principal_arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
        denied=False,
    )
    assert events[1].region == "eu-west-1"
    assert (summary.files_read, summary.records_read, summary.counted) == (1, 2, 2)
    assert summary.problems == ()
    assert summary.complete


def test_event_time_is_an_aware_utc_datetime(tmp_path: Path) -> None:
    event = one_outcome(tmp_path, record(time="2026-01-02T05:04:05.250+02:00"))
    assert isinstance(event, AccessEvent)
    assert event.time == T0 + timedelta(milliseconds=250)
    assert event.time.tzinfo is UTC


def test_lookup_events_shape_decodes_each_cloudtrail_event_string(tmp_path: Path) -> None:
    path = write_lookup(tmp_path / "lookup.json", [record(), record(source="ec2.amazonaws.com")])
    events, summary = read(path)
    assert [e.service_namespace for e in events] == ["s3", "ec2"]
    assert (summary.records_read, summary.counted) == (2, 2)


def test_lookup_events_with_the_record_as_an_object_is_accepted(tmp_path: Path) -> None:
    path = write_json(tmp_path / "l.json", {"Events": [{"CloudTrailEvent": record()}]})
    events, _ = read(path)
    assert [e.service_namespace for e in events] == ["s3"]


def test_lookup_events_cloudtrail_event_that_is_not_json_is_malformed(tmp_path: Path) -> None:
    doc = {"Events": [{"CloudTrailEvent": "{not json"}, {"CloudTrailEvent": json.dumps(record())}]}
    path = write_json(tmp_path / "l.json", doc)
    events, summary = read(path)
    assert len(events) == 1
    assert summary.skipped[SkipReason.MALFORMED] == 1
    (problem,) = summary.problems
    assert problem.location == f"{path}#/Events/0"
    assert "CloudTrailEvent is not JSON" in problem.message


def test_lookup_events_element_without_cloudtrail_event_is_malformed(tmp_path: Path) -> None:
    path = write_json(tmp_path / "l.json", {"Events": [{"EventId": "x"}, 7]})
    events, summary = read(path)
    assert events == []
    assert summary.skipped[SkipReason.MALFORMED] == 2
    assert [p.location for p in summary.problems] == [f"{path}#/Events/0", f"{path}#/Events/1"]


def test_a_top_level_list_of_records_is_accepted(tmp_path: Path) -> None:
    path = write_json(tmp_path / "list.json", [record(), record()])
    events, summary = read(path)
    assert len(events) == 2
    assert summary.problems == ()


def test_concatenated_documents_in_one_file_are_all_read(tmp_path: Path) -> None:
    path = tmp_path / "pages.json"
    page = json.dumps({"Records": [record()]})
    path.write_text(page + "\n" + page + " " + json.dumps([record()]))
    events, summary = read(path)
    assert len(events) == 3
    assert summary.problems == ()


def test_other_top_level_keys_before_and_after_records_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_text('{"a": {"b": [1, "]"]}, "Records": [' + json.dumps(record()) + '], "z": null}')
    events, summary = read(path)
    assert len(events) == 1
    assert summary.problems == ()


# --------------------------------------------------------------------------- files


def test_gzip_and_plain_files_give_the_same_events(tmp_path: Path) -> None:
    records = [record(region=f"r-{i}") for i in range(50)]
    plain, _ = read(write_records(tmp_path / "a.json", records))
    zipped, summary = read(write_records(tmp_path / "b.json.gz", records, gz=True))
    assert plain == zipped
    assert summary.files_read == 1


def test_gzip_is_recognised_by_content_not_by_name(tmp_path: Path) -> None:
    path = write_records(tmp_path / "really-gzip.json", [record()], gz=True)
    events, summary = read(path)
    assert len(events) == 1
    assert summary.problems == ()


def test_a_multi_member_gzip_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "multi.json.gz"
    page = json.dumps({"Records": [record()]}).encode()
    path.write_bytes(gzip.compress(page) + gzip.compress(page))
    events, summary = read(path)
    assert len(events) == 2
    assert summary.problems == ()


def test_an_explicitly_named_file_with_another_suffix_is_read_by_content(tmp_path: Path) -> None:
    plain = write_records(tmp_path / "export.log", [record()])
    zipped = write_records(tmp_path / "export.bin", [record()], gz=True)
    events, summary = read(plain, zipped)
    assert len(events) == 2
    assert (summary.files_read, summary.files_ignored) == (2, 0)


def test_directory_tree_is_read_recursively_and_other_files_are_counted_as_ignored(
    tmp_path: Path,
) -> None:
    root = tmp_path / "AWSLogs"
    write_records(root / "b" / "2.json.gz", [record(region="r2")], gz=True)
    write_records(root / "a" / "deep" / "1.json", [record(region="r1")])
    write_records(root / "3.json", [record(region="r3")])
    (root / "a" / "notes.txt").write_text("hello")
    (root / "b" / "2.json.gz.sig").write_bytes(b"\x00")
    events, summary = read(root)
    assert [e.region for e in events] == ["r3", "r1", "r2"]  # sorted by name at each level
    assert (summary.files_read, summary.files_ignored) == (3, 2)
    assert summary.ignored_files == (
        str(root / "a" / "notes.txt"),
        str(root / "b" / "2.json.gz.sig"),
    )


def test_links_to_directories_and_broken_links_are_counted_as_ignored(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write_records(logs / "a.json", [record()])
    (logs / "loop").symlink_to(logs, target_is_directory=True)
    (logs / "gone.json").symlink_to(tmp_path / "missing.json")
    events, summary = read(logs)
    assert len(events) == 1
    assert summary.ignored_files == (str(logs / "gone.json"), str(logs / "loop"))


def test_cloudtrail_digest_files_are_counted_as_ignored(tmp_path: Path) -> None:
    digest = {"awsAccountId": ACCOUNT, "digestStartTime": "2026-01-02T00:00:00Z", "logFiles": []}
    write_json(tmp_path / "CloudTrail-Digest" / "d.json.gz", digest, gz=True)
    write_records(tmp_path / "CloudTrail" / "l.json", [record()])
    events, summary = read(tmp_path)
    assert len(events) == 1
    assert (summary.files_read, summary.files_ignored, summary.problems) == (1, 1, ())


def test_the_same_file_named_twice_is_read_once(tmp_path: Path) -> None:
    path = write_records(tmp_path / "l.json", [record()])
    events, summary = read(path, tmp_path, str(path))
    assert len(events) == 1
    assert summary.files_read == 1


def test_a_missing_path_is_a_problem_or_raises_when_strict(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    events, summary = read(missing)
    assert events == []
    assert [(p.location, p.message) for p in summary.problems] == [
        (str(missing), "no such file or directory")
    ]
    with pytest.raises(IngestError, match=re.escape("nope.json")):
        read(missing, strict=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b'{"foo": 1}', "not a CloudTrail log"),
        (b'{"Records": {"a": 1}}', "'Records' is not an array"),
        (b"hello", "expected a JSON object or array"),
        (b'{"Records": [] ', "expected ',' or '}'"),
        (b'{"Records": [' + b"\xff\xfe" + b"]}", "not UTF-8"),
    ],
)
def test_a_file_that_is_not_a_cloudtrail_log_is_a_problem_naming_it(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    events, summary = read(path)
    assert events == []
    (problem,) = summary.problems
    assert problem.location == str(path)
    assert message in problem.message
    with pytest.raises(IngestError, match=re.escape(message)):
        read(path, strict=True)


def test_a_source_that_is_not_a_path_raises_a_typed_error() -> None:
    with pytest.raises(IngestError, match="must be a path"):
        list(read_cloudtrail(42))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- identities

COUNTED_TYPES = [
    "Root",
    "IAMUser",
    "AssumedRole",
    "Role",
    "FederatedUser",
    "Directory",
    "AWSAccount",
    "IdentityCenterUser",
    "Unknown",
    "SAMLUser",
    "WebIdentityUser",
]


@pytest.mark.parametrize("kind", COUNTED_TYPES)
def test_every_identity_type_but_aws_service_counts_when_it_has_a_12_digit_account(
    tmp_path: Path, kind: str
) -> None:
    event = one_outcome(tmp_path, record(ident=identity(kind)))
    assert isinstance(event, AccessEvent)
    assert (event.account_id, event.principal_type) == (ACCOUNT, kind)


@pytest.mark.parametrize(
    ("ident", "reason"),
    [
        pytest.param(
            identity("AWSService", None, invokedBy="s3.amazonaws.com"),
            SkipReason.AWS_SERVICE,
            id="AWSService",
        ),
        pytest.param(
            identity("AWSService", ACCOUNT), SkipReason.AWS_SERVICE, id="AWSService-with-account"
        ),
        # AssumeRoleWithSAML / WithWebIdentity records: the principal has no AWS account yet
        pytest.param(
            identity(
                "SAMLUser",
                None,
                principalId="idp:alice",
                userName="alice",
                identityProvider="arn:aws:iam::111122223333:saml-provider/x",
            ),
            SkipReason.UNAUTHENTICATED,
            id="SAMLUser-no-account",
        ),
        pytest.param(
            identity(
                "WebIdentityUser",
                None,
                principalId="accounts.google.com:1",
                identityProvider="accounts.google.com",
            ),
            SkipReason.UNAUTHENTICATED,
            id="WebIdentityUser-no-account",
        ),
        pytest.param(
            identity("Unknown", None, principalId="x"),
            SkipReason.UNAUTHENTICATED,
            id="Unknown-no-account",
        ),
        pytest.param(
            identity("AWSAccount", "anonymous", principalId=""),
            SkipReason.UNAUTHENTICATED,
            id="anonymous",
        ),
        pytest.param(
            identity("IAMUser", "12345678901"), SkipReason.UNAUTHENTICATED, id="11-digit-account"
        ),
        pytest.param(
            identity("IAMUser", "١١١١٢٢٢٢٣٣٣٣"), SkipReason.UNAUTHENTICATED, id="non-ascii-digits"
        ),
    ],
)
def test_aws_service_and_unauthenticated_identities_are_skipped_with_their_reason(
    tmp_path: Path, ident: dict[str, Any], reason: SkipReason
) -> None:
    assert one_outcome(tmp_path, record(ident=ident)) is reason


def test_a_record_without_user_identity_is_unauthenticated(tmp_path: Path) -> None:
    rec = record()
    del rec["userIdentity"]
    assert one_outcome(tmp_path, rec) is SkipReason.UNAUTHENTICATED


def test_a_cloudtrail_insights_record_is_unauthenticated_not_a_problem(tmp_path: Path) -> None:
    insight = {
        "eventVersion": "1.08",
        "eventTime": "2026-01-02T03:04:05Z",
        "awsRegion": "us-east-1",
        "eventType": "AwsCloudTrailInsight",
        "eventCategory": "Insight",
        "insightDetails": {"eventSource": "ec2.amazonaws.com", "state": "Start"},
    }
    events, summary = read(write_records(tmp_path / "i.json", [insight]))
    assert events == []
    assert summary.skipped[SkipReason.UNAUTHENTICATED] == 1
    assert summary.problems == ()


def test_invoked_by_with_an_iam_user_counts_for_that_user(tmp_path: Path) -> None:
    rec = record(
        ident=identity(
            "IAMUser",
            invokedBy="cloudformation.amazonaws.com",
            arn=f"arn:aws:iam::{ACCOUNT}:user/bob",
        )
    )
    event = one_outcome(tmp_path, rec)
    assert isinstance(event, AccessEvent)
    assert (event.account_id, event.principal_arn) == (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/bob")


def test_the_account_is_the_callers_not_the_recipients(tmp_path: Path) -> None:
    event = one_outcome(
        tmp_path, record(ident=identity("AssumedRole", OTHER), recipientAccountId=ACCOUNT)
    )
    assert isinstance(event, AccessEvent)
    assert event.account_id == OTHER


def test_an_error_code_still_counts_as_a_denied_attempt(tmp_path: Path) -> None:
    event = one_outcome(tmp_path, record(errorCode="AccessDenied", errorMessage="no"))
    assert isinstance(event, AccessEvent)
    assert event.denied is True


def test_principal_arn_is_none_when_absent(tmp_path: Path) -> None:
    event = one_outcome(tmp_path, record(ident=identity("Root")))
    assert isinstance(event, AccessEvent)
    assert event.principal_arn is None


# --------------------------------------------------------------------------- namespaces

TABLE = {
    "monitoring.amazonaws.com": "cloudwatch",
    "email.amazonaws.com": "ses",
    "appstream2.amazonaws.com": "appstream",
    "models.lex.amazonaws.com": "lex",
    "runtime.lex.amazonaws.com": "lex",
    "mturk-requester.amazonaws.com": "mechanicalturk",
    "streams.dynamodb.amazonaws.com": "dynamodb",
    "tagging.amazonaws.com": "tag",
    "pinpoint.amazonaws.com": "mobiletargeting",
    "metering-marketplace.amazonaws.com": "aws-marketplace",
    "signin.amazonaws.com": "signin",
    "runtime.sagemaker.amazonaws.com": "sagemaker",
    "api.ecr.amazonaws.com": "ecr",
}


def test_the_generated_table_holds_the_documented_exceptions() -> None:
    expected = {k.removesuffix(".amazonaws.com"): v for k, v in TABLE.items()}
    assert {k: EVENT_SOURCE_NAMESPACES.get(k) for k in expected} == expected


@pytest.mark.parametrize(("source", "namespace"), sorted(TABLE.items()))
def test_every_exception_of_the_mapping_table_applies(
    tmp_path: Path, source: str, namespace: str
) -> None:
    event = one_outcome(tmp_path, record(source=source))
    assert isinstance(event, AccessEvent)
    assert event.service_namespace == namespace


@pytest.mark.parametrize(
    ("source", "namespace"),
    [
        ("s3.amazonaws.com", "s3"),
        ("execute-api.amazonaws.com", "execute-api"),
        ("S3.AmazonAWS.com", "s3"),
        ("data.foo.amazonaws.com", None),
        ("newsvc.amazonaws.com", None),
    ],
)
def test_a_source_maps_by_the_table_and_never_by_a_guess(
    source: str, namespace: str | None
) -> None:
    assert namespace_for_event_source(source) == namespace


def test_signin_counts_as_the_signin_namespace_unless_mapped_away(tmp_path: Path) -> None:
    rec = record(source="signin.amazonaws.com", eventName="ConsoleLogin")
    event = one_outcome(tmp_path, rec)
    assert isinstance(event, AccessEvent)
    assert event.service_namespace == "signin"
    assert one_outcome(tmp_path, rec, namespace_map={"signin": None}) is SkipReason.UNKNOWN_SERVICE


def test_an_event_source_outside_amazonaws_com_is_an_unknown_service(tmp_path: Path) -> None:
    records = [
        record(source="partner.example.com"),
        record(source="partner.example.com"),
        record(source="amazonaws.com"),
    ]
    events, summary = read(write_records(tmp_path / "u.json", records))
    assert events == []
    assert summary.skipped[SkipReason.UNKNOWN_SERVICE] == 3
    assert dict(summary.unknown_sources) == {"amazonaws.com": 1, "partner.example.com": 2}
    assert summary.problems == ()


def test_namespace_map_adds_overrides_and_skips(tmp_path: Path) -> None:
    records = [
        record(source="partner.example.com"),  # full source, outside amazonaws.com
        record(source="monitoring.amazonaws.com"),  # overrides the table
        record(source="ec2.amazonaws.com"),  # None: skip
        record(source="runtime.lex.amazonaws.com"),  # stem beats first label
    ]
    namespace_map = {
        "partner.example.com": "partner",
        "monitoring": "metrics",
        "ec2": None,
        "runtime": "wrong",
        "runtime.lex": "lexv1",
    }
    events, summary = read(write_records(tmp_path / "m.json", records), namespace_map=namespace_map)
    assert [e.service_namespace for e in events] == ["partner", "metrics", "lexv1"]
    assert summary.skipped[SkipReason.UNKNOWN_SERVICE] == 1
    assert dict(summary.unknown_sources) == {"ec2.amazonaws.com": 1}


def test_a_full_event_source_key_beats_the_stem_and_the_label() -> None:
    namespace_map = {"models.lex.amazonaws.com": "full", "models.lex": "stem", "models": "label"}
    assert namespace_for_event_source("models.lex.amazonaws.com", namespace_map) == "full"
    assert namespace_for_event_source("models.other.amazonaws.com", namespace_map) == "label"


@pytest.mark.parametrize("bad", [{"s3": 3}, {"s3": ""}, {"": "s3"}, {3: "s3"}, ["s3"]])
def test_a_bad_namespace_map_raises_a_typed_error_naming_it(bad: Any) -> None:
    with pytest.raises(IngestError, match="namespace_map"):
        read_cloudtrail(namespace_map=bad)


def test_known_namespaces_turns_an_unknown_mapped_namespace_into_unknown_service(
    tmp_path: Path,
) -> None:
    records = [record(source="s3.amazonaws.com"), record(source="newsvc.amazonaws.com")]
    events, summary = read(
        write_records(tmp_path / "k.json", records), known_namespaces={"s3", "ec2"}
    )
    assert [e.service_namespace for e in events] == ["s3"]
    assert dict(summary.unknown_sources) == {"newsvc.amazonaws.com": 1}


def test_known_namespaces_given_as_a_string_is_rejected() -> None:
    with pytest.raises(IngestError, match="known_namespaces"):
        read_cloudtrail(known_namespaces="s3")


# --------------------------------------------------------------------------- malformed


def without(key: str) -> dict[str, Any]:
    rec = record()
    del rec[key]
    return rec


@pytest.mark.parametrize(
    ("rec", "message"),
    [
        pytest.param(42, "must be a JSON object, got number", id="number"),
        pytest.param("text", "must be a JSON object, got string", id="string"),
        pytest.param([record()], "must be a JSON object, got array", id="array"),
        pytest.param(None, "must be a JSON object, got null", id="null"),
        pytest.param(without("eventTime"), "eventTime is missing", id="no-eventTime"),
        pytest.param(record(time="yesterday"), "not an ISO 8601", id="bad-eventTime"),
        pytest.param(record(time="2026-02-30T00:00:00Z"), "not a valid date", id="feb-30"),
        pytest.param(record(time="2026-01-02T03:04:05"), "no time zone", id="naive-eventTime"),
        pytest.param(record(time="2026-01-02"), "not an ISO 8601", id="date-only"),
        pytest.param(record(time=1767323045), "expected a time string", id="epoch-number"),
        pytest.param(without("awsRegion"), "awsRegion is missing", id="no-region"),
        pytest.param(record(region=""), "awsRegion is not a non-empty string", id="empty-region"),
        pytest.param(without("eventSource"), "eventSource is missing", id="no-eventSource"),
        pytest.param(
            record(source=7),
            "eventSource is not a non-empty string",
            id="eventSource-number",
        ),
        pytest.param(
            record(ident="alice"),
            "userIdentity must be an object",
            id="identity-not-object",
        ),
    ],
)
def test_each_malformed_record_is_skipped_with_a_problem_naming_file_and_index(
    tmp_path: Path, rec: object, message: str
) -> None:
    path = write_records(tmp_path / "bad.json", [record(), rec, record()])
    events, summary = read(path)
    assert len(events) == 2
    assert summary.skipped[SkipReason.MALFORMED] == 1
    (problem,) = summary.problems
    assert problem.location == f"{path}#/Records/1"
    assert message in problem.message


def test_an_element_that_is_not_valid_json_is_malformed_and_reading_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "broken.json"
    good = json.dumps(record())
    path.write_text('{"Records": [' + good + ', {"eventTime": tru}, ' + good + "]}")
    events, summary = read(path)
    assert len(events) == 2
    assert summary.records_read == 3
    (problem,) = summary.problems
    assert problem.location == f"{path}#/Records/1"
    assert "not valid JSON" in problem.message


def test_strict_mode_raises_on_the_first_malformed_record_naming_file_and_index(
    tmp_path: Path,
) -> None:
    path = write_records(tmp_path / "bad.json", [record(), record(), without("awsRegion")])
    ingest = read_cloudtrail(path, strict=True)
    seen: list[AccessEvent] = []
    with pytest.raises(IngestError) as info:
        seen.extend(ingest)
    assert len(seen) == 2
    assert str(info.value) == f"{path}#/Records/2: awsRegion is missing"
    assert isinstance(info.value, OrgAccessError)


def test_strict_mode_does_not_raise_for_ordinary_skips(tmp_path: Path) -> None:
    records = [
        record(ident=identity("AWSService")),
        record(source="x.example.com"),
        record(ident=identity("IAMUser", "anonymous")),
    ]
    events, summary = read(write_records(tmp_path / "s.json", records), strict=True)
    assert events == []
    assert summary.skipped_total == 3


# --------------------------------------------------------------------------- truncation


def test_a_truncated_gzip_keeps_the_records_before_the_break_and_reports_the_file(
    tmp_path: Path,
) -> None:
    rng = random.Random(7)  # incompressible ids, so that the cut lands mid-stream
    records = [record(region=f"r-{i:05d}", eventID=rng.randbytes(8).hex()) for i in range(3000)]
    whole = gzip.compress(json.dumps({"Records": records}).encode())
    path = tmp_path / "cut.json.gz"
    path.write_bytes(whole[: len(whole) * 6 // 10])
    events, summary = read(path)
    assert 0 < len(events) < 3000
    assert [e.region for e in events] == [r["awsRegion"] for r in records[: len(events)]]
    assert summary.counted == summary.records_read == len(events)
    (problem,) = summary.problems
    assert problem.location == str(path)
    assert "truncated" in problem.message
    assert f"the {len(events)} record(s) before it were read" in problem.message
    with pytest.raises(IngestError, match=re.escape("cut.json.gz: the gzip stream ends")):
        list(read_cloudtrail(path, strict=True))


def test_truncated_json_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    text = json.dumps({"Records": [record(), record(), record()]})
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) - 40])
    events, summary = read(path)
    assert len(events) == 2
    (problem,) = summary.problems
    assert problem.location == str(path)
    assert "truncated" in problem.message


def test_corrupt_gzip_data_is_reported_not_raised(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(json.dumps({"Records": [record()] * 50}).encode()))
    data[40:60] = b"\x00" * 20
    path = tmp_path / "bad.json.gz"
    path.write_bytes(bytes(data))
    _, summary = read(path)
    assert summary.files_read == 1
    assert [p.location for p in summary.problems] == [str(path)]
    assert_adds_up(summary)


# --------------------------------------------------------------------------- the ingest object


def test_the_summary_before_a_full_pass_raises_and_partial_summary_shows_progress(
    tmp_path: Path,
) -> None:
    ingest = read_cloudtrail(write_records(tmp_path / "l.json", [record(), record()]))
    with pytest.raises(IngestIncompleteError, match="no pass"):
        _ = ingest.summary
    assert ingest.partial_summary == IngestSummary(complete=False)
    iterator = iter(ingest)
    next(iterator)
    partial = ingest.partial_summary
    assert (partial.records_read, partial.counted, partial.complete) == (1, 1, False)
    with pytest.raises(IngestIncompleteError):
        _ = ingest.summary
    list(iterator)
    assert ingest.summary.counted == 2
    assert ingest.partial_summary == ingest.summary


def test_iterating_twice_reads_the_files_again_with_fresh_counters(tmp_path: Path) -> None:
    path = write_records(tmp_path / "l.json", [record()])
    ingest = read_cloudtrail(path)
    assert len(list(ingest)) == 1
    write_records(path, [record(), record()])
    assert len(list(ingest)) == 2
    assert ingest.summary.records_read == 2


def test_on_progress_is_called_after_each_file_and_every_10000_records(tmp_path: Path) -> None:
    write_records(tmp_path / "a.json", [record()] * 10_001)
    write_records(tmp_path / "b.json", [record()])
    calls: list[tuple[int, int]] = []
    ingest = read_cloudtrail(tmp_path, on_progress=lambda f, r: calls.append((f, r)))
    list(ingest)
    assert calls == [(0, 10_000), (1, 10_001), (2, 10_002)]


def test_problems_beyond_max_problems_are_counted_not_kept(tmp_path: Path) -> None:
    path = write_records(tmp_path / "m.json", [1, 2, 3, 4])
    _, summary = read(path, max_problems=2)
    assert len(summary.problems) == 2
    assert summary.problems_omitted == 2
    assert summary.skipped[SkipReason.MALFORMED] == 4


def test_events_fold_into_an_activity_index_by_maximum(tmp_path: Path) -> None:
    path = write_records(
        tmp_path / "l.json",
        [
            record(time="2026-01-02T03:04:05Z"),
            record(time="2026-03-01T00:00:00Z", region="eu-west-1"),
        ],
    )
    index = ActivityIndex(read_cloudtrail(path))
    latest = index.get(ACCOUNT, "s3")
    assert latest is not None
    assert (latest.time, latest.region) == (datetime(2026, 3, 1, tzinfo=UTC), "eu-west-1")


def test_the_module_doctests_pass() -> None:
    result = doctest.testmod(_namespaces)
    assert result.failed == 0
    assert result.attempted > 0


# --------------------------------------------------------------------------- streaming


def test_a_record_larger_than_a_chunk_and_tiny_chunks_parse_the_same(tmp_path: Path) -> None:
    big = record(requestParameters={"blob": 'x\\"]}' * 5000})
    records = [record(), big, record(region="ap-south-1"), 12345, record()]
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"Records": records}, indent=1))
    expected = read(path)
    with (
        mock.patch.object(_jsonstream, "CHUNK_CHARS", 3),
        mock.patch.object(_ingest, "_RAW_BLOCK", 5),
    ):
        assert read(path) == expected
    assert len(expected[0]) == 4


# --------------------------------------------------------------------------- properties

identity_types = st.sampled_from([*COUNTED_TYPES, "AWSService", None])
accounts = st.one_of(
    st.just(ACCOUNT),
    st.just(OTHER),
    st.just("anonymous"),
    st.none(),
    st.text(alphabet="0123456789", min_size=11, max_size=13),
)
sources = st.sampled_from(
    [
        "s3.amazonaws.com",
        "monitoring.amazonaws.com",
        "signin.amazonaws.com",
        "partner.example.com",
        "runtime.lex.amazonaws.com",
        "",
        None,
    ]
)
times = st.one_of(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ).map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.sampled_from(["2026-01-02T03:04:05", "not a time", "2026-13-01T00:00:00Z"]),
    st.none(),
)


@st.composite
def records(draw: st.DrawFn) -> object:
    if draw(st.integers(0, 9)) == 0:
        return draw(
            st.one_of(
                st.integers(), st.text(max_size=5), st.lists(st.none(), max_size=2), st.none()
            )
        )
    rec: dict[str, Any] = {}
    fields: Mapping[str, Callable[[], object]] = {
        "userIdentity": lambda: draw(
            st.one_of(st.builds(identity, identity_types, accounts), st.just("x"))
        ),
        "eventSource": lambda: draw(sources),
        "eventTime": lambda: draw(times),
        "awsRegion": lambda: draw(st.sampled_from(["us-east-1", "eu-west-3", ""])),
        "errorCode": lambda: draw(st.sampled_from(["AccessDenied", None])),
    }
    for key, make in fields.items():
        if draw(st.integers(0, 7)):
            value = make()
            if value is not None:
                rec[key] = value
    return rec


@settings(max_examples=60, deadline=None)
@given(
    batch=st.lists(records(), max_size=30),
    shape=st.sampled_from(["Records", "Events", "list", "gzip"]),
)
def test_the_summary_adds_up_and_counted_equals_events_yielded(
    batch: list[object], shape: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.json"
        if shape == "Events":
            write_lookup(path, batch)
        elif shape == "list":
            write_json(path, batch)
        else:
            write_records(path, batch, gz=shape == "gzip")
        events, summary = read(path)
    assert summary.records_read == len(batch)
    assert_adds_up(summary)
    assert summary.counted == len(events)
    assert summary.skipped[SkipReason.MALFORMED] == len(summary.problems)
    assert all(e.time.tzinfo is UTC for e in events)


@settings(max_examples=40, deadline=None)
@given(
    batch=st.lists(records(), max_size=12),
    chunk=st.integers(1, 64),
    block=st.integers(1, 64),
    indent=st.sampled_from([None, 0, 2]),
    gz=st.booleans(),
)
def test_streaming_gives_the_same_events_whatever_the_chunk_size(
    batch: list[object], chunk: int, block: int, indent: int | None, gz: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.json"
        data = json.dumps({"Records": batch}, indent=indent).encode()
        path.write_bytes(gzip.compress(data) if gz else data)
        expected = read(path)
        with (
            mock.patch.object(_jsonstream, "CHUNK_CHARS", chunk),
            mock.patch.object(_ingest, "_RAW_BLOCK", block),
        ):
            assert read(path) == expected
    assert expected[1].problems == tuple(
        p for p in expected[1].problems if "#/Records/" in p.location
    )


def test_time_offsets_of_every_form_are_converted_to_utc(tmp_path: Path) -> None:
    for text in [
        "2026-01-02T03:04:05Z",
        "2026-01-02T04:04:05+01:00",
        "2026-01-02T04:04:05+0100",
        "2026-01-02T02:04:05-01",
        "2026-01-02T03:04:05.000000001Z",
    ]:
        event = one_outcome(tmp_path, record(time=text))
        assert isinstance(event, AccessEvent), text
        assert event.time == T0, text
