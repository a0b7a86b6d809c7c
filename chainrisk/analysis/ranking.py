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
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from chainrisk.analysis.cascade import downstream_of, output_fractions_counted
from chainrisk.analysis.concentration import ConcentrationResult, concentration
from chainrisk.analysis.deadline import CHECK_EVERY, NO_LIMIT, Deadline
from chainrisk.analysis.members import ChainMembers, chain_members, chain_spofs
from chainrisk.analysis.spof import SpofResult, single_points_of_failure
from chainrisk.analysis.structure import StructureResult, firm_measures, structure
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
    output_lost: float | None  # None: not computed (beyond the cascade limit)
    concentration: float
    betweenness: float
    articulation_point: bool
    role: str = "outside"  # members.ChainMembers.role: component, leader, producer, …
    spof: bool = False  # its loss alone stops a chain target other than itself


@dataclass(frozen=True, eq=False)
class Ranking:
    """A chain's ranking, with the weights and targets that produced it."""

    chain: str
    targets: tuple[str, ...]
    weights: Mapping[str, float]
    rows: tuple[RankRow, ...]
    betweenness_sampled: bool

    def to_frame(self) -> pd.DataFrame:
        """Return the ranking as a DataFrame, one row per node, in rank order."""
        import pandas as pd

        return pd.DataFrame.from_records([asdict(r) for r in self.rows])


def upstream_of(graph: DependencyGraph, nodes: tuple[int, ...]) -> set[int]:
    """Return every node whose output can reach ``nodes`` (they included)."""
    seen = set(nodes)
    stack = list(nodes)
    while stack:
        v = stack.pop()
        for g in graph.groups(v):
            for u in graph.group_members(g):
                u = int(u)
                if u not in seen:
                    seen.add(u)
                    stack.append(u)
    return seen


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
    spofs = chain_spofs(graph, spof.sets, members, visible)
    in_chain = members.nodes if visible is None else members.nodes & visible
    counted = members.counted if visible is None else members.counted & visible

    nodes_lost: dict[int, int] = defaultdict(int)
    targets_lost: dict[int, int] = defaultdict(int)
    node_kinds = graph.kind.tolist()
    work = 0
    next_check = CHECK_EVERY
    for v in counted | target_set:
        is_target = v in target_set
        is_counted = v in counted
        failing = spof.sets[v]
        if is_counted:
            for x in failing:
                nodes_lost[x] += 1
        if is_target:
            for x in failing:
                targets_lost[x] += 1
        work += len(failing)
        if work >= next_check:
            dl.check()
            next_check = work + CHECK_EVERY

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

    # output_lost: a cascade per candidate that can reach a target, most critical first
    order = sorted(
        candidates,
        key=lambda v: (-targets_lost[v], -nodes_lost[v], -sole[v], graph.ids[v]),
    )
    limit = len(order) if cascade_limit is None else cascade_limit
    output_lost: dict[int, float | None] = {}
    done = 0
    spent = 0
    budget = cascade_budget if cascade_budget is not None else float("inf")
    feeds_targets = upstream_of(graph, targets)
    for v in order:
        if v not in feeds_targets:
            output_lost[v] = 0.0
            continue
        if done >= limit or spent >= budget:
            output_lost[v] = None
            continue
        dl.check()
        reach = downstream_of(graph, [v])
        done += 1
        if all(t not in reach or v in spof.sets[t] for t in targets):
            # every target v reaches stops outright (y = 0), the others keep y = 1:
            # the cascade's answer is known without running it
            spent += len(reach)
            output_lost[v] = targets_lost[v] / n_targets
            continue
        y, evaluated = output_fractions_counted(graph, {v}, affected=reach, deadline=dl)
        # around a slow cycle a cascade evaluates its nodes many times: count every time
        spent += max(len(reach), evaluated)
        output_lost[v] = sum(1.0 - y[t] for t in targets) / n_targets

    parts: dict[str, dict[int, float]] = {
        "targets_lost_share": {v: targets_lost[v] / n_targets for v in candidates},
        "output_lost": {v: output_lost[v] or 0.0 for v in candidates},
        "nodes_lost": {v: float(nodes_lost[v]) for v in candidates},
        "sole_source_links": {v: float(sole[v]) for v in candidates},
        "concentration": {v: worst[v] / 10_000.0 for v in candidates},
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
    ranked = sorted(candidates, key=lambda v: (-round(score[v], 12), graph.ids[v]))
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
            concentration=worst[v],
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
