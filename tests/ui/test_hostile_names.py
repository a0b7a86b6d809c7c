"""Names are text: a firm or component named with Markdown, HTML or link syntax shows as
those characters on every page, and the browser fetches nothing for it; and no table
offers Streamlit's own CSV download, which writes cells without the formula guard.

The AppTest part reads every element Streamlit renders as Markdown (titles, headers,
captions, messages, ``st.markdown``) and requires the hostile names there only in
escaped form; the browser part opens the pages in Chromium against the real server and
requires no request to the beacon's address, and no image or link pointing at it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from chainrisk.ingest.load import load_bundle
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import TINY, write_bundle
from tests.ui import attacker
from tests.ui.conftest import PAGES, AppFactory

BEACON = "198.51.100.7"
FIRM = f"![x](http://{BEACON}/beacon.png) [Sign in again](http://{BEACON}/) :red[red] $x^2$"
PART = f"<img src=http://{BEACON}/b.png> <a href=http://{BEACON}/a>link</a> **bold**"
# what may never reach Markdown unescaped: each would become an image, a link or markup
RAW = ("![x](", "](http", "<img", "<a href", ":red[", "$x^2$", "**bold**")


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a store of the tiny bundle whose fab and chip have hostile names."""
    folder = tmp_path_factory.mktemp("hostile")
    firms = list(csv.reader(io.StringIO(TINY["firms.csv"])))
    for row in firms[1:]:
        if row[0] == "fab":
            row[1], row[2], row[3] = FIRM, FIRM, ""
    comps = list(csv.reader(io.StringIO(TINY["components.csv"])))
    for row in comps[1:]:
        if row[0] == "chip":
            row[1], row[2] = PART, PART
    bundle = write_bundle(folder / "b", {"firms.csv": _csv(firms),
                                         "components.csv": _csv(comps)})
    store = SqliteStore(folder / "hostile.db")
    try:
        report = load_bundle(store, bundle)
        assert report.ok, report.to_text()
    finally:
        store.close()
    return folder / "hostile.db"


def _markdown_texts(at: AppTest) -> list[str]:
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "info",
                 "warning", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def _raw(texts: list[str]) -> list[str]:
    """Return the texts holding a hostile token outside an escape (``\\x`` pairs dropped)."""
    return [t for t in texts if any(r in re.sub(r"\\.", "", t) for r in RAW)]


def test_hostile_names_reach_markdown_only_escaped(make_app: AppFactory,
                                                  hostile_store: Path) -> None:
    at = make_app(store=hostile_store, lang="en")
    seen: list[str] = []
    for page in ("overview", "chain-map", "explorer", "rankings", "what-if",
                 "concentration", "data"):
        at.switch_page(PAGES[page]).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        if page == "explorer":
            at.selectbox(key="explorer_node").set_value("firm:fab").run()
        if page == "chain-map":
            at.selectbox(key="map_component").set_value("component:chip").run()
        texts = _markdown_texts(at)
        assert not _raw(texts), (page, _raw(texts))
        seen += texts
    # the names were shown (escaped), not dropped
    shown = "\n".join(seen)
    assert r"\!\[x\]\(http\:" in shown
    assert r"\<img src\=http\:" in shown


@pytest.fixture(scope="module")
def served_hostile(hostile_store: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[attacker.Server]:
    with attacker.serve(hostile_store, None, tmp_path_factory.mktemp("hostile-home")) as s:
        yield s


def test_the_browser_fetches_nothing_for_a_hostile_name(
    served_hostile: attacker.Server,
) -> None:
    from tests.ui.test_browser import offline_browser

    outside: list[str] = []
    with offline_browser(outside) as (_, page):
        for path, title in (("", "Phones — overview"), ("chain-map", "Phones — chain map"),
                            ("rankings", "Phones — rankings")):
            page.goto(f"{served_hostile.base}/{path}")
            page.get_by_role("heading", level=1).filter(has_text=title).wait_for(
                timeout=120_000)
            page.wait_for_timeout(1500)
            bad = page.evaluate(
                """(beacon) => [...document.querySelectorAll('img[src], a[href]')]
                   .filter(e => (e.getAttribute('src') || e.getAttribute('href'))
                   .includes(beacon)).map(e => e.outerHTML.slice(0, 300) + ' IN ' +
                   (e.closest('[data-testid]') || e).getAttribute('data-testid'))""",
                BEACON)
            assert bad == [], (path, bad)
        # Streamlit's own "Download as CSV" (no formula guard) is not offered
        page.goto(f"{served_hostile.base}/rankings")
        table = page.locator('[data-testid="stDataFrame"]').first
        table.wait_for(timeout=120_000)
        table.hover()
        page.wait_for_timeout(800)
        toolbar = page.locator('[data-testid="stElementToolbar"] button')
        labels = [toolbar.nth(i).get_attribute("aria-label") for i in range(toolbar.count())]
        assert "Search" in labels  # the toolbar is there
        csv_button = page.locator('button[aria-label="Download as CSV"]')
        assert all(not csv_button.nth(i).is_visible() for i in range(csv_button.count()))
        # the chain map shows the hostile component's name as written
        page.goto(f"{served_hostile.base}/chain-map")
        page.get_by_role("heading", level=1).filter(has_text="chain map").wait_for(
            timeout=120_000)
        page.wait_for_timeout(1500)
        shown = page.inner_text("body").replace("\u2060", "")  # (an invisible joiner)
        assert f"<img src=http://{BEACON}/b.png>" in shown
    assert not [u for u in outside if BEACON in u], outside
    assert not outside, outside
