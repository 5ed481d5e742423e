"""The README stays true: its two opening commands and its Python example, run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def test_readme_opens_with_the_two_newcomer_commands() -> None:
    text = README.read_text(encoding="utf-8")
    commands = _blocks("sh")[0].strip().splitlines()
    assert commands == [
        "python3 -m pip install . && python3 -m orgaccess demo",
        "python3 -m pip install '.[test]' && python3 -m pytest -n auto",
    ]
    assert text.index("```sh") < text.index("```python")


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs pytest with the README's arguments (plus quiet output, no cache)."""
    readme_args = _blocks("sh")[0].strip().splitlines()[1].split("python3 -m pytest")[1].split()
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    (line,) = [x for x in ci.splitlines() if x.startswith("python -m pytest")]
    assert set(readme_args) <= set(line.split())
    assert "pip install --quiet '.[test]'" in ci


def test_readme_python_example_prints_what_it_says(capsys: pytest.CaptureFixture[str]) -> None:
    (block,) = _blocks("python")
    expected = re.findall(r"^# prints: (.*)$", block, re.MULTILINE)
    assert len(expected) == 1
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert capsys.readouterr().out == expected[0] + "\n"


def test_readme_python_example_uses_no_real_clock() -> None:
    (block,) = _blocks("python")
    assert "clock=" in block
    for call in ("datetime.now", "datetime.utcnow", "time.time", "date.today"):
        assert call not in block


def test_readme_tour_uses_only_existing_commands_and_options() -> None:
    from orgaccess.cli.main import build_parser

    parser = build_parser()
    tour = _blocks("sh")[1]
    for line in tour.splitlines():
        command = line.split("#")[0].split()
        if not command or command[0] != "orgaccess":
            continue
        options = [word for word in command[2:] if word.startswith("-")]
        parsed = parser.parse_args(command[1:])
        assert parsed.command == command[1]
        assert options  # every tour line shows at least one option
