"""Capacity cascade: hand-checked scenarios and the properties of risk-model.md §3."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrisk.analysis.cascade import (
    failed_nodes,
    output_fractions,
    output_fractions_counted,
    output_fractions_spread,
    simulate,
)
from chainrisk.graph import DependencyGraph
from tests.analysis.oracle import capacity
from tests.analysis.oracle import failed_nodes as oracle_failed
from tests.analysis.strategies import Tables, bundles
from tests.analysis.test_spof import HAND


def test_two_producers_by_market_share() -> None:
    g = DependencyGraph.from_tables(HAND)
    result = simulate(g, ["nikon"])
    out = result.output
    # DUV: ASML 90 %, Nikon 10 %
    assert out["component:duv"] == pytest.approx(0.9)
    # the fab buys DUV from ASML and Nikon with no shares given: 50/50 by the share rule
    assert out["firm:fab"] == pytest.approx(0.5)
    assert out["component:chip"] == pytest.approx(0.5)
    assert out["component:phone"] == pytest.approx(0.5)
    assert result.failed == ["firm:nikon"]
    assert [(c.id, round(c.after, 9)) for c in result.targets("phones")] == [
        ("component:phone", 0.5), ("firm:oem", 0.5)
    ]


def test_region_takes_sub_regions_and_firms() -> None:
    g = DependencyGraph.from_tables(HAND)
    result = simulate(g, ["region:CN-GD"])
    assert result.failed == [
        "component:chip", "component:phone", "firm:fab", "firm:oem",
        "region:CN-GD", "region:CN-GD-SZ",
    ]
    assert result.output["region:CN"] == 1.0
    assert result.output["firm:batt"] == 1.0


def test_supply_loop_decays_in_capacity_but_survives_in_binary_model() -> None:
    # loopa buys glass from loopb only, and screens from scr2 only; loopb buys glass from
    # loopa only. Cut loopa's second source of glass by giving it one more supplier,
    # then disrupt that one: the loop loses part of its input every round.
    tables: Tables = {k: [dict(r) for r in v] for k, v in HAND.items()}
    tables["supplies"].append({"supplier": "scr1", "buyer": "loopa", "component": "glass",
                               "share": 0.5})
    tables["supplies"] = [
        {**r, "share": 0.5} if (r["supplier"], r["buyer"]) == ("loopb", "loopa") else r
        for r in tables["supplies"]
    ]
    tables["produces"].append({"firm": "scr1", "component": "glass"})
    g = DependencyGraph.from_tables(tables)
    result = simulate(g, ["scr1"])
    assert "firm:loopa" not in result.failed  # any supplier suffices: loopb still works
    assert result.output["firm:loopa"] == pytest.approx(0.0, abs=1e-9)
    assert result.output["firm:loopb"] == pytest.approx(0.0, abs=1e-9)


def test_unknown_or_ambiguous_ids() -> None:
    g = DependencyGraph.from_tables(HAND)
    with pytest.raises(KeyError, match="not the id, name or alias of a region, firm or component"):
        simulate(g, ["nowhere"])
    assert simulate(g, ["CN"]).disrupted == ("region:CN",)


def _is_acyclic(g: DependencyGraph) -> bool:
    return all(len(p) == 1 for p in g.parts) and not any(
        v in grp for v in range(g.n_nodes) for grp in g.groups_of(v)
    )


scenario = st.data()


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundles(), scenario)
def test_binary_failure_means_zero_output(tables: Tables, data: st.DataObject) -> None:
    g = DependencyGraph.from_tables(tables)
    real = [g.ids[v] for v in g.real_nodes()]
    disrupt = data.draw(st.lists(st.sampled_from(real), min_size=1, max_size=3, unique=True))
    result = simulate(g, disrupt)
    index = [g.index[i] for i in disrupt]
    failed = failed_nodes(g, index)
    assert failed == oracle_failed(g, set(index))
    for v in failed:
        assert result.y[v] == 0.0
    if _is_acyclic(g):
        for v in range(g.n_nodes):
            assert (result.y[v] == 0.0) == (v in failed), g.ids[v]
    for v in range(g.n_nodes):
        assert 0.0 <= result.y[v] <= 1.0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundles(max_firms=5, max_components=4), scenario)
def test_matches_plain_iteration(tables: Tables, data: st.DataObject) -> None:
    g = DependencyGraph.from_tables(tables)
    real = [g.ids[v] for v in g.real_nodes()]
    disrupt = data.draw(st.lists(st.sampled_from(real), min_size=1, max_size=2, unique=True))
    result = simulate(g, disrupt)
    expected = capacity(g, {g.index[i] for i in disrupt})
    for v in range(g.n_nodes):
        assert result.y[v] == pytest.approx(expected[v], abs=1e-7), g.ids[v]


@settings(max_examples=150, deadline=None)
@given(bundles(), scenario)
def test_more_disruption_never_raises_output(tables: Tables, data: st.DataObject) -> None:
    g = DependencyGraph.from_tables(tables)
    real = [g.ids[v] for v in g.real_nodes()]
    small = data.draw(st.lists(st.sampled_from(real), min_size=1, max_size=2, unique=True))
    extra = data.draw(st.sampled_from(real))
    few = simulate(g, small).y
    more = simulate(g, [*small, extra] if extra not in small else small).y
    for v in range(g.n_nodes):
        assert more[v] <= few[v] + 1e-9


def test_json_contract() -> None:
    g = DependencyGraph.from_tables(HAND)
    data = simulate(g, ["region:NL"]).to_json()
    assert set(data) == {"disrupted", "failed", "output"}
    assert data["disrupted"] == ["region:NL"]
    assert data["failed"] == sorted(data["failed"])
    assert set(data["output"]) == {g.ids[v] for v in g.real_nodes()}
    assert not any(k.startswith("site:") for k in data["output"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundles(), scenario)
def test_spreading_the_loss_gives_the_reference_fixpoint(tables: Tables,
                                                         data: st.DataObject) -> None:
    """The ranking's solver (work follows what changes) against the reference one."""
    g = DependencyGraph.from_tables(tables)
    real = [g.ids[v] for v in g.real_nodes()]
    disrupt = data.draw(st.lists(st.sampled_from(real), min_size=1, max_size=3, unique=True))
    index = {g.index[i] for i in disrupt}
    reference = output_fractions(g, index)
    spread, evaluations = output_fractions_spread(g, index)
    assert evaluations >= 0
    for v in range(g.n_nodes):
        assert spread[v] == pytest.approx(reference[v], abs=1e-7), g.ids[v]


def test_spreading_round_a_large_loop_costs_one_pass() -> None:
    """A drop travels once round a 3,000-component loop: each part is evaluated about
    once, not once per round of the loop."""
    n = 3000
    comps = [{"id": f"c{i}"} for i in range(n)]
    firms = [{"id": "a", "region": "R"}, {"id": "b", "region": "R"}]
    # every component made by a and b, half each: losing b halves the whole loop
    produces = [{"firm": f, "component": f"c{i}", "share": 0.5} for i in range(n)
                for f in ("a", "b")]
    requires = [{"product": f"c{i}", "input": f"c{(i - 1) % n}"} for i in range(n)]
    g = DependencyGraph.from_tables({"regions": [{"id": "R", "level": "country"}],
                                     "firms": firms, "components": comps,
                                     "produces": produces, "requires": requires})
    disrupted = {g.index["firm:b"]}
    reference, ref_work = output_fractions_counted(g, disrupted)
    spread, work = output_fractions_spread(g, disrupted)
    for v in range(g.n_nodes):
        assert spread[v] == pytest.approx(reference[v], abs=1e-9)
    assert all(spread[g.index[f"component:c{i}"]] == pytest.approx(0.5) for i in range(n))
    assert work <= 3 * n
    print(f"loop of {n}: spreading {work} evaluations, reference {ref_work}")
