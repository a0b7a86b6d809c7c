"""The embedded store: one SQLite file, WAL, one transaction per load.

Each bundle table is an SQL table with the same columns (values in their stored form,
see :func:`chainrisk.schema.to_storage`), an ``extra`` JSON column for properties
outside the layout and the ``load_id`` that last changed the row. A load merges each
row over the stored one (a missing value keeps what is stored, CLEAR removes it; see
:func:`chainrisk.store.base.merge_values`), and a row whose merged values are the
stored ones is not touched, so loads are idempotent and ``data_version`` moves only
when data really changed.

Concurrency: WAL lets any number of readers (other processes too) read while one load
writes, without waiting. A load is one ``BEGIN IMMEDIATE … COMMIT``; a second load waits
for the first up to ``timeout`` seconds, then fails as :class:`StoreUnavailable`.
Every single read statement sees one committed state, and :meth:`SqliteStore.snapshot`
makes several reads (e.g. every table of the graph) see the same one. A process killed
at any point of a load leaves the store as it was before the load: SQLite never reads
WAL frames that no commit closed, and the next load writes over them.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from chainrisk.errors import StoreError, StoreSchemaError, StoreUnavailable
from chainrisk.schema import TABLE_ORDER, TABLES, ColumnKind, Table, from_storage, sql_type
from chainrisk.store.base import (
    CLEAR,
    CellChange,
    LoadRecord,
    RowSource,
    StoreInfo,
    TableChange,
    cell_changes,
    merge_values,
)

SCHEMA_VERSION = 4
#: Seconds a load waits for another process's load to finish before giving up.
BUSY_TIMEOUT = 30.0
# Rows written per executemany while loading.
_BATCH = 1000
_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


def _reads(method: _F) -> _F:
    """Turn an SQLite error raised by a read method (or while its iterator is consumed)
    into a :class:`StoreError` that says what happened and what to do."""
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def generator(self: SqliteStore, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(self, *args, **kwargs)
            except sqlite3.Error as e:
                raise _wrap(e, self.path, self.timeout) from e
        return generator  # type: ignore[return-value]

    @functools.wraps(method)
    def plain(self: SqliteStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as e:
            raise _wrap(e, self.path, self.timeout) from e
    return plain  # type: ignore[return-value]
_CONVERTED = frozenset(
    {ColumnKind.ID_LIST, ColumnKind.TEXT_LIST, ColumnKind.BOOL, ColumnKind.NUMBER,
     ColumnKind.SHARE}
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _table_ddl(table: Table) -> str:
    cols = ", ".join(f"{_q(c.name)} {sql_type(c.kind)}" for c in table.columns)
    key = ", ".join(_q(k) for k in table.key)
    return (
        f"CREATE TABLE IF NOT EXISTS {table.name} ({cols}, extra TEXT, load_id INTEGER, "
        f"PRIMARY KEY ({key}))"
    )


# How names written in a supplier list were resolved, per source, so that the next
# import of the same source resolves them the same way (and an officer can edit them).
_RESOLUTIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS resolutions (source TEXT NOT NULL, kind TEXT NOT NULL, "
    "written TEXT NOT NULL, id TEXT NOT NULL, load_id INTEGER, "
    "PRIMARY KEY (source, kind, written))"
)
# Upgrades from each older schema version to the next.
# Version 3 gave regions and components an aliases column, version 4 firms a controller
# column; what earlier loads kept as an extra column of that name moves into it (see
# _move_extra).
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (_RESOLUTIONS_DDL,),
    2: ("ALTER TABLE regions ADD COLUMN aliases TEXT",
        "ALTER TABLE components ADD COLUMN aliases TEXT"),
    3: ("ALTER TABLE firms ADD COLUMN controller TEXT",),
}
# the extra columns each upgrade turns into columns: version -> (table, column)
_MOVED_EXTRAS: dict[int, tuple[tuple[str, str], ...]] = {
    2: (("regions", "aliases"), ("components", "aliases")),
    3: (("firms", "controller"),),
}

_META_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS loads (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, "
    "finished_at TEXT NOT NULL, source TEXT NOT NULL, bundle TEXT NOT NULL, "
    "version TEXT NOT NULL, checksum TEXT NOT NULL, changes TEXT NOT NULL, "
    "rejected INTEGER NOT NULL, on_error TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS bundles (name TEXT PRIMARY KEY, meta TEXT NOT NULL, "
    "load_id INTEGER NOT NULL)",
    _RESOLUTIONS_DDL,
)


def _upsert_sql(table: Table) -> str:
    cols = [c.name for c in table.columns]
    names = ", ".join(_q(c) for c in [*cols, "extra", "load_id"])
    marks = ", ".join("?" for _ in range(len(cols) + 2))
    key = ", ".join(_q(k) for k in table.key)
    values = [c for c in cols if c not in table.key] + ["extra"]
    sets = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in [*values, "load_id"])
    differs = " OR ".join(f"{table.name}.{_q(c)} IS NOT excluded.{_q(c)}" for c in values)
    return (
        f"INSERT INTO {table.name} ({names}) VALUES ({marks}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE {differs}"
    )


class SqliteStore:
    """The embedded store in one SQLite file (``sqlite:///path.db``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = SqliteStore(pathlib.Path(tempfile.mkdtemp()) / "x.db")
    >>> store.info().counts["firms"]
    0
    >>> store.close()
    """

    def __init__(
        self, path: Path, *, url: str | None = None, timeout: float = BUSY_TIMEOUT
    ) -> None:
        self.path = path
        self.url = url or f"sqlite:///{path}"
        self.timeout = timeout
        self.read_only = False
        try:
            if path.exists():
                # another application's file is refused before anything touches it
                _check_is_ours(path, timeout)
                self.read_only = not _writable(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread=False: the app serves reruns and downloads from several
            # threads; its callers serialise access (chainrisk.ui.state.Shared.lock).
            if self.read_only:  # reads still work; a load says why it cannot
                self.conn = _connect_read_only(path, timeout)
            else:
                self.conn = sqlite3.connect(path, isolation_level=None, timeout=timeout,
                                            check_same_thread=False)
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=OFF")
            if self.read_only:
                self._check_version_only()
            else:
                self._ensure_schema()
        except sqlite3.DatabaseError as e:
            raise _wrap(e, path, timeout) from e
        except OSError as e:
            raise StoreUnavailable(f"cannot create the store at {path}: {e}") from e

    def _check_version_only(self) -> None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version != SCHEMA_VERSION:
            raise StoreSchemaError(
                f"{self.path} has store schema version {version}, this chainrisk expects "
                f"{SCHEMA_VERSION}, and it is read-only, so it cannot be upgraded: give "
                "chainrisk write access to it once, or dump it with the chainrisk that "
                "wrote it", code="store.version",
                params={"found": version, "expected": SCHEMA_VERSION})

    # ------------------------------------------------------------------ schema

    def _ensure_schema(self) -> None:
        have = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        if "meta" in have:
            row = self.conn.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
            version = int(row[0]) if row else 0
            if version in _MIGRATIONS and version < SCHEMA_VERSION:
                with self._transaction():
                    while version < SCHEMA_VERSION:
                        for ddl in _MIGRATIONS[version]:
                            if not self._adds_a_column_it_has(ddl):
                                self.conn.execute(ddl)
                        for table, column in _MOVED_EXTRAS.get(version, ()):
                            self._move_extra(table, column)
                        version += 1
                    self.conn.execute(
                        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),)
                    )
            if version != SCHEMA_VERSION:
                raise StoreSchemaError(
                    f"{self.path} has store schema version {version}, this chainrisk "
                    f"expects {SCHEMA_VERSION}: dump it with the chainrisk that wrote it, "
                    "then load the dump into a new store",
                    code="store.version", params={"found": version, "expected": SCHEMA_VERSION},
                )
            return
        if have - {"sqlite_sequence"}:
            raise StoreSchemaError(
                f"{self.path} is an SQLite file that is not a chainrisk store; "
                "name a new file with --store sqlite:///path/to/new.db",
                code="store.not_database",
            )
        with self._transaction():
            for ddl in _META_DDL:
                self.conn.execute(ddl)
            for name in TABLE_ORDER:
                self.conn.execute(_table_ddl(TABLES[name]))
            self.conn.execute("CREATE INDEX IF NOT EXISTS firms_region ON firms (region)")
            self.conn.execute(
                "CREATE INDEX IF NOT EXISTS produces_component ON produces (component)"
            )
            self.conn.execute("CREATE INDEX IF NOT EXISTS supplies_buyer ON supplies (buyer)")
            self.conn.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("schema_version", str(SCHEMA_VERSION)), ("data_version", "0")],
            )

    def _adds_a_column_it_has(self, ddl: str) -> bool:
        """Return whether ``ddl`` adds a column its table already has (a store half
        upgraded by hand, or made by a newer chainrisk and labelled older)."""
        words = ddl.split()
        if words[:2] != ["ALTER", "TABLE"] or words[3:5] != ["ADD", "COLUMN"]:
            return False
        have = {r[1] for r in self.conn.execute(f"PRAGMA table_info({words[2]})")}
        return words[5] in have

    def _move_extra(self, table: str, column: str) -> None:
        """Move an extra column of ``table`` into its new column of that name, in the
        column's stored form (a list: parts stripped, empty ones dropped; an id: the
        text stripped)."""
        kind = TABLES[table].column(column).kind
        moved = []
        for key, extra in self.conn.execute(
                f"SELECT id, extra FROM {table} WHERE extra IS NOT NULL "
                f"AND json_type(extra, '$.{column}') IS NOT NULL"):
            data = json.loads(extra)
            value = data.pop(column)
            if kind == ColumnKind.TEXT_LIST:
                items = value if isinstance(value, list) else str(value).split(";")
                stored = ";".join(p for a in items if (p := str(a).strip())) or None
            else:
                stored = str(value).strip() or None
            moved.append((stored, json.dumps(data, ensure_ascii=False) if data else None, key))
        self.conn.executemany(
            f"UPDATE {table} SET {_q(column)} = ?, extra = ? WHERE id = ?", moved)

    def _transaction(self) -> _Transaction:
        return _Transaction(self.conn, self.path, self.timeout)

    # ------------------------------------------------------------------ reading

    def snapshot(self, work: Callable[[], _T]) -> _T:
        """Return ``work()``, every read it makes through this store seeing one state.

        The reads run in one read transaction (``BEGIN`` … ``COMMIT``): WAL gives it
        the state of the last load committed when it first reads, and loads committed
        meanwhile (by other processes) stay out of it, so ``work`` sees all of a load
        or none of it. Loads never wait for it. ``work`` must consume the iterators it
        takes, and must not write; a snapshot inside a snapshot is the outer one.

        >>> import tempfile, pathlib
        >>> store = SqliteStore(pathlib.Path(tempfile.mkdtemp()) / "x.db")
        >>> store.snapshot(lambda: (store.data_version(), len(list(store.iter_rows("firms")))))
        (0, 0)
        >>> store.close()
        """
        if self.conn.in_transaction:
            return work()
        try:
            self.conn.execute("BEGIN DEFERRED")
        except sqlite3.Error as e:
            raise _wrap(e, self.path, self.timeout) from e
        try:
            return work()
        finally:
            _end_read(self.conn)

    @_reads
    def known_ids(self, table: str) -> Iterator[str]:
        """Yield the ids of every row of a node table."""
        spec = TABLES[table]
        if spec.key != ("id",):
            raise ValueError(f"{table} is not a table of ids")
        for (ident,) in self.conn.execute(f"SELECT id FROM {table}"):
            yield ident

    @_reads
    def iter_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Yield the rows of ``table`` in key order as {column: value}, extras included."""
        spec = TABLES[table]
        cols = ", ".join(_q(c.name) for c in spec.columns)
        key = ", ".join(_q(k) for k in spec.key)
        names = spec.column_names
        # only lists, booleans and numbers need converting back from their stored form
        convert = [
            (i, c.name, c.kind)
            for i, c in enumerate(spec.columns)
            if c.kind in _CONVERTED
        ]
        for row in self.conn.execute(f"SELECT {cols}, extra FROM {table} ORDER BY {key}"):
            out: dict[str, Any] = dict(zip(names, row, strict=False))
            for i, name, kind in convert:
                if row[i] is not None:
                    out[name] = from_storage(kind, row[i])
            if row[-1]:
                out.update(json.loads(row[-1]))
            yield out

    @_reads
    def extra_columns(self, table: str) -> list[str]:
        """Return the sorted names of extra columns held for ``table``."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        return [
            r[0]
            for r in self.conn.execute(
                f"SELECT DISTINCT j.key FROM {table}, json_each({table}.extra) j "
                f"WHERE {table}.extra IS NOT NULL ORDER BY j.key"
            )
        ]

    @_reads
    def bundles(self) -> list[dict[str, Any]]:
        """Return the metadata of every bundle loaded, in name order."""
        return [
            json.loads(r[0]) for r in self.conn.execute("SELECT meta FROM bundles ORDER BY name")
        ]

    @_reads
    def resolutions(self, source: str | None = None) -> list[tuple[str, str, str, str]]:
        """Return (source, kind, written, id) rows, of one source or of all, sorted."""
        sql = "SELECT source, kind, written, id FROM resolutions"
        params: tuple[str, ...] = ()
        if source is not None:
            sql += " WHERE source = ?"
            params = (source,)
        return [tuple(r) for r in self.conn.execute(sql + " ORDER BY 1, 2, 3", params)]

    def save_resolutions(self, rows: Iterable[tuple[str, str, str, str]]) -> int:
        """Upsert (source, kind, written, id) rows; return how many changed."""
        with self._transaction():
            before = self.conn.total_changes
            self.conn.executemany(
                "INSERT INTO resolutions (source, kind, written, id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source, kind, written) DO UPDATE SET id = excluded.id "
                "WHERE resolutions.id IS NOT excluded.id",
                rows,
            )
            changed = self.conn.total_changes - before
            if changed:
                self.conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                    "WHERE key = 'data_version'"
                )
        return changed

    @_reads
    def data_version(self) -> int:
        """Return a number that grows whenever a load changes data."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
        return int(row[0])

    @_reads
    def loads(self, last: int | None = None) -> list[LoadRecord]:
        """Return the loads, newest first."""
        sql = "SELECT * FROM loads ORDER BY id DESC"
        params: tuple[int, ...] = ()
        if last is not None:
            sql += " LIMIT ?"
            params = (last,)
        return [_load_record(r) for r in self.conn.execute(sql, params)]

    def info(self, last_loads: int = 10) -> StoreInfo:
        """Return counts, bundles, chains and the most recent loads, all of one state."""
        return self.snapshot(lambda: self._info(last_loads))

    @_reads
    def _info(self, last_loads: int) -> StoreInfo:
        counts = {
            name: int(self.conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
            for name in TABLE_ORDER
        }
        chains = []
        for ident, name, name_zh in self.conn.execute(
            "SELECT id, name, name_zh FROM chains ORDER BY id"
        ):
            n_components = self.conn.execute(
                "SELECT count(*) FROM components WHERE ';' || chains || ';' LIKE ?",
                (f"%;{ident};%",),
            ).fetchone()[0]
            n_firms = self.conn.execute(
                "SELECT count(DISTINCT p.firm) FROM produces p JOIN components c "
                "ON c.id = p.component WHERE ';' || c.chains || ';' LIKE ?",
                (f"%;{ident};%",),
            ).fetchone()[0]
            chains.append(
                {
                    "id": ident,
                    "name": name,
                    "name_zh": name_zh,
                    "components": int(n_components),
                    "producing_firms": int(n_firms),
                }
            )
        return StoreInfo(
            url=self.url,
            location=str(self.path),
            schema_version=SCHEMA_VERSION,
            data_version=self.data_version(),
            counts=counts,
            bundles=tuple(self.bundles()),
            chains=tuple(chains),
            loads=tuple(self.loads(last_loads)),
        )

    # ------------------------------------------------------------------ writing

    def load(
        self,
        rows: RowSource,
        *,
        bundle: Mapping[str, Any],
        source: str,
        checksum: str,
        rejected: int = 0,
        on_error: str = "raise",
        resolutions: Iterable[tuple[str, str, str, str]] = (),
    ) -> LoadRecord:
        """Merge every table's rows into the store and record the load, in one transaction.

        ``resolutions`` are (source, kind, written, id) rows for the resolution table.
        The record lists every value changed in ``cell_changes``.
        """
        started = _now()
        changes: dict[str, TableChange] = {}
        with self._transaction():
            load_id = int(
                self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM loads").fetchone()[0]
            )
            cells: list[CellChange] = []
            for name in TABLE_ORDER:
                changes[name] = self._merge_table(name, rows(name), load_id, cells)
            changed = sum(c.inserted + c.updated for c in changes.values())
            touched = self.conn.total_changes
            self.conn.executemany(
                "INSERT INTO resolutions VALUES (?, ?, ?, ?, ?) ON CONFLICT "
                "(source, kind, written) DO UPDATE SET id = excluded.id, "
                "load_id = excluded.load_id WHERE resolutions.id IS NOT excluded.id",
                ((*r, load_id) for r in resolutions),
            )
            changed += self.conn.total_changes - touched
            bundle_json = json.dumps(dict(bundle), ensure_ascii=False, sort_keys=True)
            old = self.conn.execute(
                "SELECT meta FROM bundles WHERE name = ?", (bundle["name"],)
            ).fetchone()
            if old is None or old[0] != bundle_json:
                self.conn.execute(
                    "INSERT INTO bundles VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
                    "SET meta = excluded.meta, load_id = excluded.load_id",
                    (bundle["name"], bundle_json, load_id),
                )
                changed += 1
            if changed:
                self.conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                    "WHERE key = 'data_version'"
                )
            record = LoadRecord(
                id=load_id,
                started_at=started,
                finished_at=_now(),
                source=source,
                bundle=str(bundle["name"]),
                version=str(bundle.get("version", "")),
                checksum=checksum,
                changes=changes,
                rejected=rejected,
                on_error=on_error,
                cell_changes=tuple(cells),
            )
            self.conn.execute(
                "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.started_at,
                    record.finished_at,
                    record.source,
                    record.bundle,
                    record.version,
                    record.checksum,
                    json.dumps({k: vars(v) for k, v in changes.items()}),
                    record.rejected,
                    record.on_error,
                ),
            )
        return record

    def _merge_table(
        self,
        name: str,
        source: Iterator[tuple[Any, ...]],
        load_id: int,
        cells: list[CellChange],
    ) -> TableChange:
        """Merge ``source`` into table ``name``; return the counts, cell changes to ``cells``.

        Each row is merged over the stored one (see :func:`merge_values`) and written
        only when that changes something. Rows are written in batches; a key that comes
        again first writes the batch, so that it merges over its earlier row.
        """
        spec = TABLES[name]
        kinds = {c.name: c.kind for c in spec.columns}
        names = spec.column_names
        n = len(names)
        key_positions = [names.index(k) for k in spec.key]
        cols = ", ".join(_q(c) for c in names)
        where = " AND ".join(f"{_q(k)} = ?" for k in spec.key)
        select = f"SELECT {cols}, extra FROM {name} WHERE {where}"
        upsert = _upsert_sql(spec)
        pending: list[tuple[Any, ...]] = []
        pending_keys: set[tuple[Any, ...]] = set()
        seen = inserted = updated = 0

        def normalise(column: str, value: Any) -> Any:
            kind = kinds.get(column)
            return value if kind is None else from_storage(kind, value)

        def flush() -> None:
            self.conn.executemany(upsert, pending)
            pending.clear()
            pending_keys.clear()

        for row in source:
            if len(row) != n + 1:
                raise ValueError(
                    f"{name}: a row has {len(row)} values, expected {n} columns and the extras"
                )
            given = {c: _affinity(kinds[c], v) for c, v in zip(names, row, strict=False)}
            key = tuple(given[k] for k in spec.key)
            if any(v is CLEAR for v in key):
                raise ValueError(f"{name}: a key column cannot be cleared")
            given.update(_extras_given(row[-1]))
            if key in pending_keys:
                flush()
            seen += 1
            found = self.conn.execute(select, key).fetchone()
            stored = None if found is None else _stored_values(names, found)
            merged = merge_values(stored, given)
            for i in key_positions:
                merged.setdefault(names[i], row[i])
            if stored is not None:
                diff = cell_changes(name, key, stored, merged, normalise)
                if not diff:
                    continue
                cells.extend(diff)
                updated += 1
            else:
                inserted += 1
            extra = {k: v for k, v in merged.items() if k not in kinds}
            pending.append((
                *(merged.get(c) for c in names),
                json.dumps(extra, ensure_ascii=False) if extra else None,
                load_id,
            ))
            pending_keys.add(key)
            if len(pending) >= _BATCH:
                flush()
        flush()
        return TableChange(inserted=inserted, updated=updated,
                           unchanged=seen - inserted - updated)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _affinity(kind: ColumnKind, value: Any) -> Any:
    """Return ``value`` as a column of ``kind`` stores it (SQLite's type affinity)."""
    if value is None or value is CLEAR:
        return value
    affinity = sql_type(kind)
    if affinity == "TEXT":
        if isinstance(value, bool):
            return str(int(value))
        return str(value) if isinstance(value, int | float) else value
    if affinity == "REAL" and isinstance(value, int | float):
        return float(value)
    if affinity == "INTEGER":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
    return value


def _extras_given(text: str | None) -> dict[str, Any]:
    """Return the extra properties of a row: a null value removes that property."""
    if not text:
        return {}
    found = json.loads(text)
    if not isinstance(found, dict):
        raise ValueError(f"extra properties must be a JSON object, not {text[:60]!r}")
    return {k: CLEAR if v is None else v for k, v in found.items()}


def _stored_values(names: tuple[str, ...], found: tuple[Any, ...]) -> dict[str, Any]:
    """Return a stored row as {column: stored value}, extras included, no None values."""
    stored = {c: v for c, v in zip(names, found, strict=False) if v is not None}
    if found[-1]:
        stored.update(json.loads(found[-1]))
    return stored


def _load_record(row: tuple[Any, ...]) -> LoadRecord:
    changes = {k: TableChange(**v) for k, v in json.loads(row[7]).items()}
    return LoadRecord(
        id=row[0],
        started_at=row[1],
        finished_at=row[2],
        source=row[3],
        bundle=row[4],
        version=row[5],
        checksum=row[6],
        changes=changes,
        rejected=row[8],
        on_error=row[9],
    )


def _end_read(conn: sqlite3.Connection) -> None:
    """End a read transaction unless SQLite already has (some errors roll back)."""
    if conn.in_transaction:
        conn.execute("COMMIT")  # nothing was written: COMMIT only lets go of the snapshot


def _writable(path: Path) -> bool:
    """Return whether the store file and its folder may be written (WAL needs both)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _connect_read_only(path: Path, timeout: float) -> sqlite3.Connection:
    """Open ``path`` for reading only; ``immutable`` when even its WAL index cannot be
    made (a read-only folder), which is safe because nobody can write it then either."""
    uri = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None,
                               timeout=timeout, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None,
                               timeout=timeout, check_same_thread=False)


def _check_is_ours(path: Path, timeout: float) -> None:
    """Refuse a file that is not a chainrisk store, reading it only (nothing is written,
    not even the switch to WAL)."""
    try:
        conn = _connect_read_only(path, timeout)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise _wrap(e, path, timeout) from e
    if "meta" not in names and names - {"sqlite_sequence"}:
        raise StoreSchemaError(
            f"{path} is an SQLite file that is not a chainrisk store (it was left as it "
            "was); name a new file with --store sqlite:///path/to/new.db",
            code="store.not_database",
        )


def _wrap(error: sqlite3.Error, path: Path, timeout: float) -> StoreError:
    text = str(error)
    if "malformed" in text or "disk image" in text:
        return StoreError(
            f"the store {path} is damaged ({text}); nothing was changed. Restore it from a "
            "backup, or load the bundles again into a new store",
            code="store.damaged", params={"reason": text},
        )
    if "full" in text and "disk" in text:
        return StoreError(
            f"the disk holding the store {path} is full; the load was rolled back and "
            "nothing was written. Free some space and try again",
            code="store.full",
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(
            f"the store {path} is read-only: it can be read, but nothing can be loaded "
            "into it. Give chainrisk write access to the file and its folder to load",
            code="store.read_only",
        )
    if "locked" in text or "busy" in text:
        # SQLITE_BUSY after the busy timeout: in WAL mode only a writer holds the lock
        return StoreUnavailable(
            f"another load is running on the store {path} (waited {timeout:g} s for it "
            "to finish); try again when it is done",
            code="store.busy", params={"seconds": f"{timeout:g}"},
        )
    if isinstance(error, sqlite3.DatabaseError) and "not a database" in text:
        return StoreSchemaError(
            f"{path} is not an SQLite database; name another file with --store",
            code="store.not_database",
        )
    return StoreError(f"the store {path} failed: {text}")


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception, errors wrapped.

    IMMEDIATE takes the write lock at once (waiting up to ``timeout`` for another
    process's load), so a load never fails half-way for want of it.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, timeout: float) -> None:
        self.conn = conn
        self.path = path
        self.timeout = timeout

    def __enter__(self) -> None:
        if self.conn.in_transaction:
            raise StoreError(
                f"cannot write to the store {self.path} inside a snapshot read of it: "
                "finish reading first"
            )
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise _wrap(e, self.path, self.timeout) from e

    def _rollback(self) -> None:
        # SQLite rolls some failures back itself (a full disk, an interrupt, running
        # out of memory): a second ROLLBACK would fail and hide the first error
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as e:
                self._rollback()
                raise _wrap(e, self.path, self.timeout) from e
            return
        self._rollback()
        if isinstance(exc, sqlite3.Error):
            raise _wrap(exc, self.path, self.timeout) from exc
