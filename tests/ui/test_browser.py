"""End to end: the real app served on a free loopback port, driven by Debian's Chromium.

Visits every page (clicking a node of each graph), runs a what-if, downloads a
ranking, checks an upload, switches the language, and asserts that no request left
the loopback address (every request URL is recorded, and any other host is blocked
before it goes out). Screenshots of every page go to a temporary folder, or to the
folder named by $CHAINRISK_SCREENSHOTS: ``make screenshots`` sets it to docs/img/ and
so refreshes the README's pictures (``make test`` leaves the work tree as it was).

Needs ``/usr/bin/chromium`` (``apt-get install -y chromium``) and the Python package
``playwright`` (never ``playwright install``: the browser is Debian's); ``make test``
installs both. A missing piece fails the test with the reason: it never skips.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from chainrisk.ui import command
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SHOTS_ENV = "CHAINRISK_SCREENSHOTS"  # a folder for the screenshots (default: a temporary one)
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
WIDTH = 1440
PAGES = {  # url path -> (screenshot, English title)
    "": ("overview.png", "Integrated circuits — overview"),
    "chain-map": ("chain-map.png", "Integrated circuits — chain map"),
    "explorer": ("explorer.png", "Explorer"),
    "rankings": ("rankings.png", "Integrated circuits — rankings"),
    "what-if": ("what-if.png", "Integrated circuits — what-if"),
    "concentration": ("concentration.png", "Integrated circuits — concentration"),
    "data": ("data.png", "Data"),
}

pytestmark = pytest.mark.slow


def _require_browser() -> None:
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the Python package playwright is missing (pip install playwright; "
                        "the browser itself comes from apt, never from 'playwright install')")
    if not CHROMIUM.is_file():
        problems.append(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    if problems:
        pytest.fail("the browser test cannot run: " + "; ".join(problems)
                    + " (make test installs both)")


@contextmanager
def offline_browser(outside: list[str]) -> Iterator[tuple[Any, Any]]:
    """Yield (context, page) of Debian's Chromium, every request to a host other than
    loopback recorded in ``outside`` and blocked before it goes out."""
    from playwright.sync_api import sync_playwright

    _require_browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        def _only_loopback(route: Any) -> None:
            if urlsplit(route.request.url).hostname in LOOPBACK:
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", _only_loopback)
        try:
            yield context, context.new_page()
        finally:
            context.close()
            browser.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Return the base URL of the app serving the sample store, started for this module."""
    _require_browser()
    port = _free_port()
    home = tmp_path_factory.mktemp("streamlit-home")
    log_path = home / "app.log"
    env = {
        **os.environ,
        "CHAINRISK_STORE": f"sqlite:///{sample_store}",
        "CHAINRISK_LANG": "en",
        "HOME": str(home),  # Streamlit keeps its machine id and credentials here
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(command(port=port), env=env, cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the app did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.25)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder the screenshots go to: $CHAINRISK_SCREENSHOTS, else a temporary one."""
    named = os.environ.get(SHOTS_ENV, "").strip()
    return Path(named).resolve() if named else tmp_path_factory.mktemp("screenshots")


@dataclass
class Traffic:
    """Every URL the browser asked for, and those that would have left the machine."""

    seen: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert self.seen, "no request was recorded"
        assert not self.blocked, f"requests left loopback: {self.blocked}"


@pytest.fixture(scope="module")
def browser_page(served: str) -> Iterator[tuple[Any, Traffic]]:
    """Return a Chromium page (downloads on) and the traffic recorder watching it."""
    from playwright.sync_api import Route, sync_playwright

    traffic = Traffic()

    def route(r: Route) -> None:
        url = r.request.url
        traffic.seen.append(url)
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host in LOOPBACK:
            r.continue_()
        else:
            traffic.blocked.append(url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": WIDTH, "height": 900},
                                      accept_downloads=True, locale="en-GB")
        context.route("**/*", route)
        page = context.new_page()
        page.on("websocket", lambda ws: traffic.seen.append(ws.url) if urlsplit(
            ws.url).hostname in LOOPBACK else traffic.blocked.append(ws.url))
        try:
            yield page, traffic
        finally:
            context.close()
            browser.close()


def _settle(page: Any, title: str) -> None:
    """Wait until the page shows ``title`` and Streamlit has finished running it."""
    page.get_by_role("heading", level=1).filter(has_text=title).wait_for(timeout=120_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-testid=\"stSpinner\"]')",
        timeout=120_000,
    )
    page.wait_for_timeout(700)  # charts draw after the script ends
    assert page.locator('[data-testid="stException"]').count() == 0


def _screenshot(page: Any, name: str, folder: Path) -> None:
    """Save the whole page (the main area scrolls inside the window) as folder/name."""
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    page.mouse.move(WIDTH - 12, 600)  # hover nothing: no toolbars in the picture
    bottom = page.evaluate(
        """() => {
          let b = 0;
          for (const e of document.querySelectorAll(
              '[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]'))
            b = Math.max(b, e.getBoundingClientRect().bottom);
          return b;
        }"""
    )
    page.set_viewport_size({"width": WIDTH, "height": int(min(max(900, bottom + 48), 3200))})
    page.wait_for_timeout(500)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name))
    page.set_viewport_size({"width": WIDTH, "height": 900})


def test_every_page_with_real_data_and_nothing_fetched_from_outside(
    served: str, browser_page: tuple[Any, Traffic], shots: Path
) -> None:
    page, traffic = browser_page
    for path, (shot, title) in PAGES.items():
        if path in ("what-if", "data"):
            continue  # pictured with a scenario and an upload by the tests below
        page.goto(f"{served}/{path}")
        _settle(page, title)
        if path in ("chain-map", "explorer", "concentration"):
            page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
        if path in ("", "rankings"):
            # the first table shown (the overview's full SPOF list sits folded above it)
            page.locator('[data-testid="stDataFrame"]:visible').first.wait_for()
        _screenshot(page, shot, shots)
        if path in ("chain-map", "explorer"):
            _click_a_node(page, title)
    traffic.check()


def _click_a_node(page: Any, title: str) -> None:
    """Click a point of the graph and wait for the details below to show that node."""
    before = page.get_by_role("heading", level=3).first.inner_text()
    points = page.locator('[data-testid="stVegaLiteChart"] svg g.mark-symbol path')
    points.nth(7).click(force=True)
    page.wait_for_function(
        "(before) => { const h = document.querySelector('[data-testid=\"stMain\"] h3');"
        " return h && h.innerText.trim() !== before.trim(); }", arg=before, timeout=60_000)
    _settle(page, title)


def test_whatif_in_the_browser(served: str, browser_page: tuple[Any, Traffic],
                               shots: Path) -> None:
    page, traffic = browser_page
    page.goto(f"{served}/what-if")
    _settle(page, PAGES["what-if"][1])
    firms = page.get_by_test_id("stMultiSelect").filter(has_text="Firms")
    firms.locator("input").click()
    page.keyboard.type("台积电")  # an alias: the picker finds a firm by any of its names
    page.get_by_role("option", name="Taiwan Semiconductor Manufacturing Co. · TW").click()
    page.keyboard.press("Escape")
    page.get_by_test_id("stMetric").filter(has_text="Nodes that stop").wait_for()
    _settle(page, PAGES["what-if"][1])
    stopped = page.get_by_test_id("stMetric").filter(has_text="Nodes that stop")
    assert "34" in stopped.inner_text()  # docs/risk-model.md, worked example
    page.get_by_label("Scenario name").fill("TSMC lost")
    page.get_by_role("button", name="Save scenario").click()
    page.get_by_test_id("stMultiSelect").filter(has_text="Scenarios to compare").wait_for()
    _settle(page, PAGES["what-if"][1])
    _screenshot(page, PAGES["what-if"][0], shots)
    traffic.check()


def test_download_a_ranking(served: str, browser_page: tuple[Any, Traffic],
                            tmp_path: Path) -> None:
    page, traffic = browser_page
    page.goto(f"{served}/rankings")
    _settle(page, PAGES["rankings"][1])
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Excel workbook (all tables)").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name == "chainrisk-ic.xlsx"
    with zipfile.ZipFile(target) as book:  # an xlsx is a zip of XML parts
        assert "xl/workbook.xml" in book.namelist()
    from openpyxl import load_workbook

    sheets = load_workbook(target, read_only=True).sheetnames
    assert sheets[:4] == ["Summary", "Firms", "Components", "Regions"]
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="This table as shown (CSV)").click()
    csv_path = tmp_path / download.value.suggested_filename
    download.value.save_as(csv_path)
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("rank,id,name")
    assert "ASML" in lines[1]
    traffic.check()


def test_upload_is_checked_before_anything_is_written(
    served: str, browser_page: tuple[Any, Traffic], tmp_path: Path, shots: Path
) -> None:
    page, traffic = browser_page
    bundle = ROOT / "loaders" / "bundles" / "5g"
    archive = tmp_path / "5g.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(bundle.iterdir()):
            z.write(path, f"5g/{path.name}")
    page.goto(f"{served}/data")
    _settle(page, PAGES["data"][1])
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(archive))
    page.get_by_text("Checked: bundle 5g").wait_for(timeout=120_000)
    _settle(page, PAGES["data"][1])
    assert page.get_by_role("button", name="Confirm and load").is_enabled()
    _screenshot(page, PAGES["data"][0], shots)  # the check only: the shared store stays as it is
    traffic.check()


def test_language_switch_in_the_browser(served: str, browser_page: tuple[Any, Traffic],
                                        shots: Path) -> None:
    page, traffic = browser_page
    page.goto(served)
    _settle(page, PAGES[""][1])
    page.get_by_test_id("stSidebar").get_by_role("radio", name="中文").click()
    _settle(page, "集成电路 — 总览")
    assert page.get_by_test_id("stSidebarNav").get_by_text("产业链图谱").count() == 1
    chain = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
    # the picker's shown label follows the language
    assert chain.locator("input").input_value() == "集成电路"
    _screenshot(page, "overview-zh.png", shots)
    # Streamlit's own upload box, worded in Chinese too
    page.get_by_test_id("stSidebarNav").get_by_text("数据管理").click()
    _settle(page, "数据管理")
    box = page.get_by_test_id("stFileUploaderDropzone").first
    box.wait_for()
    # English text Streamlit puts there is not drawn (its size 0, the size line hidden);
    # the Chinese label is drawn in its place
    label = box.locator("button p")
    assert label.evaluate("e => getComputedStyle(e).fontSize") == "0px"
    assert "选择文件上传" in label.evaluate("e => getComputedStyle(e, '::after').content")
    assert not page.get_by_test_id("stFileUploaderDropzoneInstructions").first.is_visible()
    page.get_by_test_id("stSidebarNav").get_by_text("总览").click()
    _settle(page, "集成电路 — 总览")
    page.get_by_test_id("stSidebar").get_by_role("radio", name="English").click()
    _settle(page, PAGES[""][1])
    traffic.check()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
