"""Sphinx configuration for the orgaccess documentation.

Built twice in CI, both with warnings as errors:

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python -m sphinx -W --keep-going -b doctest docs docs/_build/doctest

No extension needs the network (no intersphinx), and the theme is Sphinx's
built-in ``alabaster``.
"""

from __future__ import annotations

import doctest
import sys
from pathlib import Path

# Document the working tree, not whatever copy happens to be installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Import Hypothesis before autodoc imports ``orgaccess.strategies``: importing
# that module first, in a process where Hypothesis is not loaded yet, runs
# Hypothesis's entry point, which imports the half-initialised module again
# (orgaccess/_hypothesis_plugin.py, line 37) and fails. pytest always loads
# Hypothesis first, so tests do not see it.
import hypothesis  # noqa: F401

import orgaccess

project = "orgaccess"
author = "the orgaccess authors"
copyright = "the orgaccess authors"
version = release = orgaccess.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "myst_parser",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# -- MyST ---------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc ------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
}

# -- doctest ------------------------------------------------------------------
# Every example on the pages is a doctest with its own imports. The examples in
# the package's docstrings (shown by autodoc in the API reference) are run
# too, in the group "docstrings"; each API page gives that group the namespace
# of its module, as ``python -m doctest`` would.
doctest_test_doctest_blocks = "docstrings"
# Exception messages are compared too (Sphinx ignores them by default).
doctest_default_flags = doctest.ELLIPSIS | doctest.DONT_ACCEPT_TRUE_FOR_1
# ``DOCS``: this directory, for examples that read files kept beside the pages.
doctest_global_setup = f"""
import pathlib as _pathlib
DOCS = _pathlib.Path({str(Path(__file__).resolve().parent)!r})
del _pathlib
"""

# -- HTML ---------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"orgaccess {release}"
html_theme_options = {
    "description": "The AWS IAM Organizations access report, modelled in Python",
    "fixed_sidebar": False,
}
