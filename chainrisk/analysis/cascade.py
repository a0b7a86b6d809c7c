"""Capacity cascade: how much output each node keeps when some nodes are disrupted.

Each node gets an output fraction ``y`` in [0, 1] (risk-model.md §3): disrupted nodes
0; a node is the minimum over its groups, where a group of suppliers or producers
gives the share-weighted sum ``Σ w·y`` and any other group (parent region, HQ, an
input group of the bill of materials, a site's operator or region) the maximum of its
members. The answer is the greatest fixpoint, found from ``y = 1`` downwards.

Strongly connected parts are solved in dependency order. Around a supply loop the
plain iteration can need very many rounds (a loop that keeps 99 % of its input each
round decays slowly), so the solver brackets the answer: Gauss–Seidel rounds from
above give an upper bound that stays above the greatest fixpoint, and solving the
linear system of the currently active groups gives a candidate that, when it is a
post-fixpoint (``y ≤ F(y)``), is a lower bound. It stops when the two are within
``tolerance``.

Examples
--------
A component made by two firms with 70 % and 30 % of supply loses 70 % of its output
when the bigger one is disrupted:

>>> from chainrisk.graph import DependencyGraph
>>> g = DependencyGraph.from_tables({
...     "regions": [{"id": "R", "level": "country"}],
...     "firms": [{"id": "a", "region": "R"}, {"id": "b", "region": "R"}],
...     "components": [{"id": "x", "end_product": True}],
...     "produces": [{"firm": "a", "component": "x", "share": 0.7},
...                  {"firm": "b", "component": "x", "share": 0.3}],
... })
>>> result = simulate(g, ["firm:a"])
>>> round(result.output["component:x"], 12), result.failed
(0.3, ['firm:a'])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrisk.analysis.deadline import CHECK_EVERY, NO_LIMIT, Deadline
from chainrisk.graph import DependencyGraph, GraphLists

TOLERANCE = 1e-10
_MAX_ROUNDS = 200_000
# Node evaluations between two deadline checks outside cycles (inside a cycle: see
# _solve_cycle). A node is usually a few members, so this is well under a millisecond.
_CHECK_NODES = 1024
# spreading evaluates a node this many times on average before the reference solver takes over
_SPREAD_ROUNDS = 50


@dataclass(frozen=True)
class Change:
    """A node whose output dropped."""

    id: str
    before: float
    after: float

    @property
    def loss(self) -> float:
        """Return the output lost (before − after)."""
        return self.before - self.after


@dataclass(frozen=True, eq=False)
class CascadeResult:
    """Output fractions after a disruption, and which nodes stop outright."""

    graph: DependencyGraph
    disrupted: tuple[str, ...]
    y: tuple[float, ...]
    failed: list[str]

    @property
    def output(self) -> dict[str, float]:
        """Return ``{id: y}`` for every region, firm and component."""
        ids = self.graph.ids
        return {ids[v]: self.y[v] for v in self.graph.real_nodes()}

    def changes(self) -> list[Change]:
        """Return every node whose output dropped, biggest loss first, then by id."""
        ids = self.graph.ids
        dropped = [
            Change(ids[v], 1.0, self.y[v]) for v in self.graph.real_nodes() if self.y[v] < 1.0
        ]
        return sorted(dropped, key=lambda c: (-c.loss, c.id))

    def targets(self, chain: str | None = None) -> list[Change]:
        """Return the chain targets (end products, leader firms) that lost output."""
        chains = [self.graph.chains[chain]] if chain else list(self.graph.chains.values())
        seen: set[int] = set()
        out = []
        for info in chains:
            for v in info.targets:
                if v not in seen and self.y[v] < 1.0:
                    seen.add(v)
                    out.append(Change(self.graph.ids[v], 1.0, self.y[v]))
        return sorted(out, key=lambda c: (-c.loss, c.id))

    def to_json(self) -> dict[str, Any]:
        """Return the contract of risk-model.md §7: disrupted, failed and output."""
        output = self.output
        return {
            "disrupted": sorted(self.disrupted),
            "failed": self.failed,
            "output": {k: output[k] for k in sorted(output)},
        }


def failed_nodes(graph: DependencyGraph, disrupted: Iterable[int]) -> set[int]:
    """Return every node that stops working (binary model, greatest fixpoint).

    Linear in the groups the failure touches (counters are kept for those only).
    """
    lists = graph.lists
    mp = lists.member_ptr
    alive: dict[int, int] = {}  # group -> members still working, for groups touched
    owners = lists.group_owner
    dptr = lists.dependent_ptr
    dgroups = lists.dependent_groups
    failed = set(disrupted)
    stack = list(failed)
    while stack:
        u = stack.pop()
        for i in range(dptr[u], dptr[u + 1]):
            g = dgroups[i]
            left = alive.get(g)
            left = (mp[g + 1] - mp[g] if left is None else left) - 1
            alive[g] = left
            if left == 0:
                owner = owners[g]
                if owner not in failed:
                    failed.add(owner)
                    stack.append(owner)
    return failed


def downstream_of(graph: DependencyGraph, sources: Iterable[int]) -> set[int]:
    """Return the nodes that depend, directly or not, on any of ``sources``."""
    lists = graph.lists
    owners = lists.group_owner
    dptr = lists.dependent_ptr
    dgroups = lists.dependent_groups
    seen = set(sources)
    stack = list(seen)
    while stack:
        u = stack.pop()
        for i in range(dptr[u], dptr[u + 1]):
            owner = owners[dgroups[i]]
            if owner not in seen:
                seen.add(owner)
                stack.append(owner)
    return seen


def resolve_disruption(graph: DependencyGraph, ids: Sequence[str]) -> list[int]:
    """Return the node indices of ``ids``: a qualified id, a bare id (looked up as firm,
    region, component), or else a name, Chinese name or alias (:meth:`DependencyGraph.
    lookup`).

    Raises KeyError naming the text that is unknown, or ambiguous with its matches.
    """
    out = []
    for ident in ids:
        if ident in graph.index and graph.is_real(graph.index[ident]):
            out.append(graph.index[ident])
            continue
        matches = [
            graph.index[f"{kind}:{ident}"]
            for kind in ("firm", "region", "component")
            if f"{kind}:{ident}" in graph.index
        ]
        if not matches:
            matches = list(graph.lookup(ident))
        if len(matches) != 1:
            if matches:
                listed = ", ".join(f"{graph.ids[v]} ({graph.names[v]})" for v in matches[:10])
                what = f"matches {len(matches)} nodes: {listed}; give one of these ids"
            else:
                what = "is not the id, name or alias of a region, firm or component of the store"
                near = graph.containing(ident)
                if near:
                    what += "; names containing it: " + ", ".join(
                        f"{graph.ids[v]} ({graph.names_zh[v] or graph.names[v]})" for v in near)
            raise KeyError(f"{ident!r} {what}", ident, bool(matches))
        out.append(matches[0])
    return out


def simulate(
    graph: DependencyGraph,
    disrupt: Sequence[str],
    *,
    tolerance: float = TOLERANCE,
    deadline: Deadline | None = None,
) -> CascadeResult:
    """Return output fractions after disrupting the nodes named in ``disrupt``.

    Regions take their sub-regions and every firm located there with them (through
    the graph's parent and HQ groups). ``deadline`` stops a cascade that runs past
    its time limit with AnalysisTimeout.
    """
    disrupted = resolve_disruption(graph, disrupt)
    dl = (deadline or NO_LIMIT).within("the what-if cascade", graph)
    y = output_fractions(graph, set(disrupted), tolerance, deadline=dl)
    failed = failed_nodes(graph, disrupted)
    ids = graph.ids
    return CascadeResult(
        graph=graph,
        disrupted=tuple(ids[v] for v in disrupted),
        y=tuple(y),
        failed=sorted(ids[v] for v in failed if graph.is_real(v)),
    )


def output_fractions(
    graph: DependencyGraph,
    disrupted: set[int],
    tolerance: float = TOLERANCE,
    *,
    affected: set[int] | None = None,
    deadline: Deadline | None = None,
) -> list[float]:
    """Return the output fraction of every node (by index) when ``disrupted`` are lost.

    ``affected`` may pass :func:`downstream_of` ``disrupted`` when the caller has it.
    ``deadline`` is checked every few thousand node evaluations and every round of
    the iteration around a cycle.
    """
    return output_fractions_counted(
        graph, disrupted, tolerance, affected=affected, deadline=deadline
    )[0]


def _node_output(v: int, y: list[float], lists: GraphLists) -> float:
    """Return the output of ``v`` from its members' outputs ``y``: the smallest over its
    groups of the group's value (the summed share of its members for a summed group,
    else its best member)."""
    gp, mp, mem = lists.group_ptr, lists.member_ptr, lists.members
    best = 1.0
    for g in range(gp[v], gp[v + 1]):
        lo, hi = mp[g], mp[g + 1]
        if hi - lo == 1:  # most groups: a parent, an HQ, one required input
            value = y[mem[lo]]
        elif lists.summed[g]:
            weights = lists.weights
            value = 0.0
            for i in range(lo, hi):
                value += weights[i] * y[mem[i]]
        else:
            value = 0.0
            for i in range(lo, hi):
                if y[mem[i]] > value:
                    value = y[mem[i]]
        if value < best:
            best = value
    return best


def output_fractions_counted(
    graph: DependencyGraph,
    disrupted: set[int],
    tolerance: float = TOLERANCE,
    *,
    affected: set[int] | None = None,
    deadline: Deadline | None = None,
) -> tuple[list[float], int]:
    """Return :func:`output_fractions` and how many node evaluations it took.

    Around a cycle a node is evaluated once per round, so the count says how much
    work a cascade was, which the number of nodes it reaches does not.
    """
    dl = deadline or NO_LIMIT
    n = graph.n_nodes
    y = [1.0] * n
    if not disrupted:
        return y, 0
    lists = graph.lists
    gp, mp, mem = lists.group_ptr, lists.member_ptr, lists.members
    weights, summed = lists.weights, lists.summed
    if affected is None:
        affected = downstream_of(graph, disrupted)
    for v in failed_nodes(graph, disrupted):
        y[v] = 0.0  # a node that fails in the binary model has no output at all
    settled = {v for v in affected if y[v] == 0.0}

    def evaluate(v: int) -> float:
        return 0.0 if v in disrupted else _node_output(v, y, lists)

    dl.check()
    next_check = _CHECK_NODES
    evaluations = 0
    for part in _parts_within(graph, affected):
        todo = [v for v in part if v not in settled]
        if not todo:
            continue
        if len(part) == 1:
            v = part[0]
            y[v] = evaluate(v)
            evaluations += 1
            if evaluations >= next_check:
                dl.check()
                next_check = evaluations + _CHECK_NODES
            continue
        evaluations += _solve_cycle(todo, y, evaluate, tolerance, gp, mp, mem, weights, summed,
                                    dl)
    return y, evaluations


def output_fractions_spread(
    graph: DependencyGraph,
    disrupted: set[int],
    tolerance: float = TOLERANCE,
    *,
    deadline: Deadline | None = None,
) -> tuple[list[float], int]:
    """Return :func:`output_fractions` computed by spreading the loss, and its evaluations.

    The same greatest fixpoint, approached from above, within ``tolerance``: a node is
    evaluated again only when one of its members' output dropped, in the order of the
    strongly connected parts (dependencies first), so work follows what changes rather
    than what could be reached: around a large supply loop a drop travels once round
    the loop instead of the loop being evaluated whole once per step. For the
    ranking's many cascades; :func:`output_fractions` stays the reference.
    """
    import heapq

    dl = deadline or NO_LIMIT
    n = graph.n_nodes
    y = [1.0] * n
    if not disrupted:
        return y, 0
    lists = graph.lists
    owners, dptr, dgroups = lists.group_owner, lists.dependent_ptr, lists.dependent_groups
    position = graph.part_position
    failed = failed_nodes(graph, disrupted)
    for v in failed:
        y[v] = 0.0  # as output_fractions: a node failing in the binary model has no output
    epsilon = tolerance * 1e-3
    queue: list[tuple[int, int]] = []
    queued: set[int] = set()

    def push_dependents(u: int) -> None:
        for i in range(dptr[u], dptr[u + 1]):
            owner = owners[dgroups[i]]
            if owner not in queued and owner not in failed:
                queued.add(owner)
                heapq.heappush(queue, (position[owner], owner))

    for v in failed:
        push_dependents(v)
    evaluations = 0
    next_check = _CHECK_NODES
    touched: set[int] = set()
    while queue:
        _, v = heapq.heappop(queue)
        queued.discard(v)
        touched.add(v)
        if evaluations > _SPREAD_ROUNDS * len(touched) + _CHECK_NODES:
            # a loop that converges slowly: the reference solver's linear step ends it
            y, more = output_fractions_counted(graph, disrupted, tolerance, deadline=dl)
            return y, evaluations + more
        best = _node_output(v, y, lists)
        evaluations += 1
        if evaluations >= next_check:
            dl.check()
            next_check = evaluations + _CHECK_NODES
        if y[v] - best > epsilon:
            y[v] = best
            push_dependents(v)
    return y, evaluations


def _parts_within(graph: DependencyGraph, nodes: set[int]) -> list[list[int]]:
    """Return the strongly connected parts restricted to ``nodes``, dependencies first."""
    position = graph.part_position
    by_part: dict[int, list[int]] = {}
    for v in nodes:
        by_part.setdefault(position[v], []).append(v)
    return [by_part[p] for p in sorted(by_part)]


def _solve_cycle(
    part: list[int],
    y: list[float],
    evaluate: Any,
    tolerance: float,
    gp: list[int],
    mp: list[int],
    mem: list[int],
    weights: list[float],
    summed: list[bool],
    deadline: Deadline,
) -> int:
    """Bring ``y`` on a strongly connected ``part`` to its greatest fixpoint (± tolerance).

    Return the number of node evaluations it took.
    """
    rounds = 0
    check_every = 20
    # one clock read per CHECK_EVERY members evaluated, at least one per round
    size = max(1, sum(mp[gp[v + 1]] - mp[gp[v]] for v in part))
    clock_every = max(1, CHECK_EVERY // size)
    while rounds < _MAX_ROUNDS:
        if rounds % clock_every == 0:
            deadline.check()
        delta = 0.0
        for v in part:  # Gauss–Seidel from above: stays above the greatest fixpoint
            new = evaluate(v)
            if y[v] - new > delta:
                delta = y[v] - new
            y[v] = new
        rounds += 1
        if delta <= tolerance * 1e-3:
            return rounds * len(part)
        if rounds % check_every == 0:
            deadline.check()
            lower = _linear_candidate(part, y, gp, mp, mem, weights, summed)
            if (
                lower is not None
                and _is_post_fixpoint(part, y, lower, evaluate, tolerance)
                and all(y[v] - lower[i] <= tolerance for i, v in enumerate(part))
            ):
                return rounds * len(part)
            check_every = min(check_every * 2, 2000)
    # Not reached on graphs seen so far; y is still an upper bound within the last delta.
    return rounds * len(part)


def _linear_candidate(
    part: list[int],
    y: list[float],
    gp: list[int],
    mp: list[int],
    mem: list[int],
    weights: list[float],
    summed: list[bool],
) -> list[float] | None:
    """Return the solution of the linear system of the groups active at ``y``, if any."""
    if len(part) > 4000:
        return None
    where = {v: i for i, v in enumerate(part)}
    size = len(part)
    a = np.zeros((size, size))
    b = np.zeros(size)
    for i, v in enumerate(part):
        best_g, best = -1, 2.0
        for g in range(gp[v], gp[v + 1]):
            lo, hi = mp[g], mp[g + 1]
            if summed[g]:
                value = sum(weights[k] * y[mem[k]] for k in range(lo, hi))
            else:
                value = max(y[mem[k]] for k in range(lo, hi))
            if value < best:
                best_g, best = g, value
        if best_g < 0 or best >= 1.0:
            b[i] = 1.0  # capped: the node is at full output
            continue
        lo, hi = mp[best_g], mp[best_g + 1]
        if summed[best_g]:
            terms = [(mem[k], weights[k]) for k in range(lo, hi)]
        else:
            top = max(range(lo, hi), key=lambda k: y[mem[k]])
            terms = [(mem[top], 1.0)]
        for u, w in terms:
            if u in where:
                a[i, where[u]] += w
            else:
                b[i] += w * y[u]
    try:
        solution = np.linalg.solve(np.eye(size) - a, b)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(solution)):
        return None
    return [float(min(max(s, 0.0), 1.0)) for s in solution]


def _is_post_fixpoint(
    part: list[int], y: list[float], candidate: list[float], evaluate: Any, tolerance: float
) -> bool:
    """Return whether ``candidate`` (on ``part``) satisfies candidate ≤ F(candidate)."""
    saved = [y[v] for v in part]
    for i, v in enumerate(part):
        y[v] = candidate[i]
    try:
        return all(candidate[i] <= evaluate(v) + tolerance * 1e-2 for i, v in enumerate(part))
    finally:
        for i, v in enumerate(part):
            y[v] = saved[i]
