"""Examples that cannot rot: every code example in the package's docstrings runs.

pytest runs the ``>>>`` examples of every module under ``orgaccess/``
(``--doctest-modules`` in pyproject.toml). What it cannot run is a literal
block (``::``) or a ``code-block``: these tests allow only code blocks that
declare a language other than Python, and check the JSON ones parse.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "orgaccess"
#: Languages a docstring code block may declare (never Python: write ``>>>``).
NOT_PYTHON = {"text", "xml", "sql", "json"}


def _docstrings() -> list[tuple[str, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = [
            tree,
            *(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef)),
        ]
        for node in nodes:
            doc = ast.get_docstring(node, clean=True)  # type: ignore[arg-type]
            if doc:
                name = getattr(node, "name", "<module>")
                found.append((f"{path.relative_to(PACKAGE.parent)}:{name}", doc))
    return found


DOCSTRINGS = _docstrings()


def test_docstrings_were_found() -> None:
    assert len(DOCSTRINGS) > 100


def test_no_literal_block_hides_an_example() -> None:
    """A ``::`` literal block is never run: examples are ``>>>`` or a non-Python code block."""
    offenders = []
    for where, doc in DOCSTRINGS:
        for line in doc.splitlines():
            if line.rstrip().endswith("::") and not line.lstrip().startswith(".. "):
                offenders.append(f"{where}: {line.strip()}")
        for language in re.findall(r"^\s*\.\. code-block::\s*(\S*)", doc, re.MULTILINE):
            if language not in NOT_PYTHON:
                offenders.append(f"{where}: code-block {language!r}")
    assert offenders == [], "use >>> or '.. code-block:: <language>'"


def _code_blocks(doc: str, language: str) -> list[str]:
    blocks = []
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if re.match(rf"^\s*\.\. code-block::\s*{language}\s*$", line):
            indent = len(line) - len(line.lstrip())
            body = []
            for following in lines[i + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                body.append(following)
            blocks.append("\n".join(body))
    return blocks


def test_json_examples_in_docstrings_parse() -> None:
    blocks = [(w, b) for w, doc in DOCSTRINGS for b in _code_blocks(doc, "json")]
    assert blocks, "the snapshot module shows a JSON snapshot"
    for where, block in blocks:
        try:
            json.loads(block)
        except ValueError as exc:
            pytest.fail(f"{where}: {exc}")
