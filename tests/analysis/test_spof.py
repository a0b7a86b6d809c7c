"""Single points of failure: hand-checked chains and a brute-force oracle."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from chainrisk.analysis.spof import single_points_of_failure
from chainrisk.graph import DependencyGraph, Kind, strongly_connected
from tests.analysis.oracle import failed_nodes, spof_sets
from tests.analysis.strategies import Tables, bundles


def graph(tables: Tables) -> DependencyGraph:
    return DependencyGraph.from_tables(tables)


# A phone needs a chip, a screen and a battery (AND). The chip needs lithography from
# an OR group (EUV or DUV). One firm, sole, makes the batteries; screens come from two.
# China holds a province and its city; the fab stands in the city.
HAND: Tables = {
    "regions": [
        {"id": "CN", "level": "country"},
        {"id": "NL", "level": "country"},
        {"id": "JP", "level": "country"},
        {"id": "CN-GD", "level": "province", "parent": "CN"},
        {"id": "CN-GD-SZ", "level": "city", "parent": "CN-GD"},
    ],
    "firms": [
        {"id": "asml", "region": "NL"},
        {"id": "nikon", "region": "JP"},
        {"id": "fab", "region": "CN-GD-SZ"},
        {"id": "scr1", "region": "CN"},
        {"id": "scr2", "region": "JP"},
        {"id": "batt", "region": "CN"},
        {"id": "oem", "region": "CN-GD-SZ"},
        # a supply cycle: loopa and loopb buy from each other; loopa also from scr2
        {"id": "loopa", "region": "JP"},
        {"id": "loopb", "region": "JP"},
    ],
    "components": [
        # glass is outside the chain: its makers (the loop) are not the chain's firms
        {"id": "euv", "chains": ("phones",)}, {"id": "duv", "chains": ("phones",)},
        {"id": "chip", "chains": ("phones",)}, {"id": "screen", "chains": ("phones",)},
        {"id": "battery", "chains": ("phones",)},
        {"id": "phone", "end_product": True, "chains": ("phones",)}, {"id": "glass"},
    ],
    "chains": [{"id": "phones", "name": "Phones", "leader_firms": ("oem",)}],
    "requires": [
        {"product": "chip", "input": "euv", "group": "litho"},
        {"product": "chip", "input": "duv", "group": "litho"},
        {"product": "phone", "input": "chip"},
        {"product": "phone", "input": "screen"},
        {"product": "phone", "input": "battery"},
    ],
    "produces": [
        {"firm": "asml", "component": "euv"},
        {"firm": "asml", "component": "duv", "share": 0.9},
        {"firm": "nikon", "component": "duv", "share": 0.1},
        {"firm": "fab", "component": "chip"},
        {"firm": "scr1", "component": "screen"},
        {"firm": "scr2", "component": "screen"},
        # batteries are made by batt at a site in Japan, not at its HQ
        {"firm": "batt", "component": "battery", "site_region": "JP"},
        {"firm": "oem", "component": "phone"},
        {"firm": "loopa", "component": "glass"},
        {"firm": "loopb", "component": "glass"},
    ],
    "supplies": [
        {"supplier": "asml", "buyer": "fab", "component": "duv"},
        {"supplier": "nikon", "buyer": "fab", "component": "duv"},
        {"supplier": "fab", "buyer": "oem", "component": "chip"},
        {"supplier": "loopb", "buyer": "loopa", "component": "glass"},
        {"supplier": "loopa", "buyer": "loopb", "component": "glass"},
        {"supplier": "scr2", "buyer": "loopa", "component": "screen"},
    ],
}


def test_hand_checked_chain() -> None:
    result = single_points_of_failure(graph(HAND))
    # the phone: its three required inputs; the sole battery maker, its HQ country and the
    # country of its battery site; the chip's only fab and its city, province, country;
    # the only phone maker. Not the screen makers (two of them), and not ASML: the chip
    # needs EUV *or* DUV, and DUV also comes from Nikon.
    assert result.spof("component:phone") == [
        "component:battery", "component:chip", "component:screen",
        "firm:batt", "firm:fab", "firm:oem",
        "region:CN", "region:CN-GD", "region:CN-GD-SZ", "region:JP",
    ]
    assert result.spof("component:chip") == [
        "firm:fab", "region:CN", "region:CN-GD", "region:CN-GD-SZ",
    ]
    # the fab buys DUV from ASML and Nikon, so neither stops it
    assert result.spof("firm:fab") == ["region:CN", "region:CN-GD", "region:CN-GD-SZ"]
    # the OEM buys chips from the fab only
    assert "firm:fab" in result.spof("firm:oem")
    # EUV has one maker
    assert result.spof("component:euv") == ["firm:asml", "region:NL"]
    # a region takes its sub-regions and every firm located there
    assert result.failure_set("region:CN-GD") == [
        "component:chip", "component:phone", "firm:fab", "firm:oem",
        "region:CN-GD", "region:CN-GD-SZ",
    ]
    # the supply cycle: each of loopa/loopb needs the other (single supplier), and both
    # stop with Japan
    assert result.spof("firm:loopa") == ["firm:loopb", "firm:scr2", "region:JP"]
    assert result.spof("firm:loopb") == ["firm:loopa", "firm:scr2", "region:JP"]
    # synthetic site nodes never show
    assert not any(k.startswith("site:") for k in result.to_json()["nodes"])


def test_sole_source_of_one_of_three_inputs_is_found_where_dominators_miss_it() -> None:
    # The phone has three required inputs and the battery has one maker. In the plain
    # dependency graph the phone has paths upstream through chip and screen that avoid
    # the battery maker, so a dominator tree (any one path suffices) would not list it.
    import networkx as nx

    g = graph(HAND)
    result = single_points_of_failure(g)
    assert "firm:batt" in result.spof("component:phone")
    reversed_deps = nx.DiGraph()
    for v in range(g.n_nodes):
        for grp in g.groups_of(v):
            for u in grp:
                reversed_deps.add_edge(g.ids[u], g.ids[v])
    root = "root"
    for v in list(reversed_deps.nodes):
        if reversed_deps.in_degree(v) == 0:
            reversed_deps.add_edge(root, v)
    idom = nx.immediate_dominators(reversed_deps, root)
    dominators = set()
    node = "component:phone"
    while node != root:
        node = idom[node]
        dominators.add(node)
    assert "firm:batt" not in dominators


def test_explanation_path() -> None:
    result = single_points_of_failure(graph(HAND))
    steps = result.explain("component:phone", "region:JP")
    assert [s.node for s in steps] == [
        "region:JP", "firm:batt", "component:battery", "component:phone"
    ]
    assert steps[0].via == "site region"
    assert steps[-2].via == "required input"


def test_strongly_connected_parts_come_dependencies_first() -> None:
    g = graph(HAND)
    position = {v: i for i, part in enumerate(strongly_connected(g)) for v in part}
    for v in range(g.n_nodes):
        for grp in g.groups_of(v):
            for u in grp:
                assert position[u] <= position[v]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundles())
def test_matches_brute_force_oracle(tables: Tables) -> None:
    g = graph(tables)
    result = single_points_of_failure(g)
    expected = spof_sets(g)
    for v in range(g.n_nodes):
        got = {x for x in result.sets[v] if x != v}
        assert got == expected[v], (g.ids[v], sorted(g.ids[x] for x in got),
                                    sorted(g.ids[x] for x in expected[v]))


@settings(max_examples=150, deadline=None)
@given(bundles())
def test_every_explanation_is_a_real_failure_path(tables: Tables) -> None:
    g = graph(tables)
    result = single_points_of_failure(g)
    for v in g.real_nodes():
        for x in result.spof_indices(v):
            steps = result.explain(g.ids[v], g.ids[x])
            assert steps[0].node == g.output_id(x)
            assert steps[-1].node == g.ids[v]
            lost = failed_nodes(g, {x})
            for step in steps:
                assert g.index[step.node] in lost or g.kind[g.index[step.node]] == Kind.FIRM
