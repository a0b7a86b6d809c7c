"""Workbooks with an instructions sheet: sheets without a header are skipped, with a warning.

Most real templates start with a sheet of prose (填表说明) and no table; the list is on
another sheet. Such a sheet must not stop the import, nor go unmentioned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl
import pytest

from chainrisk.errors import ValidationFailed
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.suppliers import import_suppliers
from chainrisk.schema import OnError
from chainrisk.store.sqlite import SqliteStore

PROSE: list[list[object]] = [
    ["填表说明"],
    [],
    ["1. 供应商名称请填写营业执照上的全称，不要使用简称。"],
    ["2. 采购占比填写百分比，例如 35%；同一物料各供应商占比之和应为 100%。"],
    ["3. 如有疑问，请联系采购部 张三（分机 8021）。"],
]
HEADER: list[object] = ["序号", "供应商名称", "采购物料", "采购占比"]
ROWS: list[list[object]] = [
    [1, "晶圆厂有限公司", "芯片", "60%"], [2, "ASML", "EUV scanner", "100%"],
]


@pytest.fixture
def chain(store: SqliteStore, tiny: Path) -> SqliteStore:
    load_bundle(store, tiny)
    return store


def workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def supplies(store: SqliteStore) -> set[tuple[str, str, str]]:
    return {(r["supplier"], r["buyer"], r["component"]) for r in store.iter_rows("supplies")}


@pytest.mark.parametrize("prose_first", [True, False])
def test_instruction_sheet_is_skipped_with_a_warning(
    chain: SqliteStore, tmp_path: Path, prose_first: bool
) -> None:
    sheets: dict[str, Sequence[Sequence[object]]] = {
        "填表说明": PROSE, "供应商清单": [HEADER, *ROWS],
    }
    if not prose_first:
        sheets = dict(reversed(sheets.items()))
    path = workbook(tmp_path / "template.xlsx", sheets)
    before = supplies(chain)
    # the default --on-error raise: a warning does not stop the import
    report = import_suppliers(chain, [path], buyer="phoneco")
    assert (report.read, report.loaded, report.rejected, report.merged) == (2, 2, 0, 0)
    assert report.load.errors == []
    assert report.load.rejected_rows == []
    assert list(report.columns) == ["template.xlsx[供应商清单]"]
    [warning] = report.load.warnings
    assert warning.file == "template.xlsx[填表说明]"
    assert warning.code == "sheet.skipped_no_header"
    assert warning.params["sheet"] == "填表说明"
    # names the sheet, says what was looked for and how to import it after all
    assert "'填表说明' was skipped" in warning.reason
    assert "supplier" in warning.reason
    assert "component" in warning.reason
    assert "--sheet '填表说明'" in warning.reason
    assert "--mapping" in warning.reason
    assert "填表说明" in report.to_text()
    assert supplies(chain) - before == {("asml", "phoneco", "euv")}  # fab → phoneco was known
    assert ("fab", "phoneco", "chip") in supplies(chain)


def test_skipped_sheet_with_skip_policy_and_a_bad_row(chain: SqliteStore, tmp_path: Path) -> None:
    path = workbook(tmp_path / "t.xlsx", {
        "填表说明": PROSE,
        "清单": [HEADER, *ROWS, [3, "", "芯片", "10%"]],
    })
    report = import_suppliers(chain, [path], buyer="phoneco", on_error=OnError.SKIP)
    assert (report.read, report.loaded, report.rejected) == (3, 2, 1)
    assert [(r.file, r.line) for r in report.load.rejected_rows] == [("t.xlsx[清单]", 4)]
    assert [w.file for w in report.load.warnings] == ["t.xlsx[填表说明]"]


@pytest.mark.parametrize("policy", [OnError.RAISE, OnError.SKIP])
def test_only_prose_sheets_is_an_error_naming_every_sheet(
    chain: SqliteStore, tmp_path: Path, policy: OnError
) -> None:
    path = workbook(tmp_path / "prose.xlsx", {
        "填表说明": PROSE,
        "注意事项": [["请于每季度末提交。"], ["逾期不予受理。"]],
    })
    before = supplies(chain)
    with pytest.raises(ValidationFailed) as caught:
        import_suppliers(chain, [path], buyer="phoneco", on_error=policy)
    report = caught.value.report
    [error] = report.errors
    assert error.file == "prose.xlsx"
    assert error.code == "sheet.no_header_in_file"
    assert "'填表说明'" in error.reason
    assert "'注意事项'" in error.reason
    assert "--sheet" in error.reason
    assert "--mapping" in error.reason
    assert report.warnings == []
    assert "prose.xlsx" in report.unreadable
    # the rows of the unreadable file are all listed, none lost
    assert [(r.file, r.line) for r in report.rejected_rows] == [
        ("prose.xlsx[填表说明]", 1), ("prose.xlsx[填表说明]", 3), ("prose.xlsx[填表说明]", 4),
        ("prose.xlsx[填表说明]", 5), ("prose.xlsx[注意事项]", 1), ("prose.xlsx[注意事项]", 2),
    ]
    assert supplies(chain) == before


def test_one_prose_sheet_alone_is_an_error(chain: SqliteStore, tmp_path: Path) -> None:
    path = workbook(tmp_path / "one.xlsx", {"填表说明": PROSE})
    with pytest.raises(ValidationFailed) as caught:
        import_suppliers(chain, [path], buyer="phoneco", on_error=OnError.SKIP)
    [error] = caught.value.report.errors
    assert (error.file, error.code) == ("one.xlsx[填表说明]", "sheet.no_header")
    assert "no header row found in its first 5 rows" in error.reason
    assert "--mapping" in error.reason


def test_prose_sheet_named_with_sheet_is_an_error(chain: SqliteStore, tmp_path: Path) -> None:
    path = workbook(tmp_path / "template.xlsx", {"填表说明": PROSE, "清单": [HEADER, *ROWS]})
    before = supplies(chain)
    with pytest.raises(ValidationFailed) as caught:
        import_suppliers(chain, [path], buyer="phoneco", sheet="填表说明",
                         on_error=OnError.SKIP)
    report = caught.value.report
    [error] = report.errors
    assert (error.file, error.code) == ("template.xlsx[填表说明]", "sheet.no_header")
    assert "the sheet '填表说明' named with --sheet has no header row" in error.reason
    assert "--mapping" in error.reason
    assert report.warnings == []
    assert supplies(chain) == before
    # the other sheet, named, imports
    named = import_suppliers(chain, [path], buyer="phoneco", sheet="清单")
    assert named.loaded == 2
    assert named.load.warnings == []


def test_csv_without_header_stays_an_error(chain: SqliteStore, tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("说明\n请填写供应商\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        import_suppliers(chain, [path], buyer="phoneco", on_error=OnError.SKIP)
    [error] = caught.value.report.errors
    assert (error.file, error.code) == ("notes.csv", "sheet.no_header")
    assert caught.value.report.warnings == []
