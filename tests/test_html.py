"""``--output html``: one self-contained page, every input string escaped, counts that agree.

The page is parsed with the standard library's HTMLParser; the browser test
(``test_html_browser.py``) checks the behaviour.
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from orgaccess.cli.exitcodes import EXIT_OK
from orgaccess.cli.main import main
from orgaccess.formats.snapshot import example_snapshot

AS_OF = "2026-11-01T00:00:00Z"
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>\"&'</ul>"
SANDBOX_OU = "ou-ex12-sandbox1"


def _record(account: str, source: str, when: str, region: str = "eu-west-1") -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventTime": when,
        "eventSource": source,
        "eventName": "Call",
        "awsRegion": region,
        "userIdentity": {"type": "AssumedRole", "accountId": account},
        "recipientAccountId": account,
    }


TRAIL = [
    ("444455556666", "s3.amazonaws.com", "2026-10-30T10:00:00Z"),
    ("555566667777", "ec2.amazonaws.com", "2026-09-01T10:00:00Z"),
    ("888899990000", "s3.amazonaws.com", "2026-10-20T08:30:00Z"),
    ("888899990000", "lambda.amazonaws.com", "2025-10-20T08:30:00Z"),
]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    d = tmp_path_factory.mktemp("html")
    snapshot = example_snapshot()
    for ou in snapshot["OrganizationalUnits"]:
        if ou["Id"] == SANDBOX_OU:
            ou["Name"] = HOSTILE
    (d / "org.json").write_text(json.dumps(snapshot), encoding="utf-8")
    records = [_record(a, s, t) for a, s, t in TRAIL]
    (d / "trail.json").write_text(json.dumps({"Records": records}), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    argv = ["report", "--org", str(d / "org.json"), "--events", str(d / "trail.json")]
    argv += ["--entity", "r-ex12", "--as-of", AS_OF, "--output", "html", "-o", str(d / "p.html")]
    assert main(argv, stdout=out, stderr=err) == EXIT_OK, err.getvalue()
    assert out.getvalue() == ""
    return (d / "p.html").read_text(encoding="utf-8"), d


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(text: str) -> _Collect:
    parser = _Collect()
    parser.feed(text)
    return parser


def test_a_hostile_name_is_text_not_markup(page: tuple[str, Path]) -> None:
    text, _ = page
    assert HOSTILE not in text
    parsed = _parse(text)
    assert [t for t, _ in parsed.tags].count("script") == 1  # only the page's own
    assert not [a for t, a in parsed.tags if t == "img"]
    assert any(attrs.get("onerror") for _, attrs in parsed.tags) is False
    assert HOSTILE in "".join(parsed.text)  # shown as the name, unchanged


def test_the_page_is_self_contained(page: tuple[str, Path]) -> None:
    text, _ = page
    parsed = _parse(text)
    assert not [t for t, _ in parsed.tags if t in {"link", "iframe", "object", "embed", "img"}]
    for _, attrs in parsed.tags:
        for name in ("src", "href", "action"):
            assert name not in attrs
    assert not re.search(r"https?://", text)
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv"))
    assert csp is not None
    assert "default-src 'none'" in csp


def _report(d: Path, entity: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["report", "--org", str(d / "org.json"), "--events", str(d / "trail.json")]
    argv += ["--entity", entity, "--as-of", AS_OF, "--output", "json", "--allow-empty"]
    assert main(argv, stdout=out, stderr=err) == EXIT_OK, err.getvalue()
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def _node_counts(text: str) -> dict[str, tuple[int, int, int]]:
    found = re.findall(
        r'<span class="node" data-id="([^"]+)">.*?(\d+) allowed</span>'
        r'<span class="count used">(\d+) used</span><span class="count unused">(\d+) unused',
        text,
    )
    return {i: (int(a), int(u), int(n)) for i, a, u, n in found}


@pytest.mark.parametrize("entity", ["r-ex12", SANDBOX_OU, "888899990000", "444455556666"])
def test_tree_counts_are_each_nodes_own_report(page: tuple[str, Path], entity: str) -> None:
    text, d = page
    counts = _node_counts(text)
    assert len(counts) == 1 + 7 + 11  # the root, every OU, every account
    report = _report(d, entity)
    allowed = report["NumberOfServicesAccessible"]
    unused = report["NumberOfServicesNotAccessed"]
    assert counts[entity] == (allowed, allowed - unused, unused)


def test_services_table_has_one_row_per_listed_service(page: tuple[str, Path]) -> None:
    text, d = page
    table = text.split('<table id="services"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr class="status-(\w+)"><td>([^<]+)</td>', table)
    report = _report(d, "r-ex12")
    assert [ns for _, ns in rows] == [x["ServiceNamespace"] for x in report["AccessDetails"]]
    used = {ns for status, ns in rows if status == "used"}
    assert used == {"s3", "ec2", "lambda"}  # lambda 377 days ago: inside the 400-day window


def test_matrix_shows_each_accounts_last_use(page: tuple[str, Path]) -> None:
    text, _ = page
    matrix = text.split('<table id="matrix"', 1)[1].split("</table>", 1)[0]
    header = re.findall(r'<th data-type="number">([^<]+)</th>', matrix)
    assert header == ["ec2", "lambda", "s3"]
    rows = dict(re.findall(r'<tr><td class="id">(\d{12})</td>(.*?)</tr>', matrix))
    assert len(rows) == 10  # every counted account (not the management account)
    sandbox_cells = re.findall(r"<td[^>]*>([^<]*)</td>", rows["888899990000"])[1:]
    assert sandbox_cells == ["&middot;", "1 year ago", "11 days ago"]  # 11 days 15.5 hours
