"""Brute-force references for the analyses (risk-model.md §2), for tests only."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection

from chainrisk.graph import DependencyGraph


def failed_nodes(graph: DependencyGraph, disrupted: set[int]) -> set[int]:
    """Return every node that stops working when ``disrupted`` are lost (greatest fixpoint).

    One counter per group of still-working members; a node fails when it is disrupted
    or one of its counters reaches zero.
    """
    alive = [
        int(graph.member_ptr[g + 1] - graph.member_ptr[g]) for g in range(graph.n_groups)
    ]
    failed = set(disrupted)
    queue = deque(disrupted)
    while queue:
        u = queue.popleft()
        for g in graph.dependents(u):
            g = int(g)
            alive[g] -= 1
            owner = int(graph.group_owner[g])
            if alive[g] == 0 and owner not in failed:
                failed.add(owner)
                queue.append(owner)
    return failed


def spof_sets(graph: DependencyGraph) -> list[set[int]]:
    """Return SPOF(v) for every node by knocking out each node alone (O(V·(V+E)))."""
    spof: list[set[int]] = [set() for _ in range(graph.n_nodes)]
    for x in range(graph.n_nodes):
        for v in failed_nodes(graph, {x}):
            if v != x:
                spof[v].add(x)
    return spof


def capacity(graph: DependencyGraph, disrupted: set[int], rounds: int = 200_000) -> list[float]:
    """Return output fractions by plain Kleene (Jacobi) iteration from y = 1 downwards."""
    from chainrisk.graph import GroupKind

    y = [1.0] * graph.n_nodes
    summed = [k in (GroupKind.BUYS, GroupKind.PRODUCERS) for k in graph.group_kind.tolist()]
    for _ in range(rounds):
        new = []
        for v in range(graph.n_nodes):
            if v in disrupted:
                new.append(0.0)
                continue
            best = 1.0
            for g in graph.groups(v):
                lo, hi = int(graph.member_ptr[g]), int(graph.member_ptr[g + 1])
                vals = [y[int(graph.members[i])] for i in range(lo, hi)]
                if summed[g]:
                    value = sum(float(graph.weights[i]) * y[int(graph.members[i])]
                                for i in range(lo, hi))
                else:
                    value = max(vals)
                best = min(best, value)
            new.append(best)
        change = max(a - b for a, b in zip(y, new, strict=True))
        y = new
        if change < 1e-15:
            break
    return y


def restricted_failed(graph: DependencyGraph, keep_member: Callable[[int], bool],
                      keep_supplier: Callable[[int], bool],
                      filled: Collection[int] = ()) -> tuple[set[int], set[int]]:
    """Return (failed nodes, cut links) of the restricted graph of chain-chief.md §C,
    built literally: every producer group keeps its kept members, every purchase of a
    component keeps its kept suppliers plus a copy of every kept producer of it; filled
    components work whatever, and so does every purchase of them. Plain iteration from
    "everything works" until nothing changes (the greatest fixpoint)."""
    from chainrisk.graph import GroupKind

    kinds = graph.group_kind.tolist()
    refs = graph.group_ref.tolist()
    kept_producers: dict[int, set[int]] = {}
    for g in range(graph.n_groups):
        if kinds[g] == GroupKind.PRODUCERS:
            owner = int(graph.group_owner[g])
            kept_producers[owner] = {int(m) for m in graph.group_members(g) if keep_member(int(m))}
    groups: dict[int, list[set[int]]] = {}
    cut: set[int] = set()
    for v in range(graph.n_nodes):
        mine: list[set[int]] = []
        for g in graph.groups(v):
            members = {int(m) for m in graph.group_members(g)}
            if kinds[g] == GroupKind.PRODUCERS:
                kept = kept_producers[v]
                if not kept:
                    cut.add(v)
                if v in filled:
                    continue
                mine.append(kept)
            elif kinds[g] == GroupKind.BUYS:
                c = refs[g]
                kept = {s for s in members if keep_supplier(s)} | kept_producers.get(c, set())
                if not kept:
                    cut.add(c)
                if c in filled:
                    continue
                mine.append(kept)
            else:
                mine.append(members)
        groups[v] = [] if v in filled else mine
    working = set(range(graph.n_nodes))
    changed = True
    while changed:
        changed = False
        for v in list(working):
            if any(not (grp & working) for grp in groups[v]):
                working.discard(v)
                changed = True
    return set(range(graph.n_nodes)) - working, cut
