"""The workbench views on the sample IC chain, for Guangdong and for China: the
answers a chain chief would recognise, consistent with each other, scoped for viewers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chainrisk import workbench as wb
from chainrisk.ingest.load import load_bundle
from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import BUNDLES


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RiskService]:
    store = SqliteStore(tmp_path_factory.mktemp("wb") / "ic.db")
    load_bundle(store, BUNDLES / "ic")
    yield RiskService(store)
    store.close()


def _bench(service: RiskService, scope: str, **kw: object) -> wb.Workbench:
    g = service.graph()
    return wb.build(g, service.spof(), "ic", g.index[scope], **kw)  # type: ignore[arg-type]


def test_the_default_scope_is_the_bundle_s_home_region(service: RiskService) -> None:
    scope, why = wb.default_scope(service.graph(), "ic", service.store.bundles())
    assert scope == "region:CN-GD"
    assert "ic" in why


def test_china_lacks_what_public_analyses_say_it_lacks(service: RiskService) -> None:
    w = _bench(service, "region:CN")
    g = w.graph
    rows = {g.ids[x.component]: x for x in wb.coverage_rows(w)}
    # lithography at the leading edge, EUV resist: nothing made on the mainland
    for missing in ("component:euv-scanner", "component:duv-immersion-scanner",
                    "component:euv-photoresist"):
        assert rows[missing].link_class == "missing", missing
    # EDA and ArF resist: a domestic maker with a sliver of the market
    for weak in ("component:eda-software", "component:arf-photoresist"):
        assert rows[weak].link_class == "weak", weak
        share = rows[weak].local_share
        assert share is not None
        assert 0 < share < 0.1
    gaps = [g.ids[x.component] for x in wb.gap_rows(w)]
    assert gaps[0] == "component:duv-immersion-scanner"  # fills the most targets
    assert {"component:euv-scanner", "component:eda-software"} <= set(gaps)


def test_verdicts_are_consistent(service: RiskService) -> None:
    for scope in ("region:CN", "region:CN-GD"):
        w = _bench(service, scope)
        for v in wb.verdicts(w):
            assert v.makeable == (not v.blocking)
            if not v.makeable:
                assert v.fill_plan
                assert set(v.fill_plan) <= set(w.reliance.cut)
                path = wb.explain(w, v.target, v.blocking[0])
                assert path[0] == v.blocking[0]
                assert path[-1] == v.target
        summary = wb.coverage_summary(w)
        assert summary.components == sum(summary.by_class.values())


def test_guangdong_holds_less_than_china(service: RiskService) -> None:
    gd = wb.coverage_summary(_bench(service, "region:CN-GD"))
    cn = wb.coverage_summary(_bench(service, "region:CN"))
    assert gd.coverage_rate is not None
    assert cn.coverage_rate is not None
    assert gd.coverage_rate < cn.coverage_rate
    assert gd.by_class["missing"] > cn.by_class["missing"]


def test_a_viewer_sees_only_their_nodes(service: RiskService) -> None:
    g = service.graph()
    full = _bench(service, "region:CN")
    hidden = g.index["component:euv-scanner"]
    visible = frozenset(v for v in g.real_nodes() if v != hidden and v != g.index["firm:asml"])
    w = _bench(service, "region:CN", visible=visible)
    assert hidden not in {x.component for x in wb.coverage_rows(w)}
    assert hidden not in {x.component for x in wb.gap_rows(w)}
    for x in wb.gap_rows(w):
        assert g.index["firm:asml"] not in {c.firm for c in x.candidates}
    for v in wb.verdicts(w):
        assert hidden not in v.blocking
    assert len(wb.coverage_rows(w)) == len(wb.coverage_rows(full)) - 1
    for s in wb.sole_sources(w):
        assert all(c.firm in visible for c in s.substitutes)
