"""Every page in Chinese: no English word of the catalogue in any text, cell or metric.

The app is driven in Chinese through each page's main views (a component, a firm,
every ranking, a scenario, the Data page with a bundle that has bad rows, a supplier
list with bad rows, a file that is no zip, the load history) and an analysis that
times out. Every text element, widget label, option and help, metric and dataframe
cell is collected and searched for the English side of the catalogue
(:mod:`chainrisk.words`: values such as ``upstream``, ``high``, ``country``,
``warning``, and the pieces of reasons, messages and remedies) and for command-line
flags and repository docs. Ids and the names the data gives stay as written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from tests.catalogue_check import EnglishFinder
from tests.conftest import ROOT, TINY, write_bundle
from tests.ui.conftest import PAGES, AppFactory, as_shown, zip_folder

TEXTS = ("title", "header", "subheader", "markdown", "caption", "text", "info", "success",
         "warning", "error", "toast")
WIDGETS = ("button", "download_button", "checkbox", "toggle", "radio", "selectbox",
           "multiselect", "segmented_control", "pills", "slider", "select_slider",
           "text_input", "number_input", "text_area", "file_uploader", "tabs", "expander",
           "metric")
EXAMPLES = ROOT / "loaders" / "examples"
SUPPLIERS = EXAMPLES / "zte-2026q1-suppliers.csv"
GOOD_LIST = EXAMPLES / "huawei-2026-suppliers.xlsx"
# The problems table shows the cell and the column as the uploaded file writes them.
AS_WRITTEN = ("column", "value", "file")

BAD_BUNDLE: dict[str, str | bytes | None] = {
    "firms.csv": ("id,name,name_zh,aliases,uscc,region,chain_leader,colour\n"
                  "asml,ASML,阿斯麦,,,NL,false,blue\n"
                  "fab,Fab Co.,晶圆厂,,,XX-NOWHERE,false,\n"
                  "fab,Fab Co.,晶圆厂,,,CN,false,\n"
                  "phoneco,Phone Co.,手机公司,,,CN-GD-SZ,maybe,\n"),
    "produces.csv": ("firm,component,share,capacity,site_region,source\n"
                     "asml,euv,100%,,,t\n"
                     "asml,duv,lots,,,t\n"
                     "fab,chip,,,,t\n"
                     "phoneco,phone,0.2,,CN-GD,t\n"),
    "notes.csv": "a,b\n1,2\n",
}


def _names_of(store: Path) -> set[str]:
    """Return the ids and names (English and Chinese) the store's data gives."""
    s = SqliteStore(store)
    try:
        graph = RiskService(s).graph()
        names = {*graph.names, *(n for n in graph.names_zh if n), *graph.ids}
        for info in graph.chains.values():
            names |= {info.name, info.name_zh or ""}
    finally:
        s.close()
    return names


def _tiny_names() -> set[str]:
    names: set[str] = set()
    for text in (*TINY.values(), *BAD_BUNDLE.values()):
        if not isinstance(text, str):
            continue
        for row in csv.DictReader(io.StringIO(text)):
            names |= {row.get("name") or "", row.get("id") or ""}
    return names | {"tiny"}


def _list_cells() -> set[str]:
    """Return the cells of the supplier lists uploaded (names as the lists write them)."""
    text = SUPPLIERS.read_bytes().decode("utf-8-sig", errors="replace")
    cells = {cell.strip() for row in csv.reader(io.StringIO(text)) for cell in row}
    book = openpyxl.load_workbook(GOOD_LIST, read_only=True)
    for sheet in book.worksheets:
        cells |= {str(c).strip() for row in sheet.iter_rows(values_only=True) for c in row
                  if c is not None}
    return cells


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _strings(item)


def _shown(at: AppTest) -> Iterator[tuple[str, str]]:
    """Yield (where, text) for every text the page shows."""
    for kind in TEXTS:
        for element in getattr(at, kind):
            for text in _strings(getattr(element, "value", None)):
                yield kind, text
    for kind in WIDGETS:
        for element in getattr(at, kind):
            for attr in ("label", "help", "placeholder", "options", "delta"):
                try:
                    value = getattr(element, attr, None)
                except Exception:  # an attribute this kind of widget cannot give
                    continue
                for text in _strings(value):
                    yield f"{kind}.{attr}", text
            if kind == "metric":
                yield "metric.value", str(element.value)
    for element in at.dataframe:
        frame: pd.DataFrame = element.value
        problems = {"severity", "reason"} <= set(frame.columns)
        for column in frame.columns:
            if problems and column in AS_WRITTEN:
                continue
            for cell in frame[column]:
                for text in _strings(cell):
                    yield f"dataframe[{column}]", text


def _english(at: AppTest, finder: EnglishFinder, page: str) -> list[tuple[str, str, list[str]]]:
    assert not at.exception, [e.value for e in at.exception]
    return [(f"{page}: {where}", text[:160], found) for where, text in _shown(at)
            if (found := finder.find(text))]



@pytest.fixture
def finder(writable_store: Path) -> EnglishFinder:
    return EnglishFinder(_names_of(writable_store) | _tiny_names() | _list_cells())


def test_every_page_in_chinese_shows_no_english_word_of_the_catalogue(
    make_app: AppFactory, writable_store: Path, finder: EnglishFinder
) -> None:
    at = make_app(store=writable_store, lang="zh")
    found = _english(at, finder, "overview")
    at.switch_page(PAGES["chain-map"]).run()
    at.selectbox(key="map_component").set_value("component:euv-scanner").run()
    found += _english(at, finder, "chain-map")
    at.switch_page(PAGES["explorer"]).run()
    at.selectbox(key="explorer_node").set_value("firm:asml").run()
    found += _english(at, finder, "explorer")
    at.switch_page(PAGES["rankings"]).run()
    for kind in ("firm", "component", "region"):
        at.segmented_control(key="rank_kind").set_value(kind).run()
        found += _english(at, finder, f"rankings/{kind}")
    at.switch_page(PAGES["what-if"]).run()
    found += _english(at, finder, "what-if (empty)")
    at.multiselect(key="whatif_firms").set_value(["firm:tsmc"]).run()
    at.button(key="whatif_save").click().run()
    found += _english(at, finder, "what-if")
    at.switch_page(PAGES["concentration"]).run()
    found += _english(at, finder, "concentration")
    assert not found, "\n".join(map(str, found))


def test_the_data_page_in_chinese_reports_problems_in_chinese(
    make_app: AppFactory, writable_store: Path, finder: EnglishFinder, tmp_path: Path
) -> None:
    at = make_app(store=writable_store, lang="zh")
    at.switch_page(PAGES["data"]).run()
    found = _english(at, finder, "data (history)")
    assert "数据包" in set(_frame(at, "kind", "bundle")["kind"])
    bad = write_bundle(tmp_path / "bad", BAD_BUNDLE)
    at.file_uploader(key="data_bundle_zip").upload("bad.zip", zip_folder(bad)).run()
    problems = _frame(at, "severity", "reason")
    assert {"错误", "警告"} <= set(problems["severity"])
    assert any("载入正确的行，拒绝错误行" in e.value for e in at.error)  # the app's remedy
    found += _english(at, finder, "data (bad bundle)")
    at.radio(key="data_bundle_on_error").set_value("skip").run()
    found += _english(at, finder, "data (bad bundle, skip)")
    at.file_uploader(key="data_suppliers_files").upload(GOOD_LIST.name, GOOD_LIST.read_bytes())
    at.text_input(key="data_suppliers_buyer").set_value("华为").run()
    assert any("尚未写入" in i.value for i in at.info)
    found += _english(at, finder, "data (good supplier list)")
    at.button(key="data_suppliers_confirm").click().run()
    assert any("已导入" in s.value for s in at.success)
    assert "供应商名单" in set(_frame(at, "kind", "bundle")["kind"])
    found += _english(at, finder, "data (imported)")
    at.file_uploader(key="data_suppliers_files").set_value(
        (SUPPLIERS.name, SUPPLIERS.read_bytes(), "text/csv"))
    at.text_input(key="data_suppliers_buyer").set_value("zte").run()
    assert len(_frame(at, "severity", "reason")) >= 2
    found += _english(at, finder, "data (supplier list)")
    at.file_uploader(key="data_bundle_zip").set_value(("notazip.zip", b"hello", "x")).run()
    assert any("zip" in e.value for e in at.error)
    found += _english(at, finder, "data (not a zip)")
    assert not found, "\n".join(map(str, found))


def test_an_error_in_chinese_is_worded_in_chinese(
    make_app: AppFactory, writable_store: Path, finder: EnglishFinder,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from chainrisk.errors import AnalysisTimeout
    from chainrisk.ui import frames

    def slow(*args: object, **kwargs: object) -> None:
        raise AnalysisTimeout("the concentration did not finish within 1 s",
                              code="timeout.analysis",
                              params={"seconds": "1", "setting": "CHAINRISK_ANALYSIS_SECONDS"})

    monkeypatch.setattr(frames, "concentration_frame", slow)
    at = make_app(store=writable_store, lang="zh")
    (message,) = [as_shown(e.value) for e in at.error]
    assert message.startswith("分析超时")
    assert "CHAINRISK_ANALYSIS_SECONDS" in message
    assert not _english(at, finder, "overview (timeout)")


def _frame(at: AppTest, *columns: str) -> pd.DataFrame:
    for element in at.dataframe:
        if set(columns) <= set(element.value.columns):
            return element.value
    raise AssertionError(f"no table with columns {columns}")
