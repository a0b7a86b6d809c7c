"""Reading delimited text files row by row, with clear errors for files that are not.

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
from collections.abc import Iterator
from pathlib import Path

from chainrisk.errors import BundleError

DEFAULT_ENCODING = "utf-8-sig"
_SNIFF_BYTES = 1 << 16
# Large enough for long descriptions, small enough that a runaway cell is refused.
csv.field_size_limit(16 * 1024 * 1024)


class FileProblem(BundleError):
    """A file that cannot be read as CSV at all; ``line`` is where reading stopped."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def check_text_file(path: Path, encoding: str = DEFAULT_ENCODING) -> None:
    """Raise FileProblem when ``path`` is empty, binary or obviously in another encoding."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as e:
        raise FileProblem(f"cannot open the file: {e.strerror or e}") from e
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise FileProblem("the file is empty: it needs a header row and data rows")
    if head.startswith(b"PK\x03\x04"):
        raise FileProblem(
            "this is an Excel workbook or a zip archive, not a CSV file: save the sheet as "
            "'CSV UTF-8', or use 'chainrisk import-suppliers' for workbooks"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            "this is an old Excel (.xls) file, not a CSV file: save it as 'CSV UTF-8'"
        )
    if b"\x00" in head:
        raise FileProblem(
            "the file holds binary data (NUL bytes), not CSV text; UTF-16 files must be "
            "re-saved as UTF-8"
        )
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError as e:
        line = head[: e.start].count(b"\n") + 1
        raise FileProblem(_decode_message(head, encoding, e), line) from e
    except LookupError as e:
        raise FileProblem(f"unknown encoding {encoding!r}") from e


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


def iter_records(path: Path, encoding: str = DEFAULT_ENCODING) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, cells)`` for every record; ``line`` is where the record starts.

    Raises FileProblem (with the line) when the file cannot be decoded or parsed.
    """
    check_text_file(path, encoding)
    with path.open("r", encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        previous = 0
        try:
            for cells in reader:
                yield previous + 1, cells
                previous = reader.line_num
        except UnicodeDecodeError as e:
            with path.open("rb") as raw:
                sample = raw.read(_SNIFF_BYTES * 16)
            raise FileProblem(_decode_message(sample, encoding, e), previous + 1) from e
        except csv.Error as e:
            raise FileProblem(f"the CSV cannot be parsed: {e}", previous + 1) from e
