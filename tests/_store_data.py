"""Shared helpers of the activity-store tests: log files to ingest, and a store's content."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orgaccess.formats.activity import read_activity
from orgaccess.model.events import ActivityIndex, LastAccess

REAL = Path(__file__).parent / "data" / "cloudtrail" / "real"
ACCOUNTS = ("444455556666", "777788889999", "555566667777", "888899990000")
SOURCES = ("s3.amazonaws.com", "ec2.amazonaws.com", "lambda.amazonaws.com", "sts.amazonaws.com")
REGIONS = ("eu-west-1", "us-east-1", "us-west-2")
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(account: str, source: str, region: str, when: datetime) -> dict[str, object]:
    """A CloudTrail record of an IAM user of ``account``."""
    return {
        "eventVersion": "1.08",
        "eventTime": iso(when),
        "eventSource": source,
        "eventName": "Describe",
        "awsRegion": region,
        "userIdentity": {
            "type": "IAMUser",
            "accountId": account,
            "arn": f"arn:aws:iam::{account}:user/u",
        },
    }


def write_log(path: Path, records: Iterable[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"Records": list(records)}), encoding="utf-8")
    return path


def write_rows(path: Path, rows: Iterable[tuple[str, str, str, datetime]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["account_id,service_namespace,region,last_attempt"]
    lines += [f"{a},{n},{r},{iso(t)}" for a, n, r, t in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def random_logs(
    directory: Path, seed: int, *, files: int = 12, records: int = 30, days: int = 4
) -> list[Path]:
    """Log files whose records fall on a few days, with ties in time and region."""
    rng = random.Random(seed)
    paths = []
    for number in range(files):
        start = T0 + timedelta(minutes=rng.randrange(days * 24 * 60))
        rows = []
        for _ in range(rng.randrange(1, records)):
            when = start + timedelta(seconds=rng.choice((0, 0, 1, 60, 3599, 7200)))
            rows.append(
                record(rng.choice(ACCOUNTS), rng.choice(SOURCES), rng.choice(REGIONS), when)
            )
        paths.append(write_log(directory / f"log-{number:03d}.json", rows))
    return paths


def expected_index(paths: Sequence[Path], until: datetime | None) -> ActivityIndex:
    """What reading every file gives (the reference)."""
    return read_activity(list(paths), index=ActivityIndex(until=until)).index


def entries(index: ActivityIndex) -> list[tuple[tuple[str, str], LastAccess]]:
    return sorted(((str(a), n), last) for (a, n), last in index.items())


def content(path: Path) -> tuple[list[tuple[object, ...]], ...]:
    """A store's facts, independent of row ids and ingest times."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        files = db.execute(
            "SELECT path, size, sha256, kind, records_read, counted, summary FROM files ORDER BY 1"
        ).fetchall()
        contrib = db.execute(
            "SELECT f.path, c.account, c.namespace, c.day, c.max_us, c.region, c.min_us, c.events "
            "FROM contrib c JOIN files f ON f.id = c.file_id ORDER BY 1, 2, 3, 4"
        ).fetchall()
        bucket = db.execute("SELECT * FROM bucket ORDER BY 1, 2, 3").fetchall()
    return files, contrib, bucket
