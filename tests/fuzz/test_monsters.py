"""Inputs too big to commit, generated here: 100 MB cells, zip bombs, oversized files.

Each must end in a clear error (or a clean load), with memory bounded: the peak of
Python allocations (tracemalloc) while reading is checked against a bound far below
what reading the whole input would take. The store stays as it was on every error.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from chainrisk.errors import LimitExceeded, ValidationFailed
from chainrisk.ingest.archive import check_archive
from chainrisk.ingest.csvfile import FileProblem
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.suppliers import import_suppliers
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import TINY, write_bundle
from tests.fuzz.harness import store_state

MB = 1 << 20
HEADER_ROW = "供应商名称,采购物料,采购占比\n"


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "chain.db")
    load_bundle(store, write_bundle(tmp_path / "tiny", {}))
    yield store
    store.close()


def peak_while(action: Callable[[], Any]) -> tuple[BaseException | None, int]:
    """Run ``action``; return (the exception it raised or None, peak bytes allocated)."""
    tracemalloc.start()
    try:
        action()
    except Exception as e:  # the caller checks which
        return e, tracemalloc.get_traced_memory()[1]
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return None, peak


def _write_big(path: Path, head: bytes, fill: bytes, size: int, tail: bytes = b"") -> Path:
    """Write ``head``, then ``fill`` repeated up to ``size`` bytes, then ``tail``."""
    block = fill * (MB // len(fill))
    with path.open("wb") as handle:
        handle.write(head)
        written = 0
        while written < size:
            handle.write(block)
            written += len(block)
        handle.write(tail)
    return path


# --------------------------------------------------------------------------- CSV


def test_a_100_mb_cell_in_a_bundle_is_refused_in_bounded_memory(
    chain: SqliteStore, tmp_path: Path
) -> None:
    before = store_state(chain)
    bundle = write_bundle(tmp_path / "b", {})
    _write_big(bundle / "firms.csv", b"id,name,region\nbig,", b"A", 100 * MB, b",NL\n")
    error, peak = peak_while(lambda: load_bundle(chain, bundle))
    assert isinstance(error, LimitExceeded)
    message = str(error)
    assert "firms.csv line 2" in message
    assert "1,000,000 characters" in message
    assert "CHAINRISK_MAX_CELL_CHARS" in message
    assert peak < 40 * MB
    assert store_state(chain) == before


def test_a_100_mb_cell_in_a_supplier_list_is_refused_in_bounded_memory(
    chain: SqliteStore, tmp_path: Path
) -> None:
    before = store_state(chain)
    path = _write_big(tmp_path / "list.csv", (HEADER_ROW + '"').encode(), b"B\n", 100 * MB,
                      b'",chip,10%\n')
    error, peak = peak_while(lambda: import_suppliers(chain, [path], buyer="phoneco"))
    assert isinstance(error, LimitExceeded)
    assert "a cell holds more than 1,000,000 characters" in str(error)
    assert peak < 40 * MB
    assert store_state(chain) == before


def test_a_100_mb_line_of_commas_is_refused_as_a_row(chain: SqliteStore, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", {})
    _write_big(bundle / "components.csv", b"id,name\n", b",", 100 * MB)
    error, peak = peak_while(lambda: load_bundle(chain, bundle))
    assert isinstance(error, LimitExceeded)
    assert "components.csv line 2: the row holds more than 4,000,000 characters" in str(error)
    assert peak < 120 * MB


def test_an_oversized_file_is_refused_before_it_is_read(
    chain: SqliteStore, tmp_path: Path
) -> None:
    bundle = write_bundle(tmp_path / "b", {})
    with (bundle / "supplies.csv").open("wb") as handle:
        handle.truncate(3 << 30)  # 3 GiB, sparse: above the 2 GiB default, nothing written
    listed = tmp_path / "list.xlsx"
    with listed.open("wb") as handle:
        handle.truncate(3 << 30)
    before = store_state(chain)
    with pytest.raises(LimitExceeded) as caught:
        load_bundle(chain, bundle)
    assert str(caught.value).startswith(
        "supplies.csv: more than 2,147,483,648 bytes (found 3,221,225,472)"
    )
    assert "CHAINRISK_MAX_FILE_BYTES" in str(caught.value)
    with pytest.raises(LimitExceeded, match=r"list\.xlsx: more than 2,147,483,648 bytes"):
        import_suppliers(chain, [listed], buyer="phoneco")
    assert store_state(chain) == before


def test_limits_follow_the_environment(
    chain: SqliteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f"f{i},Firm {i},NL\n" for i in range(10))
    ten = write_bundle(tmp_path / "ten", {"firms.csv": "id,name,region\n" + rows})
    eleven = write_bundle(tmp_path / "eleven",
                          {"firms.csv": "id,name,region\n" + rows + "f10,Firm 10,NL\n"})
    monkeypatch.setenv("CHAINRISK_MAX_ROWS", "10")
    load_bundle(chain, ten, dry_run=True)
    with pytest.raises(LimitExceeded) as caught:
        load_bundle(chain, eleven)
    assert str(caught.value) == (
        "firms.csv: more than 10 data rows (found 11); nothing was loaded. Split the file, "
        "or set CHAINRISK_MAX_ROWS to more than 10 (0 = no limit)"
    )
    monkeypatch.setenv("CHAINRISK_MAX_ROWS", "0")
    firms = "id,name,region" + chr(10) + "f," + "N" * 31 + ",NL" + chr(10)
    named = write_bundle(tmp_path / "named", {"firms.csv": firms})
    monkeypatch.setenv("CHAINRISK_MAX_CELL_CHARS", "30")
    with pytest.raises(LimitExceeded) as caught:
        load_bundle(chain, named)
    assert str(caught.value).startswith(
        "firms.csv line 2: a cell holds more than 30 characters; nothing was loaded."
    )
    monkeypatch.setenv("CHAINRISK_MAX_CELL_CHARS", "31")
    load_bundle(chain, named, dry_run=True)
    monkeypatch.setenv("CHAINRISK_MAX_FILE_BYTES", "100")
    with pytest.raises(LimitExceeded, match=r"regions.csv: more than 100 bytes \(found 162\)"):
        load_bundle(chain, ten)


# ----------------------------------------------------------------------- NULs, lines


def test_a_file_of_nuls_is_binary_for_both_readers(chain: SqliteStore, tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", {"regions.csv": b"\x00" * MB})
    with pytest.raises(ValidationFailed) as caught:
        load_bundle(chain, bundle)
    assert "binary data (NUL bytes)" in caught.value.report.to_text()
    path = tmp_path / "nuls.csv"
    path.write_bytes(b"\x00" * MB)
    with pytest.raises(ValidationFailed) as caught:
        import_suppliers(chain, [path], buyer="phoneco")
    assert "binary data (NUL bytes)" in caught.value.report.to_text()


def test_embedded_newlines_nuls_and_formulas_are_kept_as_text(
    chain: SqliteStore, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(
        (HEADER_ROW + '"ASML\nHolding",EUV,60%\n"=cmd|\' /C calc\'!A0","Chip\r\nset",10%\n'
         '"Fa\x00bX","+1+1",5%\n').encode()
    )
    report = import_suppliers(chain, [path], buyer="phoneco")
    assert report.loaded == 3
    names = {r["name"] for r in chain.iter_rows("firms")}
    assert {"ASML\nHolding", "=cmd|' /C calc'!A0", "FabX"} <= names
    components = {r["name"] for r in chain.iter_rows("components")}
    assert {"Chip\r\nset", "+1+1"} <= components
    bundle = write_bundle(tmp_path / "b", {
        "firms.csv": TINY["firms.csv"] + '"x\x00y",Z,,,,NL,false\n',
    })
    with pytest.raises(ValidationFailed) as caught:
        load_bundle(chain, bundle)
    assert "line 5 holds a NUL character" in caught.value.report.to_text()


# --------------------------------------------------------------------------- XLSX


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _workbook_bytes(rows: int = 3) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["供应商名称", "采购物料", "采购占比"])
    for i in range(rows):
        ws.append([f"Supplier {i}", "chip", 0.1])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_sheet(sheet_xml: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(_workbook_bytes())) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["xl/worksheets/sheet1.xml"] = sheet_xml
    return _zip(members)


def test_a_zip_bomb_sheet_is_refused_before_it_is_unpacked(
    chain: SqliteStore, tmp_path: Path
) -> None:
    ns = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    rows = b"<row/>" * (300 * MB // 6)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_with_sheet(ns + b"<sheetData>" + rows + b"</sheetData></worksheet>"))
    assert path.stat().st_size < 2 * MB
    before = store_state(chain)
    error, peak = peak_while(lambda: import_suppliers(chain, [path], buyer="phoneco"))
    assert isinstance(error, LimitExceeded)
    assert "times larger than it is stored" in str(error)
    assert "zip bomb" in str(error)
    assert peak < 20 * MB
    assert store_state(chain) == before


def test_unpacked_size_is_checked_declared_and_real(tmp_path: Path) -> None:
    noise = bytes(range(256)) * (12 * MB // 256)  # compresses little: no ratio alarm
    path = tmp_path / "big.xlsx"
    path.write_bytes(_zip({"a.xml": noise}, zipfile.ZIP_STORED))
    with pytest.raises(LimitExceeded) as caught:
        check_archive(path, max_unpacked_bytes=8 * MB)
    assert "unpacks to more than 8,388,608 bytes (its parts declare 12,582,912)" in str(
        caught.value
    )
    assert "CHAINRISK_MAX_UNPACKED_BYTES" in str(caught.value)
    # A part whose headers claim 1,000 bytes while it holds 12 MB: reading stops at the
    # claim, and the checksum then shows the lie.
    lying = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = lying.find(signature)
        struct.pack_into("<I", lying, at + offset, 1000)
    path.write_bytes(bytes(lying))
    with pytest.raises(FileProblem, match="not a readable Excel workbook"):
        check_archive(path, max_unpacked_bytes=8 * MB)


def test_an_archive_of_many_members_is_refused(chain: SqliteStore, tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    path.write_bytes(_zip({f"m/{i}.xml": b"" for i in range(20_001)}, zipfile.ZIP_STORED))
    with pytest.raises(LimitExceeded, match="lists 20,001 parts"):
        import_suppliers(chain, [path], buyer="phoneco")


def test_truncated_workbooks_are_damaged_files(chain: SqliteStore, tmp_path: Path) -> None:
    whole = _workbook_bytes(200)
    for fraction in (0.05, 0.5, 0.9, 0.999):
        path = tmp_path / f"cut-{fraction}.xlsx"
        path.write_bytes(whole[: int(len(whole) * fraction)])
        with pytest.raises(ValidationFailed) as caught:
            import_suppliers(chain, [path], buyer="phoneco")
        assert "not a readable Excel workbook" in caught.value.report.to_text(), fraction


def test_a_deeply_merged_sheet_reads_in_bounded_memory(
    chain: SqliteStore, tmp_path: Path
) -> None:
    ns = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    header = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe4\xbe\x9b\xe5\xba\x94\xe5\x95\x86'
              b'\xe5\x90\x8d\xe7\xa7\xb0</t></is></c><c r="B1" t="inlineStr"><is><t>\xe9\x87'
              b'\x87\xe8\xb4\xad\xe7\x89\xa9\xe6\x96\x99</t></is></c></row>'
              b'<row r="2"><c r="A2" t="inlineStr"><is><t>ASML</t></is></c>'
              b'<c r="B2" t="inlineStr"><is><t>EUV</t></is></c></row>')
    gaps = b"".join(b'<row r="%d"><c r="XFD%d"/></row>' % (n, n) for n in range(3, 20_000))
    merges = b"".join(b'<mergeCell ref="A%d:XFD%d"/>' % (n, n + 1) for n in range(3, 200_000, 2))
    sheet = (ns + b'<dimension ref="A1:XFD1048576"/><sheetData>' + header + gaps
             + b'</sheetData><mergeCells><mergeCell ref="A1:XFD1048576"/>' + merges
             + b"</mergeCells></worksheet>")
    path = tmp_path / "merged.xlsx"
    path.write_bytes(_with_sheet(sheet))
    error, peak = peak_while(
        lambda: import_suppliers(chain, [path], buyer="phoneco", dry_run=True)
    )
    assert error is None
    assert peak < 60 * MB
