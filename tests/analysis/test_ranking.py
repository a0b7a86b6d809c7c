"""Ranking: parts against the oracle, weights, stable order."""

from __future__ import annotations

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
