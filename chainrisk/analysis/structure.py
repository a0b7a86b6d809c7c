"""Structural views of the chain, labelled as such: they ignore the AND/OR rules.

These are the classic graph measures other tools report: articulation points and
bridges of the undirected firm network, the dominator tree from the raw-material
sources, and betweenness (sampled on large graphs). They are shown beside the exact
single points of failure, never instead of them: a dominator misses a firm that is
the sole source of one of several required inputs, and an articulation point says
nothing about which inputs are alternatives.

Examples
--------
>>> from chainrisk.graph import DependencyGraph
>>> g = DependencyGraph.from_tables({
...     "regions": [{"id": "R", "level": "country"}],
...     "firms": [{"id": "a", "region": "R"}, {"id": "b", "region": "R"},
...               {"id": "c", "region": "R"}],
...     "components": [{"id": "x"}, {"id": "y"}],
...     "produces": [{"firm": "a", "component": "x"}, {"firm": "b", "component": "y"}],
...     "supplies": [{"supplier": "a", "buyer": "b", "component": "x"},
...                  {"supplier": "b", "buyer": "c", "component": "y"}],
... })
>>> s = structure(g)
>>> s.articulation_points, s.bridges
(('firm:b',), (('firm:a', 'firm:b'), ('firm:b', 'firm:c')))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from chainrisk.graph import DependencyGraph, GroupKind, Kind

SAMPLE_ABOVE = 2000
SAMPLE_PIVOTS = 32
ROOT = "(raw-material sources)"


@dataclass(frozen=True, eq=False)
class StructureResult:
    """Structural measures (not the exact AND/OR answer)."""

    articulation_points: tuple[str, ...]
    bridges: tuple[tuple[str, str], ...]
    dominators: dict[str, str]  # node -> immediate dominator from the sources
    betweenness: dict[str, float]  # firm -> betweenness in the supply network
    betweenness_sampled: bool

    def to_json(self) -> dict[str, Any]:
        """Return the measures as JSON-ready data, labelled structural."""
        return {
            "kind": "structural (ignores AND/OR rules; see spof for the exact answer)",
            "articulation_points": list(self.articulation_points),
            "bridges": [list(b) for b in self.bridges],
            "immediate_dominators": dict(sorted(self.dominators.items())),
            "betweenness": dict(sorted(self.betweenness.items())),
            "betweenness_sampled": self.betweenness_sampled,
        }


def firm_network(graph: DependencyGraph) -> nx.DiGraph:
    """Return the supply network: an edge supplier -> buyer for every supplies row."""
    sizes = np.diff(graph.member_ptr)
    owner_of_member = np.repeat(graph.group_owner, sizes)
    buys = np.repeat(graph.group_kind == GroupKind.BUYS, sizes)
    suppliers = graph.members[buys].tolist()
    buyers = owner_of_member[buys].tolist()
    ids = graph.ids
    net = nx.DiGraph()
    net.add_nodes_from(ids[v] for v in np.flatnonzero(graph.kind == Kind.FIRM).tolist())
    net.add_edges_from((ids[s], ids[b]) for s, b in zip(suppliers, buyers, strict=True))
    return net


def _dependency_edges(graph: DependencyGraph) -> nx.DiGraph:
    """Return member -> owner edges between node indices (sites replaced by their firm and
    region), with node -1 as the root above every node that has no groups."""
    sizes = np.diff(graph.member_ptr)
    owners = np.repeat(graph.group_owner, sizes).tolist()
    site = Kind.SITE
    kinds = graph.kind.tolist()
    edges: list[tuple[int, int]] = []
    for member, owner in zip(graph.members.tolist(), owners, strict=True):
        if kinds[owner] == site:
            continue
        if kinds[member] == site:
            edges.extend((u, owner) for u in graph.site_of[member])
        else:
            edges.append((member, owner))
    net = nx.DiGraph()
    net.add_nodes_from(v for v in range(graph.n_nodes) if kinds[v] != site)
    net.add_edges_from(edges)
    roots = [v for v in net.nodes if net.in_degree(v) == 0]
    net.add_node(-1)
    net.add_edges_from((-1, v) for v in roots)
    return net


def structure(
    graph: DependencyGraph, *, sample: int = SAMPLE_PIVOTS, seed: int = 0
) -> StructureResult:
    """Return articulation points, bridges, dominators and betweenness of ``graph``.

    Betweenness is exact up to ``SAMPLE_ABOVE`` firms, else estimated from ``sample``
    pivot firms drawn with ``seed``.
    """
    net = firm_network(graph)
    undirected = net.to_undirected()
    points = tuple(sorted(nx.articulation_points(undirected)))
    bridges = tuple(sorted(tuple(sorted(e)) for e in nx.bridges(undirected)))
    sampled = net.number_of_nodes() > SAMPLE_ABOVE
    k = min(sample, net.number_of_nodes()) if sampled else None
    between = nx.betweenness_centrality(net, k=k, seed=seed) if net.number_of_nodes() else {}
    idom = nx.immediate_dominators(_dependency_edges(graph), -1)
    ids = graph.ids
    dominators = {
        ids[v]: (ROOT if d == -1 else ids[d]) for v, d in idom.items() if v != -1
    }
    return StructureResult(
        articulation_points=points,
        bridges=tuple((a, b) for a, b in bridges),
        dominators=dominators,
        betweenness={k2: float(v) for k2, v in between.items()},
        betweenness_sampled=sampled,
    )
