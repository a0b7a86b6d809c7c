"""Self-reliance (chain-chief.md §C) against a literal brute-force reference, and its
properties, on random chains with supply loops, OR groups and production sites."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chainrisk.analysis.reliance import (
    Keep,
    Reliance,
    member_firm,
    member_location,
    reliance,
    scope_keeps,
    scope_regions,
)
from chainrisk.graph import DependencyGraph, GroupKind
from tests.analysis.oracle import failed_nodes, restricted_failed
from tests.analysis.strategies import Tables, bundles


def _keep(g: DependencyGraph, scope: int) -> Keep:
    return Keep(scope=scope, regions=scope_regions(g, scope))


def _oracle(g: DependencyGraph, keep: Keep, filled: frozenset[int] = frozenset()
            ) -> tuple[set[int], set[int]]:
    return restricted_failed(g, lambda m: member_location(g, m) in keep.regions,
                             lambda s: g.firm_region.get(s) in keep.regions, filled)


def _failed_groups_back(g: DependencyGraph, keep: Keep, failed: set[int], target: int
                        ) -> set[int]:
    """The cut links from which a failure path reaches ``target`` (§C, literally)."""
    kinds = g.group_kind.tolist()
    kept_producers = {int(g.group_owner[x]): {int(m) for m in g.group_members(x)
                                              if member_location(g, int(m)) in keep.regions}
                      for x in range(g.n_groups) if kinds[x] == GroupKind.PRODUCERS}
    found: set[int] = set()
    seen = {target}
    queue = [target]
    while queue:
        v = queue.pop()
        for x in g.groups(v):
            members = {int(m) for m in g.group_members(x)}
            if kinds[x] == GroupKind.PRODUCERS:
                members = kept_producers[v]
                if not members:
                    found.add(v)
            elif kinds[x] == GroupKind.BUYS:
                c = int(g.group_ref[x])
                members = {s for s in members if g.firm_region.get(s) in keep.regions}
                members |= kept_producers.get(c, set())
                if not members:
                    found.add(c)
            if members & (set(range(g.n_nodes)) - failed):
                continue  # this group has a working member: not a failure path
            for m in members - seen:
                seen.add(m)
                queue.append(m)
    return found


def _scopes(g: DependencyGraph) -> list[int]:
    return sorted(v for v in g.real_nodes() if g.ids[v].startswith("region:"))


@settings(max_examples=300, deadline=None)
@given(bundles(), st.data())
def test_reliance_matches_the_literal_reference(tables: Tables, data: st.DataObject) -> None:
    g = DependencyGraph.from_tables(tables)
    scope = data.draw(st.sampled_from(_scopes(g)))
    keep = _keep(g, scope)
    real = list(g.real_nodes())
    result = reliance(g, keep, real)
    failed, cut = _oracle(g, keep)
    assert {v for v in real if not result.makeable(v)} == failed & set(real)
    assert set(result.cut) == cut
    # makeable inside the scope implies working in the whole graph
    assert failed_nodes(g, set()) & set(real) <= failed
    for t in real:
        blocking = set(result.blocking.get(t, ()))
        assert (t in failed) == bool(blocking), g.ids[t]  # makeable exactly when unblocked
        if t not in failed:
            continue
        assert blocking == _failed_groups_back(g, keep, failed, t), g.ids[t]
        # filling every blocking link makes the target makeable
        assert t not in _oracle(g, keep, frozenset(blocking))[0]
        for c in blocking:
            path = result.path(t, c)
            assert path[0] == c
            assert path[-1] == t
            assert all(v in failed for v in path[1:])
    for c in result.cut:
        back = _oracle(g, keep, frozenset({c}))[0]
        gained = {t for t in real if t in failed and t not in back}
        assert set(result.fill_gain[c]) == gained, g.ids[c]


@settings(max_examples=300, deadline=None)
@given(bundles(), st.data())
def test_fill_plans_work_and_are_irredundant(tables: Tables, data: st.DataObject) -> None:
    g = DependencyGraph.from_tables(tables)
    keep = _keep(g, data.draw(st.sampled_from(_scopes(g))))
    real = list(g.real_nodes())
    result = reliance(g, keep, real)
    for t in real:
        plan = result.fill_plan(t)
        if result.makeable(t):
            assert plan == ()
            continue
        assert plan
        assert set(plan) <= set(result.cut)
        assert t not in _oracle(g, keep, frozenset(plan))[0]
        for c in plan:
            assert t in _oracle(g, keep, frozenset(plan) - {c})[0], (g.ids[t], g.ids[c])


@settings(max_examples=300, deadline=None)
@given(bundles())
def test_a_larger_scope_makes_at_least_as_much(tables: Tables) -> None:
    g = DependencyGraph.from_tables(tables)
    real = list(g.real_nodes())
    for inner in _scopes(g):
        outer = g.region_parent.get(inner)
        if outer is None:
            continue
        small: Reliance = reliance(g, _keep(g, inner), real)
        large = reliance(g, _keep(g, outer), real)
        assert set(small.makeable_nodes) <= set(large.makeable_nodes)


LOOP: Tables = {
    "regions": [{"id": "CN", "level": "country"},
                {"id": "CN-GD", "level": "province", "parent": "CN"},
                {"id": "JP", "level": "country"}],
    "firms": [{"id": "a", "region": "CN-GD"}, {"id": "b", "region": "CN-GD"},
              {"id": "z", "region": "JP"}, {"id": "kr-fab", "region": "JP"}],
    "components": [{"id": "x"}, {"id": "y"}, {"id": "w"},
                   {"id": "end", "end_product": True, "chains": ("c",)}],
    "produces": [{"firm": "a", "component": "x"}, {"firm": "b", "component": "x"},
                 {"firm": "z", "component": "y"}, {"firm": "z", "component": "w"},
                 {"firm": "a", "component": "end"},
                 # a foreign firm's fab inside the scope: kept, but it needs what its
                 # firm buys
                 {"firm": "kr-fab", "component": "y", "site_region": "CN-GD"}],
    "requires": [{"product": "end", "input": "x"}],
    "supplies": [{"supplier": "a", "buyer": "b", "component": "x"},
                 {"supplier": "b", "buyer": "a", "component": "x"},
                 {"supplier": "z", "buyer": "a", "component": "y"},
                 {"supplier": "z", "buyer": "b", "component": "y"},
                 {"supplier": "z", "buyer": "kr-fab", "component": "w"}],
    "chains": [{"id": "c", "leader_firms": ()}],
}


def test_two_firms_that_buy_from_each_other_revive_together() -> None:
    g = DependencyGraph.from_tables(LOOP)
    i = g.index
    result = reliance(g, _keep(g, i["region:CN-GD"]), g.chains["c"].targets)
    # y is made inside only at kr-fab's site, and kr-fab buys w from Japan alone: the
    # firm stops, its site with it, so nobody inside has y, and a and b stop
    for stopped in ("firm:kr-fab", "component:y", "firm:a", "firm:b", "component:x",
                    "component:end"):
        assert not result.makeable(i[stopped]), stopped
    assert result.makeable(i["firm:z"])  # regions and HQs are not disrupted
    assert result.cut == (i["component:w"],)  # y's buyers could turn to the site
    assert result.blocking == {i["component:end"]: (i["component:w"],)}
    # filling w revives kr-fab, its site, then a and b together (each needs the other
    # for x): a revival that only walks forward from w would leave both stopped
    assert result.fill_gain == {i["component:w"]: (i["component:end"],)}
    assert result.fill_plan(i["component:end"]) == (i["component:w"],)
    path = [g.ids[v] for v in result.path(i["component:end"], i["component:w"])]
    assert path[0] == "component:w"
    assert path[1] == "firm:kr-fab"
    assert path[-1] == "component:end"
    # scope China: the same, Guangdong is all of China's production here
    assert reliance(g, _keep(g, i["region:CN"]), ()).cut == (i["component:w"],)


def test_a_cut_reached_first_through_a_purchase_still_blocks() -> None:
    """c3's producers are all outside; f4 buys c3 from f2 (inside, failed). Walking back
    from c1 reaches c3's local supply through f4's purchase first, and through c3's own
    producer group later: c3 blocks c1 all the same (found by the random test once)."""
    g = DependencyGraph.from_tables({
        "regions": [{"id": "C0", "level": "country"}, {"id": "C1", "level": "country"}],
        "firms": [{"id": f, "region": "C0"} for f in ("f0", "f2", "f4")]
        + [{"id": "f5", "region": "C1"}],
        "components": [{"id": c} for c in ("c0", "c1", "c2", "c3")],
        "produces": [{"firm": "f2", "component": "c3", "site_region": "C1"},
                     {"firm": "f4", "component": "c0"}, {"firm": "f4", "component": "c1"}],
        "requires": [{"product": "c0", "input": "c3"}, {"product": "c1", "input": "c0"}],
        "supplies": [{"supplier": "f0", "buyer": "f2", "component": "c0"},
                     {"supplier": "f5", "buyer": "f2", "component": "c2"},
                     {"supplier": "f2", "buyer": "f4", "component": "c3"}],
    })
    i = g.index
    keep = _keep(g, i["region:C0"])
    result = reliance(g, keep, [i["component:c1"]])
    assert result.blocking == {i["component:c1"]: (i["component:c2"], i["component:c3"])}
    assert i["component:c1"] not in _oracle(g, keep, frozenset(result.blocking[
        i["component:c1"]]))[0]
    # filling c3 alone is enough: f4 then gets c3 whatever becomes of f2
    assert result.fill_gain == {i["component:c2"]: (), i["component:c3"]: (i["component:c1"],)}
    assert result.fill_plan(i["component:c1"]) == (i["component:c3"],)


@settings(max_examples=300, deadline=None)
@given(bundles(), st.data())
def test_the_control_variant_matches_the_literal_reference(tables: Tables,
                                                           data: st.DataObject) -> None:
    """Firms controlled from a country other than their HQ's (a Korean-owned fab in
    Xi'an): members are kept by control, and location does not matter."""
    countries = [r["id"] for r in tables["regions"] if r["level"] == "country"]
    for firm in tables["firms"]:
        firm["controller"] = data.draw(st.one_of(st.none(), st.sampled_from(countries)))
    g = DependencyGraph.from_tables(tables)
    scope = data.draw(st.sampled_from(_scopes(g)))
    _, keep = scope_keeps(g, scope)
    assert keep.country == g.country_of(scope)
    real = list(g.real_nodes())
    result = reliance(g, keep, real)

    def controlled(firm: int) -> bool:
        return keep.controllers is not None and keep.controllers.get(firm) == keep.country

    failed, cut = restricted_failed(g, lambda m: controlled(member_firm(g, m)), controlled)
    assert {v for v in real if not result.makeable(v)} == failed & set(real)
    assert set(result.cut) == cut
    for c in result.cut:
        back = restricted_failed(g, lambda m: controlled(member_firm(g, m)), controlled,
                                 frozenset({c}))[0]
        assert set(result.fill_gain[c]) == {t for t in real if t in failed and t not in back}
    for firm in tables["firms"]:  # the data's controller, else the HQ's country
        v = g.index["firm:" + firm["id"]]
        hq = g.country_of(g.firm_region[v])
        expected = g.index[f"region:{firm['controller']}"] if firm["controller"] else hq
        assert keep.controllers is not None
        assert keep.controllers.get(v) == expected
