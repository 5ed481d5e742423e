"""The command line never prints a traceback (issue 11 item 5).

Closed standard output, a reader that goes away (SIGPIPE), Ctrl-C and an
unexpected exception each end in one line on standard error and a documented
exit code. An unexpected exception is a bug: with ``ORGACCESS_DEBUG=1`` (set
for the whole test suite in conftest) it propagates, so a test never passes
over one.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from orgaccess.cli.commands import demo, validate
from orgaccess.cli.exitcodes import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK
from orgaccess.cli.main import main as cli_main_function
from orgaccess.formats.snapshot import dump_organization, example_organization

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, shell: str | None = None, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("ORGACCESS_DEBUG", None)  # as a user runs it
    command: Any = shell if shell is not None else [sys.executable, "-m", "orgaccess", *args]
    return subprocess.run(
        command,
        shell=shell is not None,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
        **kwargs,
    )


def test_closed_stdout_is_one_line_and_exit_1() -> None:
    result = run(shell=f"{sys.executable} -m orgaccess demo >&-")
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == "orgaccess: standard output is closed\n"


@pytest.mark.parametrize("args", ["--help", "--version", "report --help"])
def test_help_to_a_closed_or_full_stdout_fails_in_one_line(args: str) -> None:
    """argparse ignores the write error itself; the command line does not."""
    closed = run(shell=f"{sys.executable} -m orgaccess {args} >&-")
    assert closed.returncode == EXIT_BAD_INPUT
    assert closed.stderr.startswith("orgaccess: cannot write to standard output: ")
    assert closed.stderr.count("\n") == 1
    if os.path.exists("/dev/full"):
        full = run(shell=f"{sys.executable} -m orgaccess {args} >/dev/full")
        assert full.returncode == EXIT_BAD_INPUT
        assert (
            full.stderr == "orgaccess: cannot write to standard output: No space left on device\n"
        )
    piped = run(shell=f"{sys.executable} -m orgaccess {args} | head -c 1")
    assert piped.stdout in ("u", "o")  # "usage: ..." or "orgaccess <version>"
    assert piped.stderr == ""


def test_a_reader_that_goes_away_is_quiet_and_exit_0() -> None:
    result = run(shell=f"{sys.executable} -m orgaccess demo --output json | head -c 1")
    assert result.stdout == "{"
    assert "Traceback" not in result.stderr
    assert "BrokenPipe" not in result.stderr


def test_a_full_disk_is_one_line() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    result = run(shell=f"{sys.executable} -m orgaccess demo >/dev/full")
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr == "orgaccess: No space left on device\n"


def _in_process(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main_function(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_ctrl_c_is_exit_130_and_one_line() -> None:
    with mock.patch.object(demo, "run", side_effect=KeyboardInterrupt):
        code, out, err = _in_process(["demo"])
    assert (code, out, err) == (EXIT_INTERRUPTED, "", "orgaccess: interrupted\n")


def test_an_unexpected_exception_is_one_line_asking_for_a_bug_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ORGACCESS_DEBUG")
    with mock.patch.object(demo, "run", side_effect=ZeroDivisionError("oops\nsecond line")):
        code, out, err = _in_process(["demo"])
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert err == (
        "orgaccess: internal error: ZeroDivisionError: oops (please report this bug with the "
        "command line that caused it; set ORGACCESS_DEBUG=1 for the traceback)\n"
    )


@pytest.mark.parametrize("value", ["1", "yes"])
def test_orgaccess_debug_reraises_so_tests_catch_bugs(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ORGACCESS_DEBUG", value)
    with (
        mock.patch.object(demo, "run", side_effect=ZeroDivisionError("oops")),
        pytest.raises(ZeroDivisionError),
    ):
        _in_process(["demo"])


def test_the_test_suite_runs_with_orgaccess_debug() -> None:
    assert os.environ.get("ORGACCESS_DEBUG") == "1"


def test_an_unexpected_exception_from_a_subprocess_has_no_traceback(tmp_path: Path) -> None:
    # the bug is simulated in the child process with a sitecustomize that breaks validate
    (tmp_path / "sitecustomize.py").write_text(
        "from orgaccess.cli.commands import validate\n"
        "def broken(*a, **k):\n    raise RuntimeError('simulated bug')\n"
        "validate.run = broken\n"
    )
    org = tmp_path / "org.json"
    dump_organization(example_organization(), org)
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")
    env.pop("ORGACCESS_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-m", "orgaccess", "validate", "--org", str(org)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == EXIT_BAD_INPUT
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("orgaccess: internal error: RuntimeError: simulated bug")
    assert validate.run is not None  # the parent process is untouched


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_org_is_one_line_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "org.json"
    os.mkfifo(fifo)
    result = run("validate", "--org", str(fifo))
    assert result.returncode == EXIT_BAD_INPUT
    assert "not a regular file: a FIFO" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_dev_zero_as_org_is_one_line(tmp_path: Path) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("needs /dev/zero")
    code, _, err = _in_process(
        ["report", "--org", "/dev/zero", "--entity", "r-0000", "--events", str(tmp_path)]
    )
    assert code == EXIT_BAD_INPUT
    assert err.count("\n") == 1
    assert "not a regular file: a device" in err


def test_an_undecodable_argument_is_one_line(tmp_path: Path) -> None:
    org = tmp_path / "org.json"
    dump_organization(example_organization(), org)
    result = subprocess.run(
        [sys.executable, "-m", "orgaccess", "explain", "--org", str(org), "--entity",
         b"\xff\xfe".decode("utf-8", "surrogateescape"), "--service", "s3"],
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode in (1, 2)
    assert b"Traceback" not in result.stderr
    assert result.stderr.count(b"\n") == 1


def test_validate_is_ok_on_a_good_snapshot(tmp_path: Path) -> None:
    org = tmp_path / "org.json"
    dump_organization(example_organization(), org)
    code, _, err = _in_process(["validate", "--org", str(org)])
    assert code == EXIT_OK, err


@pytest.mark.parametrize("command", ["explain", "report", "impact"])
def test_a_partition_with_a_separator_is_a_usage_error(command: str, tmp_path: Path) -> None:
    # found by tests/test_fuzz_cli.py: it escaped from the evaluator as a ValueError
    org = tmp_path / "org.json"
    dump_organization(example_organization(), org)
    argv = {
        "explain": ["explain", "--org", str(org), "--entity", "r-ex12", "--service", "s3"],
        "report": ["report", "--org", str(org), "--entity", "r-ex12", "--events", str(tmp_path)],
        "impact": ["impact", "--org", str(org), "--events", str(tmp_path)],
    }[command]
    code, out, err = _in_process([*argv, "--partition", "aws/x"])
    assert (code, out) == (2, "")
    assert "'aws/x' is not a partition name" in err
    assert err.count("\n") == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_non_utf8_policy_file_is_one_line(tmp_path: Path) -> None:
    org = tmp_path / "org.json"
    dump_organization(example_organization(), org)
    fifo = tmp_path / "deny.json"
    os.mkfifo(fifo)
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"Version": "\xe9"}')
    for policy, message in ((fifo, "not a regular file: a FIFO"), (latin, "not UTF-8 text")):
        code, _, err = _in_process(
            ["impact", "--org", str(org), "--events", str(tmp_path),
             "--attach", str(policy), "--to", "r-ex12"]
        )  # fmt: skip
        assert code == EXIT_BAD_INPUT
        assert f"--attach {policy}: {message}" in err
        assert err.count("\n") == 1
