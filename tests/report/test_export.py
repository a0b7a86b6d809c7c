"""Exports: the workbook a new user can read, CSV and JSON, all formula-safe, all round-trip."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from chainrisk.cli import main
from chainrisk.ingest.load import load_bundle
from chainrisk.report import build_tables, export
from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import BUNDLES, TINY, write_bundle

EVIL = '=HYPERLINK("http://x","click")'
SHEETS_EN = ["Summary", "Firms", "Components", "Regions", "Single points of failure",
             "Scenario", "Coverage", "Self-reliance", "Gaps and targets", "Substitutes",
             "Data quality"]


@pytest.fixture(scope="module")
def ic(tmp_path_factory: pytest.TempPathFactory) -> RiskService:
    store = SqliteStore(tmp_path_factory.mktemp("ic") / "s.db")
    load_bundle(store, BUNDLES / "ic")
    load_bundle(store, BUNDLES / "5g")
    return RiskService(store)


def test_ic_workbook(ic: RiskService, tmp_path: Path) -> None:
    scenario = ic.simulate(["region:NL"])
    tables = build_tables(ic, "ic", scenario=scenario)
    path = tmp_path / "ic.xlsx"
    export(tables, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS_EN
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")
    firms = book["Firms"]
    header = [c.value for c in firms[1]]
    assert header[:3] == ["Rank", "Firm id", "Name"]
    first = dict(zip(header, firms[2], strict=True))
    ranking = ic.rank("ic")
    top = next(r for r in ranking.rows if r.kind == "firm")
    assert first["Firm id"].value == top.id == "firm:asml"
    assert first["Risk score"].value == pytest.approx(top.score)
    assert first["Risk score"].number_format == "0.000"
    assert first["Output lost"].number_format == "0.0%"
    assert first["Output lost"].value == pytest.approx(top.output_lost)
    assert first["Worst HHI by country"].number_format == "#,##0"
    assert isinstance(first["Targets lost"].value, int)
    # every firm of the ranking is there, in order, with every part
    ids = [row[1] for row in firms.iter_rows(min_row=2, values_only=True)]
    assert ids == [r.id for r in ranking.rows if r.kind == "firm"]
    comp_rows = list(book["Components"].iter_rows(values_only=True))
    comps = {row[0]: dict(zip(comp_rows[0], row, strict=True)) for row in comp_rows[1:]}
    euv = ic.concentration().row("component:euv-scanner")
    assert comps["component:euv-scanner"]["HHI by firm"] == pytest.approx(euv.hhi_firm)
    assert comps["component:euv-scanner"]["One country over 65 %"] is True
    # names beside ids: the reader sees who, not only an id
    assert comps["component:euv-scanner"]["Top producer"] == "ASML"
    assert comps["component:euv-scanner"]["Top country"] == "Netherlands"
    spof = list(book["Single points of failure"].iter_rows(min_row=2,
                                                                       values_only=True))
    assert ("component:ai-accelerator", "firm:asml") in {(r[0], r[3]) for r in spof}
    scen = {row[0]: row for row in book["Scenario"].iter_rows(min_row=2, values_only=True)}
    assert scen["firm:asml"][4] == 0.0
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2,
                                                                   values_only=True)}
    assert summary["Scenario / 情景"] == "region:NL"
    assert "targets_lost_share 0.35" in summary["Weights / 权重"]


def test_chinese_headers(ic: RiskService, tmp_path: Path) -> None:
    path = tmp_path / "zh.xlsx"
    export(build_tables(ic, "5g"), path, lang="zh")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:3] == ["概要", "企业风险排名", "关键环节与卡脖子"]
    header = [c.value for c in book["企业风险排名"][1]]
    assert header[:5] == ["排名", "企业编号", "名称", "中文名称", "与本链关系"]
    assert "风险评分" in header


def test_csv_and_json_round_trip(ic: RiskService, tmp_path: Path) -> None:
    tables = build_tables(ic, "ic")
    export(tables, tmp_path / "out.zip")
    export(tables, tmp_path / "folder")
    export(tables, tmp_path / "out.json")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        names = archive.namelist()
        raw = archive.read("firms.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Chinese correctly
    assert sorted(names) == sorted(p.name for p in (tmp_path / "folder").iterdir())
    with (tmp_path / "folder" / "firms.csv").open(encoding="utf-8-sig", newline="") as h:
        rows = list(csv.DictReader(h))
    firms = tables.table("firms")
    assert len(rows) == len(firms.rows)
    for row, expected in zip(rows, firms.records(), strict=True):
        assert row["Firm id"] == expected["id"]
        assert float(row["Risk score"]) == pytest.approx(expected["score"])
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert data["metadata"]["chain"] == "ic"
    assert data["tables"]["firms"]["rows"] == [
        dict(r.items()) for r in firms.records()
    ]


def test_formula_names_stay_text_in_every_format(tmp_path: Path) -> None:
    firms = TINY["firms.csv"].replace("asml,ASML,", f'asml,"{EVIL.replace(chr(34), chr(34) * 2)}",')
    store = SqliteStore(tmp_path / "s.db")
    load_bundle(store, write_bundle(tmp_path / "b", {"firms.csv": firms}))
    service = RiskService(store)
    tables = build_tables(service, "phone")
    export(tables, tmp_path / "x.xlsx")
    export(tables, tmp_path / "x.zip")
    export(tables, tmp_path / "x.json")
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells
    for cell in cells:
        assert cell.data_type == "s"  # a string, not a formula
        if "→" not in cell.value:  # a failure path names it inside the text, not first
            assert cell.value.startswith("'=") or cell.quotePrefix
    with zipfile.ZipFile(tmp_path / "x.zip") as archive:
        text = archive.read("firms.csv").decode("utf-8-sig")
    assert f"'{EVIL}" in text.replace('""', '"')
    assert f",{EVIL}" not in text.replace('""', '"')
    data = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))
    names = [r["name"] for r in data["tables"]["firms"]["rows"]]
    assert "'" + EVIL in names
    assert EVIL not in names


def test_export_command(ic: RiskService, tmp_path: Path) -> None:
    scenario = tmp_path / "s.txt"
    scenario.write_text("# what if\nregion:NL\nfirm:tsmc\n", encoding="utf-8")
    code = main(["--store", ic.store.url, "export", "--chain", "ic", "--out",
                 str(tmp_path / "a.xlsx"), "--scenario", str(scenario)])
    assert code == 0
    assert "Scenario" in openpyxl.load_workbook(tmp_path / "a.xlsx").sheetnames
    assert main(["--store", ic.store.url, "export", "--chain", "ic", "--out",
                 str(tmp_path / "a.pdf")]) == 2
