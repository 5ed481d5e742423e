"""The command line, run as a subprocess (``python -m orgaccess``) on files built here.

Every run passes ``--as-of`` (no test depends on the wall clock). Exit codes
here: 0 success, 1 bad input (one ``orgaccess:`` line on stderr, no
traceback), 2 usage (one line); 3, 4 and 5 are in ``test_cli_safety.py``.
Outputs that several tests read come from module-scoped runs.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orgaccess.aws.client import ReportClient
from orgaccess.engine.report import PolicyScope, ReportOptions
from orgaccess.formats.snapshot import example_organization, example_snapshot
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.policy import SCP_MAX_CHARACTERS

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-01T00:00:00Z"
AS_OF_DT = datetime(2026, 11, 1, tzinfo=UTC)
ROOT = "o-exampleorg1/r-ex12"
SANDBOX_ACCOUNT = "o-exampleorg1/r-ex12/ou-ex12-sandbox1/888899990000"
WORKLOADS = "o-exampleorg1/r-ex12/ou-ex12-workloads"

#: (account, eventSource, eventTime, region, namespace) of the CloudTrail fixture.
TRAIL = [
    ("444455556666", "s3.amazonaws.com", "2026-10-30T10:00:00Z", "us-east-1", "s3"),
    ("555566667777", "ec2.amazonaws.com", "2026-09-01T10:00:00Z", "eu-west-1", "ec2"),
    ("777788889999", "lambda.amazonaws.com", "2026-10-31T23:00:00Z", "us-east-1", "lambda"),
    ("888899990000", "s3.amazonaws.com", "2026-10-20T08:30:00Z", "eu-central-1", "s3"),
    # After --as-of: left out of every report.
    ("444455556666", "sqs.amazonaws.com", "2026-11-05T00:00:00Z", "us-east-1", "sqs"),
]
#: (account, namespace, region, last_attempt) of the aggregated-rows fixture.
ROWS = [("121212121212", "dynamodb", "us-west-2", "2026-10-15T08:00:00Z")]


def _record(account: str, source: str, when: str, region: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventTime": when,
        "eventSource": source,
        "eventName": "SomeCall",
        "awsRegion": region,
        "userIdentity": {
            "type": "AssumedRole",
            "accountId": account,
            "arn": f"arn:aws:sts::{account}:assumed-role/Developer/session",
        },
        "recipientAccountId": account,
    }


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    (d / "org.json").write_text(json.dumps(example_snapshot()), encoding="utf-8")
    bad = example_snapshot()
    bad["Accounts"][1]["ParentId"] = "ou-ex12-zzzzzzzz"
    bad["Accounts"][2]["Id"] = "12"
    bad["Policies"][0]["Content"] = "{bad"
    (d / "invalid.json").write_text(json.dumps(bad), encoding="utf-8")
    (d / "notjson.json").write_text("this is not JSON\n", encoding="utf-8")
    records = [_record(a, s, t, r) for a, s, t, r, _ in TRAIL]
    (d / "trail.json").write_text(json.dumps({"Records": records}), encoding="utf-8")
    lines = ["account_id,service_namespace,region,last_attempt"]
    lines += [",".join(row) for row in ROWS]
    (d / "rows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    malformed = {
        "Records": [
            _record("444455556666", "s3.amazonaws.com", "2026-10-01T00:00:00Z", "us-east-1"),
            42,
            _record("444455556666", "ec2.amazonaws.com", "garbage", "us-east-1"),
        ]
    }
    (d / "malformed.json").write_text(json.dumps(malformed), encoding="utf-8")
    return d


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "orgaccess", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def report_args(*extra: str, entity: str = ROOT) -> list[str]:
    return [
        "report",
        "--org",
        "org.json",
        "--entity-path",
        entity,
        "--events",
        "trail.json",
        "rows.csv",
        "--as-of",
        AS_OF,
        *extra,
    ]


def assert_bad_input(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("orgaccess:")]
    assert len(errors) == 1, result.stderr
    message = errors[0]
    assert result.stderr.rstrip("\n").endswith(message)  # the last line, after any summary
    for needle in needles:
        assert needle in message, message
    return message


# -- report --format json is ReportClient's answer ------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _in_process_report(entity: str, policy_id: str | None, sort_key: str) -> dict[str, Any]:
    """The same report built in-process: the events of the fixtures, every page walked."""
    org = example_organization()
    index = ActivityIndex(
        [
            AccessEvent(
                account_id=a,
                service_namespace=ns,
                region=region,
                time=_time(t),
                principal_type="AssumedRole",
            )
            for a, _, t, region, ns in TRAIL
        ],
        until=AS_OF_DT,
    )
    for account, namespace, region, when in ROWS:
        index.add_last_access(account, namespace, _time(when), region)
    client = ReportClient(
        org,
        index,
        clock=lambda: AS_OF_DT,
        options=ReportOptions(
            tracking_days=400, policy_scope=PolicyScope.LITERAL, resources="precise"
        ),
    )
    kwargs: dict[str, Any] = {"EntityPath": entity}
    if policy_id:
        kwargs["OrganizationsPolicyId"] = policy_id
    job = client.generate_organizations_access_report(**kwargs)["JobId"]
    pages = []
    marker: str | None = None
    while True:
        page_kwargs: dict[str, Any] = {"JobId": job, "MaxItems": 97, "SortKey": sort_key}
        if marker:
            page_kwargs["Marker"] = marker
        page = client.get_organizations_access_report(**page_kwargs)
        assert page["JobStatus"] == "COMPLETED"
        pages.append(page)
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    whole = dict(pages[0])
    whole["AccessDetails"] = [d for p in pages for d in p["AccessDetails"]]
    whole["IsTruncated"] = False
    whole.pop("Marker", None)
    return _jsonable(whole)


@pytest.mark.parametrize(
    ("entity", "policy_id", "sort_key"),
    [
        (ROOT, None, "SERVICE_NAMESPACE_ASCENDING"),
        (WORKLOADS, "p-FullAWSAccess", "LAST_AUTHENTICATED_TIME_DESCENDING"),
    ],
)
def test_report_json_equals_report_client_output(
    files: Path, entity: str, policy_id: str | None, sort_key: str
) -> None:
    extra = ["--format", "json", "--sort-key", sort_key]
    if policy_id:
        extra += ["--policy-id", policy_id]
    result = run(files, *report_args(*extra, entity=entity))
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    expected = _in_process_report(entity, policy_id, sort_key)
    assert got == expected
    assert got["IsTruncated"] is False
    assert "Marker" not in got
    assert len(got["AccessDetails"]) == got["NumberOfServicesAccessible"] > 97  # several pages
    used = {d["ServiceNamespace"] for d in got["AccessDetails"] if "LastAuthenticatedTime" in d}
    assert "sqs" not in used  # the record after --as-of is left out


def test_report_json_shows_fixture_activity(files: Path) -> None:
    result = run(files, *report_args("--format", "json"))
    assert result.returncode == 0, result.stderr
    by_ns = {d["ServiceNamespace"]: d for d in json.loads(result.stdout)["AccessDetails"]}
    assert by_ns["s3"]["LastAuthenticatedTime"] == "2026-10-30T10:00:00Z"
    assert by_ns["s3"]["TotalAuthenticatedEntities"] == 2
    assert by_ns["dynamodb"]["Region"] == "us-west-2"  # from the rows CSV
    assert "LastAuthenticatedTime" not in by_ns["sqs"]
    assert "1 after --as-of left out" in result.stderr


# -- report happy paths ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def table(files: Path) -> subprocess.CompletedProcess[str]:
    return run(files, *report_args())


def test_report_table_has_header_counts_never_used_and_relative_ages(
    table: subprocess.CompletedProcess[str],
) -> None:
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == f"Access report for {ROOT}, as of {AS_OF}"
    assert " services allowed by SCPs, " in lines[1]
    assert lines[1].endswith("not accessed in the last 400 days")
    assert lines[3].split()[:4] == ["NAMESPACE", "SERVICE", "LAST", "ACCESSED"]
    rows = {line.split()[0]: line for line in lines[4:]}
    assert "never used" in rows["a4b"]
    assert "2026-10-30T10:00:00Z  1 day ago" in rows["s3"]
    assert "60 days ago" in rows["ec2"]
    assert "1 hour ago" in rows["lambda"]
    assert "16 days ago" in rows["dynamodb"]
    assert "activity: 5 CloudTrail records read" in table.stderr


def test_report_csv_has_header_and_one_line_per_service(files: Path) -> None:
    result = run(files, *report_args("--format", "csv"))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stdout.splitlines()[0] == (
        "ServiceNamespace,ServiceName,LastAuthenticatedTime,Region,EntityPath,"
        "TotalAuthenticatedEntities"
    )
    assert len(rows) == len(result.stdout.splitlines()) - 1
    namespaces = [r["ServiceNamespace"] for r in rows]
    assert namespaces == sorted(namespaces)
    assert len(set(namespaces)) == len(namespaces)
    s3 = next(r for r in rows if r["ServiceNamespace"] == "s3")
    assert s3["LastAuthenticatedTime"] == "2026-10-30T10:00:00Z"
    assert s3["EntityPath"].endswith("/444455556666")


def test_report_policy_id_and_sort_key(files: Path) -> None:
    result = run(
        files,
        *report_args(
            "--policy-id",
            "p-sandboxallow",
            "--sort-key",
            "LAST_AUTHENTICATED_TIME_DESCENDING",
            "--format",
            "csv",
            entity="o-exampleorg1/r-ex12/ou-ex12-sandbox1",
        ),
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {r["ServiceNamespace"] for r in rows} == {
        "ec2",
        "s3",
        "lambda",
        "cloudwatch",
        "logs",
        "iam",
        "sts",
        "dynamodb",
    }
    assert rows[0]["ServiceNamespace"] == "s3"  # the only used one comes first
    assert rows[0]["LastAuthenticatedTime"] == "2026-10-20T08:30:00Z"


# -- explain / validate / unused / demo -----------------------------------------------------------
@pytest.mark.parametrize(
    ("service", "verdict", "policy"),
    [("s3", "LISTED", "p-sandboxallow"), ("rds", "NOT LISTED", "p-sandboxallow")],
)
def test_explain_names_the_verdict_and_deciding_policy(
    files: Path, service: str, verdict: str, policy: str
) -> None:
    result = run(
        files,
        "explain",
        "--org",
        "org.json",
        "--entity-path",
        SANDBOX_ACCOUNT,
        "--service",
        service,
    )
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first == f"{service} for {SANDBOX_ACCOUNT}: {verdict}"
    assert policy in result.stdout


def test_validate_good_snapshot(files: Path) -> None:
    result = run(files, "validate", "--org", "org.json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("org.json: OK: organization o-exampleorg1")
    assert "11 accounts" in result.stdout


def test_validate_bad_snapshot_lists_every_problem_with_location(files: Path) -> None:
    result = run(files, "validate", "--org", "invalid.json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "invalid.json: 4 problem(s)"
    problems = [line.strip() for line in lines[1:]]
    assert len(problems) == 4
    assert [p.split(":")[0] for p in problems] == [
        "/Accounts/1 (account 888899990000)",
        "/Accounts/2/Id",  # its id is what is wrong: no label
        "/Policies/0/Content (policy p-FullAWSAccess)",
        "/Policies/0/Targets/10 (policy p-FullAWSAccess)",
    ]
    assert "ou-ex12-zzzzzzzz" in problems[0]


def _unused_args(*extra: str) -> list[str]:
    return ["unused", *report_args(*extra, entity=SANDBOX_ACCOUNT)[1:]]


def test_unused_lists_services_not_used_in_n_days(files: Path) -> None:
    result = run(files, *_unused_args("--days", "30"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"7 of 8 services allowed for {SANDBOX_ACCOUNT} were not used")
    listed = {line.split()[0] for line in lines[1:]}
    assert listed == {"cloudwatch", "dynamodb", "ec2", "iam", "lambda", "logs", "sts"}
    assert "Suggested" not in result.stdout
    shorter = run(files, *_unused_args("--days", "5"))
    assert shorter.stdout.startswith("8 of 8 services")  # s3 was used 12 days ago


def _printed_json_documents(text: str) -> list[str]:
    """The JSON documents printed one after another (each starts with '{' on its own line)."""
    docs: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line == "{":
            current = [line]
        elif current is not None:
            current.append(line)
            if line == "}":
                docs.append("\n".join(current))
                current = None
    return docs


def test_unused_suggest_scp_prints_documents_within_the_size_limit(files: Path) -> None:
    # The whole root: hundreds of never-used services, so the SCP must be split.
    result = run(
        files, "unused", *report_args("--days", "30", "--suggest-scp", "--allow-partial")[1:]
    )
    assert result.returncode == 0, result.stderr
    assert "Suggested Deny SCPs" in result.stdout
    docs = _printed_json_documents(result.stdout)
    assert len(docs) > 1
    actions: list[str] = []
    for text in docs:
        assert len(text) <= SCP_MAX_CHARACTERS
        doc = json.loads(text)
        (statement,) = doc["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Resource"] == "*"
        actions += statement["Action"]
    listed = [line.split()[0] for line in result.stdout.split("\n\nSuggested")[0].splitlines()[1:]]
    assert actions == [f"{ns}:*" for ns in sorted(listed)]
    assert "s3:*" not in actions
    assert "lambda:*" not in actions


def test_demo_runs_without_arguments(tmp_path: Path) -> None:
    result = run(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("orgaccess demo: the built-in example organization")
    assert "Access report for o-exampleorg1/r-ex12, as of 2026-11-01T12:00:00Z" in result.stdout
    assert "NAMESPACE" in result.stdout
    assert " ago " in result.stdout
    assert "for o-exampleorg1/r-ex12/" in result.stdout
    assert ": NOT LISTED" in result.stdout or ": LISTED" in result.stdout


# -- bad input: exit 1, one "orgaccess:" line, no traceback ---------------------------------------
def _explain(entity: str, service: str) -> list[str]:
    return ["explain", "--org", "org.json", "--entity-path", entity, "--service", service]


BAD_INPUT = {
    "missing --org file": (
        ["report", "--org", "missing.json", *report_args()[3:]],
        ["missing.json"],
    ),
    "snapshot not JSON": (
        ["report", "--org", "notjson.json", *report_args()[3:]],
        ["notjson.json", "not JSON"],
    ),
    "invalid snapshot": (
        ["report", "--org", "invalid.json", *report_args()[3:]],
        ["invalid.json: invalid snapshot", "orgaccess validate --org invalid.json"],
    ),
    "entity path does not exist": (
        report_args(entity=ROOT + "/ou-ex12-zzzzzzzz"),
        ["the path does not exist", "ou-ex12-zzzzzzzz is not the root, an OU or an account"],
    ),
    "entity path of another organization": (
        report_args(entity="o-otherorg123/r-ab12"),
        ["names organization 'o-otherorg123'", "this snapshot is o-exampleorg1"],
    ),
    "bad --policy-id pattern": (report_args("--policy-id", "bad"), ["ValidationError"]),
    "unknown --policy-id": (
        report_args("--policy-id", "p-unknown12"),
        ["report FAILED: INVALID_ORGANIZATIONS_POLICY"],
    ),
    "explain unknown service": (_explain(ROOT, "nosuchsvc"), ["nosuchsvc"]),
    "explain missing path": (
        _explain(ROOT + "/ou-ex12-zzzzzzzz", "s3"),
        ["ou-ex12-zzzzzzzz", "does not exist"],
    ),
    "missing --events file": (
        [*report_args()[:6], "trail.json", "nope.json", "--as-of", AS_OF],
        ["nope.json", "no such file"],
    ),
    "missing --events rows file": (
        [*report_args()[:6], "nope.csv", "--as-of", AS_OF],
        ["nope.csv", "no such file"],
    ),
}


@pytest.mark.parametrize(("args", "needles"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_exits_1_with_one_line(files: Path, args: list[str], needles: list[str]) -> None:
    assert_bad_input(run(files, *args), *needles)


def test_malformed_cloudtrail_file_is_a_warning_not_an_error(files: Path) -> None:
    result = run(
        files,
        *report_args("--format", "csv")[:6],
        "malformed.json",
        "--as-of",
        AS_OF,
        "--format",
        "csv",
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "3 CloudTrail records read, 1 counted (skipped MALFORMED: 2)" in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 2
    assert "malformed.json#/Records/1" in warnings[0]
    assert "malformed.json#/Records/2" in warnings[1]
    assert "eventTime" in warnings[1]
    s3 = next(
        r for r in csv.DictReader(io.StringIO(result.stdout)) if r["ServiceNamespace"] == "s3"
    )
    assert s3["LastAuthenticatedTime"] == "2026-10-01T00:00:00Z"  # the good record counted


# -- usage errors: exit 2 -------------------------------------------------------------------------
USAGE = {
    "no command": [],
    "unknown option": ["report", "--bogus"],
    "bad --as-of": [*report_args()[:8], "--as-of", "yesterday"],
    "--format xml": report_args("--format", "xml"),
}


@pytest.mark.parametrize("args", USAGE.values(), ids=USAGE.keys())
def test_usage_error_exits_2_with_one_line(files: Path, args: list[str]) -> None:
    result = run(files, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("orgaccess")
    assert ": error: " in result.stderr
    assert "--help" in result.stderr


F_SETPIPE_SZ = 1031  # Linux fcntl command


@pytest.mark.skipif(sys.platform != "linux", reason="sets the pipe size with a Linux fcntl")
def test_a_reader_that_stops_early_ends_the_output_quietly(tmp_path: Path) -> None:
    """`orgaccess demo | head -1`: no traceback and no error line when the pipe closes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen(
        [sys.executable, "-m", "orgaccess", "demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    # A one-page pipe, so that the demo's output (several KiB) cannot all fit in it.
    fcntl.fcntl(proc.stdout.fileno(), F_SETPIPE_SZ, 4096)
    assert os.read(proc.stdout.fileno(), 15) == b"orgaccess demo:"  # read a little, unbuffered
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert err == b""
