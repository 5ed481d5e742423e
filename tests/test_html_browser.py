"""The HTML page in a real headless browser: Debian's Chromium driven by selenium.

Checks that the page loads without console errors (a Content-Security-Policy
violation, i.e. any attempt to reach the network, is one), that a hostile
OU name runs no script, that the tree expands, that sorting works, and
writes a screenshot (``$ORGACCESS_SCREENSHOT``, else a temporary file; the
docs' ``docs/_static/report.png`` is made with
``ORGACCESS_SCREENSHOT=docs/_static/report.png``). Skipped, with the reason,
where selenium, Chromium or chromedriver is missing.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orgaccess.cli.demo import DEMO_AS_OF, demo_events
from orgaccess.cli.exitcodes import EXIT_OK
from orgaccess.cli.main import main
from orgaccess.formats.snapshot import example_organization, example_snapshot

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip(
        f"no browser: {CHROMIUM} or {CHROMEDRIVER} is missing "
        "(Debian: apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"
SOURCES = {"cloudwatch": "monitoring"}  # namespace -> eventSource label where they differ


def _trail() -> dict[str, Any]:
    """The demo's generated activity as CloudTrail records."""
    records = []
    for e in demo_events(example_organization()):
        records.append(
            {
                "eventVersion": "1.08",
                "eventTime": e.time.isoformat().replace("+00:00", "Z"),
                "eventSource": f"{SOURCES.get(e.service_namespace, e.service_namespace)}"
                ".amazonaws.com",
                "eventName": "Call",
                "awsRegion": e.region,
                "userIdentity": {"type": "AssumedRole", "accountId": e.account_id},
                "recipientAccountId": e.account_id,
            }
        )
    return {"Records": records}


def _page(d: Path, *, hostile: bool) -> str:
    snapshot = example_snapshot()
    for ou in snapshot["OrganizationalUnits"]:
        if ou["Id"] == "ou-ex12-sandbox1" and hostile:
            ou["Name"] = "Sandbox " + HOSTILE
    (d / "org.json").write_text(json.dumps(snapshot), encoding="utf-8")
    (d / "trail.json").write_text(json.dumps(_trail()), encoding="utf-8")
    argv = ["report", "--org", str(d / "org.json"), "--events", str(d / "trail.json")]
    argv += ["--entity", "r-ex12", "--as-of", DEMO_AS_OF.isoformat(), "--output", "html"]
    argv += ["-o", str(d / "report.html")]
    err = io.StringIO()
    assert main(argv, stdout=io.StringIO(), stderr=err) == EXIT_OK, err.getvalue()
    return (d / "report.html").as_uri()


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _page(tmp_path_factory.mktemp("hostile"), hostile=True)


@pytest.fixture(scope="module")
def clean_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _page(tmp_path_factory.mktemp("clean"), hostile=False)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def loaded(browser: Any, page_url: str) -> Any:
    browser.get(page_url)
    return browser


def test_page_loads_without_console_errors_or_alerts(loaded: Any) -> None:
    errors = [e for e in loaded.get_log("browser") if e["level"] in {"SEVERE", "ERROR"}]
    assert errors == []
    with pytest.raises(NoAlertPresentException):
        _ = loaded.switch_to.alert.text
    assert loaded.execute_script("return document.scripts.length") == 1
    assert loaded.find_elements(By.TAG_NAME, "img") == []
    name = loaded.find_element(By.CSS_SELECTOR, '.node[data-id="ou-ex12-sandbox1"] .name')
    assert name.text == "Sandbox " + HOSTILE


def test_tree_expands_and_collapses(loaded: Any) -> None:
    account = loaded.find_element(By.CSS_SELECTOR, '.node[data-id="888899990000"]')
    assert not account.is_displayed()  # inside the closed Sandbox OU
    loaded.find_element(By.CSS_SELECTOR, 'summary > .node[data-id="ou-ex12-sandbox1"]').click()
    assert account.is_displayed()
    loaded.find_element(By.ID, "collapse-all").click()
    assert not account.is_displayed()
    loaded.find_element(By.ID, "expand-all").click()
    nodes = loaded.find_elements(By.CSS_SELECTOR, "#tree .node")
    assert len(nodes) == 1 + 7 + 11
    assert all(n.is_displayed() for n in nodes)


def _column(driver: Any, index: int) -> list[str]:
    script = (
        "return Array.from(document.querySelectorAll('#services tbody tr')).map(r => "
        "r.cells[arguments[0]].getAttribute('data-value') ?? r.cells[arguments[0]].textContent)"
    )
    values: list[str] = driver.execute_script(script, index)
    return values


def test_sorting_the_services_table(loaded: Any) -> None:
    heads = loaded.find_elements(By.CSS_SELECTOR, "#services thead th")
    names = [h.text for h in heads]
    days = names.index("Days ago")
    namespace = names.index("Namespace")
    heads[days].click()
    assert heads[days].get_attribute("aria-sort") == "ascending"
    column = _column(loaded, days)
    ages = [int(v) for v in column if v != ""]
    assert ages == sorted(ages)
    assert len(ages) >= 10  # the used services
    assert column[: len(ages)] == [str(a) for a in ages]  # never used (blank) last
    heads[days].click()
    assert heads[days].get_attribute("aria-sort") == "descending"
    ages = [int(v) for v in _column(loaded, days) if v != ""]
    assert ages == sorted(ages, reverse=True)
    heads[namespace].click()
    values = _column(loaded, namespace)
    assert values == sorted(values)
    assert heads[days].get_attribute("aria-sort") is None


def test_screenshot_is_written(loaded: Any, clean_url: str, tmp_path: Path) -> None:
    target = Path(os.environ.get("ORGACCESS_SCREENSHOT") or tmp_path / "report.png")
    loaded.get(clean_url)  # the root open, the rest closed
    assert [e for e in loaded.get_log("browser") if e["level"] == "SEVERE"] == []
    loaded.find_element(By.CSS_SELECTOR, 'summary > .node[data-id="ou-ex12-workloads"]').click()
    heads = loaded.find_elements(By.CSS_SELECTOR, "#services thead th")
    heads[[h.text for h in heads].index("Days ago")].click()  # the used services first
    assert loaded.save_screenshot(str(target))
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
