"""The ``orgaccess`` command line (also ``python -m orgaccess``): parser and dispatch.

Each subcommand is a module of :mod:`orgaccess.cli.commands` providing
``add_parser(subparsers) -> argparse.ArgumentParser`` (its options, help,
description and example) and ``run(args, stdout, stderr) -> int`` (the work;
returns the exit code). :data:`COMMANDS` lists them in help order, so
registering a new command is two lines: import its module here and add it
to the tuple.

>>> [command.__name__.rsplit(".", 1)[1] for command in COMMANDS]  # doctest: +NORMALIZE_WHITESPACE
['snapshot', 'tree', 'validate', 'ingest', 'store', 'report', 'unused', 'explain', 'impact',
 'serve', 'demo']

Everything else is shared: :mod:`~orgaccess.cli._args` (options and value
checks), :mod:`~orgaccess.cli._inputs` (snapshot, entity and activity,
checked in the order that fails fastest), :mod:`~orgaccess.cli.coverage`
(what the logs could show), :mod:`~orgaccess.cli.output` and
:mod:`~orgaccess.cli.html` (renderings). The exit codes are in
:mod:`orgaccess.cli.exitcodes`: 0 success, 1 bad input, 2 usage, 3 no
activity, 4 not observable, 5 unused services found. Errors are one line on
standard error, never a traceback. Only this package prints or exits.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

from .. import __version__
from ..errors import OrgAccessError
from ._args import CliError, UsageError
from .commands import demo, explain, impact, ingest, report, serve, snapshot, tree, unused, validate
from .commands import store as store_command
from .exitcodes import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE

__all__ = ["COMMANDS", "build_parser", "main"]

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


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command line; returns the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        # argparse prints help, --version and usage errors itself: to our streams.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    run: Runner = args.run
    try:
        status = run(args, out, err)
        out.flush()  # inside the try: a closed pipe shows up here, not at exit
        return status
    except UsageError as exc:
        err.write(
            f"orgaccess {args.command}: error: {exc} (see 'orgaccess {args.command} --help')\n"
        )
        return EXIT_USAGE
    except CliError as exc:
        err.write(f"orgaccess: {exc}\n")
    except OrgAccessError as exc:
        code = f"{exc.code}: " if exc.code else ""
        err.write(f"orgaccess: {code}{str(exc).splitlines()[0]}\n")
    except BrokenPipeError:
        # The reader went away (``orgaccess report | head``): stop quietly.
        if stdout is None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.write(f"orgaccess: {where}{exc.strerror or exc}\n")
    except ValueError as exc:
        err.write(f"orgaccess: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}\n")
    return EXIT_BAD_INPUT
