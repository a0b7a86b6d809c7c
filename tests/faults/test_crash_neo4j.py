"""A load into Neo4j cut off anywhere leaves the graph as it was; the next load succeeds.

Two ways to cut it off: the loading process killed with SIGKILL (the server, the
session's test server, rolls the transaction back when the connection drops), and the
server itself killed with SIGKILL in the middle of a load (a private server started for
this test, then started again on the same data: recovery must not bring back any part
of the load). Loads alternate between revisions a and b of a generated chain (see
workload.py), so each load changes every row; what the store holds is compared with
the dump the embedded store gives of the same revision.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import neo4j
import pytest

from chainrisk.ingest.load import load_bundle
from chainrisk.store.neo4j import Neo4jStore
from chainrisk.store.sqlite import SqliteStore
from tests.faults.workload import Child, State, environment, state_of, write_revisions
from tests.neo4j_server import URI_ENV, USER, running_neo4j
from tests.store.test_contract import clear

FIRMS = 400
SEED = 3
_rng = random.Random(20261201)


@dataclass(frozen=True)
class Revisions:
    """The two revisions and the state the embedded store holds after loading each."""

    folders: dict[str, Path]
    states: dict[str, State]


@pytest.fixture(scope="module")
def revisions(tmp_path_factory: pytest.TempPathFactory) -> Revisions:
    folder = tmp_path_factory.mktemp("crash-neo4j")
    a, b = write_revisions(folder, firms=FIRMS, seed=SEED)
    store = SqliteStore(folder / "reference.db")
    states = {}
    for name, bundle in (("a", a), ("b", b)):
        load_bundle(store, bundle)
        states[name] = state_of(store, folder / f"reference-{name}")
    store.close()
    return Revisions({"a": a, "b": b}, states)


class Graph:
    """A Neo4j store and which revision it holds; loads and checks in turn."""

    def __init__(self, store: Neo4jStore, revisions: Revisions, folder: Path) -> None:
        self.store = store
        self.revisions = revisions
        self.folder = folder
        self.holds = "a"
        self.checks = 0

    @property
    def other(self) -> str:
        return "b" if self.holds == "a" else "a"

    def state(self) -> State:
        self.checks += 1
        return state_of(self.store, self.folder / f"state-{self.checks}")

    def after_cut(self, before: State, may_be_loaded: bool) -> State:
        """Return the state after a load was cut off, checked: the revision held before,
        bookkeeping included, or (only if the cut may have come after the commit) the
        whole revision being loaded."""
        state = self.state()
        if state.same_data(self.revisions.states[self.holds]):
            assert (state.data_version, state.loads) == (before.data_version, before.loads)
            return state
        assert may_be_loaded, f"the graph no longer holds revision {self.holds}"
        assert state.same_data(self.revisions.states[self.other]), (
            f"the graph holds neither revision {self.holds} nor {self.other}")
        self.holds = self.other
        return state

    def load_next(self) -> State:
        """Load the other revision; check that the graph then holds it exactly."""
        load_bundle(self.store, self.revisions.folders[self.other])
        self.holds = self.other
        state = self.state()
        assert state.same_data(self.revisions.states[self.holds])
        return state

    def child(self, spec: str, url: str, password: str) -> Child:
        """Start a process loading the other revision that dies (or pauses) at ``spec``."""
        return Child(spec, "--store", url, "load", "--quiet", "--report",
                     str(self.folder / "reports"), str(self.revisions.folders[self.other]),
                     env=environment(NEO4J_PASSWORD=password),
                     log=self.folder / f"child-{self.checks}.log")


# ------------------------------------------------------------ the loader killed


LOADER_POINTS = [
    "row:regions:1",
    f"row:supplies:{_rng.randint(1, 1500)}",
    "commit",
    f"begin:{_rng.uniform(0.1, 0.9):.3f}",
]


@pytest.mark.neo4j
def test_a_loader_killed_anywhere_leaves_the_graph_as_it_was(
    neo4j_server: tuple[str, str], revisions: Revisions, tmp_path: Path
) -> None:
    uri, password = neo4j_server
    with neo4j.GraphDatabase.driver(uri, auth=(USER, password)) as admin:
        clear(admin)
    store = Neo4jStore(uri, password=password)
    try:
        store.apply_schema()
        graph = Graph(store, revisions, tmp_path)
        load_bundle(store, revisions.folders["a"])
        started = time.monotonic()
        graph.load_next()
        before = graph.load_next()
        load_seconds = (time.monotonic() - started) / 2  # for the random cuts
        for point in LOADER_POINTS:
            kind, _, fraction = point.partition(":")
            if kind == "begin":
                child = graph.child("none", uri, password)
                child.wait_for("BEGIN")
                time.sleep(float(fraction) * load_seconds)
                child.kill()
                child.finish()
            else:
                child = graph.child(point, uri, password)
                report = child.finish()
                assert child.killed, f"the loader was not killed at {point}: {report}"
            graph.after_cut(before, may_be_loaded=kind == "begin")
            before = graph.load_next()
    finally:
        store.close()


# ------------------------------------------------------------ the server killed


def server_pid(data_dir: Path) -> int:
    """Return the pid of the test server's JVM running on ``data_dir``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"Neo4jTestServer" in words and str(data_dir).encode() in words:
            return int(entry.name)
    raise AssertionError(f"no Neo4j test server runs on {data_dir}")


@pytest.fixture
def private_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ExitStack, Path]]:
    """Return where a private server may be started (and killed) with running_neo4j."""
    monkeypatch.delenv(URI_ENV, raising=False)  # never the shared server: start our own
    with ExitStack() as stack:
        yield stack, tmp_path / "server"


@pytest.mark.neo4j
def test_the_server_killed_mid_load_comes_back_with_the_graph_as_it_was(
    private_server: tuple[ExitStack, Path], revisions: Revisions, tmp_path: Path
) -> None:
    stack, server_dir = private_server
    uri, password = stack.enter_context(running_neo4j(server_dir))
    store = Neo4jStore(uri, password=password)
    stack.callback(store.close)
    store.apply_schema()
    load_bundle(store, revisions.folders["a"])
    graph = Graph(store, revisions, tmp_path)
    before = graph.state()
    # a cut in the middle of the load, then one racing its commit; each time the server
    # comes back on its data, and the next load (the second cut's, then a whole one) runs
    for point in [f"pause:row:supplies:{_rng.randint(1, 1500)}", "pause:commit"]:
        child = graph.child(point, uri, password)
        child.wait_for("PAUSED")
        if point == "pause:commit":
            # the commit goes out; the server dies before, during or after it
            child.go_on()
            time.sleep(_rng.uniform(0.0, 0.05))
        os.kill(server_pid(server_dir / "neo4j"), signal.SIGKILL)
        child.kill()
        child.finish()
        graph.store.close()
        uri, password = stack.enter_context(running_neo4j(server_dir))
        graph.store = Neo4jStore(uri, password=password)
        stack.callback(graph.store.close)
        before = graph.after_cut(before, may_be_loaded=point == "pause:commit")
    graph.load_next()
