"""Rules traceable to tests: every rule id in the docs is pinned by a test, and every id a
test names exists.

The ids are written ``[R-...]`` (docs/explanation/report-semantics.md) and
``[E-...]`` (the error tables of docs/reference/errors.md). A test names the
ids it pins with ``@pytest.mark.rule("R-ROOT-1", ...)``, on the function or on a
``pytest.param``. The markers are read from the test files' syntax trees, so
this check sees every test whatever subset of the suite runs; an id must
therefore be a string literal.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = (
    ROOT / "docs" / "explanation" / "report-semantics.md",
    ROOT / "docs" / "reference" / "errors.md",
)
ID = re.compile(r"\[((?:R|E)-[A-Z0-9]+(?:-[A-Z0-9]+)*)\]")


def documented_ids() -> set[str]:
    return {i for path in DOCS for i in ID.findall(path.read_text(encoding="utf-8"))}


def _is_rule_marker(node: ast.AST) -> bool:
    # pytest.mark.rule(...)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "rule"
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "mark"
    )


def pinned_ids() -> tuple[Counter[str], list[str]]:
    """Each id named by a marker, with how many markers name it; and markers not readable."""
    pinned: Counter[str] = Counter()
    unreadable: list[str] = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not _is_rule_marker(node):
                continue
            assert isinstance(node, ast.Call)
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if not node.args or node.keywords:
                unreadable.append(where)
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    pinned[arg.value] += 1
                else:
                    unreadable.append(where)
    return pinned, unreadable


def test_the_docs_carry_rule_ids() -> None:
    ids = documented_ids()
    assert len([i for i in ids if i.startswith("R-")]) >= 20
    assert len([i for i in ids if i.startswith("E-")]) == 11


def test_every_documented_id_is_pinned_by_a_test() -> None:
    pinned, _ = pinned_ids()
    assert sorted(documented_ids() - set(pinned)) == []


def test_every_id_a_test_names_exists_in_the_docs() -> None:
    pinned, unreadable = pinned_ids()
    assert unreadable == [], "rule ids must be string literals"
    assert sorted(set(pinned) - documented_ids()) == []


def test_the_rule_marker_is_registered(pytestconfig: pytest.Config) -> None:
    markers = pytestconfig.getini("markers")
    assert any(str(m).startswith("rule(") for m in markers)
