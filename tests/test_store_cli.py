"""Tests of ``orgaccess ingest``, ``orgaccess store`` and ``--store`` on the report commands.

Includes the crash test (an ingest process killed with SIGKILL mid-run) and
two ingests at once on one store.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from _store_data import ACCOUNTS, REAL, T0, content, random_logs, record, write_log

from orgaccess.formats.snapshot import example_snapshot
from orgaccess.formats.store import PAUSE_ENV

REPO = Path(__file__).resolve().parent.parent
ROOT = "o-exampleorg1/r-ex12"


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orgaccess", *args],
        cwd=cwd,
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra or {})
    return env


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "org.json").write_text(json.dumps(example_snapshot()), encoding="utf-8")
    random_logs(tmp_path / "trail", seed=11, files=15, records=40)
    for path in sorted(REAL.glob("*.json"))[:40]:
        (tmp_path / "trail" / path.name).write_bytes(path.read_bytes())
    return tmp_path


def test_ingest_then_a_rerun_that_reads_nothing_new(work: Path) -> None:
    first = run(work, "ingest", "--store", "a.db", "--events", "trail")
    assert first.returncode == 0, first.stderr
    assert "55 files read (55 new, 0 changed), 0 unchanged files skipped" in first.stdout
    again = run(work, "ingest", "--store", "a.db", "--events", "trail")
    assert again.returncode == 0, again.stderr
    assert "0 files read (0 new, 0 changed), 55 unchanged files skipped" in again.stdout
    assert "CloudTrail: 0 records read, 0 counted" in again.stdout
    doc = json.loads(
        run(work, "ingest", "--store", "a.db", "--events", "trail", "--output", "json").stdout
    )
    assert doc["files_read"] == 0
    assert doc["files_unchanged_skipped"] == 55


def test_a_changed_file_is_said(work: Path) -> None:
    run(work, "ingest", "--store", "a.db", "--events", "trail")
    changed = work / "trail" / "log-000.json"
    write_log(changed, [record(ACCOUNTS[0], "s3.amazonaws.com", "us-east-1", T0)])
    result = run(work, "ingest", "--store", "a.db", "--events", "trail")
    assert "1 files read (0 new, 1 changed), 54 unchanged files skipped" in result.stdout
    assert f"changed: {changed} (other content at the same path" in result.stdout


AS_OFS = [
    "2026-03-08T00:00:00Z",  # after everything
    "2026-03-02T13:37:00Z",  # inside the generated days: inside some files
    "2026-03-01T00:30:00Z",
    "2019-11-26T22:26:00Z",  # among the real records
]


@pytest.mark.parametrize("as_of", AS_OFS)
@pytest.mark.parametrize("command", ["report", "unused"])
def test_reports_from_the_store_equal_reports_from_the_files(
    work: Path, command: str, as_of: str
) -> None:
    run(work, "ingest", "--store", "a.db", "--events", "trail")
    common = [command, "--org", "org.json", "--entity", ROOT, "--as-of", as_of, "--output", "json"]
    common += ["--allow-empty"] + (["--days", "1"] if command == "unused" else [])
    files = run(work, *common, "--events", "trail")
    stored = run(work, *common, "--store", "a.db")
    # with: a store of some files, the others given as --events
    trail = sorted(str(p.relative_to(work)) for p in (work / "trail").iterdir())
    run(work, "ingest", "--store", "half.db", "--events", *trail[::2])
    both = run(work, *common, "--store", "half.db", "--events", *trail[1::2])
    assert files.returncode == stored.returncode == both.returncode, stored.stderr
    assert files.stdout == stored.stdout == both.stdout
    assert "activity: store a.db: 55 files" in stored.stderr
    # the coverage lines (from the same span) agree too
    coverage = [
        line for line in files.stderr.splitlines() if not line.startswith(("activity", "  warning"))
    ]
    assert coverage == [
        line
        for line in stored.stderr.splitlines()
        if not line.startswith(("activity", "  warning"))
    ]


def test_impact_from_the_store_equals_impact_from_the_files(work: Path) -> None:
    run(work, "ingest", "--store", "a.db", "--events", "trail")
    edit = ["--attach", "p-suspenddeny", "--to", "444455556666", "--as-of", AS_OFS[1]]
    common = ["impact", "--org", "org.json", *edit, "--output", "json", "--window-days", "3"]
    files = run(work, *common, "--events", "trail")
    stored = run(work, *common, "--store", "a.db")
    assert files.returncode == stored.returncode
    assert files.stdout == stored.stdout
    assert json.loads(stored.stdout)


def test_serve_answers_from_the_store(work: Path) -> None:
    boto3 = pytest.importorskip("boto3")
    run(work, "ingest", "--store", "a.db", "--events", "trail")
    answers = []
    for source in (["--store", "a.db"], ["--events", "trail"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "orgaccess", "serve", "--org", "org.json", *source,
             "--clock", AS_OFS[1]],
            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
        )  # fmt: skip
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split()[1]
            iam = boto3.client(
                "iam",
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id="AKIAEXAMPLEEXAMPLE00",
                aws_secret_access_key="dummy",
            )
            job = iam.generate_organizations_access_report(EntityPath=ROOT)["JobId"]
            page = iam.get_organizations_access_report(
                JobId=job, SortKey="LAST_AUTHENTICATED_TIME_DESCENDING"
            )
            answers.append(page["AccessDetails"])
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
    assert answers[0] == answers[1]
    assert any("LastAuthenticatedTime" in d for d in answers[0])


def test_store_info_table_and_json(work: Path) -> None:
    run(work, "ingest", "--store", "a.db", "--events", "trail")
    table = run(work, "store", "info", "--store", "a.db")
    assert table.returncode == 0, table.stderr
    assert "files         55 (55 CloudTrail, 0 aggregated rows)" in table.stdout
    doc = json.loads(run(work, "store", "info", "--store", "a.db", "--output", "json").stdout)
    assert doc["files"] == 55
    assert set(ACCOUNTS) <= set(doc["accounts"])
    assert {"s3", "ec2", "lambda", "sts"} <= set(doc["services"])
    assert doc["latest"].startswith("2026-03-0")
    assert doc["size_bytes"] == (work / "a.db").stat().st_size


def test_prune_refuses_a_recent_date_and_then_reports_that_reach_before_it(work: Path) -> None:
    run(work, "ingest", "--store", "a.db", "--events", "trail")
    recent = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y-%m-%d")
    refused = run(work, "store", "prune", "--store", "a.db", "--before", recent)
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    pruned = run(work, "store", "prune", "--store", "a.db", "--before", "2026-03-02", "--force")
    assert pruned.returncode == 0, pruned.stderr
    assert "attempts before 2026-03-02T00:00:00Z dropped" in pruned.stdout
    report = ["report", "--org", "org.json", "--entity", ROOT, "--store", "a.db"]
    early = run(work, *report, "--as-of", "2026-03-05T00:00:00Z", "--allow-empty")
    assert early.returncode == 1
    assert "were pruned" in early.stderr
    ok = run(
        work, *report, "--as-of", "2026-03-05T00:00:00Z", "--tracking-days", "3", "--allow-empty"
    )
    assert ok.returncode == 0, ok.stderr


def test_store_errors_are_one_line(work: Path) -> None:
    (work / "notes.db").write_text("not a database\n")
    report = ["report", "--org", "org.json", "--entity", ROOT]
    for args in (
        [*report, "--store", "notes.db"],
        ["ingest", "--store", "notes.db", "--events", "trail"],
        ["store", "info", "--store", "notes.db"],
        [*report, "--store", "missing.db"],
    ):
        result = run(work, *args)
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.count("orgaccess:") == 1
    assert (work / "notes.db").read_text() == "not a database\n"
    neither = run(work, *report)
    assert neither.returncode == 2
    assert "--store" in neither.stderr


# --------------------------------------------------------------------------- crashes


def committed_files(store: Path) -> list[str]:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute("SELECT path FROM files ORDER BY path")]


def integrity(store: Path) -> str:
    with sqlite3.connect(store) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def test_an_ingest_killed_mid_run_leaves_the_files_it_committed_and_nothing_else(
    work: Path,
) -> None:
    """SIGKILL between (and during) files: the store equals a clean run over its committed files."""
    process = subprocess.Popen(
        [sys.executable, "-m", "orgaccess", "ingest", "--store", "a.db", "--events", "trail"],
        cwd=work,
        env=_env({PAUSE_ENV: "0.15"}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if (work / "a.db").exists():
            try:
                if len(committed_files(work / "a.db")) >= 5:
                    break
            except sqlite3.Error:
                continue
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert integrity(work / "a.db") == "ok"
    done = committed_files(work / "a.db")
    assert 5 <= len(done) < 55
    clean = run(work, "ingest", "--store", "clean.db", "--events", *done)
    assert clean.returncode == 0, clean.stderr
    assert content(work / "a.db") == content(work / "clean.db")
    # finishing the run reads exactly the rest, and equals a clean run over everything
    rest = run(work, "ingest", "--store", "a.db", "--events", "trail")
    assert f"{55 - len(done)} files read ({55 - len(done)} new" in rest.stdout
    run(work, "ingest", "--store", "all.db", "--events", "trail")
    assert content(work / "a.db") == content(work / "all.db")


def test_two_ingests_at_once_neither_corrupt_nor_double_count(work: Path) -> None:
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "orgaccess",
                "ingest",
                "--store",
                "a.db",
                "--events",
                "trail",
                "--output",
                "json",
            ],
            cwd=work,
            env=_env({PAUSE_ENV: "0.01"}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    docs = [json.loads(out) for out, _err in outputs]
    # every file committed exactly once, by one of the two
    assert sum(d["files_read"] for d in docs) == 55
    assert integrity(work / "a.db") == "ok"
    run(work, "ingest", "--store", "clean.db", "--events", "trail")
    assert content(work / "a.db") == content(work / "clean.db")
