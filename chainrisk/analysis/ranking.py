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
>>> ranking = rank(g, "c", kind="firm")
>>> [(r.id, r.targets_lost, r.sole_source_links) for r in ranking.rows]
[('firm:a', 1, 1), ('firm:b', 1, 1)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from chainrisk.analysis.cascade import downstream_of, output_fractions
from chainrisk.analysis.concentration import ConcentrationResult, concentration
from chainrisk.analysis.spof import SpofResult, single_points_of_failure
from chainrisk.analysis.structure import StructureResult, structure
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
) -> Ranking:
    """Return the criticality ranking of ``chain``'s firms, regions and components.

    ``kind`` keeps one kind only. ``cascade_limit`` bounds how many candidates get a
    capacity cascade for ``output_lost`` (the most critical by the other parts first),
    and ``cascade_budget`` the nodes those cascades may evaluate in all; the rest show
    None (not computed). Precomputed ``spof``/``conc``/``struct`` results are reused.
    """
    if chain not in graph.chains:
        raise KeyError(f"unknown chain {chain!r}")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    w = check_weights(weights or {})
    spof = spof or single_points_of_failure(graph)
    conc = conc or concentration(graph)
    struct = struct or structure(graph)
    targets = graph.chains[chain].targets
    target_set = set(targets)

    nodes_lost: dict[int, int] = defaultdict(int)
    targets_lost: dict[int, int] = defaultdict(int)
    counted = (Kind.FIRM, Kind.COMPONENT)
    for v in range(graph.n_nodes):
        if graph.kind[v] == Kind.SITE:
            continue
        is_target = v in target_set
        is_counted = graph.kind[v] in counted
        for x in spof.sets[v]:
            if is_counted:
                nodes_lost[x] += 1
            if is_target:
                targets_lost[x] += 1

    sole: dict[int, int] = defaultdict(int)
    supply_kinds = (GroupKind.BUYS, GroupKind.PRODUCERS, GroupKind.REQUIRES)
    for g in range(graph.n_groups):
        size = graph.member_ptr[g + 1] - graph.member_ptr[g]
        if size == 1 and graph.group_kind[g] in supply_kinds:
            member = int(graph.members[graph.member_ptr[g]])
            sole[graph.output_index(member)] += 1

    hhi = {graph.index[r.id]: r.hhi_country for r in conc.rows}
    worst: dict[int, float] = defaultdict(float)
    for r in conc.rows:
        c = graph.index[r.id]
        worst[c] = max(worst[c], r.hhi_country)
        for g in graph.groups(c):
            if graph.group_kind[g] != GroupKind.PRODUCERS:
                continue
            for member in graph.group_members(g):
                member = int(member)
                if graph.kind[member] == Kind.SITE:
                    firm, place = graph.site_of[member]
                else:
                    firm, place = member, graph.firm_region[member]
                worst[firm] = max(worst[firm], hhi[c])
                region: int | None = place
                while region is not None:
                    worst[region] = max(worst[region], hhi[c])
                    region = graph.region_parent.get(region)

    wanted = [KINDS[kind]] if kind else list(KINDS.values())
    candidates = [v for v in graph.real_nodes() if graph.kind[v] in wanted]
    n_targets = max(len(targets), 1)
    between = {graph.index[k]: v for k, v in struct.betweenness.items()}
    articulation = {graph.index[a] for a in struct.articulation_points}

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
        reach = downstream_of(graph, [v])
        spent += len(reach)
        y = output_fractions(graph, {v}, affected=reach)
        output_lost[v] = sum(1.0 - y[t] for t in targets) / n_targets
        done += 1

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
        same = [v for v in candidates if graph.kind[v] == k_kind]
        for part, values in parts.items():
            top = max((values[v] for v in same), default=0.0)
            scale = 1.0 if part in ("targets_lost_share", "output_lost", "concentration") else top
            for v in same:
                if scale > 0:
                    score[v] += w[part] * values[v] / scale
    ranked = sorted(candidates, key=lambda v: (-round(score[v], 12), graph.ids[v]))
    rows = tuple(
        RankRow(
            rank=i + 1,
            id=graph.ids[v],
            kind=Kind(int(graph.kind[v])).name.lower(),
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
        )
        for i, v in enumerate(ranked)
    )
    return Ranking(
        chain=chain,
        targets=tuple(graph.ids[t] for t in targets),
        weights=w,
        rows=rows,
        betweenness_sampled=struct.betweenness_sampled,
    )
