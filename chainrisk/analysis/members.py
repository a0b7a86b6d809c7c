"""Which nodes belong to a chain, and what counts as the chain's single point of failure.

One definition, used by the ranking, the chain views of every surface (CLI, app,
exports) and the access scope (docs/risk-model.md, "Members of a chain"):

- **components**: the components whose ``chains`` column names the chain;
- **producers**: the firms that make one of those components, at their HQ or at a
  production site;
- **leaders**: the chain's ``leader_firms`` and the firms flagged ``chain_leader`` that
  produce one of its components (the chain's targets besides its end products);
- **distributors**: firms that sell one of the chain's components to someone (a
  supplies row) without producing any of them and without leading the chain;
- **regions**: the HQ regions of those firms and the places of the chain's production
  sites, with every region above them;
- **outside customers**: firms that only buy the chain's components. They are listed
  under that label, never counted among the chain's firms and never ranked (they sit
  downstream of the chain: their loss stops none of its targets).

The chain's **firms** are producers, leaders and distributors; its **members** are its
components, firms and regions.

A node is a **single point of failure of the chain** when its loss alone stops at least
one of the chain's targets other than itself. Such a node may lie outside the chain's
members (an IC fab stops a 5G base station): it is then marked ``member=False``.

Examples
--------
>>> from chainrisk.graph import DependencyGraph
>>> g = DependencyGraph.from_tables({
...     "regions": [{"id": "A", "level": "country"}],
...     "firms": [{"id": "fab", "region": "A"}, {"id": "oem", "region": "A"},
...               {"id": "shop", "region": "A"}],
...     "components": [{"id": "chip", "chains": ("ic",)},
...                    {"id": "phone", "chains": ("5g",), "end_product": True}],
...     "produces": [{"firm": "fab", "component": "chip"},
...                  {"firm": "oem", "component": "phone"}],
...     "supplies": [{"supplier": "oem", "buyer": "shop", "component": "phone"}],
...     "requires": [{"product": "phone", "input": "chip"}],
...     "chains": [{"id": "ic"}, {"id": "5g"}],
... })
>>> m = chain_members(g, "5g")
>>> [g.ids[v] for v in sorted(m.firms)], [g.ids[v] for v in sorted(m.customers)]
(['firm:oem'], ['firm:shop'])
>>> sorted((g.ids[x], member) for x, (_, member) in chain_spofs(g, spof_sets(g), m).items())
[('component:chip', False), ('firm:fab', False), ('firm:oem', True), ('region:A', True)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from chainrisk.graph import DependencyGraph, GroupKind, Kind


@dataclass(frozen=True)
class ChainMembers:
    """The nodes of one chain, by role (indices into the graph)."""

    chain: str
    components: frozenset[int]
    producers: frozenset[int]
    leaders: frozenset[int]
    distributors: frozenset[int]
    customers: frozenset[int]
    regions: frozenset[int]
    targets: tuple[int, ...]

    @property
    def firms(self) -> frozenset[int]:
        """Return the chain's firms: producers, leaders and distributors."""
        return self.producers | self.leaders | self.distributors

    @property
    def nodes(self) -> frozenset[int]:
        """Return every member: components, firms and regions (not outside customers)."""
        return self.components | self.firms | self.regions

    @property
    def counted(self) -> frozenset[int]:
        """Return the members a ranking's ``nodes_lost`` counts: firms and components."""
        return self.components | self.firms

    def role(self, v: int) -> str:
        """Return the role of node ``v``: component, leader, producer, distributor,
        region, customer, or outside (not a member)."""
        if v in self.components:
            return "component"
        if v in self.leaders:
            return "leader"
        if v in self.producers:
            return "producer"
        if v in self.distributors:
            return "distributor"
        if v in self.regions:
            return "region"
        if v in self.customers:
            return "customer"
        return "outside"


ROLES = ("component", "leader", "producer", "distributor", "region", "customer", "outside")


def spof_sets(graph: DependencyGraph) -> tuple[frozenset[int], ...]:
    """Return the SPOF sets S(v) of every node (a convenience for examples and tests)."""
    from chainrisk.analysis.spof import single_points_of_failure

    return single_points_of_failure(graph).sets


def _with_ancestors(graph: DependencyGraph, places: Iterable[int]) -> set[int]:
    out: set[int] = set()
    for place in places:
        region: int | None = place
        while region is not None and region not in out:
            out.add(region)
            region = graph.region_parent.get(region)
    return out


def chain_members(graph: DependencyGraph, chain: str) -> ChainMembers:
    """Return the members of ``chain`` by role; KeyError for an unknown chain."""
    if chain not in graph.chains:
        raise KeyError(f"unknown chain {chain!r}")
    components = frozenset(
        v for v, chains in graph.component_chain_ids.items() if chain in chains
    )
    producers: set[int] = set()
    sellers: set[int] = set()
    buyers: set[int] = set()
    places: set[int] = set()
    for g in range(graph.n_groups):
        kind = graph.group_kind[g]
        if kind == GroupKind.PRODUCERS and int(graph.group_owner[g]) in components:
            for member in graph.group_members(g).tolist():
                if graph.kind[member] == Kind.SITE:
                    firm, place = graph.site_of[member]
                    producers.add(firm)
                    places.add(place)
                else:
                    producers.add(member)
        elif kind == GroupKind.BUYS and int(graph.group_ref[g]) in components:
            buyers.add(int(graph.group_owner[g]))
            sellers.update(graph.group_members(g).tolist())
    leaders = frozenset(graph.chains[chain].leaders)
    distributors = frozenset(sellers - producers - leaders)
    firms = producers | leaders | distributors
    customers = frozenset(buyers - firms)
    places.update(graph.firm_region[f] for f in firms if f in graph.firm_region)
    return ChainMembers(
        chain=chain,
        components=components,
        producers=frozenset(producers),
        leaders=leaders,
        distributors=distributors,
        customers=customers,
        regions=frozenset(_with_ancestors(graph, places)),
        targets=tuple(graph.chains[chain].targets),
    )


def visible_nodes(graph: DependencyGraph, chains: Iterable[str]) -> frozenset[int]:
    """Return what a user allowed ``chains`` may see: their members, their outside
    customers, and the regions where those customers stand (with the regions above)."""
    seen: set[int] = set()
    for chain in chains:
        if chain not in graph.chains:
            continue
        m = chain_members(graph, chain)
        seen |= m.nodes | m.customers
        seen |= _with_ancestors(graph, (graph.firm_region[f] for f in m.customers
                                        if f in graph.firm_region))
    return frozenset(seen)


def _stoppers(
    graph: DependencyGraph,
    sets: Sequence[frozenset[int]],
    members: ChainMembers,
    visible: frozenset[int] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the pairs (x, t) where x alone stops target t ≠ x (real nodes, within
    ``visible``), ordered by x and, for one x, in the order of the chain's targets."""
    not_site = graph.kind != int(Kind.SITE)
    if visible is not None:
        allowed = np.zeros(graph.n_nodes, dtype=bool)
        allowed[list(visible)] = True
        not_site &= allowed
    xs: list[np.ndarray] = []
    ts: list[np.ndarray] = []
    for t in members.targets:
        if visible is not None and t not in visible:
            continue
        found = np.fromiter(sets[t], dtype=np.int64, count=len(sets[t]))
        found = found[not_site[found] & (found != t)]
        xs.append(found)
        ts.append(np.full(len(found), t, dtype=np.int64))
    if not xs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pairs_x, pairs_t = np.concatenate(xs), np.concatenate(ts)
    order = np.argsort(pairs_x, kind="stable")
    return pairs_x[order], pairs_t[order]


def chain_spofs(
    graph: DependencyGraph,
    sets: Sequence[frozenset[int]],
    members: ChainMembers,
    visible: frozenset[int] | None = None,
) -> dict[int, tuple[tuple[int, ...], bool]]:
    """Return {x: (targets x alone stops other than itself, x is a member)} for every
    single point of failure of the chain (real nodes only; within ``visible``)."""
    x, t = _stoppers(graph, sets, members, visible)
    if not len(x):
        return {}
    starts = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    ends = np.r_[starts[1:], len(x)]
    nodes = members.nodes
    targets = t.tolist()
    return {int(x[a]): (tuple(targets[a:b]), int(x[a]) in nodes)
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)}


def chain_spof_nodes(
    graph: DependencyGraph,
    sets: Sequence[frozenset[int]],
    members: ChainMembers,
    visible: frozenset[int] | None = None,
) -> frozenset[int]:
    """Return the chain's single points of failure only (the keys of :func:`chain_spofs`),
    without listing what each stops: what the ranking needs, on graphs where that list
    holds tens of millions of pairs."""
    x, _ = _stoppers(graph, sets, members, visible)
    return frozenset(np.unique(x).tolist())


def count_inside(
    sets: Sequence[frozenset[int]], nodes: Iterable[int], candidates: Iterable[int]
) -> Mapping[int, int]:
    """Return, for each candidate x, how many of ``nodes`` stop when x alone is lost."""
    wanted = set(candidates)
    counts = dict.fromkeys(wanted, 0)
    for v in nodes:
        for x in sets[v]:
            if x in wanted:
                counts[x] += 1
    return counts
