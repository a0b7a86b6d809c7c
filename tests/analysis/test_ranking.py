"""Ranking: parts against the oracle, weights, stable order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrisk.analysis.cascade import simulate
from chainrisk.analysis.members import chain_members
from chainrisk.analysis.ranking import DEFAULT_WEIGHTS, check_weights, rank
from chainrisk.graph import DependencyGraph
from tests.analysis.oracle import failed_nodes
from tests.analysis.strategies import Tables, bundles
from tests.analysis.test_spof import HAND


def test_parts_on_the_hand_chain() -> None:
    g = DependencyGraph.from_tables(HAND)
    ranking = rank(g, "phones")
    rows = {r.id: r for r in ranking.rows}
    assert ranking.targets == ("component:phone", "firm:oem")
    # losing the fab stops the chip, the phone and the OEM
    assert rows["firm:fab"].targets_lost == 2
    assert rows["firm:fab"].nodes_lost == 4  # fab, oem, chip, phone
    # batt is the only producer of batteries (one sole-source group)
    assert rows["firm:batt"].sole_source_links == 1
    # nikon makes 10 % of DUV; the fab buys DUV half from nikon: output falls to 1/2
    assert rows["firm:nikon"].targets_lost == 0
    assert rows["firm:nikon"].output_lost == pytest.approx(0.5)
    assert [r.rank for r in ranking.rows] == list(range(1, len(ranking.rows) + 1))
    scores = [r.score for r in ranking.rows]
    assert scores == sorted(scores, reverse=True)


def test_weights_change_the_order_and_are_checked() -> None:
    g = DependencyGraph.from_tables(HAND)
    only_sole = dict.fromkeys(DEFAULT_WEIGHTS, 0.0) | {"sole_source_links": 1.0}
    ranking = rank(g, "phones", kind="firm", weights=only_sole)
    assert ranking.rows[0].sole_source_links == max(r.sole_source_links for r in ranking.rows)
    tied = [r for r in ranking.rows if r.score == ranking.rows[-1].score]
    assert [r.id for r in tied] == sorted(r.id for r in tied)  # ties broken by id
    with pytest.raises(ValueError, match="unknown weight"):
        check_weights({"luck": 1})
    with pytest.raises(ValueError, match="≥ 0"):
        check_weights({"output_lost": -1})


@settings(max_examples=120, deadline=None)
@given(bundles())
def test_targets_lost_and_output_lost_match_brute_force(tables: Tables) -> None:
    g = DependencyGraph.from_tables(tables)
    ranking = rank(g, "x", cascade_limit=None)
    targets = [g.index[t] for t in ranking.targets]
    members = chain_members(g, "x")
    # the candidates: the chain's members and whatever else alone stops one of its targets
    stoppers = {x for x in g.real_nodes() if any(
        t != x and t in failed_nodes(g, {x}) for t in targets)}
    assert {g.index[r.id] for r in ranking.rows} == set(members.nodes) | stoppers
    for row in ranking.rows:
        v = g.index[row.id]
        lost = failed_nodes(g, {v})
        assert row.spof == (v in stoppers)
        assert row.targets_lost == sum(1 for t in targets if t in lost)
        # counted inside the chain: its firms and components only
        assert row.nodes_lost == sum(1 for u in lost if u in members.counted)
        if targets:
            y = simulate(g, [row.id]).y
            expected = sum(1 - y[t] for t in targets) / len(targets)
            assert row.output_lost == pytest.approx(expected, abs=1e-9)
    # the order is the brute-force parts scored as risk-model.md §5 says: shares as they
    # are, HHI / 10,000, counts over the largest of the row's kind; score down, then id
    n = max(len(targets), 1)
    brute: dict[str, dict[str, float]] = {}
    for row in ranking.rows:
        lost = failed_nodes(g, {g.index[row.id]})
        y = simulate(g, [row.id]).y
        brute[row.id] = {
            "targets_lost_share": sum(1 for t in targets if t in lost) / n,
            "output_lost": sum(1 - y[t] for t in targets) / n if targets else 0.0,
            "nodes_lost": float(sum(1 for u in lost if u in members.counted)),
            "sole_source_links": float(row.sole_source_links),
            "concentration": (row.concentration or 0.0) / 10_000,
            "betweenness": row.betweenness,
        }
    score = dict.fromkeys(brute, 0.0)
    for kind in {row.kind for row in ranking.rows}:
        same = [row.id for row in ranking.rows if row.kind == kind]
        for part, weight in DEFAULT_WEIGHTS.items():
            top = max(brute[i][part] for i in same)
            scale = 1.0 if part in ("targets_lost_share", "output_lost", "concentration") else top
            for i in same:
                score[i] += weight * brute[i][part] / scale if scale else 0.0
    for row in ranking.rows:
        assert row.score == pytest.approx(score[row.id], abs=1e-9), row.id
    order = sorted(score, key=lambda i: (-round(score[i], 9), i))
    assert [row.id for row in ranking.rows] == order


@settings(max_examples=120, deadline=None)
@given(bundles(), st.data())
def test_a_viewers_counts_are_the_admins_recounted_over_the_viewers_nodes(
        tables: Tables, data: st.DataObject) -> None:
    g = DependencyGraph.from_tables(tables)
    real = sorted(g.real_nodes())
    visible = frozenset(data.draw(st.lists(st.sampled_from(real), unique=True)))
    members = chain_members(g, "x")
    full = {r.id: r for r in rank(g, "x", cascade_limit=None).rows}
    seen = rank(g, "x", cascade_limit=None, visible=visible)
    targets = [t for t in members.targets if t in visible]
    assert set(seen.targets) == {g.ids[t] for t in targets}
    for row in seen.rows:
        v = g.index[row.id]
        assert v in visible  # a viewer never sees a row of a hidden node
        lost = failed_nodes(g, {v})
        assert row.targets_lost == sum(1 for t in targets if t in lost)
        assert row.nodes_lost == sum(1 for u in lost if u in members.counted and u in visible)
        assert row.nodes_lost <= full[row.id].nodes_lost  # the admin's row exists


def _loop_chain(n: int, targets: int, makers: int, provinces: int) -> dict[str, list[Any]]:
    """A chain whose ``n`` components form one requires loop, each made by two of
    ``makers`` firms, with ``targets`` end products hanging off it (each made by a firm
    of its own), firms spread over ``provinces``."""
    regions: list[Any] = [{"id": "CN", "level": "country"}] + [
        {"id": f"P{p}", "level": "province", "parent": "CN"} for p in range(provinces)]
    firms: list[Any] = [{"id": f"f{j}", "region": f"P{j % provinces}"} for j in range(makers)]
    firms += [{"id": f"g{k}", "region": f"P{(k * 7) % provinces}"} for k in range(targets)]
    comps: list[Any] = [{"id": f"c{i}", "chains": ("x",)} for i in range(n)]
    comps += [{"id": f"t{k}", "chains": ("x",), "end_product": True} for k in range(targets)]
    produces: list[Any] = [{"firm": f"f{(i + d) % makers}", "component": f"c{i}"}
                           for i in range(n) for d in (0, 1)]
    produces += [{"firm": f"g{k}", "component": f"t{k}"} for k in range(targets)]
    requires: list[Any] = [{"product": f"c{i}", "input": f"c{(i + 1) % n}"} for i in range(n)]
    requires += [{"product": f"t{k}", "input": f"c{(5 * k) % n}"} for k in range(targets)]
    return {"regions": regions, "firms": firms, "components": comps, "produces": produces,
            "requires": requires, "chains": [{"id": "x", "name": "X"}]}


def test_every_row_that_loses_a_target_gets_its_output_lost_on_a_large_loop() -> None:
    """A 10,000-component requires loop and 2,000 targets at the default budget."""
    g = DependencyGraph.from_tables(_loop_chain(10_000, 2_000, 500, 50))
    assert max(len(p) for p in g.parts) == 10_000
    ranking = rank(g, "x")
    losing = [r for r in ranking.rows if r.targets_lost > 0]
    assert len(losing) > 12_000
    assert [r.id for r in losing if r.output_lost is None] == []
    # each ring component stops the loop and so every target; a province stops the
    # targets of the firms in it and drains the loop (a cascade, not a shortcut)
    rows = {r.id: r for r in ranking.rows}
    assert rows["component:c0"].output_lost == 1.0
    province = rows["region:P3"]
    assert 0 < province.targets_lost < 2_000
    assert province.output_lost is not None
    assert province.output_lost > province.targets_lost / 2_000
    # rows the budget left without output_lost lose no target and come last
    late = [r for r in ranking.rows if r.output_lost is None]
    assert all(r.targets_lost == 0 and r.output_lost_missing == "budget" for r in late)
    assert not late or ranking.rows[-len(late):] == tuple(late)


@settings(max_examples=80, deadline=None)
@given(bundles())
def test_a_component_without_producers_has_no_concentration(tables: Tables) -> None:
    g = DependencyGraph.from_tables(tables)
    ranking = rank(g, "x", cascade_limit=None)
    made = {r["component"] for r in tables.get("produces", [])}
    for row in ranking.rows:
        if row.kind == "component" and row.id.split(":", 1)[1] not in made:
            assert row.concentration is None, row.id
