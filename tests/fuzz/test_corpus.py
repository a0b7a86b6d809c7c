"""Every file of tests/data/nasty through the real command line, in a capped subprocess.

Each file goes through ``chainrisk load`` (as firms.csv of the tiny bundle, or as its
bundle.toml / bundle.yaml for metadata files) and through ``chainrisk import-suppliers``
(as the supplier list, or as the ``--mapping`` file for mapping files), both against a
store holding the tiny chain. All runs share one driver process
(``tests/fuzz/cli_driver.py``: ``chainrisk.cli.main(argv)`` per run, 60 s alarm each)
under a 2 GiB address-space cap and a timeout; the worst files run again, each command
in its own ``python -m chainrisk.cli`` process. A run must exit 0 (loaded) or 1 (the
input is wrong: a validation report or a limit) — 2 for a bad mapping file, which is
an option's value — with a message and never a traceback; when it fails, the store is
as it was.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chainrisk.ingest.load import load_bundle
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import ROOT, write_bundle
from tests.fuzz.harness import store_state

NASTY = ROOT / "tests" / "data" / "nasty"
CORPUS = sorted(p for p in NASTY.iterdir() if p.name not in ("README.md", "make_corpus.py"))
MEMORY_CAP = 2 << 30
TIMEOUT = 120
DRIVER_TIMEOUT = 900
# Run again each in a process of its own, through ``python -m chainrisk.cli``.
SEPARATE_PROCESS = ["deeply-merged.xlsx", "xml-entity-bomb.xlsx", "all-nuls.csv",
                    "bundle-billion-laughs.yaml", "row-beyond-excel.xlsx"]

GOOD_LIST = "供应商名称,采购物料,采购占比\nASML,EUV scanner,60%\n"

# What some files must end in: (command, exit status, text the output must hold).
EXPECTED: dict[str, list[tuple[str, int, str]]] = {
    "good.xlsx": [("import", 0, "imported")],
    "deeply-merged.xlsx": [("import", 0, "imported")],
    "huge-dimension.xlsx": [("import", 1, "line 1048576, column '供应商名称'")],
    "cells-at-xfd.xlsx": [("import", 1, "line 3, column '供应商名称'")],
    "gb18030.csv": [("import", 0, "imported")],
    "embedded-newlines.csv": [("import", 0, "imported")],
    "nul-in-cells.csv": [("load", 1, "NUL"), ("import", 0, "imported")],
    "cypher-names.csv": [("import", 0, "imported")],
    "cypher-names.xlsx": [("import", 0, "imported")],
    "formulas.csv": [("import", 0, "imported")],
    "row-beyond-excel.xlsx": [("import", 1, "outside 1..1,048,576")],
    "column-beyond-excel.xlsx": [("import", 1, "damaged")],
    "wide-header.csv": [("load", 1, "16,384"), ("import", 1, "16,384")],
    "truncated.xlsx": [("import", 1, "not a readable Excel workbook")],
    "encrypted-flag.xlsx": [("import", 1, "not a readable Excel workbook")],
    "xml-entity-bomb.xlsx": [("import", 1, "damaged")],
    "bundle-billion-laughs.yaml": [("load", 1, "expands to more than")],
    "bundle-deep.toml": [("load", 1, "bundle.toml")],
    "bundle-dates.toml": [("load", 0, "loaded")],
    "huge-numbers.csv": [("load", 1, "finite")],
    "cypher-ids.csv": [("load", 1, "may not contain ':'")],
    "mapping-laughs.yaml": [("import", 2, "map.yaml")],
    "mapping-bad-header-row.yaml": [("import", 2, "header_row")],
    "mapping-not-utf8.yaml": [("import", 2, "UTF-8")],
}


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _bundle_for(path: Path, folder: Path) -> Path:
    data = path.read_bytes()
    if path.name.startswith("bundle-") and path.suffix == ".yaml":
        return write_bundle(folder, {"bundle.toml": None, "bundle.yaml": data})
    if path.name.startswith("bundle-") and path.suffix == ".toml":
        return write_bundle(folder, {"bundle.toml": data})
    return write_bundle(folder, {"firms.csv": data})


def _argv(command: str, path: Path, work: Path) -> list[str]:
    """Return the command line that feeds ``path`` to ``command`` (files set up in ``work``)."""
    if command == "load":
        return ["load", "--quiet", str(_bundle_for(path, work / "bundle"))]
    if path.name.startswith("mapping-"):
        listed = work / "list.csv"
        listed.write_text(GOOD_LIST, encoding="utf-8")
        mapping = work / "map.yaml"
        shutil.copyfile(path, mapping)
        return ["import-suppliers", "--quiet", str(listed), "--buyer", "phoneco",
                "--mapping", str(mapping)]
    copy = work / path.name
    shutil.copyfile(path, copy)
    return ["import-suppliers", "--quiet", str(copy), "--buyer", "phoneco"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    folder = tmp_path_factory.mktemp("corpus-base")
    store = SqliteStore(folder / "base.db")
    load_bundle(store, write_bundle(folder / "tiny", {}))
    state = store_state(store)
    store.close()
    return folder / "base.db", state


@pytest.fixture(scope="module")
def results(
    base: tuple[Path, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], dict[str, Any]]:
    """Run every corpus file through both commands in one capped driver process.

    Returns each run's result (status, out, err, escaped traceback) and its store path.
    """
    root = tmp_path_factory.mktemp("corpus-runs")
    jobs: list[dict[str, str | list[str]]] = []
    for path in CORPUS:
        for command in ("load", "import"):
            work = root / f"{path.name}-{command}"
            work.mkdir()
            store = work / "store.db"
            shutil.copyfile(base[0], store)
            jobs.append({"name": f"{command} {path.name}", "argv": _argv(command, path, work),
                         "store": f"sqlite:///{store}", "data_home": str(work / "xdg"),
                         "store_path": str(store)})
    (root / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    out_file = root / "results.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.cli_driver", str(root / "jobs.json"), str(out_file)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
        text=True, timeout=DRIVER_TIMEOUT, preexec_fn=_cap, check=False,
    )
    lines = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    found = {r["name"]: r for r in lines if "name" in r}
    started = [r["start"] for r in lines if "start" in r]
    stopped = (f"the driver stopped during {started[-1] if started else '?'} "
               f"(exit {done.returncode}):\n{done.stderr[-3000:]}")
    assert done.returncode == 0, stopped
    assert len(found) == len(jobs), stopped
    by_job = {}
    for job in jobs:
        label = str(job["name"])
        command, _, name = label.partition(" ")
        by_job[(command, name)] = {**found[label], "store_path": job["store_path"]}
    return by_job


def _check(command: str, name: str, status: int | None, out: str, err: str,
           store_path: Path, before: Any) -> None:
    where = f"{command} {name} (exit {status})\n{out}\n{err}"
    allowed = {0, 1, 2} if name.startswith("mapping-") else {0, 1}
    assert "Traceback" not in out + err, where
    assert status in allowed, where
    if status != 0:
        assert err.startswith("error:"), where
        assert len(err.splitlines()[0]) > 20, where
        store = SqliteStore(store_path)
        try:
            assert store_state(store) == before, f"the store changed: {where}"
        finally:
            store.close()
    for expected_command, expected_status, text in EXPECTED.get(name, []):
        if expected_command == command:
            assert status == expected_status, where
            assert text in out + err, where


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_file_ends_cleanly(
    path: Path, base: tuple[Path, Any], results: dict[tuple[str, str], dict[str, Any]]
) -> None:
    for command in ("load", "import"):
        r = results[(command, path.name)]
        assert not r["escaped"], f"{command} {path.name} escaped main:\n{r['escaped']}"
        _check(command, path.name, r["status"], r["out"], r["err"], Path(r["store_path"]),
               base[1])


@pytest.mark.parametrize("name", SEPARATE_PROCESS)
def test_worst_files_through_the_real_command(
    name: str, base: tuple[Path, Any], tmp_path: Path
) -> None:
    """The most dangerous files again, each command its own ``python -m chainrisk.cli``."""
    path = NASTY / name
    for command in ("load", "import"):
        work = tmp_path / command
        work.mkdir()
        store = work / "store.db"
        shutil.copyfile(base[0], store)
        env = {**os.environ, "CHAINRISK_STORE": f"sqlite:///{store}",
               "XDG_DATA_HOME": str(work / "xdg"), "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "chainrisk.cli", *_argv(command, path, work)],
            cwd=work, env=env, capture_output=True, text=True, timeout=TIMEOUT,
            preexec_fn=_cap, check=False,
        )
        _check(command, name, done.returncode, done.stdout, done.stderr, store, base[1])


def test_every_corpus_file_is_small_and_listed_in_the_readme() -> None:
    readme = (NASTY / "README.md").read_text(encoding="utf-8")
    for path in CORPUS:
        assert path.stat().st_size < 50_000, path.name
        assert f"`{path.name}`" in readme, f"{path.name} is not described in README.md"
    assert set(EXPECTED) <= {p.name for p in CORPUS}
    assert set(SEPARATE_PROCESS) <= {p.name for p in CORPUS}
