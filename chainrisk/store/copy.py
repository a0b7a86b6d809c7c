"""Copying everything one store holds into another, through the target's own load."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from chainrisk.errors import UsageError
from chainrisk.schema import TABLES, to_storage
from chainrisk.store.base import LoadRecord, RowSource, Store


def copy_store(source: Store, target: Store) -> list[LoadRecord]:
    """Return the loads that copied every table, bundle and resolution of ``source``.

    The tables and the resolutions go in one load of ``target`` (all or nothing), under
    the first bundle's metadata; a store holding several bundles then records each
    other bundle's metadata in a load of its own with no rows (the Store protocol takes
    one bundle per load). Copying again changes nothing. ``source`` is read in one
    snapshot, so a load landing in it meanwhile is copied whole or not at all (a Neo4j
    source is then read and copied again: the loads are idempotent).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from chainrisk.store.sqlite import SqliteStore
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> a, b = SqliteStore(folder / "a.db"), SqliteStore(folder / "b.db")
    >>> copy_store(a, b)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainrisk.errors.UsageError: the store sqlite:///... holds no bundle: nothing to copy
    >>> a.close(); b.close()
    """
    def copy() -> list[LoadRecord]:
        bundles = source.bundles()
        if not bundles:
            raise UsageError(f"the store {source.url} holds no bundle: nothing to copy")
        origin = f"copy of {source.url}"
        records = [
            target.load(
                _rows_of(source),
                bundle=bundles[0],
                source=origin,
                checksum="",
                resolutions=source.resolutions(),
            )
        ]
        for meta in bundles[1:]:
            records.append(target.load(_no_rows, bundle=meta, source=origin, checksum=""))
        return records

    return source.snapshot(copy)


def _rows_of(store: Store) -> RowSource:
    """Return a RowSource that reads ``store``'s rows back in their stored form."""

    def rows(table: str) -> Iterator[tuple[Any, ...]]:
        spec = TABLES[table]
        names = set(spec.column_names)
        for row in store.iter_rows(table):
            extra = {k: v for k, v in row.items() if k not in names}
            yield (
                *(to_storage(c.kind, row.get(c.name)) for c in spec.columns),
                json.dumps(extra, ensure_ascii=False) if extra else None,
            )

    return rows


def _no_rows(table: str) -> Iterator[tuple[Any, ...]]:
    return iter(())
