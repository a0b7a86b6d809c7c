"""The Store protocol every backend implements, and the records it returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

_T = TypeVar("_T")

# Yields the accepted rows of a table: its known columns in schema order, then the
# extra-properties JSON text (or None). Loads merge: a column given as None says nothing
# (the stored value stays), CLEAR removes the stored value; in the extras JSON a name
# with the value null removes that extra property, and a name left out keeps it.
RowSource = Callable[[str], Iterator[tuple[Any, ...]]]


class Clear:
    """The type of :data:`CLEAR`, the value of a cell that removes a stored value."""

    _instance: Clear | None = None

    def __new__(cls) -> Clear:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "CLEAR"


#: In a row of a RowSource: remove the stored value of this column.
CLEAR = Clear()


@dataclass(frozen=True)
class CellChange:
    """One value a load changed in a row the store already held.

    ``old`` and ``new`` are normalised values as :meth:`Store.iter_rows` gives them
    (None: no value); ``key`` holds the row's key values in the table's key order.
    """

    table: str
    key: tuple[Any, ...]
    column: str
    old: Any
    new: Any


def merge_values(
    stored: Mapping[str, Any] | None, given: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the values ``stored`` with ``given`` merged over them (no None values).

    A given None keeps the stored value, :data:`CLEAR` removes it, anything else
    replaces it. Names keep their stored order; new ones follow in the given order.

    >>> merge_values({"a": 1, "b": 2, "c": 3}, {"a": None, "b": CLEAR, "c": 4, "d": 5})
    {'a': 1, 'c': 4, 'd': 5}
    >>> merge_values(None, {"a": None, "b": CLEAR, "c": "x"})
    {'c': 'x'}
    """
    merged = dict(stored or {})
    for name, value in given.items():
        if value is CLEAR:
            merged.pop(name, None)
        elif value is not None:
            merged[name] = value
    return merged


def cell_changes(
    table: str,
    key: tuple[Any, ...],
    stored: Mapping[str, Any],
    merged: Mapping[str, Any],
    normalise: Callable[[str, Any], Any],
) -> list[CellChange]:
    """Return a CellChange per name whose value differs between ``stored`` and ``merged``.

    ``normalise(name, value)`` turns a value of the store's own form into the form
    :meth:`Store.iter_rows` gives. Names come in stored order, then new ones.

    >>> cell_changes("t", ("k",), {"a": 1, "b": 2}, {"a": 1, "c": 3}, lambda n, v: v)
    ... # doctest: +NORMALIZE_WHITESPACE
    [CellChange(table='t', key=('k',), column='b', old=2, new=None),
     CellChange(table='t', key=('k',), column='c', old=None, new=3)]
    """
    names = list(stored) + [n for n in merged if n not in stored]
    out = []
    for name in names:
        old, new = stored.get(name), merged.get(name)
        if old != new:
            out.append(
                CellChange(
                    table,
                    key,
                    name,
                    None if old is None else normalise(name, old),
                    None if new is None else normalise(name, new),
                )
            )
    return out


@dataclass(frozen=True)
class TableChange:
    """What one load did to one table."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class LoadRecord:
    """One row of the store's table of loads."""

    id: int
    started_at: str
    finished_at: str
    source: str
    bundle: str
    version: str
    checksum: str
    changes: Mapping[str, TableChange] = field(default_factory=dict)
    rejected: int = 0
    on_error: str = "raise"
    #: Every value this load changed in rows already held (only on the record a load
    #: returns; the store's table of loads keeps the counts).
    cell_changes: tuple[CellChange, ...] = field(default=(), compare=False)

    @property
    def changed(self) -> int:
        """Return the number of rows this load inserted or updated."""
        return sum(c.inserted + c.updated for c in self.changes.values())


@dataclass(frozen=True)
class StoreInfo:
    """What ``chainrisk info`` shows about a store."""

    url: str
    location: str
    schema_version: int
    data_version: int
    counts: Mapping[str, int]
    bundles: tuple[Mapping[str, Any], ...]
    chains: tuple[Mapping[str, Any], ...]
    loads: tuple[LoadRecord, ...]


class Store(Protocol):
    """A place that holds chain bundles: the embedded SQLite file or a Neo4j database.

    Loads are all-or-nothing and idempotent: loading the same rows again changes
    nothing, and a failed load (or a process killed in the middle of one) leaves the
    store as it was. Readers never see part of a load: one read call sees one state,
    and :meth:`snapshot` makes several read calls see the same one.
    """

    url: str

    def known_ids(self, table: str) -> Iterator[str]:
        """Yield the ids of every row of a node table (regions, firms, …)."""
        ...

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
        """Merge every table's rows (and name resolutions) into the store in one transaction.

        A row whose key the store holds is merged over the stored row (see
        :data:`RowSource` and :func:`merge_values`): None keeps a stored value, CLEAR
        removes it. Returns the record of the load, with every value changed in
        ``cell_changes``.
        """
        ...

    def resolutions(self, source: str | None = None) -> list[tuple[str, str, str, str]]:
        """Return (source, kind, written, id) resolution rows, sorted."""
        ...

    def save_resolutions(self, rows: Iterable[tuple[str, str, str, str]]) -> int:
        """Upsert resolution rows; return how many changed."""
        ...

    def snapshot(self, work: Callable[[], _T]) -> _T:
        """Return ``work()``, all the reads it makes through this store seeing one state.

        Either every change of a load committed meanwhile is seen, or none: the way to
        read several tables (the whole graph) while loads may commit. ``work`` must only
        read, consume what it reads before returning, and may run more than once (a store
        that cannot hold a snapshot open, such as Neo4j, runs it again when a load
        committed while it ran). A snapshot inside a snapshot is the outer one.
        """
        ...

    def iter_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Yield the rows of ``table`` as {column: normalised value}, extras included."""
        ...

    def extra_columns(self, table: str) -> list[str]:
        """Return the names of extra (non-layout) columns held for ``table``, sorted."""
        ...

    def bundles(self) -> list[dict[str, Any]]:
        """Return the metadata of every bundle loaded, in name order."""
        ...

    def data_version(self) -> int:
        """Return a number that grows whenever a load changes data."""
        ...

    def info(self, last_loads: int = 10) -> StoreInfo:
        """Return counts, bundles, chains and the most recent loads."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


# A value analysis results may set on a node (None removes the property).
WriteBackValue = str | float | int | bool | None


@runtime_checkable
class WritesBack(Protocol):
    """A store that can hold analysis results as node properties (Neo4j: for Browser and
    Bloom). Ask ``isinstance(store, WritesBack)`` rather than which backend it is."""

    def write_back(self, rows: Mapping[str, Mapping[str, WriteBackValue]]) -> int:
        """Set properties on nodes by qualified id; return how many nodes were found."""
        ...


@runtime_checkable
class HasSchema(Protocol):
    """A store whose schema (constraints, indexes) is applied on request, not on opening."""

    def apply_schema(self) -> list[str]:
        """Apply the schema (idempotent); return the statements run."""
        ...
