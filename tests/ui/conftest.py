"""Fixtures for the UI tests: stores loaded with the sample chains, an AppTest factory."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from chainrisk.ingest.load import load_bundle
from chainrisk.store.sqlite import SqliteStore
from chainrisk.ui import APP as ENTRY
from tests.conftest import BUNDLES

APP = ENTRY  # the entry script itself: AppTest runs it without the gate
# Streamlit's first run imports altair and friends; later runs take a fraction of this.
TIMEOUT = 120.0
# url path of each page -> its script, for AppTest.switch_page (relative to the entry script)
PAGES = {
    "overview": "../pages/overview.py",
    "chain-map": "../pages/chain_map.py",
    "explorer": "../pages/explorer.py",
    "rankings": "../pages/rankings.py",
    "what-if": "../pages/whatif.py",
    "concentration": "../pages/concentration.py",
    "data": "../pages/data.py",
}


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an SQLite file holding the ic and 5g sample chains (shared, never written)."""
    path = tmp_path_factory.mktemp("ui") / "samples.db"
    store = SqliteStore(path)
    try:
        for name in ("ic", "5g"):
            load_bundle(store, BUNDLES / name)
    finally:
        store.close()
    return path


@pytest.fixture
def writable_store(sample_store: Path, tmp_path: Path) -> Path:
    """Return a private copy of the sample store, for tests that load more data."""
    path = tmp_path / "copy.db"
    shutil.copy(sample_store, path)
    return path


AppFactory = Callable[..., AppTest]


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch, sample_store: Path) -> AppFactory:
    """Return a factory of AppTests of app.py over a store (default: the samples), in English.

    ``policy`` names an access policy file (default: none, access control off). The
    app has run once (on the overview, or the sign-in page under a policy), so that its
    pages are registered and ``switch_page`` finds them.
    """

    def make(store: Path | None = None, lang: str = "en", policy: Path | None = None
             ) -> AppTest:
        monkeypatch.setenv("CHAINRISK_STORE", f"sqlite:///{store or sample_store}")
        monkeypatch.setenv("CHAINRISK_LANG", lang)
        monkeypatch.delenv("CHAINRISK_NO_AUTH", raising=False)
        if policy is None:
            monkeypatch.delenv("CHAINRISK_POLICY", raising=False)
        else:
            monkeypatch.setenv("CHAINRISK_POLICY", str(policy))
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return make


def zip_folder(folder: Path) -> bytes:
    """Return ``folder`` zipped as a bundle upload: its files under the folder's name."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{folder.name}/{path.name}")
    return buffer.getvalue()


def as_shown(markdown: str) -> str:
    """Return Markdown as the page shows it: escapes undone, invisible joiners dropped
    (chainrisk.ui.text.md escapes data before it reaches Markdown)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
