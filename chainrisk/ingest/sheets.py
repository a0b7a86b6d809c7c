"""Supplier lists as tables: rows of text cells from CSV or Excel, and their header row.

:func:`iter_table_rows` streams the rows of a CSV file (encoding detected) or of every
sheet of an XLSX workbook, as text cells, blank rows included so that row numbers are
the ones the user sees. :func:`find_header` finds the header row among the first rows
of a sheet, under titles, banners and notes, and maps its columns to fields.

Examples
--------
>>> import tempfile, pathlib
>>> from chainrisk.ingest.names import SynonymTable
>>> path = pathlib.Path(tempfile.mkdtemp()) / "list.csv"
>>> _ = path.write_bytes("2023年供应商名单\\n\\n供应商名称,采购物料,占比\\n甲公司,芯片,61%\\n"
...                      .encode("gb18030"))
>>> rows = list(iter_table_rows(path))
>>> [r.cells for r in rows]
[('2023年供应商名单',), (), ('供应商名称', '采购物料', '占比'), ('甲公司', '芯片', '61%')]
>>> match = find_header(rows, SynonymTable.load())
>>> match.row, [(i, str(f)) for i, f in sorted(match.columns.items())]
(3, [(0, 'supplier'), (1, 'component'), (2, 'share')])
"""

from __future__ import annotations

import codecs
import datetime as dt
import math
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import ROW_TAG, WorkSheetParser
from openpyxl.xml.functions import iterparse

from chainrisk import limits as limits_module
from chainrisk.errors import LimitExceeded
from chainrisk.guard import unguard
from chainrisk.ingest.archive import check_archive
from chainrisk.ingest.csvfile import (
    FileProblem,
    check_encoding,
    check_file_size,
    guess_encoding,
    iter_records,
    limit_exceeded,
)
from chainrisk.ingest.names import Field, SynonymTable
from chainrisk.ingest.values import normalise_text

Progress = Callable[[int, int | None], None]
"""Called with (rows read so far, total rows or an estimate, or None if unknown)."""

PROGRESS_EVERY = 10_000
_SNIFF_BYTES = 1 << 20
_TIEBREAK_BYTES = 1 << 16
_SAVE_AS = "open it in Excel or WPS and save it as .xlsx (Excel Workbook) or 'CSV UTF-8'"
# Errors openpyxl raises on a damaged or foreign zip; wrapped at this boundary.
_BROKEN_WORKBOOK = (
    InvalidFileException, zipfile.BadZipFile, zlib.error, KeyError, ValueError, TypeError,
    AttributeError, IndexError, EOFError, SyntaxError, OSError,
)
# Encodings users name that have a safer superset for reading.
_SUPERSETS = {
    "utf8": "utf-8-sig", "utf-8": "utf-8-sig", "gbk": "gb18030", "gb2312": "gb18030",
    "cp936": "gb18030", "big5": "cp950",
}
_REQUIRED = frozenset({Field.SUPPLIER, Field.COMPONENT})
# Excel's own grid: row and column numbers beyond it are not a sheet anyone typed, and
# a reader that filled the gap up to them would run for hours.
EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384


@dataclass(frozen=True)
class SheetRow:
    """One row of a sheet or CSV file, as text.

    ``row`` is 1-based: the spreadsheet row for workbooks, the line where the record
    starts for CSV (the same unless a cell holds line breaks). ``sheet`` is the sheet
    name, or the file name for CSV. Trailing empty cells are dropped, so a blank row
    has ``cells == ()``.
    """

    sheet: str
    row: int
    cells: tuple[str, ...]

    def cell(self, index: int) -> str:
        """Return the text of cell ``index`` (0-based), ``""`` beyond the last cell."""
        return self.cells[index] if 0 <= index < len(self.cells) else ""

    @property
    def is_blank(self) -> bool:
        """Return whether every cell of the row is empty."""
        return not any(self.cells)


@dataclass(frozen=True)
class HeaderMatch:
    """The header row of a sheet and what its columns mean.

    ``columns`` maps a cell index to its field, a :class:`Field` (a ``str``; the
    leftmost column wins when two name the same field); ``ignored`` lists
    ``(index, header text)`` of the other non-empty header cells: unknown, mapped to
    ``ignore``, or a second column for a field. ``headers`` holds the header row's cells.
    """

    row: int
    columns: dict[int, str]
    ignored: tuple[tuple[int, str], ...]
    headers: tuple[str, ...] = ()


# --------------------------------------------------------------------------- reading


def iter_table_rows(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> Iterator[SheetRow]:
    """Return an iterator over the rows of a CSV file or an XLSX/XLSM workbook.

    The kind of file is told from its content, not its name. Memory stays flat: CSV
    is read record by record, workbooks in openpyxl's read-only mode.

    Parameters
    ----------
    path : Path
        The file.
    sheet : str, optional
        Read only this sheet of a workbook (exact name, else case- and
        width-insensitive). Without it every visible sheet is read, in order; hidden
        sheets (usually lookup lists for drop-downs) only when named. Ignored for CSV.
    encoding : str, optional
        The CSV encoding. Detected when None: UTF-8 (with or without BOM), else
        GB18030, else Big5 (read as cp950, its Windows superset).
    progress : callable, optional
        Called every 10,000 rows and at the end with (rows read, total): the sum of
        the sheets' sizes for workbooks, an estimate from the first MiB for CSV, or
        None when unknown or already exceeded.

    Yields
    ------
    SheetRow
        Every row, blank ones included. Cells are text: numbers without float noise
        (``12``, ``0.3``), percent-formatted cells as ``61%``, dates as
        ``2019-05-01``, booleans as ``true``/``false``, NUL and outer spaces removed.

    Raises
    ------
    FileProblem
        For an empty file, an old .xls, another binary, a damaged workbook, an unknown
        sheet (the message lists the sheets), or CSV text that does not decode (the
        message gives the line and suggests ``--encoding``).
    """
    sample = _sample(path)
    if sample.startswith(b"PK\x03\x04"):
        yield from _workbook_rows(path, sheet, progress)
    else:
        yield from _csv_rows(path, sample, encoding, progress)


def _sample(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            sample = handle.read(_SNIFF_BYTES)
    except OSError as e:
        raise FileProblem(f"cannot open {path.name}: {e.strerror or e}", code="file.cannot_open",
                          params={"file": path.name}) from e
    if not sample.strip(b"\xef\xbb\xbf \t\r\n"):
        raise FileProblem(
            f"{path.name} is empty: a supplier list needs a header row and data rows",
            code="file.empty",
        )
    if sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            f"{path.name} is an old Excel 97-2003 (.xls) file, which cannot be read: {_SAVE_AS}",
            code="file.is_xls",
        )
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(
            f"{path.name} is UTF-16 text (Excel's 'Unicode Text'): {_SAVE_AS}",
            code="file.utf16",
        )
    if sample.startswith(b"%PDF"):
        raise FileProblem(
            f"{path.name} is a PDF, not a table: ask for the list as .xlsx or CSV, or "
            "export its table to one", code="file.pdf",
        )
    return sample


def _csv_rows(
    path: Path, sample: bytes, encoding: str | None, progress: Progress | None
) -> Iterator[SheetRow]:
    if encoding is not None:
        chosen = check_encoding(_SUPERSETS.get(encoding.strip().lower(), encoding.strip()))
    else:
        # None when nothing decodes: iter_records then explains, with a line number.
        chosen = detect_encoding(sample) or "utf-8-sig"
    estimate = _estimate_lines(sample, path.stat().st_size)
    done = 0
    try:
        for line, cells in iter_records(path, chosen, allow_nul=True):
            done += 1
            yield SheetRow(path.name, line, _trimmed([_clean(c) for c in cells]))
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done, estimate if estimate >= done else None)
    except FileProblem as e:
        if isinstance(e.__cause__, UnicodeDecodeError) and e.line is not None:
            raise _decoding_problem(path, chosen, e.__cause__, e.line) from e.__cause__
        raise
    if progress is not None:
        progress(done, done)


def _decoding_problem(
    path: Path, encoding: str, error: UnicodeDecodeError, reported: int
) -> FileProblem:
    """Return the error for text that stops decoding, with its exact line and a guess.

    csvfile's line is where the csv reader was when the text layer, which decodes
    8 KB ahead, failed: up to a few hundred lines early. Line breaks never fall inside
    a UTF-8, GB18030 or Big5 character, so decoding line by line from there finds the
    line. The guess is made from that line on: the start of a file is often plain
    ASCII when the Chinese names come later.
    """
    line, reason, chunk = reported, error.reason, b""
    decoder = codecs.getincrementaldecoder(encoding)()
    number = 1
    with path.open("rb") as handle:
        # Pieces of at most 1 MiB: one huge line is never read whole.
        while raw := handle.readline(_SNIFF_BYTES):
            if number >= reported:
                try:
                    decoder.decode(raw)
                except UnicodeDecodeError as e:
                    line, reason = number, e.reason
                    chunk = raw[-(1 << 16):] + handle.read(1 << 16)
                    break
            number += raw.endswith(b"\n")
    guess = detect_encoding(chunk)
    label = {"utf-8-sig": "UTF-8", "cp950": "Big5"}.get(encoding, encoding.upper())
    message = f"line {line} is not valid {label} text ({reason})"
    if guess is not None and guess != encoding:
        named = {"cp950": "big5", "utf-8-sig": "utf-8"}.get(guess, guess)
        message += (
            f"; from there it looks like {named.upper()}: load the file with "
            f"--encoding {named}, or re-save it as UTF-8 (in Excel: Save As, 'CSV UTF-8')"
        )
    else:
        message += (
            "; re-save the file as UTF-8 (in Excel: Save As, 'CSV UTF-8'), or name its "
            "encoding with --encoding"
        )
    return FileProblem(message, line, code="file.not_text_line",
                       params={"line": line, "encoding": label,
                               "guess": named.upper() if guess is not None and guess != encoding
                               else ""})


def detect_encoding(sample: bytes) -> str | None:
    """Return the encoding of CSV bytes: utf-8-sig, gb18030 or cp950 (Big5), else None.

    ``guess_encoding`` takes the first that decodes, but Big5 bytes nearly always decode
    as GB18030 too (as nonsense). When both decode, the reading with more frequent
    characters (GB2312 / Big5 level 1) and fewer stray symbols wins; ties go to GB18030.

    >>> detect_encoding("供應商名稱,採購物料".encode("big5"))
    'cp950'
    >>> detect_encoding("供应商名称,采购物料".encode("gb18030"))
    'gb18030'
    """
    guess = guess_encoding(sample)
    if guess != "gb18030":
        return guess
    head = sample[:_TIEBREAK_BYTES]  # plenty of characters to judge by
    try:
        big5_text = codecs.getincrementaldecoder("cp950")().decode(head, final=False)
    except UnicodeDecodeError:
        return guess
    gb_text = codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
    if _plausibility(big5_text, _is_big5_common) > _plausibility(gb_text, _is_gb2312_common):
        return "cp950"
    return guess


_CJK_PUNCTUATION = frozenset("，。、：；？！“”‘’（）《》【】「」『』—…·％．")


def _plausibility(text: str, common: Callable[[str], bool]) -> float:
    """Return the share of non-ASCII characters that are frequent hanzi or punctuation.

    Text decoded with the wrong one of GB18030 / Big5 is full of rare hanzi, kana,
    bopomofo, Greek and box-drawing symbols.
    """
    scored = good = 0
    for ch in text:
        if ch.isascii() or ch.isspace():
            continue
        scored += 1
        good += ch in _CJK_PUNCTUATION or ("\u4e00" <= ch <= "\u9fff" and common(ch))
    return good / scored if scored else 0.0


def _is_gb2312_common(ch: str) -> bool:
    try:
        lead = ch.encode("gb2312")[0]
    except UnicodeEncodeError:
        return False
    return 0xB0 <= lead <= 0xD7  # GB2312 level 1: the 3,755 frequent characters


def _is_big5_common(ch: str) -> bool:
    try:
        lead = ch.encode("big5")[0]
    except UnicodeEncodeError:
        return False
    return 0xA4 <= lead <= 0xC6  # Big5 level 1: the 5,401 frequent characters


def _estimate_lines(sample: bytes, size: int) -> int:
    lines = sample.count(b"\n") + (0 if sample.endswith(b"\n") else 1)
    if len(sample) >= size:
        return lines
    return max(lines, round(lines * size / len(sample)))


def _workbook_rows(path: Path, sheet: str | None, progress: Progress | None) -> Iterator[SheetRow]:
    lim = limits_module.current()
    check_file_size(path, lim)
    check_archive(path, max_unpacked_bytes=lim.max_unpacked_bytes)
    with path.open("rb") as handle:
        try:
            with warnings.catch_warnings():
                # openpyxl warns about features it drops (data validation, styles…).
                warnings.simplefilter("ignore")
                book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except _BROKEN_WORKBOOK as e:
            raise FileProblem(
                f"{path.name} is a zip archive but not a readable Excel workbook ({e}); "
                f"if it is an .xlsb, .ods or damaged file, {_SAVE_AS}",
                code="archive.damaged",
            ) from e
        try:
            sheets = _chosen_sheets(book, sheet, path.name)
            sizes = [ws.max_row for ws in sheets]
            total = (
                sum(sizes) if all(isinstance(n, int) and n <= EXCEL_ROWS for n in sizes)
                else None
            )
            done = 0
            for ws in sheets:
                number = 0
                try:
                    for number, cells in _sheet_rows(book, ws, lim.max_cell_chars):
                        done += 1
                        if lim.max_rows and done > lim.max_rows + 1:
                            raise limit_exceeded(path, "rows", "max_rows", done - 1,
                                                 lim.max_rows, f"sheet {ws.title!r}")
                        yield SheetRow(ws.title, number, tuple(unguard(c) for c in cells))
                        if progress is not None and done % PROGRESS_EVERY == 0:
                            progress(done, total if total is not None and total >= done else None)
                except _CellTooLong as e:
                    raise LimitExceeded(
                        f"{path.name}: sheet {ws.title!r} cell {e.where} holds {e.length:,} "
                        f"characters, more than {lim.max_cell_chars:,}; nothing was loaded. "
                        "Shorten it, or "
                        f"{limits_module.describe('max_cell_chars', lim.max_cell_chars)}",
                        code="limit.sheet_cell_chars",
                        params={"file": path.name, "sheet": ws.title, "cell": e.where,
                                "limit": lim.max_cell_chars,
                                "setting": limits_module.ENV["max_cell_chars"]},
                    ) from None
                except _BROKEN_WORKBOOK as e:
                    raise FileProblem(
                        f"{path.name}: sheet {ws.title!r} is damaged after row {number} ({e}); "
                        f"{_SAVE_AS}",
                        number + 1,
                        code="sheet.damaged", params={"sheet": ws.title, "row": number},
                    ) from e
            if progress is not None:
                progress(done, done)
        finally:
            book.close()


class _CellTooLong(Exception):
    def __init__(self, where: str, length: int) -> None:
        super().__init__(where)
        self.where = where
        self.length = length


def _sheet_rows(book: Any, ws: Any, max_cell_chars: int) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Yield (row number, cell texts) of a read-only sheet, blank rows included.

    Reads the sheet XML with openpyxl's row parser but not its row builder: that one
    pads every row with empty cells up to its last cell and keeps every merged range
    and every finished row element, so a sheet of a million rows each with one cell in
    column XFD, or a million merged ranges, costs hours or gigabytes. Here a row costs
    what its cells cost; gaps between rows yield blank rows up to Excel's last row at
    most, and nothing but the current row is kept.
    """
    with ws._get_source() as source:  # openpyxl API used by its own read-only sheets
        parser = WorkSheetParser(
            source, ws._shared_strings, data_only=True, epoch=book.epoch,
            date_formats=book._date_formats, timedelta_formats=book._timedelta_formats,
        )
        expected = 1
        open_parts: list[Any] = []  # elements being built outside any row
        in_row = 0
        for event, element in iterparse(source, events=("start", "end")):
            is_row = element.tag == ROW_TAG
            if event == "start":
                if is_row:
                    in_row += 1
                elif not in_row:
                    open_parts.append(element)
                continue
            if in_row and not is_row:
                continue  # a cell or its value: parse_row reads them at the row's end
            if is_row:
                in_row -= 1
                with warnings.catch_warnings():
                    # dates out of range: openpyxl warns and reads them as errors
                    warnings.simplefilter("ignore")
                    number, found = parser.parse_row(element)
                parser.row_dimensions.clear()
                if not 1 <= number <= EXCEL_ROWS:
                    raise ValueError(f"row number {number} is outside 1..{EXCEL_ROWS:,}")
                texts = _row_texts(ws, number, found, max_cell_chars)
            else:
                open_parts.pop()
            # Finished parts (rows, merged ranges, formats) are dropped, not kept.
            element.clear()
            if open_parts and not in_row:
                del open_parts[-1][:]
            if not is_row:
                continue
            while expected < number:
                yield expected, ()
                expected += 1
            expected = max(expected, number + 1)
            yield number, texts


def _row_texts(ws: Any, number: int, found: list[dict[str, Any]],
               max_cell_chars: int) -> tuple[str, ...]:
    """Return the texts of one row's cells (dicts from openpyxl's parser), gaps blank."""
    by_column: dict[int, str] = {}
    for cell in found:
        column = cell["column"]
        if not 1 <= column <= EXCEL_COLUMNS:
            raise ValueError(f"column {column} is outside a sheet's 1..{EXCEL_COLUMNS:,}")
        if cell["value"] is None:
            continue
        text = _cell_text(ReadOnlyCell(ws, **cell))
        if max_cell_chars and len(text) > max_cell_chars:
            raise _CellTooLong(f"{_column_letters(column)}{number}", len(text))
        if text:
            by_column[column] = text
    if not by_column:
        return ()
    texts = [""] * max(by_column)
    for column, text in by_column.items():
        texts[column - 1] = text
    return tuple(texts)


def _column_letters(column: int) -> str:
    """Return the letters of a 1-based column number.

    >>> _column_letters(1), _column_letters(28), _column_letters(16384)
    ('A', 'AB', 'XFD')
    """
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _chosen_sheets(book: Any, sheet: str | None, file_name: str) -> list[Any]:
    tables = [ws for ws in book.worksheets if hasattr(ws, "iter_rows")]
    if sheet is None:
        visible = [ws for ws in tables if ws.sheet_state == "visible"]
        return visible or tables
    names = list(book.sheetnames)
    wanted = normalise_text(sheet).casefold()
    matches = [n for n in names if n == sheet] or [
        n for n in names if normalise_text(n).casefold() == wanted
    ]
    if len(matches) != 1:
        listed = ", ".join(repr(n) for n in names)
        raise FileProblem(
            f"{file_name} has no sheet {sheet!r}; its sheets are {listed}: name one of "
            "them with --sheet, or leave --sheet out to read every sheet",
            code="sheet.unknown", params={"sheet": sheet, "sheets": listed},
        )
    ws = book[matches[0]]
    if not hasattr(ws, "iter_rows"):
        raise FileProblem(f"{file_name}: sheet {matches[0]!r} is a chart, not a table",
                          code="sheet.chart", params={"sheet": matches[0]})
    return [ws]


# --------------------------------------------------------------------------- cells


def _clean(text: str) -> str:
    return text.replace("\x00", "").replace("\ufeff", "").strip()


def _trimmed(cells: list[str]) -> tuple[str, ...]:
    while cells and not cells[-1]:
        cells.pop()
    return tuple(cells)


def _cell_text(cell: Any) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if "%" in (getattr(cell, "number_format", None) or ""):
            return number_text(value * 100) + "%"
        return number_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return _clean(str(value))


def number_text(value: int | float) -> str:
    """Return a spreadsheet number as people write it: no ``.0``, no float noise.

    Fifteen significant digits, the precision Excel keeps and shows.

    >>> number_text(12.0), number_text(0.1 + 0.2), number_text(1234567.25), number_text(-0.0)
    ('12', '0.3', '1234567.25', '0')
    """
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".15g")


# --------------------------------------------------------------------------- header


def find_header(rows: Sequence[SheetRow], synonyms: SynonymTable) -> HeaderMatch | None:
    """Return the header row among the first rows of one sheet, or None if none fits.

    The header is the row whose cells name the most distinct fields, at least two,
    one of them ``supplier`` or ``component``; ties go to the upper row. Title rows,
    merged banners, blank rows and notes above it never qualify.

    Parameters
    ----------
    rows : sequence of SheetRow
        The first rows of one sheet (the importer passes up to 30).
    synonyms : SynonymTable
        Header spellings → fields, with any per-source overrides merged in.

    Returns
    -------
    HeaderMatch or None
        The row, its columns by field, and the header cells left unused.

    Examples
    --------
    >>> table = SynonymTable.load()
    >>> rows = [SheetRow("s", 1, ("Suppliers 2023",)),
    ...         SheetRow("s", 2, ("No.", "Share", "Vendor", "Item", "Vendor name"))]
    >>> match = find_header(rows, table)
    >>> match.row, [(i, str(f)) for i, f in sorted(match.columns.items())]
    (2, [(1, 'share'), (2, 'supplier'), (3, 'component')])
    >>> match.ignored
    ((0, 'No.'), (4, 'Vendor name'))
    """
    sheets = {r.sheet for r in rows}
    if len(sheets) > 1:
        raise ValueError(f"find_header takes rows of one sheet, got {sorted(sheets)}")
    best: tuple[SheetRow, list[Field | None]] | None = None
    best_count = 0
    for row in rows:
        fields = [synonyms.field_of(c) if c else None for c in row.cells]
        named = {f for f in fields if f is not None}
        if len(named) >= 2 and named & _REQUIRED and len(named) > best_count:
            best, best_count = (row, fields), len(named)
    if best is None:
        return None
    row, fields = best
    columns: dict[int, str] = {}
    ignored: list[tuple[int, str]] = []
    for index, (text, found) in enumerate(zip(row.cells, fields, strict=True)):
        if found is not None and found not in columns.values():
            columns[index] = found
        elif text:
            ignored.append((index, text))
    return HeaderMatch(row.row, columns, tuple(ignored), row.cells)


__all__ = [
    "PROGRESS_EVERY",
    "HeaderMatch",
    "Progress",
    "SheetRow",
    "detect_encoding",
    "find_header",
    "iter_table_rows",
    "number_text",
]
