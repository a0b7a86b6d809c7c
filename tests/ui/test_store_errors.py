"""A store that cannot serve reaches the page in words, never with where it lives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chainrisk import words
from tests.ui.conftest import AppFactory, as_shown


def foreign(folder: Path) -> Path:
    path = folder / "secret-place" / "other-app.sqlite"
    path.parent.mkdir()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    conn.close()
    return path


def damaged(folder: Path, sample_store: Path) -> Path:
    path = folder / "secret-place" / "damaged.db"
    path.parent.mkdir()
    data = bytearray(sample_store.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for offset in range(page * 2, len(data), page):
        data[offset:offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", ["foreign", "damaged"])
def test_a_broken_store_is_worded_without_its_path(
        make_app: AppFactory, tmp_path: Path, sample_store: Path, lang: str, case: str
) -> None:
    path = foreign(tmp_path) if case == "foreign" else damaged(tmp_path, sample_store)
    before = path.read_bytes()
    at = make_app(store=path, lang=lang)
    shown = " ".join(as_shown(e.value) for e in at.error)
    assert shown, "the page says the store cannot be used"
    code = "store.not_database" if case == "foreign" else "store.damaged"
    assert words.text(f"message.{code}", lang).split("：")[0].split(":")[0] in shown
    assert "secret-place" not in shown
    assert str(tmp_path) not in shown
    assert path.read_bytes() == before
