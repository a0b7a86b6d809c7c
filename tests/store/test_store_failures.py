"""The embedded store when its file is not what it should be: another application's
database, damaged pages, a full disk, no write access. Each case gets a clear message
with a code the app words, and every file is left as it was."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from chainrisk import words
from chainrisk.errors import StoreError, StoreSchemaError
from chainrisk.ingest.load import load_bundle
from chainrisk.schema import TABLE_ORDER
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import TINY, write_bundle


def fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """Return every file of ``folder`` with its content hash and modification time."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


def loaded_store(folder: Path, tiny: Path) -> Path:
    folder.mkdir()
    store = SqliteStore(folder / "store.db")
    load_bundle(store, tiny)
    store.close()  # the last connection checkpoints the WAL into the file
    return folder / "store.db"


def read_everything(store: SqliteStore) -> dict[str, int]:
    return {t: len(list(store.iter_rows(t))) for t in TABLE_ORDER}


def test_another_applications_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "theirs"
    folder.mkdir()
    path = folder / "app.sqlite"
    with sqlite3.connect(path) as conn:  # a rollback-journal file, as most apps keep it
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('Ada')")
    conn.close()
    before = fingerprint(folder)
    with pytest.raises(StoreSchemaError) as caught:
        SqliteStore(path)
    assert caught.value.code == "store.not_database"
    assert "left as it was" in str(caught.value)
    # not switched to WAL, no -wal or -shm beside it, not a byte or a timestamp changed
    assert fingerprint(folder) == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_damaged_pages_give_a_clear_error_on_read_and_on_load(
        tmp_path: Path, tiny: Path) -> None:
    path = loaded_store(tmp_path / "s", tiny)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for offset in range(page * 2, len(data), page):  # every page after the schema's
        data[offset:offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    damaged = path.read_bytes()
    opened: list[SqliteStore] = []

    def open_and(work: str) -> None:
        # the damage is met on opening or on the first read of a damaged page
        opened.append(SqliteStore(path))
        if work == "read":
            read_everything(opened[-1])
        else:
            load_bundle(opened[-1], write_bundle(tmp_path / "b", {}))

    for work in ("read", "load"):
        with pytest.raises(StoreError) as caught:
            open_and(work)
        assert caught.value.code == "store.damaged"
        assert "backup" in str(caught.value)
    for store in opened:
        store.close()
    assert path.read_bytes() == damaged  # nothing written over what is left


def test_a_full_disk_rolls_the_load_back(tmp_path: Path, tiny: Path) -> None:
    path = loaded_store(tmp_path / "s", tiny)
    store = SqliteStore(path)
    before = {t: list(store.iter_rows(t)) for t in TABLE_ORDER}
    version = store.data_version()
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    # the file may not grow: what SQLite says when the disk is full (SQLITE_FULL)
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    many = TINY["firms.csv"] + "".join(f"f{i},Firm number {i} {'x' * 200},,,,NL,false\n"
                                       for i in range(3000))
    bundle = write_bundle(tmp_path / "big", {"firms.csv": many})
    with pytest.raises(StoreError) as caught:
        load_bundle(store, bundle)
    assert caught.value.code == "store.full"
    assert "nothing was written" in str(caught.value)
    assert {t: list(store.iter_rows(t)) for t in TABLE_ORDER} == before
    assert store.data_version() == version
    store.close()


def test_a_read_only_store_serves_reads_and_refuses_loads_clearly(
        tmp_path: Path, tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = loaded_store(tmp_path / "s", tiny)
    expected = read_everything(SqliteStore(path))
    before = fingerprint(path.parent)
    # the tests may run as root, who may write anything: take the rights away at the
    # one place the store asks for them, as a read-only mount or file would
    real = os.access
    monkeypatch.setattr("chainrisk.store.sqlite.os.access",
                        lambda p, mode: False if mode == os.W_OK else real(p, mode))
    store = SqliteStore(path)
    assert store.read_only
    assert read_everything(store) == expected
    assert store.info().counts["firms"] == expected["firms"]
    with pytest.raises(StoreError) as caught:
        load_bundle(store, write_bundle(tmp_path / "b", {"firms.csv": TINY["firms.csv"]
                                                         .replace("Fab Co.", "Fab Two")}))
    assert caught.value.code == "store.read_only"
    assert "write access" in str(caught.value)
    store.close()
    assert fingerprint(path.parent) == before


@pytest.mark.parametrize("code", ["store.damaged", "store.full", "store.read_only",
                                  "store.not_database", "store.unavailable", "store"])
def test_each_store_failure_has_words_without_the_path(code: str) -> None:
    error = StoreError("the store /srv/secret/place.db failed", code=code)
    for lang in ("zh", "en"):
        said = words.error_message(error, lang, fallback="store")
        assert "/srv/secret" not in said
        assert said != str(error)
