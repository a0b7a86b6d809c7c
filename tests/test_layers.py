"""The layer rules of pyproject's [tool.importlinter] hold, and they bite when broken."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--config", str(root / "pyproject.toml")], cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)


def test_the_layers_hold() -> None:
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("analysis/_leak.py", "import chainrisk.store.sqlite\n", "analysis is pure"),
    ("store/_leak.py", "from chainrisk.ingest import load\n", "stores receive rows"),
    ("ui/_leak.py", "import chainrisk.cli\n", "the app never reaches into the CLI"),
    ("cli/_leak.py", "from chainrisk.store import sqlite\n", "the front ends go through"),
])
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, module: str, line: str,
                                                contract: str) -> None:
    shutil.copytree(ROOT / "chainrisk", tmp_path / "chainrisk",
                    ignore=shutil.ignore_patterns("__pycache__", "data", "entry"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "chainrisk" / module).write_text(line, encoding="utf-8")
    done = _lint(tmp_path)
    assert done.returncode != 0
    broken = done.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, done.stdout
