"""``orgaccess serve``: a local IAM endpoint for the two report operations.

The command line glue only: the server is :mod:`orgaccess.aws.server`.
It prints ``serving http://HOST:PORT/`` on stdout once it listens, answers
until SIGINT or SIGTERM, then closes its socket and exits 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from datetime import timedelta
from typing import TextIO

from ...aws.client import ReportClient
from ...errors import ConfigurationError
from ...formats.activity import read_activity
from ...formats.snapshot import load_organization
from ...model.catalog import default_catalog
from ...model.events import ActivityIndex
from .._args import add_jobs, add_namespace_map, namespace_map_from, parse_time
from .._inputs import write_activity_summary
from .._store import add_store, check_sources, load_store
from ._help import subparser

__all__ = ["add_parser", "run"]


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds in 0..86400")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``serve`` on the ``orgaccess`` command's subparsers."""
    p = subparser(
        sub,
        "serve",
        help="a local IAM endpoint (Query protocol) for boto3 and the CLI",
        description="Answer GenerateOrganizationsAccessReport and GetOrganizationsAccessReport "
        "over HTTP as IAM does (form-encoded POST, XML), so boto3, the AWS CLI and other SDKs "
        "work unchanged with --endpoint-url. Loopback only unless every principal has a "
        "verified secret or --allow-unverified-remote is given. Stops cleanly on SIGINT/SIGTERM.",
        examples="orgaccess serve --org org.json --events trail/ --port 8765\n"
        "aws iam generate-organizations-access-report --endpoint-url http://127.0.0.1:8765 \\\n"
        "    --entity-path o-a1b2c3d4e5/r-f6g7",
    )
    p.add_argument("--org", required=True, metavar="ORG.json", help="organization snapshot")
    p.add_argument(
        "--events", nargs="*", default=[], metavar="PATH", help="CloudTrail / aggregated rows"
    )
    add_namespace_map(p)
    add_store(p)
    add_jobs(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=0, help="port (default 0: any free port)")
    p.add_argument(
        "--clock", type=parse_time, metavar="TIME", help="a fixed time for every request (demos)"
    )
    p.add_argument(
        "--job-duration",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="seconds a job stays IN_PROGRESS (default 0)",
    )
    p.add_argument(
        "--principals",
        metavar="FILE",
        help="JSON list of {access_key_id, arn, secret_access_key?, organizations_read?}",
    )
    p.add_argument(
        "--allow-unverified-remote",
        action="store_true",
        help="allow binding beyond loopback without every principal's secret",
    )
    return p


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Serve until SIGINT / SIGTERM; returns the exit code."""
    from ...aws.server import is_loopback, load_principals, make_server

    catalog = default_catalog()
    namespace_map = namespace_map_from(args, catalog.namespaces)
    principals = load_principals(args.principals) if args.principals else None
    org = load_organization(args.org)
    for path in args.events:
        if not os.path.exists(path):
            raise ConfigurationError(f"--events {path}: no such file or directory")
    if args.store is not None:
        check_sources(args)
        index = load_store(args.store, as_of=args.clock, window_start=None, stderr=stderr).index
    else:
        index = ActivityIndex(until=args.clock, keep_history=args.clock is None)
    load = read_activity(
        args.events,
        known_namespaces=catalog.namespaces,
        index=index,
        namespace_map=namespace_map,
        jobs=args.jobs,
    )
    if args.events:
        write_activity_summary(stderr, load.cloudtrail, load.rows, after=load.after_until)
    fixed = args.clock
    client = ReportClient(
        org,
        load.index,
        clock=(lambda: fixed) if fixed is not None else None,
        catalog=catalog,
        job_duration=timedelta(seconds=args.job_duration),
        organizations_read_denied=[p.arn for p in principals or () if not p.organizations_read],
    )
    server = make_server(
        client,
        args.host,
        args.port,
        principals=principals,
        allow_unverified_remote=args.allow_unverified_remote,
        log=lambda line: stderr.write(line + "\n"),
    )
    verified = principals is not None and all(p.secret_access_key for p in principals)
    if not is_loopback(args.host) and not verified:
        stderr.write(
            f"orgaccess: WARNING: serving on {args.host} without verified principals: "
            "anyone who can reach this port is the management account\n"
        )

    def stop(signum: int, _frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        host = f"[{args.host}]" if ":" in args.host else args.host
        stdout.write(f"serving http://{host}:{server.server_port}/\n")
        stdout.flush()
        server.serve_forever()
    finally:
        server.server_close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    stderr.write("orgaccess: stopped\n")
    return 0
