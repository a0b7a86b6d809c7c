"""Coverage (chain-chief.md §B) and the gap list and substitutes (§D): properties on
random chains, and a hand-checked chain."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chainrisk.analysis.coverage import coverage, link_class
from chainrisk.analysis.gaps import Producers, gaps, sole_source_links
from chainrisk.analysis.reliance import member_firm, reliance, scope_keeps
from chainrisk.analysis.spof import single_points_of_failure
from chainrisk.graph import DependencyGraph, GroupKind
from tests.analysis.strategies import Tables, bundles
from tests.analysis.test_reliance import LOOP, _scopes


@settings(max_examples=300, deadline=None)
@given(bundles(), st.data())
def test_coverage_gaps_and_substitutes_keep_their_rules(tables: Tables, data: st.DataObject
                                                        ) -> None:
    g = DependencyGraph.from_tables(tables)
    scope = data.draw(st.sampled_from(_scopes(g)))
    located, controlled = scope_keeps(g, scope)
    cov = coverage(g, "x", located, controlled)
    rel = reliance(g, located, g.chains["x"].targets)
    chain_components = {v for v in g.real_nodes() if "x" in g.component_chains(v)}
    assert set(cov.links) == chain_components
    for c, link in cov.links.items():
        has_producers = any(g.group_kind[x] == GroupKind.PRODUCERS for x in g.groups(c))
        assert (link.link_class == "no_data") == (not has_producers)
        if not has_producers:
            assert link.local_share is None
            continue
        assert link.local_share is not None
        assert 0.0 <= link.local_share <= 1.0
        # a producer group the restriction emptied is a missing link; a missing link
        # has no share inside (a maker inside with a share under 1e-9 still counts as
        # missing, though buyers could turn to it under a cut-off)
        emptied = not any(located.member(g, int(m)) for x in g.groups(c)
                          if g.group_kind[x] == GroupKind.PRODUCERS for m in g.group_members(x))
        if emptied:
            assert link.link_class == "missing"
            assert c in rel.cut
        if link.link_class == "missing":
            assert link.local_share <= 1e-9
        assert link.link_class == link_class(link.local_share, link.local_firms)
        # a larger scope holds at least as much
        parent = g.region_parent.get(scope)
        if parent is not None:
            wider = coverage(g, "x", *scope_keeps(g, parent)).links[c]
            assert wider.local_share is not None
            assert wider.local_share >= link.local_share - 1e-9
    spof = single_points_of_failure(g)
    producers = Producers(g, located)
    found = gaps(cov, rel, spof, g.chains["x"].targets, producers)
    listed = [x.component for x in found]
    assert len(listed) == len(set(listed))
    for t, links in rel.blocking.items():
        assert set(links) <= set(listed), g.ids[t]  # every blocking link is a gap
    cuts = [x for x in found if x.cut]
    assert found[:len(cuts)] == cuts  # cut links first
    keys = [(-len(x.fill_gain), -len(x.blocks), g.ids[x.component]) for x in cuts]
    assert keys == sorted(keys)
    for x in found:
        for cand in x.candidates:
            assert not cand.inside  # a firm to attract has nothing inside yet
        shares = [(-round(c.share, 12), -c.supplies_inside, g.ids[c.firm])
                  for c in x.candidates]
        assert shares == sorted(shares)
    for supplier, buyer, component in sole_source_links(g, chain_components):
        subs = producers.substitutes(supplier, buyer, component)
        assert supplier not in {s.firm for s in subs}
        makers = {member_firm(g, int(m)) for x in g.groups(component)
                  if g.group_kind[x] == GroupKind.PRODUCERS for m in g.group_members(x)}
        assert {s.firm for s in subs} == makers - {supplier}
        inside = [s.inside for s in subs]
        assert inside == sorted(inside, reverse=True)  # inside first


def test_the_loop_chain_by_hand() -> None:
    g = DependencyGraph.from_tables(LOOP)
    i = g.index
    located, controlled = scope_keeps(g, i["region:CN-GD"])
    cov = coverage(g, "c", located, controlled)
    # end is made by a alone, in Guangdong: all of it inside, but one firm: weak
    end = cov.links[i["component:end"]]
    assert end.local_share == 1.0
    assert end.local_firms == 1
    assert end.link_class == "weak"
    assert cov.coverage_rate == 1.0
    # kr-fab's site stands in Guangdong but the firm is Japanese: located inside,
    # controlled from outside (JP is its HQ country and it gives no controller)
    assert located.member(g, next(s for s, (f, _) in g.site_of.items()
                                  if f == i["firm:kr-fab"]))
    assert not controlled.member(g, i["firm:kr-fab"])
    rel = reliance(g, located, g.chains["c"].targets)
    spof = single_points_of_failure(g)
    found = gaps(cov, rel, spof, g.chains["c"].targets, Producers(g, located))
    assert [g.ids[x.component] for x in found] == ["component:w", "component:end"]
    w = found[0]
    assert w.cut
    assert w.fill_gain == (i["component:end"],)
    assert [g.ids[c.firm] for c in w.candidates] == ["firm:z"]  # the only maker of w
    assert w.candidates[0].country == i["region:JP"]
