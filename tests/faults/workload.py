"""What the fault tests load, how they run chainrisk in other processes, how they compare.

Two revisions of one generated chain, ``a`` and ``b``, have the same keys in every table
and different values in every table: a ``rev`` extra column ("a" or "b") on every row,
names, shares, some OR groups turned into AND inputs and some firms moved to another
region. So loading one over the other changes every row, and any mix of the two shows,
in the rows themselves and in the analyses' answers.
"""

from __future__ import annotations

import contextlib
import csv
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from chainrisk.generate import generate_bundle
from chainrisk.ingest.writer import dump_store
from chainrisk.schema import TABLE_ORDER, TABLES
from chainrisk.store.base import Store

ROOT = Path(__file__).resolve().parents[2]
REV = "rev"
_NAMED = ("regions", "firms", "components", "chains")


def write_revisions(folder: Path, *, firms: int, seed: int) -> tuple[Path, Path]:
    """Return the folders of revisions a and b of a generated chain of ``firms`` firms."""
    generated = generate_bundle(folder / "generated", firms=firms, seed=seed).out_dir
    return (
        write_revision(generated, folder / "a", "a"),
        write_revision(generated, folder / "b", "b"),
    )


def write_revision(source: Path, out: Path, rev: str) -> Path:
    """Return ``out``: the bundle in ``source`` rewritten as revision ``rev``."""
    out.mkdir(parents=True)
    meta = (source / "bundle.toml").read_text(encoding="utf-8").splitlines()
    meta = [f'version = "{rev}"' if line.startswith("version") else line for line in meta]
    (out / "bundle.toml").write_text("\n".join(meta) + "\n", encoding="utf-8")
    for table in TABLE_ORDER:
        name = TABLES[table].filename
        with (source / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        header = [*TABLES[table].column_names, REV]
        if table in _NAMED:
            for row in rows:
                row["name"] = f"{row['name']} [{rev}]"
        if rev == "b":
            _revise_b(table, rows)
        with (out / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, header, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({**row, REV: rev})
    return out


def _revise_b(table: str, rows: list[dict[str, str]]) -> None:
    """Change what the analyses see: regions of firms, OR groups, shares."""
    if table == "firms":
        for i in range(0, len(rows) - 1, 7):
            rows[i]["region"] = rows[i + 1]["region"]
    elif table == "requires":
        groups = sorted({(r["product"], r["group"]) for r in rows if r["group"]})
        dropped = set(groups[::3])
        for row in rows:
            if (row["product"], row["group"]) in dropped:
                row["group"] = ""
    elif table in ("produces", "supplies"):
        for row in rows:
            if row["share"]:
                row["share"] = f"{float(row['share']) / 2:.6g}"


def revisions_seen(store: Store) -> dict[str, set[str | None]]:
    """Return the revision markers on the rows of every table, all read in one snapshot."""

    def read() -> dict[str, set[str | None]]:
        return {t: {row.get(REV) for row in store.iter_rows(t)} for t in TABLE_ORDER}

    return store.snapshot(read)


@dataclass(frozen=True)
class State:
    """Everything a store holds: its dump (tables, bundle.toml) and its bookkeeping."""

    dump: Mapping[str, bytes]
    data_version: int
    loads: tuple[tuple[Any, ...], ...]
    resolutions: tuple[tuple[str, str, str, str], ...]

    def same_data(self, other: State) -> bool:
        """Return whether both hold the same rows, bundles and resolutions."""
        return (self.dump, self.resolutions) == (other.dump, other.resolutions)


def state_of(store: Store, folder: Path) -> State:
    """Return the state of a store no load is writing to (its dump goes to ``folder``)."""
    dump_store(store, folder)
    info = store.info(last_loads=1000)
    return State(
        dump={p.name: p.read_bytes() for p in sorted(folder.iterdir())},
        data_version=info.data_version,
        loads=tuple((r.id, r.bundle, r.version, r.checksum, dict(r.changes))
                    for r in info.loads),
        resolutions=tuple(store.resolutions()),
    )


def environment(**extra: str) -> dict[str, str]:
    """Return the environment for a chainrisk child process (no store, no Neo4j secret)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CHAINRISK_STORE", "NEO4J_"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def chainrisk(*args: str, env: Mapping[str, str], timeout: float = 180.0
              ) -> subprocess.CompletedProcess[str]:
    """Return the finished ``chainrisk ARGS`` run in a new process (output captured)."""
    return subprocess.run(
        [sys.executable, "-m", "chainrisk.cli", *args], cwd=ROOT, env=dict(env),
        capture_output=True, text=True, timeout=timeout, check=False,
    )


class Child:
    """``chainrisk ARGS`` in a process that dies at ``spec`` (see tests/faults/dying.py)."""

    def __init__(self, spec: str, *args: str, env: Mapping[str, str], log: Path) -> None:
        self.started = time.monotonic()
        self.log = log
        with log.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.faults.dying", spec, *args], cwd=ROOT,
                env=dict(env), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                text=True,
            )
        self.marks: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=_forward, args=(self.process.stdout, self._lines),
                         daemon=True).start()

    def _next(self, timeout: float) -> str | None:
        line = self._lines.get(timeout=timeout)
        if line is not None:
            self.marks.append(line)
        return line

    def wait_for(self, mark: str, timeout: float = 120.0) -> float:
        """Return the seconds since start when the child printed ``mark``."""
        deadline = time.monotonic() + timeout
        while mark not in self.marks:
            try:
                line = self._next(max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                raise AssertionError(f"no {mark} within {timeout} s: {self.finish()}") from None
            if line is None:
                raise AssertionError(f"the child ended before {mark}: {self.finish()}")
        return time.monotonic() - self.started

    def go_on(self) -> None:
        """Let a paused child go on."""
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        """Send SIGKILL (unless it has ended already)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)

    def finish(self, timeout: float = 120.0) -> str:
        """Wait for the end; return its exit status, marks and error output, for messages."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(queue.Empty):
            while self._next(timeout=5.0) is not None:
                pass
        err = self.log.read_text(errors="replace")
        return f"exit {self.process.returncode}, marks {self.marks}, stderr {err[-2000:]!r}"

    @property
    def killed(self) -> bool:
        """Return whether it died of SIGKILL."""
        return self.process.returncode == -signal.SIGKILL


def _forward(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    try:
        for line in stream:
            lines.put(line.strip())
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)
