"""Scoped counts: a viewer's figures are the admin's recounted over the viewer's nodes.

The sample store holds the ic and 5g chains, which share nodes (ASML, TSMC, …). A viewer
allowed ic only gets every count through the functions the pages and the workbook use,
with ``visible`` = the viewer's node indices. Each is checked against the admin's raw
answers (what fails when a node is lost, the store's rows, the concentration of each
component), intersected here with the viewer's nodes — a recount that does not go
through the code under test. The same recount without the restriction must give the
admin's numbers, so the recount itself is checked too, and some counts must differ
between the two (else the test could not tell a scoped count from an unscoped one).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from chainrisk import chainview
from chainrisk.analysis.cascade import simulate
from chainrisk.analysis.members import ChainMembers, chain_members
from chainrisk.analysis.structure import firm_measures
from chainrisk.graph import DependencyGraph
from chainrisk.ingest.load import load_bundle
from chainrisk.report.tables import build_tables
from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from chainrisk.ui import frames
from chainrisk.ui.neighbourhood import Adjacency, neighbourhood
from chainrisk.ui.scope import visible_nodes
from tests.analysis.oracle import failed_nodes
from tests.conftest import BUNDLES

CHAIN = "ic"


@dataclass
class Sample:
    """The sample store, its service, and what a viewer of ic may see."""

    service: RiskService
    graph: DependencyGraph
    members: ChainMembers
    visible: frozenset[int]
    ids: frozenset[str]  # ids of the visible nodes
    rows: dict[str, list[dict[str, Any]]]  # the store's rows, by table
    lost: dict[int, frozenset[int]]  # node -> the real nodes that stop when it alone is lost

    def shown(self, node_id: str) -> bool:
        return node_id in self.ids


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    path: Path = tmp_path_factory.mktemp("scoped") / "samples.db"
    store = SqliteStore(path)
    for name in ("ic", "5g"):
        load_bundle(store, BUNDLES / name)
    service = RiskService(store)
    g = service.graph()
    visible = visible_nodes(g, [CHAIN])
    real = set(g.real_nodes())
    rows = {t: list(store.iter_rows(t)) for t in ("firms", "regions", "produces", "supplies",
                                                   "requires")}
    lost = {v: frozenset(failed_nodes(g, {v}) & real) for v in real}
    yield Sample(service, g, chain_members(g, CHAIN), visible,
                 frozenset(g.ids[v] for v in visible), rows, lost)
    service.close()


# ---------------------------------------------------------------------- recounts from raw rows


def _sole_sources(s: Sample, scoped: bool) -> dict[str, int]:
    """Return, per node id, the groups (from the store's rows) it is the only member of,
    owned by a member of the chain (and, scoped, both owner and bought component visible)."""
    members = {s.graph.ids[v] for v in s.members.nodes}

    def inside(node_id: str) -> bool:
        return node_id in members and (not scoped or s.shown(node_id))

    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for r in s.rows["supplies"]:
        groups[("buys", f"firm:{r['buyer']}", f"component:{r['component']}")].append(
            f"firm:{r['supplier']}")
    for r in s.rows["produces"]:
        groups[("produces", f"component:{r['component']}")].append(f"firm:{r['firm']}")
    for r in s.rows["requires"]:
        key = r["group"] or "\x00" + r["input"]
        groups[("requires", f"component:{r['product']}", key)].append(f"component:{r['input']}")
    out: dict[str, int] = defaultdict(int)
    for key, who in groups.items():
        if len(who) != 1 or not inside(key[1]):
            continue
        if key[0] == "buys" and scoped and not s.shown(key[2]):
            continue  # a purchase of a component the viewer may not see
        out[who[0]] += 1
    return out


def _ancestors(s: Sample, region: str) -> list[str]:
    parent = {r["id"]: r["parent"] for r in s.rows["regions"]}
    out = []
    at: str | None = region
    while at is not None and f"region:{at}" not in out:
        out.append(f"region:{at}")
        at = parent.get(at)
    return out


def _worst_hhi(s: Sample, scoped: bool) -> dict[str, float]:
    """Return, per firm and region id, the worst HHI by country among the components it
    produces (a region: made in it), only visible components when scoped."""
    hhi = {r.id: r.hhi_country for r in s.service.concentration().rows}
    hq = {f["id"]: f["region"] for f in s.rows["firms"]}
    out: dict[str, float] = defaultdict(float)
    for p in s.rows["produces"]:
        c = f"component:{p['component']}"
        if c not in hhi or (scoped and not s.shown(c)):
            continue
        for node in (f"firm:{p['firm']}", *_ancestors(s, p["site_region"] or hq[p["firm"]])):
            out[node] = max(out[node], hhi[c])
    return out


def _supply_network(s: Sample, scoped: bool) -> nx.DiGraph:
    """Return the firm network from the supplies rows (scoped: visible firms only)."""
    net = nx.DiGraph()
    net.add_nodes_from(f"firm:{f['id']}" for f in s.rows["firms"]
                       if not scoped or s.shown(f"firm:{f['id']}"))
    for r in s.rows["supplies"]:
        a, b = f"firm:{r['supplier']}", f"firm:{r['buyer']}"
        if a in net and b in net:
            net.add_edge(a, b)
    return net


# ---------------------------------------------------------------------- the ranking


def _ranking(s: Sample, scoped: bool) -> dict[str, dict[str, Any]]:
    frame = frames.ranking_frame(s.service, CHAIN, "en", s.visible if scoped else None)
    return {str(r["id"]): {str(k): x for k, x in r.items()} for r in frame.to_dict("records")}


def test_the_viewers_ranking_holds_the_admins_rows_they_may_see(sample: Sample) -> None:
    admin, viewer = _ranking(sample, False), _ranking(sample, True)
    assert set(viewer) == {i for i in admin if sample.shown(i)}
    assert set(viewer) < set(sample.ids)


@pytest.mark.parametrize("scoped", [False, True], ids=["admin", "viewer"])
def test_ranking_counts_are_recounted_over_the_nodes_shown(sample: Sample, scoped: bool
                                                           ) -> None:
    s, g = sample, sample.graph
    keep = s.visible if scoped else set(g.real_nodes())
    targets = [t for t in s.members.targets if t in keep]
    counted = s.members.counted & keep
    sole = _sole_sources(s, scoped)
    worst = _worst_hhi(s, scoped)
    net = _supply_network(s, scoped)
    between = nx.betweenness_centrality(net)
    cut = set(nx.articulation_points(net.to_undirected()))
    for node_id, row in _ranking(s, scoped).items():
        v = g.index[node_id]
        lost = s.lost[v]
        assert row["targets_lost"] == sum(1 for t in targets if t in lost), node_id
        assert row["nodes_lost"] == len(lost & counted), node_id
        assert row["sole_source_links"] == sole.get(node_id, 0), node_id
        assert row["spof"] == any(t != v and t in lost for t in targets), node_id
        if row["kind"] != "component":
            hhi = row["concentration"]
            if node_id in worst:
                assert hhi == pytest.approx(worst[node_id]), node_id
            else:  # nothing it makes or hosts has producer data: n/a, never 0
                assert hhi is None or math.isnan(hhi), node_id
        if row["kind"] == "firm":
            assert row["betweenness"] == pytest.approx(between[node_id], abs=1e-12), node_id
            assert row["articulation_point"] == (node_id in cut), node_id
        y = simulate(g, [node_id]).y
        assert row["output_lost"] == pytest.approx(
            sum(1 - y[t] for t in targets) / len(targets), abs=1e-9), node_id


def test_some_counts_differ_between_the_admin_and_the_viewer(sample: Sample) -> None:
    admin, viewer = _ranking(sample, False), _ranking(sample, True)
    differ = {col for i, row in viewer.items() for col in row
              if col not in ("score", "rank") and row[col] != admin[i][col]
              and not (row[col] != row[col] and admin[i][col] != admin[i][col])}
    # hidden 5g firms sit on ASML's paths; hisilicon is the sole source of 5g parts
    assert {"betweenness", "sole_source_links", "concentration"} <= differ
    assert viewer["firm:asml"]["betweenness"] != admin["firm:asml"]["betweenness"]
    assert viewer["firm:hisilicon"]["sole_source_links"] < admin["firm:hisilicon"][
        "sole_source_links"]


def test_betweenness_on_the_visible_subgraph_is_networkx_brute_force(sample: Sample) -> None:
    s = sample
    net = _supply_network(s, True)
    expected = nx.betweenness_centrality(net)  # the induced subgraph: no hidden firm on a path
    measured = firm_measures(s.graph, within=s.visible)
    assert not measured.betweenness_sampled
    assert set(measured.betweenness) == set(net.nodes)
    for firm, value in expected.items():
        assert measured.betweenness[firm] == pytest.approx(value, abs=1e-12), firm
    assert set(measured.articulation_points) == set(nx.articulation_points(net.to_undirected()))
    whole = nx.betweenness_centrality(_supply_network(s, False))
    assert whole["firm:asml"] != pytest.approx(expected["firm:asml"])  # it matters here
    assert s.service.rank(CHAIN, visible=s.visible).betweenness_sampled is False


# ---------------------------------------------------------------------- the workbook


def test_the_viewers_workbook_counts_only_what_they_may_see(sample: Sample) -> None:
    s, g = sample, sample.graph
    admin = build_tables(s.service, CHAIN)
    viewer = build_tables(s.service, CHAIN, visible=s.visible)
    ranking = _ranking(s, True)
    for name in ("firms", "regions"):
        for rec in viewer.table(name).records():
            row = ranking[rec["id"]]
            for col in ("targets_lost", "nodes_lost", "sole_source_links", "output_lost",
                        "betweenness", "articulation_point", "concentration"):
                if col in rec:
                    assert rec[col] == row[col] or (rec[col] != rec[col] and
                                                    row[col] != row[col]), (rec["id"], col)
    targets = [t for t in s.members.targets if t in s.visible]
    components = {r["id"]: r for r in viewer.table("components").records()}
    assert set(components) == {r["id"] for r in admin.table("components").records()
                               if s.shown(r["id"])}
    for cid, rec in components.items():
        c = g.index[cid]
        assert rec["targets_lost"] == sum(1 for t in targets if t != c and t in s.lost[c])

    def pairs(tables: Any) -> set[tuple[str, str]]:
        return {(r["target"], r["spof"]) for r in tables.table("spof").records()}

    assert pairs(viewer) == {(t, x) for t, x in pairs(admin) if s.shown(t) and s.shown(x)}

    def issues(tables: Any) -> set[tuple[str, str, str]]:
        return {(r["kind"], r["id"], r["issue"]) for r in tables.table("data_quality").records()}

    assert issues(viewer) == {i for i in issues(admin) if s.shown(i[1])}


# ---------------------------------------------------------------------- overview and pages


def test_the_viewers_overview_and_spof_counts(sample: Sample) -> None:
    s, g = sample, sample.graph
    admin_spofs = chainview.chain_spofs(s.service.chain_data(CHAIN))
    expected = {}
    for sp in admin_spofs:
        stops = [t for t in sp.targets if s.shown(t)]
        if s.shown(sp.id) and stops:
            expected[sp.id] = len(stops)
    frame = frames.spof_frame(s.service, CHAIN, "en", s.visible)
    assert dict(zip(frame["id"], frame["targets_stopped"], strict=True)) == expected
    head = frames.headline(s.service, CHAIN, s.visible)
    kinds = [i.split(":", 1)[0] for i in expected]
    assert (head.spofs, head.spof_firms, head.spof_components, head.spof_regions) == (
        len(expected), kinds.count("firm"), kinds.count("component"), kinds.count("region"))
    m = s.members
    assert head.firms == len(m.firms & s.visible)
    assert head.customers == len(m.customers & s.visible)
    assert head.components == len(m.components & s.visible)
    assert head.targets == len([t for t in m.targets if t in s.visible])
    conc = [r for r in s.service.concentration().rows if g.index[r.id] in m.components
            and s.shown(r.id)]
    assert (head.over_65, head.with_producers) == (
        sum(1 for r in conc if r.region_over_65), len(conc))
    hq = {f["id"]: f["region"] for f in s.rows["firms"]}
    level = {f"region:{r['id']}": r["level"] for r in s.rows["regions"]}
    countries = set()
    for p in s.rows["produces"]:
        if s.shown(f"component:{p['component']}") and g.index[
                f"component:{p['component']}"] in m.components:
            countries |= {r for r in _ancestors(s, p["site_region"] or hq[p["firm"]])
                          if level[r] == "country"}
    for leader in m.leaders:
        countries |= {r for r in _ancestors(s, hq[g.ids[leader].split(":", 1)[1]])
                      if level[r] == "country"}
    assert head.countries == len(countries)
    assert all(s.shown(c) for c in countries)

    table = frames.concentration_frame(s.service, CHAIN, "en", s.visible)
    for rec in table.to_dict("records"):
        c = g.index[rec["id"]]
        assert rec["targets_stopped"] == expected.get(rec["id"], 0)
        makers = {f"firm:{p['firm']}" for p in s.rows["produces"]
                  if f"component:{p['component']}" == rec["id"]}
        assert rec["n_producers"] == len(makers)
        assert all(s.shown(f) for f in makers)  # a visible component's makers are visible
        assert c in s.visible


def test_the_explorers_counts_are_recounted_over_the_viewers_nodes(sample: Sample) -> None:
    s, g = sample, sample.graph
    adj = Adjacency.build(g)
    seen_with = frames.failure_counts(s.service, s.visible)
    all_with = frames.failure_counts(s.service)
    suppliers: dict[str, set[str]] = defaultdict(set)
    customers: dict[str, set[str]] = defaultdict(set)
    for r in s.rows["supplies"]:
        suppliers[f"firm:{r['buyer']}"].add(f"firm:{r['supplier']}")
        customers[f"firm:{r['supplier']}"].add(f"firm:{r['buyer']}")
    makers: dict[str, set[str]] = defaultdict(set)
    for p in s.rows["produces"]:
        makers[f"component:{p['component']}"].add(f"firm:{p['firm']}")
    inputs: dict[str, set[str]] = defaultdict(set)
    for r in s.rows["requires"]:
        inputs[f"component:{r['product']}"].add(f"component:{r['input']}")
    targets = {t for info in g.chains.values() for t in info.targets if t in s.visible}

    def n(ids: set[str]) -> str:
        return f"{sum(1 for i in ids if s.shown(i)):,}"

    checked = 0
    for v in sorted(s.visible):
        node_id = g.ids[v]
        kind = node_id.split(":", 1)[0]
        if kind == "region":
            continue
        view = frames.node_view(s.service, adj, node_id, "en", seen_with, s.visible)
        facts = dict(view.facts)
        assert facts["lost_with"] == f"{len((s.lost[v] - {v}) & s.visible):,}", node_id
        assert all_with[v] == len(s.lost[v] - {v})  # the admin's, from the same raw list
        if kind == "firm":
            assert facts["suppliers"] == n(suppliers[node_id]), node_id
            assert facts["customers"] == n(customers[node_id]), node_id
        else:
            assert facts["producers"] == n(makers[node_id]), node_id
            assert facts["inputs"] == n(inputs[node_id]), node_id
        admin_spofs = chainview.node_spofs(g, s.service.spof(), v)
        assert [g.ids[x] for x in chainview.node_spofs(g, s.service.spof(), v, s.visible)] == [
            g.ids[x] for x in admin_spofs if s.shown(g.ids[g.output_index(x)])], node_id
        assert len(view.stops) == sum(1 for t in targets if t != v and t in s.lost[v])
        checked += 1
    assert checked > 300
    asml = g.index["firm:asml"]
    assert seen_with[asml] < all_with[asml]  # hidden 5g nodes stop with ASML too


def test_the_viewers_whatif_counts(sample: Sample) -> None:
    s = sample
    result = s.service.simulate(["firm:asml"])
    view = frames.scenario_view(s.service, CHAIN, result, "en", s.visible)
    admin = frames.scenario_view(s.service, CHAIN, result, "en")
    assert view.failed == sum(1 for i in result.failed if s.shown(i))
    assert view.losing == sum(1 for c in result.changes() if s.shown(c.id))
    assert set(view.changes["id"]) == {i for i in admin.changes["id"] if s.shown(i)}
    assert view.failed < admin.failed
    info = s.graph.chains[CHAIN]
    assert view.targets_hit == sum(1 for t in (*info.end_products, *info.leaders)
                                   if result.y[t] < 1 - 1e-12)


@pytest.mark.parametrize("root", ["firm:asml", "firm:huawei", "component:mobile-soc"])
def test_the_explorers_neighbourhood_counts_only_visible_nodes(sample: Sample, root: str
                                                               ) -> None:
    s, g = sample, sample.graph
    adj = Adjacency.build(g)
    links = nx.DiGraph()  # u -> v: v depends on u, from the store's rows
    for r in s.rows["supplies"]:
        links.add_edge(f"firm:{r['supplier']}", f"firm:{r['buyer']}")
    for p in s.rows["produces"]:
        links.add_edge(f"firm:{p['firm']}", f"component:{p['component']}")
    for r in s.rows["requires"]:
        links.add_edge(f"component:{r['input']}", f"component:{r['product']}")
    seen = links.subgraph([n for n in links if s.shown(n)])
    up, down = 2, 1
    expected = set(nx.single_source_shortest_path_length(seen.reverse(), root, cutoff=up))
    expected |= set(nx.single_source_shortest_path_length(seen, root, cutoff=down))
    hood = neighbourhood(adj, g.index[root], up=up, down=down, visible=s.visible,
                         priority=s.service.spof().sets[g.index[root]])
    assert not hood.capped
    assert {g.ids[v] for v in hood.tier} == expected
    whole = neighbourhood(adj, g.index[root], up=up, down=down)
    assert len(hood.tier) <= len(whole.tier)
    if root != "firm:asml":  # hidden 5g nodes lie within reach of these two
        assert len(hood.tier) < len(whole.tier)
    nodes, edges = frames.neighbourhood_frames(s.service, adj, hood, "en")
    spofs = s.service.spof().sets[g.index[root]]
    assert int((nodes["role"] == "spof").sum()) == sum(
        1 for i in expected if i != root and g.index[i] in spofs)
    assert int((nodes["role"] == "stops").sum()) == sum(
        1 for i in expected if i != root and g.index[i] not in spofs
        and g.index[i] in s.lost[g.index[root]])
    assert len(edges) == seen.subgraph(expected).number_of_edges()
