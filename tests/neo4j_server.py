"""A real Neo4j 5.26 server for tests, started through ``scripts/neo4j-test-server``.

``running_neo4j(tmp_dir)`` yields ``(uri, password)`` for the user ``neo4j``:

* When ``CHAINRISK_TEST_NEO4J_URI`` is set (e.g. CI started one server for the whole
  run with ``scripts/neo4j-test-server start`` and loaded its ``env`` file), it yields
  that URI and ``CHAINRISK_TEST_NEO4J_PASSWORD`` and starts nothing.
* Otherwise it starts the embedded server in ``tmp_dir/neo4j`` (the launcher fetches the
  jars into ``${CHAINRISK_CACHE:-~/.cache/chainrisk}/neo4j-5.26`` on first use), with a
  random password handed over through the environment only, waits for the launcher's
  ready line, and stops the server when the block ends. The server also stops on its own
  if this process dies, since it runs until its stdin (a pipe from here) closes.

Failures raise ``RuntimeError`` with the reason and the tail of the server's logs.
No pytest import: usable from fixtures, scripts and benchmarks alike.
"""

from __future__ import annotations

import os
import queue
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "neo4j-test-server"
URI_ENV = "CHAINRISK_TEST_NEO4J_URI"
PASSWORD_ENV = "CHAINRISK_TEST_NEO4J_PASSWORD"
USER = "neo4j"
READY_PREFIX = "NEO4J READY "

# Fetching the jars (~125 MB, first run only) and compiling the launcher.
PREPARE_TIMEOUT = 900.0
# From launch to the ready line (about 6 s on a warm 2-core machine).
READY_TIMEOUT = 120.0
# Closing stdin asks for a clean shutdown (about 3 s); then SIGTERM, then SIGKILL.
STOP_TIMEOUT = 60.0


def log_tail(data_dir: Path, lines: int = 40) -> str:
    """The last lines of the launcher's log and of Neo4j's debug log in ``data_dir``."""
    parts: list[str] = []
    for path, count in ((data_dir / "server.log", lines), (data_dir / "logs" / "debug.log", 20)):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        tail = text.splitlines()[-count:]
        if tail:
            parts.append(f"--- last lines of {path} ---\n" + "\n".join(tail))
    return "\n".join(parts) if parts else f"(no log in {data_dir})"


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Forward every stdout line of the server, then None at end of file."""
    try:
        for line in stream:
            lines.put(line.rstrip("\n"))
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


def _stop(process: subprocess.Popen[str], timeout: float = STOP_TIMEOUT) -> None:
    """Stop the launcher: close its stdin (clean shutdown), then terminate, then kill."""
    if process.stdin is not None:
        with suppress(OSError):
            process.stdin.close()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def prepare(timeout: float = PREPARE_TIMEOUT) -> None:
    """Fetch the Neo4j jars and compile the launcher unless already cached."""
    try:
        done = subprocess.run(
            [str(SCRIPT), "prepare"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"{SCRIPT} prepare took more than {timeout:.0f} s") from e
    except OSError as e:
        raise RuntimeError(f"cannot run {SCRIPT}: {e}") from e
    if done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-40:])
        raise RuntimeError(f"{SCRIPT} prepare failed (exit code {done.returncode}):\n{output}")


@contextmanager
def running_neo4j(
    tmp_dir: str | os.PathLike[str],
    *,
    ready_timeout: float = READY_TIMEOUT,
    prepare_timeout: float = PREPARE_TIMEOUT,
) -> Iterator[tuple[str, str]]:
    """Yield ``(bolt_uri, password)`` of a running Neo4j, started here unless given."""
    given_uri = os.environ.get(URI_ENV)
    if given_uri:
        password = os.environ.get(PASSWORD_ENV)
        if not password:
            raise RuntimeError(f"{URI_ENV} is set but {PASSWORD_ENV} is not")
        yield given_uri, password
        return

    prepare(prepare_timeout)

    data_dir = Path(tmp_dir).resolve() / "neo4j"
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    password = secrets.token_urlsafe(24)
    env = dict(os.environ, NEO4J_PASSWORD=password)
    with open(data_dir / "server.log", "ab") as log:
        process = subprocess.Popen(
            [str(SCRIPT), "run", str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    try:
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(
            target=_read_lines, args=(process.stdout, lines), name="neo4j-stdout", daemon=True
        )
        reader.start()
        uri = _wait_ready(process, lines, data_dir, ready_timeout)
    except BaseException:
        _stop(process, timeout=15.0)
        raise
    try:
        yield uri, password
    finally:
        _stop(process)


def _wait_ready(
    process: subprocess.Popen[str],
    lines: queue.Queue[str | None],
    data_dir: Path,
    timeout: float,
) -> str:
    other: list[str] = []  # e.g. the JVM's own start-up errors, which go to stdout

    def details() -> str:
        out = "--- output of the JVM ---\n" + "\n".join(other[-20:]) + "\n" if other else ""
        return out + log_tail(data_dir)

    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(
                f"Neo4j was not ready within {timeout:.0f} s (data in {data_dir})\n" + details()
            )
        try:
            line = lines.get(timeout=min(left, 1.0))
        except queue.Empty:
            continue
        if line is None:
            try:
                code: int | None = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                code = None
            raise RuntimeError(
                f"Neo4j exited (code {code}) before it was ready (data in {data_dir})\n" + details()
            )
        if line.startswith(READY_PREFIX):
            return line[len(READY_PREFIX) :].strip()
        other.append(line)
