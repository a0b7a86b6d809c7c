"""Fuzzing the supplier-list importer: CSV and XLSX, mangled every way we could think of.

Inputs: byte-level mutations of a Chinese supplier list in several encodings; the list
with nasty cells, header names and rows; workbooks written with random values (text,
numbers, dates, formulas, booleans), merged ranges and sheet names; workbooks whose
sheet or shared-strings XML is mutated and re-zipped; workbooks whose zip bytes are
mutated. Each import goes into a copy of a store holding the tiny chain and must
succeed or raise a ChainriskError with a message, leaving the store unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from chainrisk.errors import ChainriskError
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.names import PlaceIndex, SynonymTable
from chainrisk.ingest.suppliers import import_suppliers
from chainrisk.schema import OnError
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import write_bundle
from tests.fuzz.harness import (
    FUZZ,
    count_case,
    env,
    limit_env,
    mutated_bytes,
    mutated_csv,
    nasty_text,
    rezip,
    scratch,
    store_state,
)

SUPPLIERS_CSV = (
    "2026年一季度供应商名单,,,,\n"
    ",,,,\n"
    "供应商名称,采购物料,采购占比,统一社会信用代码,所在地\n"
    "ASML,EUV scanner,60%,,Netherlands\n"
    "深圳市汇顶科技股份有限公司,指纹芯片,0.3,91350100M000100Y43,广东深圳\n"
    "Fab Co.,Chip,40,,\n"
)


def _valid_workbook() -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "供应商"
    ws["A1"] = "供应商清单"
    ws.merge_cells("A1:E1")
    for row in SUPPLIERS_CSV.splitlines()[2:]:
        ws.append(row.split(","))
    ws["C5"].number_format = "0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


VALID_XLSX = _valid_workbook()


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    folder = tmp_path_factory.mktemp("fuzz-suppliers")
    path = folder / "base.db"
    store = SqliteStore(path)
    load_bundle(store, write_bundle(folder / "tiny", {}))
    state = store_state(store)
    store.close()
    return path, state


@pytest.fixture(scope="module")
def tables() -> tuple[SynonymTable, PlaceIndex]:
    return SynonymTable.load(), PlaceIndex.load()


def check_import(
    base: tuple[Path, Any],
    tables: tuple[SynonymTable, PlaceIndex],
    work: Path,
    path: Path,
    *,
    on_error: OnError = OnError.RAISE,
    buyer: str | None = "phoneco",
    encoding: str | None = None,
    limits: dict[str, str] | None = None,
) -> str:
    """Import ``path`` into a copy of the base store; check the invariants."""
    base_path, before = base
    target = work / "store.db"
    shutil.copyfile(base_path, target)
    store = SqliteStore(target)
    try:
        failure: ChainriskError | None = None
        with env(**(limits or {})):
            try:
                import_suppliers(store, [path], buyer=buyer, on_error=on_error,
                                 encoding=encoding, synonyms=tables[0], places=tables[1])
            except ChainriskError as e:
                failure = e
        if failure is not None:
            assert str(failure).strip(), "an error without a message"
            assert store_state(store) == before, "a failed import changed the store"
            event(f"error: {type(failure).__name__}")
            return "error"
        event("imported")
        # importing the same file again changes nothing
        version = store.data_version()
        import_suppliers(store, [path], buyer=buyer, on_error=on_error, encoding=encoding,
                         synonyms=tables[0], places=tables[1])
        assert store.data_version() == version, "a second import changed the store"
        return "imported"
    finally:
        store.close()


on_errors = st.sampled_from([OnError.RAISE, OnError.SKIP])


@FUZZ
@given(
    data=st.data(),
    codec=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "big5"]),
    on_error=on_errors,
    limits=limit_env,
)
def test_csv_bytes(
    base_store: tuple[Path, Any], tables: tuple[SynonymTable, PlaceIndex],
    data: st.DataObject, codec: str, on_error: OnError, limits: dict[str, str],
) -> None:
    original = SUPPLIERS_CSV.encode(codec, errors="replace")
    content = data.draw(mutated_bytes(original), label="content")
    count_case("suppliers-csv-bytes")
    with scratch() as work:
        path = work / "list.csv"
        path.write_bytes(content)
        check_import(base_store, tables, work, path, on_error=on_error, limits=limits)


@FUZZ
@given(
    data=st.data(),
    on_error=on_errors,
    buyer=st.one_of(st.none(), st.just("phoneco"), nasty_text),
    encoding=st.sampled_from([None, "utf-8", "gbk", "big5", "latin-1"]),
)
def test_csv_cells(
    base_store: tuple[Path, Any], tables: tuple[SynonymTable, PlaceIndex],
    data: st.DataObject, on_error: OnError, buyer: str | None, encoding: str | None,
) -> None:
    text = data.draw(mutated_csv(SUPPLIERS_CSV), label="csv")
    count_case("suppliers-csv-cells")
    with scratch() as work:
        path = work / "list.csv"
        path.write_text(text, encoding="utf-8")
        check_import(base_store, tables, work, path, on_error=on_error, buyer=buyer or None,
                     encoding=encoding)


cell_values = st.one_of(
    nasty_text.map(lambda t: "".join(ch for ch in t if ch >= " " or ch in "\t\n")),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1)),
    st.sampled_from(["=1+1", "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")", "#REF!"]),
    st.none(),
)


@FUZZ
@given(
    rows=st.lists(st.lists(cell_values, max_size=7), max_size=8),
    merges=st.lists(
        st.tuples(st.integers(1, 40), st.integers(1, 10), st.integers(0, 500),
                  st.integers(0, 20)),
        max_size=5,
    ),
    title=st.text(alphabet=st.characters(blacklist_characters="[]:*?/\\'"),
                  min_size=1, max_size=31),
    header_at=st.integers(1, 5),
    percent=st.booleans(),
    on_error=on_errors,
)
def test_workbooks_with_random_values(
    base_store: tuple[Path, Any], tables: tuple[SynonymTable, PlaceIndex],
    rows: list[list[Any]], merges: list[tuple[int, int, int, int]], title: str,
    header_at: int, percent: bool, on_error: OnError,
) -> None:
    count_case("suppliers-xlsx-values")
    book = openpyxl.Workbook()
    ws = book.active
    try:
        ws.title = title
    except ValueError:
        ws.title = "sheet"
    header = ["供应商名称", "采购物料", "采购占比", "所在地"]
    for column, text in enumerate(header, start=1):
        ws.cell(row=header_at, column=column, value=text)
    for r, values in enumerate(rows, start=header_at + 1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if percent and c == 3:
                cell.number_format = "0%"
    for row, column, height, width in merges:
        ws.merge_cells(start_row=row, start_column=column, end_row=row + height,
                       end_column=column + width)
    with scratch() as work:
        path = work / "book.xlsx"
        book.save(path)
        check_import(base_store, tables, work, path, on_error=on_error)


@FUZZ
@given(
    member=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml",
                            "xl/workbook.xml", "xl/styles.xml", "[Content_Types].xml"]),
    data=st.data(),
    limits=limit_env,
)
def test_workbooks_with_mutated_xml(
    base_store: tuple[Path, Any], tables: tuple[SynonymTable, PlaceIndex], member: str,
    data: st.DataObject, limits: dict[str, str],
) -> None:
    with zipfile.ZipFile(io.BytesIO(VALID_XLSX)) as z:
        names = z.namelist()
        original = z.read(member) if member in names else b""
    content = data.draw(mutated_bytes(original, max_steps=4), label="xml")
    count_case("suppliers-xlsx-xml")
    with scratch() as work:
        path = work / "book.xlsx"
        path.write_bytes(rezip(VALID_XLSX, member, content))
        check_import(base_store, tables, work, path, limits=limits)


@FUZZ
@given(data=st.data())
def test_workbooks_with_mutated_zip_bytes(
    base_store: tuple[Path, Any], tables: tuple[SynonymTable, PlaceIndex],
    data: st.DataObject,
) -> None:
    content = data.draw(mutated_bytes(VALID_XLSX, max_steps=3), label="xlsx")
    count_case("suppliers-xlsx-zip")
    with scratch() as work:
        path = work / "book.xlsx"
        path.write_bytes(content)
        check_import(base_store, tables, work, path)


@FUZZ
@given(
    content=st.one_of(
        mutated_bytes(b"columns:\n  \xe4\xbe\x9b\xe8\xb4\xa7\xe5\x95\x86: supplier\n"
                      b"buyer: phoneco\nheader_row: 3\nsheet: x\n"),
        st.builds(
            lambda k, v: f"{k}: {v}\n".encode(),
            st.sampled_from(["columns", "buyer", "sheet", "header_row", "other"]),
            st.sampled_from(["3", "-1", "0", "abc", "[1, 2]", "{a: b}", "{采购物料: nothing}",
                             "{x: supplier, X: component}", "1e9", "~", "&a [*a]",
                             "!!binary aGk="]),
        ),
    ),
)
def test_mapping_files(
    base_store: tuple[Path, Any], tables: tuple[SynonymTable, PlaceIndex], content: bytes
) -> None:
    count_case("suppliers-mapping")
    base_path, before = base_store
    with scratch() as work:
        path = work / "list.csv"
        path.write_text(SUPPLIERS_CSV, encoding="utf-8")
        mapping = work / "map.yaml"
        mapping.write_bytes(content)
        target = work / "store.db"
        shutil.copyfile(base_path, target)
        store = SqliteStore(target)
        failure: ChainriskError | None = None
        try:
            import_suppliers(store, [path], buyer="phoneco", mapping=mapping,
                             synonyms=tables[0], places=tables[1])
        except ChainriskError as e:
            failure = e
        try:
            if failure is not None:
                assert str(failure).strip()
                assert store_state(store) == before
        finally:
            store.close()
