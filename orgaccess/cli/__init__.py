"""The command line: ``orgaccess`` (``python -m orgaccess``)."""

from .main import main

__all__ = ["main"]
