"""Peak memory of reading hostile CloudTrail files (issue 11): does it stay bounded?

Generates, in a temporary directory (or ``--dir``), each file deterministically:

* ``huge-string``: one record on one line, ``SIZE`` MB, almost all one string value;
* ``huge-nested``: one record on one line, ``SIZE`` MB of small nested objects
  (the worst case for the scanner, which tracks every string and bracket);
* ``one-line``: ``{"Records": [...]}`` of ``SIZE`` MB on one line (many records);
* ``unknown-sources``: 1,000,000 records (``--records``), each with a distinct
  unknown ``eventSource`` (one record per line).

Each case is read with :func:`orgaccess.formats.cloudtrail.read_cloudtrail` in
a fresh child process, which reports the elapsed time, the maximum resident
set size (``ru_maxrss``, the same figure ``/usr/bin/time -v`` prints) and,
with ``--tracemalloc``, the tracemalloc peak of a second pass (Python
allocations above what was allocated before, slower to run). Run::

    PYTHONPATH=. python benchmarks/bench_hostile_input.py
    PYTHONPATH=. python benchmarks/bench_hostile_input.py --size 10 --records 100000 --tracemalloc
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

MB = 1_000_000
CASES = ("huge-string", "huge-nested", "one-line", "unknown-sources")
KNOWN = ("s3", "ec2", "iam")


def base_record(i: int, source: str = "s3.amazonaws.com") -> dict[str, object]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "accountId": "111122223333"},
        "eventTime": "2026-01-02T03:04:05Z",
        "eventSource": source,
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "eventID": f"{i:032x}",
    }


def generate(case: str, path: Path, size_mb: int, records: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        if case == "huge-string":
            head = json.dumps(base_record(0))[:-1]
            out.write(head + ', "requestParameters": {"blob": "')
            block = "x" * MB
            for _ in range(size_mb):
                out.write(block)
            out.write('"}}')
        elif case == "huge-nested":
            head = json.dumps(base_record(0))[:-1]
            out.write(head + ', "requestParameters": {"items": [')
            item = '{"k": "v", "n": [1, 2, {"s": "a\\"b"}]},'
            block = item * (MB // len(item))
            for _ in range(size_mb):
                out.write(block)
            out.write("{}]}}")
        elif case == "one-line":
            out.write('{"Records": [')
            written = 0
            i = 0
            while written < size_mb * MB:
                text = ("," if i else "") + json.dumps(base_record(i), separators=(",", ":"))
                out.write(text)
                written += len(text)
                i += 1
            out.write("]}")
        else:
            for i in range(records):
                record = base_record(i, source=f"unknown{i}.amazonaws.com")
                out.write(json.dumps(record, separators=(",", ":")) + "\n")


def read(path: Path) -> dict[str, object]:
    from orgaccess.formats.cloudtrail import read_cloudtrail

    ingest = read_cloudtrail(path, known_namespaces=KNOWN)
    events = sum(1 for _ in ingest)
    summary = ingest.summary
    return {
        "records_read": summary.records_read,
        "counted": events,
        "malformed": summary.skipped["MALFORMED"],  # type: ignore[index]
        "unknown_names": len(summary.unknown_sources),
        "problems": [p.message[:80] for p in summary.problems[:2]],
    }


def child(path: Path, use_tracemalloc: bool) -> None:
    start = time.perf_counter()
    result = read(path)
    result["seconds"] = round(time.perf_counter() - start, 2)
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if use_tracemalloc:
        tracemalloc.start()
        read(path)
        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / MB, 1)
        tracemalloc.stop()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100, help="MB per single-line file")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--dir", help="where to write the files (default: a temporary one)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.tracemalloc)
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        baseline = subprocess.run(
            [sys.executable, "-c", "import resource, orgaccess.formats.cloudtrail as c; "
             "c.read_cloudtrail; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
            capture_output=True, text=True, check=True, env=os.environ,
        )  # fmt: skip
        print(f"baseline (import only): max RSS {int(baseline.stdout) / 1024:.1f} MB")
        for case in args.cases:
            path = Path(tmp) / f"{case}.json"
            generate(case, path, args.size, args.records)
            size = path.stat().st_size / MB
            command = [sys.executable, __file__, "--child", str(path)]
            if args.tracemalloc:
                command.append("--tracemalloc")
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            print(f"{case}: {size:.0f} MB file: {out.strip()}")
            path.unlink()


if __name__ == "__main__":
    main()
