"""The app notices loads made by other processes while it is open.

A load by ``chainrisk import-suppliers`` / ``chainrisk load`` in a separate process
moves the store's data version; the app's poll (a fragment in the sidebar that runs
every few seconds) reruns the page, which then says so in both languages and shows
the new load in the Data page's history. AppTest does not tick the poll's timer, so the
tests rerun the script as the poll would and check what the rerun shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from chainrisk.store.sqlite import SqliteStore
from chainrisk.ui import shell
from chainrisk.ui.i18n import STRINGS
from tests.conftest import BUNDLES, ROOT
from tests.ui.conftest import PAGES, AppFactory

CHAINRISK = Path(sys.executable).with_name("chainrisk")
HUAWEI = ROOT / "loaders" / "examples" / "huawei-2026-suppliers.xlsx"


def _cli(store: Path, *args: str) -> None:
    """Run ``chainrisk ARGS`` in a process of its own against ``store``."""
    env = {**os.environ, "CHAINRISK_STORE": f"sqlite:///{store}",
           "XDG_DATA_HOME": str(store.parent / "data")}  # load reports stay beside the test
    done = subprocess.run([str(CHAINRISK), *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _latest(store: Path) -> tuple[int, int]:
    """Return (newest load id, data version) of ``store``."""
    opened = SqliteStore(store)
    try:
        info = opened.info(1)
    finally:
        opened.close()
    return info.loads[0].id, info.data_version


def _history(at: AppTest) -> pd.DataFrame:
    for element in at.dataframe:
        frame = element.value
        if {"id", "finished_at", "bundle"} <= set(frame.columns):
            return frame
    raise AssertionError("the Data page shows no load history")


def _data_page(at: AppTest) -> AppTest:
    at.switch_page(PAGES["data"]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_load_from_the_command_line_shows_up_with_a_notice(
    make_app: AppFactory, writable_store: Path, lang: str
) -> None:
    at = _data_page(make_app(store=writable_store, lang=lang))
    before_id, before_version = _latest(writable_store)
    assert before_id in set(_history(at)["id"])
    assert not at.toast

    _cli(writable_store, "import-suppliers", str(HUAWEI), "--buyer", "华为", "--quiet")
    load_id, version = _latest(writable_store)
    assert load_id > before_id
    assert version > before_version

    at.run()  # what the poll does when it sees the version move
    assert not at.exception, [e.value for e in at.exception]
    assert load_id in set(_history(at)["id"])
    notice = STRINGS["sidebar.new_data"][0 if lang == "zh" else 1].format(
        old=before_version, new=version)
    assert [t.value for t in at.toast] == [notice]
    store_lines = [c.value for c in at.sidebar.caption if str(version) in c.value]
    assert store_lines, [c.value for c in at.sidebar.caption]

    at.run()  # said once: the next rerun has nothing new to tell
    assert not at.toast


def test_a_load_that_changes_nothing_still_reaches_the_history(
    make_app: AppFactory, writable_store: Path
) -> None:
    at = _data_page(make_app(store=writable_store))
    before_id, before_version = _latest(writable_store)
    _cli(writable_store, "load", "--quiet", str(BUNDLES / "ic"))  # the same data again
    load_id, version = _latest(writable_store)
    assert load_id > before_id
    assert version == before_version
    at.run()
    assert load_id in set(_history(at)["id"])
    assert not at.toast  # the data did not move: nothing to announce


def test_the_poll_runs_every_few_seconds() -> None:
    assert 1 <= shell.POLL_SECONDS <= 10
