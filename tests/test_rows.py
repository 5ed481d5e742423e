"""Tests of orgaccess.formats.rows (aggregated Athena / Spark / DuckDB rows), read_activity."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgaccess.errors import IngestError
from orgaccess.formats.activity import is_rows_file, read_activity
from orgaccess.formats.cloudtrail import IngestSummary, SkipReason
from orgaccess.formats.rows import ROW_COLUMNS, read_aggregated_rows
from orgaccess.model.events import ActivityIndex, LastAccess

ACCOUNT = "111122223333"
OTHER = "444455556666"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
HEADER = "account_id,service_namespace,region,last_attempt"


def write(path: Path, text: str, *, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def csv_file(path: Path, *rows: str, header: str = HEADER, gz: bool = False) -> Path:
    return write(path, "\n".join([header, *rows]) + "\n", gz=gz)


def jsonl_file(path: Path, *objects: object) -> Path:
    return write(path, "".join(json.dumps(o) + "\n" for o in objects))


def entry(index: ActivityIndex, account: str = ACCOUNT, namespace: str = "s3") -> LastAccess | None:
    return index.get(account, namespace)


def assert_adds_up(summary: IngestSummary) -> None:
    assert summary.counted + sum(summary.skipped.values()) == summary.records_read


# --------------------------------------------------------------------------- formats


def test_csv_rows_with_the_canonical_columns_are_folded(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path / "r.csv",
        f"{ACCOUNT},s3,us-east-1,2026-01-02T03:04:05Z",
        f"{OTHER},ec2,eu-west-1,2026-01-01T00:00:00Z",
    )
    result = read_aggregated_rows(path)
    assert entry(result.index) == LastAccess(time=T0, region="us-east-1")
    assert entry(result.index, OTHER, "ec2") == LastAccess(
        time=datetime(2026, 1, 1, tzinfo=UTC), region="eu-west-1"
    )
    summary = result.summary
    assert (summary.files_read, summary.records_read, summary.counted) == (1, 2, 2)
    assert summary.problems == ()


def test_json_lines_rows_are_folded(tmp_path: Path) -> None:
    path = jsonl_file(
        tmp_path / "r.jsonl",
        {
            "account_id": ACCOUNT,
            "service_namespace": "s3",
            "region": "us-east-1",
            "last_attempt": "2026-01-02T03:04:05Z",
            "extra": [1, 2],
        },
    )
    result = read_aggregated_rows(path)
    assert entry(result.index) == LastAccess(time=T0, region="us-east-1")
    assert result.summary.counted == 1


def test_ndjson_and_gzipped_files_are_read(tmp_path: Path) -> None:
    row = {
        "accountid": ACCOUNT,
        "namespace": "s3",
        "region": "us-east-1",
        "last_attempt": "2026-01-02T03:04:05Z",
    }
    nd = jsonl_file(tmp_path / "a.ndjson", row)
    gz = csv_file(tmp_path / "b.csv.gz", f"{OTHER},s3,us-east-1,2026-01-02 03:04:05", gz=True)
    result = read_aggregated_rows(nd, gz)
    assert result.summary.counted == 2
    assert entry(result.index, OTHER) == LastAccess(time=T0, region="us-east-1")


def test_an_explicit_file_with_another_suffix_is_sniffed(tmp_path: Path) -> None:
    as_jsonl = write(
        tmp_path / "out.txt",
        json.dumps(
            {
                "account_id": ACCOUNT,
                "namespace": "s3",
                "region": "r",
                "last_attempt": "2026-01-02T03:04:05Z",
            }
        )
        + "\n",
    )
    as_csv = csv_file(tmp_path / "out.dat", f"{OTHER},s3,r,2026-01-02T03:04:05Z")
    result = read_aggregated_rows(as_jsonl, as_csv)
    assert result.summary.counted == 2


def test_a_directory_reads_row_files_and_counts_the_others_as_ignored(tmp_path: Path) -> None:
    csv_file(tmp_path / "q" / "a1b2.csv", f"{ACCOUNT},s3,us-east-1,2026-01-02 03:04:05.000")
    write(tmp_path / "q" / "a1b2.csv.metadata", "binary-ish")
    result = read_aggregated_rows(tmp_path)
    assert (result.summary.files_read, result.summary.files_ignored) == (1, 1)
    assert result.summary.ignored_files == (str(tmp_path / "q" / "a1b2.csv.metadata"),)


def test_blank_lines_are_not_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", f"\n{HEADER}\n\n{ACCOUNT},s3,r,2026-01-02T03:04:05Z\n\n")
    summary = read_aggregated_rows(path).summary
    assert (summary.records_read, summary.counted) == (1, 1)


# --------------------------------------------------------------------------- columns

ALIASES = [(field, alias) for field, names in ROW_COLUMNS.items() for alias in names]
CANONICAL = {
    "account": "account_id",
    "namespace": "service_namespace",
    "region": "region",
    "time": "last_attempt",
}
VALUES = {
    "account": ACCOUNT,
    "namespace": "s3",
    "event_source": "s3.amazonaws.com",
    "region": "us-east-1",
    "time": "2026-01-02T03:04:05Z",
    "principal_type": "IAMUser",
}


@pytest.mark.parametrize(("field", "alias"), ALIASES)
def test_every_documented_alias_names_its_field(tmp_path: Path, field: str, alias: str) -> None:
    columns = dict(CANONICAL)
    if field == "event_source":
        del columns["namespace"]
    columns[field] = alias
    header = ",".join(columns.values())
    row = ",".join(VALUES[f] for f in columns)
    result = read_aggregated_rows(csv_file(tmp_path / "r.csv", row, header=header))
    assert result.summary.problems == ()
    assert entry(result.index) == LastAccess(time=T0, region="us-east-1")


@pytest.mark.parametrize(
    "header",
    [
        "AccountId,Namespace,AWS_Region,LastAuthenticatedTime",
        "userIdentity.accountId,eventSource,awsRegion,max(eventTime)",
        " Account ID , Service-Namespace , Region , Last Attempt ",
    ],
)
def test_column_names_match_case_insensitively_whatever_the_separators(
    tmp_path: Path, header: str
) -> None:
    namespace = "s3.amazonaws.com" if "eventSource" in header else "s3"
    path = csv_file(
        tmp_path / "r.csv", f"{ACCOUNT},{namespace},us-east-1,2026-01-02T03:04:05Z", header=header
    )
    result = read_aggregated_rows(path)
    assert result.summary.problems == ()
    assert entry(result.index) == LastAccess(time=T0, region="us-east-1")


def test_a_header_without_a_required_column_is_a_file_problem(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "r.csv", f"{ACCOUNT},s3,x", header="account_id,namespace,region")
    summary = read_aggregated_rows(path).summary
    (problem,) = summary.problems
    assert problem.location == f"{path}:1"
    assert "no column for time: one of last_attempt" in problem.message
    assert summary.records_read == 0
    with pytest.raises(IngestError, match="no column for time"):
        read_aggregated_rows(path, strict=True)


def test_two_columns_for_the_same_field_are_a_file_problem(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path / "r.csv",
        f"{ACCOUNT},{ACCOUNT},s3,r,2026-01-02T03:04:05Z",
        header="account_id,accountid,namespace,region,last_attempt",
    )
    (problem,) = read_aggregated_rows(path).summary.problems
    assert "columns 'account_id' and 'accountid' both give the account" in problem.message


def test_a_namespace_column_wins_over_an_event_source_column(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path / "r.csv",
        f"{ACCOUNT},s3,ec2.amazonaws.com,r,2026-01-02T03:04:05Z",
        header="account_id,namespace,eventsource,region,last_attempt",
    )
    index = read_aggregated_rows(path).index
    assert entry(index, namespace="s3") is not None
    assert entry(index, namespace="ec2") is None


def test_an_event_source_column_is_mapped_like_cloudtrail(tmp_path: Path) -> None:
    header = "account_id,event_source,region,last_attempt"
    path = csv_file(
        tmp_path / "r.csv",
        f"{ACCOUNT},monitoring.amazonaws.com,r,2026-01-02T03:04:05Z",
        f"{ACCOUNT},newsvc.amazonaws.com,r,2026-01-02T03:04:05Z",
        f"{ACCOUNT},partner.example.com,r,2026-01-02T03:04:05Z",
        header=header,
    )
    result = read_aggregated_rows(
        path,
        namespace_map={"partner.example.com": "partner"},
        known_namespaces={"cloudwatch", "partner"},
    )
    assert entry(result.index, namespace="cloudwatch") is not None
    assert entry(result.index, namespace="partner") is not None
    assert result.summary.skipped[SkipReason.UNKNOWN_SERVICE] == 1
    assert dict(result.summary.unknown_sources) == {"newsvc.amazonaws.com": 1}


# --------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-02T03:04:05Z",
        "2026-01-02 03:04:05.000",  # Athena, zone-less: UTC
        "2026-01-02 03:04:05.000 UTC",  # Athena / Trino timestamp with time zone
        "2026-01-02 03:04:05+00",  # DuckDB
        "2026-01-02T03:04:05.000000000Z",  # Spark, nanoseconds
        "2026-01-02T05:04:05+02:00",
        "2026-01-01T22:04:05-05:00",
        "2026-01-02T03:04:05",
    ],
)
def test_every_accepted_time_form_is_the_same_utc_instant(tmp_path: Path, text: str) -> None:
    index = read_aggregated_rows(csv_file(tmp_path / "r.csv", f"{ACCOUNT},s3,r,{text}")).index
    assert entry(index) == LastAccess(time=T0, region="r")


def test_a_zone_less_sql_timestamp_is_taken_as_utc(tmp_path: Path) -> None:
    index = read_aggregated_rows(
        csv_file(tmp_path / "r.csv", f"{ACCOUNT},s3,r,2026-01-02 03:04:05.123")
    ).index
    latest = entry(index)
    assert latest is not None
    assert latest.time == T0 + timedelta(milliseconds=123)
    assert latest.time.tzinfo is UTC


# --------------------------------------------------------------------------- bad rows


@pytest.mark.parametrize(
    ("row", "message"),
    [
        pytest.param(f"{ACCOUNT},s3,r,yesterday", "not an ISO 8601", id="bad-time"),
        pytest.param(f"{ACCOUNT},s3,r,2026-01-02", "not an ISO 8601", id="date-only"),
        pytest.param(f"{ACCOUNT},s3,r,", "time is missing", id="no-time"),
        pytest.param(f"{ACCOUNT},s3,,2026-01-02T03:04:05Z", "region is missing", id="no-region"),
        pytest.param(f"{ACCOUNT},s3,r", "the row has 3 cells, the header 4", id="short-row"),
        pytest.param(
            f"{ACCOUNT},,r,2026-01-02T03:04:05Z",
            "namespace (or event source) is missing",
            id="no-namespace",
        ),
        pytest.param(
            "11122223333,s3,r,2026-01-02T03:04:05Z", "11 digits, not 12", id="lost-leading-zero"
        ),
        pytest.param(
            f"{ACCOUNT},S 3,r,2026-01-02T03:04:05Z", "not an IAM namespace", id="bad-namespace"
        ),
        pytest.param(
            f"{ACCOUNT},s3.amazonaws.com,r,2026-01-02T03:04:05Z",
            "name the column event_source",
            id="event-source-as-namespace",
        ),
    ],
)
def test_a_bad_csv_row_is_skipped_with_a_problem_naming_file_and_line(
    tmp_path: Path, row: str, message: str
) -> None:
    good = f"{OTHER},s3,r,2026-01-02T03:04:05Z"
    path = csv_file(tmp_path / "r.csv", good, row, good)
    summary = read_aggregated_rows(path).summary
    assert (summary.records_read, summary.counted) == (3, 2)
    assert summary.skipped[SkipReason.MALFORMED] == 1
    (problem,) = summary.problems
    assert problem.location == f"{path}:3"
    assert message in problem.message


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param("{not json", "not JSON", id="not-json"),
        pytest.param("[1, 2]", "must be a JSON object, got list", id="array"),
        pytest.param(
            json.dumps(
                {
                    "account_id": 111122223333,
                    "namespace": "s3",
                    "region": "r",
                    "last_attempt": "2026-01-02T03:04:05Z",
                }
            ),
            "must be text (a number loses leading zeros)",
            id="number-account",
        ),
        pytest.param(
            json.dumps(
                {
                    "account_id": ACCOUNT,
                    "namespace": "s3",
                    "region": "r",
                    "last_attempt": 1767323045,
                }
            ),
            "expected a time string",
            id="epoch-time",
        ),
        pytest.param(
            json.dumps(
                {
                    "account_id": ACCOUNT,
                    "accountid": ACCOUNT,
                    "namespace": "s3",
                    "region": "r",
                    "last_attempt": "2026-01-02T03:04:05Z",
                }
            ),
            "both give the account",
            id="two-keys",
        ),
    ],
)
def test_a_bad_json_line_is_skipped_with_a_problem_naming_file_and_line(
    tmp_path: Path, line: str, message: str
) -> None:
    good = json.dumps(
        {
            "account_id": OTHER,
            "namespace": "s3",
            "region": "r",
            "last_attempt": "2026-01-02T03:04:05Z",
        }
    )
    path = write(tmp_path / "r.jsonl", f"{good}\n\n{line}\n{good}\n")
    summary = read_aggregated_rows(path).summary
    assert (summary.records_read, summary.counted) == (3, 2)
    (problem,) = summary.problems
    assert problem.location == f"{path}:3"
    assert message in problem.message


def test_strict_mode_raises_on_the_first_bad_row_naming_file_and_line(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path / "r.csv", f"{ACCOUNT},s3,r,2026-01-02T03:04:05Z", f"{ACCOUNT},s3,r,soon"
    )
    with pytest.raises(IngestError, match=re.escape(f"{path}:3: time: 'soon' is not an ISO")):
        read_aggregated_rows(path, strict=True)


def test_anonymous_and_aws_service_rows_are_skipped_with_their_reason(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path / "r.csv",
        "anonymous,s3,r,2026-01-02T03:04:05Z,AssumedRole",
        ",s3,r,2026-01-02T03:04:05Z,",
        f"{ACCOUNT},s3,r,2026-01-02T03:04:05Z,AWSService",
        f"{ACCOUNT},s3,r,2026-01-02T03:04:05Z,IAMUser",
        header=HEADER + ",useridentity_type",
    )
    summary = read_aggregated_rows(path, strict=True).summary
    assert summary.skipped[SkipReason.UNAUTHENTICATED] == 2
    assert summary.skipped[SkipReason.AWS_SERVICE] == 1
    assert (summary.counted, summary.problems) == (1, ())


def test_known_namespaces_skips_other_namespaces_as_unknown_service(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path / "r.csv",
        f"{ACCOUNT},s3,r,2026-01-02T03:04:05Z",
        f"{ACCOUNT},NewSvc,r,2026-01-02T03:04:05Z",
    )
    result = read_aggregated_rows(path, known_namespaces={"s3"})
    assert result.summary.counted == 1
    assert dict(result.summary.unknown_sources) == {"newsvc": 1}


def test_a_truncated_gzip_keeps_earlier_rows_and_reports_the_file(tmp_path: Path) -> None:
    rows = [f"{ACCOUNT},svc{i},r,2026-01-02T03:04:05Z" for i in range(20000)]
    data = gzip.compress(("\n".join([HEADER, *rows]) + "\n").encode())
    path = tmp_path / "r.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    result = read_aggregated_rows(path, known_namespaces={f"svc{i}" for i in range(20000)})
    assert 0 < result.summary.counted < 20000
    (problem,) = result.summary.problems
    assert problem.location == str(path)
    assert "gzip stream ends before its end marker (truncated file?) after line" in problem.message
    assert problem.message.endswith(f"after line {result.summary.counted + 1}")  # + header
    with pytest.raises(IngestError, match="truncated"):
        read_aggregated_rows(path, strict=True)


def test_a_missing_file_is_a_problem(tmp_path: Path) -> None:
    summary = read_aggregated_rows(tmp_path / "none.csv").summary
    assert [p.message for p in summary.problems] == ["no such file or directory"]


def test_an_index_that_is_not_an_activity_index_is_rejected() -> None:
    with pytest.raises(IngestError, match="index must be an ActivityIndex"):
        read_aggregated_rows(index={})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- folding


def test_folding_into_an_existing_index_keeps_the_maximum(tmp_path: Path) -> None:
    index = ActivityIndex()
    index.add_last_access(ACCOUNT, "s3", T0, "us-east-1")
    index.add_last_access(ACCOUNT, "ec2", T0, "us-east-1")
    path = csv_file(
        tmp_path / "r.csv",
        f"{ACCOUNT},s3,eu-west-1,2026-02-01T00:00:00Z",  # later: wins
        f"{ACCOUNT},ec2,eu-west-1,2025-12-01T00:00:00Z",  # earlier: loses
        f"{ACCOUNT},s3,ap-south-1,2026-01-15T00:00:00Z",  # between: loses
    )
    result = read_aggregated_rows(path, index=index)
    assert result.index is index
    assert entry(index) == LastAccess(time=datetime(2026, 2, 1, tzinfo=UTC), region="eu-west-1")
    assert entry(index, namespace="ec2") == LastAccess(time=T0, region="us-east-1")


def test_rows_after_the_index_until_are_counted_in_after_until(tmp_path: Path) -> None:
    index = ActivityIndex(until=T0)
    path = csv_file(
        tmp_path / "r.csv",
        f"{ACCOUNT},s3,r,2026-01-02T03:04:05Z",
        f"{ACCOUNT},ec2,r,2026-01-02T03:04:06Z",
    )
    summary = read_aggregated_rows(path, index=index).summary
    assert (summary.counted, summary.after_until) == (2, 1)
    assert entry(index, namespace="ec2") is None


cells = st.one_of(
    st.sampled_from(
        [
            ACCOUNT,
            OTHER,
            "anonymous",
            "",
            "123",
            "s3",
            "ec2",
            "us-east-1",
            "2026-01-02T03:04:05Z",
            "2026-01-02 03:04:05.000",
            "nope",
            "AWSService",
        ]
    ),
    st.text(alphabet='ab,"\n1-: ', max_size=6),
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(cells, min_size=3, max_size=6), max_size=15))
def test_the_rows_summary_adds_up(rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["account_id", "namespace", "region", "last_attempt", "principal_type"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "r.csv", buffer.getvalue())
        summary = read_aggregated_rows(path).summary
    assert_adds_up(summary)
    assert summary.skipped[SkipReason.MALFORMED] == len(summary.problems)


# --------------------------------------------------------------------------- read_activity


def cloudtrail_log(path: Path, account: str, time: str) -> Path:
    record = {
        "userIdentity": {"type": "IAMUser", "accountId": account},
        "eventSource": "s3.amazonaws.com",
        "eventTime": time,
        "awsRegion": "us-east-1",
    }
    return write(path, json.dumps({"Records": [record]}))


def test_read_activity_folds_cloudtrail_and_rows_into_one_index(tmp_path: Path) -> None:
    cloudtrail_log(tmp_path / "trail" / "a.json", ACCOUNT, "2026-01-02T03:04:05Z")
    rows = csv_file(tmp_path / "athena.csv", f"{OTHER},s3,eu-west-1,2026-01-01 00:00:00.000")
    load = read_activity([tmp_path / "trail", rows])
    assert entry(load.index) == LastAccess(time=T0, region="us-east-1")
    assert entry(load.index, OTHER) is not None
    assert (load.cloudtrail.counted, load.rows.counted) == (1, 1)
    assert load.problems == ()


def test_read_activity_takes_an_index_with_until_and_reports_what_it_dropped(
    tmp_path: Path,
) -> None:
    trail = cloudtrail_log(tmp_path / "a.json", ACCOUNT, "2026-01-02T03:04:06Z")
    rows = csv_file(tmp_path / "r.csv", f"{OTHER},s3,r,2026-01-02T03:04:06Z")
    load = read_activity([trail, rows], index=ActivityIndex(until=T0, keep_history=True))
    assert load.after_until == 2
    assert len(load.index) == 0
    assert load.index.keeps_history


def test_read_activity_passes_known_namespaces_and_strict_to_both_readers(tmp_path: Path) -> None:
    trail = cloudtrail_log(tmp_path / "a.json", ACCOUNT, "2026-01-02T03:04:05Z")
    rows = jsonl_file(
        tmp_path / "r.jsonl",
        {
            "account_id": OTHER,
            "namespace": "s3",
            "region": "r",
            "last_attempt": "2026-01-02T03:04:05Z",
        },
    )
    load = read_activity([trail, rows], known_namespaces={"ec2"})
    assert load.cloudtrail.skipped[SkipReason.UNKNOWN_SERVICE] == 1
    assert load.rows.skipped[SkipReason.UNKNOWN_SERVICE] == 1
    bad = write(tmp_path / "bad.csv", f"{HEADER}\n{ACCOUNT},s3,r,never\n")
    with pytest.raises(IngestError, match=re.escape("bad.csv:2")):
        read_activity([trail, bad], strict=True)


def test_read_activity_accepts_a_single_path_and_reports_progress(tmp_path: Path) -> None:
    trail = cloudtrail_log(tmp_path / "a.json", ACCOUNT, "2026-01-02T03:04:05Z")
    calls: list[tuple[int, int]] = []
    load = read_activity(str(trail), on_progress=lambda f, r: calls.append((f, r)))
    assert load.cloudtrail.counted == 1
    assert load.rows == IngestSummary()
    assert calls == [(1, 1)]


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("a.csv", True),
        ("a.CSV.gz", True),
        ("a.jsonl", True),
        ("a.ndjson.gz", True),
        ("a.json", False),
        ("a.json.gz", False),
        ("a.txt", False),
    ],
)
def test_row_files_are_told_from_cloudtrail_by_name(name: str, rows: bool) -> None:
    assert is_rows_file(name) is rows


def test_a_directory_is_always_cloudtrail(tmp_path: Path) -> None:
    directory = tmp_path / "x.csv"
    directory.mkdir()
    assert not is_rows_file(directory)


def test_read_activity_rejects_a_path_of_the_wrong_type() -> None:
    with pytest.raises(
        IngestError, match=re.escape("a path must be a str or os.PathLike, got int")
    ):
        read_activity([3])  # type: ignore[list-item]
