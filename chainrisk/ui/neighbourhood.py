"""The explorer's view of the graph: who supplies whom, tier by tier from one node.

The dependency graph (graph.py) also holds regions, HQ groups and synthetic production
sites; the explorer shows firms and components only, with three kinds of link:

- ``supplies``: firm → firm (the supplier sells the buyer one of its purchases);
- ``produces``: firm → component (a production site shows as its firm);
- ``input``: component → component (the product needs the input, bill of materials).

:class:`Adjacency` holds these links once per data version as compact arrays;
:func:`neighbourhood` walks them up (suppliers, producers, inputs) and down (customers,
products) from a picked node, counting tiers from that node, and stops at a cap so
that a hub never freezes the browser.

Examples
--------
>>> from chainrisk.graph import DependencyGraph
>>> g = DependencyGraph.from_tables({
...     "regions": [{"id": "R", "level": "country"}],
...     "firms": [{"id": "a", "region": "R"}, {"id": "b", "region": "R"}],
...     "components": [{"id": "x"}, {"id": "p"}],
...     "produces": [{"firm": "a", "component": "x"}, {"firm": "b", "component": "p"}],
...     "requires": [{"product": "p", "input": "x"}],
...     "supplies": [{"supplier": "a", "buyer": "b", "component": "x"}],
... })
>>> adj = Adjacency.build(g)
>>> hood = neighbourhood(adj, g.index["component:p"], up=2, down=1)
>>> sorted((g.ids[v], t) for v, t in hood.tier.items())
[('component:p', 0), ('component:x', -1), ('firm:a', -2), ('firm:b', -1)]
>>> sorted((g.ids[u], g.ids[v], k) for u, v, k in hood.edges)
[('component:x', 'component:p', 'input'), ('firm:a', 'component:x', 'produces'), \
('firm:a', 'firm:b', 'supplies'), ('firm:b', 'component:p', 'produces')]
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from chainrisk.graph import DependencyGraph, GroupKind, Kind

IntArray = npt.NDArray[np.int64]

MAX_VISIBLE = 2000
EDGE_KINDS = ("supplies", "produces", "input")


@dataclass(frozen=True, eq=False)
class Adjacency:
    """Links between firms and components, both ways, as CSR arrays over node indices."""

    n: int
    up_ptr: IntArray  # up_ptr[v]:up_ptr[v+1] slices up_idx: the nodes v depends on
    up_idx: IntArray
    down_ptr: IntArray  # the nodes that depend on v
    down_idx: IntArray
    kind: npt.NDArray[np.int8]
    firm_country: dict[int, int]
    firm_province: dict[int, int]
    stage: dict[int, str]

    @classmethod
    def build(cls, graph: DependencyGraph) -> Adjacency:
        """Return the firm/component links of ``graph`` (regions and sites folded away)."""
        sizes = np.diff(graph.member_ptr)
        owner = np.repeat(graph.group_owner, sizes)
        gkind = np.repeat(graph.group_kind, sizes)
        keep = np.isin(gkind, (GroupKind.BUYS, GroupKind.PRODUCERS, GroupKind.REQUIRES))
        src = graph.members[keep].astype(np.int64)
        dst = owner[keep].astype(np.int64)
        if graph.site_of:  # a production site shows as the firm that runs it
            site_firm = np.arange(graph.n_nodes, dtype=np.int64)
            for site, (firm, _region) in graph.site_of.items():
                site_firm[site] = firm
            src = site_firm[src]
        n = graph.n_nodes
        # sort, then drop repeats (np.unique hashes int64 keys: several times slower here)
        pairs = np.sort(src * n + dst)
        pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if len(pairs) else pairs
        src, dst = pairs // n, pairs % n
        up_order = np.argsort(dst, kind="stable")
        down_order = np.argsort(src, kind="stable")
        firm_country: dict[int, int] = {}
        firm_province: dict[int, int] = {}
        places: dict[int, tuple[int | None, int | None]] = {}  # a few hundred regions
        for firm, region in graph.firm_region.items():
            if region not in places:
                places[region] = (graph.country_of(region), graph.province_of(region))
            country, province = places[region]
            if country is not None:
                firm_country[firm] = country
            if province is not None:
                firm_province[firm] = province
        return cls(
            n=n,
            up_ptr=_ptr(dst, n),
            up_idx=src[up_order],
            down_ptr=_ptr(src, n),
            down_idx=dst[down_order],
            kind=graph.kind.copy(),
            firm_country=firm_country,
            firm_province=firm_province,
            stage=dict(graph.stage),
        )

    def up(self, v: int) -> IntArray:
        """Return the nodes ``v`` depends on: suppliers, producers, inputs."""
        return self.up_idx[self.up_ptr[v] : self.up_ptr[v + 1]]

    def down(self, v: int) -> IntArray:
        """Return the nodes that depend on ``v``: customers, products."""
        return self.down_idx[self.down_ptr[v] : self.down_ptr[v + 1]]

    def link_kind(self, u: int, v: int) -> str:
        """Return the kind of the link ``u → v`` (supplies, produces or input)."""
        if self.kind[u] == Kind.FIRM:
            return "supplies" if self.kind[v] == Kind.FIRM else "produces"
        return "input"


def _ptr(keys: IntArray, n: int) -> IntArray:
    counts = np.bincount(keys, minlength=n)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr


@dataclass
class Neighbourhood:
    """The nodes within k tiers of a root (tier < 0 upstream, > 0 downstream) and links."""

    root: int
    tier: dict[int, int] = field(default_factory=dict)
    edges: list[tuple[int, int, str]] = field(default_factory=list)
    capped: bool = False
    # nodes reached but not shown because of the cap (a lower bound when capped)
    hidden: int = 0
    cut_tier: int | None = None  # the first tier (by distance) that was cut


def neighbourhood(
    adj: Adjacency,
    root: int,
    *,
    up: int,
    down: int,
    regions: Collection[int] = (),
    stages: Collection[str] = (),
    cap: int = MAX_VISIBLE,
    priority: Collection[int] = (),
    visible: Collection[int] | None = None,
) -> Neighbourhood:
    """Return the nodes within ``up`` tiers upstream and ``down`` downstream of ``root``.

    ``regions`` keeps firms located in one of those countries or provinces, ``stages``
    components of those stages (empty: no filter); filtered nodes are not walked
    through. ``visible`` (None: every node) bounds the walk to the nodes the user may
    see: nothing outside it is shown, counted or walked through. At most ``cap``
    nodes are kept, nearest tiers first and ``priority`` nodes first within a tier;
    what the cap left out is counted in ``hidden``.
    """
    hood = Neighbourhood(root=root, tier={root: 0})
    region_set, stage_set, first = set(regions), set(stages), set(priority)

    def allowed(v: int) -> bool:
        if visible is not None and v not in visible:
            return False
        kind = adj.kind[v]
        if kind == Kind.FIRM:
            return not region_set or bool(
                {adj.firm_country.get(v), adj.firm_province.get(v)} & region_set
            )
        if kind == Kind.COMPONENT:
            return not stage_set or adj.stage.get(v, "") in stage_set
        return False  # regions and sites are not shown

    frontiers = {-1: [root], 1: [root]}
    for distance in range(1, max(up, down) + 1):
        for sign, limit in ((-1, up), (1, down)):
            if distance > limit or hood.capped:
                continue
            step = adj.up if sign < 0 else adj.down
            found: dict[int, None] = {}
            for v in frontiers[sign]:
                for u in step(v).tolist():
                    if u not in hood.tier and u not in found and allowed(u):
                        found[u] = None
            batch = sorted(found, key=lambda u: (u not in first, u))
            room = cap - len(hood.tier)
            if len(batch) > room:
                hood.capped = True
                hood.hidden = len(batch) - room
                hood.cut_tier = sign * distance
                batch = batch[: max(room, 0)]
            for u in batch:
                hood.tier[u] = sign * distance
            frontiers[sign] = batch
        if hood.capped:
            break
    hood.edges = list(_links(adj, hood.tier))
    return hood


def _links(adj: Adjacency, shown: dict[int, int]) -> Iterable[tuple[int, int, str]]:
    for v in shown:
        for u in adj.up(v).tolist():
            if u in shown:
                yield u, v, adj.link_kind(u, v)


@dataclass(frozen=True)
class Placed:
    """A node's place in a layered drawing."""

    x: float
    y: float


def layered(
    columns: dict[float, list[int]],
    links: Iterable[tuple[int, int]],
    *,
    sweep: Iterable[float] | None = None,
    max_rows: int = 40,
) -> dict[int, Placed]:
    """Return x, y for nodes in columns, ordered to keep links short.

    Columns are ordered in ``sweep`` order (default left to right): within a column
    nodes are sorted by the mean row of their neighbours already placed (a barycentre
    sweep), ties by the given order. A column longer than ``max_rows`` wraps into
    sub-columns of its own. x counts sub-columns from 0, left to right; a jump of more
    than one between column keys leaves half a column of space per missing key.

    >>> placed = layered({0: [1, 2], 1: [3, 4]}, [(2, 3), (1, 4)])
    >>> [(v, placed[v].x, placed[v].y) for v in (1, 2, 4, 3)]
    [(1, 0.0, -0.5), (2, 0.0, 0.5), (4, 1.0, -0.5), (3, 1.0, 0.5)]
    >>> wide = layered({0: list(range(5)), 2: [9]}, [], max_rows=2)
    >>> sorted({p.x for p in wide.values()})
    [0.0, 1.0, 2.0, 3.5]
    """
    neighbours: dict[int, list[int]] = {}
    for u, v in links:
        neighbours.setdefault(u, []).append(v)
        neighbours.setdefault(v, []).append(u)
    rows: dict[int, float] = {}
    ranked: dict[float, list[int]] = {}
    for key in sweep if sweep is not None else sorted(columns):
        nodes = columns.get(key, [])
        if not nodes:
            continue
        order = {v: i for i, v in enumerate(nodes)}
        middle = (len(nodes) - 1) / 2

        def centre(v: int, order: dict[int, int] = order, middle: float = middle) -> tuple[
            float, int
        ]:
            seen = [rows[u] for u in neighbours.get(v, ()) if u in rows]
            return (sum(seen) / len(seen) if seen else order[v] - middle, order[v])

        ranked[key] = sorted(nodes, key=centre)
        per = _rows_per_column(len(nodes), max_rows)
        for i, v in enumerate(ranked[key]):
            sub, row = divmod(i, per)
            rows[v] = row - (min(per, len(nodes) - sub * per) - 1) / 2
    placed: dict[int, Placed] = {}
    cursor = 0.0
    previous: tuple[float, int] | None = None
    for key in sorted(ranked):
        nodes = ranked[key]
        per = _rows_per_column(len(nodes), max_rows)
        if previous is not None:
            cursor += previous[1] + max(0.0, key - previous[0] - 1) * 0.5
        for i, v in enumerate(nodes):
            placed[v] = Placed(cursor + i // per, rows[v])
        previous = (key, -(-len(nodes) // per))
    return placed


def _rows_per_column(n: int, max_rows: int) -> int:
    wraps = max(1, -(-n // max_rows))
    return max(1, -(-n // wraps))
