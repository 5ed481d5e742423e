"""read_activity(jobs=N) and --jobs N give what one process gives (issue 15 item 3)."""

from __future__ import annotations

import gzip
import json
import random
from io import StringIO
from pathlib import Path

import pytest

from orgaccess.errors import IngestError
from orgaccess.formats.activity import _split, read_activity
from orgaccess.model.events import ActivityIndex

SOURCES = ["s3", "ec2", "iam", "nosuchservice", "signin"]


def _write_logs(directory: Path, files: int = 5, per_file: int = 200) -> None:
    rng = random.Random(15)
    for f in range(files):
        records: list[object] = []
        for _ in range(per_file):
            records.append(
                {
                    "eventVersion": "1.09",
                    "userIdentity": {
                        "type": rng.choice(["IAMUser", "AssumedRole", "AWSService"]),
                        "accountId": f"11112222{rng.randrange(10):04d}",
                    },
                    "eventSource": f"{rng.choice(SOURCES)}.amazonaws.com",
                    "eventTime": f"2026-0{1 + f}-{rng.randrange(1, 28):02d}"
                    f"T0{rng.randrange(10)}:00:00Z",
                    "awsRegion": rng.choice(["us-east-1", "eu-west-1"]),
                }
            )
        records[7] = {"eventTime": "not a time", "userIdentity": {}}
        records[8] = 5
        text = json.dumps({"Records": records})
        (directory / f"{f:02d}.json.gz").write_bytes(gzip.compress(text.encode()))
    (directory / "broken.json").write_text('{"Records": [{"eventSource": "s3.amazonaws.com"')
    (directory / "rows.csv").write_text(
        "account_id,namespace,last_time,region\n111122220001,s3,2026-07-01T00:00:00Z,eu-west-1\n"
    )


@pytest.mark.parametrize("fast", [False, None])
def test_two_workers_give_the_same_index_and_summaries(tmp_path: Path, fast: bool | None) -> None:
    _write_logs(tmp_path)
    one = read_activity([tmp_path], fast=fast, index=ActivityIndex(keep_history=True))
    two = read_activity([tmp_path], fast=fast, index=ActivityIndex(keep_history=True), jobs=2)
    assert two.cloudtrail == one.cloudtrail
    assert two.rows == one.rows
    assert two.index == one.index
    assert one.cloudtrail.records_read == 5 * 200  # the truncated file has no whole record
    assert one.cloudtrail.problems  # the malformed records and the truncated file


def test_workers_respect_until_and_count_what_they_drop(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    _write_logs(tmp_path)
    until = datetime(2026, 3, 15, tzinfo=UTC)
    one = read_activity([tmp_path], index=ActivityIndex(until=until))
    two = read_activity([tmp_path], index=ActivityIndex(until=until), jobs=3)
    assert two.index == one.index
    assert two.after_until == one.after_until > 0
    assert two.index.earliest == one.index.earliest


def test_strict_workers_raise_the_first_problem_in_file_order(tmp_path: Path) -> None:
    _write_logs(tmp_path)
    with pytest.raises(IngestError) as one:
        read_activity([tmp_path], strict=True)
    with pytest.raises(IngestError) as two:
        read_activity([tmp_path], strict=True, jobs=2)
    assert str(two.value) == str(one.value)


def test_jobs_must_be_a_positive_int(tmp_path: Path) -> None:
    for jobs in (0, -1, True, 1.5):
        with pytest.raises(IngestError, match="jobs"):
            read_activity([tmp_path], jobs=jobs)  # type: ignore[arg-type]


def test_runs_of_files_are_contiguous_and_cover_every_file(tmp_path: Path) -> None:
    paths = []
    for n, size in enumerate([10, 1000, 10, 10, 500, 10]):
        path = tmp_path / f"{n}.json"
        path.write_bytes(b" " * size)
        paths.append(str(path))
    for parts in (1, 2, 3, 6):
        runs = _split(paths, parts)
        assert [p for run in runs for p in run] == paths
        assert 1 <= len(runs) <= parts
        assert all(runs)


def test_cli_jobs_gives_the_same_report(tmp_path: Path) -> None:
    from orgaccess.cli.main import main
    from orgaccess.formats.snapshot import example_organization, example_snapshot

    org = example_organization()
    (tmp_path / "org.json").write_text(json.dumps(example_snapshot()))
    accounts = sorted(str(a.id) for a in org.accounts)
    trail = tmp_path / "trail"
    trail.mkdir()
    for f in range(3):
        records = [
            {
                "eventVersion": "1.09",
                "userIdentity": {"type": "IAMUser", "accountId": accounts[(f + i) % len(accounts)]},
                "eventSource": f"{SOURCES[i % 3]}.amazonaws.com",
                "eventTime": f"2026-0{1 + f}-{1 + i:02d}T00:00:00Z",
                "awsRegion": "eu-west-1",
            }
            for i in range(20)
        ]
        (trail / f"{f}.json").write_text(json.dumps({"Records": records}))
    outputs = []
    for jobs in ("1", "2"):
        out, err = StringIO(), StringIO()
        code = main(
            [
                "report",
                "--org",
                str(tmp_path / "org.json"),
                "--entity-path",
                f"{org.id}/{org.root.id}",
                "--events",
                str(trail),
                "--as-of",
                "2026-06-01T00:00:00Z",
                "--output",
                "json",
                "--jobs",
                jobs,
            ],
            stdout=out,
            stderr=err,
        )
        assert code == 0, err.getvalue()
        outputs.append((out.getvalue(), err.getvalue()))
    assert outputs[0] == outputs[1]
    assert "60 CloudTrail records read, 60 counted" in outputs[0][1]


def test_cli_refuses_zero_jobs(tmp_path: Path) -> None:
    from orgaccess.cli.main import main

    err = StringIO()
    code = main(
        ["report", "--org", "x", "--entity-path", "x", "--events", "x", "--jobs", "0"],
        stdout=StringIO(),
        stderr=err,
    )
    assert code == 2
    assert "--jobs" in err.getvalue()
