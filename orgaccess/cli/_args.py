"""Options shared by several commands, their value checks, and the two CLI errors.

Every value that can be checked without reading the logs is checked here or
in :mod:`orgaccess.cli._inputs` before any log is opened.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Final, TextIO

from .._time import parse_instant
from ..engine.report import DEFAULT_TRACKING_DAYS, PolicyScope
from ..engine.sorting import SortKey
from ..errors import InvalidTimeError

__all__ = [
    "EARLIEST_TIME",
    "LATEST_TIME",
    "MAX_DAYS",
    "OUTPUTS",
    "CliError",
    "UsageError",
    "add_activity",
    "add_jobs",
    "add_entity",
    "add_namespace_map",
    "add_evaluation",
    "add_org",
    "add_output",
    "add_output_format",
    "add_policy",
    "add_sort_key",
    "day_count",
    "job_count",
    "namespace_map_entry",
    "namespace_map_from",
    "parse_time",
    "partition_name",
    "write_output",
]

#: The largest accepted --tracking-days / --days (100 years).
MAX_DAYS = 36500
#: The range of accepted times (--as-of, --events-from).
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9999, 1, 1, tzinfo=UTC)

OUTPUTS = ("table", "json", "csv", "html")


class CliError(Exception):
    """Bad input found by the command line: one ``orgaccess:`` line, exit code 1."""


class UsageError(Exception):
    """A usage error found after parsing (values that only clash together): exit code 2."""


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (``Z`` or an offset; none means UTC) within the accepted range."""
    try:
        parsed = parse_instant(text, naive="utc")
    except InvalidTimeError as exc:
        if "outside the years" not in str(exc):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not an ISO 8601 time (e.g. 2026-11-01T00:00:00Z)"
            ) from None
        parsed = None
    if parsed is None or not EARLIEST_TIME <= parsed < LATEST_TIME:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: give a time from 1970-01-01T00:00:00Z to "
            "9998-12-31T23:59:59Z"
        )
    return parsed


def job_count(text: str) -> int:
    """A number of worker processes, 1 to 256."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range: give 1 to 256 processes")
    return value


def add_jobs(p: argparse.ArgumentParser) -> None:
    """``--jobs N``: read the CloudTrail files in N worker processes."""
    p.add_argument(
        "--jobs",
        type=job_count,
        default=1,
        metavar="N",
        help="read the CloudTrail files in N worker processes (default: 1); the result is the same",
    )


def day_count(text: str) -> int:
    """A whole number of days from 0 to :data:`MAX_DAYS`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: give a number of days from 0 to {MAX_DAYS}"
        )
    return value


def partition_name(text: str) -> str:
    """An ARN partition name (``aws``, ``aws-cn``, ``aws-us-gov``): free text without ':' or '/'."""
    if not text or set(text) & {":", "/"}:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a partition name (e.g. aws, aws-cn, aws-us-gov)"
        )
    return text


def add_org(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--org",
        required=True,
        metavar="ORG.json",
        help="the organization snapshot (from 'orgaccess snapshot')",
    )


def add_entity(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--entity-path",
        "--entity",
        dest="entity",
        required=True,
        metavar="ENTITY",
        help="the root, OU or account: a full entity path (o-.../r-...[/ou-...][/account]) "
        "or a bare root id, OU id or account id",
    )


def add_policy(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--policy-id", metavar="ID", help="report on one SCP (p-...) instead of all in force"
    )


def add_evaluation(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--resources",
        choices=["precise", "simple"],
        default="precise",
        help="resource-level SCP evaluation (default: precise)",
    )
    p.add_argument(
        "--partition",
        type=partition_name,
        default="aws",
        metavar="NAME",
        help="ARN partition of the organization (aws, aws-cn, aws-us-gov; default: aws)",
    )


def add_activity(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--events",
        nargs="+",
        default=[],
        metavar="PATH",
        help="CloudTrail files/directories (delivered logs, lookup-events output, one record "
        "per line; plain or gzipped) and aggregated-row files (.csv, .jsonl)",
    )
    p.add_argument(
        "--store",
        metavar="ACTIVITY.db",
        help="an activity store made by 'orgaccess ingest', in place of or with --events",
    )
    add_jobs(p)
    p.add_argument(
        "--as-of",
        type=parse_time,
        metavar="TIME",
        help="report creation time, ISO 8601 (default: now); attempts after it are left out",
    )
    p.add_argument(
        "--tracking-days",
        type=day_count,
        default=DEFAULT_TRACKING_DAYS,
        metavar="N",
        help=f"tracking period in days, up to --as-of (default: {DEFAULT_TRACKING_DAYS})",
    )
    p.add_argument(
        "--policy-scope",
        choices=[s.value for s in PolicyScope],
        default=PolicyScope.LITERAL.value,
        help="with --policy-id: count only attachments inside the entity (literal, "
        "default) or also above it (inherited)",
    )
    p.add_argument(
        "--events-from",
        type=parse_time,
        metavar="TIME",
        help="the activity given is complete from TIME on (e.g. when the trail started); "
        "default: the earliest counted attempt",
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="answer even when no record was counted or none is in the tracking window "
        "(otherwise exit code 3)",
    )
    add_namespace_map(p)


#: An eventSource, its stem or its first label: letters, digits and ``.-_``, no blank.
_SOURCE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
#: An IAM service namespace (prefix): lower-case letters, digits and ``-``.
_NAMESPACE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")


def _check_pair(source: object, namespace: object, where: str) -> tuple[str, str | None]:
    if not isinstance(source, str) or not _SOURCE.fullmatch(source):
        raise ValueError(
            f"{where}: {source!r:.80} is not an eventSource (e.g. myapp.amazonaws.com), "
            "its stem (runtime.lex) or its first label"
        )
    if namespace is not None and (
        not isinstance(namespace, str) or not _NAMESPACE.fullmatch(namespace)
    ):
        raise ValueError(
            f"{where}: {namespace!r:.80} is not an IAM service namespace (e.g. s3, mobiletargeting)"
        )
    return source, namespace


def namespace_map_entry(text: str) -> tuple[str, str]:
    """One ``--namespace-map SOURCE=NAMESPACE`` value, checked for form."""
    source, sep, namespace = text.partition("=")
    if not sep or not namespace:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not SOURCE=NAMESPACE (e.g. myapp.amazonaws.com=execute-api)"
        )
    try:
        checked, _ = _check_pair(source.strip(), namespace.strip(), repr(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return checked, namespace.strip()


def add_namespace_map(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--namespace-map",
        action="append",
        type=namespace_map_entry,
        default=[],
        metavar="SOURCE=NAMESPACE",
        help="count the records of eventSource SOURCE (a whole eventSource, its stem before "
        ".amazonaws.com, or its first label) for IAM namespace NAMESPACE; repeatable, wins "
        "over --namespace-map-file and the shipped table",
    )
    p.add_argument(
        "--namespace-map-file",
        metavar="FILE",
        help='a JSON object {"SOURCE": "NAMESPACE", ...}; null as a value skips that source '
        "as an unknown service",
    )


def namespace_map_from(
    args: argparse.Namespace, namespaces: Collection[str]
) -> Mapping[str, str | None] | None:
    """The eventSource overrides of ``--namespace-map-file`` and ``--namespace-map``, checked.

    Read before any log: a file that cannot be read is a :class:`CliError`; a file
    that is not a JSON object of SOURCE -> namespace (or null), or a namespace that
    ``namespaces`` (the catalog) does not have, is a :class:`UsageError`.
    """
    merged: dict[str, str | None] = {}
    path = getattr(args, "namespace_map_file", None)
    if path is not None:
        try:
            with open(path, encoding="utf-8-sig") as fh:
                text = fh.read()
        except OSError as exc:
            raise CliError(f"--namespace-map-file {path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"--namespace-map-file {path}: not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise UsageError(
                f"--namespace-map-file {path}: expected a JSON object "
                '{"SOURCE": "NAMESPACE", ...}, got ' + type(data).__name__
            )
        problems = []
        for source, namespace in data.items():
            try:
                key, value = _check_pair(source, namespace, f"--namespace-map-file {path}")
            except ValueError as exc:
                problems.append(str(exc))
                continue
            merged[key.lower()] = value
        if problems:
            raise UsageError("; ".join(problems))
    for source, namespace in getattr(args, "namespace_map", None) or ():
        merged[source.lower()] = namespace
    unknown = sorted({ns for ns in merged.values() if ns is not None and ns not in namespaces})
    if unknown:
        raise UsageError(
            f"--namespace-map: {', '.join(unknown)} is not a service namespace of the catalog "
            "(records mapped to it could never count)"
        )
    return merged or None


def add_sort_key(p: argparse.ArgumentParser, default: SortKey) -> None:
    p.add_argument(
        "--sort-key",
        choices=[k.value for k in SortKey],
        default=default.value,
        help=f"row order (default: {default.value})",
    )


def add_output_format(p: argparse.ArgumentParser, choices: tuple[str, ...] = OUTPUTS) -> None:
    """``--output`` (alias ``--format``): the one spelling every command uses."""
    p.add_argument(
        "--output",
        "--format",
        dest="output",
        choices=choices,
        default="table",
        help=f"output format: {', '.join(choices)} (default: table); --format is an alias",
    )


def add_output(p: argparse.ArgumentParser, choices: tuple[str, ...] = OUTPUTS) -> None:
    """``--output`` and ``-o FILE``."""
    add_output_format(p, choices)
    p.add_argument(
        "-o",
        "--output-file",
        metavar="FILE",
        help="write the output to FILE (atomically) instead of standard output",
    )


def write_output(
    path: str | None, stdout: TextIO, produce: Callable[[TextIO], None], *, label: str
) -> None:
    """Write what ``produce`` prints to ``stdout``, or atomically to ``path``.

    The file appears complete or not at all: the text goes to a temporary
    file in the same directory, renamed over ``path`` at the end.
    """
    if path is None:
        produce(stdout)
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CliError(f"{label} {path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".orgaccess-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            produce(fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
