"""Run one chainrisk command here, and die by SIGKILL at a chosen point of its load.

    python -m tests.faults.dying SPEC CHAINRISK-ARGUMENTS...

The test in the parent process names the point; this process kills itself there with
``kill -9`` of its own pid, so the point is exact (the parent also kills it at random
times, for what cannot be named). SPEC is one of:

- ``none``: nowhere, the command runs to its end;
- ``row:TABLE:N``: when the store takes the N-th row of TABLE (inside the load's
  transaction);
- ``sql:TEXT``: embedded store: just before the first statement starting with TEXT
  runs (``BEGIN IMMEDIATE``, ``INSERT INTO loads``, ``COMMIT``, ...);
- ``commit``: after the last statement of the load, before its commit;
- ``pause:`` followed by one of the above: print ``PAUSED`` there and wait for a line
  on stdin instead (the parent kills something else meanwhile, such as the server).

Marks on stdout, one per line as they happen: ``BEGIN`` when the load's transaction
has started, ``COMMITTED`` when the store's load returned.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

from chainrisk.cli import main
from chainrisk.store.base import LoadRecord, RowSource
from chainrisk.store.neo4j import Neo4jStore
from chainrisk.store.sqlite import SqliteStore


class Spec:
    """Where to die (or pause)."""

    def __init__(self, text: str) -> None:
        self.pause = text.startswith("pause:")
        kind, _, rest = text.removeprefix("pause:").partition(":")
        self.kind = kind
        self.table, _, n = rest.partition(":")
        self.n = int(n) if kind == "row" else 0
        self.sql = rest if kind == "sql" else ""

    def hit(self) -> None:
        """Die here, or pause until the parent says go."""
        if self.pause:
            mark("PAUSED")
            sys.stdin.readline()
            return
        os.kill(os.getpid(), signal.SIGKILL)


def mark(text: str) -> None:
    print(text, flush=True)


def watched(rows: RowSource, spec: Spec) -> RowSource:
    """Return ``rows``, hitting ``spec`` at its row."""

    def each(table: str) -> Iterator[tuple[Any, ...]]:
        for number, row in enumerate(rows(table), start=1):
            if spec.kind == "row" and table == spec.table and number == spec.n:
                spec.hit()
            yield row

    return each


def install(spec: Spec) -> None:
    """Wrap both stores' loads so that they mark and hit ``spec``."""
    sqlite_load = SqliteStore.load
    neo4j_load = Neo4jStore.load
    neo4j_inner: Callable[..., LoadRecord] = Neo4jStore._load

    def load_sqlite(self: SqliteStore, rows: RowSource, **kw: Any) -> LoadRecord:
        def trace(statement: str) -> None:
            if statement.startswith("BEGIN IMMEDIATE"):
                mark("BEGIN")
            if spec.kind == "sql" and statement.startswith(spec.sql):
                spec.hit()
            if spec.kind == "commit" and statement.startswith("COMMIT"):
                spec.hit()

        self.conn.set_trace_callback(trace)
        try:
            record = sqlite_load(self, watched(rows, spec), **kw)
        finally:
            self.conn.set_trace_callback(None)
        mark("COMMITTED")
        return record

    def load_neo4j(self: Neo4jStore, rows: RowSource, **kw: Any) -> LoadRecord:
        record = neo4j_load(self, watched(rows, spec), **kw)
        mark("COMMITTED")
        return record

    def inner_neo4j(self: Neo4jStore, *args: Any, **kw: Any) -> LoadRecord:
        mark("BEGIN")
        record = neo4j_inner(self, *args, **kw)
        if spec.kind == "commit":
            spec.hit()
        return record

    SqliteStore.load = load_sqlite  # type: ignore[method-assign]
    Neo4jStore.load = load_neo4j  # type: ignore[method-assign]
    Neo4jStore._load = inner_neo4j  # type: ignore[method-assign]


if __name__ == "__main__":
    install(Spec(sys.argv[1]))
    sys.exit(main(sys.argv[2:]))
