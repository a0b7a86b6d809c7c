"""Criticality ranking of firms, regions and components for one chain, every part shown.

For each candidate ``x`` (risk-model.md §5), with ``D(x)`` the nodes that stop when x
alone is lost and the chain's targets its end products and chain-leader firms:

- ``targets_lost``: targets in ``D(x)``; ``targets_lost_share``: as a share of targets;
- ``nodes_lost``: firms and components in ``D(x)`` (x itself included);
- ``sole_source_links``: supply groups in which x is the only member — a buyer's
  purchases of one component, a component's producers, or a product's input group;
- ``output_lost``: the mean drop of output over the targets when x alone is disrupted
  (capacity cascade);
- ``concentration``: the worst ``hhi_country`` among the components x produces (a
  component: its own; a region: among components with production located there);
- structural extras (not part of the exact answer): ``betweenness`` in the supply
  network (firms; sampled on large graphs) and ``articulation_point``.

The score is a weighted sum of the parts, each normalised to [0, 1] over the
candidates of the same kind (counts divided by their maximum, HHI by 10,000). Default
weights are in :data:`DEFAULT_WEIGHTS`; ties are broken by id.

Examples
--------
>>> from chainrisk.graph import DependencyGraph
>>> g = DependencyGraph.from_tables({
...     "regions": [{"id": "R", "level": "country"}],
...     "firms": [{"id": "a", "region": "R"}, {"id": "b", "region": "R"}],
...     "components": [{"id": "x"}, {"id": "p", "end_product": True, "chains": ("c",)}],
...     "chains": [{"id": "c", "name": "C"}],
...     "produces": [{"firm": "a", "component": "x"}, {"firm": "b", "component": "p"}],
...     "requires": [{"product": "p", "input": "x"}],
... })
>>> ranking = rank(g, "c", kind="firm")  # a: outside the chain, its sole-source link too
>>> [(r.id, r.targets_lost, r.sole_source_links) for r in ranking.rows]
[('firm:b', 1, 1), ('firm:a', 1, 0)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from chainrisk.analysis.cascade import output_fractions_spread
from chainrisk.analysis.concentration import ConcentrationResult, concentration
from chainrisk.analysis.deadline import CHECK_EVERY, NO_LIMIT, Deadline
from chainrisk.analysis.members import ChainMembers, chain_members, chain_spof_nodes
from chainrisk.analysis.spof import SpofResult, single_points_of_failure
from chainrisk.analysis.structure import StructureResult, firm_measures, structure
from chainrisk.errors import AnalysisTimeout
from chainrisk.graph import DependencyGraph, GroupKind, Kind

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "targets_lost_share": 0.35,
    "output_lost": 0.25,
    "nodes_lost": 0.15,
    "sole_source_links": 0.10,
    "concentration": 0.10,
    "betweenness": 0.05,
}
KINDS = {"firm": Kind.FIRM, "region": Kind.REGION, "component": Kind.COMPONENT}
CASCADE_LIMIT = 500
# Cascades for output_lost stop once the nodes they had to evaluate add up to this.
CASCADE_BUDGET = 1_000_000


@dataclass(frozen=True)
class RankRow:
    """One ranked node with every part of its score."""

    rank: int
    id: str
    kind: str
    name: str
    name_zh: str | None
    score: float
    targets_lost: int
    targets_lost_share: float
    nodes_lost: int
    sole_source_links: int
    output_lost: float | None  # None: not computed (see output_lost_missing)
    concentration: float | None  # None: no producer data for what it makes or is
    betweenness: float
    articulation_point: bool
    role: str = "outside"  # members.ChainMembers.role: component, leader, producer, …
    spof: bool = False  # its loss alone stops a chain target other than itself
    # why output_lost is None: "budget" (beyond the cascade limit or budget; the row loses
    # no target outright) or "time" (the analysis time limit ran out); "" when computed
    output_lost_missing: str = ""


@dataclass(frozen=True, eq=False)
class Ranking:
    """A chain's ranking, with the weights and targets that produced it."""

    chain: str
    targets: tuple[str, ...]
    weights: Mapping[str, float]
    rows: tuple[RankRow, ...]
    betweenness_sampled: bool

    @property
    def incomplete(self) -> int:
        """Return how many rows have no output_lost (ranked after the complete ones)."""
        return sum(1 for r in self.rows if r.output_lost_missing)

    def to_frame(self) -> pd.DataFrame:
        """Return the ranking as a DataFrame, one row per node, in rank order."""
        import pandas as pd

        return pd.DataFrame.from_records([asdict(r) for r in self.rows])


def _count_sets(graph: DependencyGraph, sets: Sequence[frozenset[int]], nodes: Iterable[int],
                dl: Deadline) -> list[int]:
    """Return, per node x, how many of ``nodes`` have x in their set (stop when x is lost).

    Counted in batches with numpy: on a large loop the sets hold ~10⁸ entries.
    """
    counts = np.zeros(graph.n_nodes, dtype=np.int64)
    batch: list[np.ndarray] = []
    held = 0
    for v in nodes:
        found = sets[v]
        batch.append(np.fromiter(found, dtype=np.int64, count=len(found)))
        held += len(found)
        if held >= CHECK_EVERY * 64:
            counts += np.bincount(np.concatenate(batch), minlength=graph.n_nodes)
            batch, held = [], 0
            dl.check()
    if batch:
        counts += np.bincount(np.concatenate(batch), minlength=graph.n_nodes)
    return [int(c) for c in counts.tolist()]


def _targets_reached(graph: DependencyGraph, targets: tuple[int, ...]) -> list[int]:
    """Return, per node, the targets its output can reach as bits (bit i: ``targets[i]``).

    One pass over the strongly connected parts, dependents first: the nodes of one part
    reach the same targets, so a large supply loop costs its size once, not once per
    candidate in it.
    """
    lists = graph.lists
    owners, dptr, dgroups = lists.group_owner, lists.dependent_ptr, lists.dependent_groups
    position = graph.part_position
    by_part: dict[int, list[int]] = defaultdict(list)
    for v in range(graph.n_nodes):
        by_part[position[v]].append(v)
    own = {t: 1 << bit for bit, t in enumerate(targets)}
    bits = [0] * graph.n_nodes
    for p in sorted(by_part, reverse=True):
        nodes = by_part[p]
        mask = 0
        for u in nodes:
            mask |= own.get(u, 0)
            for i in range(dptr[u], dptr[u + 1]):
                owner = owners[dgroups[i]]
                if position[owner] != p:
                    mask |= bits[owner]
        for u in nodes:
            bits[u] = mask
    return bits


def _with_ancestors(graph: DependencyGraph, region: int) -> list[int]:
    """Return ``region`` and the regions above it (a parent cycle, which validation
    rejects, stops the walk instead of looping)."""
    out = [region]
    parent = graph.region_parent.get(region)
    while parent is not None and parent not in out:
        out.append(parent)
        parent = graph.region_parent.get(parent)
    return out


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Return DEFAULT_WEIGHTS updated with ``weights``; ValueError on unknown or negative.

    >>> check_weights({"betweenness": 0})["betweenness"]
    0.0
    """
    merged = dict(DEFAULT_WEIGHTS)
    for name, value in weights.items():
        if name not in DEFAULT_WEIGHTS:
            raise ValueError(
                f"unknown weight {name!r}; the parts are {', '.join(DEFAULT_WEIGHTS)}"
            )
        value = float(value)
        if value < 0 or value != value:
            raise ValueError(f"weight {name!r} must be a number ≥ 0, not {value}")
        merged[name] = value
    return merged


def rank(
    graph: DependencyGraph,
    chain: str,
    *,
    kind: str | None = None,
    weights: Mapping[str, float] | None = None,
    spof: SpofResult | None = None,
    conc: ConcentrationResult | None = None,
    struct: StructureResult | None = None,
    cascade_limit: int | None = CASCADE_LIMIT,
    cascade_budget: int | None = CASCADE_BUDGET,
    deadline: Deadline | None = None,
    members: ChainMembers | None = None,
    visible: frozenset[int] | None = None,
) -> Ranking:
    """Return the criticality ranking of ``chain``'s firms, regions and components.

    The candidates are the chain's members (:mod:`chainrisk.analysis.members`) and its
    single points of failure outside them; the counts count inside the chain
    (risk-model.md §5): ``targets_lost`` over its targets, ``nodes_lost`` over its firms
    and components, ``sole_source_links`` over groups its members own. ``visible``
    (node indices; None: all) restricts the candidates and every count further, so a
    viewer's figures are the admin's recounted over what the viewer may see: a
    sole-source purchase counts only when the component bought is visible,
    ``concentration`` is the worst among visible components, and ``betweenness`` and
    ``articulation_point`` are measured on the firm network of the visible firms.

    ``kind`` keeps one kind only. ``cascade_limit`` bounds how many candidates get a
    capacity cascade for ``output_lost`` (the most critical by the other parts first),
    and ``cascade_budget`` the nodes those cascades may evaluate in all; the rest show
    None (not computed). Precomputed ``spof``/``conc``/``struct`` results are reused.
    ``deadline`` covers the whole ranking, the analyses it computes included.
    """
    if chain not in graph.chains:
        raise KeyError(f"unknown chain {chain!r}")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    w = check_weights(weights or {})
    deadline = deadline or NO_LIMIT
    spof = spof or single_points_of_failure(graph, deadline=deadline)
    conc = conc or concentration(graph, deadline=deadline)
    if visible is None:  # a viewer's structural extras are measured on what they may see
        struct = struct or structure(graph, deadline=deadline)
    dl = deadline.within("the ranking", graph)
    dl.check()
    members = members or chain_members(graph, chain)

    def seen(v: int) -> bool:
        return visible is None or v in visible

    targets = tuple(t for t in graph.chains[chain].targets if seen(t))
    target_set = set(targets)
    spofs = chain_spof_nodes(graph, spof.sets, members, visible)
    in_chain = members.nodes if visible is None else members.nodes & visible
    counted = members.counted if visible is None else members.counted & visible

    node_kinds = graph.kind.tolist()
    nodes_lost = _count_sets(graph, spof.sets, counted, dl)
    targets_lost = _count_sets(graph, spof.sets, target_set, dl)

    sole: dict[int, int] = defaultdict(int)
    supply_kinds = [int(GroupKind.BUYS), int(GroupKind.PRODUCERS), int(GroupKind.REQUIRES)]
    single = (np.diff(graph.member_ptr) == 1) & np.isin(graph.group_kind, supply_kinds)
    single_groups = np.flatnonzero(single)
    owners = graph.group_owner[single_groups].tolist()
    refs = graph.group_ref[single_groups].tolist()
    kinds_of = graph.group_kind[single_groups].tolist()
    buys = int(GroupKind.BUYS)
    for owner, member, ref, group_kind in zip(
            owners, graph.members[graph.member_ptr[single_groups]].tolist(), refs, kinds_of,
            strict=True):
        # a viewer's count leaves out purchases of a component they may not see
        if owner in in_chain and (group_kind != buys or seen(ref)):
            sole[graph.output_index(member)] += 1

    worst: dict[int, float] = defaultdict(float)
    lists = graph.lists
    group_kinds = graph.group_kind.tolist()
    producers, site = int(GroupKind.PRODUCERS), int(Kind.SITE)
    places: dict[int, list[int]] = {}  # region -> it and the regions above it
    for r in conc.rows:
        c = graph.index[r.id]
        if not seen(c):  # a viewer's worst HHI is over the components they may see
            continue
        hhi = r.hhi_country
        worst[c] = max(worst[c], hhi)
        for g in range(lists.group_ptr[c], lists.group_ptr[c + 1]):
            if group_kinds[g] != producers:
                continue
            for i in range(lists.member_ptr[g], lists.member_ptr[g + 1]):
                member = lists.members[i]
                if node_kinds[member] == site:
                    firm, place = graph.site_of[member]
                else:
                    firm, place = member, graph.firm_region[member]
                if hhi > worst[firm]:
                    worst[firm] = hhi
                if place not in places:
                    places[place] = _with_ancestors(graph, place)
                for region in places[place]:
                    if hhi > worst[region]:
                        worst[region] = hhi

    wanted = [int(KINDS[kind])] if kind else [int(k) for k in KINDS.values()]
    candidates = sorted(v for v in in_chain | set(spofs) if node_kinds[v] in wanted)
    n_targets = max(len(targets), 1)
    if visible is None:
        assert struct is not None
        between_ids, points, sampled = (struct.betweenness, struct.articulation_points,
                                        struct.betweenness_sampled)
    else:  # on the firm network of the nodes the viewer may see, not the whole one
        measured = firm_measures(graph, within=visible, deadline=dl)
        between_ids, points, sampled = (measured.betweenness, measured.articulation_points,
                                        measured.betweenness_sampled)
    between = {graph.index[k]: v for k, v in between_ids.items()}
    articulation = {graph.index[a] for a in points}

    # output_lost: known without a cascade when every target the candidate reaches stops
    # outright; else a cascade. Candidates that lose a target always get theirs (the
    # limit and the budget apply to the others only), the most critical first; only the
    # time limit can stop them, and then the rows left say so.
    reached = _targets_reached(graph, targets)
    order = sorted(
        candidates,
        key=lambda v: (-targets_lost[v], -nodes_lost[v], -sole[v], graph.ids[v]),
    )
    limit = len(order) if cascade_limit is None else cascade_limit
    output_lost: dict[int, float | None] = {}
    missing: dict[int, str] = {}
    done = 0
    spent = 0
    budget = cascade_budget if cascade_budget is not None else float("inf")
    stopped = False
    for v in order:
        feeds = reached[v]
        if not feeds:
            output_lost[v] = 0.0  # reaches no target
            continue
        # the targets it stops are among those it reaches (a target's own set holds it)
        if feeds.bit_count() == targets_lost[v]:
            # every target it reaches stops outright (y = 0), the others keep y = 1
            output_lost[v] = targets_lost[v] / n_targets
            spent += 1
            continue
        if stopped:
            output_lost[v], missing[v] = None, "time"
            continue
        if targets_lost[v] == 0 and (done >= limit or spent >= budget):
            output_lost[v], missing[v] = None, "budget"
            continue
        try:
            y, evaluated = output_fractions_spread(graph, {v}, deadline=dl)
        except AnalysisTimeout:
            stopped = True
            output_lost[v], missing[v] = None, "time"
            continue
        done += 1
        spent += evaluated  # the work done, evaluations around loops included
        output_lost[v] = sum(1.0 - y[t] for t in targets) / n_targets

    parts: dict[str, dict[int, float]] = {
        "targets_lost_share": {v: targets_lost[v] / n_targets for v in candidates},
        "output_lost": {v: output_lost[v] or 0.0 for v in candidates},  # missing: ranked apart
        "nodes_lost": {v: float(nodes_lost[v]) for v in candidates},
        "sole_source_links": {v: float(sole[v]) for v in candidates},
        "concentration": {v: worst.get(v, 0.0) / 10_000.0 for v in candidates},
        "betweenness": {v: between.get(v, 0.0) for v in candidates},
    }
    score: dict[int, float] = defaultdict(float)
    for k_kind in wanted:
        same = [v for v in candidates if node_kinds[v] == k_kind]
        for part, values in parts.items():
            top = max((values[v] for v in same), default=0.0)
            scale = 1.0 if part in ("targets_lost_share", "output_lost", "concentration") else top
            for v in same:
                if scale > 0:
                    score[v] += w[part] * values[v] / scale
    # a row whose output_lost is missing is ranked after every complete row, never as if
    # it had lost nothing
    ranked = sorted(candidates,
                    key=lambda v: (v in missing, -round(score[v], 12), graph.ids[v]))
    kind_names = {int(k): k.name.lower() for k in Kind}
    rows = tuple(
        RankRow(
            rank=i + 1,
            id=graph.ids[v],
            kind=kind_names[node_kinds[v]],
            name=graph.names[v],
            name_zh=graph.names_zh[v],
            score=round(score[v], 12),
            targets_lost=targets_lost[v],
            targets_lost_share=targets_lost[v] / n_targets,
            nodes_lost=nodes_lost[v],
            sole_source_links=sole[v],
            output_lost=output_lost[v],
            output_lost_missing=missing.get(v, ""),
            concentration=worst.get(v),
            betweenness=between.get(v, 0.0),
            articulation_point=v in articulation,
            role=members.role(v),
            spof=v in spofs,
        )
        for i, v in enumerate(ranked)
    )
    return Ranking(
        chain=chain,
        targets=tuple(graph.ids[t] for t in targets),
        weights=w,
        rows=rows,
        betweenness_sampled=sampled,
    )
