"""The ``orgaccess`` command line (also ``python -m orgaccess``): parser and dispatch.

Each subcommand is a module of :mod:`orgaccess.cli.commands` providing
``add_parser(subparsers) -> argparse.ArgumentParser`` (its options, help,
description and example) and ``run(args, stdout, stderr) -> int`` (the work;
returns the exit code). :data:`COMMANDS` lists them in help order, so
registering a new command is two lines: import its module here and add it
to the tuple.

>>> [command.__name__.rsplit(".", 1)[1] for command in COMMANDS]  # doctest: +NORMALIZE_WHITESPACE
['snapshot', 'tree', 'validate', 'ingest', 'store', 'report', 'unused', 'explain', 'impact',
 'serve', 'sql', 'demo']

Everything else is shared: :mod:`~orgaccess.cli._args` (options and value
checks), :mod:`~orgaccess.cli._inputs` (snapshot, entity and activity,
checked in the order that fails fastest), :mod:`~orgaccess.cli.coverage`
(what the logs could show), :mod:`~orgaccess.cli.output` and
:mod:`~orgaccess.cli.html` (renderings). The exit codes are in
:mod:`orgaccess.cli.exitcodes`: 0 success, 1 bad input, 2 usage, 3 no
activity, 4 not observable, 5 unused services found, 6 a used service cut
off, 130 interrupted. Errors are one line on standard error, never a
traceback (an unexpected exception is one line asking for a bug report;
``ORGACCESS_DEBUG=1`` re-raises it instead). Only this package prints or exits.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO, cast

from .. import __version__
from ..errors import OrgAccessError
from ._args import CliError, UsageError
from .commands import (
    demo,
    explain,
    impact,
    ingest,
    report,
    serve,
    snapshot,
    sql,
    tree,
    unused,
    validate,
)
from .commands import store as store_command
from .exitcodes import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

__all__ = ["BUG_REPORT", "COMMANDS", "DEBUG_ENV", "build_parser", "main"]

#: The subcommand modules, in the order ``orgaccess --help`` lists them.
COMMANDS = (
    snapshot,
    tree,
    validate,
    ingest,
    store_command,
    report,
    unused,
    explain,
    impact,
    serve,
    sql,
    demo,
)

Runner = Callable[[argparse.Namespace, TextIO, TextIO], int]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: ``orgaccess report: error: ...``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole parser: global options and one subparser per module of :data:`COMMANDS`."""
    parser = _Parser(
        prog="orgaccess",
        description="Model the AWS IAM Organizations access report (which services SCPs allow "
        "and when each was last used) from an organization snapshot and activity logs.",
        epilog="Exit codes: 0 success, 1 bad input, 2 usage, 3 no activity, "
        "4 not observable (unused --suggest-scp), 5 unused found (--fail-on-unused), "
        "6 a used service cut off (impact).",
    )
    parser.add_argument("--version", action="version", version=f"orgaccess {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub).set_defaults(run=module.run)
    return parser


class _ClosedOutput(io.TextIOBase):
    """Standard output when the process has none (``orgaccess demo >&-``)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass


#: Set to 1 to let unexpected exceptions propagate with their traceback (tests, debugging).
DEBUG_ENV = "ORGACCESS_DEBUG"
BUG_REPORT = "please report this bug with the command line that caused it"


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command line; returns the exit code.

    Never raises (except ``SystemExit`` from nowhere but here) and never prints
    a traceback: every error is one line on ``stderr``. An unexpected
    exception is reported as a bug (exit 1) unless ``ORGACCESS_DEBUG=1`` is
    set, which re-raises it. ``KeyboardInterrupt`` exits with 130.
    """
    out: TextIO = stdout or sys.stdout or cast(TextIO, _ClosedOutput())
    err: TextIO = stderr or sys.stderr or io.StringIO()
    try:
        return _main(argv, out, err, own_stdout=stdout is None)
    except KeyboardInterrupt:
        _say(err, "orgaccess: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _broken_pipe(own_stdout=stdout is None)


def _say(err: TextIO, line: str) -> None:
    try:
        err.write(line + "\n")
        err.flush()
    except (OSError, ValueError):
        pass  # standard error is gone too: the exit code is all that is left


def _cannot_write(err: TextIO, exc: OSError, *, own_stdout: bool) -> int:
    if isinstance(exc, BrokenPipeError):  # the reader went away (``orgaccess --help | head -1``)
        return _broken_pipe(own_stdout=own_stdout)
    _say(err, f"orgaccess: cannot write to standard output: {exc.strerror or exc}")
    return EXIT_BAD_INPUT


def _broken_pipe(*, own_stdout: bool) -> int:
    # The reader went away (``orgaccess report | head``): stop quietly, and keep
    # Python from complaining when it flushes the dead stdout at exit.
    if own_stdout and sys.stdout is not None:
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


class _Watched(io.TextIOBase):
    """``out`` for argparse, which ignores an ``OSError`` from a write (``--help >&-``):
    the first one is kept here, so that the command still fails."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.error: OSError | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        try:
            return self.out.write(text)
        except OSError as exc:
            self.error = self.error or exc
            raise

    def flush(self) -> None:
        try:
            self.out.flush()
        except OSError as exc:
            self.error = self.error or exc


def _main(argv: Sequence[str] | None, out: TextIO, err: TextIO, *, own_stdout: bool) -> int:
    parser = build_parser()
    watched = _Watched(out)
    try:
        # argparse prints help, --version and usage errors itself: to our streams.
        with contextlib.redirect_stdout(watched), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        watched.flush()
        if watched.error is not None:  # help or --version to a closed or full stdout
            return _cannot_write(err, watched.error, own_stdout=own_stdout)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    except OSError as exc:
        return _cannot_write(err, exc, own_stdout=own_stdout)
    run: Runner = args.run
    try:
        status = run(args, out, err)
        out.flush()  # inside the try: a closed pipe shows up here, not at exit
        return status
    except UsageError as exc:
        _say(err, f"orgaccess {args.command}: error: {exc} (see 'orgaccess {args.command} --help')")
        return EXIT_USAGE
    except CliError as exc:
        _say(err, f"orgaccess: {exc}")
    except OrgAccessError as exc:
        code = f"{exc.code}: " if exc.code else ""
        text = str(exc).splitlines()
        _say(err, f"orgaccess: {code}{text[0] if text else type(exc).__name__}")
    except BrokenPipeError:
        return _broken_pipe(own_stdout=own_stdout)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _say(err, f"orgaccess: {where}{exc.strerror or exc}")
    except UnicodeEncodeError as exc:
        # text that is not valid Unicode (a lone surrogate from an undecodable argument)
        _say(err, f"orgaccess: cannot write text that is not valid Unicode ({exc.reason})")
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        _say(
            err,
            f"orgaccess: internal error: {type(exc).__name__}"
            + (f": {first}" if first else "")
            + f" ({BUG_REPORT}; set {DEBUG_ENV}=1 for the traceback)",
        )
    return EXIT_BAD_INPUT
