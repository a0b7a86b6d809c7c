"""Fuzzing the bundle reader: whatever the files hold, a load ends cleanly.

Each example writes a bundle whose files are random bytes, byte-level mutations of the
tiny valid bundle, or the bundle with nasty cells, rows and headers, then loads it into
a copy of a store that already holds the tiny chain. The load must either succeed or
raise a ChainriskError with a message; on error (and on a dry run) the store must be
exactly as before. A load that succeeds must survive ``dump`` and load again into an
empty store with the same rows: nothing was stored that cannot be written back.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from chainrisk.errors import ChainriskError
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.writer import dump_store
from chainrisk.schema import TABLE_ORDER, OnError
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import TINY, write_bundle
from tests.fuzz.harness import (
    FUZZ,
    count_case,
    env,
    limit_env,
    mutated_bytes,
    mutated_csv,
    scratch,
    store_state,
)

CSV_FILES = sorted(name for name in TINY if name.endswith(".csv"))


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """Return (path, state) of a store holding the tiny chain, to be copied per example."""
    folder = tmp_path_factory.mktemp("fuzz-base")
    path = folder / "base.db"
    store = SqliteStore(path)
    load_bundle(store, write_bundle(folder / "tiny", {}))
    state = store_state(store)
    store.close()
    return path, state


def _copy_store(base: Path, folder: Path) -> Path:
    target = folder / "store.db"
    shutil.copyfile(base, target)
    return target


def check_load(
    base: tuple[Path, Any],
    work: Path,
    bundle: Path,
    *,
    on_error: OnError,
    dry_run: bool,
    encoding: str = "utf-8-sig",
    limits: dict[str, str] | None = None,
) -> str:
    """Load ``bundle`` into a copy of the base store; check the invariants; say how it ended."""
    base_path, before = base
    store = SqliteStore(_copy_store(base_path, work))
    try:
        failure: ChainriskError | None = None
        with env(**(limits or {})):
            try:
                load_bundle(store, bundle, on_error=on_error, dry_run=dry_run,
                            encoding=encoding)
            except ChainriskError as e:
                failure = e
        if failure is not None:
            assert str(failure).strip(), "an error without a message"
            assert store_state(store) == before, "a failed load changed the store"
            event(f"error: {type(failure).__name__}")
            return "error"
        event("dry run" if dry_run else "loaded")
        if dry_run:
            assert store_state(store) == before, "a dry run changed the store"
            return "dry-run"
        _round_trip(store, work)
        return "loaded"
    finally:
        store.close()


def _round_trip(store: SqliteStore, work: Path) -> None:
    """Dump the store, load the dump into an empty store: the same rows must come back."""
    dumped = work / "dump"
    dump_store(store, dumped)
    again = SqliteStore(work / "again.db")
    try:
        load_bundle(again, dumped)
        for table in TABLE_ORDER:
            assert list(again.iter_rows(table)) == list(store.iter_rows(table)), table
    finally:
        again.close()


on_errors = st.sampled_from([OnError.RAISE, OnError.SKIP])


@FUZZ
@given(
    name=st.sampled_from(sorted(TINY)),
    data=st.data(),
    on_error=on_errors,
    dry_run=st.booleans(),
    limits=limit_env,
)
def test_mutated_bytes_load_cleanly_or_fail_cleanly(
    base_store: tuple[Path, Any], name: str, data: st.DataObject, on_error: OnError,
    dry_run: bool, limits: dict[str, str],
) -> None:
    content = data.draw(mutated_bytes(TINY[name].encode("utf-8")), label="content")
    count_case("bundle-bytes")
    with scratch() as work:
        bundle = write_bundle(work / "b", {name: content})
        check_load(base_store, work, bundle, on_error=on_error, dry_run=dry_run,
                   limits=limits)


@FUZZ
@given(
    name=st.sampled_from(CSV_FILES),
    data=st.data(),
    on_error=on_errors,
    codec=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"]),
    read_as=st.sampled_from(["utf-8-sig", "gb18030", "latin-1", "big5"]),
)
def test_nasty_cells_load_cleanly_or_fail_cleanly(
    base_store: tuple[Path, Any], name: str, data: st.DataObject, on_error: OnError,
    codec: str, read_as: str,
) -> None:
    text = data.draw(mutated_csv(TINY[name]), label="csv")
    count_case("bundle-cells")
    with scratch() as work:
        bundle = write_bundle(work / "b", {name: text.encode(codec, errors="replace")})
        check_load(base_store, work, bundle, on_error=on_error, dry_run=False,
                   encoding=read_as)


@FUZZ
@given(
    files=st.dictionaries(
        st.sampled_from(sorted(TINY)),
        st.one_of(st.none(), st.binary(max_size=512), st.text(max_size=200)),
        max_size=len(TINY),
    ),
    on_error=on_errors,
)
def test_missing_and_random_files_fail_cleanly(
    base_store: tuple[Path, Any], files: dict[str, Any], on_error: OnError
) -> None:
    count_case("bundle-files")
    with scratch() as work:
        bundle = write_bundle(work / "b", files)
        check_load(base_store, work, bundle, on_error=on_error, dry_run=False)


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
              st.sampled_from(["2019-01-01", "!!binary aGk=", "!!set {a, b}", "*a", "&a x",
                               ".inf", ".nan", "~", "'", '"', "{", "[", "|"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def _yaml_text(value: Any, indent: str = "") -> str:
    """Return a loose YAML rendering (raw tokens left unquoted on purpose)."""
    if isinstance(value, dict):
        return "".join(f"\n{indent}{k}: {_yaml_text(v, indent + '  ')}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_text(v, indent) for v in value) + "]"
    return str(value)


@FUZZ
@given(
    value=st.dictionaries(st.sampled_from(["name", "version", "sources", "home_country",
                                           "percent_columns", "extra", "note"]),
                          yaml_values, max_size=6),
    anchors=st.integers(0, 12),
)
def test_bundle_yaml_metadata(
    base_store: tuple[Path, Any], value: dict[str, Any], anchors: int
) -> None:
    count_case("bundle-yaml")
    text = _yaml_text(value)
    # YAML aliases that double at every step: 2**anchors copies if expanded
    text += "\nbomb0: &b0 [x, x]" + "".join(
        f"\nbomb{i}: &b{i} [*b{i - 1}, *b{i - 1}]" for i in range(1, anchors)
    )
    with scratch() as work:
        bundle = write_bundle(work / "b", {"bundle.toml": None, "bundle.yaml": text})
        check_load(base_store, work, bundle, on_error=OnError.RAISE, dry_run=False)
