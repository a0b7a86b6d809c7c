"""Reading and validating a chain bundle, streamed through an on-disk workspace.

A bundle folder is read file by file and row by row; every row is parsed, normalised
and staged in a temporary SQLite workspace, so memory does not grow with the bundle.
Checks that need the whole bundle (duplicate keys, references between files, region
cycles) then run as set operations over the workspace. Every problem lands in one
:class:`~chainrisk.ingest.report.LoadReport`; a store loads the accepted rows from the
workspace in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import shutil
import sqlite3
import tempfile
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from chainrisk import limits
from chainrisk.errors import BundleError, UsageError
from chainrisk.ingest.csvfile import (
    DEFAULT_ENCODING,
    FileProblem,
    check_encoding,
    check_file_size,
    iter_records,
)
from chainrisk.ingest.report import LoadReport, Reason, RejectedRow
from chainrisk.ingest.values import ValueProblem, normalise_text, parse_cell, parse_id
from chainrisk.schema import (
    BUNDLE_FILES,
    BUNDLE_KEYS,
    DEFAULT_HOME_COUNTRY,
    SHARE_QUALITIES,
    TABLE_ORDER,
    TABLES,
    ColumnKind,
    StorageValue,
    Table,
    sql_type,
    to_storage,
)
from chainrisk.store.base import CLEAR

Progress = Callable[[str, int], None]
KnownIds = Callable[[str], Iterable[str]]

_BATCH = 5000
#: A cell holding exactly this clears the stored value; an empty cell keeps it.
CLEAR_CELL = "\\N"
_COUNTRY_ID = re.compile(r"^[A-Z]{2}$")
# bundle.toml holds a few lines; a bigger one is a mistake, and YAML aliases can make a
# small file expand without end when it is written back out as JSON.
META_MAX_BYTES = 1 << 20
META_MAX_VALUES = 100_000


@dataclass(frozen=True)
class BundleMeta:
    """The bundle's bundle.toml: name, version, sources and the rest."""

    name: str
    version: str = ""
    description: str = ""
    home_country: str = DEFAULT_HOME_COUNTRY
    home_region: str = ""
    sources: tuple[Any, ...] = ()
    license: str = ""
    note: str = ""
    percent_columns: frozenset[str] = frozenset()
    shares: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the metadata as bundle.toml keys (empty ones left out)."""
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "home_country": self.home_country,
            "home_region": self.home_region,
            "license": self.license,
            "note": self.note,
            "shares": self.shares,
            "sources": list(self.sources),
        }
        data = {k: v for k, v in data.items() if v not in ("", [])}
        data.update(self.extra)
        return data


def q(name: str) -> str:
    """Return ``name`` quoted as an SQL identifier (``group`` is a keyword)."""
    return '"' + name.replace('"', '""') + '"'


def stage_ddl(table: Table, name: str) -> str:
    """Return the CREATE TABLE of a staging table for ``table``."""
    cols = ", ".join(f"{q(c.name)} {sql_type(c.kind)}" for c in table.columns)
    return (
        f"CREATE TABLE {name} (line INTEGER NOT NULL, rejected INTEGER NOT NULL DEFAULT 0, "
        f"{cols}, extra TEXT, cleared TEXT)"
    )


class Workspace:
    """A temporary SQLite file holding the staged rows of one load."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="chainrisk-ws-"))
        self.path = self.folder / "workspace.db"
        self.conn = sqlite3.connect(self.path)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        for name in TABLE_ORDER:
            table = TABLES[name]
            self.conn.execute(stage_ddl(table, f"stage_{name}"))
            self.conn.execute(f"CREATE TABLE known_{name} (id TEXT PRIMARY KEY) WITHOUT ROWID")
        self.conn.execute(
            "CREATE TABLE known_pairs (firm TEXT, component TEXT, PRIMARY KEY (firm, component)) "
            "WITHOUT ROWID"
        )

    def insert(
        self, table: Table, rows: list[tuple[StorageValue, ...]], *, cleared: bool = False
    ) -> None:
        """Stage ``rows``: (line, rejected, *columns, extra) tuples.

        With ``cleared`` each tuple ends with one more item: the names of the known
        columns whose cell asked to clear the stored value, ``;``-separated (or None).
        """
        more = ", cleared" if cleared else ""
        marks = ", ".join("?" for _ in range(len(table.columns) + (4 if cleared else 3)))
        cols = ", ".join(q(c.name) for c in table.columns)
        self.conn.executemany(
            f"INSERT INTO stage_{table.name} (line, rejected, {cols}, extra{more}) "
            f"VALUES ({marks})",
            rows,
        )

    def accepted_rows(self, table: str) -> Iterator[tuple[Any, ...]]:
        """Yield the accepted rows of ``table``: known columns in order, then extra.

        A column whose cell held the clear marker comes as :data:`CLEAR`; in the extra
        JSON a cleared extra column is null (see :data:`chainrisk.store.base.RowSource`).
        """
        spec = TABLES[table]
        names = spec.column_names
        cols = ", ".join(q(c) for c in names)
        for row in self.conn.execute(
            f"SELECT {cols}, extra, cleared FROM stage_{table} WHERE rejected = 0 ORDER BY line"
        ):
            if row[-1] is None:
                yield row[:-1]
                continue
            gone = set(row[-1].split(";"))
            yield (*(CLEAR if n in gone else v for n, v in zip(names, row, strict=False)),
                   row[-2])

    def count(self, table: str, *, rejected: bool) -> int:
        """Return the number of staged rows, rejected or accepted."""
        row = self.conn.execute(
            f"SELECT count(*) FROM stage_{table} WHERE rejected = ?", (int(rejected),)
        ).fetchone()
        return int(row[0])

    def close(self) -> None:
        """Delete the workspace."""
        self.conn.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class StagedBundle:
    """A validated bundle waiting in its workspace to be loaded (or discarded)."""

    folder: Path
    meta: BundleMeta
    workspace: Workspace
    report: LoadReport

    def __enter__(self) -> StagedBundle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.workspace.close()

    def accepted_rows(self, table: str) -> Iterator[tuple[Any, ...]]:
        """Yield accepted rows of ``table`` (known columns in order, then extra JSON)."""
        return self.workspace.accepted_rows(table)


# --------------------------------------------------------------------------- metadata


class MetaProblem(ValueError):
    """Metadata that cannot be kept as JSON (too large, self-referring); says why."""


def plain(value: Any, budget: list[int] | None = None, depth: int = 0) -> Any:
    """Return ``value`` (parsed TOML or YAML) as plain JSON data.

    Dates become ISO text, non-finite numbers and other scalars their text, sets and
    tuples lists, keys text; nulls inside lists and tables are left out, since the
    bundle.toml that ``dump`` writes cannot hold them. Raises MetaProblem past
    ``META_MAX_VALUES`` values (YAML aliases can repeat a list without end) or 100
    levels of nesting.

    >>> plain({"when": dt.date(2024, 5, 1), 1: {2, 1}, "x": float("inf"), "n": [None]})
    {'when': '2024-05-01', '1': [1, 2], 'x': 'inf', 'n': []}
    """
    budget = budget if budget is not None else [META_MAX_VALUES]
    budget[0] -= 1
    if budget[0] < 0:
        raise MetaProblem(
            f"it expands to more than {META_MAX_VALUES:,} values (YAML aliases?)"
        )
    if depth > 100:
        raise MetaProblem("it is nested more than 100 levels deep")
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {
            str(k): plain(v, budget, depth + 1) for k, v in value.items() if v is not None
        }
    if isinstance(value, set | frozenset):
        return sorted((plain(v, budget, depth + 1) for v in value if v is not None), key=repr)
    if isinstance(value, list | tuple):
        return [plain(v, budget, depth + 1) for v in value if v is not None]
    if isinstance(value, bytes):
        raise MetaProblem("it holds binary data (!!binary); write text instead")
    return str(value)


def read_meta(folder: Path, report: LoadReport) -> BundleMeta:
    """Return the bundle's metadata; problems go to ``report``."""
    found = [folder / name for name in BUNDLE_FILES if (folder / name).is_file()]
    if not found:
        report.warn(
            "bundle.toml",
            f"no bundle.toml: the bundle is named {folder.name!r} after its folder; add a "
            'bundle.toml with name = "…", version and sources to record where the data '
            "came from",
            code="meta.missing", params={"name": folder.name},
        )
        return BundleMeta(name=folder.name)
    path = found[0]
    try:
        size = path.stat().st_size
        if size > META_MAX_BYTES:
            report.error(
                path.name,
                f"is {size:,} bytes; metadata takes a few lines (at most "
                f"{META_MAX_BYTES:,} bytes): keep name, version, sources and the like there",
                code="meta.too_big", params={"size": size, "limit": META_MAX_BYTES},
            )
            return BundleMeta(name=folder.name)
        text = path.read_text(encoding="utf-8-sig")
        data: Any = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
        data = plain(data)
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as e:
        report.error(path.name, f"cannot be read: {e}; fix the syntax (it must be UTF-8)",
                     code="meta.syntax", params={"detail": str(e)})
        return BundleMeta(name=folder.name)
    except MetaProblem as e:
        report.error(path.name, f"cannot be kept: {e}; write plain text, numbers, lists "
                     "and tables", code="meta.unplain", params={"detail": str(e)})
        return BundleMeta(name=folder.name)
    except RecursionError:
        report.error(path.name, "is nested too deeply to read; keep the metadata flat",
                     code="meta.deep")
        return BundleMeta(name=folder.name)
    except OSError as e:
        report.error(path.name, f"cannot be read: {e.strerror or e}", code="file.cannot_open",
                     params={"file": path.name})
        return BundleMeta(name=folder.name)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        report.error(path.name, "must hold keys such as name = \"ic\"", code="meta.not_table")
        return BundleMeta(name=folder.name)
    name = str(data.get("name") or folder.name)
    if not data.get("name"):
        report.warn(path.name, f"has no name; using the folder name {name!r}", column="name",
                    code="meta.no_name", params={"name": name})
    home_country = str(data.get("home_country") or DEFAULT_HOME_COUNTRY)
    if not _COUNTRY_ID.match(home_country):
        report.error(
            path.name,
            "home_country must be an ISO 3166-1 alpha-2 code such as CN",
            code="meta.home_country",
            column="home_country",
            value=home_country,
        )
    sources = data.get("sources") or []
    if not isinstance(sources, list):
        report.error(path.name, "sources must be a list", column="sources",
                     code="meta.sources")
        sources = []
    percent = data.get("percent_columns") or []
    percent_columns: set[str] = set()
    for item in percent if isinstance(percent, list) else [percent]:
        table_name, _, column = str(item).removesuffix(".csv").partition(".")
        table_name = table_name.removesuffix(".csv")
        spec = TABLES.get(table_name)
        if spec is None or not spec.has_column(column) or (
            spec.column(column).kind is not ColumnKind.SHARE
        ):
            report.error(
                path.name,
                "percent_columns entries name share columns, e.g. \"produces.share\"",
                code="meta.percent_columns",
                column="percent_columns",
                value=str(item),
            )
        else:
            percent_columns.add(f"{table_name}.{column}")
    shares = str(data.get("shares") or "").strip().lower()
    if shares and shares not in SHARE_QUALITIES:
        report.error(
            path.name,
            "shares says how exact the bundle's market shares are: write "
            + " or ".join(f'shares = "{q}"' for q in SHARE_QUALITIES)
            + ", or leave it out",
            code="meta.shares", column="shares", value=str(data.get("shares")),
        )
        shares = ""
    extra = {k: v for k, v in data.items() if k not in BUNDLE_KEYS}
    return BundleMeta(
        name=name,
        version=str(data.get("version") or ""),
        description=str(data.get("description") or ""),
        home_country=home_country,
        home_region=str(data.get("home_region") or ""),
        sources=tuple(sources),
        license=str(data.get("license") or ""),
        note=str(data.get("note") or ""),
        percent_columns=frozenset(percent_columns),
        shares=shares,
        extra=extra,
    )


def bundle_checksum(folder: Path) -> str:
    """Return the SHA-256 of the bundle's metadata and CSV files, in name order."""
    digest = hashlib.sha256()
    names = [*BUNDLE_FILES, *(TABLES[t].filename for t in TABLE_ORDER)]
    for name in sorted(names):
        path = folder / name
        if path.is_file():
            digest.update(name.encode())
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- staging


def _header_names(cells: list[str]) -> list[str]:
    """Return header cells as column names: folded, lower-cased, blanks named column_N."""
    return [normalise_text(c).lower() or f"column_{i + 1}" for i, c in enumerate(cells)]


def _listed(names: list[str], most: int = 20, width: int = 60) -> str:
    """Return ``names`` joined for a message: at most ``most``, each cut to ``width``.

    >>> _listed(["a", "b" * 70, "c"], most=2, width=5)
    'a, bbbb… (and 1 more)'
    """
    shown = [n if len(n) <= width else n[: width - 1] + "…" for n in names[:most]]
    more = f" (and {len(names) - most:,} more)" if len(names) > most else ""
    return ", ".join(shown) + more


def _header(table: Table, cells: list[str], report: LoadReport) -> list[str] | None:
    """Return the normalised column names of a header row, or None when unusable."""
    names = _header_names(cells)
    dupes = sorted(n for n, times in Counter(names).items() if times > 1)
    if dupes:
        report.error(
            table.filename,
            f"the header names {_listed(dupes)} more than once: each column once",
            code="header.duplicate", params={"columns": ", ".join(dupes)},
            line=1,
        )
        return None
    missing = [c.name for c in table.required_columns if c.name not in names]
    if missing:
        hints = []
        for m in missing:
            close = get_close_matches(m, names, n=1)
            hints.append(f"{m} (found {close[0]!r}?)" if close else m)
        report.error(
            table.filename,
            f"missing required column(s): {', '.join(hints)}; the header has "
            f"{_listed(names)}. Required: {', '.join(c.name for c in table.required_columns)}",
            code="header.missing",
            params={"missing": ", ".join(hints), "found": ", ".join(names),
                    "required": ", ".join(c.name for c in table.required_columns)},
            line=1,
        )
        return None
    unknown = [n for n in names if not table.has_column(n)]
    if unknown:
        report.warn(
            table.filename,
            f"column(s) {_listed(unknown)} are not part of the layout; kept as extra "
            "properties",
            code="header.extra", params={"columns": ", ".join(unknown)},
            line=1,
        )
    return names


def _check_row(table: Table, values: dict[str, Any]) -> list[tuple[str, Reason]]:
    """Return (column, reason) for rule violations within a single row."""
    problems: list[tuple[str, Reason]] = []
    if table.name == "regions" and values.get("level") is not None:
        if values["level"] == "country":
            if values.get("parent"):
                problems.append(("parent", Reason(
                    "a country has no parent region; leave it empty", "row.country_parent")))
            if values.get("id") and not _COUNTRY_ID.match(values["id"]):
                problems.append(
                    ("id", Reason("a country id is its ISO 3166-1 alpha-2 code, e.g. CN, JP, NL",
                                  "row.country_id"))
                )
        elif not values.get("parent"):
            problems.append(
                ("parent", Reason(
                    f"a {values['level']} needs its parent region (e.g. CN for a province)",
                    "row.needs_parent", {"level": values["level"]}))
            )
        if values.get("parent") is not None and values.get("parent") == values.get("id"):
            problems.append(("parent", Reason("a region cannot be its own parent",
                                              "row.own_parent")))
    elif table.name == "requires" and values.get("product") == values.get("input") is not None:
        problems.append(("input", Reason("a component cannot require itself",
                                         "row.requires_itself")))
    elif table.name == "supplies" and values.get("supplier") == values.get("buyer") is not None:
        problems.append(("buyer", Reason("a firm cannot supply itself", "row.supplies_itself")))
    return problems


def _stage_table(
    ws: Workspace,
    folder: Path,
    table: Table,
    meta: BundleMeta,
    encoding: str,
    report: LoadReport,
    progress: Progress | None,
) -> None:
    path = folder / table.filename
    counts = report.table(table.name)
    if not path.is_file():
        if table.file_required:
            report.unreadable.add(table.filename)
            report.error(
                table.filename,
                f"required file is missing; a bundle needs regions.csv, firms.csv and "
                f"components.csv (header for this one: "
                f"{','.join(c.name for c in table.columns)})",
                code="file.required_missing",
                params={"header": ",".join(c.name for c in table.columns)},
            )
        return
    percent = {c.name for c in table.columns if f"{table.name}.{c.name}" in meta.percent_columns}
    names: list[str] | None = None
    batch: list[tuple[StorageValue, ...]] = []
    try:
        for line, cells in iter_records(path, encoding):
            if names is None:
                names = _header(table, cells, report)
                if names is None:
                    report.unreadable.add(table.filename)
                    return
                plan = _RowPlan(table, names, percent)
                continue
            if not any(c.strip() for c in cells):
                continue
            counts.read += 1
            batch.append(_stage_row(plan, line, cells, report))
            if len(batch) >= _BATCH:
                ws.insert(table, batch, cleared=True)
                batch.clear()
                if progress is not None:
                    progress(table.name, counts.read)
    except FileProblem as e:
        report.error(table.filename, str(e), line=e.line, code=e.code, params=e.params)
        report.unreadable.add(table.filename)
        return
    if names is None:
        report.unreadable.add(table.filename)
        report.error(
            table.filename,
            f"the file is empty: it needs a header row ({','.join(table.column_names)})",
            code="file.no_header", params={"header": ",".join(table.column_names)},
        )
        return
    ws.insert(table, batch, cleared=True)
    if progress is not None:
        progress(table.name, counts.read)


class _RowPlan:
    """How the cells of one file map to a table's columns, worked out once per file."""

    def __init__(self, table: Table, names: list[str], percent: set[str]) -> None:
        self.table = table
        self.names = names
        self.width = len(names)
        # (position in the table's columns, position in the row, column, parser)
        self.known: list[tuple[int, int, str, Callable[[str], StorageValue]]] = []
        self.extras: list[tuple[int, str]] = []
        position = {c.name: i for i, c in enumerate(table.columns)}
        for cell_index, name in enumerate(names):
            if table.has_column(name):
                column = table.column(name)
                parser = _storage_parser(column.kind, name in percent)
                self.known.append((position[name], cell_index, name, parser))
            else:
                self.extras.append((cell_index, name))
        self.required = [(position[c.name], c.name) for c in table.required_columns]
        self.n_columns = len(table.columns)


def _storage_parser(kind: ColumnKind, percent: bool) -> Callable[[str], StorageValue]:
    if kind is ColumnKind.TEXT:
        return str
    if kind is ColumnKind.ID:
        return parse_id

    def parse(text: str) -> StorageValue:
        return to_storage(kind, parse_cell(kind, text, percent=percent))

    return parse


def _stage_row(
    plan: _RowPlan, line: int, cells: list[str], report: LoadReport
) -> tuple[StorageValue, ...]:
    table = plan.table
    values: list[StorageValue] = [None] * plan.n_columns
    failed: set[str] = set()
    cleared: list[str] = []
    bad = False
    n_cells = len(cells)
    if n_cells > plan.width and any(c.strip() for c in cells[plan.width :]):
        report.error(
            table.filename,
            f"the row has {n_cells} cells but the header has {plan.width} columns; "
            "a cell holding a comma must be quoted",
            code="row.too_many_cells", params={"cells": n_cells, "columns": plan.width},
            line=line,
        )
        bad = True
    for position, cell_index, name, parser in plan.known:
        if cell_index >= n_cells:
            continue
        text = cells[cell_index].strip()
        if not text:
            continue
        if text == CLEAR_CELL:
            cleared.append(name)
            continue
        try:
            values[position] = parser(text)
        except ValueProblem as e:
            report.error(table.filename, str(e), line=line, column=name, value=text,
                         code=e.code, params=e.params)
            failed.add(name)
            bad = True
    for position, name in plan.required:
        if name in cleared:
            report.error(table.filename, f"{CLEAR_CELL} clears a stored value, but {name} "
                         "cannot be empty: write its value", line=line, column=name,
                         value=CLEAR_CELL, code="value.required_cleared")
            bad = True
        elif values[position] is None and name not in failed:
            report.error(table.filename, "a value is required here", line=line, column=name,
                         value="", code="value.required")
            bad = True
    if not bad and table.name in _ROW_RULES:
        row = {c.name: v for c, v in zip(table.columns, values, strict=True)}
        for column_name, reason in _check_row(table, row):
            report.error(
                table.filename,
                reason,
                line=line,
                column=column_name,
                value=str(row.get(column_name) or ""),
            )
            bad = True
    extra = None
    if plan.extras:
        # a cleared extra column is null: the store removes that property
        found = {
            name: None if cells[i].strip() == CLEAR_CELL else cells[i].strip()
            for i, name in plan.extras if i < n_cells and cells[i].strip()
        }
        if found:
            extra = json.dumps(found, ensure_ascii=False)
    return (line, int(bad), *values, extra, ";".join(cleared) or None)


_ROW_RULES = frozenset({"regions", "requires", "supplies"})


# --------------------------------------------------------------------------- checks


def _reject(
    ws: Workspace,
    table: Table,
    found: Iterable[tuple[int, str, str, str | Reason]],
    report: LoadReport,
) -> int:
    """Reject the rows given as (line, column, value, reason); return how many."""
    lines: list[tuple[int]] = []
    for line, column, value, reason in found:
        report.error(table.filename, reason, line=line, column=column, value=value)
        lines.append((line,))
    ws.conn.executemany(f"UPDATE stage_{table.name} SET rejected = 1 WHERE line = ?", lines)
    return len(lines)


def _check_duplicates(ws: Workspace, table: Table, report: LoadReport) -> None:
    s = f"stage_{table.name}"
    key = ", ".join(q(k) for k in table.key)
    ws.conn.execute(f"CREATE INDEX {s}_key ON {s} ({key}, line)")
    same = " AND ".join(f"o.{q(k)} = s.{q(k)}" for k in table.key)
    rows = ws.conn.execute(
        f"SELECT s.line, {', '.join('s.' + q(k) for k in table.key)}, "
        f"(SELECT min(o.line) FROM {s} o WHERE {same} AND o.rejected = 0 AND o.line < s.line) "
        f"FROM {s} s WHERE s.rejected = 0 AND EXISTS (SELECT 1 FROM {s} o WHERE {same} "
        "AND o.rejected = 0 AND o.line < s.line)"
    ).fetchall()
    what = " + ".join(table.key)
    _reject(
        ws,
        table,
        (
            (
                r[0],
                table.key[-1] if len(table.key) > 1 else table.key[0],
                "/".join(str(v) for v in r[1:-1]),
                Reason(f"duplicate {what}: already given on line {r[-1]}; keep one of the two "
                       "rows", "row.duplicate", {"key": what, "line": r[-1]}),
            )
            for r in rows
        ),
        report,
    )


def _check_references(
    ws: Workspace, table: Table, report: LoadReport, unreadable: set[str]
) -> int:
    """Reject rows whose single-id references resolve neither in the bundle nor the store.

    References into a file that could not be read are not checked: the load fails on
    that file anyway, and a list of every row pointing into it would bury the cause.
    """
    rejected = 0
    s = f"stage_{table.name}"
    for column in table.columns:
        if column.ref is None or column.kind is not ColumnKind.ID or column.ref in unreadable:
            continue
        ref = TABLES[column.ref]
        r = f"stage_{ref.name}"
        col = q(column.name)
        rows = ws.conn.execute(
            f"SELECT s.line, s.{col}, (SELECT min(x.line) FROM {r} x WHERE x.id = s.{col}) "
            f"FROM {s} s WHERE s.rejected = 0 AND s.{col} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {r} a WHERE a.id = s.{col} AND a.rejected = 0) "
            f"AND NOT EXISTS (SELECT 1 FROM known_{ref.name} k WHERE k.id = s.{col})"
        ).fetchall()
        rejected += _reject(
            ws,
            table,
            (
                (line, column.name, value, _unknown(ref, value, where))
                for line, value, where in rows
            ),
            report,
        )
    return rejected


def _unknown(ref: Table, value: str, rejected_line: int | None) -> Reason:
    noun = ref.name.removesuffix("s")
    params = {"kind": noun, "id": value, "file": ref.filename, "line": rejected_line}
    if rejected_line is not None:
        return Reason(f"{noun} {value!r} was rejected ({ref.filename} line {rejected_line}); "
                      "fix it there", "ref.rejected", params)
    return Reason(f"unknown {noun} {value!r}: add it to {ref.filename} (or fix the spelling)",
                  "ref.unknown", params)


def _check_list_references(
    ws: Workspace, table: Table, report: LoadReport, unreadable: set[str]
) -> None:
    for column in table.columns:
        if column.ref is None or column.kind is not ColumnKind.ID_LIST or column.ref in unreadable:
            continue
        ref = TABLES[column.ref]
        valid = {
            row[0]
            for row in ws.conn.execute(
                f"SELECT id FROM stage_{ref.name} WHERE rejected = 0 "
                f"UNION SELECT id FROM known_{ref.name}"
            )
        }
        found = []
        for line, value in ws.conn.execute(
            f"SELECT line, {q(column.name)} FROM stage_{table.name} "
            f"WHERE rejected = 0 AND {q(column.name)} IS NOT NULL"
        ):
            missing = [v for v in str(value).split(";") if v and v not in valid]
            if missing:
                found.append((line, column.name, value, _unknown(ref, missing[0], None)))
        _reject(ws, table, found, report)


def _check_region_cycles(ws: Workspace, report: LoadReport) -> None:
    parent: dict[str, str] = {}
    line_of: dict[str, int] = {}
    for line, ident, par in ws.conn.execute(
        "SELECT line, id, parent FROM stage_regions WHERE rejected = 0"
    ):
        line_of[ident] = line
        if par is not None:
            parent[ident] = par
    in_cycle: set[str] = set()
    for start in parent:
        seen: list[str] = []
        node: str | None = start
        while node is not None and node not in seen and node not in in_cycle:
            seen.append(node)
            node = parent.get(node)
        if node is not None and node in seen:
            in_cycle.update(seen[seen.index(node) :])
    _reject(
        ws,
        TABLES["regions"],
        (
            (line_of[r], "parent", parent[r],
             Reason("regions' parents form a cycle; break it", "row.region_cycle"))
            for r in sorted(in_cycle)
        ),
        report,
    )


# shares of one group may add up to this much over 100 % (rounding in the sources)
# before a load says they will be rescaled
SHARE_SLACK = 0.001


def _data_quality(ws: Workspace, report: LoadReport) -> None:
    """Warn about data the analysis must assume something for."""
    for table, group in (("produces", ("component",)), ("supplies", ("buyer", "component"))):
        cols = ", ".join(q(g) for g in group)
        for row in ws.conn.execute(
            f"SELECT {cols}, sum(share), min(line) FROM stage_{table} WHERE rejected = 0 "
            f"GROUP BY {cols} HAVING sum(share) > {1 + SHARE_SLACK!r}"
        ):
            report.warn(
                f"{table}.csv",
                f"shares of {'/'.join(row[: len(group)])} add up to {100 * row[-2]:.1f} %; "
                "they will be rescaled to 100 %",
                code="quality.shares_over",
                params={"group": "/".join(row[: len(group)]), "total": f"{100 * row[-2]:.1f}"},
                line=row[-1],
                column="share",
            )
    for line, supplier, component, source in ws.conn.execute(
        "SELECT s.line, s.supplier, s.component, (SELECT b.supplier FROM stage_supplies b "
        "WHERE b.buyer = s.supplier AND b.component = s.component AND b.rejected = 0 "
        "ORDER BY b.line LIMIT 1) FROM stage_supplies s WHERE s.rejected = 0 "
        "AND NOT EXISTS (SELECT 1 FROM stage_produces p WHERE p.firm = s.supplier "
        "AND p.component = s.component AND p.rejected = 0) "
        "AND NOT EXISTS (SELECT 1 FROM known_pairs k WHERE k.firm = s.supplier "
        "AND k.component = s.component) ORDER BY s.line LIMIT 1000"
    ):
        if source is not None:
            # it buys what it sells: a distributor. A produces row would count it as a
            # maker and distort concentration, so the advice is not to add one.
            report.warn(
                "supplies.csv",
                f"{supplier} sells {component} it buys (from {source}): it is taken as a "
                "distributor, not a maker; add no produces row for it, concentration counts "
                "the makers",
                code="quality.distributor",
                params={"supplier": supplier, "component": component, "source": source},
                line=line,
                column="supplier",
                value=supplier,
            )
            continue
        report.warn(
            "supplies.csv",
            f"{supplier} supplies {component} but no produces row says it makes it; add one "
            "to produces.csv so concentration counts it (if it only resells, add the "
            "supplies row of whom it buys from instead)",
            code="quality.supplier_not_producer",
            params={"supplier": supplier, "component": component},
            line=line,
            column="supplier",
            value=supplier,
        )


def validate(
    ws: Workspace,
    report: LoadReport,
    known: KnownIds | None = None,
    known_pairs: Iterable[tuple[str, str]] = (),
) -> None:
    """Run the whole-bundle checks over the staged rows, rejecting rows that fail.

    ``known`` gives the ids the store holds; ``known_pairs`` the (firm, component)
    produces pairs it holds, so that data-quality warnings see the store as well.
    """
    ws.conn.executemany("INSERT OR IGNORE INTO known_pairs VALUES (?, ?)", known_pairs)
    if known is not None:
        for name in TABLE_ORDER:
            if TABLES[name].key == ("id",):
                ws.conn.executemany(
                    f"INSERT OR IGNORE INTO known_{name} VALUES (?)",
                    ((i,) for i in known(name)),
                )
    unreadable = {name for name in TABLE_ORDER if TABLES[name].filename in report.unreadable}
    for name in TABLE_ORDER:
        table = TABLES[name]
        _check_duplicates(ws, table, report)
        if name == "regions":
            _check_region_cycles(ws, report)
            while _check_references(ws, table, report, unreadable):
                pass  # a rejected parent rejects its children, level by level
        else:
            _check_references(ws, table, report, unreadable)
        _check_list_references(ws, table, report, unreadable)
    _data_quality(ws, report)


def _collect_rejects(
    ws: Workspace, folder: Path, encoding: str, report: LoadReport
) -> None:
    """Count rows per table and gather every rejected row with its original cells.

    The cells are read again from the file (only files with rejected rows), so the
    workspace need not keep a copy of every row as written.
    """
    reasons: dict[tuple[str, int], list[str]] = {}
    for p in report.errors:
        if p.line is not None:
            reasons.setdefault((p.file, p.line), []).append(
                f"{p.column}: {p.reason}" if p.column else p.reason
            )
    for name in TABLE_ORDER:
        table = TABLES[name]
        counts = report.table(name)
        counts.rejected = ws.count(name, rejected=True)
        counts.accepted = ws.count(name, rejected=False)
        if not counts.rejected:
            continue
        lines = {
            row[0]
            for row in ws.conn.execute(f"SELECT line FROM stage_{name} WHERE rejected = 1")
        }
        header: list[str] = []
        for line, cells in iter_records(folder / table.filename, encoding):
            if not header:
                header = _header_names(cells)
            elif line in lines:
                named = dict(zip(header, cells, strict=False))
                named.update(
                    {f"column_{i + 1}": c for i, c in enumerate(cells) if i >= len(header)}
                )
                report.rejected_rows.append(
                    RejectedRow(
                        table.filename,
                        line,
                        "; ".join(reasons.get((table.filename, line), ["rejected"])),
                        named,
                    )
                )


def read_bundle(
    folder: Path,
    *,
    encoding: str = DEFAULT_ENCODING,
    known: KnownIds | None = None,
    known_pairs: Iterable[tuple[str, str]] = (),
    progress: Progress | None = None,
) -> StagedBundle:
    """Return the bundle in ``folder`` staged and validated; the report lists every problem.

    ``known`` gives the ids a store already holds, so that a bundle may refer to them.
    The caller owns the returned workspace (use it as a context manager).
    """
    if not folder.exists():
        raise BundleError(f"{folder} does not exist: give the folder that holds the bundle",
                          code="bundle.missing", params={"folder": str(folder)})
    if not folder.is_dir():
        raise BundleError(
            f"{folder} is a file: a bundle is a folder holding regions.csv, firms.csv, "
            "components.csv and bundle.toml", code="bundle.not_folder",
            params={"folder": str(folder)},
        )
    try:
        check_encoding(encoding)
    except FileProblem as e:
        raise UsageError(f"--encoding: {e}") from e
    lim = limits.current()
    for name in TABLE_ORDER:
        path = folder / TABLES[name].filename
        if path.is_file():
            check_file_size(path, lim)  # before anything reads it, the checksum included
    report = LoadReport(source=str(folder.resolve()))
    meta = read_meta(folder, report)
    report.bundle = meta.name
    report.checksum = bundle_checksum(folder)
    expected = {TABLES[t].filename for t in TABLE_ORDER}
    for other in sorted(folder.glob("*.csv")):
        if other.name not in expected:
            close = get_close_matches(other.name.lower(), sorted(expected), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            report.warn(other.name, f"not part of the bundle layout; ignored{hint}",
                        code="file.not_in_layout_close" if close else "file.not_in_layout",
                        params={"close": close[0]} if close else {})
    ws = Workspace()
    try:
        for name in TABLE_ORDER:
            _stage_table(ws, folder, TABLES[name], meta, encoding, report, progress)
        ws.conn.commit()
        validate(ws, report, known, known_pairs)
        ws.conn.commit()
        _collect_rejects(ws, folder, encoding, report)
    except BaseException:
        ws.close()
        raise
    return StagedBundle(folder, meta, ws, report)
