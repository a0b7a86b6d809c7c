"""Measure `chainrisk generate` and `chainrisk load` at several sizes.

Each step runs as its own process so that its wall time and peak memory (max RSS) are
its own. Prints a Markdown table for docs/benchmarks.md.

    .venv/bin/python benchmarks/generate_load.py --firms 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Return (seconds, peak RSS in MiB) of running ``argv`` to completion."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def rows_in(folder: Path) -> int:
    total = 0
    for csv_file in folder.glob("*.csv"):
        with csv_file.open("rb") as handle:
            total += sum(1 for _ in handle) - 1
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "chainrisk")
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print()
    print("| firms | rows | generate s | generate MiB | load s | load rows/s | load MiB "
          "| reload s (no change) | store MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for firms in args.firms:
        work = Path(tempfile.mkdtemp(prefix="chainrisk-bench-"))
        try:
            bundle = work / "bundle"
            env = {**os.environ, "CHAINRISK_STORE": f"sqlite:///{work / 'store.db'}"}
            gen_s, gen_mb = measure(
                [exe, "generate", str(bundle), "--firms", str(firms), "--seed",
                 str(args.seed), "--quiet"], env)
            rows = rows_in(bundle)
            load_s, load_mb = measure([exe, "load", "--quiet", str(bundle)], env)
            reload_s, _ = measure([exe, "load", "--quiet", str(bundle)], env)
            store_mb = (work / "store.db").stat().st_size / 2**20
            print(f"| {firms:,} | {rows:,} | {gen_s:.1f} | {gen_mb:.0f} | {load_s:.1f} | "
                  f"{rows / load_s:,.0f} | {load_mb:.0f} | {reload_s:.1f} | {store_mb:.0f} |",
                  flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
