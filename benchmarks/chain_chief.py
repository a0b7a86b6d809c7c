"""Benchmark the chain chief's analyses on generated chains: coverage, reliance, gaps.

For each size: `chainrisk generate` and `chainrisk load` into a fresh embedded store,
then, in a child process (its own peak memory), compile the graph and time, for the
first chain and the scopes Guangdong (the generator's home province) and China:
coverage, the restricted graph and its makeable set, blocking links and fill gains of
every cut link, and the gap list (single points of failure computed once beforehand).

    .venv/bin/python benchmarks/chain_chief.py --firms 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCOPES = ("region:CN-GD", "region:CN")


def run_one(store: str) -> dict[str, object]:
    """Return the timings of one store, measured in this process."""
    from chainrisk.analysis.coverage import coverage
    from chainrisk.analysis.gaps import Producers, gaps
    from chainrisk.analysis.reliance import reliance, scope_keeps
    from chainrisk.service import RiskService

    service = RiskService.open(store)
    out: dict[str, object] = {}
    t = time.perf_counter()
    graph = service.graph()
    out["compile_s"] = time.perf_counter() - t
    out["nodes"] = graph.n_nodes
    spof = service.spof()
    chain = sorted(graph.chains)[0]
    targets = graph.chains[chain].targets
    out["chain"], out["targets"] = chain, len(targets)
    scopes = []
    for scope in SCOPES:
        row: dict[str, object] = {"scope": scope}
        located, controlled = scope_keeps(graph, graph.index[scope])
        t = time.perf_counter()
        cov = coverage(graph, chain, located, controlled)
        row["coverage_s"] = time.perf_counter() - t
        t = time.perf_counter()
        rel = reliance(graph, located, targets)
        row["reliance_s"] = time.perf_counter() - t
        t = time.perf_counter()
        blocked = rel.blocking
        gains = rel.fill_gain
        row["blocking_fill_s"] = time.perf_counter() - t
        t = time.perf_counter()
        found = gaps(cov, rel, spof, targets, Producers(graph, located))
        row["gaps_s"] = time.perf_counter() - t
        row["cut"], row["blocked"], row["gaps"] = len(rel.cut), len(blocked), len(found)
        row["failed"] = len(rel.failed)
        row["filling_helps"] = sum(1 for g in gains.values() if g)
        scopes.append(row)
    out["scopes"] = scopes
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    service.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child)))
        return
    exe = Path(sys.executable).parent / "chainrisk"
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    print()
    print("| firms | nodes | scope | compile s | coverage s | reliance s | blocking + fill "
          "gains s | gaps s | cut links | gaps listed | peak MiB |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for firms in args.firms:
        work = Path(tempfile.mkdtemp(prefix="chainrisk-chief-"))
        try:
            env = {**os.environ, "CHAINRISK_STORE": f"sqlite:///{work / 'store.db'}"}
            subprocess.run([str(exe), "generate", str(work / "b"), "--firms", str(firms),
                            "--seed", str(args.seed), "--quiet"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            subprocess.run([str(exe), "load", "--quiet", str(work / "b")], env=env,
                           check=True, stdout=subprocess.DEVNULL)
            done = subprocess.run([sys.executable, __file__, "--child",
                                   env["CHAINRISK_STORE"]], env=env, check=True,
                                  capture_output=True, text=True)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            for s in r["scopes"]:
                print(f"| {firms:,} | {r['nodes']:,} | {s['scope']} | {r['compile_s']:.1f} | "
                      f"{s['coverage_s']:.2f} | {s['reliance_s']:.2f} | "
                      f"{s['blocking_fill_s']:.2f} | {s['gaps_s']:.2f} | {s['cut']:,} | "
                      f"{s['gaps']:,} | {r['peak_mib']:,.0f} |", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
