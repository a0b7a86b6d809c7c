"""Exports past Excel's limits lose nothing: long texts go whole into a sheet of their
own, long tables continue on further sheets, and the Summary says both."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from chainrisk import words
from chainrisk.ingest.load import load_bundle
from chainrisk.report import build_tables, export
from chainrisk.report.tables import ExportTables, shares_lines
from chainrisk.report.writers import CELL_CHARS, write_xlsx
from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import BUNDLES, TINY, write_bundle

NOTE = re.compile(r" … \[cut here: the whole text is no\. (\d+) on the sheet (.+)\]\Z")
NOTE_ZH = re.compile(r" …［此处截断：完整文本见工作表 (.+) 第 (\d+) 条］\Z")


def many_targets(folder: Path, n: int) -> Path:
    """Return a bundle whose chain has ``n`` end products, each needing the EUV scanner."""
    components = TINY["components.csv"] + "".join(
        f"end-product-number-{i:05d},End product {i},终端产品{i},phone,downstream,device,true\n"
        for i in range(n))
    requires = TINY["requires.csv"] + "".join(
        f"end-product-number-{i:05d},euv,,\n" for i in range(n))
    produces = TINY["produces.csv"] + "".join(
        f"phoneco,end-product-number-{i:05d},,,,t\n" for i in range(n))
    return write_bundle(folder, {"components.csv": components, "requires.csv": requires,
                                 "produces.csv": produces})


def sheet_values(book: Any, name: str) -> list[tuple[Any, ...]]:
    return list(book[name].iter_rows(values_only=True))


def whole_texts(book: Any, name: str) -> dict[int, str]:
    """Return the texts of the Long texts sheet, their parts joined, by number."""
    rows = sheet_values(book, name)
    assert rows[0] in (("No.", "Sheet", "Row", "Column", "Part", "Parts", "Text"),
                       ("序号", "工作表", "行", "列", "部分", "共几部分", "文本"))
    parts: dict[int, list[tuple[int, int, str]]] = {}
    for number, _, _, _, part, count, text in rows[1:]:
        parts.setdefault(number, []).append((part, count, text))
    out = {}
    for number, pieces in parts.items():
        assert [p for p, _, _ in pieces] == list(range(1, pieces[0][1] + 1))
        out[number] = "".join(t for _, _, t in pieces)
    return out


def test_a_chain_of_3000_targets_exports_with_no_cell_cut_unsaid(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    load_bundle(store, many_targets(tmp_path / "b", 3000))
    tables = build_tables(RiskService(store), "phone")
    targets = ", ".join(tables.metadata["targets"])
    assert len(targets) > CELL_CHARS  # the case of the issue: more than a cell holds
    path = tmp_path / "x.xlsx"
    export(tables, path)
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames[-1] == "Long texts"
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert all(len(v) <= CELL_CHARS for v in row if isinstance(v, str))
    summary = {r[0]: r[1] for r in sheet_values(book, "Summary")[1:]}
    shown = summary["Targets / 目标"]
    note = NOTE.search(shown)
    assert note is not None
    assert note.group(2) == "Long texts"
    kept = shown[:note.start()]
    assert targets.startswith(kept)
    assert kept.endswith(", ")  # cut between two ids, never inside one
    assert whole_texts(book, "Long texts")[int(note.group(1))] == targets
    # the Summary's targets, and the Gaps sheet's list of the 3,000 targets filling the
    # chip would make: each cut with its note, each whole on Long texts
    assert "2 cell(s) held more text" in summary["Long texts"]
    gaps = sheet_values(book, "Gaps and targets")
    made = gaps[0].index("Those targets")
    cut = [row[made] for row in gaps[1:] if isinstance(row[made], str) and NOTE.search(row[made])]
    assert len(cut) == 1
    whole = whole_texts(book, "Long texts")[int(NOTE.search(cut[0]).group(1))]  # type: ignore[union-attr]
    assert whole.startswith(cut[0][:NOTE.search(cut[0]).start()])  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def ic_tables(tmp_path_factory: pytest.TempPathFactory) -> ExportTables:
    store = SqliteStore(tmp_path_factory.mktemp("ic") / "s.db")
    load_bundle(store, BUNDLES / "ic")
    return build_tables(RiskService(store), "ic")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tables_longer_than_a_sheet_continue_and_long_cells_are_kept_whole(
        ic_tables: ExportTables, tmp_path: Path, lang: str) -> None:
    # Excel's limits scaled down, so that the ic chain crosses them everywhere
    path = tmp_path / "x.xlsx"
    write_xlsx(ic_tables, path, lang=lang, sheet_rows=11, cell_chars=120)
    book = openpyxl.load_workbook(path)
    long_name = words.text("export.long_texts", lang)
    texts = whole_texts(book, long_name)
    table = ic_tables.table("spof")  # its failure paths run to 247 characters
    title = table.title(lang)
    parts = [n for n in book.sheetnames if n == title or n.startswith(f"{title} (")]
    assert len(parts) == -(-len(table.rows) // 10)  # ten data rows a sheet
    rows = []
    for name in parts:
        values = sheet_values(book, name)
        assert values[0] == tuple(table.headers(lang))
        assert 1 < len(values) <= 11
        rows += values[1:]
    assert len(rows) == len(table.rows)
    # every cell is the table's value, or its beginning and the note saying where the rest is
    cut = 0
    for got, expected in zip(rows, table.rows, strict=True):
        for g, e in zip(got, expected, strict=True):
            if isinstance(g, str) and len(g) > 0 and (NOTE.search(g) or NOTE_ZH.search(g)):
                cut += 1
                assert len(g) <= 120
                if lang == "en":
                    match = NOTE.search(g)
                    assert match is not None
                    assert texts[int(match.group(1))] == e
                    assert e.startswith(g[:match.start()])
            elif lang == "en" and e is not None and not isinstance(e, bool | float):
                assert g == e
    assert cut > 0

    def restored(value: str) -> str:
        match = NOTE.search(value) or NOTE_ZH.search(value)
        if match is None:
            return value
        number = match.group(1) if match.re is NOTE else match.group(2)
        whole = texts[int(number)]
        assert whole.startswith(value[:match.start()])
        return whole

    summary = [restored(str(r[1])) for r in sheet_values(book, book.sheetnames[0])[1:]]
    more = f"{parts[1]} – {parts[-1]}"
    assert words.text("export.continued", lang, sheet=title, rows=len(table.rows),
                      limit=10, more=more) in summary
    said = words.text("export.long_texts_said", lang, cells=len(texts), limit=120,
                      sheet=long_name)
    assert said in summary


def test_the_summary_says_how_exact_shares_are_as_each_bundle_declares(
        tmp_path: Path, ic_tables: ExportTables) -> None:
    assert ic_tables.metadata["shares"] == [("ic", "approximate")]
    store = SqliteStore(tmp_path / "s.db")
    load_bundle(store, write_bundle(tmp_path / "a", {}))  # says nothing of its shares
    reported = TINY["bundle.toml"].replace('name = "tiny"', 'name = "firms-own"\n'
                                           'shares = "reported"')
    load_bundle(store, write_bundle(tmp_path / "b", {"bundle.toml": reported}))
    tables = build_tables(RiskService(store), "phone")
    lines = shares_lines(tables.metadata["shares"])
    assert lines == [words.text("method.shares.reported", "en", bundles="firms-own"),
                     words.text("method.shares.unsaid", "en", bundles="tiny")]
    export(tables, tmp_path / "x.xlsx")
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    method = [r[1] for r in sheet_values(book, "Summary") if r[0] == "Method / 方法"]
    assert lines[0] in method
    assert lines[1] in method
    assert not any("sample" in line for line in method)
    export(tables, tmp_path / "zh.xlsx", lang="zh")
    book = openpyxl.load_workbook(tmp_path / "zh.xlsx")
    zh = [r[1] for r in sheet_values(book, "概要")]
    assert words.text("method.shares.reported", "zh", bundles="firms-own") in zh


def test_a_bundle_may_only_say_approximate_or_reported(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    meta = TINY["bundle.toml"] + 'shares = "exact-ish"\n'
    from chainrisk.errors import ValidationFailed
    with pytest.raises(ValidationFailed) as caught:
        load_bundle(store, write_bundle(tmp_path / "b", {"bundle.toml": meta}))
    problems = [p for p in caught.value.report.errors if p.code == "meta.shares"]
    assert problems
    assert 'shares = "approximate"' in problems[0].reason
