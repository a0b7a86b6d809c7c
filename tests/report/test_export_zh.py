"""`chainrisk export --lang zh`: values in Chinese too, not only the sheet names and headers.

Each format (xlsx, a zip of CSV files, JSON) is written by the command line with a
scenario, read back, and every cell is searched for the English side of the catalogue
(:mod:`chainrisk.words`): stages, levels, bands, kinds, roles, yes/no, data-quality
findings, the Summary's notes. Ids and the names the data gives stay as written.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from chainrisk.cli import main
from chainrisk.ingest.load import load_bundle
from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from tests.catalogue_check import EnglishFinder
from tests.conftest import BUNDLES


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("zh") / "s.db"
    s = SqliteStore(path)
    try:
        for name in ("ic", "5g"):
            load_bundle(s, BUNDLES / name)
    finally:
        s.close()
    return path


@pytest.fixture(scope="module")
def finder(store: Path) -> EnglishFinder:
    s = SqliteStore(store)
    try:
        service = RiskService(s)
        graph = service.graph()
        allowed = {*graph.ids, *graph.names, *(n for n in graph.names_zh if n)}
        for info in graph.chains.values():
            allowed |= {info.name, info.name_zh or ""}
        allowed |= {f"{b['name']} {b.get('version', '')}".strip()
                    for b in s.info(last_loads=1).bundles}
    finally:
        s.close()
    return EnglishFinder(allowed)


def _export(store: Path, out: Path) -> None:
    err = io.StringIO()
    code = main(["--store", f"sqlite:///{store}", "export", "--chain", "ic", "--lang", "zh",
                 "--disrupt", "region:NL", "--out", str(out)], io.StringIO(), err)
    assert code == 0, err.getvalue()


def _english(cells: Iterator[tuple[str, Any]], finder: EnglishFinder) -> list[tuple[str, str]]:
    return [(where, f"{value[:120]!r}: {found}") for where, value in cells
            if isinstance(value, str) and (found := finder.find(value))]


def test_xlsx_in_chinese(store: Path, finder: EnglishFinder, tmp_path: Path) -> None:
    path = tmp_path / "ic.xlsx"
    _export(store, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "概要"

    def cells() -> Iterator[tuple[str, Any]]:
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    yield f"{sheet.title}!{cell.coordinate}", cell.value

    assert not _english(cells(), finder)
    components = list(book["关键环节与卡脖子"].iter_rows(values_only=True))
    stages = {dict(zip(components[0], row, strict=True))["环节位置"] for row in components[1:]}
    assert stages <= {"上游", "中游", "下游", None}
    assert "是" in {c for row in components for c in row}


def test_csv_zip_in_chinese(store: Path, finder: EnglishFinder, tmp_path: Path) -> None:
    path = tmp_path / "ic.zip"
    _export(store, path)

    def cells() -> Iterator[tuple[str, Any]]:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                text = archive.read(name).decode("utf-8-sig")
                for n, row in enumerate(csv.reader(io.StringIO(text))):
                    for value in row:
                        yield f"{name}:{n}", value

    assert not _english(cells(), finder)


def test_json_in_chinese(store: Path, finder: EnglishFinder, tmp_path: Path) -> None:
    path = tmp_path / "ic.json"
    _export(store, path)
    data = json.loads(path.read_text(encoding="utf-8"))

    def cells() -> Iterator[tuple[str, Any]]:
        yield "metadata.formula_guard", data["metadata"]["formula_guard"]
        for name, table in data["tables"].items():
            yield f"{name}.how_to_read", table["how_to_read"]
            for n, row in enumerate(table["rows"]):
                for key, value in row.items():
                    yield f"{name}[{n}].{key}", value

    assert not _english(cells(), finder)
    # keys stay as they are in every language: a program reads them
    assert "stage" in data["tables"]["components"]["rows"][0]
