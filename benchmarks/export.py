"""Measure building and writing the export of a generated chain (issue: exports at scale).

    .venv/bin/python benchmarks/export.py --firms 100000

Loads a generated bundle into a fresh embedded store, builds the export tables (the
analyses behind them included), then writes the workbook (xlsxwriter constant-memory
mode), the CSV zip and the JSON, each timed on its own; prints peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from chainrisk.report import build_tables, export
    from chainrisk.service import RiskService

    work = Path(tempfile.mkdtemp(prefix="chainrisk-export-"))
    exe = str(Path(sys.executable).parent / "chainrisk")
    env = {**os.environ, "CHAINRISK_STORE": f"sqlite:///{work / 's.db'}"}
    subprocess.run([exe, "generate", str(work / "b"), "--firms", str(args.firms), "--seed",
                    str(args.seed), "--quiet"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([exe, "load", "--quiet", str(work / "b")], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    service = RiskService.open(env["CHAINRISK_STORE"])
    chain = sorted(service.graph().chains)[0]
    t = time.perf_counter()
    tables = build_tables(service, chain)
    built = time.perf_counter() - t
    rows = sum(len(tb.rows) for tb in tables.tables)
    timings = []
    for name in ("chain.xlsx", "chain.zip", "chain.json"):
        t = time.perf_counter()
        export(tables, work / name)
        timings.append((name, time.perf_counter() - t, (work / name).stat().st_size / 2**20))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.firms:,} firms, chain {chain}: {rows:,} rows in {len(tables.tables)} tables; "
          f"building them (analyses included) {built:.1f} s")
    for name, seconds, size in timings:
        print(f"- {name}: written in {seconds:.1f} s, {size:.1f} MiB")
    print(f"peak memory of the whole process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
