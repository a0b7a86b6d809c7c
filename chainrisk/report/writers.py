"""Writers for export tables: a formatted workbook, CSV files, JSON — all formula-safe.

Any text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is written with a leading ``'`` (and, in the workbook, as a string with Excel's quote
prefix), so that Excel, WPS and LibreOffice show it as text and never run it.

Examples
--------
>>> safe_text('=HYPERLINK("http://x","click")')
'\\'=HYPERLINK("http://x","click")'
>>> safe_text("TSMC"), safe_text("-5 %")
('TSMC', "'-5 %")

With ``lang="zh"`` the values are Chinese too, not only the sheet names and headers:
stages, levels, bands, kinds, yes/no, the data-quality findings and the Summary's
notes, all from :mod:`chainrisk.words` (ids and names from the data stay as written).
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from chainrisk import words
from chainrisk.errors import UsageError
from chainrisk.guard import STARTERS, guard
from chainrisk.report.tables import Column, ExportTables, Table, summary_table

RISKY = tuple(sorted(STARTERS))  # what a guarded text may not start with
_FORMATS = {"share": "0.0%", "score": "0.000", "hhi": "#,##0", "int": "0"}
_BAND_COLOURS = (("high", "#F8CBAD"), ("moderate", "#FFE699"), ("unconcentrated", "#C6EFCE"))
_MAX_WIDTH = 60


def safe_text(text: str) -> str:
    """Return ``text`` so that no spreadsheet runs it as a formula (chainrisk.guard)."""
    return guard(text)


def _guarded(value: Any) -> Any:
    """Return ``value`` with every text in it guarded (lists and mappings walked)."""
    if isinstance(value, str):
        return guard(value)
    if isinstance(value, list | tuple):
        return [_guarded(v) for v in value]
    if isinstance(value, dict):
        return {k: _guarded(v) for k, v in value.items()}
    return value


def _plain(value: Any) -> Any:
    """Return a JSON/CSV-ready value: text guarded, NaN as None."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _sheets(export: ExportTables, lang: str = "en") -> list[Table]:
    # the Summary repeats each sheet's note: translated by the sheet it belongs to
    notes = {t.how_to_read: _note(t) for t in export.tables}
    return [localise(t, lang, notes) for t in (summary_table(export), *export.tables)]


def _note(table: Table) -> str:
    """Return the Chinese note of ``table`` (its English one when the catalogue has none)."""
    pair = words.WORDS.get(f"howto.{table.name}")
    return pair[0] if pair else words.translate(table.how_to_read, "zh")


# Columns whose values are words of a domain of chainrisk.words, by column kind (or, for
# a column of kind text, by its key); the data-quality table's "kind" says what a finding
# is about.
_VALUE_COLUMNS = {"stage": "stage", "level": "level", "band": "band", "role": "member_role",
                  "kind": "kind", "link_class": "link_class", "gap": "gap"}
_TEXT_COLUMNS = {("data_quality", "issue"), ("data_quality", "detail"), ("summary", "value")}


def localise(table: Table, lang: str, notes: dict[str, str] | None = None) -> Table:
    """Return ``table`` with its values in ``lang`` (en: the table itself).

    ``notes`` gives the Chinese of texts the catalogue holds under another name (the
    Summary's copies of each sheet's note).

    >>> t = Table("x", "X", "X", "", (Column("stage", "Stage", "环节位置"),
    ...           Column("ok", "OK", "是否", "bool")), [("upstream", True)])
    >>> localise(t, "zh").rows
    [('上游', '是')]
    """
    if lang != "zh":
        return table
    def cell(column: Column, value: Any, first: Any) -> Any:
        if column.kind == "bool" and isinstance(value, bool):
            return words.value("bool", value, lang)
        if not isinstance(value, str):
            return value
        domain = _VALUE_COLUMNS.get(column.kind if column.kind != "text" else column.key)
        if table.name == "data_quality" and column.key == "kind":
            domain = "quality_kind"
        if domain is not None:
            return words.value(domain, value, lang)
        if table.name == "summary" and column.key == "item":
            return _summary_item(value)
        if table.name == "summary" and str(first).startswith("Weights"):
            return _weights(value)
        if (table.name, column.key) in _TEXT_COLUMNS:
            return (notes or {}).get(value) or words.translate(value, lang)
        return value

    rows = [tuple(cell(c, v, row[0]) for c, v in zip(table.columns, row, strict=True))
            for row in table.rows]
    return Table(table.name, table.title_en, table.title_zh, _note(table), table.columns, rows)


def _weights(text: str) -> str:
    """Return "targets_lost_share 0.35, output_lost 0.25" with the parts named in Chinese."""
    def part(item: str) -> str:
        name, _, weight = item.rpartition(" ")
        return f"{words.value('part', name, 'zh')} {weight}" if name else item
    return "，".join(part(item) for item in text.split(", "))


def _summary_item(item: str) -> str:
    """Return a Summary item ("Data / 数据", "Sheet: Firms / 企业风险排名") in Chinese."""
    _, sep, chinese = item.partition(" / ")
    if not sep:
        return item
    if item.startswith("Sheet: "):
        return words.text("summary.sheet", "zh", title=chinese)
    return chinese



# Excel's limits: characters in one cell, rows in one sheet (the header takes one).
CELL_CHARS = 32_767
SHEET_ROWS = 1_048_576
_BREAKS = (", ", "; ", "，", "；", " → ", " ", "、")  # where a long text is best cut


@dataclass
class _Sheet:
    """One worksheet to write: a table, or one part of a table too long for one sheet."""

    table: Table
    name: str
    rows: list[tuple[Any, ...]]


def _cut(text: str, room: int) -> int:
    """Return where to cut ``text`` to keep at most ``room`` characters: after the last
    separator that leaves at least half the room used (never inside an id or a name
    when a separator allows), else at ``room``."""
    for sep in _BREAKS:
        at = text.rfind(sep, room // 2, room)
        if at > 0:
            return at + len(sep)
    return room


def _parts(text: str, room: int) -> list[str]:
    parts = []
    while len(text) > room:
        at = _cut(text, room)
        parts.append(text[:at])
        text = text[at:]
    return [*parts, text]


def _sheet_name(title: str, part: int, taken: set[str]) -> str:
    """Return a sheet name Excel accepts (31 characters, unique), ``title (n)`` for part n."""
    suffix = f" ({part})" if part > 1 else ""
    name = title[: 31 - len(suffix)] + suffix
    n = 2
    while name.casefold() in taken:
        extra = f"~{n}"
        name = title[: 31 - len(suffix) - len(extra)] + extra + suffix
        n += 1
    taken.add(name.casefold())
    return name


def _layout(tables: list[Table], lang: str, sheet_rows: int, cell_chars: int
            ) -> list[_Sheet]:
    """Return the sheets to write, the Summary (``tables[0]``) first.

    A table longer than a sheet continues on ``Title (2)``, ``Title (3)``…; a text
    longer than a cell keeps its beginning in the cell, with a note saying where the
    whole text is, and goes whole (in parts of a cell each) into the Long texts
    sheet. Both are said in the Summary (the first table), so nothing is lost unsaid.
    """
    taken: set[str] = set()
    per_sheet = sheet_rows - 1
    sheets: list[_Sheet] = []
    continued: list[str] = []
    for table in tables[1:]:
        rows = list(table.rows)
        chunks = [rows[i:i + per_sheet] for i in range(0, len(rows), per_sheet)] or [[]]
        names = [_sheet_name(table.title(lang), n, taken) for n in range(1, len(chunks) + 1)]
        sheets += [_Sheet(table, name, chunk) for name, chunk in zip(names, chunks,
                                                                      strict=True)]
        if len(chunks) > 1:
            more = names[1] if len(names) == 2 else f"{names[1]} – {names[-1]}"
            continued.append(words.text("export.continued", lang, sheet=names[0],
                                        rows=len(rows), more=more, limit=per_sheet))
    summary = tables[0]
    extra: list[tuple[Any, ...]] = [(words.text("export.continued_item", lang), line)
                                    for line in continued]
    long_title = words.text("export.long_texts", lang)
    long_name = _sheet_name(long_title, 1, taken)
    found: list[tuple[str, int, str, str]] = []  # sheet, row, column header, whole text

    def fitted(sheet: str, row: int, header: str, value: Any) -> Any:
        if not isinstance(value, str) or len(value) <= cell_chars:
            return value
        found.append((sheet, row, header, value))
        note = words.text("export.cut_note", lang, sheet=long_name, number=len(found))
        return value[:_cut(value, cell_chars - len(note))] + note

    def fit(sheet: _Sheet) -> None:
        headers = sheet.table.headers(lang)
        sheet.rows = [tuple(fitted(sheet.name, r, h, v) for h, v in zip(headers, row,
                                                                           strict=True))
                      for r, row in enumerate(sheet.rows, start=2)]

    for sheet in sheets:
        fit(sheet)
    summary_rows = list(summary.rows) + extra
    cuts_at = len(summary_rows)
    summary_rows.append(("", ""))  # the line on long texts, if any, filled in below
    first = _Sheet(summary, _sheet_name(summary.title(lang), 1, taken), summary_rows)
    fit(first)
    if not found:
        first.rows.pop(cuts_at)
        return [first, *sheets]
    first.rows[cuts_at] = (long_title,
                           words.text("export.long_texts_said", lang, cells=len(found),
                                      limit=cell_chars, sheet=long_name))
    texts: list[tuple[Any, ...]] = []
    for number, (where, row, header, text) in enumerate(found, start=1):
        pieces = _parts(text, cell_chars)
        texts += [(number, where, row, header, k, len(pieces), piece)
                 for k, piece in enumerate(pieces, start=1)]
    long_table = Table(
        "long_texts", words.text("export.long_texts", "en"),
        words.text("export.long_texts", "zh"), "",
        (Column("number", "No.", "序号", "int"), Column("sheet", "Sheet", "工作表"),
         Column("row", "Row", "行", "int"), Column("column", "Column", "列"),
         Column("part", "Part", "部分", "int"), Column("parts", "Parts", "共几部分", "int"),
         Column("text", "Text", "文本")),
        texts)
    return [first, *sheets, _Sheet(long_table, long_name, texts)]


def write_xlsx(export: ExportTables, path: Path, *, lang: str = "en",
               sheet_rows: int = SHEET_ROWS, cell_chars: int = CELL_CHARS) -> None:
    """Write a workbook: Summary first, one sheet per table, streamed (constant memory).

    Nothing is cut unsaid: a table longer than ``sheet_rows`` continues on further
    sheets, a text longer than ``cell_chars`` goes whole into a Long texts sheet (see
    :func:`_layout`), and the Summary says both.
    """
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
         "strings_to_numbers": False},
    )
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                              "text_wrap": True, "valign": "top"})
    guarded = book.add_format({"quote_prefix": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    numbers = {kind: book.add_format({"num_format": f}) for kind, f in _FORMATS.items()}
    bands = {words.value("band", name, lang): book.add_format({"bg_color": colour})
             for name, colour in _BAND_COLOURS}
    for part in _layout(_sheets(export, lang), lang, sheet_rows, cell_chars):
        table = part.table
        sheet = book.add_worksheet(part.name)
        headers = table.headers(lang)
        for col, (column, text) in enumerate(zip(table.columns, headers, strict=True)):
            width = max([len(text)] + [len(_shown(row[col])) for row in part.rows[:500]])
            wide = table.name in ("summary", "long_texts") and col == len(headers) - 1
            sheet.set_column(col, col, 100 if wide else min(max(width + 2, 8), _MAX_WIDTH),
                             wrap if wide else numbers.get(column.kind))
        sheet.freeze_panes(1, 0)
        for col, text in enumerate(headers):
            sheet.write_string(0, col, text, header)
        for r, row in enumerate(part.rows, start=1):
            for col, (column, value) in enumerate(zip(table.columns, row, strict=True)):
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, col, value)
                elif isinstance(value, int | float):
                    sheet.write_number(r, col, value, numbers.get(column.kind))
                else:
                    text = str(value)
                    sheet.write_string(r, col, text, guarded if text[:1] in RISKY else None)
        last = len(part.rows)
        sheet.autofilter(0, 0, max(last, 1), len(table.columns) - 1)
        for col, column in enumerate(table.columns):
            if column.key == "band" and last:
                for name, fmt in bands.items():
                    sheet.conditional_format(1, col, last, col, {
                        "type": "cell", "criteria": "==", "value": f'"{name}"', "format": fmt})
    book.close()


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else str(value)


def write_csv(export: ExportTables, target: Path, *, lang: str = "en") -> list[str]:
    """Write one CSV per table (UTF-8 with BOM) into a folder or a .zip; return the names."""
    files: dict[str, str] = {}
    for table in _sheets(export, lang):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(table.headers(lang))
        writer.writerows([_plain(v) for v in row] for row in table.rows)
        files[f"{table.name}.csv"] = "\ufeff" + buffer.getvalue()
    if target.suffix.lower() == ".zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text.encode("utf-8"))
    else:
        if target.exists() and not target.is_dir():
            raise UsageError(f"{target} is a file: give a folder, a .zip, .xlsx or .json")
        target.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (target / name).write_text(text, encoding="utf-8", newline="")
    return list(files)


def write_json(export: ExportTables, path: Path, *, lang: str = "en") -> None:
    """Write the metadata and every table as records, text cells guarded.

    Keys stay English whatever ``lang``; with zh the values are Chinese (see localise).
    """
    metadata = dict(export.metadata)
    if lang == "zh":
        metadata["formula_guard"] = words.translate(metadata["formula_guard"], lang)
    metadata = {k: _guarded(v) for k, v in metadata.items()}  # names and notes are data
    data = {
        "metadata": metadata,
        "tables": {
            t.name: {
                "title": {"en": t.title_en, "zh": t.title_zh},
                "how_to_read": t.how_to_read,
                "columns": [{"key": c.key, "en": c.en, "zh": c.zh, "kind": c.kind}
                            for c in t.columns],
                "rows": [{k: _plain(v) for k, v in r.items()} for r in t.records()],
            }
            for t in _sheets(export, lang)
        },
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def export(export_tables: ExportTables, out: Path, *, lang: str = "en") -> str:
    """Write ``export_tables`` in the format ``out`` names; return a one-line description."""
    if lang not in ("en", "zh"):
        raise UsageError("--lang is zh or en")
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        write_xlsx(export_tables, out, lang=lang)
        return f"workbook {out} ({len(export_tables.tables) + 1} sheets)"
    if suffix == ".json":
        write_json(export_tables, out, lang=lang)
        return f"JSON {out}"
    if suffix in (".csv", ".zip") or suffix == "":
        target = out.with_suffix("") if suffix == ".csv" else out
        names = write_csv(export_tables, target, lang=lang)
        return f"{len(names)} CSV files in {target}"
    raise UsageError(f"cannot tell the format of {out}: use .xlsx, .json, .zip or a folder")
