"""The Neo4j store: the bundle as a property graph, over Bolt with the official driver.

The graph model is drawn in ``graph_schema/README.md``: regions, firms, components
and chains are nodes keyed by ``id`` with every column as a property (lists as string
lists, booleans as booleans, numbers as floats, missing values absent); reference
columns are also drawn as relationships (``PART_OF``, ``LOCATED_IN``, ``IN_CHAIN``,
``LEADS``); the relation tables are ``REQUIRES``, ``PRODUCES`` and ``SUPPLIES``
relationships (one ``SUPPLIES`` per component between two firms). Loads, bundles,
name resolutions and the data version live in ``Load``, ``Bundle``, ``Resolution`` and
``Meta`` nodes. Every statement is in :mod:`chainrisk.store.cypher`.

Atomicity: one load is one managed write transaction (``execute_write``), so a load that
fails at any point (the row source raises, a statement fails, the server goes away)
leaves nothing behind. The price is that Neo4j holds the whole load's changes in the
transaction state until commit, in the server's heap: about 3 KB per inserted row
(112 MiB for the 38,711 rows of a generated 5,000-firm bundle), far less for an
unchanged one. A first load of ~10^5 rows needs about 300 MB of free heap, and a
province-sized bundle (10^6+ rows) a server with several GB of heap, or the bundle split
into several loads (each all-or-nothing on its own). A load the server's transaction
memory limit stops is reported as too big, not retried. Because the transaction function
may be retried on other transient errors, the row source may be called more than once
for a table (bundle workspaces can be read again).

Reads page through nodes in key order, a few thousand per query, each page in its own
read transaction: no per-node round trips and no session held open between pages.
Neo4j reads are read-committed, not snapshots: pages read while a load commits can
mix the states before and after it, even inside one transaction. So
:meth:`Neo4jStore.snapshot` reads the data version and the number of loads before and
after its reads, and reads again when a load committed in between (a few times, then
:class:`StoreUnavailable`). What this cannot see is a commit still being applied to the
store at the very moment of the second check (Neo4j applies a committed transaction
while reads go on); that window is short, and the concurrency tests have not hit it.
A load cut off before its commit (the loading process killed, the connection or the
server gone) leaves nothing: the server rolls it back, or never logged it.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import neo4j
from neo4j import exceptions as nx

from chainrisk.errors import (
    ChainriskError,
    InputError,
    StoreError,
    StoreSchemaError,
    StoreUnavailable,
    UsageError,
)
from chainrisk.schema import (
    LABEL_KEYS,
    NODE_LABELS,
    REFERENCES,
    RELATION_TYPES,
    TABLE_ORDER,
    TABLES,
    WRITE_BACK,
    ColumnKind,
    NodeKind,
    Table,
)
from chainrisk.store import cypher
from chainrisk.store.base import (
    CLEAR,
    CellChange,
    LoadRecord,
    RowSource,
    StoreInfo,
    TableChange,
    WriteBackValue,
    cell_changes,
    merge_values,
)

__all__ = ["NEO4J_SCHEMES", "SCHEMA_VERSION", "Neo4jStore"]

NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")
SCHEMA_VERSION = 1
DEFAULT_PORT = 7687
META_KEY = "store"
USER_ENV = "NEO4J_USER"
PASSWORD_ENV = "NEO4J_PASSWORD"
PASSWORD_FILE_ENV = "NEO4J_PASSWORD_FILE"
DATABASE_ENV = "NEO4J_DATABASE"

# Query keys that name a credential: refused (the driver would log and echo the query).
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|cred|auth|key", re.IGNORECASE)
_LISTS = frozenset({ColumnKind.ID_LIST, ColumnKind.TEXT_LIST})
_FLOATS = frozenset({ColumnKind.NUMBER, ColumnKind.SHARE})
_TEXTS = frozenset(
    {ColumnKind.ID, ColumnKind.TEXT, ColumnKind.DATE, ColumnKind.USCC, ColumnKind.LEVEL,
     ColumnKind.STAGE}
)
_T = TypeVar("_T")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class _Target:
    """Where a Neo4j store URL points, without any secret."""

    scheme: str
    host: str
    port: int
    database: str | None
    user: str | None
    query: str

    @property
    def uri(self) -> str:
        """Return the URI handed to the driver."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}" + (f"?{self.query}" if self.query else "")

    def url(self, database: str | None) -> str:
        """Return the store URL as shown to users (no user, no password)."""
        return self.uri.split("?", 1)[0] + (f"/{database}" if database else "")


def _parse_url(url: str) -> _Target:
    """Return the parts of ``neo4j://[user@]host[:port][/database]``.

    The password never goes in the URL (it would end up in shell history and logs),
    so a URL holding one (as ``user:password@`` or as a query parameter named like one,
    which the driver would send and log as routing context) is refused without being
    echoed, and so is anything of it in the messages about a bad URL.
    """
    parts = urlsplit(url)
    secret_in_query = any(_SECRET_KEY.search(k) for k, _ in parse_qsl(parts.query))
    if parts.password is not None or secret_in_query:
        raise UsageError(
            "the Neo4j store URL holds a password: remove it from the URL and set "
            f"{PASSWORD_ENV} (or {PASSWORD_FILE_ENV}, a file holding it) instead"
        )
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        # "neo4j://neo4j:secret" (user:password, no host) lands here: neither the value
        # nor the ValueError quoting it goes along
        raise UsageError(
            "the Neo4j store URL has a port that is not a number: write "
            f"neo4j://host:7687 (a password goes in {PASSWORD_ENV}, never in the URL)"
        ) from None
    if parts.scheme not in NEO4J_SCHEMES:
        raise UsageError(f"{parts.scheme}:// is not a Neo4j URL scheme: use neo4j:// or bolt://")
    if not parts.hostname:
        raise UsageError("the Neo4j store URL names no host: write neo4j://host:7687")
    database = unquote(parts.path.strip("/")) or None
    user = unquote(parts.username) if parts.username else None
    return _Target(parts.scheme, parts.hostname, port, database, user, parts.query)


def _password_from_env() -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    path = os.environ.get(PASSWORD_FILE_ENV)
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as e:
            raise UsageError(
                f"cannot read {PASSWORD_FILE_ENV}={path}: {e.strerror}; name a readable file"
            ) from e
    raise UsageError(
        f"no password for Neo4j: set {PASSWORD_ENV}, or {PASSWORD_FILE_ENV} to a file holding it"
    )


# ------------------------------------------------------------------ values in and out


def _to_graph(kind: ColumnKind, value: Any) -> Any:
    """Return the Neo4j property value of a stored (or normalised) value."""
    if value is None:
        return None
    if kind in _LISTS:
        if isinstance(value, str):
            return value.split(";") if value else []
        return [str(v) for v in value]
    if kind is ColumnKind.BOOL:
        return bool(value)
    if kind in _FLOATS:
        return float(value)
    if kind is ColumnKind.INTEGER:
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if kind in _TEXTS and isinstance(value, int | float):
        # as SQLite's TEXT affinity would keep it
        return str(int(value)) if isinstance(value, bool) else str(value)
    return value


def _from_graph(kind: ColumnKind, value: Any) -> Any:
    """Return the normalised value of a property, as SqliteStore.iter_rows gives it."""
    if value is None:
        return None
    if kind in _LISTS:
        return tuple(value)
    if kind is ColumnKind.BOOL:
        return bool(value)
    if kind in _FLOATS:
        return float(value)
    return value


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _extras(table: str, text: str | None) -> dict[str, Any]:
    """Return the extra properties of a row; CLEAR for those a null removes."""
    if not text:
        return {}
    found = json.loads(text)
    extra: dict[str, Any] = {}
    for name, value in found.items():
        if name.startswith("_"):
            raise InputError(
                f"{table}: the extra column {name!r} starts with '_', which a Neo4j store "
                "keeps for its own bookkeeping; rename the column"
            )
        if value is None:
            extra[name] = CLEAR
            continue
        if isinstance(value, list) and all(_scalar(v) for v in value):
            if len({type(v) for v in value}) > 1:
                raise InputError(
                    f"{table}: the extra column {name!r} holds a list of mixed types, which "
                    "Neo4j cannot store; make its items all text or all numbers"
                )
        elif not _scalar(value):
            raise InputError(
                f"{table}: the extra column {name!r} holds {type(value).__name__} values; "
                "Neo4j properties hold text, numbers, booleans or lists of them"
            )
        extra[name] = value
    return extra


@dataclass(frozen=True)
class _Layout:
    """How one table's rows become statement parameters and come back as rows."""

    spec: Table
    relation: bool
    key_positions: tuple[int, ...]
    value_positions: tuple[int, ...]

    @classmethod
    def of(cls, table: str) -> _Layout:
        spec = TABLES[table]
        names = spec.column_names
        keys = tuple(names.index(k) for k in spec.key)
        values = tuple(i for i, name in enumerate(names) if name not in spec.key)
        return cls(spec, table in RELATION_TYPES, keys, values)

    @property
    def columns(self) -> list[str]:
        """Return the property names compared and set, in row order (keys excluded)."""
        return [self.spec.columns[i].name for i in self.value_positions]

    def given(self, row: tuple[Any, ...]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Return the key of a row from a RowSource and what it gives, as properties.

        The values are {property: value} for the layout properties (key excluded) and
        the extra ones: None says nothing, CLEAR removes (see :func:`merge_values`).
        """
        columns = self.spec.columns
        if len(row) != len(columns) + 1:
            raise ValueError(
                f"{self.spec.name}: a row has {len(row)} values, expected "
                f"{len(columns)} columns and the extras"
            )
        if any(row[i] is CLEAR for i in self.key_positions):
            raise ValueError(f"{self.spec.name}: a key column cannot be cleared")
        key = tuple(_to_graph(columns[i].kind, row[i]) for i in self.key_positions)
        given: dict[str, Any] = {
            columns[i].name: row[i] if row[i] is CLEAR else _to_graph(columns[i].kind, row[i])
            for i in self.value_positions
        }
        given.update(_extras(self.spec.name, row[-1]))
        return key, given

    def stored(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Return the layout (key excluded) and extra properties a node or relationship holds."""
        out = {c: props[c] for c in self.columns if props.get(c) is not None}
        for name in props.get("_extras") or ():
            if props.get(name) is not None:
                out[name] = props[name]
        return out

    def params(self, key: tuple[Any, ...], values: Mapping[str, Any]) -> list[Any]:
        """Return the statement row (see cypher) that writes ``values`` as the whole row."""
        known = set(self.columns)
        extra = [name for name in values if name not in known]
        return [
            [values.get(c) for c in self.columns],
            extra or None,
            [values[name] for name in extra] if extra else None,
            *key,
        ]

    def normalise(self, name: str, value: Any) -> Any:
        """Return a property value as iter_rows gives it."""
        if self.spec.has_column(name):
            return _from_graph(self.spec.column(name).kind, value)
        return value

    def row(self, props: Mapping[str, Any], **keys: Any) -> dict[str, Any]:
        """Return a row as SqliteStore.iter_rows gives it, from stored properties."""
        out = {c.name: _from_graph(c.kind, props.get(c.name)) for c in self.spec.columns}
        out.update(keys)
        for name in props.get("_extras") or ():
            out[name] = props.get(name)
        return out


_LAYOUTS = {t: _Layout.of(t) for t in TABLE_ORDER}


# --------------------------------------------------------------------------- the store


class Neo4jStore:
    """A Neo4j database holding chain bundles (``neo4j://host:7687[/database]``).

    The user is ``user``, else the URL's, else ``$NEO4J_USER``, else ``neo4j``; the
    password is ``password``, else ``$NEO4J_PASSWORD``, else the contents of the file
    ``$NEO4J_PASSWORD_FILE``. It is handed to the driver and kept nowhere else: not in
    ``url``, ``repr`` or any message. The database is ``database``, else the URL's path,
    else ``$NEO4J_DATABASE``, else the server's default. ``driver`` replaces the driver
    the store would open (tests pass a recording fake). Loads need the uniqueness
    constraints of ``graph_schema/constraints.cypher``: :meth:`apply_schema` creates them.
    """

    #: Rows per ``UNWIND`` statement while loading.
    batch_size: int = 2000
    #: Nodes per read query while reading.
    page_size: int = 2000
    #: Times :meth:`snapshot` reads before it gives up because loads keep committing.
    snapshot_attempts: int = 8

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        driver: neo4j.Driver | None = None,
    ) -> None:
        target = _parse_url(url)
        self.user = user or target.user or os.environ.get(USER_ENV) or "neo4j"
        self.database = database or target.database or os.environ.get(DATABASE_ENV) or None
        self.url = target.url(self.database)
        self.location = f"{target.host}:{target.port}" + (
            f" (database {self.database})" if self.database else " (default database)"
        )
        if driver is None:
            secret = password if password is not None else _password_from_env()
            try:
                driver = neo4j.GraphDatabase.driver(
                    target.uri,
                    auth=neo4j.basic_auth(self.user, secret),
                    user_agent="chainrisk",
                    notifications_min_severity="OFF",
                )
            except (ValueError, nx.ConfigurationError) as e:
                # the driver's message quotes the URI, query included: show ours instead
                detail = str(e).replace(target.uri, self.url)
                raise UsageError(f"cannot use the Neo4j store {self.url}: {detail}") from e
            try:
                with self._errors():
                    driver.verify_connectivity()
            except BaseException:
                driver.close()
                raise
        self._driver = driver
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        self._in_snapshot = threading.local()

    def __repr__(self) -> str:
        return f"Neo4jStore({self.url!r}, user={self.user!r})"

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn driver errors into chainrisk's, saying what to do (never the password)."""
        try:
            yield
        except ChainriskError:
            raise
        except (nx.ServiceUnavailable, nx.SessionExpired) as e:
            raise StoreUnavailable(
                f"cannot reach Neo4j at {self.url} ({e}); start it or check the URL, "
                "then try again"
            ) from e
        except nx.AuthError as e:
            raise StoreError(
                f"Neo4j at {self.url} refused the user {self.user!r} and its password: set "
                f"{USER_ENV} and {PASSWORD_ENV} (or {PASSWORD_FILE_ENV}) to an account of "
                "that server"
            ) from e
        except nx.TransientError as e:
            raise StoreUnavailable(
                f"Neo4j at {self.url} is busy ({_describe(e)}); try again in a moment"
            ) from e
        except nx.ClientError as e:
            if "DatabaseNotFound" in str(getattr(e, "code", "")):
                raise StoreError(
                    f"Neo4j at {self.url} has no database {self.database!r}: create it or "
                    f"name another in the URL path or {DATABASE_ENV}"
                ) from e
            raise StoreError(f"Neo4j at {self.url} refused a statement: {_describe(e)}") from e
        except nx.Neo4jError as e:
            raise StoreError(f"Neo4j at {self.url} failed: {_describe(e)}") from e
        except nx.DriverError as e:
            raise StoreError(f"the Neo4j driver failed for {self.url}: {e}") from e

    def _session(self, access: str) -> neo4j.Session:
        return self._driver.session(
            database=self.database,
            default_access_mode=access,
            bookmark_manager=self._bookmarks,
        )

    def _read(self, work: Callable[[neo4j.ManagedTransaction], _T]) -> _T:
        with self._errors(), self._session(neo4j.READ_ACCESS) as session:
            return session.execute_read(work)

    def _write(self, work: Callable[[neo4j.ManagedTransaction], _T]) -> _T:
        with self._errors(), self._session(neo4j.WRITE_ACCESS) as session:
            return session.execute_write(work)

    def _records(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """Return every record of one read query, as plain dicts."""
        return self._read(lambda tx: [r.data() for r in tx.run(query, params)])

    def _pages(self, table: str, query: str) -> Iterator[list[dict[str, Any]]]:
        """Yield the records of ``query`` page by page in key order, checking that order.

        Each page starts at the last key of the one before (inclusive, dropped here), so
        that one query text serves every page and no key can be skipped.
        """
        start: str | None = None
        while True:
            limit = self.page_size + (start is not None)
            page = self._records(query, **{"from": start or "", "limit": limit})
            got = len(page)
            if start is not None and page and page[0]["key"] == start:
                page = page[1:]
            keys = [r["key"] for r in page]
            if any(b <= a for a, b in pairwise(keys)) or (
                start is not None and keys and keys[0] <= start
            ):
                raise StoreSchemaError(
                    f"Neo4j at {self.url} returned {table} out of key order (the uniqueness "
                    "constraints' indexes keep it): run chainrisk schema apply"
                )
            if page:
                yield page
            if got < limit:
                return
            start = keys[-1] if keys else start

    def _require_schema(self) -> None:
        """Raise StoreSchemaError unless every uniqueness constraint chainrisk needs exists."""
        have = {
            (r["labels"][0], r["properties"][0])
            for r in self._records(cypher.SHOW_CONSTRAINTS)
            if r["type"] in ("UNIQUENESS", "NODE_PROPERTY_UNIQUENESS", "NODE_KEY")
            and len(r["labels"] or ()) == 1
            and len(r["properties"] or ()) == 1
        }
        missing = [f":{label}({key})" for label, key in LABEL_KEYS.items()
                   if (label.value, key) not in have]
        if missing:
            raise StoreSchemaError(
                f"the Neo4j database at {self.url} lacks the uniqueness constraints chainrisk "
                f"needs ({', '.join(missing)}): run chainrisk schema apply --store {self.url} "
                "(or the statements of graph_schema/constraints.cypher), then load again"
            )

    # ------------------------------------------------------------------ schema

    def apply_schema(self) -> list[str]:
        """Return the statements run: constraints, then indexes (idempotent)."""
        statements = [*cypher.CONSTRAINTS, *cypher.INDEXES]
        for statement in statements:
            self._write(_runner(statement))
        return statements

    # ------------------------------------------------------------------ reading

    def snapshot(self, work: Callable[[], _T]) -> _T:
        """Return ``work()``, every read it makes through this store seeing one state.

        Neo4j cannot hold a snapshot open, so the data version and the number of loads
        are read before and after ``work``; when a load committed in between, ``work``
        runs again (up to :attr:`snapshot_attempts` times, then StoreUnavailable).
        ``work`` must only read and consume what it reads; a snapshot inside a snapshot
        is the outer one.
        """
        if getattr(self._in_snapshot, "active", False):
            return work()
        self._in_snapshot.active = True
        try:
            for _ in range(self.snapshot_attempts):
                before = self._state()
                result = work()
                if self._state() == before:
                    return result
        finally:
            self._in_snapshot.active = False
        raise StoreUnavailable(
            f"loads kept committing to Neo4j at {self.url} while chainrisk read it "
            f"({self.snapshot_attempts} reads in a row saw a load land); try again when "
            "they are done"
        )

    def _state(self) -> tuple[int, int]:
        """Return (data version, number of loads): what every committed load changes."""
        record = self._records(cypher.READ_STATE, key=META_KEY)[0]
        return int(record["data_version"] or 0), int(record["loads"])

    def known_ids(self, table: str) -> Iterator[str]:
        """Yield the ids of every row of a node table, in key order."""
        if table not in NODE_LABELS:
            raise ValueError(f"{table} is not a table of ids")
        for page in self._pages(table, cypher.ID_PAGE[table]):
            for record in page:
                yield record["key"]

    def iter_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Yield the rows of ``table`` in key order as {column: value}, extras included."""
        layout = _LAYOUTS[table]
        if not layout.relation:
            key = layout.spec.key[0]
            for page in self._pages(table, cypher.NODE_PAGE[table]):
                for record in page:
                    yield layout.row(record["props"], **{key: record["key"]})
            return
        start, end, *rest = layout.spec.key
        for page in self._pages(table, cypher.RELATION_PAGE[table]):
            rows = [
                layout.row(props, **{start: record["key"], end: other})
                for record in page
                for other, props in record["rels"]
            ]
            rows.sort(key=lambda r: tuple(r[k] for k in (start, end, *rest)))
            yield from rows

    def extra_columns(self, table: str) -> list[str]:
        """Return the sorted names of extra columns held for ``table``."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        return sorted(r["name"] for r in self._records(cypher.EXTRA_NAMES[table]))

    def bundles(self) -> list[dict[str, Any]]:
        """Return the metadata of every bundle loaded, in name order."""
        records = sorted(self._records(cypher.BUNDLES), key=lambda r: r["name"])
        return [json.loads(r["meta"]) for r in records]

    def resolutions(self, source: str | None = None) -> list[tuple[str, str, str, str]]:
        """Return (source, kind, written, id) rows, of one source or of all, sorted."""
        return sorted(
            (r["source"], r["kind"], r["written"], r["id"])
            for r in self._records(cypher.RESOLUTIONS, source=source)
        )

    def data_version(self) -> int:
        """Return a number that grows whenever a load changes data."""
        records = self._records(cypher.DATA_VERSION, key=META_KEY)
        return int(records[0]["data_version"]) if records else 0

    def loads(self, last: int | None = None) -> list[LoadRecord]:
        """Return the loads, newest first."""
        limit = last if last is not None else 2**62
        return [_load_record(r["record"]) for r in self._records(cypher.LOADS, last=limit)]

    def info(self, last_loads: int = 10) -> StoreInfo:
        """Return counts, bundles, chains and the most recent loads, all of one state."""
        return self.snapshot(lambda: self._info(last_loads))

    def _info(self, last_loads: int) -> StoreInfo:
        counts = self._records(cypher.COUNTS)[0]
        chains = sorted(self._records(cypher.CHAINS), key=lambda r: r["id"])
        return StoreInfo(
            url=self.url,
            location=self.location,
            schema_version=SCHEMA_VERSION,
            data_version=self.data_version(),
            counts={name: int(counts[name]) for name in TABLE_ORDER},
            bundles=tuple(self.bundles()),
            chains=tuple(
                {
                    "id": r["id"],
                    "name": r["name"],
                    "name_zh": r["name_zh"],
                    "components": int(r["components"]),
                    "producing_firms": int(r["producing_firms"]),
                }
                for r in chains
            ),
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

        Returns the record of the load. ``resolutions`` are (source, kind, written, id)
        rows. Raises StoreSchemaError before writing anything when the database lacks
        the uniqueness constraints, and InputError (writing nothing) when a relation row
        names a node the store does not hold, since a relationship needs both its ends.
        """
        self._require_schema()
        resolution_rows = [_resolution(r) for r in resolutions]

        def work(tx: neo4j.ManagedTransaction) -> LoadRecord:
            try:
                return self._load(
                    tx, rows, bundle=bundle, source=source, checksum=checksum,
                    rejected=rejected, on_error=on_error, resolutions=resolution_rows,
                )
            except nx.TransientError as e:
                if not _out_of_memory(e):
                    raise
                # not a driver error any more: the driver must not retry the whole load
                raise StoreError(
                    f"the load is too big for one transaction of Neo4j at {self.url} "
                    f"({_describe(e)}): give the server more heap or a higher "
                    "db.memory.transaction.max, or split the bundle into smaller loads"
                ) from e

        return self._write(work)

    def _load(
        self,
        tx: neo4j.ManagedTransaction,
        rows: RowSource,
        *,
        bundle: Mapping[str, Any],
        source: str,
        checksum: str,
        rejected: int,
        on_error: str,
        resolutions: list[dict[str, Any]],
    ) -> LoadRecord:
        started = _now()
        _lock(tx, self.url)
        load_id = int(tx.run(cypher.NEXT_LOAD_ID).single(strict=True)["id"])
        changes: dict[str, TableChange] = {}
        written_keys: dict[str, list[str]] = {}
        cells: list[CellChange] = []
        for name in TABLE_ORDER:
            changes[name], written_keys[name] = self._write_table(
                tx, name, rows(name), load_id, cells
            )
        for ref in REFERENCES:
            for batch in _chunks(written_keys[ref.table], self.batch_size):
                tx.run(cypher.LINK[ref], keys=batch).consume()
        changed = sum(c.inserted + c.updated for c in changes.values())
        changed += _upsert_resolutions(tx, resolutions, load_id, self.batch_size)
        meta = json.dumps(dict(bundle), ensure_ascii=False, sort_keys=True)
        bundle_changed = tx.run(
            cypher.UPSERT_BUNDLE, name=str(bundle["name"]), meta=meta, load=load_id
        ).single(strict=True)["changed"]
        changed += int(bool(bundle_changed))
        if changed:
            tx.run(cypher.BUMP_DATA_VERSION, key=META_KEY).consume()
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
        tx.run(cypher.CREATE_LOAD, record=_load_properties(record)).consume()
        tx.run(cypher.UNLOCK_META, key=META_KEY).consume()
        return record

    def _write_table(
        self, tx: neo4j.ManagedTransaction, table: str, source: Iterator[tuple[Any, ...]],
        load_id: int, cells: list[CellChange],
    ) -> tuple[TableChange, list[str]]:
        """Return what merging ``source`` into ``table`` did, and the node keys written.

        Batch by batch: read what the store holds for the batch's keys, merge each row
        over it (:func:`merge_values`), and write the rows that are new or changed, each
        as a whole. The values changed go to ``cells``.
        """
        layout = _LAYOUTS[table]
        columns = layout.columns
        query = cypher.UPSERT[table]
        seen = created = written = 0
        keys: list[str] = []
        batch: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        in_batch: set[tuple[Any, ...]] = set()

        def flush() -> None:
            nonlocal created, written, batch
            if not batch:
                return
            wanted = [list(k) if layout.relation else k[0] for k, _ in batch]
            stored = {
                tuple(r["key"]) if layout.relation else (r["key"],): layout.stored(r["props"])
                for r in tx.run(cypher.CURRENT[table], keys=wanted)
            }
            out: list[list[Any]] = []
            for key, given in batch:
                old = stored.get(key)
                merged = merge_values(old, given)
                if old is not None:
                    diff = cell_changes(table, key, old, merged, layout.normalise)
                    if not diff:
                        continue
                    cells.extend(diff)
                else:
                    created += 1
                out.append(layout.params(key, merged))
            batch = []  # a new list: the one sent may still be referenced
            in_batch.clear()
            if not out:
                return
            result = tx.run(query, rows=out, columns=columns, load=load_id).single(strict=True)
            if layout.relation and result["seen"] < len(out):
                _missing_endpoints(tx, table, out)
            written += len(out)
            if not layout.relation:
                keys.extend(result["changed"])

        for row in source:
            key, given = layout.given(row)
            # a key twice in one batch must merge over its first row, written first
            if key in in_batch or len(batch) >= self.batch_size:
                flush()
            batch.append((key, given))
            in_batch.add(key)
            seen += 1
        flush()
        change = TableChange(inserted=created, updated=written - created, unchanged=seen - written)
        return change, keys

    def save_resolutions(self, rows: Iterable[tuple[str, str, str, str]]) -> int:
        """Upsert (source, kind, written, id) rows; return how many changed."""
        self._require_schema()
        params = [_resolution(r) for r in rows]

        def work(tx: neo4j.ManagedTransaction) -> int:
            _lock(tx, self.url)
            changed = _upsert_resolutions(tx, params, None, self.batch_size)
            if changed:
                tx.run(cypher.BUMP_DATA_VERSION, key=META_KEY).consume()
            tx.run(cypher.UNLOCK_META, key=META_KEY).consume()
            return changed

        return self._write(work)

    def write_back(self, rows: Mapping[str, Mapping[str, WriteBackValue]]) -> int:
        """Set analysis properties on nodes by qualified id; return how many were found.

        ``rows`` maps ``firm:tsmc``-style ids to {property: value}; the properties must
        be among :data:`chainrisk.schema.WRITE_BACK`, and None removes one. Written in
        batches (each its own transaction), outside the data: no load is recorded and
        the data version does not move. A property a node holds as an extra column is
        left as it is.
        """
        tables: dict[NodeKind, str] = {}
        for name in NODE_LABELS:
            node = TABLES[name].node
            if node is not None:
                tables[node] = name
        grouped: dict[str, list[dict[str, Any]]] = {}
        for qualified, props in rows.items():
            kind, _, ident = qualified.partition(":")
            try:
                table = tables[NodeKind(kind)]
            except ValueError:
                raise UsageError(
                    f"{qualified!r} is not a qualified node id such as firm:tsmc, "
                    "region:CN or component:euv"
                ) from None
            for name, value in props.items():
                if name not in WRITE_BACK:
                    raise UsageError(
                        f"{name!r} is not a write-back property; use one of "
                        f"{', '.join(WRITE_BACK)}"
                    )
                if value is not None and not _scalar(value):
                    raise UsageError(f"{name} of {qualified}: {value!r} is not a number")
            grouped.setdefault(table, []).append({"key": ident, "props": dict(props)})
        found = 0
        for table, params in grouped.items():
            for batch in _chunks(params, self.batch_size):
                found += self._write(_counter(cypher.SET_WRITE_BACK[table], "found", rows=batch))
        return found

    def close(self) -> None:
        """Close the driver and its connections."""
        self._driver.close()


# --------------------------------------------------------------------------- helpers


def _out_of_memory(error: nx.Neo4jError) -> bool:
    code = str(getattr(error, "code", ""))
    return "OutOfMemory" in code or "MemoryLimit" in code


def _describe(error: nx.Neo4jError) -> str:
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or str(error)
    return f"{code}: {message}" if code else str(message)


def _runner(query: str) -> Callable[[neo4j.ManagedTransaction], None]:
    def work(tx: neo4j.ManagedTransaction) -> None:
        tx.run(query).consume()

    return work


def _counter(
    query: str, field: str, **params: Any
) -> Callable[[neo4j.ManagedTransaction], int]:
    def work(tx: neo4j.ManagedTransaction) -> int:
        return int(tx.run(query, params).single(strict=True)[field])

    return work


def _chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _lock(tx: neo4j.ManagedTransaction, url: str) -> None:
    """Take the store's write lock for this transaction; check the graph model version."""
    version = tx.run(
        cypher.LOCK_META, key=META_KEY, schema_version=SCHEMA_VERSION
    ).single(strict=True)["schema_version"]
    if version != SCHEMA_VERSION:
        raise StoreSchemaError(
            f"the Neo4j store {url} has graph model version {version}, this chainrisk "
            f"expects {SCHEMA_VERSION}: dump it with the chainrisk that wrote it, then load "
            "the dump into an empty database"
        )


def _resolution(row: tuple[str, str, str, str]) -> dict[str, Any]:
    source, kind, written, ident = row
    key = json.dumps([source, kind, written], ensure_ascii=False)
    return {"key": key, "source": source, "kind": kind, "written": written, "id": ident}


def _upsert_resolutions(
    tx: neo4j.ManagedTransaction, rows: list[dict[str, Any]], load_id: int | None, size: int
) -> int:
    changed = 0
    for batch in _chunks(rows, size):
        result = tx.run(cypher.UPSERT_RESOLUTIONS, rows=batch, load=load_id)
        changed += int(result.single(strict=True)["changed"])
    return changed


def _missing_endpoints(tx: neo4j.ManagedTransaction, table: str, batch: list[list[Any]]) -> None:
    """Raise InputError naming rows of ``batch`` whose start or end node is missing."""
    spec = TABLES[table]
    start, end = spec.key[0], spec.key[1]
    examples = [
        f"{start} {r['a']!r} → {end} {r['b']!r}"
        for r in tx.run(cypher.MISSING_ENDPOINTS[table], rows=batch)
    ]
    raise InputError(
        f"{table}: rows name nodes the store does not hold (e.g. {'; '.join(examples)}); "
        f"a Neo4j relationship needs both ends: load the {spec.column(start).ref} and "
        f"{spec.column(end).ref} they name first. Nothing was loaded."
    )


def _load_properties(record: LoadRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "source": record.source,
        "bundle": record.bundle,
        "version": record.version,
        "checksum": record.checksum,
        "changes": json.dumps({k: vars(v) for k, v in record.changes.items()}),
        "rejected": record.rejected,
        "on_error": record.on_error,
    }


def _load_record(props: Mapping[str, Any]) -> LoadRecord:
    return LoadRecord(
        id=int(props["id"]),
        started_at=props["started_at"],
        finished_at=props["finished_at"],
        source=props["source"],
        bundle=props["bundle"],
        version=props["version"],
        checksum=props["checksum"],
        changes={k: TableChange(**v) for k, v in json.loads(props["changes"]).items()},
        rejected=int(props["rejected"]),
        on_error=props["on_error"],
    )
