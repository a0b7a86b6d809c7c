"""Importing supplier lists: messy files in, every row accounted for, nothing merged on a guess."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from chainrisk.errors import UsageError, ValidationFailed
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.suppliers import import_suppliers
from chainrisk.schema import OnError
from chainrisk.store.sqlite import SqliteStore


@pytest.fixture
def chain(store: SqliteStore, tiny: Path) -> SqliteStore:
    """Return a store holding the tiny bundle (fab has a credit code, aliases Fab, 晶圆)."""
    load_bundle(store, tiny)
    return store


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


HEADER = ["供应商名称", "统一社会信用代码", "所在地", "采购物料", "采购占比", "采购金额（万元）"]


def firms(store: SqliteStore) -> dict[str, dict[str, object]]:
    return {r["id"]: r for r in store.iter_rows("firms")}


def supplies(store: SqliteStore) -> dict[tuple[str, str, str], dict[str, object]]:
    return {(r["supplier"], r["buyer"], r["component"]): r for r in store.iter_rows("supplies")}


def test_chinese_csv_with_one_buyer(chain: SqliteStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", [
        HEADER,
        ["晶圆厂有限公司", "", "深圳市", "芯片", "61%", "1,200"],      # alias + legal suffix
        ["Another Name", "91350100M000100Y43", "", "Chip", "0.3", ""],  # credit code wins
        ["新材料股份有限公司", "", "广东", "光刻胶", "9", ""],           # new firm, new part
        ["新材料有限公司", "", "广东", "光刻胶", "1%", "5"],             # same firm and part
    ])
    report = import_suppliers(chain, [path], buyer="phoneco")
    assert report.read == 4
    assert (report.loaded, report.rejected, report.merged) == (2, 0, 2)
    assert report.columns["list.csv"]["供应商名称"] == "supplier"
    rows = supplies(chain)
    fab = rows[("fab", "phoneco", "chip")]
    assert fab["share"] == pytest.approx(0.91)  # 61 % + 30 % merged
    assert fab["volume"] == pytest.approx(1200.0)
    new_firm = next(i for i, f in firms(chain).items() if f["name"] == "新材料股份有限公司")
    assert firms(chain)[new_firm]["region"] == "CN-GD"
    new_part = next(k for k in rows if k[0] == new_firm)
    assert rows[new_part]["share"] == pytest.approx(0.10)  # 9 % + 1 % (bare numbers are %)
    assert [n for _, n in report.created["firms"]] == ["新材料股份有限公司"]
    # the supplier now makes what it supplies
    assert (new_firm, new_part[2]) in {(r["firm"], r["component"])
                                       for r in chain.iter_rows("produces")}


def test_second_import_changes_nothing_and_dry_run_writes_nothing(
    chain: SqliteStore, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "list.csv", [
        HEADER, ["New Supplier Ltd.", "", "Japan", "Glass", "50%", ""],
    ])
    version = chain.data_version()
    dry = import_suppliers(chain, [path], buyer="phoneco", dry_run=True)
    assert dry.loaded == 1
    assert chain.data_version() == version
    first = import_suppliers(chain, [path], buyer="phoneco")
    assert first.load.table("firms").inserted == 1
    version = chain.data_version()
    second = import_suppliers(chain, [path], buyer="phoneco")
    assert all(c.inserted == c.updated == 0 for c in second.load.counts.values())
    assert chain.data_version() == version
    # the buyer named by its name resolves to the same firm: only the resolution is new
    third = import_suppliers(chain, [path], buyer="Phone Co.")
    assert all(c.inserted == c.updated == 0 for c in third.load.counts.values())
    assert ("list.csv", "firm", "Phone Co.", "phoneco") in chain.resolutions()


def test_workbook_with_title_rows_and_two_sheets(chain: SqliteStore, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "一季度"
    sheet.append(["2026年一季度供应商清单"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(["序号", "供應商名稱", "採購物料", "占比", "需方"])
    sheet.append([1, "Fab Co.", "Chip", 0.5, "Phone Co."])
    sheet.append([2, "ASML", "EUV scanner", "100%", "fab"])
    other = book.create_sheet("二季度")
    other.append(["supplier name", "component", "share", "buyer"])
    other.append(["ASML", "DUV scanner", "", "fab"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    report = import_suppliers(chain, [path])
    assert report.read == 3
    assert report.loaded == 3
    assert "序号" in report.ignored["book.xlsx[一季度]"]
    rows = supplies(chain)
    assert ("asml", "fab", "euv") in rows
    assert ("asml", "fab", "duv") in rows
    assert rows[("fab", "phoneco", "chip")]["share"] == pytest.approx(0.5)


def test_gb18030_csv_is_detected(chain: SqliteStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", [HEADER, ["晶圆厂", "", "", "芯片", "20%", ""]],
                     encoding="gb18030")
    report = import_suppliers(chain, [path], buyer="phoneco")
    assert report.loaded == 1


def test_bad_rows_are_reported_and_nothing_loads(chain: SqliteStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", [
        HEADER,
        ["", "", "", "芯片", "20%", ""],                  # no supplier
        ["晶圆厂", "123", "", "芯片", "20%", ""],          # bad credit code
        ["晶圆厂", "", "", "芯片", "150%", ""],            # share above 100 %
        ["ASML", "", "", "EUV scanner", "", ""],          # good
    ])
    before = supplies(chain)
    with pytest.raises(ValidationFailed) as caught:
        import_suppliers(chain, [path], buyer="phoneco")
    places = {(p.file, p.line, p.column) for p in caught.value.report.errors}
    assert places == {
        ("bad.csv", 2, "供应商名称"), ("bad.csv", 3, "统一社会信用代码"),
        ("bad.csv", 4, "采购占比"),
    }
    assert supplies(chain) == before
    report = import_suppliers(chain, [path], buyer="phoneco", on_error=OnError.SKIP)
    assert (report.read, report.loaded, report.rejected, report.merged) == (4, 1, 3, 0)
    assert [r.line for r in report.load.rejected_rows] == [2, 3, 4]
    assert report.load.rejected_rows[1].cells["统一社会信用代码"] == "123"


def test_no_buyer_is_a_clear_error(chain: SqliteStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", [HEADER, ["ASML", "", "", "EUV scanner", "", ""]])
    with pytest.raises(ValidationFailed) as caught:
        import_suppliers(chain, [path])
    assert "--buyer" in caught.value.report.errors[0].reason


def test_mapping_file_and_unknown_header(chain: SqliteStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "odd.csv", [
        ["供货商全称", "东西", "买家"], ["ASML", "EUV scanner", "fab"],
    ])
    with pytest.raises(ValidationFailed, match="nothing was imported"):
        import_suppliers(chain, [path])
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  东西: component\n  买家: buyer\n  供货商全称: supplier\n",
                       encoding="utf-8")
    report = import_suppliers(chain, [path], mapping=mapping)
    assert report.loaded == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("colums: {}\n", encoding="utf-8")
    with pytest.raises(UsageError, match="unknown key"):
        import_suppliers(chain, [path], mapping=bad)


def test_resolutions_are_kept_and_can_be_edited(chain: SqliteStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", [HEADER, ["Fab Works", "", "", "芯片", "", ""]])
    report = import_suppliers(chain, [path], buyer="phoneco")
    new_id = report.created["firms"][0][0]
    assert ("list.csv", "firm", "Fab Works", new_id) in chain.resolutions("list.csv")
    # an officer decides "Fab Works" is the fab and says so
    chain.save_resolutions([("list.csv", "firm", "Fab Works", "fab")])
    again = import_suppliers(chain, [path], buyer="phoneco")
    assert "firms" not in again.created
    assert ("fab", "phoneco", "chip") in supplies(chain)


def test_near_matches_are_suggested_not_merged(chain: SqliteStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", [HEADER, ["Phone Coo", "", "", "Chip", "", ""]])
    report = import_suppliers(chain, [path], buyer="fab")
    assert report.created["firms"]
    assert any(s[2] == "phoneco" for s in report.suggestions)


def test_regions_resolve_from_free_text(chain: SqliteStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", [
        HEADER,
        ["甲公司", "", "日本", "Chip", "", ""],
        ["乙公司", "", "Shenzhen", "Chip", "", ""],
        ["丙公司", "", "火星基地", "Chip", "", ""],
        ["丁公司", "", "", "Chip", "", ""],
    ])
    import_suppliers(chain, [path], buyer="phoneco")
    regions = {f["name"]: f["region"] for f in firms(chain).values()}
    assert regions["甲公司"] == "JP"
    assert regions["乙公司"] == "CN-GD-SZ"
    assert str(regions["丙公司"]).startswith("XX-")
    assert regions["丁公司"] == "XX"
    unknown = {r["id"]: r for r in chain.iter_rows("regions")}
    assert unknown["JP"]["level"] == "country"


def test_store_upgrades_from_schema_version_1(tmp_path: Path) -> None:
    import sqlite3

    store = SqliteStore(tmp_path / "old.db")
    store.close()
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute("DROP TABLE resolutions")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    upgraded = SqliteStore(tmp_path / "old.db")
    assert upgraded.resolutions() == []
    upgraded.close()


def test_long_file_and_an_unmappable_sheet(chain: SqliteStore, tmp_path: Path) -> None:
    rows = [["某某公司2026年供应商名录"], [], ["制表：采购部"], HEADER]
    rows += [[f"供应商{i:03d}", "", "广东", f"零件{i % 7}", "", ""] for i in range(60)]
    long = write_csv(tmp_path / "long.csv", rows)
    report = import_suppliers(chain, [long], buyer="phoneco")
    assert (report.read, report.loaded) == (60, 60)
    book = openpyxl.Workbook()
    good = book.active
    assert good is not None
    good.append(["supplier", "component"])
    good.append(["ASML", "EUV scanner"])
    odd = book.create_sheet("notes")
    odd.append(["随便", "什么"])
    odd.append(["a", "b"])
    path = tmp_path / "mixed.xlsx"
    book.save(path)
    # a sheet without a header is skipped, with a warning, when another sheet has one
    mixed = import_suppliers(chain, [path], buyer="fab", dry_run=True)
    assert (mixed.read, mixed.loaded, mixed.rejected) == (1, 1, 0)
    assert [(w.file, w.code) for w in mixed.load.warnings] == [
        ("mixed.xlsx[notes]", "sheet.skipped_no_header")
    ]
    # named with --sheet, it is an error and its rows are rejected
    with pytest.raises(ValidationFailed) as caught:
        import_suppliers(chain, [path], buyer="fab", sheet="notes")
    problems = caught.value.report
    assert any("no header row" in e.reason for e in problems.errors)
    assert [(r.file, r.line) for r in problems.rejected_rows] == [
        ("mixed.xlsx[notes]", 1), ("mixed.xlsx[notes]", 2)
    ]


def _warnings(report: object, code: str) -> list[str]:
    return [w.reason for w in report.load.warnings if w.code == code]  # type: ignore[attr-defined]


def test_a_destination_column_is_not_the_supplier_s_region(chain: SqliteStore,
                                                           tmp_path: Path) -> None:
    """A delivery history's Country is where the goods went: Roche Basel stays unplaced,
    not in Viet Nam."""
    path = write_csv(tmp_path / "deliveries.csv", [
        ["Supplier", "Component", "Country", "Destination"],
        ["Roche Basel", "Chip", "Viet Nam", "VN"],
        ["Roche Basel", "Chip", "Mozambique", "MZ"],
    ])
    report = import_suppliers(chain, [path], buyer="phoneco")
    assert report.columns["deliveries.csv"]["Country"] == "destination"
    regions = {f["name"]: f["region"] for f in firms(chain).values()}
    assert regions["Roche Basel"] == "XX"
    assert len(_warnings(report, "sheet.destination_column")) == 1  # (a second one: ignored)
    # mapped on purpose, the column is the supplier's region after all
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  Country: supplier_region\n  Destination: ignore\n",
                       encoding="utf-8")
    path2 = write_csv(tmp_path / "sites.csv", [
        ["Supplier", "Component", "Country"], ["Other Maker", "Chip", "Japan"]])
    import_suppliers(chain, [path2], buyer="phoneco", mapping=mapping)
    assert {f["name"]: f["region"] for f in firms(chain).values()}["Other Maker"] == "JP"


def test_one_new_supplier_with_two_regions_is_a_warning(chain: SqliteStore,
                                                        tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", [
        HEADER,
        ["甲公司", "", "", "Chip", "", ""],  # no region on its first row
        ["甲公司", "", "日本", "Chip", "", ""],
        ["甲公司", "", "德国", "Chip", "", ""],
    ])
    report = import_suppliers(chain, [path], buyer="phoneco")
    assert {f["name"]: f["region"] for f in firms(chain).values()}["甲公司"] == "JP"
    (warning,) = _warnings(report, "import.region_conflict")
    assert "日本 (line 3)" in warning
    assert "德国 (line 4)" in warning
    assert "keeps the first" in warning


def test_a_stored_firm_the_list_places_elsewhere(chain: SqliteStore, tmp_path: Path) -> None:
    rows = [HEADER, ["晶圆厂有限公司", "", "上海", "芯片", "", ""]]
    report = import_suppliers(chain, [write_csv(tmp_path / "a.csv", rows)], buyer="phoneco",
                              dry_run=True)
    (kept,) = _warnings(report, "import.region_differs")
    assert "CN-GD-SZ" in kept
    assert "上海" in kept
    assert firms(chain)["fab"]["region"] == "CN-GD-SZ"
    report = import_suppliers(chain, [write_csv(tmp_path / "b.csv", rows)], buyer="phoneco",
                              region_from="list")
    assert _warnings(report, "import.region_taken_from_list")
    fab = firms(chain)["fab"]
    assert fab["region"] == "CN-SH"
    # the merge changed the region only: the rest of the firm's row is as it was
    assert (fab["name"], fab["uscc"], fab["aliases"]) == ("Fab Co.", "91350100M000100Y43",
                                                          ("Fab", "晶圆"))
    with pytest.raises(UsageError, match="store or the list"):
        import_suppliers(chain, [write_csv(tmp_path / "c.csv", rows)], buyer="phoneco",
                         region_from="both")


def test_a_share_column_mixing_fractions_and_percents_is_a_warning(
    chain: SqliteStore, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "list.csv", [
        ["供应商名称", "采购物料", "採購佔比"],
        ["甲公司", "Chip", "0.250"],
        ["乙公司", "Chip", "0.5"],
        ["丙公司", "Chip", "25"],
    ])
    report = import_suppliers(chain, [path], buyer="phoneco")
    (warning,) = _warnings(report, "sheet.share_mixed")
    assert "up to 1 (2 row(s): 2, 3)" in warning
    assert "above 1 (1 row(s): 4)" in warning
    same_kind = write_csv(tmp_path / "ok.csv", [
        ["供应商名称", "采购物料", "采购占比"], ["甲公司", "Chip", "25"],
        ["乙公司", "Chip", "61%"]])
    assert not _warnings(import_suppliers(chain, [same_kind], buyer="phoneco"),
                         "sheet.share_mixed")
