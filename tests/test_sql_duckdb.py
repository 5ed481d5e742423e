"""The aggregation SQL gives the rows that make the same reports as reading the records (item 4).

The Athena text of :func:`orgaccess.formats.sql.aggregation_sql` runs under
DuckDB over generated CloudTrail records in newline-delimited JSON; its rows,
read by the row reader, must give the same index (latest attempt and region
per account and namespace) and the same reports as the pure CloudTrail path
over the same records.

DuckDB is not Trino, so the test adapts the text mechanically, and only so:

=======================================  =========================================
Athena / Trino                           DuckDB
=======================================  =========================================
``try(from_iso8601_timestamp(x))``       ``TRY_CAST(x AS TIMESTAMPTZ)``
``to_iso8601(x) AS last_attempt``        ``CAST(x AS VARCHAR) AS last_attempt``
``regexp_like(``                         ``regexp_matches(`` (the pattern is anchored)
``json_extract_scalar(``                 ``json_extract_string(``
the CloudTrail table                     a view over ``read_json`` of the file, with
                                         the table's columns: ``userIdentity`` a
                                         struct, ``responseElements`` JSON text
=======================================  =========================================

and sets DuckDB's time zone to UTC (Athena's timestamps carry their zone).
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgaccess.engine.report import build_report
from orgaccess.formats.activity import read_activity
from orgaccess.formats.sql import aggregation_sql
from orgaccess.model.ids import AccountId
from orgaccess.model.organization import OrganizationBuilder

duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed (the test extra has it)")

ACCOUNTS = ["111122223333", "444455556666", "777788889999"]
MISSING = object()


def to_duckdb(sql: str, table: str) -> str:
    """The mechanical substitutions listed in the module documentation."""
    sql = sql.replace(
        "try(from_iso8601_timestamp(eventtime))", "TRY_CAST(eventtime AS TIMESTAMPTZ)"
    )
    sql = re.sub(r"to_iso8601\((.*)\) AS last_attempt", r"CAST(\1 AS VARCHAR) AS last_attempt", sql)
    sql = sql.replace("regexp_like(", "regexp_matches(")
    sql = sql.replace("json_extract_scalar(", "json_extract_string(")
    assert "from_iso8601" not in sql
    assert "to_iso8601" not in sql
    return sql.replace("FROM cloudtrail_logs", f"FROM {table}")


COLUMNS = {
    "eventVersion": "VARCHAR",
    "eventType": "VARCHAR",
    "userIdentity": "STRUCT(type VARCHAR, accountId VARCHAR, arn VARCHAR)",
    "eventSource": "VARCHAR",
    "eventTime": "VARCHAR",
    "eventName": "VARCHAR",
    "awsRegion": "VARCHAR",
    "errorCode": "VARCHAR",
    "responseElements": "JSON",
}

identity = st.one_of(
    st.just(MISSING),
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(
                ["IAMUser", "AssumedRole", "Root", "AWSService", "", "SAMLUser"]
            ),
            "accountId": st.sampled_from([*ACCOUNTS, "12345678901", "anonymous"]),
            "arn": st.just("arn:aws:iam::111122223333:user/a"),
        },
    ),
)
record = st.fixed_dictionaries(
    {"eventVersion": st.just("1.09")},
    optional={
        "eventType": st.sampled_from(["AwsApiCall", "AwsServiceEvent", "AwsCloudTrailInsight"]),
        "userIdentity": identity,
        "eventSource": st.sampled_from(
            [
                "s3.amazonaws.com",
                "ec2.amazonaws.com",
                "monitoring.amazonaws.com",
                "streams.dynamodb.amazonaws.com",
                "dynamodb.amazonaws.com",
                "signin.amazonaws.com",
                "nosuchservice.amazonaws.com",
                "",
                "  ",
            ]
        ),
        "eventTime": st.sampled_from(
            [
                "2026-03-04T05:06:07Z",
                "2026-03-05T00:00:00Z",
                "2026-03-04T07:06:07+02:00",
                "2026-03-04T05:06:07.250Z",
                "2025-01-01T00:00:00Z",
                "yesterday",
            ]
        ),
        "awsRegion": st.sampled_from(["us-east-1", "eu-west-1", "ap-south-1", "", " "]),
        "eventName": st.sampled_from(["GetObject", "ConsoleLogin"]),
        "errorCode": st.sampled_from(["AccessDenied"]),
        "responseElements": st.sampled_from(
            [None, {"ConsoleLogin": "Failure"}, {"ConsoleLogin": "Success"}]
        ),
    },
).map(lambda r: {k: v for k, v in r.items() if v is not MISSING})


def _organization():  # type: ignore[no-untyped-def]
    b = OrganizationBuilder(
        organization_id="o-a1b2c3d4e5",
        root_id="r-f6g7",
        management_account_id=AccountId(ACCOUNTS[0]),
    )
    b.add_ou("ou-f6g7-aaaaaaaa", parent="r-f6g7")
    b.add_account(ACCOUNTS[0], parent="r-f6g7")
    b.add_account(ACCOUNTS[1], parent="ou-f6g7-aaaaaaaa")
    b.add_account(ACCOUNTS[2], parent="r-f6g7")
    return b.build()


ORG = _organization()


def run_sql(records: list[dict[str, object]], directory: Path) -> Path:
    """Write the records as NDJSON, run the adapted query under DuckDB, write its rows as CSV."""
    trail = directory / "trail.jsonl"
    trail.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items())
    con.execute(
        f"CREATE VIEW trail AS SELECT * FROM read_json('{trail}', "
        f"format = 'newline_delimited', columns = {{{columns}}})"
    )
    rows = con.execute(to_duckdb(aggregation_sql("athena"), "trail")).fetchall()
    names = [d[0] for d in con.description]
    out = directory / "rows.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        writer.writerows(rows)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(record, min_size=1, max_size=40))
def test_sql_rows_give_the_same_index_and_reports_as_the_records(
    records: list[dict[str, object]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        rows = run_sql(records, directory)
        pure = read_activity([directory / "trail.jsonl"], fast=False)
        via_sql = read_activity([rows])
    assert pure.cloudtrail.records_read == len(records)
    assert sorted(via_sql.index.items(), key=str) == sorted(pure.index.items(), key=str)
    created = datetime(2026, 6, 1, tzinfo=UTC)
    for path in ("o-a1b2c3d4e5/r-f6g7", "o-a1b2c3d4e5/r-f6g7/ou-f6g7-aaaaaaaa"):
        assert build_report(ORG, via_sql.index, path, created=created) == build_report(
            ORG, pure.index, path, created=created
        )


def test_each_rule_removes_what_the_reader_skips(tmp_path: Path) -> None:
    base = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "accountId": ACCOUNTS[1]},
        "eventSource": "s3.amazonaws.com",
        "eventTime": "2026-03-04T05:06:07Z",
        "awsRegion": "eu-west-1",
    }
    skipped = [
        {**base, "userIdentity": {"type": "AWSService", "accountId": ACCOUNTS[1]}},
        {**base, "userIdentity": {"accountId": ACCOUNTS[1]}},
        {**base, "eventType": "AwsServiceEvent"},
        {**base, "userIdentity": {"type": "IAMUser", "accountId": "anonymous"}},
        {**base, "eventName": "ConsoleLogin", "responseElements": {"ConsoleLogin": "Failure"}},
        {k: v for k, v in base.items() if k != "userIdentity"},
        {**base, "eventTime": "yesterday"},
    ]
    # every skipped record is later than the counted one: it would win if the SQL kept it
    later = [
        r if r.get("eventTime") == "yesterday" else {**r, "eventTime": "2026-03-05T00:00:00Z"}
        for r in skipped
    ]
    rows = run_sql([*later, base], tmp_path)
    with rows.open(encoding="utf-8") as fh:
        found = list(csv.DictReader(fh))
    assert found == [
        {
            "account_id": ACCOUNTS[1],
            "event_source": "s3.amazonaws.com",
            "region": "eu-west-1",
            "last_attempt": "2026-03-04 05:06:07+00",
        }
    ]
    pure = read_activity([tmp_path / "trail.jsonl"], fast=False)
    assert pure.cloudtrail.counted == 1
    assert list(read_activity([rows]).index.items()) == list(pure.index.items())
