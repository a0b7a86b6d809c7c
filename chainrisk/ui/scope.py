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

from chainrisk.analysis import members
from chainrisk.errors import AccessDenied
from chainrisk.graph import DependencyGraph


class OutOfScope(AccessDenied):
    """A request named a chain or node outside the chains the user may see."""


def visible_nodes(graph: DependencyGraph, chains: Iterable[str]) -> frozenset[int]:
    """Return the nodes (firms, components, regions) that belong to one of ``chains``:
    their members and outside customers (:func:`chainrisk.analysis.members.visible_nodes`,
    the one definition every surface uses)."""
    return members.visible_nodes(graph, chains)


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
        raise OutOfScope("that node is outside the chains this account may see",
                         code="denied.out_of_scope")


def require_chain(allowed: tuple[str, ...] | None, chain: str) -> None:
    """Raise OutOfScope unless ``chain`` is one of ``allowed`` (None: every chain)."""
    if allowed is not None and chain not in allowed:
        raise OutOfScope("that chain is outside the chains this account may see",
                         code="denied.out_of_scope")
