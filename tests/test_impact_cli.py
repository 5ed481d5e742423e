"""``orgaccess impact``: edits in command-line order, outputs, and the exit codes to gate on."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from orgaccess import dump_organization, example_organization
from orgaccess.cli.demo import DEMO_AS_OF, demo_events
from orgaccess.cli.main import main

AS_OF = "2026-11-01T12:00:00Z"  # DEMO_AS_OF
WORKLOADS = "ou-ex12-workloads"
DENY_LAMBDA = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "DenyLambda", "Effect": "Deny", "Action": "lambda:*", "Resource": "*"}],
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("impact")
    org = example_organization()
    dump_organization(org, base / "org.json")
    with open(base / "events.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["account_id", "service_namespace", "region", "last_attempt"])
        for e in demo_events(org):
            writer.writerow([e.account_id, e.service_namespace, e.region, e.time.isoformat()])
    with open(base / "empty.csv", "w", encoding="utf-8") as fh:
        fh.write("account_id,service_namespace,region,last_attempt\n")
    with open(base / "old.csv", "w", encoding="utf-8") as fh:
        old = (DEMO_AS_OF - timedelta(days=200)).isoformat()
        fh.write("account_id,service_namespace,region,last_attempt\n")
        fh.write(f"777788889999,lambda,us-east-1,{old}\n")
    (base / "deny-lambda.json").write_text(json.dumps(DENY_LAMBDA, indent=2), encoding="utf-8")
    deny_athena = {"Statement": [{"Effect": "Deny", "Action": "athena:*", "Resource": "*"}]}
    (base / "deny-athena.json").write_text(json.dumps(deny_athena), encoding="utf-8")
    return {
        name: str(base / name)
        for name in (
            "org.json",
            "events.csv",
            "empty.csv",
            "old.csv",
            "deny-lambda.json",
            "deny-athena.json",
        )
    }


def base_args(files: dict[str, str], events: str = "events.csv") -> list[str]:
    return ["impact", "--org", files["org.json"], "--events", files[events], "--as-of", AS_OF]


def demo_lambda_users() -> set[str]:
    start = DEMO_AS_OF - timedelta(days=90)
    below = {"121212121212", "444455556666", "555566667777", "666677778888", "777788889999"}
    return {
        str(e.account_id)
        for e in demo_events(example_organization())
        if e.service_namespace == "lambda" and str(e.account_id) in below and start <= e.time
    }


def test_a_deny_that_cuts_off_a_used_service_exits_3_and_lists_each_account(
    files: dict[str, str],
) -> None:
    code, out, err = run(
        *base_args(files), "--attach", files["deny-lambda.json"], "--to", WORKLOADS
    )
    assert code == 6
    users = demo_lambda_users()
    assert f"Used in the window and cut off: {len(users)}" in out
    for account in users:
        line = next(x for x in out.splitlines() if x.startswith(account))
        assert " lambda " in line
        assert "(deny-lambda) at ou-ex12-workloads Statement[0] (DenyLambda)" in line
    assert "would be cut off (exit 6)" in err


def test_a_deny_of_an_unused_service_exits_0(files: dict[str, str]) -> None:
    code, out, _err = run(
        *base_args(files), "--attach", files["deny-athena.json"], "--to", "ou-ex12-security"
    )
    # The demo gives athena to some accounts only; the Security accounts' use decides.
    users = {
        str(e.account_id)
        for e in demo_events(example_organization())
        if e.service_namespace == "athena"
        and str(e.account_id) in {"222233334444", "333344445555"}
        and e.time >= DEMO_AS_OF - timedelta(days=90)
    }
    assert code == (6 if users else 0)
    assert "Used in the window and cut off: " in out


def test_no_activity_counted_is_not_no_impact(files: dict[str, str]) -> None:
    code, _out, err = run(
        *base_args(files, "empty.csv"), "--attach", files["deny-lambda.json"], "--to", WORKLOADS
    )
    assert code == 3
    assert "no activity record was counted" in err


def test_no_activity_in_the_window_is_not_no_impact(files: dict[str, str]) -> None:
    code, out, err = run(
        *base_args(files, "old.csv"), "--attach", files["deny-lambda.json"], "--to", WORKLOADS
    )
    assert code == 3
    assert "attempted anything in the 90 days" in err
    assert "Used in the window and cut off: 0" in out
    # A longer window sees the old attempt: now it is a used service cut off.
    code, _out, _err = run(
        *base_args(files, "old.csv"),
        "--window-days",
        "365",
        "--attach",
        files["deny-lambda.json"],
        "--to",
        WORKLOADS,
    )
    assert code == 6


def test_refused_changes_exit_1_and_are_all_listed(files: dict[str, str]) -> None:
    code, out, err = run(
        *base_args(files),
        "--detach",
        "p-devrestrict",
        "--from",
        "ou-ex12-dev00001",
        "--attach",
        "p-doesnotexist",
        "--to",
        WORKLOADS,
        "--move",
        "777788889999",
        "--to-parent",
        "ou-ex12-nothere1",
    )
    assert code == 1
    assert out == ""
    assert "3 changes AWS would refuse" in err
    for name in (
        "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        "PolicyNotFoundException",
        "DestinationParentNotFoundException",
    ):
        assert name in err
    assert "Traceback" not in err


def test_edits_run_in_command_line_order(files: dict[str, str]) -> None:
    attach = ["--attach", files["deny-lambda.json"], "--to", "777788889999"]
    detach = ["--detach", "p-FullAWSAccess", "--from", "777788889999"]
    code, _out, _err = run(*base_args(files), *attach, *detach)
    assert code in (0, 6)
    code, _out, err = run(*base_args(files), *detach, *attach)
    assert code == 1
    assert "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" in err


@pytest.mark.parametrize(
    "edits",
    [
        [],
        ["--to", WORKLOADS],
        ["--attach", "p-FullAWSAccess"],
        ["--attach", "p-FullAWSAccess", "--from", WORKLOADS],
        ["--replace", "p-rootguard"],
        ["--move", "not-an-account", "--to-parent", WORKLOADS],
        ["--attach", "no-such-file.json", "--to", WORKLOADS],
    ],
)
def test_malformed_edits_are_usage_errors(files: dict[str, str], edits: list[str]) -> None:
    code, out, err = run(*base_args(files), *edits)
    assert code in (1, 2)
    assert code == (1 if "no-such-file.json" in edits else 2)
    assert out == ""
    assert err.startswith("orgaccess")


def test_json_output_has_every_changed_access(files: dict[str, str]) -> None:
    code, out, _err = run(
        *base_args(files),
        "--output",
        "json",
        "--attach",
        files["deny-lambda.json"],
        "--to",
        WORKLOADS,
    )
    assert code == 6
    data = json.loads(out)
    assert data["breaks_used_access"] is True
    used = {
        c["account_id"]
        for c in data["access_changes"]
        if c["allowed_before"] and not c["allowed_after"] and c["last_attempt"]
    }
    assert used == demo_lambda_users()
    assert data["as_of"] == AS_OF
    assert {e["entity_id"] for e in data["entities"]} >= {"r-ex12", WORKLOADS}


def test_html_output_is_one_escaped_page(files: dict[str, str]) -> None:
    code, out, _err = run(
        *base_args(files),
        "--output",
        "html",
        "--attach",
        files["deny-lambda.json"],
        "--to",
        WORKLOADS,
    )
    assert code == 6
    assert out.startswith("<!DOCTYPE html>")
    assert out.count("<table>") == 3
    assert "(deny-lambda) at ou-ex12-workloads" in out


def test_replace_and_move_from_the_command_line(files: dict[str, str], tmp_path: Path) -> None:
    allow = {"Statement": [{"Effect": "Allow", "Action": ["ec2:*", "sts:*"], "Resource": "*"}]}
    path = tmp_path / "sandbox.json"
    path.write_text(json.dumps(allow), encoding="utf-8")
    code, out, _err = run(
        *base_args(files),
        "--output",
        "json",
        "--replace",
        f"p-sandboxallow={path}",
        "--move",
        "777788889999",
        "--to-parent",
        "ou-ex12-prod0001",
    )
    assert code in (0, 6)
    data = json.loads(out)
    sandbox = {"888899990000", "999900001111"}
    cut = {
        (c["account_id"], c["service_namespace"])
        for c in data["access_changes"]
        if not c["allowed_after"]
    }
    assert {a for a, _ in cut} == sandbox
    assert ("888899990000", "s3") in cut
    assert any(
        c["account_id"] == "777788889999" and c["allowed_after"] for c in data["access_changes"]
    )
