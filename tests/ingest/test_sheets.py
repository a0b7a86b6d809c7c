"""Reading supplier lists: workbooks and CSV as text rows, and finding the header row.

Fixtures are built in temporary folders with openpyxl and ``str.encode``, so no binary
files live in the repository.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from chainrisk.ingest import sheets
from chainrisk.ingest.csvfile import FileProblem
from chainrisk.ingest.names import Field, SynonymTable
from chainrisk.ingest.sheets import (
    HeaderMatch,
    SheetRow,
    detect_encoding,
    find_header,
    iter_table_rows,
    number_text,
)

USCC = "91350100M000100Y43"


@pytest.fixture(scope="module")
def synonyms() -> SynonymTable:
    return SynonymTable.load()


def _put(ws: Any, row: int, values: list[Any]) -> None:
    for column, value in enumerate(values, start=1):
        ws.cell(row=row, column=column, value=value)


def _workbook(path: Path) -> Path:
    """Write a supplier list as firms send it: title banner, blank row, Chinese header
    on row 3, percent cells, a date, numbers stored as text, a second sheet in English
    and a hidden lookup sheet."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "供应商清单"
    ws["A1"] = "2023年度主要供应商名单"
    ws.merge_cells("A1:H1")
    # row 2 is left blank
    _put(ws, 3, ["序号", "供应商名称", "统一社会信用代码", "采购物料", "采购占比",
                 "采购金额（万元）", "合作开始时间", "所在地"])
    _put(ws, 4, [1, " 深圳市汇顶科技股份有限公司 ", USCC, "指纹芯片", 0.61, "1,234.5",
                 dt.datetime(2019, 5, 1), "广东深圳"])
    _put(ws, 5, [2, "紫光展锐（上海）科技有限公司", None, "基带芯片", 0.385, 0.1 + 0.2,
                 2020, "上海"])
    ws["E4"].number_format = "0%"
    ws["E5"].number_format = "0.0%"
    ws["F5"].number_format = "0.00"
    # row 6 is blank; row 7 has gaps: row numbers and columns stay true
    _put(ws, 7, [3, "Infineon Technologies AG", None, "IGBT", "25%", None, True])

    second = book.create_sheet("Sheet2")
    second.append(["Notes: amounts in USD"])
    second.append(["Item", "Share", "Vendor", "Country", "Vendor name"])
    second.append(["wafer", 1, "TSMC", "Taiwan", "Taiwan Semiconductor"])

    lookup = book.create_sheet("lists")
    lookup.append(["下拉选项", "芯片"])
    lookup.sheet_state = "hidden"
    book.save(path)
    return path


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return _workbook(tmp_path / "suppliers.xlsx")


def test_workbook_rows_are_text_with_true_row_numbers(workbook: Path) -> None:
    rows = [r for r in iter_table_rows(workbook) if r.sheet == "供应商清单"]
    assert rows == [
        SheetRow("供应商清单", 1, ("2023年度主要供应商名单",)),
        SheetRow("供应商清单", 2, ()),
        SheetRow("供应商清单", 3, ("序号", "供应商名称", "统一社会信用代码", "采购物料",
                                  "采购占比", "采购金额（万元）", "合作开始时间", "所在地")),
        SheetRow("供应商清单", 4, ("1", "深圳市汇顶科技股份有限公司", USCC, "指纹芯片", "61%",
                                  "1,234.5", "2019-05-01", "广东深圳")),
        SheetRow("供应商清单", 5, ("2", "紫光展锐（上海）科技有限公司", "", "基带芯片", "38.5%",
                                  "0.3", "2020", "上海")),
        SheetRow("供应商清单", 6, ()),
        SheetRow("供应商清单", 7, ("3", "Infineon Technologies AG", "", "IGBT", "25%", "",
                                  "true")),
    ]
    assert rows[1].is_blank
    assert rows[4].cell(2) == ""
    assert rows[4].cell(99) == ""


def test_every_visible_sheet_in_order_hidden_ones_only_by_name(workbook: Path) -> None:
    seen = [r.sheet for r in iter_table_rows(workbook)]
    assert list(dict.fromkeys(seen)) == ["供应商清单", "Sheet2"]
    hidden = list(iter_table_rows(workbook, sheet="lists"))
    assert hidden == [SheetRow("lists", 1, ("下拉选项", "芯片"))]


def test_one_named_sheet_case_and_width_insensitive(workbook: Path) -> None:
    rows = list(iter_table_rows(workbook, sheet="ｓｈｅｅｔ２"))
    assert [r.cells for r in rows] == [
        ("Notes: amounts in USD",),
        ("Item", "Share", "Vendor", "Country", "Vendor name"),
        ("wafer", "1", "TSMC", "Taiwan", "Taiwan Semiconductor"),
    ]


def test_unknown_sheet_lists_the_sheets(workbook: Path) -> None:
    with pytest.raises(FileProblem, match=r"no sheet 'Suppliers'.*'供应商清单', 'Sheet2', 'lists'"):
        list(iter_table_rows(workbook, sheet="Suppliers"))


def test_workbook_is_recognised_by_content_not_name(workbook: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(workbook.read_bytes())
    assert next(iter(iter_table_rows(renamed))).cells == ("2023年度主要供应商名单",)


def test_header_found_under_banner_and_blank_row(
    workbook: Path, synonyms: SynonymTable
) -> None:
    rows = [r for r in iter_table_rows(workbook) if r.sheet == "供应商清单"]
    match = find_header(rows, synonyms)
    assert match == HeaderMatch(
        row=3,
        columns={1: Field.SUPPLIER, 2: Field.SUPPLIER_USCC, 3: Field.COMPONENT,
                 4: Field.SHARE, 5: Field.VOLUME, 6: Field.SINCE, 7: Field.SUPPLIER_REGION},
        ignored=((0, "序号"),),
        headers=rows[2].cells,
    )


def test_workbook_progress_uses_sheet_sizes(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheets, "PROGRESS_EVERY", 4)
    calls: list[tuple[int, int | None]] = []
    rows = list(iter_table_rows(workbook, progress=lambda done, total: calls.append((done, total))))
    assert len(rows) == 10  # 7 + 3 rows; the hidden sheet is not read
    assert calls == [(4, 10), (8, 10), (10, 10)]


# --------------------------------------------------------------------------- CSV


def _csv_bytes(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


SIMPLIFIED = (
    "某某电子有限公司 2023年供应商名单\n"
    "\n"
    "供应商名称,采购物料,采购占比(%),所在地区,备注\n"
    "深圳市汇顶科技股份有限公司,指纹芯片,61,广东省深圳市,\n"
    '"华为技术有限公司","芯片, 模组",39,深圳,"两行\n备注"\n'
    "中芯国际,晶圆,,上海,\n"
)
TRADITIONAL = (
    "供應商名稱,採購物料,採購佔比,所在地,備註\n"
    "台灣積體電路製造股份有限公司,晶圓,61%,新竹,\n"
    "鴻海精密工業股份有限公司,組裝,39%,台灣,\n"
)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_chinese_encodings(
    tmp_path: Path, encoding: str, synonyms: SynonymTable
) -> None:
    path = _csv_bytes(tmp_path / "list.csv", SIMPLIFIED, encoding)
    rows = list(iter_table_rows(path))
    assert rows[:3] == [
        SheetRow("list.csv", 1, ("某某电子有限公司 2023年供应商名单",)),
        SheetRow("list.csv", 2, ()),
        SheetRow("list.csv", 3, ("供应商名称", "采购物料", "采购占比(%)", "所在地区", "备注")),
    ]
    # A quoted cell with a line break: the next record starts two lines later.
    assert [(r.row, r.cells[0]) for r in rows[3:]] == [
        (4, "深圳市汇顶科技股份有限公司"), (5, "华为技术有限公司"), (7, "中芯国际"),
    ]
    assert rows[4].cells[1] == "芯片, 模组"
    assert rows[4].cells[4] == "两行\n备注"
    match = find_header(rows, synonyms)
    assert match is not None
    assert match.row == 3
    assert match.columns == {0: Field.SUPPLIER, 1: Field.COMPONENT, 2: Field.SHARE,
                             3: Field.SUPPLIER_REGION, 4: Field.NOTE}


def test_csv_in_big5_with_traditional_headers(tmp_path: Path, synonyms: SynonymTable) -> None:
    path = _csv_bytes(tmp_path / "tw.csv", TRADITIONAL, "big5")
    rows = list(iter_table_rows(path))
    assert rows[1].cells == ("台灣積體電路製造股份有限公司", "晶圓", "61%", "新竹")
    match = find_header(rows, synonyms)
    assert match is not None
    assert match.columns == {0: Field.SUPPLIER, 1: Field.COMPONENT, 2: Field.SHARE,
                             3: Field.SUPPLIER_REGION, 4: Field.NOTE}


def test_csv_with_declared_encoding(tmp_path: Path) -> None:
    path = _csv_bytes(tmp_path / "list.csv", SIMPLIFIED, "gbk")
    rows = list(iter_table_rows(path, encoding="GBK"))
    assert rows[2].cells[0] == "供应商名称"


def test_csv_decoding_failure_deep_in_the_file_names_the_line(tmp_path: Path) -> None:
    # The first MiB is ASCII, so UTF-8 is detected; a GB18030 name comes later.
    head = "supplier,component\n" + "acme,chip\n" * 120_000
    path = tmp_path / "big.csv"
    path.write_bytes(head.encode("ascii") + "华为,芯片\n".encode("gb18030"))
    with pytest.raises(FileProblem, match="--encoding gb18030") as caught:
        list(iter_table_rows(path))
    assert caught.value.line == 120_002
    assert "line 120002 is not valid UTF-8" in str(caught.value)


def test_declared_encoding_that_is_wrong_gets_a_better_guess(tmp_path: Path) -> None:
    path = _csv_bytes(tmp_path / "tw.csv", TRADITIONAL, "big5")
    with pytest.raises(FileProblem, match="--encoding big5") as caught:
        list(iter_table_rows(path, encoding="utf-8"))
    assert caught.value.line == 1


def test_csv_progress_estimates_from_the_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheets, "PROGRESS_EVERY", 2)
    path = _csv_bytes(tmp_path / "p.csv", "supplier,component\n" + "a,b\n" * 4, "utf-8")
    calls: list[tuple[int, int | None]] = []
    list(iter_table_rows(path, progress=lambda done, total: calls.append((done, total))))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_csv_sheet_argument_is_ignored(tmp_path: Path) -> None:
    path = _csv_bytes(tmp_path / "list.csv", "supplier,component\nA,b\n", "utf-8")
    assert len(list(iter_table_rows(path, sheet="Sheet1"))) == 2


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf \r\n", "is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, r"old Excel.*save it as \.xlsx"),
        ("供应商,物料\n".encode("utf-16"), r"UTF-16.*save it as \.xlsx"),
        (b"%PDF-1.7\n%\xe2\xe3", "PDF"),
        (b"PK\x03\x04" + b"\x00" * 100, r"not a readable Excel workbook.*\.xlsx"),
        (b"id,name\n\x00\x01\x02", "binary data"),
    ],
    ids=["empty", "blank", "xls", "utf16", "pdf", "broken-zip", "binary"],
)
def test_unreadable_files_say_how_to_fix_them(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "suppliers.xlsx"
    path.write_bytes(content)
    with pytest.raises(FileProblem, match=message):
        list(iter_table_rows(path))


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(FileProblem, match="not a readable Excel workbook"):
        list(iter_table_rows(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="cannot open"):
        list(iter_table_rows(tmp_path / "nope.csv"))


# --------------------------------------------------------------------------- encoding


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("供应商名称,采购物料", "gb18030", "gb18030"),
        ("华为技术有限公司", "gb18030", "gb18030"),
        ("占比", "gb18030", "gb18030"),
        ("供應商名稱,採購物料", "big5", "cp950"),
        ("鴻海精密工業", "big5", "cp950"),
        ("佔比", "big5", "cp950"),
        ("供应商", "utf-8", "utf-8-sig"),
        ("supplier,component", "ascii", "utf-8-sig"),
    ],
)
def test_detect_encoding(text: str, encoding: str, expected: str) -> None:
    assert detect_encoding(text.encode(encoding)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, "12"), (12.0, "12"), (0.1 + 0.2, "0.3"), (1234567.25, "1234567.25"),
     (-0.0, "0"), (1e-7, "1e-07"), (1.5e20, "1.5e+20"), (0.615 * 100, "61.5")],
)
def test_number_text(value: float, expected: str) -> None:
    assert number_text(value) == expected


# --------------------------------------------------------------------------- header


def _rows(*cells: tuple[str, ...], sheet: str = "s") -> list[SheetRow]:
    return [SheetRow(sheet, n, c) for n, c in enumerate(cells, start=1)]


def test_english_headers_in_odd_order(synonyms: SynonymTable) -> None:
    rows = _rows(
        ("ACME Corp. — approved vendor list",),
        ("Prepared by procurement, 2023-12-01", "", "Confidential"),
        (),
        ("Remarks", "Qty", "Part No.", "Vendor Name", "Country/Region", "% of purchases",
         "Material", "Contact"),
        ("", "100", "X-1", "TSMC", "Taiwan", "61", "wafer", "Ms. Li"),
    )
    match = find_header(rows, synonyms)
    assert match is not None
    assert match.row == 4
    assert match.columns == {
        0: Field.NOTE, 1: Field.VOLUME, 2: Field.COMPONENT_CODE, 3: Field.SUPPLIER,
        # a bare Country/Region may be where the goods go: read as such (with a warning
        # when imported), the supplier's region only when a mapping says so
        4: Field.DESTINATION, 5: Field.SHARE, 6: Field.COMPONENT,
    }
    assert match.ignored == ((7, "Contact"),)


def test_second_column_for_a_field_is_ignored(synonyms: SynonymTable) -> None:
    rows = _rows(("供应商", "物料名称", "供应商名称", "采购金额", "采购数量"))
    match = find_header(rows, synonyms)
    assert match is not None
    assert match.columns == {0: Field.SUPPLIER, 1: Field.COMPONENT, 3: Field.VOLUME}
    assert match.ignored == ((2, "供应商名称"), (4, "采购数量"))


def test_header_needs_supplier_or_component_and_two_fields(synonyms: SynonymTable) -> None:
    assert find_header(_rows(("供应商名称", "联系人", "电话")), synonyms) is None
    assert find_header(_rows(("占比", "金额", "备注")), synonyms) is None
    assert find_header(_rows(("物料名称", "占比")), synonyms) is not None
    assert find_header([], synonyms) is None


def test_the_row_naming_most_fields_wins_ties_go_up(synonyms: SynonymTable) -> None:
    rows = _rows(
        ("供应商", "物料"),  # a two-field caption row above the real header
        ("供应商名称", "采购物料", "占比"),
        ("供应商名称", "采购物料", "占比"),
    )
    match = find_header(rows, synonyms)
    assert match is not None
    assert match.row == 2


def test_overrides_change_the_header(synonyms: SynonymTable) -> None:
    rows = _rows(("合作厂商", "采购物料", "采购金额", "年度采购额"))
    table = synonyms.merged({"合作厂商": "supplier", "采购金额": "ignore",
                             "年度采购额": "volume"})
    match = find_header(rows, table)
    assert match is not None
    assert match.columns == {0: Field.SUPPLIER, 1: Field.COMPONENT, 3: Field.VOLUME}
    assert match.ignored == ((2, "采购金额"),)


def test_rows_of_two_sheets_are_refused(synonyms: SynonymTable) -> None:
    rows = _rows(("供应商",), sheet="a") + _rows(("物料",), sheet="b")
    with pytest.raises(ValueError, match="one sheet"):
        find_header(rows, synonyms)
