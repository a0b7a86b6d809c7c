"""Benchmark the app on a generated chain: first analysis, cached pages, explorer at its cap.

Generates a chain with `chainrisk generate` and loads it into a fresh embedded store
(the helper of generate_load.py times both), then drives app.py with Streamlit's
AppTest, as tests/ui does (CHAINRISK_STORE, CHAINRISK_LANG), and times each run of the
script: the overview the first time (the first analysis: compile, SPOF, concentration,
structural views, ranking), the overview again (cached), a second session's overview,
switching chain (a new ranking) and back, the explorer on the node whose neighbourhood
is the largest (it reaches the 2,000-node cap) the first time and again, moving the
explorer to another capped node, the rankings page and a what-if. It also times the
pure-Python parts behind the explorer at the cap (chainrisk/ui/neighbourhood.py and the
frames built from it), and reports the load average beside every figure: the machine
is shared.

    .venv/bin/python benchmarks/ui.py --firms 100000
    .venv/bin/python benchmarks/ui.py --store /path/to/loaded.db   # skip generate + load

An AppTest run executes the page script and serialises what it draws, as a server
does before sending it; the browser's own drawing is not included.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from generate_load import measure  # noqa: E402  (the benchmark scripts are not a package)

APP = ROOT / "app.py"
PAGES = ROOT / "chainrisk" / "ui" / "pages"
# How the app's error guard starts its messages (tests/ui/test_app.py): a page that
# shows one did not render what it should have.
FAILURES = ("The input cannot be used", "The store failed")
TIMEOUT = 3600.0  # the first analysis of a big chain takes minutes on a busy machine

Row = tuple[str, float, str]


def load_text() -> str:
    """Return the 1-minute load average and the core count, e.g. '3.1 on 2 cores'."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def timed(rows: list[Row], what: str, step: Callable[[], Any]) -> Any:
    """Run ``step``, append (what, seconds, load average) to ``rows``, return its result."""
    started = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - started
    rows.append((what, seconds, load_text()))
    print(f"  {what}: {seconds:.2f} s (load {rows[-1][2]})", flush=True)
    return result


def make_store(firms: int, seed: int, work: Path) -> Path:
    """Return a fresh SQLite store holding a generated chain of ``firms`` firms."""
    exe = str(Path(sys.executable).parent / "chainrisk")
    store = work / "store.db"
    env = {**os.environ, "CHAINRISK_STORE": f"sqlite:///{store}"}
    gen_s, _ = measure([exe, "generate", str(work / "bundle"), "--firms", str(firms),
                        "--seed", str(seed), "--quiet"], env)
    load_s, _ = measure([exe, "load", "--quiet", str(work / "bundle")], env)
    print(f"generate {gen_s:.1f} s, load {load_s:.1f} s (load {load_text()})", flush=True)
    return store


def capped_nodes(store: Path, count: int) -> tuple[list[str], dict[str, Any]]:
    """Return firms with the most links whose explorer view reaches the cap, and the tiers
    that make it reach it (the page's default, 2 up and 1 down, when that is enough), and
    the timings of the pure parts behind the explorer at the first of them."""
    from chainrisk.graph import Kind
    from chainrisk.service import RiskService
    from chainrisk.ui import frames
    from chainrisk.ui.neighbourhood import MAX_VISIBLE, Adjacency, layered, neighbourhood

    service = RiskService.open(f"sqlite:///{store}")
    try:
        graph = service.graph()
        spof = service.spof()
        figures: dict[str, Any] = {}
        started = time.perf_counter()
        adj = Adjacency.build(graph)
        figures["adjacency_s"] = time.perf_counter() - started
        firms = [v for v in graph.real_nodes() if graph.kind[v] == Kind.FIRM]
        firms.sort(key=lambda v: (-(len(adj.up(v)) + len(adj.down(v))), graph.ids[v]))
        picked: list[int] = []
        for up, down in ((2, 1), (3, 2), (4, 3), (6, 6)):
            for v in firms[: count * 20]:
                if neighbourhood(adj, v, up=up, down=down, priority=spof.sets[v]).capped:
                    picked.append(v)
                if len(picked) == count:
                    break
            if picked:
                break
        if not picked:
            raise SystemExit("no node's neighbourhood reaches the cap: generate more firms")
        figures["up"], figures["down"] = up, down
        root = picked[0]
        repeats = 5
        started = time.perf_counter()
        for _ in range(repeats):
            hood = neighbourhood(adj, root, up=up, down=down, priority=spof.sets[root])
        figures["neighbourhood_s"] = (time.perf_counter() - started) / repeats
        started = time.perf_counter()
        for _ in range(repeats):
            nodes, edges = frames.neighbourhood_frames(service, adj, hood, "en")
        figures["frames_s"] = (time.perf_counter() - started) / repeats
        columns: dict[float, list[int]] = {}
        for v, t in hood.tier.items():
            columns.setdefault(float(t), []).append(v)
        started = time.perf_counter()
        layered(columns, [(u, v) for u, v, _ in hood.edges], max_rows=70)
        figures["layout_s"] = time.perf_counter() - started
        figures["nodes"], figures["links"] = len(nodes), len(edges)
        figures["cap"] = MAX_VISIBLE
        figures["graph_nodes"] = graph.n_nodes
        figures["chains"] = sorted(graph.chains)
        return [graph.ids[v] for v in picked], figures
    finally:
        service.close()


def run_app(store: Path, roots: list[str], pure: dict[str, Any]) -> list[Row]:
    """Return the timed AppTest runs over ``store``."""
    from streamlit.testing.v1 import AppTest

    os.environ["CHAINRISK_STORE"] = f"sqlite:///{store}"
    os.environ["CHAINRISK_LANG"] = "en"
    rows: list[Row] = []

    def check(at: AppTest) -> AppTest:
        if at.exception:
            raise SystemExit(f"the app failed: {[e.value for e in at.exception]}")
        failed = [e.value for e in at.error if str(e.value).startswith(FAILURES)
                  or "time limit" in str(e.value)]
        if failed:
            raise SystemExit(f"the page showed an error: {failed}")
        return at

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    timed(rows, "overview, first run (first analysis)", lambda: check(at.run()))
    chain = at.session_state["chain"]
    timed(rows, "overview, second run (cached)", lambda: check(at.run()))
    other = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    timed(rows, "overview, a second session", lambda: check(other.run()))
    second = next(c for c in pure["chains"] if c != chain)
    timed(rows, f"switch chain to {second} (its first ranking)",
          lambda: check(at.selectbox(key="chain").set_value(second).run()))
    timed(rows, f"switch back to {chain} (cached)",
          lambda: check(at.selectbox(key="chain").set_value(chain).run()))

    at.session_state["explorer_node"] = roots[0]
    at.session_state["explorer_up"] = pure["up"]
    at.session_state["explorer_down"] = pure["down"]
    timed(rows, f"explorer at the cap ({roots[0]}), first run",
          lambda: check(at.switch_page(str(PAGES / "explorer.py")).run()))
    shown = [c.value for c in at.caption if "links shown" in str(c.value)]
    print(f"    {shown[0] if shown else 'no summary line'}", flush=True)
    timed(rows, "explorer, same node again (cached)", lambda: check(at.run()))
    for root in roots[1:]:
        # as a user does: type in the picker's search box (when it has one), then pick
        searches = [t for t in at.text_input if t.key == "explorer_node_search"]
        if searches:
            check(searches[0].set_value(root).run())
        def pick(node: str = root) -> AppTest:
            return check(at.selectbox(key="explorer_node").set_value(node).run())

        timed(rows, f"explorer, another capped node ({root})", pick)

    timed(rows, "rankings page, first run",
          lambda: check(at.switch_page(str(PAGES / "rankings.py")).run()))
    timed(rows, "rankings page again (cached)", lambda: check(at.run()))
    timed(rows, "what-if page", lambda: check(at.switch_page(str(PAGES / "whatif.py")).run()))
    searches = [t for t in at.text_input if t.key == "whatif_firms_search"]
    if searches:
        check(searches[0].set_value(roots[0]).run())
    timed(rows, f"what-if: disrupt {roots[0]}",
          lambda: check(at.multiselect(key="whatif_firms").set_value([roots[0]]).run()))
    hit = {m.label: m.value for m in at.metric}
    print(f"    {hit}", flush=True)
    if not hit:
        raise SystemExit("the what-if showed no answer")
    timed(rows, "overview again (cached)",
          lambda: check(at.switch_page(str(PAGES / "overview.py")).run()))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", type=Path, help="a store already loaded (skips generate)")
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; load {load_text()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="chainrisk-ui-"))
    try:
        store = args.store or make_store(args.firms, args.seed, work)
        roots, pure = capped_nodes(store, 3)
        print(f"graph: {pure['graph_nodes']:,} nodes; explorer cap {pure['cap']:,}: "
              f"{pure['nodes']:,} nodes, {pure['links']:,} links from {roots[0]}, "
              f"{pure['up']} tiers up and {pure['down']} down")
        print(f"pure parts at the cap: Adjacency.build {pure['adjacency_s']:.2f} s (once per "
              f"data version), neighbourhood {pure['neighbourhood_s'] * 1000:.0f} ms, "
              f"frames {pure['frames_s'] * 1000:.0f} ms (layout alone "
              f"{pure['layout_s'] * 1000:.0f} ms)", flush=True)
        rows = run_app(store, roots, pure)
        print()
        print("| step | s | load (1 min) |")
        print("|---|---:|---:|")
        for what, seconds, load in rows:
            print(f"| {what} | {seconds:.2f} | {load} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
