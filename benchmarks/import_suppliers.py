"""Measure `chainrisk import-suppliers` on generated supplier lists of growing size.

Each list is a CSV in GB18030 with a title row, Chinese headers and messy values
(percentages three ways, thousands separators, suppliers written with and without
legal suffixes). Every import runs in its own process into a fresh store, so wall time
and peak memory (max RSS) are its own; flat memory shows the import streams.

    .venv/bin/python benchmarks/import_suppliers.py --rows 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUFFIXES = ["有限公司", "股份有限公司", "", "（深圳）有限公司", " Co., Ltd."]
PLACES = ["深圳市", "广东省东莞市", "江苏苏州", "上海", "日本", "美国", "Taiwan", "韩国", ""]


def write_list(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    suppliers = max(rows // 20, 10)
    parts = max(rows // 200, 10)
    with path.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["某集团2026年度合格供应商名录"])
        writer.writerow(
            ["序号", "供应商名称", "所在地", "采购物料", "采购占比", "采购金额（万元）"]
        )
        for i in range(rows):
            s = rng.randrange(suppliers)
            share = rng.choice([f"{rng.randint(1, 60)}%", f"0.{rng.randint(1, 60):02d}",
                                str(rng.randint(2, 60)), ""])
            writer.writerow([i + 1, f"供应商{s:07d}{SUFFIXES[s % len(SUFFIXES)]}",
                             PLACES[s % len(PLACES)], f"物料{rng.randrange(parts):05d}", share,
                             f"{rng.randint(1, 99_999):,}"])


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "chainrisk")
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print()
    print("| rows | file MiB | import s | rows/s | peak MiB | re-import s (no change) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        work = Path(tempfile.mkdtemp(prefix="chainrisk-import-"))
        try:
            path = work / "list.csv"
            write_list(path, rows)
            env = {**os.environ, "CHAINRISK_STORE": f"sqlite:///{work / 'store.db'}",
                   "XDG_DATA_HOME": str(work / "data")}
            argv = [exe, "import-suppliers", str(path), "--buyer", "某集团", "--quiet",
                    "--report", str(work / "report")]
            seconds, peak = measure(argv, env)
            again, _ = measure(argv, env)
            size = path.stat().st_size / 2**20
            print(f"| {rows:,} | {size:.0f} | {seconds:.1f} | {rows / seconds:,.0f} | "
                  f"{peak:.0f} | {again:.1f} |", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
