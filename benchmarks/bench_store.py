"""Benchmark of the activity store: a year of CloudTrail ingested, then one day more.

Run: ``python benchmarks/bench_store.py [--records N] [--daily M] [--dir DIR] [--seed S]``

What is built (deterministic, ``random.Random(seed)``), in ``--dir`` (a
temporary directory by default):

* ``--records`` (default 1,000,000) CloudTrail records over 365 days, in
  gzipped ``{"Records": [...]}`` files laid out as CloudTrail delivers them
  (``AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/...json.gz``),
  500 records a file, from 50 accounts in 4 regions using 40 services, each
  record a full-sized IAM-user record (identity, request parameters, ids);
* ``--daily`` (default 100,000) records more, on day 366, in new files.

What is measured (``time.perf_counter``; sizes with ``os.path.getsize``):

1. ``orgaccess ingest`` of the year into a new store: seconds, records a
   second, the store's size on disk, its rows;
2. the same ingest again (a rerun that reads nothing new);
3. the daily run: ingest of the year's directory with the new day's files
   added (the year's files are skipped by size and modification time), then
   a root report from the store (``store.index(until)`` + ``build_report``);
4. for comparison, a report reading every file (``read_activity``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orgaccess.engine.report import build_report
from orgaccess.formats.activity import read_activity
from orgaccess.formats.snapshot import example_organization
from orgaccess.formats.store import ActivityStore
from orgaccess.model.events import ActivityIndex

REPO = Path(__file__).resolve().parent.parent
START = datetime(2025, 1, 1, tzinfo=UTC)
PER_FILE = 500
REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")
SERVICES = (
    "s3", "ec2", "lambda", "sts", "iam", "kms", "dynamodb", "sqs", "sns", "logs",
    "cloudwatch", "monitoring", "rds", "ecs", "ecr", "elasticloadbalancing", "autoscaling",
    "cloudformation", "ssm", "secretsmanager", "events", "states", "glue", "athena",
    "kinesis", "firehose", "apigateway", "route53", "acm", "config", "cloudtrail",
    "organizations", "sso", "codebuild", "codepipeline", "elasticache", "es", "eks",
    "backup", "guardduty",
)  # fmt: skip


def accounts(org_accounts: list[str], count: int) -> list[str]:
    extra = [f"{900000000000 + i:012d}" for i in range(count - len(org_accounts))]
    return org_accounts + extra


def make_record(rng: random.Random, account: str, region: str, when: datetime) -> dict[str, object]:
    service = rng.choice(SERVICES)
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDA" + "X" * 17,
            "arn": f"arn:aws:iam::{account}:user/user{rng.randrange(20)}",
            "accountId": account,
            "accessKeyId": "AKIA" + "Y" * 16,
            "userName": f"user{rng.randrange(20)}",
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{service}.amazonaws.com",
        "eventName": "DescribeSomething",
        "awsRegion": region,
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2",
        "requestParameters": {"maxResults": 50},
        "responseElements": None,
        "requestID": f"{rng.getrandbits(64):016x}",
        "eventID": f"{rng.getrandbits(128):032x}",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }


def write_files(
    root: Path, rng: random.Random, records: int, first_day: int, days: int, ids: list[str]
) -> int:
    files = 0
    for start in range(0, records, PER_FILE):
        account = rng.choice(ids)
        region = rng.choice(REGIONS)
        day = START + timedelta(days=first_day + rng.randrange(days))
        moment = day + timedelta(minutes=5 * rng.randrange(288))
        batch = [
            make_record(rng, account, region, moment + timedelta(seconds=rng.randrange(300)))
            for _ in range(min(PER_FILE, records - start))
        ]
        name = f"{account}_CloudTrail_{region}_{moment:%Y%m%dT%H%MZ}_{start:08d}.json.gz"
        path = root / "AWSLogs" / account / "CloudTrail" / region / f"{moment:%Y/%m/%d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(json.dumps({"Records": batch}).encode(), 6, mtime=0))
        files += 1
    return files


def cli_ingest(store: Path, trail: Path) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "orgaccess",
            "ingest",
            "--store",
            str(store),
            "--events",
            str(trail),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return time.perf_counter() - started, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--daily", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--skip-compare", action="store_true", help="no report from the files")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-store-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    org = example_organization()
    ids = accounts([str(a.id) for a in org.accounts], 50)
    trail = work / "trail"
    started = time.perf_counter()
    files = write_files(trail, rng, args.records, 0, 365, ids)
    trail_bytes = sum(p.stat().st_size for p in trail.rglob("*.gz"))
    print(
        f"generated {args.records:,} records in {files:,} files "
        f"({trail_bytes / 1e6:.1f} MB gzipped) in {time.perf_counter() - started:.1f} s"
    )
    store = work / "activity.db"
    if store.exists():
        store.unlink()
    seconds, out = cli_ingest(store, trail)
    print(f"\n[1] orgaccess ingest, {args.records:,} records: {seconds:.1f} s "
          f"({args.records / seconds:,.0f} records/s)")  # fmt: skip
    print("    " + out.replace("\n", "\n    "))
    with ActivityStore.open(store, readonly=True) as st:
        info = st.info()
        contrib = st._db.execute("SELECT count(*) FROM contrib").fetchone()[0]
    print(f"    store size {info.size_bytes / 1e6:.1f} MB; {info.buckets:,} day buckets, "
          f"{contrib:,} file contributions, {info.files:,} files")  # fmt: skip
    seconds, out = cli_ingest(store, trail)
    print(f"\n[2] rerun, nothing new: {seconds:.2f} s")
    print("    " + out.replace("\n", "\n    "))
    files = write_files(trail, rng, args.daily, 365, 1, ids)
    seconds, out = cli_ingest(store, trail)
    print(f"\n[3] daily run: {args.daily:,} new records in {files:,} new files: {seconds:.1f} s")
    print("    " + out.replace("\n", "\n    "))
    as_of = START + timedelta(days=366)
    started = time.perf_counter()
    with ActivityStore.open(store, readonly=True) as st:
        index = st.index(as_of)
    report = build_report(org, index, f"{org.id}/{org.root.id}", created=as_of)
    seconds = time.perf_counter() - started
    used = sum(1 for d in report.details if d.used)
    print(f"    root report from the store: {seconds:.2f} s ({used} services used)")
    print(f"    store size now {os.path.getsize(store) / 1e6:.1f} MB")
    if not args.skip_compare:
        started = time.perf_counter()
        load = read_activity([trail], index=ActivityIndex(until=as_of))
        ref = build_report(org, load.index, f"{org.id}/{org.root.id}", created=as_of)
        seconds = time.perf_counter() - started
        print(f"\n[4] the same report reading every file: {seconds:.1f} s; "
              f"equal to the store's: {ref == report}")  # fmt: skip


if __name__ == "__main__":
    main()
