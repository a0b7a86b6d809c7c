"""What a user allowed some chains may see of the graph (no Streamlit here).

Chains are declared on components (``components.chains``). A user allowed chains C
sees: the components of C; the firms that make one of them (directly or at a
production site), buy or sell one of them, or lead a chain of C; and the regions
where those firms and sites stand, with every region above them. The analyses still
run on the whole graph (a shared foundry matters to both chains); the pages show, and
the exports write, only what lies in this set. :class:`OutOfScope` is raised when a
request names anything outside it.

Examples
--------
>>> from chainrisk.graph import DependencyGraph
>>> g = DependencyGraph.from_tables({
...     "regions": [{"id": "A", "level": "country"}, {"id": "B", "level": "country"}],
...     "firms": [{"id": "fab", "region": "A"}, {"id": "radio", "region": "B"}],
...     "components": [{"id": "chip", "chains": ("ic", "5g")},
...                    {"id": "base", "chains": ("5g",)}],
...     "produces": [{"firm": "fab", "component": "chip"},
...                  {"firm": "radio", "component": "base"}],
...     "requires": [{"product": "base", "input": "chip"}],
...     "chains": [{"id": "ic"}, {"id": "5g"}],
... })
>>> sorted(g.ids[v] for v in visible_nodes(g, ["ic"]))
['component:chip', 'firm:fab', 'region:A']
>>> len(visible_nodes(g, ["ic", "5g"])) == len(list(g.real_nodes()))
True
"""

from __future__ import annotations

from collections.abc import Iterable

from chainrisk.errors import AccessDenied
from chainrisk.graph import DependencyGraph, GroupKind, Kind


class OutOfScope(AccessDenied):
    """A request named a chain or node outside the chains the user may see."""


def visible_nodes(graph: DependencyGraph, chains: Iterable[str]) -> frozenset[int]:
    """Return the nodes (firms, components, regions) that belong to one of ``chains``."""
    wanted = set(chains)
    components = {
        v for v in graph.real_nodes()
        if graph.kind[v] == Kind.COMPONENT and wanted.intersection(graph.component_chains(v))
    }
    firms = {f for c in wanted if c in graph.chains for f in graph.chains[c].leaders}
    places: set[int] = set()
    for g in range(graph.n_groups):
        kind = graph.group_kind[g]
        if kind == GroupKind.PRODUCERS and int(graph.group_owner[g]) in components:
            for member in graph.group_members(g).tolist():
                if graph.kind[member] == Kind.SITE:
                    firm, place = graph.site_of[member]
                    firms.add(firm)
                    places.add(place)
                else:
                    firms.add(member)
        elif kind == GroupKind.BUYS and int(graph.group_ref[g]) in components:
            firms.add(int(graph.group_owner[g]))
            firms.update(graph.group_members(g).tolist())
    places.update(graph.firm_region[f] for f in firms if f in graph.firm_region)
    regions: set[int] = set()
    for place in places:
        region: int | None = place
        while region is not None and region not in regions:
            regions.add(region)
            region = graph.region_parent.get(region)
    return frozenset(components | firms | regions)


def visible_ids(graph: DependencyGraph, nodes: Iterable[int]) -> frozenset[str]:
    """Return the ids of ``nodes``."""
    return frozenset(graph.ids[v] for v in nodes)


def require(allowed: frozenset[str] | None, ids: Iterable[str]) -> None:
    """Raise OutOfScope unless every id is allowed (``allowed`` None: everything is).

    >>> require(frozenset({"firm:a"}), ["firm:a"])
    >>> require(frozenset({"firm:a"}), ["firm:b"])
    Traceback (most recent call last):
    ...
    chainrisk.ui.scope.OutOfScope: that node is outside the chains this account may see
    """
    if allowed is not None and any(i not in allowed for i in ids):
        raise OutOfScope("that node is outside the chains this account may see")


def require_chain(allowed: tuple[str, ...] | None, chain: str) -> None:
    """Raise OutOfScope unless ``chain`` is one of ``allowed`` (None: every chain)."""
    if allowed is not None and chain not in allowed:
        raise OutOfScope("that chain is outside the chains this account may see")
