"""Safe by default: empty activity, unobservable services, early checks, out-of-range values.

Exit codes pinned here (``orgaccess.cli.exitcodes``): 3 no activity, 4 not
observable, 5 unused found, 2 usage, 1 bad input. Runs are in-process
(``main(argv, stdout=..., stderr=...)``) with ``--as-of`` always given.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orgaccess.cli.exitcodes import (
    EXIT_BAD_INPUT,
    EXIT_NO_ACTIVITY,
    EXIT_NOT_OBSERVABLE,
    EXIT_OK,
    EXIT_UNUSED_FOUND,
    EXIT_USAGE,
)
from orgaccess.cli.main import main
from orgaccess.formats.snapshot import example_snapshot

AS_OF = "2026-11-01T00:00:00Z"
SANDBOX = "888899990000"  # the sandbox account: 8 services allowed


def _record(account: str, source: str, when: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventTime": when,
        "eventSource": source,
        "eventName": "Call",
        "awsRegion": "us-east-1",
        "userIdentity": {"type": "AssumedRole", "accountId": account},
        "recipientAccountId": account,
    }


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org.json").write_text(json.dumps(example_snapshot()), encoding="utf-8")
    (tmp_path / "empty").mkdir()
    (tmp_path / "blank.json").write_text("", encoding="utf-8")
    (tmp_path / "notcloudtrail.json").write_text('{"hello": [1, 2, 3]}', encoding="utf-8")
    old = {"Records": [_record(SANDBOX, "s3.amazonaws.com", "2024-01-01T00:00:00Z")]}
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    # The sandbox account, active from 2026-08-01 (93 days before AS_OF) to the day before.
    recent = {
        "Records": [
            _record(SANDBOX, "s3.amazonaws.com", "2026-08-01T00:00:00Z"),
            _record(SANDBOX, "ec2.amazonaws.com", "2026-10-31T12:00:00Z"),
        ]
    }
    (tmp_path / "recent.json").write_text(json.dumps(recent), encoding="utf-8")
    return tmp_path


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def unused(events: str, *extra: str, entity: str = SANDBOX) -> list[str]:
    return [
        "unused",
        "--org",
        "org.json",
        "--entity",
        entity,
        "--events",
        events,
        "--as-of",
        AS_OF,
        "--days",
        "30",
        *extra,
    ]


def report(events: str, *extra: str, entity: str = "r-ex12") -> list[str]:
    return [
        "report",
        "--org",
        "org.json",
        "--entity",
        entity,
        "--events",
        events,
        "--as-of",
        AS_OF,
        *extra,
    ]


def with_value(argv: list[str], option: str, value: str) -> list[str]:
    changed = list(argv)
    changed[changed.index(option) + 1] = value
    return changed


# -- exit code 3: no activity ---------------------------------------------------------------
EMPTY = ["empty", "blank.json", "notcloudtrail.json", "old.json"]


@pytest.mark.parametrize("events", EMPTY)
@pytest.mark.parametrize("command", ["report", "unused"])
def test_empty_activity_exits_3_and_says_what_was_read(
    work: Path, events: str, command: str
) -> None:
    argv = report(events) if command == "report" else unused(events, "--suggest-scp")
    code, out, err = cli(*argv)
    assert code == EXIT_NO_ACTIVITY, err
    assert out == ""  # no report, no SCP
    (line,) = [x for x in err.splitlines() if x.startswith("orgaccess:")]
    assert "no activity" in line
    assert "counted" in line
    assert "tracking window 2025-09-27T00:00:00Z .. 2026-11-01T00:00:00Z (400 days)" in line
    assert "--allow-empty" in line


def test_old_records_are_counted_but_outside_the_window(work: Path) -> None:
    code, _, err = cli(*report("old.json"))
    assert code == EXIT_NO_ACTIVITY
    assert "counted 1" in err
    assert "no activity in the tracking window" in err


def test_allow_empty_answers_anyway_with_a_warning(work: Path) -> None:
    code, out, err = cli(*report("empty", "--allow-empty", "--output", "json"))
    assert code == EXIT_OK, err
    assert (
        json.loads(out)["NumberOfServicesNotAccessed"]
        == json.loads(out)["NumberOfServicesAccessible"]
    )
    assert "warning: no activity" in err


# -- exit code 4: unused never suggests a Deny it could not have observed ---------------------
def test_a_period_not_covered_by_the_logs_refuses_to_suggest(work: Path) -> None:
    # Logs from 2026-08-01: a 120-day period starting 2026-07-04 is not covered.
    code, out, err = cli(*with_value(unused("recent.json", "--suggest-scp"), "--days", "120"))
    assert code == EXIT_NOT_OBSERVABLE, err
    assert "Suggested Deny" not in out
    assert "not seen: the activity read begins at 2026-08-01T00:00:00Z" in err
    assert "after the start of the 120-day period (2026-07-04T00:00:00Z)" in err
    assert "no Deny SCP suggested" in err


def test_a_covered_period_suggests(work: Path) -> None:
    code, out, err = cli(*unused("recent.json", "--suggest-scp"))
    assert code == EXIT_OK, err
    assert "fully covered" in err
    assert "Suggested Deny SCP" in out
    assert '"ec2:*"' not in out  # used the day before


def test_events_from_declares_an_earlier_start(work: Path) -> None:
    argv = with_value(unused("recent.json", "--suggest-scp"), "--days", "120")
    assert cli(*argv)[0] == EXIT_NOT_OBSERVABLE
    code, out, err = cli(*argv, "--events-from", "2026-01-01T00:00:00Z")
    assert code == EXIT_OK, err
    assert "Suggested Deny SCP" in out


def test_logs_that_stop_before_as_of_refuse(work: Path) -> None:
    argv = with_value(unused("recent.json", "--suggest-scp"), "--as-of", "2026-11-05T00:00:00Z")
    code, out, err = cli(*argv)
    assert code == EXIT_NOT_OBSERVABLE
    assert "more than a day before --as-of" in err
    assert "Suggested" not in out


def test_accounts_without_any_record_refuse(work: Path) -> None:
    # The whole root: only the sandbox account appears in the logs.
    code, out, err = cli(*unused("recent.json", "--suggest-scp", entity="r-ex12"))
    assert code == EXIT_NOT_OBSERVABLE
    assert "accounts the report counts have no counted attempt at all" in err
    assert "Suggested" not in out
    forced = cli(*unused("recent.json", "--suggest-scp", "--allow-partial", entity="r-ex12"))
    assert forced[0] == EXIT_OK
    assert "Suggested Deny SCP" in forced[1]


def test_unused_json_says_what_could_not_be_seen(work: Path) -> None:
    code, out, _ = cli(*unused("recent.json", "--suggest-scp", "--output", "json", entity="r-ex12"))
    assert code == EXIT_NOT_OBSERVABLE
    doc = json.loads(out)
    assert doc["SuggestedScps"] is None
    assert doc["Coverage"]["Complete"] is False
    assert [g["Kind"] for g in doc["Coverage"]["Gaps"]] == ["accounts"]
    assert SANDBOX not in doc["Coverage"]["Gaps"][0]["Accounts"]
    assert len(doc["Coverage"]["Gaps"][0]["Accounts"]) == doc["Coverage"]["AccountsCounted"] - 1


# -- exit code 5, --exclude --------------------------------------------------------------------
def test_fail_on_unused_and_exclude(work: Path) -> None:
    code, out, err = cli(*unused("recent.json", "--fail-on-unused", "--output", "json"))
    assert code == EXIT_UNUSED_FOUND
    listed = {d["ServiceNamespace"] for d in json.loads(out)["Unused"]}
    assert "s3" in listed  # last used 92 days ago
    assert "ec2" not in listed
    everything = sorted(listed)
    excludes = [arg for ns in everything for arg in ("--exclude", ns)]
    code, out, err = cli(*unused("recent.json", "--fail-on-unused", "--output", "json", *excludes))
    assert code == EXIT_OK, err
    doc = json.loads(out)
    assert doc["Unused"] == []
    assert doc["Excluded"] == everything


def test_exclude_of_an_unknown_namespace_is_a_usage_error(work: Path) -> None:
    code, _, err = cli(*unused("recent.json", "--exclude", "notaservice"))
    assert code == EXIT_USAGE
    assert "notaservice" in err
    assert len(err.splitlines()) == 1


def test_unused_takes_sort_key_and_csv(work: Path) -> None:
    code, out, _ = cli(
        *unused("recent.json", "--sort-key", "SERVICE_NAMESPACE_DESCENDING", "--format", "csv")
    )
    assert code == EXIT_OK
    names = [line.split(",")[0] for line in out.splitlines()[1:]]
    assert names == sorted(names, reverse=True)
    assert len(names) > 1


# -- checks before the logs ---------------------------------------------------------------------
class _Opens:
    """Paths opened while ``active`` (a sys.audit hook cannot be removed, so it is gated)."""

    active = False
    paths: list[str] = []  # noqa: RUF012

    @classmethod
    def hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if cls.active and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            cls.paths.append(os.fsdecode(args[0]))


sys.addaudithook(_Opens.hook)


@pytest.fixture
def opens() -> Iterator[list[str]]:
    _Opens.paths = []
    _Opens.active = True
    try:
        yield _Opens.paths
    finally:
        _Opens.active = False


@pytest.mark.parametrize(
    ("entity", "policy", "needle"),
    [
        ("o-exampleorg1/r-ex12/ou-ex12-zzzzzzzz", None, "ou-ex12-zzzzzzzz"),
        ("999999999999", None, "no root, OU or account has this id"),
        ("r-ex12", "p-doesnotexist", "INVALID_ORGANIZATIONS_POLICY"),
        ("r-ex12", "bad", "ValidationError"),
    ],
)
def test_a_bad_argument_is_reported_before_any_log_is_opened(
    work: Path, opens: list[str], entity: str, policy: str | None, needle: str
) -> None:
    trail = work / "trail.json.gz"
    trail.write_bytes(gzip.compress(json.dumps({"Records": []}).encode()))
    opens.clear()  # only what the command opens
    argv = report(str(trail), entity=entity) + (["--policy-id", policy] if policy else [])
    code, _, err = cli(*argv)
    assert code == EXIT_BAD_INPUT, err
    assert needle in err
    assert "activity:" not in err
    assert str(trail) not in opens
    # The control: with a good entity the same file is opened.
    cli(*report(str(trail), "--allow-empty"))
    assert str(trail) in opens


def test_a_wrong_parent_chain_names_the_wrong_link(work: Path) -> None:
    # 888899990000 sits under ou-ex12-sandbox1, not under ou-ex12-workloads.
    code, _, err = cli(
        *report("recent.json", entity="o-exampleorg1/r-ex12/ou-ex12-workloads/888899990000")
    )
    assert code == EXIT_BAD_INPUT
    assert "888899990000" in err
    assert "is not a child of ou-ex12-workloads: its parent is ou-ex12-sandbox1" in err
    assert "its path is o-exampleorg1/r-ex12/ou-ex12-sandbox1/888899990000" in err


@pytest.mark.parametrize("entity", ["888899990000", "ou-ex12-sandbox1", "r-ex12"])
def test_a_bare_id_resolves_to_its_path(work: Path, entity: str) -> None:
    code, out, err = cli(*report("recent.json", "--output", "json", entity=entity))
    assert code == EXIT_OK, err
    first = json.loads(out)
    path = {
        "888899990000": "o-exampleorg1/r-ex12/ou-ex12-sandbox1/888899990000",
        "ou-ex12-sandbox1": "o-exampleorg1/r-ex12/ou-ex12-sandbox1",
        "r-ex12": "o-exampleorg1/r-ex12",
    }[entity]
    code, out, _ = cli(*report("recent.json", "--output", "json", entity=path))
    assert json.loads(out) == first
    long_name = [
        "--entity-path" if a == "--entity" else a
        for a in report("recent.json", "--output", "json", entity=entity)
    ]
    code, out, _ = cli(*long_name)
    assert json.loads(out) == first


# -- out-of-range values: usage errors, one line -------------------------------------------------
@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--as-of", "0001-01-01T00:00:00+01:00"),
        ("--as-of", "1969-12-31T23:59:59Z"),
        ("--as-of", "9999-12-31T23:59:59Z"),
        ("--tracking-days", "1000000000"),
        ("--tracking-days", "-1"),
        ("--events-from", "0001-01-01T00:00:00+01:00"),
    ],
)
def test_out_of_range_values_are_usage_errors(work: Path, option: str, value: str) -> None:
    argv = report("recent.json")
    argv = with_value(argv, option, value) if option == "--as-of" else [*argv, option, value]
    code, out, err = cli(*argv)
    assert code == EXIT_USAGE
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert "out of range" in err or "must" in err or "expected" in err or "invalid" in err
    assert "Traceback" not in err


def test_days_out_of_range_is_a_usage_error(work: Path) -> None:
    code, _, err = cli(*with_value(unused("recent.json"), "--days", "1000000000"))
    assert code == EXIT_USAGE
    assert "out of range" in err


def test_events_from_after_as_of_is_a_usage_error(work: Path) -> None:
    code, _, err = cli(*report("recent.json", "--events-from", "2027-01-01T00:00:00Z"))
    assert code == EXIT_USAGE
    assert "--events-from" in err
    assert len(err.splitlines()) == 1
