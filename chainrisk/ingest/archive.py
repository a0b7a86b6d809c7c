"""Checking a zip archive (an XLSX workbook) before anything unpacks it.

An XLSX file is a zip of XML parts. A hostile or broken one can declare parts that
unpack to gigabytes from a few kilobytes (a zip bomb), hold millions of members, or
lie about its sizes. :func:`check_archive` reads the end-of-archive record first (so a
huge central directory is never loaded), then checks every member's declared size and
compression ratio, then streams every member once through a counter, stopping as soon
as the real output passes the limit. Only an archive that passes is handed to openpyxl.

Examples
--------
>>> import io, tempfile, pathlib, zipfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "book.xlsx"
>>> with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
...     z.writestr("xl/worksheets/sheet1.xml", "<c/>" * 1000)
>>> check_archive(path, max_unpacked_bytes=1 << 20).unpacked
4000
>>> check_archive(path, max_unpacked_bytes=100)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
chainrisk.errors.LimitExceeded: book.xlsx: unpacks to more than 100 bytes (its parts ...
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from chainrisk import limits as limits_module
from chainrisk.errors import LimitExceeded
from chainrisk.ingest.csvfile import FileProblem

# A workbook has a few dozen parts; thousands of sheets and images are still far below.
MAX_MEMBERS = 10_000
# Central directory entries take about 100 bytes each.
MAX_DIRECTORY_BYTES = 4 << 20
# Deflate cannot do better than about 1032:1; XML of repeated cells reaches ~200:1 and
# real workbooks far less. Parts below MIN_RATIO_BYTES are too small to matter.
MAX_RATIO = 400
MIN_RATIO_BYTES = 4 << 20
_CHUNK = 1 << 20

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_REPAIR = "open it in Excel or WPS and save it again as .xlsx, or ask for CSV"


@dataclass(frozen=True)
class ArchiveSummary:
    """What the check found: number of members and bytes they unpack to."""

    members: int
    unpacked: int


def _directory(
    path: Path, kind: str = "Excel workbook", repair: str = _REPAIR
) -> tuple[int, int]:
    """Return (entries, central directory bytes) from the end-of-archive records."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        tail_len = min(size, (1 << 16) + 22 + 20)
        handle.seek(size - tail_len)
        tail = handle.read(tail_len)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < 22:
            raise FileProblem(
                f"{path.name} is a zip archive but not a readable {kind} (no "
                f"end-of-archive record: the file was cut short or damaged); {repair}",
                code="archive.damaged",
            )
        entries, dir_size = struct.unpack("<10xHI4x", tail[at : at + 20])
        if entries == 0xFFFF or dir_size == 0xFFFFFFFF:
            loc = at - 20
            if loc >= 0 and tail[loc : loc + 4] == _EOCD64_LOCATOR:
                (offset,) = struct.unpack("<8xQ4x", tail[loc : loc + 20])
                if offset < size:
                    handle.seek(offset)
                    record = handle.read(56)
                    if len(record) == 56 and record[:4] == _EOCD64:
                        entries, dir_size = struct.unpack("<32xQQ8x", record)
    return entries, dir_size


def check_archive(
    path: Path, *, max_unpacked_bytes: int | None = None, max_members: int = MAX_MEMBERS,
    kind: str = "Excel workbook", repair: str = _REPAIR,
) -> ArchiveSummary:
    """Return the summary of the zip at ``path`` once it is known to be safe to unpack.

    Raises LimitExceeded when its members would unpack to more than
    ``max_unpacked_bytes`` (default: the ``max_unpacked_bytes`` limit in force; 0 = no
    limit) by their declared sizes or in fact, when a large member is compressed more
    than ``MAX_RATIO``:1, or when it holds more than ``max_members`` members; and
    FileProblem when the archive is damaged. Each message names the file and the fix;
    ``kind`` (what the zip should be) and ``repair`` (how to make a good one) word it.
    """
    limit = (
        limits_module.current().max_unpacked_bytes
        if max_unpacked_bytes is None
        else max_unpacked_bytes
    )
    entries, dir_size = _directory(path, kind, repair)
    if entries > max_members or dir_size > MAX_DIRECTORY_BYTES:
        raise LimitExceeded(
            f"{path.name}: the archive lists {entries:,} parts ({dir_size:,} bytes of "
            f"directory); a {kind} has at most {max_members:,}. It is not a {kind} "
            f"anyone saved normally: {repair}",
            code="limit.archive_parts", params={"found": entries, "limit": max_members},
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > max_members:
                raise LimitExceeded(
                    f"{path.name}: the archive holds {len(infos):,} parts; a {kind} has at "
                    f"most {max_members:,}: {repair}",
                    code="limit.archive_parts", params={"found": len(infos), "limit": max_members},
                )
            declared = sum(i.file_size for i in infos)
            if limit and declared > limit:
                raise _too_big(path, limit, f"its parts declare {declared:,}", kind)
            for info in infos:
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > MIN_RATIO_BYTES and ratio > MAX_RATIO:
                    raise LimitExceeded(
                        f"{path.name}: the part {info.filename[:100]!r} unpacks "
                        f"{ratio:,.0f} times larger than it is stored ({info.file_size:,} "
                        f"bytes); no real {kind} compresses more than {MAX_RATIO}:1, so "
                        f"this is a zip bomb or a damaged file: {repair}",
                        code="limit.archive_ratio", params={"ratio": round(ratio)},
                    )
            unpacked = 0
            for info in infos:
                with archive.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        unpacked += len(chunk)
                        if limit and unpacked > limit:
                            raise _too_big(path, limit, "reading it found more", kind)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError,
            ValueError, RuntimeError) as e:
        raise FileProblem(
            f"{path.name} is a zip archive but not a readable {kind} (damaged or "
            f"unsupported: {e}); {repair}", code="archive.damaged",
        ) from e
    return ArchiveSummary(len(infos), unpacked)


def _too_big(path: Path, limit: int, found: str, kind: str) -> LimitExceeded:
    return LimitExceeded(
        f"{path.name}: unpacks to more than {limit:,} bytes ({found}); nothing was loaded. "
        f"Split the {kind}, or {limits_module.describe('max_unpacked_bytes', limit)}",
        code="limit.max_unpacked_bytes",
        params={"file": path.name, "limit": limit, "found": "",
                "setting": limits_module.ENV["max_unpacked_bytes"]},
    )


__all__ = ["MAX_MEMBERS", "MAX_RATIO", "ArchiveSummary", "check_archive"]
