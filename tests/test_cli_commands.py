"""Conventions every command keeps: --version, help with a description and an example,
JSON output, ``--format`` as an alias of ``--output``; and the ``tree`` command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from orgaccess import __version__
from orgaccess.cli.exitcodes import EXIT_OK
from orgaccess.cli.main import COMMANDS, build_parser, main
from orgaccess.formats.snapshot import example_organization, example_snapshot

COMMAND_NAMES = [
    "snapshot",
    "tree",
    "validate",
    "ingest",
    "store",
    "report",
    "unused",
    "explain",
    "impact",
    "serve",
    "sql",
    "demo",
]


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def org_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "org.json"
    path.write_text(json.dumps(example_snapshot()), encoding="utf-8")
    return path


def test_version() -> None:
    code, out, _ = cli("--version")
    assert code == EXIT_OK
    assert out == f"orgaccess {__version__}\n"


def test_every_command_is_registered_in_help_order() -> None:
    assert [m.__name__.rsplit(".", 1)[1] for m in COMMANDS] == COMMAND_NAMES
    code, out, _ = cli("--help")
    assert code == EXIT_OK
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("    ")]
    assert listed == COMMAND_NAMES


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_command_has_a_description_an_example_and_help_on_each_option(name: str) -> None:
    code, out, _ = cli(name, "--help")
    assert code == EXIT_OK
    description = out.split("\n\n")[1]
    assert len(description.split()) >= 10  # a sentence, not just the usage line
    example = out.split("example:\n", 1)[1]
    assert example.lstrip().startswith(f"orgaccess {name}")
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[name]  # type: ignore[union-attr]
    for action in sub._actions:
        assert action.help, f"{name} {action.option_strings} has no help"


@pytest.mark.parametrize("name", ["report", "unused", "explain", "tree", "validate", "demo"])
def test_format_is_an_alias_of_output_and_json_is_offered(name: str) -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[name]  # type: ignore[union-attr]
    output = next(a for a in sub._actions if a.dest == "output")
    assert output.option_strings == ["--output", "--format"]
    assert "json" in output.choices


def test_validate_json(org_file: Path) -> None:
    code, out, _ = cli("validate", "--org", "org.json", "--output", "json")
    assert code == EXIT_OK
    doc = json.loads(out)
    assert doc["Valid"] is True
    assert doc["Accounts"] == 11


def test_explain_json(org_file: Path) -> None:
    code, out, _ = cli(
        "explain",
        "--org",
        "org.json",
        "--entity",
        "888899990000",
        "--service",
        "rds",
        "--format",
        "json",
    )
    assert code == EXIT_OK
    doc = json.loads(out)
    assert doc["namespace"] == "rds"
    assert doc["listed"] is False
    assert doc["entity"] == "o-exampleorg1/r-ex12/ou-ex12-sandbox1/888899990000"


def test_demo_json() -> None:
    code, out, _ = cli("demo", "--output", "json")
    assert code == EXIT_OK
    doc = json.loads(out)
    assert [r["EntityPath"] for r in doc["Reports"]][:1] == ["o-exampleorg1/r-ex12"]
    assert doc["AsOf"] == "2026-11-01T12:00:00Z"
    assert doc["Explanation"]["namespace"] == "rds"


# -- tree ----------------------------------------------------------------------------------------
def test_tree_table_lists_every_entity_with_id_name_path_and_scps(org_file: Path) -> None:
    code, out, _ = cli("tree", "--org", "org.json")
    assert code == EXIT_OK
    org = example_organization()
    lines = out.splitlines()
    assert lines[0] == f"Organization {org.id}"
    assert lines[1].split() == ["ID", "TYPE", "NAME", "PATH", "SCPS"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert len(rows) == 1 + len(org.organizational_units) + len(org.accounts)
    for entity in (org.root, *org.organizational_units, *org.accounts):
        row = rows[str(entity.id)]
        assert entity.name in row
        assert str(org.path_of(entity.id)) in row
        for policy in org.scps_attached(entity.id):
            assert policy.id in row
    assert "(management account)" in rows[str(org.management_account_id)]
    # Children are indented under their parent.
    sandbox = next(line for line in lines if line.strip().startswith("888899990000"))
    assert sandbox.startswith("    888899990000")


def test_tree_json_is_nested_and_can_start_below_the_root(org_file: Path) -> None:
    code, out, _ = cli("tree", "--org", "org.json", "--output", "json")
    assert code == EXIT_OK
    doc = json.loads(out)
    org = example_organization()
    assert doc["OrganizationId"] == org.id
    seen: list[str] = []

    def walk(node: dict[str, object], parent: str | None) -> None:
        seen.append(str(node["Id"]))
        assert node["Path"] == str(org.path_of(str(node["Id"])))
        if parent is not None:
            assert org.parent_of(str(node["Id"])) == parent
        assert {p["Id"] for p in node["Scps"]} == set(org.scp_ids_attached(str(node["Id"])))  # type: ignore[attr-defined, index]
        for child in node["Children"]:  # type: ignore[attr-defined]
            walk(child, str(node["Id"]))

    walk(doc["Tree"], None)
    assert sorted(seen) == sorted(
        [str(org.root.id)]
        + [str(o.id) for o in org.organizational_units]
        + [str(a.id) for a in org.accounts]
    )
    code, out, _ = cli(
        "tree", "--org", "org.json", "--entity", "ou-ex12-workloads", "--output", "json"
    )
    sub = json.loads(out)["Tree"]
    assert sub["Id"] == "ou-ex12-workloads"
    assert sub["Path"] == "o-exampleorg1/r-ex12/ou-ex12-workloads"


def test_unused_takes_every_option_of_report_with_the_same_choices() -> None:
    """docs/reference/cli.md: "`unused` takes every option of `report`, and adds its own"."""
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices  # type: ignore[union-attr]

    def options(name: str) -> dict[str, object]:
        return {
            option: action.choices
            for action in commands[name]._actions
            for option in action.option_strings
        }

    report, unused = options("report"), options("unused")
    assert {k: v for k, v in unused.items() if k in report} == report
    assert {"--days", "--exclude", "--suggest-scp"} <= set(unused) - set(report)
