"""Exact single points of failure under AND-of-OR requirement groups.

For a node ``v``, ``SPOF(v)`` is every other node whose loss alone stops ``v``
(risk-model.md §2). It is computed for all nodes at once as the least fixpoint of

    S(v) = {v} ∪ ⋃_{g ∈ groups(v)} ⋂_{u ∈ g} S(u)

with ``SPOF(v) = S(v) − {v}``. Strongly connected parts of the dependency graph are
solved in dependency order: a node outside any cycle is final after one evaluation;
inside a cycle the sets grow monotonically to the fixpoint. Plain dominators are the
special case where every node has one group of one member; with real bills of
materials (AND between inputs) they would miss a firm that is the sole source of one
of several required inputs.

Examples
--------
Five nodes: firms a and b in region R both make x; product p needs x and is made by a
alone. x survives either firm's loss, p does not survive a's:

>>> from chainrisk.graph import DependencyGraph
>>> five = DependencyGraph.from_tables({
...     "regions": [{"id": "R", "level": "country"}],
...     "firms": [{"id": "a", "region": "R"}, {"id": "b", "region": "R"}],
...     "components": [{"id": "x"}, {"id": "p"}],
...     "produces": [{"firm": "a", "component": "x"}, {"firm": "b", "component": "x"},
...                  {"firm": "a", "component": "p"}],
...     "requires": [{"product": "p", "input": "x"}],
... })
>>> five.n_nodes
5
>>> single_points_of_failure(five).to_json()["nodes"]["component:p"]
['component:x', 'firm:a', 'region:R']
>>> single_points_of_failure(five).spof("component:x")
['region:R']

A phone needs a chip AND a screen; the chip comes from fab A or fab B; the screen only
from maker S. Both fabs and S sit in region R.

>>> from chainrisk.graph import DependencyGraph
>>> g = DependencyGraph.from_tables({
...     "regions": [{"id": "R", "level": "country"}],
...     "firms": [{"id": "a", "region": "R"}, {"id": "b", "region": "R"},
...               {"id": "s", "region": "R"}],
...     "components": [{"id": "chip"}, {"id": "screen"}, {"id": "phone"}],
...     "produces": [{"firm": "a", "component": "chip"}, {"firm": "b", "component": "chip"},
...                  {"firm": "s", "component": "screen"}],
...     "requires": [{"product": "phone", "input": "chip"},
...                  {"product": "phone", "input": "screen"}],
... })
>>> result = single_points_of_failure(g)
>>> result.spof("component:phone")
['component:chip', 'component:screen', 'firm:s', 'region:R']
>>> result.spof("component:chip")
['region:R']
>>> [step.node for step in result.explain("component:phone", "firm:s")]
['firm:s', 'component:screen', 'component:phone']
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chainrisk.analysis.deadline import CHECK_EVERY, NO_LIMIT, Deadline
from chainrisk.graph import DependencyGraph, Kind


@dataclass(frozen=True)
class PathStep:
    """One step of an explanation: ``node`` fails, and takes the next step's node with it
    through that node's group described by ``via`` (empty on the last step)."""

    node: str
    via: str


@dataclass(frozen=True, eq=False)
class SpofResult:
    """Single points of failure of every node of a graph, with explanations on demand."""

    graph: DependencyGraph
    sets: tuple[frozenset[int], ...]

    def spof_indices(self, node: int) -> list[int]:
        """Return the SPOF node indices of ``node`` (real nodes only, itself excluded)."""
        kind = self.graph.kind
        return sorted(x for x in self.sets[node] if x != node and kind[x] != Kind.SITE)

    def spof(self, node_id: str) -> list[str]:
        """Return the sorted ids of the single points of failure of ``node_id``."""
        v = self._node(node_id)
        return sorted(self.graph.ids[x] for x in self.spof_indices(v))

    def failure_set(self, node_id: str) -> list[str]:
        """Return the sorted ids of every node that stops when ``node_id`` alone is lost."""
        x = self._node(node_id)
        ids = self.graph.ids
        kind = self.graph.kind
        return sorted(
            ids[v] for v in range(self.graph.n_nodes) if x in self.sets[v] and kind[v] != Kind.SITE
        )

    def to_json(self) -> dict[str, Any]:
        """Return ``{"nodes": {id: [spof ids…]}}`` for every region, firm and component."""
        ids = self.graph.ids
        return {
            "nodes": {
                ids[v]: sorted(ids[x] for x in self.spof_indices(v))
                for v in sorted(self.graph.real_nodes(), key=lambda v: ids[v])
            }
        }

    def explain(self, target_id: str, spof_id: str) -> list[PathStep]:
        """Return one chain of groups through which losing ``spof_id`` stops ``target_id``.

        The path starts at the lost node and ends at the target; each step names the
        group of the next node through which the failure travels.
        """
        target = self._node(target_id)
        lost = self._node(spof_id)
        if lost not in self.sets[target] or lost == target:
            raise ValueError(f"{spof_id} is not a single point of failure of {target_id}")
        graph = self.graph
        # Breadth-first from the target down through groups all of whose members lose
        # ``lost``; the least fixpoint guarantees such a path ends at ``lost``.
        came_from: dict[int, tuple[int, int]] = {}
        queue = deque([target])
        seen = {target}
        while queue:
            v = queue.popleft()
            if v == lost:
                break
            for g in graph.groups(v):
                group = graph.group_members(g)
                if all(lost in self.sets[int(u)] for u in group):
                    for u in group:
                        u = int(u)
                        if u not in seen:
                            seen.add(u)
                            came_from[u] = (v, g)
                            queue.append(u)
        steps: list[PathStep] = []
        v = lost
        while v != target:
            nxt, g = came_from[v]
            steps.append(PathStep(self._label(v), graph.describe_group(g)))
            v = nxt
        steps.append(PathStep(self._label(target), ""))
        # a site shows as its firm: drop the repeat this makes
        return [s for i, s in enumerate(steps) if i == 0 or s.node != steps[i - 1].node]

    def _label(self, node: int) -> str:
        return self.graph.output_id(node)

    def _node(self, node_id: str) -> int:
        try:
            v = self.graph.index[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r} in the graph") from None
        if self.graph.kind[v] == Kind.SITE:
            raise KeyError(f"{node_id!r} is internal to the engine")
        return v


def single_points_of_failure(
    graph: DependencyGraph, *, deadline: Deadline | None = None
) -> SpofResult:
    """Return the exact single points of failure of every node of ``graph``.

    ``deadline`` is checked every :data:`~chainrisk.analysis.deadline.CHECK_EVERY`
    units of work (an element of a set built, a dependant looked at in a cycle); when
    it passes, AnalysisTimeout is raised and nothing is returned.
    """
    dl = (deadline or NO_LIMIT).within("single points of failure", graph)
    n = graph.n_nodes
    lists = graph.lists
    gp, mp, mem = lists.group_ptr, lists.member_ptr, lists.members
    owners, dptr, dgroups = lists.group_owner, lists.dependent_ptr, lists.dependent_groups
    sets: list[frozenset[int]] = [frozenset()] * n
    # Work is counted in set elements built, so a very deep chain (whose sets grow
    # with depth) is checked as often as a wide one; every set has at least its node.
    work = 0
    next_check = CHECK_EVERY
    size = len  # a local name: this loop runs once per node

    def evaluate(v: int) -> frozenset[int]:
        acc: set[int] | None = None
        for g in range(gp[v], gp[v + 1]):
            lo, hi = mp[g], mp[g + 1]
            inter = sets[mem[lo]]
            for i in range(lo + 1, hi):
                if not inter:
                    break
                inter = inter & sets[mem[i]]
            if inter:
                if acc is None:
                    acc = set(inter)
                else:
                    acc |= inter
        if acc is None:
            return frozenset((v,))
        acc.add(v)
        return frozenset(acc)

    dl.check()
    for part in graph.parts:
        if len(part) == 1 and not _self_loop(part[0], gp, mp, mem):
            new = sets[part[0]] = evaluate(part[0])
            work += size(new)
            if work >= next_check:
                dl.check()
                next_check = work + CHECK_EVERY
            continue
        members = set(part)
        for v in part:
            sets[v] = frozenset((v,))
        pending = deque(part)
        queued = set(part)
        while pending:
            v = pending.popleft()
            queued.discard(v)
            new = evaluate(v)
            work += size(new)
            if work >= next_check:
                dl.check()
                next_check = work + CHECK_EVERY
            if new != sets[v]:
                sets[v] = new
                work += dptr[v + 1] - dptr[v]
                for i in range(dptr[v], dptr[v + 1]):
                    u = owners[dgroups[i]]
                    if u in members and u not in queued:
                        queued.add(u)
                        pending.append(u)
    return SpofResult(graph, tuple(sets))


def _self_loop(v: int, gp: list[int], mp: list[int], mem: list[int]) -> bool:
    return any(mem[i] == v for g in range(gp[v], gp[v + 1]) for i in range(mp[g], mp[g + 1]))


def spof_counts(result: SpofResult, nodes: Iterable[int]) -> dict[int, int]:
    """Return, for each node in ``nodes``, how many single points of failure it has."""
    return {v: len(result.spof_indices(v)) for v in nodes}
