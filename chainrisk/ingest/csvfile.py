"""Reading delimited text files row by row, with clear errors for files that are not.

Every reader here enforces the limits of :mod:`chainrisk.limits` (file size, rows,
characters per cell) and raises :class:`~chainrisk.errors.LimitExceeded` naming the
file, the limit, the value found and the variable that raises it. A line is read with
a bounded ``readline``, so one runaway line (a 100 MB cell, a megabyte of commas)
never sits in memory whole.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.csv").write_text("id,name\\nx,\\"A, Inc.\\"\\n", encoding="utf-8")
>>> list(iter_records(folder / "a.csv"))
[(1, ['id', 'name']), (2, ['x', 'A, Inc.'])]
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from chainrisk import limits as limits_module
from chainrisk.errors import BundleError, LimitExceeded
from chainrisk.guard import unguard
from chainrisk.limits import Limits

DEFAULT_ENCODING = "utf-8-sig"
_SNIFF_BYTES = 1 << 16
# A row (one record, which may span lines) may hold this many cells' worth of text:
# several long cells fit, a megabyte of commas does not.
ROW_CELLS_OF_TEXT = 4
# Excel's own column limit: a wider row is not a table anyone typed.
MAX_COLUMNS = 16_384


class FileProblem(BundleError):
    """A file that cannot be read as CSV at all; ``line`` is where reading stopped."""

    def __init__(self, message: str, line: int | None = None, *, code: str = "file.unreadable",
                 params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, params=params)
        self.line = line


def limit_exceeded(path: Path, what: str, field: str, value: int, limit: int,
                   where: str = "") -> LimitExceeded:
    """Return the error for ``path`` going over the limit ``field`` (a Limits field name).

    >>> error = limit_exceeded(Path("a.csv"), "data rows", "max_rows", 11, 10)
    >>> for part in str(error).split("; "):
    ...     print(part)
    a.csv: more than 10 data rows (found 11)
    nothing was loaded. Split the file, or set CHAINRISK_MAX_ROWS to more than 10 (0 = no limit)
    """
    place = f" {where}" if where else ""
    return LimitExceeded(
        f"{path.name}{place}: more than {limit:,} {what} (found {value:,}); nothing was "
        f"loaded. Split the file, or {limits_module.describe(field, limit)}",
        code=f"limit.{field}",
        params={"file": path.name, "limit": limit, "found": value,
                "setting": limits_module.ENV[field]},
    )


def check_file_size(path: Path, lim: Limits | None = None) -> int:
    """Return the size of ``path``; raise LimitExceeded above ``max_file_bytes``."""
    lim = lim or limits_module.current()
    try:
        size = path.stat().st_size
    except OSError as e:
        raise FileProblem(f"cannot open {path.name}: {e.strerror or e}", code="file.cannot_open",
                          params={"file": path.name}) from e
    if lim.max_file_bytes and size > lim.max_file_bytes:
        raise limit_exceeded(path, "bytes", "max_file_bytes", size, lim.max_file_bytes)
    return size


def check_encoding(encoding: str) -> str:
    """Return ``encoding`` if Python knows it as a text encoding; FileProblem otherwise.

    >>> check_encoding("gb18030")
    'gb18030'
    >>> check_encoding("zlib")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainrisk.ingest.csvfile.FileProblem: 'zlib' is not a text encoding: ...
    """
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError) as e:
        raise FileProblem(
            f"unknown encoding {encoding!r}: name a text encoding such as utf-8, gb18030 "
            "or big5", code="file.unknown_encoding", params={"encoding": encoding}
        ) from e
    if not getattr(info, "_is_text_encoding", True):
        raise FileProblem(
            f"{encoding!r} is not a text encoding: name one such as utf-8, gb18030 or big5",
            code="file.unknown_encoding", params={"encoding": encoding},
        )
    return encoding


def check_text_file(
    path: Path, encoding: str = DEFAULT_ENCODING, *, allow_nul: bool = False
) -> None:
    """Raise FileProblem when ``path`` is empty, binary or obviously in another encoding.

    With ``allow_nul`` a few stray NUL characters pass (the caller removes them); text
    that is more than 1 % NUL is still binary or UTF-16.
    """
    check_encoding(encoding)
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as e:
        raise FileProblem(f"cannot open the file: {e.strerror or e}", code="file.cannot_open",
                          params={"file": path.name}) from e
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise FileProblem("the file is empty: it needs a header row and data rows",
                          code="file.empty")
    if head.startswith(b"PK\x03\x04"):
        raise FileProblem(
            "this is an Excel workbook or a zip archive, not a CSV file: save the sheet as "
            "'CSV UTF-8', or use 'chainrisk import-suppliers' for workbooks",
            code="file.is_workbook",
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            "this is an old Excel (.xls) file, not a CSV file: save it as 'CSV UTF-8'",
            code="file.is_xls",
        )
    if not allow_nul and b"\x00" in head and not _looks_binary(head, True):
        line = head[: head.index(b"\x00")].count(b"\n") + 1
        raise FileProblem(_nul_message(line), line, code="file.nul", params={"line": line})
    if _looks_binary(head, allow_nul):
        raise FileProblem(
            "the file holds binary data (NUL bytes), not CSV text; UTF-16 files must be "
            "re-saved as UTF-8", code="file.binary",
        )
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError as e:
        line = head[: e.start].count(b"\n") + 1
        raise FileProblem(_decode_message(head, encoding, e), line, code="file.not_text",
                          params=_decode_params(head, encoding)) from e
    except LookupError as e:  # pragma: no cover - check_encoding ran first
        raise FileProblem(f"unknown encoding {encoding!r}") from e


def _nul_message(line: int) -> str:
    return (
        f"line {line} holds a NUL character, which no text cell may hold: the file is "
        "damaged or was saved by a program that pads text; remove it, or re-save the "
        "file as CSV UTF-8"
    )


_CONTROL = bytes(range(1, 9)) + bytes(range(14, 27)) + bytes(range(28, 32))


def _looks_binary(head: bytes, allow_nul: bool) -> bool:
    """Return whether ``head`` holds NUL bytes that make it binary (or UTF-16) data.

    Without ``allow_nul`` any NUL does. With it, a few stray NULs in text pass, but not
    more than 1 % of the bytes, nor NULs alongside other control bytes.

    >>> text_with_nul, binary = b"a,b" + bytes([10, 0]) + b"x,y", bytes([10, 0, 1, 2])
    >>> _looks_binary(text_with_nul, True), _looks_binary(binary, True)
    (False, True)
    """
    nuls = head.count(b"\x00")
    if not nuls:
        return False
    if not allow_nul or nuls > max(4, len(head) // 100):
        return True
    return any(byte in _CONTROL for byte in head)


def _decode_message(sample: bytes, encoding: str, error: UnicodeDecodeError) -> str:
    guess = guess_encoding(sample)
    message = f"the file is not valid {encoding.replace('-sig', '').upper()} text ({error.reason})"
    if guess and guess != encoding:
        message += (
            f"; it looks like {guess.upper()}: re-save it as UTF-8, "
            f"or load it with --encoding {guess}"
        )
    else:
        message += "; re-save it as UTF-8 (in Excel: Save As, 'CSV UTF-8')"
    return message


def _decode_params(sample: bytes, encoding: str) -> dict[str, Any]:
    guess = guess_encoding(sample)
    return {"encoding": encoding.replace("-sig", "").upper(),
            "guess": guess.upper() if guess and guess != encoding else ""}


def guess_encoding(sample: bytes) -> str | None:
    """Return the first of utf-8-sig, gb18030, big5 that decodes ``sample``, else None.

    >>> guess_encoding("供应商".encode("gb18030"))
    'gb18030'
    """
    for candidate in ("utf-8-sig", "gb18030", "big5"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return candidate
    return None


class _Lines:
    """The lines of a text file for csv.reader, each read with a bounded readline.

    Counts the characters of the record being read (the reader pulls lines only until
    a record is complete, so :meth:`record_done` marks the boundary) and refuses a
    record longer than ``row_chars``; refuses NUL characters unless ``allow_nul``.
    The line that goes over is still handed to the reader once, so that a single
    huge cell is reported as such (the reader's field limit) rather than as a row.
    """

    def __init__(self, path: Path, handle: TextIO, row_chars: int, cell_chars: int,
                 allow_nul: bool) -> None:
        self.path = path
        self.handle = handle
        self.row_chars = row_chars
        self.cell_chars = cell_chars
        self.allow_nul = allow_nul
        self.line = 0
        self.record_chars = 0
        self.record_start = 1
        self.over = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.over:
            raise self.row_error()
        text = self.handle.readline(self.row_chars + 1) if self.row_chars else (
            self.handle.readline()
        )
        if not text:
            raise StopIteration
        self.line += 1
        self.record_chars += len(text)
        if self.row_chars and self.record_chars > self.row_chars:
            self.over = True
        if not self.allow_nul and "\x00" in text:
            raise FileProblem(_nul_message(self.line), self.line, code="file.nul",
                              params={"line": self.line})
        return text

    def row_error(self) -> LimitExceeded:
        """Return the error for a record longer than ``row_chars``."""
        return LimitExceeded(
            f"{self.path.name} line {self.record_start}: the row holds more than "
            f"{self.row_chars:,} characters (a cell may hold {self.cell_chars:,}, a row "
            f"{ROW_CELLS_OF_TEXT} times that); nothing was loaded. Check the quoting of that "
            "row (an unclosed \" swallows the lines after it), or "
            f"{limits_module.describe('max_cell_chars', self.cell_chars)}",
            code="limit.row_chars",
            params={"file": self.path.name, "line": self.record_start,
                    "limit": self.row_chars, "setting": limits_module.ENV["max_cell_chars"]},
        )

    def record_done(self) -> None:
        """Mark the end of a record: the next line starts a new one."""
        if self.over:
            raise self.row_error()
        self.record_chars = 0
        self.record_start = self.line + 1


def iter_records(
    path: Path,
    encoding: str = DEFAULT_ENCODING,
    *,
    allow_nul: bool = False,
    lim: Limits | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, cells)`` for every record; ``line`` is where the record starts.

    Raises FileProblem (with the line) when the file cannot be decoded or parsed, or
    holds a NUL character (unless ``allow_nul``: cells keep it, the caller removes
    it); LimitExceeded when the file, a cell, a row or the number of rows after the
    first is over the limits in force (``lim``, default :func:`chainrisk.limits.current`).
    """
    lim = lim or limits_module.current()
    check_file_size(path, lim)
    check_text_file(path, encoding, allow_nul=allow_nul)
    cell_chars = lim.max_cell_chars
    # The csv module's own limit is the cell limit, so both rules are one rule.
    csv.field_size_limit(cell_chars if cell_chars else sys.maxsize)
    row_chars = cell_chars * ROW_CELLS_OF_TEXT if cell_chars else 0
    with path.open("r", encoding=encoding, newline="") as handle:
        lines = _Lines(path, handle, row_chars, cell_chars, allow_nul)
        reader = csv.reader(lines)
        previous = 0
        records = 0
        try:
            for cells in reader:
                lines.record_done()
                records += 1
                if lim.max_rows and records > lim.max_rows + 1:
                    raise limit_exceeded(path, "data rows", "max_rows", records - 1,
                                         lim.max_rows)
                if len(cells) > MAX_COLUMNS:
                    raise FileProblem(
                        f"line {previous + 1} has {len(cells):,} cells, more than a sheet can "
                        f"hold ({MAX_COLUMNS:,}): the file is not a table, or its separator "
                        "is not a comma",
                        previous + 1,
                        code="file.too_wide",
                        params={"line": previous + 1, "cells": len(cells), "limit": MAX_COLUMNS},
                    )
                # the formula guard chainrisk writes ('=…) comes off: a rejects.csv fixed
                # and imported again reads as the officer wrote it (chainrisk.guard)
                yield previous + 1, [unguard(c) for c in cells]
                previous = reader.line_num
        except UnicodeDecodeError as e:
            with path.open("rb") as raw:
                sample = raw.read(_SNIFF_BYTES * 16)
            raise FileProblem(_decode_message(sample, encoding, e), previous + 1,
                              code="file.not_text",
                              params=_decode_params(sample, encoding)) from e
        except csv.Error as e:
            if "field larger than field limit" in str(e):
                raise LimitExceeded(
                    f"{path.name} line {previous + 1}: a cell holds more than "
                    f"{cell_chars:,} characters; nothing was loaded. Check the quoting of "
                    "that row (an unclosed \" swallows the lines after it), or "
                    f"{limits_module.describe('max_cell_chars', cell_chars)}",
                    code="limit.max_cell_chars",
                    params={"file": path.name, "line": previous + 1, "limit": cell_chars,
                            "found": "", "setting": limits_module.ENV["max_cell_chars"]},
                ) from e
            raise FileProblem(f"the CSV cannot be parsed: {e}", previous + 1,
                              code="file.csv_syntax", params={"line": previous + 1}) from e
