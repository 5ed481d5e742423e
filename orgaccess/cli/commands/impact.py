"""``orgaccess impact``: what a proposed SCP change would cut off, before you apply it.

Edits are given in the order they are to run (AWS runs one call after
another): ``--attach POLICY --to TARGET``, ``--detach POLICY_ID --from
TARGET``, ``--replace POLICY_ID=POLICY.json``, ``--move ACCOUNT --to-parent
PARENT``; each may repeat. ``--attach`` takes a policy file (a new SCP) or the
id of an existing one.

Exit codes (for a pipeline that gates a merge on them; the meanings are
those of the command line's shared table, so 3 means "no activity" for every
command):

====  =========================================================================
0     no service used in the window is cut off
1     bad input: an unreadable file, an invalid snapshot or policy, or edits
      AWS would refuse (every refusal is listed on standard error)
2     usage error
3     no activity to judge by: no record was counted, or none of the accounts
      SCPs limit attempted anything in the window (the change may still cut off
      something in use; orgaccess will not say "no impact" without data)
6     some account loses a service it used in the window
====  =========================================================================

The module stands on its own (it imports nothing from
:mod:`orgaccess.cli.main`, which registers it): :func:`add_parser` adds the
subcommand and :func:`run` does the work and returns the exit code.
"""

from __future__ import annotations

import argparse
import errno
import html
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from ..._time import format_instant
from ...engine.change_impact import DEFAULT_WINDOW_DAYS, AccessChange, Impact, impact
from ...engine.evaluation import StatementRef
from ...errors import ChangeSetError
from ...formats._files import FileReadError, read_regular_file
from ...formats.activity import read_activity
from ...model.catalog import ServiceCatalog, default_catalog
from ...model.changes import (
    AttachPolicy,
    Change,
    DetachPolicy,
    MoveAccount,
    ProposedPolicy,
    ReplacePolicy,
    apply_changes,
)
from ...model.events import ActivityIndex
from ...model.ids import PolicyId
from .._args import (
    CliError,
    UsageError,
    add_evaluation,
    add_jobs,
    add_namespace_map,
    add_org,
    add_output_format,
    day_count,
    namespace_map_from,
    parse_time,
)
from .._inputs import load_org, write_activity_summary
from .._store import add_store, check_sources, load_store
from ..exitcodes import (
    EXIT_BAD_INPUT,
    EXIT_NO_ACTIVITY,
    EXIT_OK,
    EXIT_USED_ACCESS_CUT_OFF,
)
from ._help import subparser

__all__ = [
    "add_parser",
    "changes_from",
    "impact_json",
    "run",
]


def _iso(value: datetime) -> str:
    return format_instant(value)


def _load_activity(
    paths: Sequence[str],
    until: datetime,
    catalog: ServiceCatalog,
    stderr: TextIO,
    namespace_map: Mapping[str, str | None] | None = None,
    store: str | None = None,
    window_days: int = 0,
    jobs: int = 1,
) -> ActivityIndex:
    for path in paths:
        if not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, "no such file or directory", path)
    index = ActivityIndex(until=until)
    if store is not None:
        start = until - timedelta(days=window_days)
        index = load_store(store, as_of=until, window_start=start, stderr=stderr).index
        if not paths:
            return index
    load = read_activity(
        paths,
        known_namespaces=catalog.namespaces,
        index=index,
        namespace_map=namespace_map,
        jobs=jobs,
    )
    write_activity_summary(stderr, load.cloudtrail, load.rows, after=load.after_until)
    return load.index


# Which option opens an edit, and the option that must follow it.
_PAIRS = {"--attach": "--to", "--detach": "--from", "--move": "--to-parent"}
_SECOND = {v: k for k, v in _PAIRS.items()}


class _Step(argparse.Action):
    """Record each edit option in command-line order (the order the calls would run)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        steps: list[tuple[str, str]] = list(getattr(namespace, "steps", None) or [])
        steps.append((str(option_string), str(values)))
        namespace.steps = steps


#: The largest policy file read (an SCP has at most 5,120 characters).
MAX_POLICY_FILE_BYTES = 1 << 20


def _read_policy(path: str, option: str) -> str:
    """A policy file's text: a regular file (not a FIFO or device), bounded in size, UTF-8."""
    try:
        data = read_regular_file(path, MAX_POLICY_FILE_BYTES)
    except FileReadError as exc:
        raise CliError(f"{option} {path}: {exc}") from None
    try:
        return data.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise CliError(
            f"{option} {path}: not UTF-8 text ({exc.reason}) at byte {exc.start}"
        ) from None


def _attach_policy(value: str) -> PolicyId | ProposedPolicy:
    if not os.path.exists(value):
        try:
            return PolicyId(value)
        except ValueError:
            raise CliError(f"--attach {value}: no such file, and not a policy id (p-...)") from None
    name = os.path.basename(value)
    for suffix in (".json", ".JSON"):
        name = name.removesuffix(suffix)
    return ProposedPolicy(document=_read_policy(value, "--attach"), name=name)


def changes_from(steps: Sequence[tuple[str, str]]) -> list[Change]:
    """The edits of ``(option, value)`` pairs in command-line order; usage problems raise."""
    changes: list[Change] = []
    i = 0
    while i < len(steps):
        option, value = steps[i]
        if option in _SECOND:
            raise UsageError(f"{option} {value} must follow {_SECOND[option]}")
        try:
            if option == "--replace":
                policy_id, sep, path = value.partition("=")
                if not sep or not path:
                    raise UsageError(f"--replace {value}: expected POLICY_ID=POLICY.json")
                changes.append(
                    ReplacePolicy(policy_id=policy_id, document=_read_policy(path, "--replace"))
                )
                i += 1
                continue
            second = _PAIRS[option]
            if i + 1 >= len(steps) or steps[i + 1][0] != second:
                raise UsageError(f"{option} {value} must be followed by {second}")
            target = steps[i + 1][1]
            if option == "--attach":
                changes.append(AttachPolicy(policy=_attach_policy(value), target=target))
            elif option == "--detach":
                changes.append(DetachPolicy(policy_id=value, target=target))
            else:
                changes.append(MoveAccount(account_id=value, parent_id=target))
            i += 2
        except ValueError as exc:  # a malformed id: the value is not of the form asked
            raise UsageError(f"{option}: {exc}") from None
    return changes


# -- output ------------------------------------------------------------------------
def _decided_by(change: AccessChange) -> str:
    if change.deciding:
        ref: StatementRef = change.deciding[0]
        sid = f" ({ref.sid})" if ref.sid else ""
        more = f" (+{len(change.deciding) - 1} more)" if len(change.deciding) > 1 else ""
        return (
            f"{ref.policy_id} ({ref.policy_name}) at {ref.level} "
            f"Statement[{ref.statement_index}]{sid}{more}"
        )
    return change.reason


def _columns(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def _abbreviated(items: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", ... (+{len(items) - limit} more)" if len(items) > limit else "")


def _per_account(changes: Sequence[AccessChange]) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for c in changes:
        grouped.setdefault(str(c.account_id), []).append(c.namespace)
    return list(grouped.items())


def _table(result: Impact, names: dict[str, str]) -> str:
    lines = [
        f"Impact of {len(result.changes)} change{'s' if len(result.changes) != 1 else ''} "
        f"on organization {result.organization.id}, as of {_iso(result.as_of)}",
        f"window: {result.window_days} days (attempts since {_iso(result.window_start)}); "
        f"{result.activity_in_window} (account, service) pairs used in it by "
        f"{result.accounts_with_activity} accounts",
    ]
    lines.extend(f"  {i + 1}. {c}" for i, c in enumerate(result.changes))
    used = result.used_cut_off
    lines.append("")
    lines.append(f"Used in the window and cut off: {len(used)}")
    if used:
        rows = [("ACCOUNT", "NAME", "SERVICE", "LAST ATTEMPT", "REGION", "DECIDED BY")]
        for c in used:
            assert c.last_attempt is not None
            rows.append(
                (
                    str(c.account_id),
                    names.get(str(c.account_id), ""),
                    c.namespace,
                    _iso(c.last_attempt.time),
                    c.last_attempt.region,
                    _decided_by(c),
                )
            )
        lines.append(_columns(rows))
    unused = [c for c in result.cut_off if not c.used]
    lines.append("")
    lines.append(f"Cut off, not used in the window: {len(unused)}")
    for account, namespaces in _per_account(unused):
        lines.append(f"  {account}: {_abbreviated(namespaces)}")
    added = result.newly_allowed
    lines.append("")
    lines.append(f"Newly allowed: {len(added)}")
    for account, namespaces in _per_account(added):
        lines.append(f"  {account}: {_abbreviated(namespaces)}")
    if result.entities:
        lines.append("")
        lines.append("Per root and OU (accounts below it):")
        rows = [("ENTITY", "ACCOUNTS", "CUT OFF", "USED", "NEWLY ALLOWED", "AT THE ENTITY")]
        for e in result.entities:
            at = []
            if e.services_removed:
                at.append("-" + " -".join(sorted(e.services_removed)))
            if e.services_added:
                at.append("+" + " +".join(sorted(e.services_added)))
            rows.append(
                (
                    str(e.entity_id),
                    str(e.accounts_affected),
                    str(e.cut_off),
                    str(e.used_cut_off),
                    str(e.newly_allowed),
                    _abbreviated(at[0].split(" ") + (at[1].split(" ") if len(at) > 1 else []))
                    if at
                    else "-",
                )
            )
        lines.append(_columns(rows))
    return "\n".join(lines)


def _ref_json(ref: StatementRef) -> dict[str, Any]:
    return {
        "level": None if ref.level is None else str(ref.level),
        "policy_id": ref.policy_id,
        "policy_name": ref.policy_name,
        "statement_index": ref.statement_index,
        "sid": ref.sid,
        "effect": ref.effect.value,
        "text": str(ref),
    }


def _change_json(c: AccessChange) -> dict[str, Any]:
    return {
        "account_id": str(c.account_id),
        "entity_path": str(c.entity_path),
        "service_namespace": c.namespace,
        "service_name": c.service_name,
        "allowed_before": c.allowed_before,
        "allowed_after": c.allowed_after,
        "last_attempt": None
        if c.last_attempt is None
        else {"time": _iso(c.last_attempt.time), "region": c.last_attempt.region},
        "reason": c.reason,
        "deciding": [_ref_json(r) for r in c.deciding],
        "deciding_level": None if c.deciding_level is None else str(c.deciding_level),
    }


def impact_json(result: Impact) -> dict[str, Any]:
    """The result as a JSON-ready dict (what ``--output json`` prints)."""
    return {
        "organization_id": str(result.organization.id),
        "as_of": _iso(result.as_of),
        "window_days": result.window_days,
        "window_start": _iso(result.window_start),
        "changes": [str(c) for c in result.changes],
        "activity_in_window": result.activity_in_window,
        "accounts_with_activity": result.accounts_with_activity,
        "breaks_used_access": result.breaks_used_access,
        "used_cut_off": len(result.used_cut_off),
        "cut_off": len(result.cut_off),
        "newly_allowed": len(result.newly_allowed),
        "access_changes": [_change_json(c) for c in result.access_changes],
        "entities": [
            {
                "entity_id": str(e.entity_id),
                "entity_path": str(e.entity_path),
                "services_removed": sorted(e.services_removed),
                "services_added": sorted(e.services_added),
                "accounts_affected": e.accounts_affected,
                "cut_off": e.cut_off,
                "used_cut_off": e.used_cut_off,
                "newly_allowed": e.newly_allowed,
            }
            for e in result.entities
        ],
    }


def _html(result: Impact, names: dict[str, str]) -> str:
    e = html.escape

    def table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
        out = ["<table>", "<tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"]
        out.extend("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
        out.append("</table>")
        return "\n".join(out)

    used_rows = [
        (
            str(c.account_id),
            names.get(str(c.account_id), ""),
            c.namespace,
            _iso(c.last_attempt.time) if c.last_attempt else "",
            c.last_attempt.region if c.last_attempt else "",
            _decided_by(c),
        )
        for c in result.used_cut_off
    ]
    all_rows = [
        (
            str(c.account_id),
            c.namespace,
            "allowed" if c.allowed_before else "not allowed",
            "allowed" if c.allowed_after else "not allowed",
            _iso(c.last_attempt.time) if c.last_attempt else "not used in the window",
            _decided_by(c),
        )
        for c in result.access_changes
    ]
    entity_rows = [
        (
            str(x.entity_path),
            str(x.accounts_affected),
            str(x.cut_off),
            str(x.used_cut_off),
            str(x.newly_allowed),
            " ".join(sorted(x.services_removed)),
            " ".join(sorted(x.services_added)),
        )
        for x in result.entities
    ]
    title = f"SCP change impact on {result.organization.id} as of {_iso(result.as_of)}"
    changes = "".join(f"<li>{e(str(c))}</li>" for c in result.changes)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{e(title)}</title>",
            "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:2px 6px;text-align:left}</style>",
            "</head><body>",
            f"<h1>{e(title)}</h1>",
            f"<p>Window: {result.window_days} days, since {e(_iso(result.window_start))}; "
            f"{result.activity_in_window} (account, service) pairs used in it by "
            f"{result.accounts_with_activity} accounts.</p>",
            f"<ol>{changes}</ol>",
            f"<h2>Used in the window and cut off ({len(used_rows)})</h2>",
            table(
                ("Account", "Name", "Service", "Last attempt", "Region", "Decided by"), used_rows
            ),
            f"<h2>Every access that changes ({len(all_rows)})</h2>",
            table(
                ("Account", "Service", "Before", "After", "Last attempt", "Decided by"), all_rows
            ),
            "<h2>Per root and OU</h2>",
            table(
                (
                    "Entity",
                    "Accounts",
                    "Cut off",
                    "Used",
                    "Newly allowed",
                    "Removed at the entity",
                    "Added at the entity",
                ),
                entity_rows,
            ),
            "</body></html>",
        ]
    )


# -- the command --------------------------------------------------------------------
def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``orgaccess impact``; returns the exit code.

    Everything that needs no logs is checked before any is read: the edits'
    form, the snapshot, and the edits against the organization (AWS's refusals).
    """
    check_sources(args)
    changes = changes_from(getattr(args, "steps", None) or [])
    if not changes:
        raise UsageError("give at least one change (--attach, --detach, --replace, --move)")
    catalog = default_catalog()
    namespace_map = namespace_map_from(args, catalog.namespaces)
    org = load_org(args.org)
    try:
        apply_changes(org, changes)
    except ChangeSetError as exc:
        stderr.write(f"orgaccess: {exc}\n")
        return EXIT_BAD_INPUT
    now: datetime = args.as_of or datetime.now(UTC)
    index = _load_activity(
        args.events, now, catalog, stderr, namespace_map, args.store, args.window_days, args.jobs
    )
    try:
        result = impact(
            org,
            index,
            changes,
            as_of=now,
            window_days=args.window_days,
            catalog=catalog,
            resources=args.resources,
            partition=args.partition,
        )
    except ChangeSetError as exc:
        stderr.write(f"orgaccess: {exc}\n")
        return EXIT_BAD_INPUT
    names = {str(a.id): a.name for a in org.accounts}
    if args.output == "json":
        stdout.write(json.dumps(impact_json(result), indent=2) + "\n")
    elif args.output == "html":
        stdout.write(_html(result, names) + "\n")
    else:
        stdout.write(_table(result, names) + "\n")
    if len(index) == 0:
        stderr.write(
            "orgaccess impact: no activity record was counted from --events, so nothing can be "
            "said about what is in use; not claiming 'no impact' (exit 3)\n"
        )
        return EXIT_NO_ACTIVITY
    if result.breaks_used_access:
        stderr.write(
            f"orgaccess impact: {len(result.used_cut_off)} (account, service) pairs used in the "
            f"last {result.window_days} days would be cut off (exit 6)\n"
        )
        return EXIT_USED_ACCESS_CUT_OFF
    if result.activity_in_window == 0:
        stderr.write(
            f"orgaccess impact: no account that SCPs limit attempted anything in the "
            f"{result.window_days} days up to {_iso(result.as_of)}; not claiming 'no impact' "
            "(exit 3)\n"
        )
        return EXIT_NO_ACTIVITY
    return EXIT_OK


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add ``orgaccess impact`` to the command line's subparsers; returns its parser."""
    p = subparser(
        sub,
        "impact",
        help="what a proposed SCP change would cut off that was used",
        description="Apply proposed SCP edits to a copy of the organization and list every "
        "(account, service) whose access changes, with the last attempt in the window. "
        "Exit codes: 0 nothing used is cut off, 1 bad input or edits AWS would refuse, "
        "2 usage, 3 no activity to judge by, 6 a service used in the window is cut off.",
        examples="orgaccess impact --org org.json --events trail/ \\\n"
        "    --attach deny-lambda.json --to ou-f6g7-aaaaaaaa --window-days 90",
    )
    add_org(p)
    p.add_argument(
        "--events",
        nargs="+",
        default=[],
        metavar="PATH",
        help="CloudTrail files/directories (.json, .json.gz) and aggregated-row files "
        "(.csv, .jsonl)",
    )
    add_namespace_map(p)
    add_store(p)
    add_jobs(p)
    edits = p.add_argument_group("changes (applied in the order given; each may repeat)")
    edits.add_argument(
        "--attach",
        action=_Step,
        metavar="POLICY",
        help="a policy file (a new SCP) or the id of an existing SCP; follow with --to",
    )
    edits.add_argument("--to", action=_Step, metavar="TARGET", help="root, OU or account id")
    edits.add_argument("--detach", action=_Step, metavar="p-...", help="follow with --from")
    edits.add_argument("--from", action=_Step, metavar="TARGET", help="root, OU or account id")
    edits.add_argument(
        "--replace", action=_Step, metavar="p-...=POLICY.json", help="new content of an SCP"
    )
    edits.add_argument("--move", action=_Step, metavar="ACCOUNT", help="follow with --to-parent")
    edits.add_argument("--to-parent", action=_Step, metavar="PARENT", help="root or OU id")
    p.add_argument(
        "--window-days",
        type=day_count,
        default=DEFAULT_WINDOW_DAYS,
        metavar="N",
        help=f"an attempt in the N days up to --as-of makes a service used (default: "
        f"{DEFAULT_WINDOW_DAYS})",
    )
    p.add_argument(
        "--as-of", type=parse_time, metavar="TIME", help="the time to judge at (default: now)"
    )
    add_output_format(p, ("table", "json", "html"))
    add_evaluation(p)
    p.set_defaults(steps=[])
    return p
