"""Structural views: the algorithms written on the compiled arrays give NetworkX's answers."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrisk.analysis import structure as structure_module
from chainrisk.analysis.structure import (
    ROOT,
    betweenness,
    cut_points,
    firm_network,
    immediate_dominators,
    structure,
)
from chainrisk.graph import DependencyGraph, Kind
from tests.analysis.strategies import Tables, bundles


def _dependency_net(g: DependencyGraph) -> nx.DiGraph:
    """Return member -> owner edges (sites as their firm and region), root -1 above sources."""
    net = nx.DiGraph()
    kinds = g.kind.tolist()
    net.add_nodes_from(v for v in range(g.n_nodes) if kinds[v] != Kind.SITE)
    for v in range(g.n_nodes):
        if kinds[v] == Kind.SITE:
            continue
        for grp in g.groups_of(v):
            for m in grp:
                for u in g.site_of[m] if kinds[m] == Kind.SITE else (m,):
                    net.add_edge(u, v)
    sources = [v for v in net.nodes if net.in_degree(v) == 0]
    net.add_edges_from((-1, v) for v in sources)
    return net


def test_hand_example() -> None:
    # a -> b -> c (supplies), and a second supplier d of b's input: b is still a cut point
    g = DependencyGraph.from_tables({
        "regions": [{"id": "R", "level": "country"}],
        "firms": [{"id": f, "region": "R"} for f in "abcd"],
        "components": [{"id": "x"}, {"id": "y"}],
        "produces": [{"firm": "a", "component": "x"}, {"firm": "d", "component": "x"},
                     {"firm": "b", "component": "y"}],
        "supplies": [{"supplier": "a", "buyer": "b", "component": "x"},
                     {"supplier": "d", "buyer": "b", "component": "x"},
                     {"supplier": "b", "buyer": "c", "component": "y"}],
    })
    s = structure(g)
    assert s.articulation_points == ("firm:b",)
    assert s.bridges == (("firm:a", "firm:b"), ("firm:b", "firm:c"), ("firm:b", "firm:d"))
    # R is the only source (no groups) and every firm's HQ: it dominates everything
    assert s.dominators["region:R"] == ROOT
    assert {s.dominators[f"firm:{f}"] for f in "abcd"} == {"region:R"}
    # b is on the only paths a -> c and d -> c: 2 of the (4-1)*(4-2) = 6 ordered pairs
    assert s.betweenness["firm:b"] == pytest.approx(2 / 6)
    assert not s.betweenness_sampled


@settings(max_examples=200, deadline=None)
@given(bundles(max_firms=9, max_components=7))
def test_the_same_as_networkx_on_random_chains(tables: Tables) -> None:
    g = DependencyGraph.from_tables(tables)
    s = structure(g)
    undirected = firm_network(g).to_undirected()
    assert s.articulation_points == tuple(sorted(nx.articulation_points(undirected)))
    assert s.bridges == tuple(sorted(tuple(sorted(e)) for e in nx.bridges(undirected)))
    expected = nx.betweenness_centrality(firm_network(g))
    assert s.betweenness == pytest.approx(expected, abs=1e-12)
    idom = nx.immediate_dominators(_dependency_net(g), -1)
    idom.pop(-1, None)
    assert immediate_dominators(g) == idom


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1),
                                                       st.integers(0, n - 1)), max_size=30))))
def test_cut_points_match_networkx(graph: tuple[int, list[tuple[int, int]]]) -> None:
    n, links = graph
    points, bridges = cut_points(n, links)
    net = nx.Graph()
    net.add_nodes_from(range(n))
    net.add_edges_from((a, b) for a, b in links if a != b)
    assert points == sorted(nx.articulation_points(net))
    assert sorted(tuple(sorted(b)) for b in bridges) == sorted(
        tuple(sorted(e)) for e in nx.bridges(net)
    )


def test_sampled_betweenness_is_networkx_with_the_same_seed() -> None:
    rng = np.random.default_rng(3)
    n = 60
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, n, size=(240, 2)) if a != b}
    net = nx.DiGraph()
    net.add_nodes_from(range(n))
    net.add_edges_from(sorted(pairs))
    out: list[list[int]] = [list(net.successors(v)) for v in range(n)]
    import random

    pivots = random.Random(7).sample(range(n), 9)
    mine = betweenness(n, out, pivots=pivots)
    theirs = nx.betweenness_centrality(net, k=9, seed=7)
    assert mine == pytest.approx([theirs[v] for v in range(n)], abs=1e-12)


def test_a_small_dense_network_is_sampled_not_run_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 40 firms that all supply each other: exact betweenness would be 40 × 1,600 links
    firms = [f"f{i}" for i in range(40)]
    g = DependencyGraph.from_tables({
        "regions": [{"id": "R", "level": "country"}],
        "firms": [{"id": f, "region": "R"} for f in firms],
        "components": [{"id": "x"}],
        "produces": [{"firm": f, "component": "x"} for f in firms],
        "supplies": [{"supplier": a, "buyer": b, "component": "x"}
                     for a in firms for b in firms if a != b],
    })
    assert not structure(g).betweenness_sampled
    monkeypatch.setattr(structure_module, "EXACT_WORK", 40 * 1000)
    s = structure(g, sample=5)
    assert s.betweenness_sampled
    assert set(s.betweenness) == {f"firm:{f}" for f in firms}
