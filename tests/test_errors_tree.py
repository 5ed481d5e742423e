"""The exception tree drawn in ``orgaccess/errors.py`` and ``docs/reference/errors.md``
is the real one: every ``OrgAccessError`` subclass of ``orgaccess.errors``, under its
parent, with its other built-in base ("also ValueError"), and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import orgaccess.errors as errors_module
from orgaccess.errors import OrgAccessError

ROOT = Path(__file__).resolve().parent.parent
Tree = dict[str, tuple[str | None, frozenset[str]]]


def parse_tree(text: str) -> Tree:
    """``{class: (parent, also-bases)}`` from a tree drawn with ``├──`` / ``└──``."""
    tree: Tree = {}
    stack: list[str] = []
    indent = 0
    for line in text.splitlines():
        if line.strip() == "OrgAccessError":
            tree["OrgAccessError"] = (None, frozenset())
            stack = ["OrgAccessError"]
            indent = len(line) - len(line.lstrip())
            continue
        match = re.match(r"^(?P<lead>[\s│]*)[├└]── (?P<name>\w+)(?P<rest>.*)$", line)
        if match is None or not stack:
            continue
        depth = (len(match["lead"]) - indent) // 4 + 1
        also = re.match(r"\s*\(also (\w+)\)", match["rest"])
        del stack[depth:]
        tree[match["name"]] = (stack[depth - 1], frozenset([also[1]] if also else []))
        stack.append(match["name"])
    return tree


def actual_tree() -> Tree:
    tree: Tree = {}
    for name, value in vars(errors_module).items():
        if isinstance(value, type) and issubclass(value, OrgAccessError):
            ours = [b for b in value.__bases__ if issubclass(b, OrgAccessError)]
            others = [b.__name__ for b in value.__bases__ if not issubclass(b, OrgAccessError)]
            parent = ours[0].__name__ if ours else None
            tree[name] = (parent, frozenset(o for o in others if o != "Exception"))
    return tree


def test_actual_tree_has_the_known_shape() -> None:
    tree = actual_tree()
    assert tree["OrgAccessError"] == (None, frozenset())
    assert tree["InvalidEntityPathError"] == ("InvalidIdError", frozenset())
    assert tree["ConfigurationError"] == ("OrgAccessError", frozenset({"ValueError"}))
    assert len(tree) >= 20


def test_parse_tree_reads_depth_and_also() -> None:
    text = "OrgAccessError\n├── A    (also ValueError)   x\n│   └── B   y\n└── C\n    (codes)"
    assert parse_tree(text) == {
        "OrgAccessError": (None, frozenset()),
        "A": ("OrgAccessError", frozenset({"ValueError"})),
        "B": ("A", frozenset()),
        "C": ("OrgAccessError", frozenset()),
    }


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(errors_module.__doc__ or "", id="errors.py docstring"),
        pytest.param(
            (ROOT / "docs" / "reference" / "errors.md").read_text(encoding="utf-8"),
            id="docs/reference/errors.md",
        ),
    ],
)
def test_drawn_tree_is_the_class_tree(source: str) -> None:
    assert parse_tree(source) == actual_tree()
