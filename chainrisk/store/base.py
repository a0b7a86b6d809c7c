"""The Store protocol every backend implements, and the records it returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

_T = TypeVar("_T")

# Yields the accepted rows of a table: its known columns in schema order, then the
# extra-properties JSON text (or None).
RowSource = Callable[[str], Iterator[tuple[Any, ...]]]


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
        """Write every table's rows (and name resolutions) in one transaction.

        Returns the record of the load.
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
