"""--namespace-map / --namespace-map-file and the activity summary on stderr (issue 12, item 4).

Every command that reads --events (report, unused, impact, serve) takes the two
options; their form is checked before any log is read (a bad form is a usage
error, exit 2), and after a read the command prints the records counted and
skipped by reason and the most frequent unknown eventSources.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from orgaccess.cli.main import main
from orgaccess.formats.snapshot import example_snapshot

AS_OF = "2026-11-01T00:00:00Z"
ACCOUNT = "777788889999"  # an account of the example organization


def _record(source: str, when: str = "2026-10-20T10:00:00Z", **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "eventTime": when,
        "eventSource": source,
        "eventName": "SomeCall",
        "awsRegion": "us-east-1",
        "userIdentity": {"type": "AssumedRole", "accountId": ACCOUNT},
    }
    record.update(extra)
    return record


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("nsmap")
    (d / "org.json").write_text(json.dumps(example_snapshot()), encoding="utf-8")
    records = [
        _record("s3.amazonaws.com"),
        _record("newsvc.amazonaws.com"),
        _record("newsvc.amazonaws.com", "2026-10-21T10:00:00Z"),
        _record("other.amazonaws.com"),
        _record("kms.amazonaws.com", eventType="AwsServiceEvent"),
        _record(
            "signin.amazonaws.com",
            eventName="ConsoleLogin",
            responseElements={"ConsoleLogin": "Failure"},
        ),
    ]
    (d / "trail.json").write_text(json.dumps({"Records": records}), encoding="utf-8")
    (d / "map.json").write_text(json.dumps({"newsvc": "lambda"}), encoding="utf-8")
    (d / "list.json").write_text(json.dumps([["newsvc", "lambda"]]), encoding="utf-8")
    (d / "bad-ns.json").write_text(json.dumps({"newsvc": "Not A Namespace"}), encoding="utf-8")
    (d / "notjson.json").write_text("{newsvc: lambda", encoding="utf-8")
    deny = {"Statement": [{"Effect": "Deny", "Action": "lambda:*", "Resource": "*"}]}
    (d / "deny-lambda.json").write_text(json.dumps(deny), encoding="utf-8")
    return d


def run(work: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = [a.replace("@", str(work) + "/") for a in argv]
    code = main(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def report(*extra: str) -> list[str]:
    return [
        "report",
        "--org",
        "@org.json",
        "--entity",
        ACCOUNT,
        "--events",
        "@trail.json",
        "--as-of",
        AS_OF,
        "--output",
        "json",
        *extra,
    ]


def _row(out: str, namespace: str) -> dict[str, Any]:
    details = json.loads(out)["AccessDetails"]
    row: dict[str, Any] = next(d for d in details if d["ServiceNamespace"] == namespace)
    return row


def test_the_summary_gives_counted_skipped_by_reason_and_the_unknown_sources(work: Path) -> None:
    code, out, err = run(work, *report())
    assert code == 0, err
    assert "6 CloudTrail records read, 1 counted" in err
    assert "NO_PRINCIPAL: 1" in err
    assert "UNAUTHENTICATED: 1" in err
    assert "UNKNOWN_SERVICE: 3" in err
    line = next(x for x in err.splitlines() if "unknown event sources" in x)
    # most frequent first, with counts, and how to map one
    assert line.index("newsvc.amazonaws.com: 2") < line.index("other.amazonaws.com: 1")
    assert "--namespace-map SOURCE=NAMESPACE" in line
    assert _row(out, "lambda")["TotalAuthenticatedEntities"] == 0


@pytest.mark.parametrize(
    "option",
    [
        ["--namespace-map", "newsvc.amazonaws.com=lambda"],
        ["--namespace-map", "newsvc=lambda"],
        ["--namespace-map", "NewSvc=lambda"],
        ["--namespace-map-file", "@map.json"],
        ["--namespace-map-file", "@map.json", "--namespace-map", "other=logs"],
    ],
)
def test_a_namespace_map_counts_the_source_for_that_namespace(
    work: Path, option: list[str]
) -> None:
    code, out, err = run(work, *report(*option))
    assert code == 0, err
    lambda_row = _row(out, "lambda")
    assert lambda_row["TotalAuthenticatedEntities"] == 1
    assert lambda_row["LastAuthenticatedTime"] == "2026-10-21T10:00:00Z"
    assert "newsvc.amazonaws.com" not in err


def test_the_command_line_entry_wins_over_the_file(work: Path) -> None:
    code, out, err = run(
        work, *report("--namespace-map-file", "@map.json", "--namespace-map", "newsvc=logs")
    )
    assert code == 0, err
    assert _row(out, "logs")["TotalAuthenticatedEntities"] == 1
    assert _row(out, "lambda")["TotalAuthenticatedEntities"] == 0


@pytest.mark.parametrize(
    ("option", "needle"),
    [
        (["--namespace-map", "newsvc"], "SOURCE=NAMESPACE"),
        (["--namespace-map", "newsvc="], "SOURCE=NAMESPACE"),
        (["--namespace-map", "=lambda"], "not an eventSource"),
        (["--namespace-map", "new svc=lambda"], "not an eventSource"),
        (["--namespace-map", "newsvc=Lambda Functions"], "not an IAM service namespace"),
        (["--namespace-map", "newsvc=nosuchservice"], "nosuchservice is not a service namespace"),
        (["--namespace-map-file", "@notjson.json"], "not JSON"),
        (["--namespace-map-file", "@list.json"], "expected a JSON object"),
        (["--namespace-map-file", "@bad-ns.json"], "not an IAM service namespace"),
    ],
)
@pytest.mark.parametrize("command", ["report", "unused", "impact", "serve"])
def test_a_bad_namespace_map_is_a_usage_error_before_any_log_is_read(
    work: Path, option: list[str], needle: str, command: str
) -> None:
    argv = {
        "report": report(),
        "unused": ["unused", *report()[1:], "--days", "90"],
        "impact": [
            "impact",
            "--org",
            "@org.json",
            "--events",
            "@trail.json",
            "--attach",
            "@deny-lambda.json",
            "--to",
            ACCOUNT,
        ],
        "serve": ["serve", "--org", "@org.json", "--events", "@trail.json"],
    }[command]
    if command == "unused":
        argv = [a for a in argv if a not in ("--output", "json")]
    module = "report" if command == "unused" else command
    with mock.patch(
        f"orgaccess.cli.commands.{module}.read_activity",
        side_effect=AssertionError("a log was read"),
    ):
        code, _out, err = run(work, *argv, *option)
    assert code == 2, err
    assert needle in err
    assert "a log was read" not in err


def test_a_missing_namespace_map_file_is_bad_input(work: Path) -> None:
    code, _out, err = run(work, *report("--namespace-map-file", "@nosuch.json"))
    assert code == 1
    assert "--namespace-map-file" in err
    assert "nosuch.json" in err


def test_impact_prints_the_summary_and_takes_a_namespace_map(work: Path) -> None:
    argv = [
        "impact",
        "--org",
        "@org.json",
        "--events",
        "@trail.json",
        "--as-of",
        AS_OF,
        "--attach",
        "@deny-lambda.json",
        "--to",
        ACCOUNT,
    ]
    code, _out, err = run(work, *argv)
    assert code == 0, err  # lambda was not used: nothing used is cut off
    assert "UNKNOWN_SERVICE: 3" in err
    assert "newsvc.amazonaws.com: 2" in err
    code, _out, err = run(work, *argv, "--namespace-map", "newsvc=lambda")
    assert code == 6, err  # now lambda was used in the window
    assert "UNKNOWN_SERVICE: 1" in err
    assert "newsvc.amazonaws.com" not in err


def test_unused_honours_the_namespace_map(work: Path) -> None:
    argv = ["unused", *report()[1:], "--days", "90"]
    argv = [a for a in argv if a not in ("--output", "json")] + ["--output", "json"]
    _code, out, err = run(work, *argv)
    unused = json.dumps(json.loads(out))
    assert '"lambda"' in unused, err
    _code, out, err = run(work, *argv, "--namespace-map", "newsvc=lambda")
    assert '"lambda"' not in json.dumps(json.loads(out)), err
