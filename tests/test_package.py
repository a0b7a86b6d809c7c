"""The wheel stands alone: built, installed into a fresh virtual environment, used
from a folder outside the clone.

The wheel is built from a copy of what goes into it (pyproject.toml, README.md,
chainrisk/), so the build leaves nothing in the work tree. It is installed with its
dependencies from the package index (pip's cache makes that quick after the first
run); then, in an empty working folder, the installed ``chainrisk`` loads a copy of a
sample bundle, imports a supplier list saved in GB18030 with Chinese headers (the
header synonyms and the gazetteer must come from the package), renders the app's
entry with AppTest, and serves the app: health and page answer, and SIGTERM leaves no
process behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chainrisk.store.sqlite import SqliteStore
from tests.conftest import BUNDLES, ROOT
from tests.test_ui_server import kill, start

pytestmark = pytest.mark.slow

INSTALL_SECONDS = 600  # the first run downloads the dependencies; later ones use pip's cache
COMMAND_SECONDS = 300
# 䶮 (U+4DAE) is in GB18030 but not in GBK: a reader that took the file for GBK would fail.
SUPPLIERS = (
    "序号,供应商名称,所在地,采购物料,采购占比\r\n"
    "1,深圳市海思半导体有限公司,广东省深圳市,基带芯片,35%\r\n"
    "2,高通公司,美国,基带芯片,40%\r\n"
    "3,䶮芯微电子有限公司,广东省广州市,基带芯片,25%\r\n"
)
RENDER = """
from streamlit.testing.v1 import AppTest
from chainrisk.ui import APP
at = AppTest.from_file(str(APP), default_timeout=240).run()
assert not at.exception, [e.value for e in at.exception]
print(APP)
print(at.title[0].value)
"""


def _run(args: list[str | Path], env: dict[str, str], cwd: Path,
         timeout: float = COMMAND_SECONDS) -> str:
    """Run ``args``; return its output, failing the test with it when the status is not 0."""
    done = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def _sources(target: Path) -> Path:
    """Copy what the wheel is built from into ``target``; return it."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "chainrisk", target / "chainrisk",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def test_the_wheel_installs_and_works_outside_the_clone(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    src = _sources(tmp_path / "src")
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", dist,
          src], env, tmp_path, timeout=INSTALL_SECONDS)
    (wheel,) = dist.glob("chainrisk-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    for shipped in ("chainrisk/ingest/data/synonyms.yaml", "chainrisk/ingest/data/places.yaml",
                    "chainrisk/ui/entry/app.py", "chainrisk/ui/pages/data.py",
                    "chainrisk/py.typed"):
        assert shipped in names, f"{shipped} is not in {wheel.name}"
    assert not [n for n in names if n.startswith(("loaders/", "tests/", "app.py"))]

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], env, tmp_path)
    python, chainrisk = venv / "bin" / "python", venv / "bin" / "chainrisk"
    _run([python, "-m", "pip", "install", "--quiet", wheel], env, tmp_path,
         timeout=INSTALL_SECONDS)

    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    store = work / "chains.db"
    env |= {
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),  # reports, Streamlit's id
        "CHAINRISK_STORE": f"sqlite:///{store}", "CHAINRISK_LANG": "en",
    }
    installed = _run([python, "-c", "import chainrisk; print(chainrisk.__file__)"], env, work)
    assert Path(installed.strip()).is_relative_to(venv), installed  # not the clone's

    shutil.copytree(BUNDLES / "5g", work / "5g")
    loaded = _run([chainrisk, "load", "--quiet", "5g"], env, work)
    assert "5g: loaded" in loaded
    (work / "suppliers.csv").write_bytes(SUPPLIERS.encode("gb18030"))
    imported = _run([chainrisk, "import-suppliers", "suppliers.csv", "--buyer", "zte",
                     "--quiet"], env, work)
    assert "供应商名称 → supplier" in imported
    assert "所在地 → supplier_region" in imported
    assert "rows read 3 = loaded 3 + rejected 0" in imported
    opened = SqliteStore(store)
    try:
        firms = {row["name"]: row["region"] for row in opened.iter_rows("firms")}
        assert len(opened.info(10).loads) == 2
    finally:
        opened.close()
    assert firms["䶮芯微电子有限公司"] == "CN-GD-GZ"  # the gazetteer resolved 广东省广州市

    rendered = _run([python, "-c", RENDER], env, work).splitlines()
    assert Path(rendered[0]).is_relative_to(venv), rendered
    assert "overview" in rendered[1], rendered

    served = start([str(chainrisk)], env, work, tmp_path)
    try:
        served.wait_healthy()
        assert served.get("/") == 200
        assert served.stop(signal.SIGTERM) == 0, served.output()
    finally:
        kill(served)
