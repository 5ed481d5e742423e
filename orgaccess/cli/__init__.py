"""The command line: ``orgaccess`` (``python -m orgaccess``); see :mod:`orgaccess.cli.main`."""

from .commands.unused import suggest_deny_scps
from .main import main

__all__ = ["main", "suggest_deny_scps"]
