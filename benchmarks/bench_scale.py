"""Scale benchmark (issue 15): ingest and reports against the bare minimum, in one run.

Run::

    PYTHONPATH=$PWD python benchmarks/bench_scale.py                 # both sizes
    PYTHONPATH=$PWD python benchmarks/bench_scale.py --size small    # 2,000 accounts / 100,000
    PYTHONPATH=$PWD python benchmarks/bench_scale.py --size large    # 10,000 / 1,000,000

For each size it writes gzipped CloudTrail log files (``{"Records": [...]}``,
10 files at the small size, 100 at the large one, records from
``random.Random(seed)`` so every run reads the same bytes) into a temporary
directory that is removed afterwards, and builds an organization of that many
accounts (a root, 50 OUs, FullAWSAccess everywhere, a Deny SCP on a few OUs).
The records are in time order, as CloudTrail delivers them (one file per
time slice), with AWS-service calls, sign-ins (some failed), denied calls,
unknown sources and, in one file in a hundred, a malformed record.

Stages are timed with ``time.perf_counter`` in rounds: every round runs each
stage and its bare minimum once, seconds apart (:func:`rounds`). The table
gives each stage's best time, and its ratio as the median over rounds of the
ratio within a round (:func:`paired`): this machine is shared and its speed
can change by half from one minute to the next, which would skew a ratio of
two best times taken minutes apart. ``--repeat`` rounds for ingest (default
5 at the small size, 3 at the large one), at least 15 for the client stages.

* **ingest, pure**: ``read_activity(files, fast=False)`` into an index, vs the
  bare minimum ``json.load`` of each gunzipped file plus one loop over its
  records keeping the latest ``eventTime`` per (account, eventSource);
* **ingest, fast** (when msgspec is installed): ``read_activity(files)``;
* **ingest, jobs=2**: the pure and the fast path in two worker processes;
* **client**: ``ReportClient(org, events)`` from a list of the events, one
  root report and every page of it, vs the bare pass: one loop over the events
  keeping per namespace the latest time and the set of accounts;
* of which the construction, and of which the first report;
* the page fetch with a marker (mean of 1,000);
* peak memory (tracemalloc) of the pure ingest, and the client's index size in
  entries at half and at all of the events (it must not grow with them).
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orgaccess.aws.client import ReportClient
from orgaccess.formats.activity import read_activity
from orgaccess.model.events import AccessEvent, ActivityIndex
from orgaccess.model.ids import AccountId
from orgaccess.model.organization import FULL_AWS_ACCESS_ID, Organization, OrganizationBuilder

SIZES = {"small": (2_000, 100_000, 10), "large": (10_000, 1_000_000, 100)}
ORG_ID = "o-benchscale"
ROOT_ID = "r-bsca"
START = datetime(2025, 9, 1, tzinfo=UTC)
SPAN_SECONDS = 390 * 86_400
CREATED = START + timedelta(days=400)
SOURCES = (
    "s3",
    "ec2",
    "iam",
    "sts",
    "kms",
    "lambda",
    "monitoring",
    "logs",
    "dynamodb",
    "sqs",
    "sns",
    "cloudformation",
    "ssm",
    "secretsmanager",
    "ecr",
    "ecs",
    "eks",
    "rds",
    "elasticloadbalancing",
    "autoscaling",
    "config",
    "cloudtrail",
    "events",
    "glue",
    "athena",
    "states",
    "apigateway",
    "route53",
    "acm",
    "ssm-guiconnect",
)
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
KINDS = ("AssumedRole",) * 12 + ("IAMUser", "IAMUser", "Root", "AWSService", "AWSService")


def build_organization(n_accounts: int, seed: int) -> Organization:
    rng = random.Random(seed)
    management = AccountId("100000000000")
    b = OrganizationBuilder(
        organization_id=ORG_ID, root_id=ROOT_ID, management_account_id=management
    )
    b.add_policy(
        "p-denysome0001",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": ["glue:*", "athena:*"], "Resource": "*"}],
        },
    )
    ous = []
    for i in range(50):
        ou = f"ou-bsca-{i:08d}"
        scps = [FULL_AWS_ACCESS_ID, "p-denysome0001"] if i % 10 == 0 else [FULL_AWS_ACCESS_ID]
        b.add_ou(ou, parent=ROOT_ID if i < 10 else rng.choice(ous[:10]), scps=scps)
        ous.append(ou)
    b.add_account(management, parent=ROOT_ID, name="management")
    for i in range(1, n_accounts):
        b.add_account(AccountId(f"{100_000_000_000 + i}"), parent=rng.choice([ROOT_ID, *ous]))
    return b.build()


def _record(rng: random.Random, account: str, source: str, moment: float) -> dict[str, Any]:
    kind = rng.choice(KINDS)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
    identity: dict[str, Any] = {
        "type": kind,
        "principalId": f"AROA{rng.getrandbits(64):016X}:session",
        "arn": f"arn:aws:sts::{account}:assumed-role/role-{rng.randrange(50)}/s",
        "accountId": account,
        "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
        "sessionContext": {
            "attributes": {"creationDate": stamp, "mfaAuthenticated": "false"},
            "sessionIssuer": {"type": "Role", "accountId": account, "userName": "role"},
        },
    }
    if kind == "AWSService":
        identity = {"type": "AWSService", "invokedBy": f"{source}.amazonaws.com"}
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": stamp,
        "eventSource": f"{source}.amazonaws.com",
        "eventName": rng.choice(("Get", "List", "Describe", "Put")) + "Thing",
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
    draw = rng.random()
    if draw < 0.05:
        record["errorCode"] = "AccessDenied"
    elif draw < 0.07:
        record["eventSource"] = "signin.amazonaws.com"
        record["eventName"] = "ConsoleLogin"
        record["responseElements"] = {"ConsoleLogin": "Failure" if draw < 0.06 else "Success"}
    elif draw < 0.075:
        record["eventType"] = "AwsServiceEvent"
    return record


def write_trail(directory: Path, n_accounts: int, n_records: int, n_files: int, seed: int) -> None:
    """``n_records`` records over ``n_files`` gzipped log files, in time order."""
    rng = random.Random(seed)
    accounts = [f"{100_000_000_000 + i}" for i in range(n_accounts)]
    uses = {a: rng.sample(SOURCES, 8) for a in accounts}
    per_file = n_records // n_files
    step = SPAN_SECONDS / n_records
    moment = START.timestamp()
    for f in range(n_files):
        records = []
        for _ in range(per_file):
            moment += rng.random() * 2 * step
            account = rng.choice(accounts)
            records.append(_record(rng, account, rng.choice(uses[account]), moment))
        if f % 100 == 7:
            records[3] = {"eventVersion": "1.09", "eventTime": "yesterday", "userIdentity": {}}
        path = directory / "AWSLogs" / f"{f // 10:02d}" / f"{f:04d}_CloudTrail.json.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
            json.dump({"Records": records}, out, separators=(",", ":"))


def log_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.json.gz"))


def bare_ingest(files: list[Path]) -> int:
    """json.load of each gunzipped file + one loop keeping the latest time per (account, source)."""
    latest: dict[tuple[str, str], str] = {}
    for path in files:
        with gzip.open(path, "rb") as fh:
            document = json.load(fh)
        for record in document["Records"]:
            identity = record.get("userIdentity")
            if not isinstance(identity, dict):
                continue
            key = (identity.get("accountId"), record.get("eventSource"))
            stamp = record.get("eventTime")
            if stamp > latest.get(key, ""):  # type: ignore[arg-type]
                latest[key] = stamp  # type: ignore[index]
                _ = record.get("awsRegion")
    return len(latest)


def bare_pass(events: list[AccessEvent]) -> int:
    """One pass keeping per namespace the latest time and the set of accounts."""
    latest: dict[str, datetime] = {}
    accounts: dict[str, set[AccountId]] = {}
    for event in events:
        namespace = event.service_namespace
        moment = event.time
        known = latest.get(namespace)
        if known is None or moment > known:
            latest[namespace] = moment
        group = accounts.get(namespace)
        if group is None:
            group = accounts[namespace] = set()
        group.add(event.account_id)
    return len(latest)


def rounds(stages: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Each stage's times over ``repeat`` rounds; every round runs every stage once, in order.

    A stage and its floor run seconds apart in the same round, so a ratio taken
    within a round compares them under the same machine load (a shared machine
    can change speed by half between minutes).
    """
    times: dict[str, list[float]] = {name: [] for name in stages}
    for _ in range(repeat):
        for name, fn in stages.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def paired(times: dict[str, list[float]], stage: str, floor: str) -> float:
    """The median over rounds of ``stage``'s time over ``floor``'s in the same round."""
    return statistics.median(a / b for a, b in zip(times[stage], times[floor], strict=True))


def peak_mib(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / (1 << 20)


def client_run(org: Organization, events: list[AccessEvent]) -> ReportClient:
    client = ReportClient(
        org, events, clock=lambda: CREATED, id_factory=_ids(), marker_secret=b"k" * 32
    )
    job = client.generate_organizations_access_report(EntityPath=f"{ORG_ID}/{ROOT_ID}")["JobId"]
    marker = None
    while True:
        kwargs: dict[str, Any] = {"JobId": job, "MaxItems": 100}
        if marker:
            kwargs["Marker"] = marker
        page = client.get_organizations_access_report(**kwargs)
        marker = page.get("Marker")
        if not marker:
            return client


def _ids() -> Callable[[], str]:
    counter = iter(range(10**9))
    return lambda: f"{next(counter):036d}"


def have_msgspec() -> bool:
    try:
        import msgspec  # noqa: F401
    except ImportError:
        return False
    return True


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms" if seconds < 0.01 else f"{seconds:.3f} s"


def run(size: str, repeat: int, seed: int, out: list[str]) -> None:
    n_accounts, n_records, n_files = SIZES[size]
    tmp = Path(tempfile.mkdtemp(prefix="orgaccess-bench-"))
    try:
        write_trail(tmp, n_accounts, n_records, n_files, seed)
        files = log_files(tmp)
        org = build_organization(n_accounts, seed)
        rows: list[tuple[str, float, float | None, str, float | None]] = []

        def row(
            name: str, times: dict[str, list[float]], stage: str, floor: str, what: str
        ) -> None:
            rows.append(
                (name, min(times[stage]), min(times[floor]), what, paired(times, stage, floor))
            )

        # Ingest: every stage once per round, in the same round as its floor.
        ingest: dict[str, Callable[[], Any]] = {
            "bare": lambda: bare_ingest(files),
            "pure": lambda: read_activity([tmp], fast=False),
        }
        if have_msgspec():
            ingest["fast"] = lambda: read_activity([tmp], fast=True)
        ingest["pure2"] = lambda: read_activity([tmp], fast=False, jobs=2)
        if have_msgspec():
            ingest["fast2"] = lambda: read_activity([tmp], jobs=2)
        load = read_activity([tmp], fast=False)
        for name, fn in ingest.items():  # the same index and summary on every path
            if name != "bare":
                other = fn()
                assert other.cloudtrail == load.cloudtrail, name
                assert other.index == load.index, name
        t = rounds(ingest, repeat)
        row("ingest, pure: `read_activity(fast=False)`", t, "pure", "bare", "json.load + loop")
        if "fast" in t:
            row(
                "ingest, fast: `read_activity()` with msgspec",
                t,
                "fast",
                "bare",
                "json.load + loop",
            )
        row("ingest, pure, `jobs=2`", t, "pure2", "pure", "pure, jobs=1")
        if "fast2" in t:
            row("ingest, fast, `jobs=2`", t, "fast2", "fast", "fast, jobs=1")

        events = list(_events(files))
        root = f"{ORG_ID}/{ROOT_ID}"
        built = ReportClient(org, events, clock=lambda: CREATED, id_factory=_ids())

        def first_report() -> None:
            # a new client over the folded index: the report builds what it reads from scratch
            index = built.activity
            index._changed()
            ReportClient(org, index, clock=lambda: CREATED).generate_organizations_access_report(
                EntityPath=root
            )

        client_stages: dict[str, Callable[[], Any]] = {
            "bare": lambda: bare_pass(events),
            "whole": lambda: client_run(org, events),
            "build": lambda: ReportClient(org, events, clock=lambda: CREATED, id_factory=_ids()),
            "first": first_report,
        }
        t = rounds(client_stages, max(repeat, 15))
        row(
            "`ReportClient(org, events)` + root report + all pages", t, "whole", "bare", "bare pass"
        )
        row("of which: construction (folding the events)", t, "build", "bare", "bare pass")
        row(
            "of which: first root report (new client over the index)",
            t,
            "first",
            "bare",
            "bare pass",
        )
        client = client_run(org, events)
        job = next(iter(client._store.jobs))
        page = client.get_organizations_access_report(JobId=job, MaxItems=20)
        marker = page["Marker"]
        start = time.perf_counter()
        for _ in range(1000):
            client.get_organizations_access_report(JobId=job, MaxItems=20, Marker=marker)
        per_page = (time.perf_counter() - start) / 1000
        rows.append(
            ("next page with a marker (mean of 1,000)", per_page, None, "target < 1 ms", None)
        )

        half = ReportClient(org, events[: len(events) // 2], clock=lambda: CREATED)
        full = ReportClient(org, events, clock=lambda: CREATED)
        history = ActivityIndex(events, keep_history=True)
        counted = len(events)
        events = []  # let the events go before the memory measurements
        ingest_peak = peak_mib(lambda: read_activity([tmp], fast=False))
        fast_peak = peak_mib(lambda: read_activity([tmp], fast=True)) if have_msgspec() else None
        size_mib = sum(p.stat().st_size for p in files) / (1 << 20)
        raw_bytes = sum(len(gzip.decompress(p.read_bytes())) for p in files[:1]) * len(files)
        out.append(
            f"\n### {n_accounts:,} accounts, {n_records:,} records in {n_files} gzipped files "
            f"({size_mib:.1f} MiB gzipped, about {raw_bytes / n_records:.0f} bytes per record), "
            f"{counted:,} counted, {len(full.activity):,} (account, service) pairs\n"
        )
        out.append("| stage | orgaccess | ratio | against |")
        out.append("|---|---|---|---|")
        for name, seconds, against, what, ratio in rows:
            shown = f"{ratio:.2f}x" if ratio is not None else ""
            base = f"{what} {_fmt(against)}" if against else what
            out.append(f"| {name} | {_fmt(seconds)} | {shown} | {base} |")
        out.append(f"| peak memory, pure ingest (tracemalloc) | {ingest_peak:.1f} MiB | | |")
        if fast_peak is not None:
            out.append(f"| peak memory, fast ingest (tracemalloc) | {fast_peak:.1f} MiB | | |")
        out.append(
            f"| client index, stored attempts: half / all events | "
            f"{half.activity.stored_attempts:,} / {full.activity.stored_attempts:,} | | "
            f"`keep_history=True`: {history.stored_attempts:,} |"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _events(files: list[Path]) -> Any:
    from orgaccess.formats.cloudtrail import read_cloudtrail

    return read_cloudtrail(*files)


def machine() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"msgspec {'yes' if have_msgspec() else 'no'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=[*SIZES, "both"], default="both")
    parser.add_argument("--repeat", type=int, help="rounds (default: 5 small, 3 large)")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    out = [f"machine: {machine()}"]
    for size in ("small", "large") if args.size == "both" else (args.size,):
        repeat = args.repeat or (5 if size == "small" else 3)
        run(size, repeat, args.seed, out)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
