"""Structural views of the chain, labelled as such: they ignore the AND/OR rules.

These are the classic graph measures other tools report: articulation points and
bridges of the undirected firm network, the dominator tree from the raw-material
sources, and betweenness (sampled on large graphs). They are shown beside the exact
single points of failure, never instead of them: a dominator misses a firm that is
the sole source of one of several required inputs, and an articulation point says
nothing about which inputs are alternatives.

Time limits: a NetworkX call cannot be stopped from inside, and on a 100k-firm chain
its bridges and betweenness took tens of seconds each. So the measures are computed
here on the compiled arrays, by the textbook algorithms, and checked against NetworkX
in the tests: articulation points and bridges by one iterative lowpoint search
(linear), betweenness by Brandes' algorithm, immediate dominators by the
Cooper–Harvey–Kennedy iteration (quadratic at worst, on pathological graphs). Each
checks the deadline as it goes (betweenness after every pivot). Betweenness is exact
only while pivots × (firms + links) stays below :data:`EXACT_WORK`, else sampled from
:data:`SAMPLE_PIVOTS` pivots, so a small but dense network cannot take hours either.

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

import random
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from chainrisk.analysis.deadline import CHECK_EVERY, NO_LIMIT, Deadline
from chainrisk.graph import DependencyGraph, GroupKind, Kind

SAMPLE_ABOVE = 2000
"""Betweenness is sampled above this many firms..."""
EXACT_WORK = 50_000_000
"""...or when an exact run would visit more than this many firms and links in all."""
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


def _supply_links(
    graph: DependencyGraph, within: Collection[int] | None = None
) -> tuple[list[int], list[tuple[int, int]]]:
    """Return the firms (node indices, in index order) and the distinct supplier -> buyer
    links between them, in the order of the supplies rows. ``within`` (None: every
    node) keeps only its firms and the links between two of them."""
    sizes = np.diff(graph.member_ptr)
    owner_of_member = np.repeat(graph.group_owner, sizes)
    buys = np.repeat(graph.group_kind == GroupKind.BUYS, sizes)
    suppliers = graph.members[buys]
    buyers = owner_of_member[buys]
    key = suppliers * graph.n_nodes + buyers
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    links = list(zip(suppliers[keep].tolist(), buyers[keep].tolist(), strict=True))
    firms = np.flatnonzero(graph.kind == Kind.FIRM).tolist()
    if within is not None:
        firms = [v for v in firms if v in within]
        links = [(s, b) for s, b in links if s in within and b in within]
    return firms, links


def firm_network(graph: DependencyGraph, within: Collection[int] | None = None) -> nx.DiGraph:
    """Return the supply network: an edge supplier -> buyer for every supplies row
    (``within``: only its firms and the links between them)."""
    firms, links = _supply_links(graph, within)
    ids = graph.ids
    net = nx.DiGraph()
    net.add_nodes_from(ids[v] for v in firms)
    net.add_edges_from((ids[s], ids[b]) for s, b in links)
    return net


def cut_points(
    n: int, links: list[tuple[int, int]], *, deadline: Deadline = NO_LIMIT
) -> tuple[list[int], list[tuple[int, int]]]:
    """Return the articulation points and the bridges of an undirected graph.

    Nodes are ``0..n-1``; ``links`` may repeat a pair either way round (self-links are
    ignored). One depth-first search, iterative, keeps for each node the earliest
    discovery time its subtree reaches by one back link (its lowpoint): a tree link
    ``p - v`` is a bridge when v's lowpoint is after p's discovery, and p is an
    articulation point when v's lowpoint is not before it (a search root when it has
    two or more tree children). Bridges come as (parent, child) in search order.

    >>> cut_points(4, [(0, 1), (1, 2), (2, 0), (2, 3)])  # a triangle with a tail
    ([2], [(2, 3)])
    """
    neighbours: list[list[int]] = [[] for _ in range(n)]
    seen_links: set[tuple[int, int]] = set()
    for a, b in links:
        key = (a, b) if a < b else (b, a)
        if a != b and key not in seen_links:
            seen_links.add(key)
            neighbours[a].append(b)
            neighbours[b].append(a)
    found = [-1] * n  # discovery time
    low = [0] * n
    points: list[int] = []
    bridges: list[tuple[int, int]] = []
    clock = 0
    work = 0
    next_check = CHECK_EVERY
    deadline.check()
    for root in range(n):
        if found[root] >= 0:
            continue
        found[root] = low[root] = clock
        clock += 1
        root_children = 0
        stack = [(root, -1, 0)]  # node, its parent, its next neighbour to look at
        while stack:
            v, parent, i = stack[-1]
            if i < len(neighbours[v]):
                stack[-1] = (v, parent, i + 1)
                w = neighbours[v][i]
                if found[w] < 0:
                    found[w] = low[w] = clock
                    clock += 1
                    stack.append((w, v, 0))
                elif w != parent and found[w] < low[v]:  # a back link (links are distinct)
                    low[v] = found[w]
                continue
            stack.pop()
            work += len(neighbours[v]) + 1
            if work >= next_check:
                deadline.check()
                next_check = work + CHECK_EVERY
            if parent < 0:
                continue
            if low[v] < low[parent]:
                low[parent] = low[v]
            if low[v] > found[parent]:
                bridges.append((parent, v))
            if parent == root:
                root_children += 1
            elif low[v] >= found[parent]:
                points.append(parent)
        if root_children >= 2:
            points.append(root)
    return sorted(set(points)), bridges


def betweenness(
    n: int,
    out: list[list[int]],
    *,
    pivots: list[int] | None = None,
    deadline: Deadline = NO_LIMIT,
) -> list[float]:
    """Return the normalised betweenness of nodes ``0..n-1`` of a directed graph.

    ``out[v]`` lists v's successors (no repeats). Brandes' algorithm from every node,
    or from ``pivots`` only, scaled as NetworkX's ``betweenness_centrality`` (normalized,
    endpoints excluded) scales it; the deadline is checked after every pivot.

    >>> betweenness(3, [[1], [2], []])  # a path: only the middle node is between
    [0.0, 0.5, 0.0]
    """
    score = [0.0] * n
    dist = [-1] * n
    sigma = [0.0] * n
    delta = [0.0] * n
    preds: list[list[int]] = [[] for _ in range(n)]
    sources = range(n) if pivots is None else pivots
    deadline.check()
    for s in sources:
        order = [s]
        dist[s] = 0
        sigma[s] = 1.0
        head = 0
        while head < len(order):  # breadth first: order is also the stack of Brandes
            v = order[head]
            head += 1
            d = dist[v] + 1
            sv = sigma[v]
            for w in out[v]:
                if dist[w] < 0:
                    dist[w] = d
                    order.append(w)
                    sigma[w] = sv
                    preds[w] = [v]
                elif dist[w] == d:
                    sigma[w] += sv
                    preds[w].append(v)
        for w in reversed(order):
            coeff = (1.0 + delta[w]) / sigma[w]
            for v in preds[w]:
                delta[v] += sigma[v] * coeff
            if w != s:
                score[w] += delta[w]
        for w in order:  # reset only what this pivot touched
            dist[w] = -1
            sigma[w] = 0.0
            delta[w] = 0.0
        preds[s] = []
        deadline.check()
    return _rescale(score, n, None if pivots is None else pivots)


def _rescale(score: list[float], n: int, pivots: list[int] | None) -> list[float]:
    """Scale raw pair counts as NetworkX does (directed, normalized, no endpoints)."""
    pairs = n - 1  # targets a path through v can end at (not v itself)
    if pairs < 2:
        return score
    if pivots is None:
        scale = 1 / (pairs * (pairs - 1))
        return [x * scale for x in score]
    k = len(pivots)
    # a pivot cannot be its own source, so pivots are scaled over k - 1 sources
    of_pivot = 1 / ((k - 1) * (pairs - 1)) if k > 1 else float("nan")
    of_other = 1 / (k * (pairs - 1))
    chosen = set(pivots)
    return [x * (of_pivot if v in chosen else of_other) for v, x in enumerate(score)]


def immediate_dominators(
    graph: DependencyGraph, *, deadline: Deadline = NO_LIMIT
) -> dict[int, int]:
    """Return {node: its immediate dominator} in the dependency graph, -1 for the root.

    Edges run from a member to the owner of its group (a site counts as its firm and
    its region); a root above every node with no groups is the start. Nodes the root
    does not reach (a cycle fed by nothing) have none. The Cooper–Harvey–Kennedy
    iteration: visit nodes in reverse postorder, intersecting the dominators of
    their processed predecessors, until nothing changes; the deadline is checked as
    it walks.

    >>> g = DependencyGraph.from_tables({
    ...     "regions": [{"id": "R", "level": "country"}],
    ...     "firms": [{"id": "a", "region": "R"}], "components": []})
    >>> immediate_dominators(g)  # R is a source; a hangs off R
    {0: -1, 1: 0}
    """
    n = graph.n_nodes
    root = n
    lists = graph.lists
    gp, mp, mem = lists.group_ptr, lists.member_ptr, lists.members
    kinds = graph.kind.tolist()
    site = int(Kind.SITE)
    preds: list[list[int]] = [[] for _ in range(n + 1)]
    succ: list[list[int]] = [[] for _ in range(n + 1)]
    for v in range(n):
        if kinds[v] == site:
            continue
        pv = preds[v]
        for i in range(mp[gp[v]], mp[gp[v + 1]]):
            m = mem[i]
            if kinds[m] == site:
                pv.extend(graph.site_of[m])
            else:
                pv.append(m)
        if not pv:
            pv.append(root)
        for u in pv:
            succ[u].append(v)
    deadline.check()
    # postorder from the root, iteratively (chains can be far deeper than the stack)
    number = [-1] * (n + 1)
    order: list[int] = []
    seen = bytearray(n + 1)
    seen[root] = 1
    stack = [(root, 0)]
    while stack:
        v, i = stack[-1]
        if i < len(succ[v]):
            stack[-1] = (v, i + 1)
            w = succ[v][i]
            if not seen[w]:
                seen[w] = 1
                stack.append((w, 0))
        else:
            stack.pop()
            number[v] = len(order)
            order.append(v)
    order.pop()  # the root
    order.reverse()
    idom = [-1] * (n + 1)
    idom[root] = root
    work = 0
    next_check = CHECK_EVERY
    changed = True
    while changed:
        changed = False
        for u in order:
            new = -1
            for p in preds[u]:
                if idom[p] < 0:  # not reached yet (or never: unreachable from the root)
                    continue
                if new < 0:
                    new = p
                    continue
                a = p
                while a != new:  # walk both up the tree to their common dominator
                    while number[a] < number[new]:
                        a = idom[a]
                        work += 1
                    while number[new] < number[a]:
                        new = idom[new]
                        work += 1
            work += len(preds[u])
            if idom[u] != new:
                idom[u] = new
                changed = True
            if work >= next_check:
                deadline.check()
                next_check = work + CHECK_EVERY
    return {v: (-1 if idom[v] == root else idom[v]) for v in range(n) if idom[v] >= 0}


@dataclass(frozen=True, eq=False)
class FirmMeasures:
    """The structural measures of one firm network (the whole one, or a part of it)."""

    articulation_points: tuple[str, ...]
    bridges: tuple[tuple[str, str], ...]
    betweenness: dict[str, float]  # firm -> betweenness in that network
    betweenness_sampled: bool


def firm_measures(
    graph: DependencyGraph,
    *,
    within: Collection[int] | None = None,
    sample: int = SAMPLE_PIVOTS,
    seed: int = 0,
    deadline: Deadline = NO_LIMIT,
) -> FirmMeasures:
    """Return articulation points, bridges and betweenness of the firm network.

    ``within`` (node indices; None: every node) measures the network of its firms and
    the links between two of them instead — what a viewer may see: paths, pairs and
    the normalisation count only those firms. Betweenness is exact up to
    ``SAMPLE_ABOVE`` firms (and :data:`EXACT_WORK`) of that network, else estimated
    from ``sample`` pivot firms drawn with ``seed`` (the pivots NetworkX would draw with
    that seed from the network's firms in index order).

    >>> g = DependencyGraph.from_tables({
    ...     "regions": [{"id": "R", "level": "country"}],
    ...     "firms": [{"id": "a", "region": "R"}, {"id": "b", "region": "R"},
    ...               {"id": "c", "region": "R"}],
    ...     "components": [{"id": "x"}, {"id": "y"}],
    ...     "supplies": [{"supplier": "a", "buyer": "b", "component": "x"},
    ...                  {"supplier": "b", "buyer": "c", "component": "y"}],
    ... })
    >>> firm_measures(g).betweenness["firm:b"]
    0.5
    >>> m = firm_measures(g, within={g.index["firm:a"], g.index["firm:b"]})
    >>> m.betweenness, m.articulation_points
    ({'firm:a': 0.0, 'firm:b': 0.0}, ())
    """
    firms, links = _supply_links(graph, within)
    ids = graph.ids
    n = len(firms)
    position = {v: i for i, v in enumerate(firms)}
    pairs = [(position[s], position[b]) for s, b in links]
    cut, cut_links = cut_points(n, pairs, deadline=deadline)
    points = tuple(sorted(ids[firms[i]] for i in cut))
    bridges = tuple(sorted(
        (a, b) if a < b else (b, a) for a, b in ((ids[firms[u]], ids[firms[w]])
                                                 for u, w in cut_links)
    ))
    out: list[list[int]] = [[] for _ in range(n)]
    for s, b in pairs:
        out[s].append(b)
    sampled = n > SAMPLE_ABOVE or n * (n + len(links)) > EXACT_WORK
    k = min(sample, n)
    pivots = random.Random(seed).sample(range(n), k) if sampled and k < n else None
    scores = betweenness(n, out, pivots=pivots, deadline=deadline)
    return FirmMeasures(
        articulation_points=points,
        bridges=bridges,
        betweenness={ids[v]: float(scores[i]) for i, v in enumerate(firms)},
        betweenness_sampled=pivots is not None,
    )


def structure(
    graph: DependencyGraph,
    *,
    sample: int = SAMPLE_PIVOTS,
    seed: int = 0,
    deadline: Deadline | None = None,
) -> StructureResult:
    """Return articulation points, bridges, dominators and betweenness of ``graph``.

    Betweenness is exact up to ``SAMPLE_ABOVE`` firms (and :data:`EXACT_WORK`), else
    estimated from ``sample`` pivot firms drawn with ``seed`` (the pivots NetworkX
    would draw with that seed). ``deadline`` is checked between the steps and inside
    the long ones (see the module notes).
    """
    dl = (deadline or NO_LIMIT).within("structural views", graph)
    dl.check()
    firm = firm_measures(graph, sample=sample, seed=seed, deadline=dl)
    ids = graph.ids
    idom = immediate_dominators(graph, deadline=dl)
    dominators = {ids[v]: (ROOT if d == -1 else ids[d]) for v, d in idom.items()}
    return StructureResult(
        articulation_points=firm.articulation_points,
        bridges=firm.bridges,
        dominators=dominators,
        betweenness=firm.betweenness,
        betweenness_sampled=firm.betweenness_sampled,
    )
