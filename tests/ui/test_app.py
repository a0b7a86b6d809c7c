"""AppTest runs of every page: no exception, widgets driven by key, language, uploads.

Pages are switched to by file (each page module is also a page script); widgets are
found by their ``key=``. The sample store is shared and never written; upload tests
load into a private copy or an empty store.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, write_bundle
from tests.ui.conftest import PAGES, AppFactory, as_shown, zip_folder

TITLES = {
    "en": ("overview", "chain map", "Explorer", "rankings", "what-if", "concentration", "Data"),
    "zh": ("总览", "产业链图谱", "供应关系探查", "风险排名", "情景推演", "集中度", "数据管理"),
}

# How shell.guard starts the messages of library errors (en, zh).
GUARD_MESSAGES = ("The input cannot be used", "The store failed", "输入有误", "数据库不可用")


def _open(at: AppTest, page: str) -> AppTest:
    """Return ``at`` after running it on ``page`` (the factory's first run registered pages)."""
    at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frame(at: AppTest, *columns: str) -> pd.DataFrame:
    """Return the first table shown with all of ``columns`` (AppTest finds no table by key)."""
    for element in at.dataframe:
        frame = element.value
        if set(columns) <= set(frame.columns):
            return frame
    raise AssertionError(f"no table with columns {columns}")


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [i.value for i in at.info]
    parts += [s.value for s in at.success] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders_in_both_languages(make_app: AppFactory, lang: str) -> None:
    at = make_app(lang=lang)
    for page, title in zip(PAGES, TITLES[lang], strict=True):
        _open(at, page)
        assert title in at.title[0].value, (page, at.title[0].value)
        failures = [e.value for e in at.error if e.value.startswith(GUARD_MESSAGES)]
        assert not failures, (page, failures)


def test_language_switch_in_the_sidebar(make_app: AppFactory) -> None:
    at = _open(make_app(lang="en"), "overview")
    assert at.title[0].value == "Integrated circuits — overview"
    assert at.metric[0].label == "Firms"
    at.segmented_control(key="lang").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "集成电路 — 总览"
    assert at.metric[0].label == "企业"
    at.switch_page(PAGES["rankings"]).run()
    names = set(_frame(at, "rank", "score")["name"])
    assert "阿斯麦" in names  # firm names in the chosen language where the data has them


def test_overview_headline_and_chain_picker(make_app: AppFactory) -> None:
    at = _open(make_app(), "overview")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Components"] == "87"
    assert int(metrics["Single points of failure"]) > 0
    top = _frame(at, "rank", "score", "kind")
    assert list(top["name"])[:3] == ["Japan", "Tokyo", "ASML"]
    assert "Data version" in _texts(at)
    at.selectbox(key="chain").set_value("5g").run()
    assert not at.exception
    assert at.title[0].value == "5G — overview"
    assert {m.label: m.value for m in at.metric}["Components"] == "96"


def test_chain_map_component_panel(make_app: AppFactory) -> None:
    at = _open(make_app(), "chain-map")
    at.selectbox(key="map_component").set_value("component:euv-scanner").run()
    assert not at.exception
    assert at.subheader[0].value == "EUV lithography scanner"
    producers = _frame(at, "firm", "share", "given")
    assert list(producers["firm"]) == ["ASML"]
    assert "Losing it alone stops" in _texts(at)


def test_explorer_tiers_filters_and_details(make_app: AppFactory) -> None:
    at = _open(make_app(), "explorer")
    at.selectbox(key="explorer_node").set_value("firm:asml")
    at.slider(key="explorer_up").set_value(1)
    at.slider(key="explorer_down").set_value(2)
    at.run()
    assert not at.exception
    assert at.subheader[0].value == "ASML"
    summary = _texts(at)
    assert "nodes" in summary
    assert "links shown" in summary
    at.multiselect(key="explorer_regions").set_value(["region:NL"]).run()
    assert not at.exception
    at.multiselect(key="explorer_stages").set_value(["upstream"]).run()
    assert not at.exception


def test_rankings_kinds_filters_and_sorting(make_app: AppFactory) -> None:
    at = _open(make_app(), "rankings")
    table = _frame(at, "rank", "score")
    assert table["name"].iloc[0] == "ASML"
    assert {"score", "targets_lost", "output_lost", "nodes_lost", "sole_source_links",
            "concentration", "betweenness", "articulation_point"} <= set(table.columns)
    at.segmented_control(key="rank_kind").set_value("component")
    at.text_input(key="rank_search").set_value("EUV")
    at.run()
    names = list(_frame(at, "rank", "score")["name"])
    assert names
    assert all("EUV" in n for n in names)
    at.selectbox(key="rank_sort").set_value("name")
    at.toggle(key="rank_ascending").set_value(True)
    at.run()
    names = list(_frame(at, "rank", "score")["name"])
    assert names == sorted(names)
    at.segmented_control(key="rank_kind").set_value("region")
    at.text_input(key="rank_search").set_value("")
    at.toggle(key="rank_only_critical").set_value(True)
    at.run()
    regions = _frame(at, "rank", "score")
    assert len(regions)
    assert (regions["targets_lost"] > 0).all()
    assert len(at.download_button) == 3


def test_whatif_scenarios_saved_and_compared(make_app: AppFactory) -> None:
    at = _open(make_app(), "what-if")
    assert "Pick at least one" in _texts(at)
    at.multiselect(key="whatif_firms").set_value(["firm:tsmc"]).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Nodes that stop"] == "34"  # docs/risk-model.md, worked example
    targets = _frame(at, "role", "after", "stops")
    accelerator = targets[targets["name"].str.startswith("Data-centre AI accelerator / GPU")]
    assert accelerator["stops"].all()
    at.text_input(key="whatif_name").set_value("TSMC lost")
    at.button(key="whatif_save").click().run()
    at.multiselect(key="whatif_firms").set_value([])
    at.multiselect(key="whatif_regions").set_value(["region:NL"]).run()
    assert {m.label: m.value for m in at.metric}["Nodes that stop"] == "96"
    at.button(key="whatif_save").click().run()
    assert at.multiselect(key="whatif_compare").value == ["TSMC lost", "Scenario 2"]
    wide = _frame(at, "TSMC lost")
    assert list(wide.columns) == ["name", "TSMC lost", "Scenario 2"]
    assert len(at.download_button) == 2


def test_concentration_charts_and_table(make_app: AppFactory) -> None:
    at = _open(make_app(), "concentration")
    at.slider(key="conc_top").set_value(10).run()
    assert not at.exception
    table = _frame(at, "hhi_country", "hhi_firm")
    assert table["hhi_country"].iloc[0] == 10000
    countries = _frame(at, "country", "supply_share")
    assert "Japan" in set(countries["country"])
    assert not _frame(at, "province", "domestic_share").empty



def test_data_upload_bundle_check_then_load(make_app: AppFactory, tmp_path: Path) -> None:
    at = _open(make_app(store=tmp_path / "empty.db"), "data")
    bundle = write_bundle(tmp_path / "tiny", {})
    at.file_uploader(key="data_bundle_zip").upload("tiny.zip", zip_folder(bundle),
                                                   "application/zip")
    at.run()
    assert not at.exception
    assert any("Nothing is written yet" in i.value for i in at.info)
    assert _frame(at, "table", "read", "rejected")["read"].sum() > 0
    at.button(key="data_bundle_confirm").click().run()
    assert not at.exception
    assert any("Loaded bundle tiny" in s.value for s in at.success)
    history = _frame(at, "bundle", "checksum")
    assert list(history["bundle"]) == ["tiny"]
    # the new chain is now in the sidebar and the overview shows it
    assert at.selectbox(key="chain").value == "phone"
    at.switch_page(PAGES["overview"]).run()
    assert at.title[0].value == "Phones — overview"


def test_data_upload_bad_bundle_shows_every_problem(make_app: AppFactory, tmp_path: Path
                                                   ) -> None:
    at = _open(make_app(store=tmp_path / "empty.db"), "data")
    bad = write_bundle(tmp_path / "bad", {
        "firms.csv": "id,name,region\nasml,ASML,NL\nfab,Fab,XX-NOWHERE\nphoneco,Phone Co.,CN\n",
    })
    at.file_uploader(key="data_bundle_zip").upload("bad.zip", zip_folder(bad)).run()
    assert not at.exception
    assert at.error
    assert "nothing was loaded" in at.error[0].value
    problems = _frame(at, "severity", "reason")
    assert "XX-NOWHERE" in set(problems["value"])
    assert at.button(key="data_bundle_confirm").disabled
    at.radio(key="data_bundle_on_error").set_value("skip").run()
    assert not at.button(key="data_bundle_confirm").disabled
    at.file_uploader(key="data_bundle_zip").set_value(("notazip.zip", b"hello", "x")).run()
    assert at.error
    assert "not a zip archive" in at.error[0].value


def test_data_upload_supplier_lists(make_app: AppFactory, writable_store: Path) -> None:
    at = _open(make_app(store=writable_store), "data")
    examples = ROOT / "loaders" / "examples"
    xlsx = (examples / "huawei-2026-suppliers.xlsx").read_bytes()
    at.file_uploader(key="data_suppliers_files").upload("huawei-2026-suppliers.xlsx", xlsx)
    at.text_input(key="data_suppliers_buyer").set_value("华为")
    at.run()
    assert not at.exception
    assert any("rows read 6 = loaded 6" in i.value for i in at.info), [i.value for i in at.info]
    at.button(key="data_suppliers_confirm").click().run()
    assert any("Imported" in s.value for s in at.success)
    assert "suppliers:" in " ".join(_frame(at, "bundle", "checksum")["bundle"])
    # a list with bad rows: nothing to confirm until the officer chooses to skip them
    at.file_uploader(key="data_suppliers_files").set_value(
        ("zte-2026q1-suppliers.csv", (examples / "zte-2026q1-suppliers.csv").read_bytes(),
         "text/csv"))
    at.text_input(key="data_suppliers_buyer").set_value("zte")
    at.run()
    assert at.error
    assert at.button(key="data_suppliers_confirm").disabled
    assert len(_frame(at, "severity", "reason")) >= 2


def test_empty_store_says_how_to_load(make_app: AppFactory, tmp_path: Path) -> None:
    at = make_app(store=tmp_path / "empty.db")
    for page in PAGES:
        _open(at, page)
    at.switch_page(PAGES["overview"]).run()
    assert "The store holds no chain yet" in at.info[0].value


def test_an_upload_over_the_limit_is_refused_with_its_size_and_the_setting(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINRISK_MAX_UPLOAD_BYTES", "1000")
    at = _open(make_app(store=tmp_path / "empty.db"), "data")
    assert "Up to 1000 bytes per file" in _texts(at)
    data = zip_folder(write_bundle(tmp_path / "tiny", {}))
    assert len(data) > 1000
    at.file_uploader(key="data_bundle_zip").upload("tiny.zip", data, "application/zip").run()
    assert not at.exception
    (message,) = [as_shown(e.value) for e in at.error]
    assert message.startswith(f"tiny.zip is {len(data) / 1024:.3g} KB, over the upload limit "
                              "of 1000 bytes; nothing was done with it.")
    assert "CHAINRISK_MAX_UPLOAD_BYTES" in message
    assert "data_bundle_confirm" not in [b.key for b in at.button]
    at.file_uploader(key="data_suppliers_files").upload("big.csv", b"x" * 1001, "text/csv").run()
    assert any(as_shown(e.value).startswith("big.csv is 1001 bytes, over the upload limit")
               for e in at.error)


def test_a_bundle_over_the_row_limit_is_refused_with_the_setting(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINRISK_MAX_ROWS", "2")
    at = _open(make_app(store=tmp_path / "empty.db"), "data")
    data = zip_folder(write_bundle(tmp_path / "tiny", {}))
    at.file_uploader(key="data_bundle_zip").upload("tiny.zip", data, "application/zip").run()
    assert not at.exception
    (message,) = [as_shown(e.value) for e in at.error]
    assert message.startswith("Over a limit: ")
    assert "CHAINRISK_MAX_ROWS" in message
    assert at.button(key="data_bundle_confirm").disabled


def test_an_analysis_that_times_out_says_so(
    make_app: AppFactory, writable_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chainrisk.errors import AnalysisTimeout
    from chainrisk.ui import frames

    def slow(*args: object, **kwargs: object) -> None:
        raise AnalysisTimeout("the SPOF analysis ran past 600 s: set "
                              "CHAINRISK_ANALYSIS_SECONDS higher (0 = no limit)")

    said = ("The analysis took too long and was stopped; nothing was changed: the SPOF "
            "analysis ran past 600 s: set CHAINRISK_ANALYSIS_SECONDS higher (0 = no limit)")
    # a fresh store, so that nothing is cached; the overview asks for the concentration
    # outside a guard of its own: the app's guard around every page catches it
    monkeypatch.setattr(frames, "concentration_frame", slow)
    at = make_app(store=writable_store)
    assert not at.exception
    assert [as_shown(e.value) for e in at.error] == [said]
    assert at.title[0].value == "Integrated circuits — overview"
    monkeypatch.setattr(frames, "ranking_frame", slow)
    _open(at, "rankings")
    assert [as_shown(e.value) for e in at.error] == [said]
    assert not at.dataframe
