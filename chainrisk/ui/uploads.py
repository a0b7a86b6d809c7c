"""Uploaded files on their way to the loaders: unpacking bundle zips, writing lists, reports.

Nothing here touches Streamlit: the Data page hands in bytes and shows the frames.

Examples
--------
>>> import io, zipfile, tempfile
>>> buffer = io.BytesIO()
>>> with zipfile.ZipFile(buffer, "w") as z:
...     z.writestr("ic/bundle.toml", 'name = "ic"')
...     z.writestr("ic/firms.csv", "id,name,region")
>>> with tempfile.TemporaryDirectory() as tmp:
...     folder = unpack_bundle(buffer.getvalue(), Path(tmp))
...     sorted(p.name for p in folder.iterdir())
['bundle.toml', 'firms.csv']
"""

from __future__ import annotations

import re
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import pandas as pd

from chainrisk import limits, words
from chainrisk.errors import BundleError, UsageError
from chainrisk.results import LoadRecord, LoadReport

PROBLEMS_SHOWN = 500


def size_text(n: float) -> str:
    """Return a byte count as people read it.

    >>> size_text(512), size_text(1536), size_text(200 * 1024 * 1024)
    ('512 bytes', '1.5 KB', '200 MB')
    """
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}".replace(".0 ", " ")
    return f"{int(n)} bytes"


def upload_limit_mb(limit: int | None = None) -> int | None:
    """Return the upload limit in whole megabytes, rounded up, as Streamlit takes it.

    ``limit`` defaults to the limit in force; None when there is no limit.

    >>> upload_limit_mb(200 * 1024 * 1024), upload_limit_mb(1), upload_limit_mb(0)
    (200, 1, None)
    """
    limit = limits.current().max_upload_bytes if limit is None else limit
    return -(-limit // limits.MiB) if limit else None


def oversized(files: Sequence[tuple[str, int]], limit: int | None = None
              ) -> list[tuple[str, int]]:
    """Return the (name, size) of each uploaded file above the upload limit (0: none is).

    >>> oversized([("a.zip", 10), ("b.csv", 11)], limit=10)
    [('b.csv', 11)]
    """
    limit = limits.current().max_upload_bytes if limit is None else limit
    return [(name, size) for name, size in files if limit and size > limit]


def unpack_bundle(data: bytes, into: Path) -> Path:
    """Return the bundle folder (the one holding bundle.toml) unpacked from zip ``data``.

    The archive is checked first as the loaders check workbooks
    (:func:`chainrisk.service.check_archive`: member count, declared and actual
    unpacked size against ``max_unpacked_bytes``, compression ratio); then entries that
    would land outside ``into`` are refused (UsageError). A damaged archive is a
    BundleError. Every message says what is wrong and what to do.
    """
    from chainrisk.service import check_archive

    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=into.parent) as tmp:
        # check_archive reads a file: the upload is written beside the target first
        staged = Path(tmp) / "upload.zip"
        staged.write_bytes(data)
        if not zipfile.is_zipfile(staged):
            raise UsageError("the file is not a zip archive: zip the bundle folder and "
                             "upload the .zip", code="upload.not_zip")
        check_archive(staged, kind="bundle zip",
                      repair="zip the bundle folder again, or load it on the server "
                      "with 'chainrisk load'")
        try:
            with zipfile.ZipFile(staged) as archive:
                members = []
                for entry in archive.infolist():
                    path = PurePosixPath(entry.filename.replace("\\", "/"))
                    if path.is_absolute() or ".." in path.parts:
                        raise UsageError(
                            f"the zip entry {entry.filename!r} points outside the bundle",
                            code="upload.outside", params={"entry": entry.filename})
                    if path.parts and path.parts[0] == "__MACOSX":
                        continue
                    members.append(entry)
                check_members(members)  # before anything is written
                try:
                    archive.extractall(into, members=members)
                except OSError as e:
                    raise UsageError(
                        f"the zip could not be unpacked ({e.strerror or e}): nothing of it "
                        "was loaded; zip the bundle folder again and upload it",
                        code="upload.unpack_failed", params={"reason": str(e.strerror or e)},
                    ) from None
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as e:
            raise BundleError(f"the zip is damaged or uses a compression it cannot read "
                              f"({e}): zip the bundle folder again and upload it",
                              code="upload.damaged") from e
    found = sorted(into.rglob("bundle.toml"), key=lambda p: (len(p.parts), str(p)))
    if not found:
        raise UsageError("the zip holds no bundle.toml: zip the bundle folder itself "
                         "(bundle.toml and the CSV files)", code="upload.no_bundle_toml")
    return found[0].parent


MAX_NAME_CHARS = 255  # one folder or file name inside a zip (what file systems allow)
MAX_DEPTH = 32  # folders inside folders


def check_members(members: Sequence[zipfile.ZipInfo]) -> None:
    """Refuse a zip whose members cannot become a bundle folder as they are: a name
    twice (which one would win is not for chainrisk to guess), a file and a folder of
    one name, a name too long for a file system, folders nested too deep, a symbolic
    link. UsageError naming the member and what to do; called before anything is
    unpacked.
    """
    seen: dict[str, str] = {}
    files: set[str] = set()
    folders: set[str] = set()
    for entry in members:
        name = entry.filename.replace("\\", "/")
        parts = [p for p in name.split("/") if p]
        key = "/".join(parts)
        if (entry.external_attr >> 16) & 0o170000 == 0o120000:
            raise UsageError(
                f"the zip entry {name!r} is a symbolic link: zip the bundle's files "
                "themselves (without links) and upload again",
                code="upload.symlink", params={"entry": name})
        if len(parts) > MAX_DEPTH:
            raise UsageError(
                f"the zip nests folders {len(parts) - 1} deep (at most {MAX_DEPTH}): zip the "
                "bundle folder itself and upload again",
                code="upload.too_deep", params={"depth": len(parts) - 1, "limit": MAX_DEPTH})
        long = next((p for p in parts if len(p) > MAX_NAME_CHARS), None)
        if long is not None:
            raise UsageError(
                f"a name in the zip is {len(long):,} characters long (at most "
                f"{MAX_NAME_CHARS}): {long[:60]}…; shorten it and zip again",
                code="upload.long_name", params={"chars": len(long), "limit": MAX_NAME_CHARS})
        if key in seen and not entry.is_dir():
            raise UsageError(
                f"the zip holds {name!r} twice: keep one of them and zip again (chainrisk "
                "does not guess which one is meant)",
                code="upload.duplicate", params={"entry": name})
        seen[key] = name
        (folders if entry.is_dir() else files).add(key)
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    clash = sorted(files & folders)
    if clash:
        raise UsageError(
            f"the zip holds a file and a folder both called {clash[0]!r}: rename one of "
            "them and zip again",
            code="upload.file_and_folder", params={"entry": clash[0]})


def safe_name(name: str) -> str:
    """Return an uploaded file's name without folders or odd characters.

    >>> safe_name("../x/供应商 名单(1).xlsx")
    '供应商_名单_1_.xlsx'
    """
    base = PurePosixPath(name.replace("\\", "/")).name or "upload"
    return re.sub(r"[^\w.\-]", "_", base)


def write_uploads(files: Sequence[tuple[str, bytes]], into: Path) -> list[Path]:
    """Write uploaded (name, bytes) pairs into ``into``; return the paths, names kept."""
    paths = []
    for name, data in files:
        path = into / safe_name(name)
        path.write_bytes(data)
        paths.append(path)
    return paths


def counts_frame(report: LoadReport, lang: str | None = None) -> pd.DataFrame:
    """Return one row per table: read, rejected, new, changed, unchanged.

    With ``lang`` the table names are words of that language; without, as stored.
    """
    return pd.DataFrame.from_records(
        [{"table": words.value("table", name, lang) if lang else name, "read": c.read,
          "rejected": c.rejected, "inserted": c.inserted, "updated": c.updated,
          "unchanged": c.unchanged} for name, c in report.counts.items()],
        columns=["table", "read", "rejected", "inserted", "updated", "unchanged"],
    )


def problems_frame(report: LoadReport, limit: int = PROBLEMS_SHOWN, lang: str | None = None
                   ) -> pd.DataFrame:
    """Return the problems, errors first, in file and line order (at most ``limit``).

    With ``lang`` the severity and the reason are worded in that language, the reason
    with the app's remedy (:func:`chainrisk.words.problem_reason`); without, as the
    report holds them (the command line's English).
    """
    ordered = sorted(report.problems, key=lambda p: (p.severity.value != "error", p.file,
                                                     p.line or 0))
    return pd.DataFrame.from_records(
        [{"severity": words.value("severity", p.severity.value, lang) if lang
          else p.severity.value, "file": p.file, "line": p.line, "column": p.column,
          "value": p.value, "reason": words.problem_reason(p, lang) if lang else p.reason}
         for p in ordered[:limit]],
        columns=["severity", "file", "line", "column", "value", "reason"],
    )


COPY_PREFIX = "copy of "  # how the service's copy_to names the source of a copied store


def source_kind(record: LoadRecord) -> str:
    """Return what a load read: a bundle, supplier lists, or another store (a copy).

    >>> from chainrisk.results import LoadRecord
    >>> source_kind(LoadRecord(1, "", "", "a.xlsx", "suppliers:a.xlsx", "", ""))
    'suppliers'
    """
    if record.bundle.startswith("suppliers:"):
        return "suppliers"
    if record.source.startswith(COPY_PREFIX):
        return "copy"
    return "bundle"


def history_frame(loads: Sequence[LoadRecord], lang: str | None = None) -> pd.DataFrame:
    """Return the store's loads, newest first.

    With ``lang`` the kind of source and the error policy are words of that language
    (and a copy's source is the store it came from); without, as stored.
    """
    def word(domain: str, raw: str) -> str:
        return words.value(domain, raw, lang) if lang else raw

    def source(r: LoadRecord) -> str:
        return r.source.removeprefix(COPY_PREFIX) if lang else r.source

    return pd.DataFrame.from_records(
        [{"id": r.id, "finished_at": r.finished_at.replace("T", " ")[:19],
          "kind": word("source", source_kind(r)), "bundle": r.bundle,
          "version": r.version, "changed": r.changed, "rejected": r.rejected,
          "on_error": word("on_error", r.on_error), "source": source(r),
          "checksum": r.checksum[:12]}
         for r in loads],
        columns=["id", "finished_at", "kind", "bundle", "version", "changed", "rejected",
                 "on_error", "source", "checksum"],
    )
