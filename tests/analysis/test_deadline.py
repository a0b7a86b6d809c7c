"""Time limits: analyses stop with AnalysisTimeout instead of hanging, and change nothing.

No test here measures time. A limit of 1e-9 s must always trip, a limit of 0 never; to
see that the long loops check the deadline as they go (not only at their start), a
fake clock that moves one second per reading stands in for the real one.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrisk.analysis import deadline as deadline_module
from chainrisk.analysis.cascade import simulate
from chainrisk.analysis.concentration import concentration
from chainrisk.analysis.deadline import Deadline
from chainrisk.analysis.ranking import rank
from chainrisk.analysis.spof import single_points_of_failure
from chainrisk.analysis.structure import structure
from chainrisk.cli import EXIT_TIMEOUT, main
from chainrisk.errors import AnalysisTimeout
from chainrisk.generate import generate_bundle
from chainrisk.graph import DependencyGraph
from chainrisk.ingest.load import load_bundle
from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from tests.analysis.strategies import Tables, bundles

Analysis = Callable[[DependencyGraph, Deadline], Any]

ANALYSES: dict[str, Analysis] = {
    "single points of failure": lambda g, d: single_points_of_failure(g, deadline=d),
    "the what-if cascade": lambda g, d: simulate(g, [_first_firm(g)], deadline=d),
    "concentration": lambda g, d: concentration(g, deadline=d),
    "structural views": lambda g, d: structure(g, deadline=d),
    "the ranking": lambda g, d: rank(g, sorted(g.chains)[0], deadline=d),
}


def _first_firm(g: DependencyGraph) -> str:
    return next(i for i in g.ids if i.startswith("firm:"))


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Replace the deadline's clock with one that moves one second per reading."""
    now = [0.0]

    def tick() -> float:
        now[0] += 1.0
        return now[0]

    monkeypatch.setattr(deadline_module, "_clock", tick)
    return now


# ---------------------------------------------------------------------- generated chains


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return an SQLite store holding a generated 1,500-firm chain (never written to)."""
    folder = tmp_path_factory.mktemp("deadline")
    generate_bundle(folder / "bundle", 1500, 4)
    store = SqliteStore(folder / "store.db")
    try:
        load_bundle(store, folder / "bundle")
    finally:
        store.close()
    return folder / "store.db"


@pytest.fixture
def service(generated: Path) -> Iterator[RiskService]:
    svc = RiskService.open(f"sqlite:///{generated}")
    yield svc
    svc.close()


def test_the_message_says_what_stopped_the_limit_the_size_and_what_to_do(
    service: RiskService,
) -> None:
    graph = service.graph()
    analyses = dict(ANALYSES)
    # given the analyses it needs, the ranking itself is what stops
    analyses["the ranking"] = lambda g, d: rank(
        g, sorted(g.chains)[0], spof=single_points_of_failure(g), conc=concentration(g),
        struct=structure(g), deadline=d)
    for what, run in analyses.items():
        with pytest.raises(AnalysisTimeout) as caught:
            run(graph, Deadline(1e-9, call="the test"))
        message = str(caught.value)
        assert message.startswith(f"{what} (for the test) did not finish")
        assert "time limit of 1e-09 s" in message
        assert f"{graph.n_nodes:,} nodes and {len(graph.members):,} links" in message
        assert "CHAINRISK_ANALYSIS_SECONDS" in message
        assert "0 = no limit" in message


def test_no_limit_never_trips(service: RiskService, fake_clock: list[float]) -> None:
    # the fake clock runs a second per reading: any limit at all would trip here
    graph = service.graph()
    for run in ANALYSES.values():
        run(graph, Deadline(0))
        run(graph, Deadline(None))
    assert not Deadline(0).limited
    Deadline(0).check()


def test_the_service_stops_each_call_then_answers_with_the_limit_off(
    service: RiskService, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = service.graph()
    chain = sorted(graph.chains)[0]
    firm = _first_firm(graph)
    monkeypatch.setenv("CHAINRISK_ANALYSIS_SECONDS", "1e-9")
    calls: dict[str, Callable[[], Any]] = {
        "the single points of failure": service.spof,
        "the concentration figures": service.concentration,
        "the structural views": service.structure,
        f"the ranking of chain {chain!r}": lambda: service.rank(chain),
        f"disrupting {firm}": lambda: service.simulate([firm]),
    }
    for call, run in calls.items():
        with pytest.raises(AnalysisTimeout, match=f"\\(for {call}\\)"):
            run()
    assert service._cache == {}  # nothing half-done was kept

    monkeypatch.setenv("CHAINRISK_ANALYSIS_SECONDS", "0")
    assert service.spof().sets == single_points_of_failure(graph).sets
    assert service.concentration().rows == concentration(graph).rows
    assert service.structure().to_json() == structure(graph).to_json()
    assert service.rank(chain).rows == rank(graph, chain).rows
    assert service.simulate([firm]).y == simulate(graph, [firm]).y


def test_the_command_line_exits_124_with_the_message(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINRISK_ANALYSIS_SECONDS", "1e-9")
    out, err = io.StringIO(), io.StringIO()
    code = main(["--store", f"sqlite:///{generated}", "spof", "--format", "json"], out, err)
    assert code == EXIT_TIMEOUT == 124
    assert "single points of failure" in err.getvalue()
    assert "CHAINRISK_ANALYSIS_SECONDS" in err.getvalue()
    assert out.getvalue() == ""
    monkeypatch.setenv("CHAINRISK_ANALYSIS_SECONDS", "0")
    code = main(["--store", f"sqlite:///{generated}", "spof", "--format", "json"], out, err)
    assert code == 0
    assert json.loads(out.getvalue())["nodes"]


# ---------------------------------------------------------------------- same answers


@settings(max_examples=150, deadline=None)
@given(bundles(), st.randoms(use_true_random=False))
def test_results_with_a_deadline_equal_results_without(tables: Tables, rnd: random.Random) -> None:
    g = DependencyGraph.from_tables(tables)
    far = Deadline(1e9)  # limited, so every check runs, and never reached
    assert far.limited
    assert single_points_of_failure(g, deadline=far).sets == single_points_of_failure(g).sets
    real = [i for i in g.ids if not i.startswith("site:")]
    hit = rnd.sample(real, min(len(real), rnd.randint(1, 3)))
    with_limit = simulate(g, hit, deadline=far)
    without = simulate(g, hit)
    assert with_limit.y == without.y
    assert with_limit.failed == without.failed
    assert concentration(g, deadline=far).rows == concentration(g).rows
    assert structure(g, deadline=far).to_json() == structure(g).to_json()
    assert rank(g, "x", deadline=far).rows == rank(g, "x").rows


# ---------------------------------------------------------------------- pathological graphs

ONE_REGION = [{"id": "R", "level": "country"}]


def supply_loop(n: int, chords: int, seed: int = 0) -> Tables:
    """Return n firms in one big supply cycle: each buys x from the next (90 %) and from
    a few random others (10 %); every firm also makes x, the chain's end product."""
    rng = random.Random(seed)
    supplies = [{"supplier": f"f{(i + 1) % n}", "buyer": f"f{i}", "component": "x",
                 "share": 0.9} for i in range(n)]
    seen = {(r["supplier"], r["buyer"]) for r in supplies}
    for _ in range(chords):
        a, b = f"f{rng.randrange(n)}", f"f{rng.randrange(n)}"
        if a != b and (a, b) not in seen:
            seen.add((a, b))
            supplies.append({"supplier": a, "buyer": b, "component": "x", "share": 0.1})
    return {"regions": ONE_REGION, "firms": [{"id": f"f{i}", "region": "R"} for i in range(n)],
            "components": [{"id": "x", "end_product": True, "chains": ("c",)}],
            "produces": [{"firm": f"f{i}", "component": "x"} for i in range(n)],
            "supplies": supplies, "chains": [{"id": "c", "name": "C"}]}


def deep_chain(depth: int) -> Tables:
    """Return a chain ``depth`` stages deep: firm i makes c_i from c_{i-1}, bought from i-1."""
    return {
        "regions": ONE_REGION,
        "firms": [{"id": f"f{i}", "region": "R"} for i in range(depth)],
        "components": [{"id": f"c{i}", "end_product": i == depth - 1, "chains": ("c",)}
                       for i in range(depth)],
        "produces": [{"firm": f"f{i}", "component": f"c{i}"} for i in range(depth)],
        "requires": [{"product": f"c{i}", "input": f"c{i - 1}"} for i in range(1, depth)],
        "supplies": [{"supplier": f"f{i - 1}", "buyer": f"f{i}", "component": f"c{i - 1}"}
                     for i in range(1, depth)],
        "chains": [{"id": "c", "name": "C"}],
    }


def many_suppliers(n: int) -> Tables:
    """Return a component x with n alternative makers, all of whom supply it to one
    buyer, which makes the end product p."""
    firms = [{"id": f"f{i}", "region": "R"} for i in range(n)]
    return {
        "regions": ONE_REGION,
        "firms": [*firms, {"id": "buyer", "region": "R"}],
        "components": [{"id": "x"}, {"id": "p", "end_product": True, "chains": ("c",)}],
        "produces": [*({"firm": f"f{i}", "component": "x"} for i in range(n)),
                     {"firm": "buyer", "component": "p"}],
        "requires": [{"product": "p", "input": "x"}],
        "supplies": [{"supplier": f"f{i}", "buyer": "buyer", "component": "x"}
                     for i in range(n)],
        "chains": [{"id": "c", "name": "C"}],
    }


def hub_in_or_groups(n: int) -> Tables:
    """Return a hub firm in n OR groups: each of n firms buys y from the hub or from
    its neighbour in a ring (so the n firms also form one supply cycle)."""
    return {
        "regions": ONE_REGION,
        "firms": [*({"id": f"f{i}", "region": "R"} for i in range(n)),
                  {"id": "hub", "region": "R"}],
        "components": [{"id": "y", "end_product": True, "chains": ("c",)}],
        "produces": [{"firm": "hub", "component": "y"},
                     *({"firm": f"f{i}", "component": "y"} for i in range(n))],
        "supplies": [*({"supplier": "hub", "buyer": f"f{i}", "component": "y"}
                       for i in range(n)),
                     *({"supplier": f"f{(i + 1) % n}", "buyer": f"f{i}", "component": "y"}
                       for i in range(n))],
        "chains": [{"id": "c", "name": "C"}],
    }


def finishes_or_stops(g: DependencyGraph, seconds: float) -> dict[str, Any]:
    """Run every analysis under a real limit; return the results of those that finished.

    Each must either finish or raise AnalysisTimeout: a RecursionError, a hang or any
    other error fails the test.
    """
    done = {}
    for what, run in ANALYSES.items():
        stopped = ""
        try:
            done[what] = run(g, Deadline(seconds))
        except AnalysisTimeout as e:
            stopped = str(e)
        if stopped:  # the ranking may stop in one of the analyses it runs first
            names = list(ANALYSES) if what == "the ranking" else [what]
            assert stopped.startswith(tuple(names)), stopped
    return done


def test_a_chain_deeper_than_the_recursion_limit_is_analysed() -> None:
    depth = 1500  # 3,000 nodes in a line, 3 × Python's default recursion limit
    g = DependencyGraph.from_tables(deep_chain(depth))
    done = finishes_or_stops(g, 0)  # no limit: everything must finish
    spof = done["single points of failure"]
    end = f"component:c{depth - 1}"
    # every firm, every component above it and the region
    assert len(spof.spof(end)) == depth + (depth - 1) + 1
    assert "firm:f0" in spof.spof(end)
    # the region is every firm's HQ (and the only source), so it dominates every node but
    # the first component, which only f0 makes from nothing
    dominators = done["structural views"].dominators
    assert len(dominators) == g.n_nodes
    assert {v: d for v, d in dominators.items() if d != "region:R"} == {
        "region:R": "(raw-material sources)", "component:c0": "firm:f0"}
    ranking = {r.id: r for r in done["the ranking"].rows}
    assert ranking["firm:f0"].targets_lost == 1  # the one target: the end product
    assert ranking["firm:f0"].nodes_lost == 2 * depth  # every firm and component
    assert ranking["firm:f0"].output_lost == 1.0
    assert done["the what-if cascade"].y[g.index[end]] == 0.0


def test_a_very_deep_chain_stops_at_the_limit(fake_clock: list[float]) -> None:
    # 20,000 stages: the SPOF sets alone would hold about 800 million entries
    g = DependencyGraph.from_tables(deep_chain(20_000))
    with pytest.raises(AnalysisTimeout, match="single points of failure"):
        single_points_of_failure(g, deadline=Deadline(100))


def test_a_huge_supply_cycle_finishes_or_stops(fake_clock: list[float]) -> None:
    # more firms than the cascade solves as one linear system (4,000)
    g = DependencyGraph.from_tables(supply_loop(5000, chords=5000))
    assert max(len(p) for p in g.parts) == 5000
    spof = single_points_of_failure(g, deadline=Deadline(0))
    # every firm has two or more suppliers of x: only the region stops them all
    assert spof.spof("firm:f0") == ["region:R"]
    # losing one firm drains the loop's capacity slowly (no substitution): the
    # iteration around the 20,000-firm cycle checks the deadline every round
    with pytest.raises(AnalysisTimeout, match="what-if cascade"):
        simulate(g, ["firm:f0"], deadline=Deadline(50))
    # the ranking's cascades stop there too, but the ranking itself is returned: the
    # rows left without output_lost say why and come after every complete row
    ranking = rank(g, "c", spof=spof, deadline=Deadline(300))
    late = [r for r in ranking.rows if r.output_lost_missing]
    assert late
    assert all(r.output_lost is None and r.output_lost_missing == "time" for r in late)
    assert [r.output_lost_missing != "" for r in ranking.rows] == sorted(
        r.output_lost_missing != "" for r in ranking.rows)


def test_a_component_with_100k_alternative_makers() -> None:
    g = DependencyGraph.from_tables(many_suppliers(100_000))
    done = finishes_or_stops(g, 2.0)
    if "single points of failure" in done:
        assert done["single points of failure"].spof("component:p") == [
            "component:x", "firm:buyer", "region:R"]
    if "concentration" in done:
        row = done["concentration"].row("component:x")
        assert row.n_producers == 100_000
        assert row.hhi_firm == pytest.approx(0.1)  # 100,000 × (100 × 1e-5)²
    if "the what-if cascade" in done:
        assert done["the what-if cascade"].y[g.index["component:p"]] == pytest.approx(1 - 1e-5)


def test_a_firm_in_10k_or_groups() -> None:
    g = DependencyGraph.from_tables(hub_in_or_groups(10_000))
    done = finishes_or_stops(g, 5.0)
    if "single points of failure" in done:
        # every firm has two suppliers; the hub has none: only the region stops anyone
        assert done["single points of failure"].spof("firm:f7") == ["region:R"]
        assert done["single points of failure"].failure_set("firm:hub") == ["firm:hub"]
    if "structural views" in done:
        assert done["structural views"].articulation_points == ()
