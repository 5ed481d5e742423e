"""Fuzzing the command line (issue 11 item 6): random argv for every command.

Options are taken from the parser itself (so a new option is fuzzed too),
with values from a pool of good, bad and hostile ones (the example snapshot,
a broken one, a FIFO, ``/dev/zero``, activity, missing paths, out-of-range
numbers and times, text that is not valid Unicode) and random text that names
no file. The only outcomes allowed are exit codes 0-6 with no traceback.
``ORGACCESS_DEBUG=1`` is set for the test suite, so an unexpected exception
propagates and fails the test instead of becoming a one-line "internal error".
``serve`` and ``snapshot`` (a server, AWS calls) are only parsed, not run.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgaccess.cli.main import build_parser, main
from orgaccess.formats.snapshot import dump_organization, example_organization

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RUN = ("tree", "validate", "report", "unused", "explain", "impact", "demo")
PARSE_ONLY = ("serve", "snapshot")


@functools.cache
def workspace() -> dict[str, str]:
    """Files the values point at, made once per test session (removed at exit)."""
    root = Path(tempfile.mkdtemp(prefix="orgaccess-fuzz-cli-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    org = example_organization()
    dump_organization(org, root / "org.json")
    (root / "broken.json").write_text('{"Organization": {"Id": "o-x"}, "Roots": 5}')
    events = root / "events"
    events.mkdir()
    account = str(org.accounts[0].id)
    record = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "accountId": account},
        "eventTime": "2026-01-02T03:04:05Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
    }
    (events / "a.json").write_text(json.dumps({"Records": [record]}))
    (root / "rows.csv").write_text(
        f"account_id,namespace,region,last_attempt\n{account},ec2,us-east-1,2026-01-03T00:00:00Z\n"
    )
    (root / "bad.json").write_bytes(
        b'{"Records": [{"eventTime": "9999-12-31T23:59:59-01:00"}, \xff'
    )
    (root / "deny.json").write_text(
        json.dumps({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})
    )  # fmt: skip
    out = root / "out"
    out.mkdir()
    paths = {
        "org": str(root / "org.json"),
        "broken": str(root / "broken.json"),
        "events": str(events),
        "rows": str(root / "rows.csv"),
        "bad": str(root / "bad.json"),
        "policy": str(root / "deny.json"),
        "missing": str(root / "no-such-file.json"),
        "out": str(out / "result.txt"),
        "out_missing_dir": str(root / "no-dir" / "result.txt"),
    }
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "pipe.json")
        paths["fifo"] = str(root / "pipe.json")
    return paths


def value_pool() -> list[str]:
    w = workspace()
    files = [w[k] for k in ("org", "broken", "events", "rows", "bad", "policy", "missing")]
    files += [w["fifo"]] if "fifo" in w else []
    files += ["/dev/zero"] if os.path.exists("/dev/zero") else []
    return [
        *files,
        "r-ex12", "ou-ex12-dev00001", "101010101010", "o-exampleorg1/r-ex12",
        "o-exampleorg1/r-ex12/ou-ex12-dev00001", "o-exampleorg1/r-ex12/", "p-FullAWSAccess",
        "p-devrestrict", "s3", "ec2", "nosuchservice", "aws", "aws-cn",
        "2026-02-01T00:00:00Z", "2026-01-01", "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00", "1970-01-01T00:00:00Z",
        "0", "1", "90", "-1", "36501", "1000000000", "9" * 5000, "1e999", "nan", "inf",
        "", " ", "-", "--", "\udc80", "\x00", "é", f"p-FullAWSAccess={w['policy']}",
        f"p-FullAWSAccess={w['missing']}", "=",
    ]  # fmt: skip


def good_values() -> dict[str, list[str]]:
    """Values that pass an option's checks, so that most runs get past parsing."""
    w = workspace()
    ids = ["r-ex12", "ou-ex12-dev00001", "101010101010", "o-exampleorg1/r-ex12"]
    return {
        "--org": [w["org"]],
        "--entity": ids,
        "--entity-path": ids,
        "--events": [w["events"], w["rows"]],
        "--as-of": ["2026-02-01T00:00:00Z"],
        "--events-from": ["2026-01-01T00:00:00Z"],
        "--tracking-days": ["90", "365"],
        "--days": ["30"],
        "--window-days": ["90"],
        "--service": ["s3", "ec2", "iam"],
        "--policy-id": ["p-FullAWSAccess", "p-devrestrict"],
        "--attach": [w["policy"], "p-devrestrict"],
        "--to": ids,
        "--from": ids,
        "--to-parent": ["r-ex12", "ou-ex12-dev00001"],
        "--detach": ["p-FullAWSAccess", "p-devrestrict"],
        "--move": ["101010101010"],
        "--replace": [f"p-devrestrict={w['policy']}"],
        "--exclude": ["s3"],
        "--partition": ["aws"],
    }


def _no_file(text: str) -> bool:
    try:
        return not os.path.exists(text)
    except (ValueError, OSError):
        return True


random_text = st.text(max_size=12).filter(_no_file)


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]  # type: ignore[no-any-return]


@st.composite
def argvs(draw: st.DrawFn, command: str) -> list[str]:
    w = workspace()
    argv = [command]
    pool = value_pool()
    # half the runs use only values that pass their option's checks, to get past parsing
    bad_odds = draw(st.sampled_from([0, 0, 3, 10]))

    def bad() -> bool:
        return bad_odds > 0 and draw(st.integers(0, bad_odds)) == 0

    for action in _subparser(command)._actions:
        if not action.option_strings:
            continue
        if "--help" in action.option_strings and draw(st.integers(0, 30)) != 0:
            continue
        if not (action.required or draw(st.booleans())):
            continue
        option = draw(st.sampled_from(action.option_strings))
        if action.nargs == 0:
            argv.append(option)
            continue
        if option in ("-o", "--output-file"):
            values = [w["out_missing_dir"] if bad() else w["out"]]
        elif action.choices:
            choices = list(action.choices)
            values = [draw(st.sampled_from(pool) if bad() else st.sampled_from(choices))]
        else:
            count = draw(st.integers(1, 3)) if action.nargs in ("+", "*") else 1
            good = good_values().get(option)
            values = [
                draw(st.sampled_from(good))
                if good and not bad()
                else draw(st.sampled_from(pool) | random_text)
                for _ in range(count)
            ]
        argv += [option, *values]
    if bad() and bad():
        argv.insert(draw(st.integers(1, len(argv))), draw(st.sampled_from(pool) | random_text))
    return argv


def check(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    assert 0 <= code <= 6, (code, err.getvalue())
    assert "Traceback" not in err.getvalue()
    if code in (1, 2):
        # said on stderr, or in the output asked for ("Problems" in JSON, "problem" in text)
        assert err.getvalue().strip() or "problem" in out.getvalue().lower(), argv


@FUZZ
@given(st.sampled_from(RUN).flatmap(argvs))
def test_random_argv_for_every_command(argv: list[str]) -> None:
    check(argv)


@FUZZ
@given(st.sampled_from(PARSE_ONLY).flatmap(argvs))
def test_random_argv_for_serve_and_snapshot_parses_or_is_a_usage_error(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            build_parser().parse_args(argv)
        except SystemExit as exc:
            assert exc.code in (0, 2)  # noqa: PT017 - help or a usage error
    assert "Traceback" not in err.getvalue()


@FUZZ
@given(st.lists(st.sampled_from(value_pool()) | random_text, max_size=4))
def test_random_words(argv: list[str]) -> None:
    # commands are only reached through their names; anything else is a usage error
    if argv and argv[0] in RUN + PARSE_ONLY:
        argv = ["--version", *argv]
    check(argv)
