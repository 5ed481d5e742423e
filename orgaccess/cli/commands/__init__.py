"""One module per subcommand.

Each module provides:

``add_parser(subparsers) -> argparse.ArgumentParser``
    adds its subparser (with ``help``, a ``description`` and an example in
    the ``epilog``, see :func:`orgaccess.cli.commands._help.subparser`);
``run(args, stdout, stderr) -> int``
    does the work and returns the exit code (:mod:`orgaccess.cli.exitcodes`).

:data:`orgaccess.cli.main.COMMANDS` lists the modules in help order;
registering a new command is one import and one entry there.
"""
