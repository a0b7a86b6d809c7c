"""``chainrisk ui`` as a process: it serves, and a stop signal stops its server with it.

Before the fix, ``kill -TERM`` of ``chainrisk ui`` ended the command and left the
Streamlit server serving, re-parented to init. Here the real command is started on a
free port, the server process is found among its children, and after SIGTERM (or
SIGINT) both must be gone and the port closed.

The helpers are shared with tests/test_package.py, which runs the same checks against
an installed wheel.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

CHAINRISK = Path(sys.executable).with_name("chainrisk")
START_SECONDS = 120.0  # Streamlit's first start on a busy 2-core machine
STOP_SECONDS = 30.0

pytestmark = pytest.mark.slow


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    """Return whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    """Return whether process ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def descendants(pid: int) -> list[int]:
    """Return the pids of every living descendant of ``pid`` (children first)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        children = parents.get(todo.pop(0), [])
        found += children
        todo += children
    return [p for p in found if alive(p)]


@dataclass
class Served:
    """A running ``chainrisk ui``: the process, its port, its log file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def get(self, path: str) -> int:
        """Return the HTTP status of GET ``path``."""
        with urllib.request.urlopen(f"{self.base}{path}", timeout=10) as reply:
            return int(reply.status)

    def wait_healthy(self) -> None:
        """Return when /_stcore/health answers 200; fail with the log if it never does."""
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if self.get("/_stcore/health") == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chainrisk ui did not become healthy:\n{self.output()}")
            time.sleep(0.3)

    def stop(self, signum: int) -> int:
        """Send ``signum`` to chainrisk ui alone; return its exit status once it ended."""
        tree = descendants(self.process.pid)
        assert tree, "chainrisk ui runs no server process"
        self.process.send_signal(signum)
        try:
            status = self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"chainrisk ui did not stop on {signal.Signals(signum).name}")
        deadline = time.monotonic() + 5
        while any(alive(p) for p in tree) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [p for p in tree if alive(p)]
        assert not left, f"the server outlived chainrisk ui: pids {left}\n{self.output()}"
        assert not port_open(self.port), f"port {self.port} still accepts connections"
        return status


def start(command: Sequence[str], env: dict[str, str], cwd: Path, logs: Path) -> Served:
    """Start ``COMMAND ui --port <free port>`` in ``cwd``; its output goes to a file in ``logs``."""
    port = free_port()
    log = logs / f"ui-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([*command, "ui", "--port", str(port)], env=env, cwd=cwd,
                                   stdout=out, stderr=subprocess.STDOUT)
    return Served(process, port, log)


def kill(served: Served) -> None:
    """Kill what ``served`` started and is still running (after a failed test)."""
    for pid in [*descendants(served.process.pid), served.process.pid]:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    served.process.wait(timeout=STOP_SECONDS)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """Return ``chainrisk ui`` of this checkout, started on a free port over an empty store."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "CHAINRISK_STORE": f"sqlite:///{tmp_path / 'ui.db'}",
           "HOME": str(home)}  # Streamlit keeps its machine id under HOME
    running = start([str(CHAINRISK)], env, tmp_path, tmp_path)
    try:
        yield running
    finally:
        kill(running)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT],
                         ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_stops_the_server_with_chainrisk_ui(served: Served, signum: int) -> None:
    served.wait_healthy()
    assert served.get("/") == 200
    server = descendants(served.process.pid)
    assert any("streamlit" in Path(f"/proc/{p}/cmdline").read_text() for p in server)
    assert served.stop(signum) == 0, served.output()


def test_a_server_that_ignores_the_signal_is_killed_after_the_grace_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chainrisk import ui

    monkeypatch.setattr(ui, "STOP_GRACE_SECONDS", 1.0)
    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
         "signal.SIG_IGN); print('ready', flush=True); time.sleep(120)"],
        start_new_session=True, stdout=subprocess.PIPE)
    try:
        assert stubborn.stdout is not None
        assert stubborn.stdout.readline() == b"ready\n"
        started = time.monotonic()
        status = ui._serve(stubborn, [signal.SIGTERM])
        assert time.monotonic() - started < 10
        assert status == 128 + signal.SIGKILL  # not a clean stop: said so in the status
        assert not alive(stubborn.pid)
    finally:
        if stubborn.poll() is None:
            stubborn.kill()
            stubborn.wait()
        if stubborn.stdout is not None:
            stubborn.stdout.close()
