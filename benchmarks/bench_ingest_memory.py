"""Does CloudTrail ingestion stay flat in memory as one file grows?

Writes one CloudTrail log file per size (``{"Records": [...]}``, records from
``random.Random(seed)``, so every run reads the same bytes) into a temporary
directory, streams it through :func:`orgaccess.formats.cloudtrail.read_cloudtrail`
into an :class:`orgaccess.model.events.ActivityIndex`, and prints per size:

* records per second, from a pass without tracemalloc (tracemalloc slows
  allocation several times over);
* the tracemalloc peak of a second pass: Python memory allocated while
  reading, above what was allocated before it started;
* for comparison (``--compare-json-load``), the peak of ``json.load`` of the
  same file, which holds the whole file.

Run::

    .venv/bin/python benchmarks/bench_ingest_memory.py
    .venv/bin/python benchmarks/bench_ingest_memory.py --sizes 10000 100000 --gzip
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from orgaccess.formats.cloudtrail import read_cloudtrail
from orgaccess.model.events import ActivityIndex

IDENTITY_TYPES = ["IAMUser", "AssumedRole", "AssumedRole", "AssumedRole", "Root", "AWSService"]
SOURCES = [
    "s3.amazonaws.com",
    "ec2.amazonaws.com",
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "kms.amazonaws.com",
    "lambda.amazonaws.com",
    "monitoring.amazonaws.com",
    "logs.amazonaws.com",
    "dynamodb.amazonaws.com",
    "sqs.amazonaws.com",
    "sns.amazonaws.com",
    "cloudformation.amazonaws.com",
    "ssm.amazonaws.com",
    "secretsmanager.amazonaws.com",
    "signin.amazonaws.com",
]
MIB = 1024 * 1024
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def write_log(path: Path, count: int, seed: int, *, compress: bool) -> None:
    """Write ``count`` records to one file, one record at a time (generation stays flat too)."""
    rng = random.Random(seed)
    accounts = [f"{rng.randrange(10**12):012d}" for _ in range(200)]
    base = 1_767_225_600  # 2026-01-01T00:00:00Z
    opener: Callable[..., IO[str]] = gzip.open if compress else open
    with opener(path, "wt", encoding="utf-8") as out:
        out.write('{"Records": [')
        for i in range(count):
            account = rng.choice(accounts)
            kind = rng.choice(IDENTITY_TYPES)
            moment = time.gmtime(base + rng.randrange(400 * 86_400))
            record: dict[str, Any] = {
                "eventVersion": "1.09",
                "userIdentity": {
                    "type": kind,
                    "principalId": f"AROA{rng.getrandbits(64):016X}:session",
                    "arn": f"arn:aws:sts::{account}:assumed-role/role-{rng.randrange(50)}/s",
                    "accountId": account,
                    "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
                },
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", moment),
                "eventSource": rng.choice(SOURCES),
                "eventName": rng.choice(["Get", "List", "Describe", "Put"]) + "Thing",
                "awsRegion": rng.choice(REGIONS),
                "sourceIPAddress": f"198.51.100.{rng.randrange(256)}",
                "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
                "requestParameters": {"name": f"res-{rng.randrange(10**6)}", "maxResults": 50},
                "responseElements": None,
                "requestID": f"{rng.getrandbits(128):032x}",
                "eventID": f"{rng.getrandbits(128):032x}",
                "readOnly": True,
                "eventType": "AwsApiCall",
                "managementEvent": True,
                "recipientAccountId": account,
                "eventCategory": "Management",
            }
            if rng.random() < 0.05:
                record["errorCode"] = "AccessDenied"
            out.write(("," if i else "") + json.dumps(record, separators=(",", ":")))
        out.write("]}")


def ingest(path: Path) -> tuple[ActivityIndex, int]:
    reader = read_cloudtrail(path)
    index = ActivityIndex(reader)
    return index, reader.summary.records_read


def measure(path: Path, compare_json_load: bool) -> dict[str, float]:
    gc.collect()
    start = time.perf_counter()
    index, records = ingest(path)
    elapsed = time.perf_counter() - start
    del index
    gc.collect()
    tracemalloc.start()
    ingest(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = {"records": records, "seconds": elapsed, "peak": peak}
    if compare_json_load:
        gc.collect()
        tracemalloc.start()
        opener: Callable[..., IO[bytes]] = gzip.open if path.suffix == ".gz" else open  # type: ignore[assignment]
        with opener(path, "rb") as fh:
            document = json.load(fh)
        _, json_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del document
        result["json_peak"] = json_peak
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 400_000])
    parser.add_argument("--seed", type=int, default=20260102)
    parser.add_argument("--gzip", action="store_true", help="write .json.gz files")
    parser.add_argument(
        "--compare-json-load",
        type=int,
        default=100_000,
        metavar="N",
        help="also measure json.load of files up to N records (0: never); default 100000",
    )
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, seed {args.seed}, {'gzip' if args.gzip else 'plain'}")
    print(
        f"{'records':>9} {'file MiB':>9} {'records/s':>10} {'peak MiB':>9} "
        f"{'json.load peak MiB':>19}"
    )
    with tempfile.TemporaryDirectory(prefix="orgaccess-bench-") as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"log-{size}.json{'.gz' if args.gzip else ''}"
            write_log(path, size, args.seed, compress=args.gzip)
            figures = measure(path, 0 < size <= args.compare_json_load)
            assert figures["records"] == size
            json_peak = (
                f"{figures['json_peak'] / MIB:19.1f}" if "json_peak" in figures else f"{'-':>19}"
            )
            print(
                f"{size:>9} {os.path.getsize(path) / MIB:9.1f} "
                f"{size / figures['seconds']:10.0f} {figures['peak'] / MIB:9.2f} {json_peak}",
                flush=True,
            )
            path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
