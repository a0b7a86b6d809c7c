"""A load into the embedded store killed with SIGKILL anywhere leaves the store as it was.

A child process loads revision b of a generated chain (about 30,000 rows, 2 s) into a
store holding revision a, and dies at a point named exactly (a row of a table, a
statement, just before COMMIT) or at a random time measured against a run that was
not killed. Then the file passes SQLite's integrity check, the store holds exactly what
it held before (or, for a kill that may have come after the commit, exactly what a
finished load gives), and loading again gives what a clean load gives. The same for a
supplier-list import.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.suppliers import import_suppliers
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import BUNDLES, ROOT
from tests.faults.workload import Child, State, environment, state_of, write_revisions

FIRMS = 4000
SEED = 11
HUAWEI = ROOT / "loaders" / "examples" / "huawei-2026-suppliers.xlsx"

_rng = random.Random(20261130)
# Points named exactly: each is inside the load's transaction, or just before it.
EXACT = [
    "sql:BEGIN IMMEDIATE",
    "row:regions:1",
    f"row:supplies:{_rng.randint(1, 18000)}",
    "sql:INSERT INTO loads",
    "commit",
]
# Random times, as fractions of the measured time from the child's start to its BEGIN
# ("start") or of its transaction ("begin"; beyond 1 the kill may follow the commit).
TIMED = [
    f"start:{_rng.uniform(0.3, 1.0):.3f}",
    f"begin:{_rng.uniform(0.0, 0.6):.3f}",
    f"begin:{_rng.uniform(0.6, 1.3):.3f}",
]


@dataclass(frozen=True)
class Setup:
    """A store file holding revision a, what it holds, and what loading b gives."""

    template: Path
    b: Path
    before: State
    after: State
    to_begin: float  # seconds from the child's start to its transaction
    transaction: float  # seconds from BEGIN to the end of the load


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    folder = tmp_path_factory.mktemp("crash-sqlite")
    a, b = write_revisions(folder, firms=FIRMS, seed=SEED)
    template = folder / "template.db"
    store = SqliteStore(template)
    load_bundle(store, a)
    before = state_of(store, folder / "before")
    store.close()  # the last connection folds the WAL into the file
    calibration = folder / "calibration.db"
    shutil.copy(template, calibration)
    child = Child("none", *_load_args(calibration, b, folder), env=environment(),
                  log=folder / "calibration.log")
    to_begin = child.wait_for("BEGIN")
    done = child.wait_for("COMMITTED")
    assert child.finish().startswith("exit 0"), child.finish()
    store = SqliteStore(calibration)
    after = state_of(store, folder / "after")
    store.close()
    assert not after.same_data(before)
    return Setup(template, b, before, after, to_begin, done - to_begin)


def _load_args(db: Path, bundle: Path, folder: Path) -> list[str]:
    return ["--store", f"sqlite:///{db}", "load", "--quiet", "--report",
            str(folder / "reports"), str(bundle)]


def integrity(db: Path) -> str:
    """Return what SQLite's integrity check says of the file (before chainrisk opens it)."""
    conn = sqlite3.connect(db)
    try:
        return "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def kill_load(setup: Setup, point: str, folder: Path) -> tuple[Child, bool]:
    """Return the killed child, and whether the kill certainly came before the commit."""
    db = folder / "store.db"
    shutil.copy(setup.template, db)
    kind, _, fraction = point.partition(":")
    if kind in ("start", "begin"):
        child = Child("none", *_load_args(db, setup.b, folder), env=environment(),
                      log=folder / "child.log")
        if kind == "start":
            time.sleep(float(fraction) * setup.to_begin)
        else:
            child.wait_for("BEGIN")
            time.sleep(float(fraction) * setup.transaction)
        child.kill()
        child.finish()
        # BEGIN is printed before the transaction starts: without it, nothing was written
        return child, "BEGIN" not in child.marks
    child = Child(point, *_load_args(db, setup.b, folder), env=environment(),
                  log=folder / "child.log")
    report = child.finish()
    assert child.killed, f"the child was not killed at {point}: {report}"
    return child, True


@pytest.mark.parametrize("point", EXACT + TIMED)
def test_a_load_killed_anywhere_leaves_the_previous_state(
    setup: Setup, point: str, tmp_path: Path
) -> None:
    child, before_commit = kill_load(setup, point, tmp_path)
    db = tmp_path / "store.db"
    assert integrity(db) == "ok"
    store = SqliteStore(db)
    try:
        state = state_of(store, tmp_path / "killed")
        if before_commit:
            assert state == setup.before, f"killed at {point}: {child.marks}"
        else:
            assert state in (setup.before, setup.after), f"killed at {point}: {child.marks}"
        load_bundle(store, setup.b)
        again = state_of(store, tmp_path / "again")
    finally:
        store.close()
    assert again.same_data(setup.after)
    assert again.data_version == setup.after.data_version
    if state == setup.before:
        assert again.loads == setup.after.loads


# ------------------------------------------------------------------ supplier lists


@dataclass(frozen=True)
class ImportSetup:
    """A store holding the sample chains, what it holds, and what importing gives."""

    template: Path
    before: State
    after: State


@pytest.fixture(scope="module")
def import_setup(tmp_path_factory: pytest.TempPathFactory) -> ImportSetup:
    folder = tmp_path_factory.mktemp("crash-import")
    template = folder / "template.db"
    store = SqliteStore(template)
    load_bundle(store, BUNDLES / "ic")
    load_bundle(store, BUNDLES / "5g")
    before = state_of(store, folder / "before")
    store.close()
    shutil.copy(template, folder / "clean.db")
    store = SqliteStore(folder / "clean.db")
    import_suppliers(store, [HUAWEI], buyer="华为")
    after = state_of(store, folder / "after")
    store.close()
    assert not after.same_data(before)
    return ImportSetup(template, before, after)


@pytest.mark.parametrize(
    "point", ["sql:BEGIN IMMEDIATE", "row:firms:1", "row:supplies:4", "commit"]
)
def test_an_import_killed_anywhere_leaves_the_previous_state(
    import_setup: ImportSetup, point: str, tmp_path: Path
) -> None:
    db = tmp_path / "store.db"
    shutil.copy(import_setup.template, db)
    child = Child(point, "--store", f"sqlite:///{db}", "import-suppliers", str(HUAWEI),
                  "--buyer", "华为", "--quiet", "--report", str(tmp_path / "reports"),
                  env=environment(), log=tmp_path / "child.log")
    report = child.finish()
    assert child.killed, f"the child was not killed at {point}: {report}"
    assert integrity(db) == "ok"
    store = SqliteStore(db)
    try:
        assert state_of(store, tmp_path / "killed") == import_setup.before
        import_suppliers(store, [HUAWEI], buyer="华为")
        again = state_of(store, tmp_path / "again")
    finally:
        store.close()
    assert again == import_setup.after
