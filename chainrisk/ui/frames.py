"""The tables and figures the pages show, computed from the service (no Streamlit here).

Every function takes a :class:`~chainrisk.service.RiskService` (or its graph and
results) and returns plain data: pandas frames with stable column keys, or small
frozen records. Pages translate the column keys and draw; ``state.py`` caches these
per data version. Names come in the language asked for, falling back to English where
the data has no Chinese name.

Functions that list nodes beyond one chain's components take ``visible``: the node
indices the user may see (``scope.visible_nodes``; None: every node). Nodes outside
it are left out of lists and counts, never just hidden from view.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chainrisk import chainview
from chainrisk.analysis.cascade import CascadeResult
from chainrisk.analysis.concentration import band
from chainrisk.graph import DependencyGraph, GroupKind, Kind
from chainrisk.service import RiskService
from chainrisk.ui.neighbourhood import Adjacency, Neighbourhood, layered

STAGES = ("upstream", "midstream", "downstream")
KIND_NAMES = chainview.KIND_NAMES
Visible = Collection[int] | None  # node indices the user may see; None: every node


def _shown(visible: Visible, v: int) -> bool:
    return visible is None or v in visible


# ---------------------------------------------------------------------- names and members
# One definition of names, members and single points of failure: chainrisk.chainview.

name_of = chainview.name_of
name_by_id = chainview.name_by_id
kind_of = chainview.kind_of
country_of_firm = chainview.country_of_firm
producers = chainview.producers


def targets_stopped(service: RiskService, chain: str, visible: Visible = None) -> dict[int, int]:
    """Return, for every single point of failure of ``chain``, how many targets it stops."""
    return chainview.targets_stopped(service.chain_data(chain, _frozen(visible)))


def _frozen(visible: Visible) -> frozenset[int] | None:
    return None if visible is None else frozenset(visible)


# ---------------------------------------------------------------------- overview

Headline = chainview.Headline


def headline(service: RiskService, chain: str, visible: Visible = None) -> Headline:
    """Return the overview figures of ``chain``."""
    return chainview.headline(service.chain_data(chain, _frozen(visible)))


def spof_frame(service: RiskService, chain: str, lang: str, visible: Visible = None
               ) -> pd.DataFrame:
    """Return the chain's single points of failure: id, name, kind, role, whether a member,
    how many targets each stops and which (names), most targets first."""
    data = service.chain_data(chain, _frozen(visible))
    graph = data.graph
    records = [
        {"id": s.id, "name": name_of(graph, s.node, lang), "kind": s.kind, "role": s.role,
         "member": s.member, "targets_stopped": len(s.targets),
         "targets": ", ".join(name_by_id(graph, t, lang) for t in s.targets)}
        for s in chainview.chain_spofs(data)
    ]
    return pd.DataFrame.from_records(
        records, columns=["id", "name", "kind", "role", "member", "targets_stopped", "targets"])


# ---------------------------------------------------------------------- rankings

RANK_COLUMNS = (
    "rank", "id", "name", "kind", "role", "spof", "place", "stage", "score", "targets_lost",
    "targets_lost_share", "nodes_lost", "sole_source_links", "output_lost", "concentration",
    "band", "betweenness", "articulation_point",
)


def ranking_frame(service: RiskService, chain: str, lang: str, visible: Visible = None
                  ) -> pd.DataFrame:
    """Return the ranking of ``chain`` (every kind) with every part and a place column.

    The rows are the chain's members and its single points of failure from outside
    (``role`` says which), counted inside the chain and the scope (risk-model.md §5).
    The ranking of all kinds at once is the one the export writes, so the table and
    the download agree. ``place`` is a firm's HQ country, a region's level, empty for
    a component; ``stage`` a component's stage; ``rank`` the position within its kind.
    """
    graph = service.graph()
    ranking = service.rank(chain, visible=_frozen(visible))
    records = []
    position: dict[str, int] = defaultdict(int)
    for r in ranking.rows:
        v = graph.index[r.id]
        position[r.kind] += 1
        if r.kind == "firm":
            country = country_of_firm(graph, v)
            place = name_of(graph, country, lang) if country is not None else ""
        elif r.kind == "region":
            place = graph.region_level.get(v, "")
        else:
            place = ""
        records.append({
            "rank": position[r.kind], "id": r.id, "name": name_of(graph, v, lang),
            "kind": r.kind, "role": r.role, "spof": r.spof, "place": place,
            "stage": graph.stage.get(v, ""),
            "score": r.score, "targets_lost": r.targets_lost,
            "targets_lost_share": r.targets_lost_share, "nodes_lost": r.nodes_lost,
            "sole_source_links": r.sole_source_links, "output_lost": r.output_lost,
            "concentration": r.concentration,
            "band": band(r.concentration) if r.concentration else "",
            "betweenness": r.betweenness, "articulation_point": r.articulation_point,
        })
    frame = pd.DataFrame.from_records(records, columns=list(RANK_COLUMNS))
    frame["output_lost"] = frame["output_lost"].astype("float64")
    return frame


def top_risks(service: RiskService, chain: str, lang: str, n: int = 10, visible: Visible = None
              ) -> pd.DataFrame:
    """Return the ``n`` nodes with the highest score over all kinds, critical ones first."""
    frame = ranking_frame(service, chain, lang, visible)
    frame = frame[frame["spof"] | (frame["output_lost"].fillna(0) > 0)]
    return frame.sort_values(["score", "id"], ascending=[False, True]).head(n).reset_index(
        drop=True
    )


# ---------------------------------------------------------------------- concentration

CONCENTRATION_COLUMNS = [
    "id", "name", "stage", "n_producers", "n_countries", "hhi_firm", "hhi_country", "band",
    "hhi_province", "top_producer", "top_share", "cr3", "top_country", "top_country_share",
    "countries_to_75", "region_over_65", "foreign_share", "share_confidence",
    "targets_stopped",
]


def concentration_frame(service: RiskService, chain: str, lang: str, visible: Visible = None
                        ) -> pd.DataFrame:
    """Return one row per component of ``chain`` with producers, most concentrated first."""
    data = service.chain_data(chain, _frozen(visible))
    graph = data.graph
    stopped = chainview.targets_stopped(data)
    records = []
    for r in chainview.concentration_rows(data):
        v = graph.index[r.id]
        records.append({
            "id": r.id, "name": name_of(graph, v, lang), "stage": graph.stage.get(v, ""),
            "n_producers": r.n_producers, "n_countries": r.n_countries,
            "hhi_firm": r.hhi_firm, "hhi_country": r.hhi_country, "band": r.band,
            "hhi_province": r.hhi_province,
            "top_producer": name_by_id(graph, r.top_producer, lang), "top_share": r.top_share,
            "cr3": r.cr3, "top_country": name_by_id(graph, r.top_country, lang),
            "top_country_share": r.top_country_share, "countries_to_75": r.countries_to_75,
            "region_over_65": r.region_over_65, "foreign_share": r.foreign_share,
            "share_confidence": r.share_confidence, "targets_stopped": stopped.get(v, 0),
        })
    frame = pd.DataFrame.from_records(records, columns=CONCENTRATION_COLUMNS)
    frame["hhi_province"] = frame["hhi_province"].astype("float64")
    return frame


def country_shares(service: RiskService, chain: str, lang: str) -> pd.DataFrame:
    """Return (component, country, share) for every component of ``chain`` with producers."""
    data = service.chain_data(chain)
    graph = data.graph
    records = [
        {"id": r.id, "name": name_by_id(graph, r.id, lang), "hhi_country": r.hhi_country,
         "country_id": country, "country": name_by_id(graph, country, lang) or country,
         "share": share}
        for r in chainview.concentration_rows(data)
        for country, share in r.countries
    ]
    return pd.DataFrame.from_records(
        records, columns=["id", "name", "hhi_country", "country_id", "country", "share"]
    )


def country_frame(service: RiskService, chain: str, lang: str) -> pd.DataFrame:
    """Return per country: average share of the chain's supply, components led and > 65 %."""
    data = service.chain_data(chain)
    graph = data.graph
    records = [
        {"country_id": c.country, "country": name_by_id(graph, c.country, lang) or c.country,
         "supply_share": c.supply_share, "present_in": c.present_in,
         "components_led": c.components_led, "components_over_65": c.components_over_65}
        for c in chainview.country_supply(data)
    ]
    return pd.DataFrame.from_records(
        records, columns=["country_id", "country", "supply_share", "present_in",
                          "components_led", "components_over_65"])


def province_frame(service: RiskService, chain: str, lang: str) -> pd.DataFrame:
    """Return per home-country province: average share of domestic production, components."""
    data = service.chain_data(chain)
    graph = data.graph
    records = [
        {"province_id": p.province, "province": name_by_id(graph, p.province, lang),
         "domestic_share": p.domestic_share, "present_in": p.present_in,
         "components_led": p.components_led}
        for p in chainview.province_supply(data)
    ]
    return pd.DataFrame.from_records(
        records, columns=["province_id", "province", "domestic_share", "present_in",
                          "components_led"])


# ---------------------------------------------------------------------- chain map


def status_of(hhi: float | None, has_producers: bool) -> str:
    """Return a component's concentration status: high, moderate, unconcentrated or no_data.

    >>> status_of(6000, True), status_of(1000, True), status_of(None, False)
    ('high', 'unconcentrated', 'no_data')
    """
    if not has_producers:
        return "no_data"
    return band(hhi) or "no_data"


def chain_map(
    service: RiskService, chain: str, lang: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (nodes, links) of the chain map: components in stage columns, BOM links.

    Each stage has two columns: components with no input of the same stage first, the
    rest after them, so that links read left to right: upstream → midstream →
    downstream. ``spof`` marks a component whose loss alone stops a chain target.
    """
    graph = service.graph()
    components = sorted(service.members(chain).components)  # computed once per graph
    member = set(components)
    inputs: dict[int, list[int]] = {c: [] for c in components}
    for c in components:
        for g in graph.groups(c):
            if graph.group_kind[g] == GroupKind.REQUIRES:
                inputs[c].extend(int(u) for u in graph.group_members(g) if int(u) in member)
    conc = {r.id: r for r in service.concentration().rows}
    stopped = targets_stopped(service, chain)
    stage_rank = {s: i for i, s in enumerate(STAGES)}

    def stage(c: int) -> int:
        return stage_rank.get(graph.stage.get(c, ""), 1)

    columns: dict[float, list[int]] = defaultdict(list)
    ordered = sorted(components, key=lambda c: (stage(c), name_of(graph, c, "en").casefold()))
    for c in ordered:
        later = any(stage(u) == stage(c) for u in inputs[c])
        columns[float(stage(c) * 3 + int(later))].append(c)
    links = [(u, c) for c in components for u in inputs[c]]
    # a very large chain gets tall columns rather than a hundred narrow ones
    placed = layered(dict(columns), links, max_rows=45 if len(components) <= 300 else 150)
    end_products = set(graph.chains[chain].end_products)
    nodes = []
    for c in components:
        r = conc.get(graph.ids[c])
        nodes.append({
            "id": graph.ids[c], "name": name_of(graph, c, lang),
            "stage": graph.stage.get(c, ""), "x": placed[c].x, "y": placed[c].y,
            "status": status_of(r.hhi_country if r else None, r is not None),
            "spof": c in stopped,
            "hhi_country": r.hhi_country if r else None,
            "top_country": name_by_id(graph, r.top_country, lang) if r else "",
            "top_country_share": r.top_country_share if r else None,
            "n_producers": r.n_producers if r else 0,
            "targets_stopped": stopped.get(c, 0), "end_product": c in end_products,
        })
    edges = [
        {"source": graph.ids[u], "target": graph.ids[c], "x": placed[u].x, "y": placed[u].y,
         "x2": placed[c].x, "y2": placed[c].y}
        for u, c in links
    ]
    node_frame = pd.DataFrame.from_records(nodes)
    node_frame["hhi_country"] = node_frame["hhi_country"].astype("float64")
    node_frame["top_country_share"] = node_frame["top_country_share"].astype("float64")
    return node_frame, pd.DataFrame.from_records(
        edges, columns=["source", "target", "x", "y", "x2", "y2"]
    )


@dataclass(frozen=True)
class ComponentView:
    """What the chain map shows beside the map for one component."""

    id: str
    name: str
    stage: str
    hhi_country: float | None
    hhi_firm: float | None
    band: str
    producers: pd.DataFrame  # firm, country, share, given
    countries: pd.DataFrame  # country, share
    products: list[str]  # names of the products that need it
    buyers: pd.DataFrame  # buyer, supplier
    stops: list[str]  # chain targets it alone stops


def component_view(service: RiskService, chain: str, component_id: str, lang: str,
                   visible: Visible = None) -> ComponentView:
    """Return the producers, countries, shares and dependants of one component."""
    graph = service.graph()
    c = graph.index[component_id]
    made = producers(graph, c)
    prod = pd.DataFrame.from_records(
        [{"firm": name_of(graph, f, lang),
          "country": name_of(graph, k, lang) if (k := graph.country_of(p)) is not None else "",
          "share": w, "given": g == g}
         for f, p, w, g in sorted(made, key=lambda m: (-m[2], graph.ids[m[0]]))],
        columns=["firm", "country", "share", "given"],
    )
    try:
        row = service.concentration().row(component_id)
    except KeyError:
        row = None
    countries = pd.DataFrame.from_records(
        [{"country": name_by_id(graph, k, lang), "share": s, "country_id": k}
         for k, s in row.countries]
        if row else [], columns=["country", "share", "country_id"],
    )
    products = sorted({
        name_of(graph, int(graph.group_owner[g]), lang) for g in graph.dependents(c).tolist()
        if graph.group_kind[g] == GroupKind.REQUIRES and _shown(visible, int(graph.group_owner[g]))
    })
    buyers = []
    bought = (graph.group_kind == GroupKind.BUYS) & (graph.group_ref == c)
    for g in np.flatnonzero(bought).tolist():
        owner = int(graph.group_owner[g])
        for s in graph.group_members(g).tolist():
            if _shown(visible, owner) and _shown(visible, graph.output_index(s)):
                buyers.append({"buyer": name_of(graph, owner, lang),
                               "supplier": name_of(graph, s, lang)})
    spof = service.spof()
    stops = [
        name_of(graph, t, lang) for t in graph.chains[chain].targets if c in spof.sets[t]
        and t != c
    ]
    return ComponentView(
        id=component_id, name=name_of(graph, c, lang), stage=graph.stage.get(c, ""),
        hhi_country=row.hhi_country if row else None, hhi_firm=row.hhi_firm if row else None,
        band=row.band if row else "", producers=prod, countries=countries, products=products,
        buyers=pd.DataFrame.from_records(buyers, columns=["buyer", "supplier"]), stops=stops,
    )


# ---------------------------------------------------------------------- explorer


def neighbourhood_frames(
    service: RiskService, adj: Adjacency, hood: Neighbourhood, lang: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (nodes, links) of a neighbourhood laid out in tier columns.

    ``role`` says how a node relates to the root: ``root``, ``spof`` (its loss alone
    stops the root), ``stops`` (it stops when the root is lost) or ``other``.
    """
    graph = service.graph()
    spof = service.spof()
    root = hood.root
    root_spofs = spof.sets[root]
    columns: dict[float, list[int]] = defaultdict(list)
    for v, t in sorted(hood.tier.items(), key=lambda kv: (kv[1], graph.ids[kv[0]])):
        columns[float(t)].append(v)
    tiers = sorted(columns, key=lambda t: (abs(t), t))
    # a big neighbourhood gets taller columns, so that it is not a wide grid of columns
    rows = 40 if len(hood.tier) <= 400 else 70
    placed = layered(dict(columns), [(u, v) for u, v, _ in hood.edges], sweep=tiers,
                     max_rows=rows)
    nodes = []
    for v, t in hood.tier.items():
        if v == root:
            role = "root"
        elif v in root_spofs:
            role = "spof"
        elif root in spof.sets[v]:
            role = "stops"
        else:
            role = "other"
        where = where_id = ""
        if graph.kind[v] == Kind.FIRM:
            country = adj.firm_country.get(v)
            where = name_of(graph, country, lang) if country is not None else ""
            where_id = graph.ids[country] if country is not None else ""
        nodes.append({
            "id": graph.ids[v], "name": name_of(graph, v, lang), "kind": kind_of(graph, v),
            "tier": t, "x": placed[v].x, "y": placed[v].y, "role": role, "where": where,
            "stage": graph.stage.get(v, ""), "country_id": where_id,
        })
    edges = [
        {"source": graph.ids[u], "target": graph.ids[v], "link": kind,
         "x": placed[u].x, "y": placed[u].y, "x2": placed[v].x, "y2": placed[v].y}
        for u, v, kind in hood.edges
    ]
    return (
        pd.DataFrame.from_records(
            nodes, columns=["id", "name", "kind", "tier", "x", "y", "role", "where", "stage",
                            "country_id"]
        ),
        pd.DataFrame.from_records(
            edges, columns=["source", "target", "link", "x", "y", "x2", "y2"]
        ),
    )


@dataclass(frozen=True)
class NodeView:
    """Details of one firm or component for the explorer's side panel."""

    id: str
    name: str
    kind: str
    facts: tuple[tuple[str, str], ...]  # (fact key, value) pairs, keys translated by the page
    spofs: tuple[tuple[str, str, str], ...]  # (id, name, kind) of every node whose loss
    # alone stops it — components, firms, then regions (chainview.node_spofs)
    stops: tuple[str, ...]  # names of chain targets (any chain) it alone stops


def failure_counts(service: RiskService, visible: Visible = None) -> list[int]:
    """Return, for every node, how many other (visible) real nodes stop when it alone is lost."""
    graph = service.graph()
    sets = service.spof().sets
    counts = [0] * graph.n_nodes
    for u in graph.real_nodes():
        if not _shown(visible, u):
            continue
        for x in sets[u]:
            if x != u:
                counts[x] += 1
    return counts


def node_view(service: RiskService, adj: Adjacency, node_id: str, lang: str,
              lost_with: list[int] | None = None, visible: Visible = None) -> NodeView:
    """Return what the explorer shows beside the graph for ``node_id``.

    ``lost_with`` is :func:`failure_counts` (over the same ``visible``) when the
    caller keeps it (it is computed otherwise).
    """
    graph = service.graph()
    spof = service.spof()
    v = graph.index[node_id]

    def shown(nodes: Iterable[int]) -> list[int]:
        return [u for u in nodes if _shown(visible, u)]

    facts: list[tuple[str, str]] = []
    if graph.kind[v] == Kind.FIRM:
        region = graph.firm_region.get(v)
        if region is not None:
            facts.append(("hq", name_of(graph, region, lang)))
        country = adj.firm_country.get(v)
        if country is not None:
            facts.append(("country", name_of(graph, country, lang)))
        made = [u for u in shown(adj.down(v).tolist()) if graph.kind[u] == Kind.COMPONENT]
        facts.append(("makes", ", ".join(name_of(graph, u, lang) for u in made)))
        facts.append(("suppliers", f"{len(shown(adj.up(v).tolist())):,}"))
        customers = [u for u in shown(adj.down(v).tolist()) if graph.kind[u] == Kind.FIRM]
        facts.append(("customers", f"{len(customers):,}"))
    elif graph.kind[v] == Kind.COMPONENT:
        facts.append(("stage", graph.stage.get(v, "")))
        up = shown(adj.up(v).tolist())
        made_by = [u for u in up if graph.kind[u] == Kind.FIRM]
        facts.append(("producers", f"{len(made_by):,}"))
        facts.append(("inputs", f"{len(up) - len(made_by):,}"))
        try:
            hhi = f"{service.concentration().row(node_id).hhi_country:,.0f}"
        except KeyError:
            hhi = "—"
        facts.append(("hhi_country", hhi))
    counts = lost_with if lost_with is not None else failure_counts(service, visible)
    facts.append(("lost_with", f"{counts[v]:,}"))
    targets = {t for info in graph.chains.values() for t in info.targets if _shown(visible, t)}
    return NodeView(
        id=node_id, name=name_of(graph, v, lang), kind=kind_of(graph, v), facts=tuple(facts),
        spofs=tuple((graph.ids[x], name_of(graph, x, lang), kind_of(graph, x))
                    for x in chainview.node_spofs(graph, spof, v, _frozen(visible))),
        stops=tuple(sorted(name_of(graph, t, lang) for t in targets
                           if t != v and v in spof.sets[t])),
    )


# ---------------------------------------------------------------------- what-if


@dataclass(frozen=True)
class ScenarioView:
    """A what-if's answer for one chain: every target before and after, and all changes."""

    disrupted: tuple[str, ...]
    failed: int
    losing: int
    targets: pd.DataFrame  # id, name, role, before, after, loss, stops
    changes: pd.DataFrame  # id, name, kind, before, after, loss, stops

    @property
    def targets_hit(self) -> int:
        """Return the number of chain targets that lost output."""
        return int((self.targets["loss"] > 1e-12).sum())

    @property
    def mean_loss(self) -> float:
        """Return the mean output lost over the chain's targets."""
        return float(self.targets["loss"].mean()) if len(self.targets) else 0.0


def scenario_view(
    service: RiskService, chain: str, result: CascadeResult, lang: str, visible: Visible = None
) -> ScenarioView:
    """Return the before/after of every target of ``chain`` and every (visible) node that lost
    output; ``failed`` counts the visible nodes that stop."""
    graph = result.graph
    failed = {i for i in result.failed if _shown(visible, graph.index[i])}
    info = graph.chains[chain]
    targets = []
    for roles, nodes in (("end_product", info.end_products), ("leader", info.leaders)):
        for t in nodes:
            after = result.y[t]
            targets.append({
                "id": graph.ids[t], "name": name_of(graph, t, lang), "role": roles,
                "before": 1.0, "after": after, "loss": 1.0 - after,
                "stops": graph.ids[t] in failed,
            })
    changes = [
        {"id": c.id, "name": name_by_id(graph, c.id, lang),
         "kind": kind_of(graph, graph.index[c.id]), "before": c.before, "after": c.after,
         "loss": c.loss, "stops": c.id in failed}
        for c in result.changes() if _shown(visible, graph.index[c.id])
    ]
    cols = ["id", "name", "kind", "before", "after", "loss", "stops"]
    return ScenarioView(
        disrupted=result.disrupted,
        failed=len(failed),
        losing=len(changes),
        targets=pd.DataFrame.from_records(
            targets, columns=["id", "name", "role", "before", "after", "loss", "stops"]
        ),
        changes=pd.DataFrame.from_records(changes, columns=cols),
    )


# ---------------------------------------------------------------------- pickers


def also_known_as(graph: DependencyGraph, v: int, shown: str) -> str:
    """Return `` — other names`` of node ``v`` that ``shown`` does not hold: its name in
    the other language and its aliases, so a picker finds it by any name people type
    (the pickers filter on the label), or '' when it has none.

    >>> from chainrisk.graph import DependencyGraph
    >>> g = DependencyGraph.from_tables({
    ...     "regions": [{"id": "TW", "name": "Taiwan", "level": "country"}],
    ...     "firms": [{"id": "tsmc", "name": "TSMC", "name_zh": "台湾积体电路",
    ...                "aliases": ("台积电", "tsmc"), "region": "TW"}]})
    >>> also_known_as(g, g.index["firm:tsmc"], "台湾积体电路 · TW")
    ' — TSMC / 台积电'
    """
    folded = shown.casefold()
    others: list[str] = []
    for text in (graph.names[v], graph.names_zh[v] or "", *graph.aliases.get(v, ())):
        key = text.casefold()
        if text and key not in folded and key not in (o.casefold() for o in others):
            others.append(text)
    return f" — {' / '.join(others)}" if others else ""


def options(graph: DependencyGraph, kinds: Iterable[Kind], lang: str, visible: Visible = None
            ) -> dict[str, str]:
    """Return {id: shown label} for the nodes of ``kinds``, sorted by label.

    Firms show their country, regions their level, so that the picker tells apart
    names that repeat; then the names the label does not show (:func:`also_known_as`).
    """
    wanted = {int(k) for k in kinds}
    node_kinds = graph.kinds
    labels: dict[str, str] = {}
    codes: dict[int, str] = {}  # HQ region -> " · country code" (a few hundred regions)
    for v in graph.real_nodes():
        kind = node_kinds[v]
        if kind not in wanted or not _shown(visible, v):
            continue
        label = name_of(graph, v, lang)
        if kind == Kind.FIRM:
            place = graph.firm_region.get(v)
            if place is not None:
                if place not in codes:
                    country = graph.country_of(place)
                    codes[place] = (f" · {graph.ids[country].split(':', 1)[1]}"
                                    if country is not None else "")
                label += codes[place]
        elif kind == Kind.REGION:
            label += f" · {graph.ids[v].split(':', 1)[1]}"
        labels[graph.ids[v]] = label + also_known_as(graph, v, label)
    return dict(sorted(labels.items(), key=lambda kv: (kv[1].casefold(), kv[0])))


def region_options(graph: DependencyGraph, lang: str, visible: Visible = None) -> dict[str, str]:
    """Return {id: label} of the countries and provinces, countries first."""
    out: dict[str, str] = {}
    for level in ("country", "province"):
        chosen = [v for v, lv in graph.region_level.items() if lv == level and _shown(visible, v)]
        for v in sorted(chosen, key=lambda v: name_of(graph, v, lang).casefold()):
            label = f"{name_of(graph, v, lang)} · {graph.ids[v].split(':', 1)[1]}"
            out[graph.ids[v]] = label + also_known_as(graph, v, label)
    return out
