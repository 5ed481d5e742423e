"""The one way a command builds its subparser: help, description and an example."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["subparser"]


def subparser(
    subparsers: Any, name: str, *, help: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """A subparser whose ``--help`` shows ``description`` and then ``examples``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog="example:\n" + "\n".join(f"  {line}" for line in examples.strip().splitlines()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser
