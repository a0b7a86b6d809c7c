"""Real-data-like fixtures (tests/data/real) against answers worked out by hand.

Each expected set below is derived in the comments from the bundle's rows with the
rules of docs/risk-model.md (a node works when every group has a working member;
S(v) = {v} ∪ ⋃ groups ⋂ members S(u)), not read off the engine. They hold the engine to
what a chain chief would conclude with a pencil.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chainrisk.ingest.load import load_bundle
from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import ROOT

REAL = ROOT / "tests" / "data" / "real"


def _open(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RiskService]:
    store = SqliteStore(tmp_path_factory.mktemp(name) / "store.db")
    try:
        report = load_bundle(store, REAL / name)
        assert not report.errors, report.errors
        yield RiskService(store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def pv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RiskService]:
    yield from _open("pv-listed", tmp_path_factory)


@pytest.fixture(scope="module")
def malaria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RiskService]:
    yield from _open("malaria-delivery", tmp_path_factory)


@pytest.fixture(scope="module", params=["pv-listed", "malaria-delivery"])
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, RiskService]]:
    for service in _open(request.param, tmp_path_factory):
        yield request.param, service


# pv-module needs: a producer (jinko | longi) AND a cell (perc | topcon) AND pv-glass
# AND a frame (al | steel).
#   producers: S(jinko) ∩ S(longi) = {jinko, CN-JX, CN} ∩ {longi, CN-SN, CN} = {CN}
#   S(polysilicon) = {polysilicon} ∪ (S(tongwei) ∩ S(gcl-tech)) = {polysilicon, CN}
#   S(wafer) = {wafer} ∪ S(longi) ∪ S(polysilicon) = {wafer, longi, CN-SN, CN, polysilicon}
#   S(silver-paste) = {silver-paste} ∪ ({dk-em, CN-JS, CN} ∩ {heraeus, DE}) = {silver-paste}
#   S(perc) = {perc} ∪ {CN} ∪ S(wafer) ∪ S(silver-paste)
#   S(topcon) = {topcon} ∪ S(jinko) ∪ S(wafer) ∪ S(silver-paste)
#   cells: S(perc) ∩ S(topcon) = S(wafer) ∪ {silver-paste}
#   glass: {pv-glass} ∪ ({xinyi, CN-AH, CN} ∩ {flat-glass, CN-ZJ, CN}) = {pv-glass, CN}
#   frames: {al-frame, yongzhen, CN-JS, CN} ∩ {steel-frame, zhenjiang, CN-JS, CN}
#           = {CN-JS, CN}: both frame makers sit in Jiangsu
PV_MODULE_SPOFS = {
    "region:CN", "region:CN-SN", "region:CN-JS", "firm:longi", "component:wafer",
    "component:polysilicon", "component:silver-paste", "component:pv-glass",
}
PV_NOT_SPOFS = {  # each has an alternative somewhere
    "firm:jinko", "firm:tongwei", "firm:aiko", "firm:gcl-tech", "firm:dk-em",
    "firm:heraeus", "firm:xinyi-solar", "firm:flat-glass", "firm:yongzhen", "firm:zhenjiang",
    "component:perc-cell", "component:topcon-cell", "component:al-frame",
    "component:steel-frame", "region:CN-SC", "region:CN-JX", "region:DE",
}

# case-management needs: its producer mz-nmcp AND rdt AND act.
#   mz-nmcp buys rdt from idp only, act from idp or chemonics:
#     S(idp) = {idp, NL} ∪ (S(sd-bio) ∩ S(access-bio)) ∪ S(novartis)   [act from novartis only]
#            = {idp, NL} ∪ ({sd-bio, KR} ∩ {access-bio, US}) ∪ {novartis, CH}
#            = {idp, NL, novartis, CH}
#     S(chemonics) = {chemonics, US, ipca, IN};  S(idp) ∩ S(chemonics) = {}
#     S(mz-nmcp) = {mz-nmcp, MZ} ∪ S(idp)
#   rdt is made at sites: sd-bio's in IN ({sd-bio, KR, IN}), access-bio's in KR
#     ({access-bio, US, KR}): S(rdt) = {rdt, KR}, Korea holds both
#   act: S(novartis) ∩ S(ipca) = {}: S(act) = {act}
MALARIA_SPOFS = {
    "firm:mz-nmcp", "region:MZ", "firm:idp", "region:NL", "firm:novartis", "region:CH",
    "component:rdt", "region:KR", "component:act",
}
MALARIA_NOT_SPOFS = {"firm:sd-bio", "firm:access-bio", "firm:ipca", "firm:chemonics",
                     "region:US", "region:IN"}

EXPECTED = {
    "pv-listed": ("component:pv-module", PV_MODULE_SPOFS, PV_NOT_SPOFS),
    "malaria-delivery": ("component:case-management", MALARIA_SPOFS, MALARIA_NOT_SPOFS),
}


def test_single_points_of_failure_are_the_hand_checked_ones(
    loaded: tuple[str, RiskService],
) -> None:
    name, service = loaded
    target, spofs, not_spofs = EXPECTED[name]
    found = set(service.spof().spof(target))
    assert found == spofs
    assert not found & not_spofs


def test_each_single_point_is_explained_by_a_path_that_ends_at_the_target(
    loaded: tuple[str, RiskService],
) -> None:
    name, service = loaded
    target, spofs, _ = EXPECTED[name]
    result = service.spof()
    for spof in spofs:
        path = result.explain(target, spof)
        assert path[0].node == spof, (spof, path)
        assert path[-1].node == target, (spof, path)


def test_a_province_holding_both_alternatives_stops_the_module(pv: RiskService) -> None:
    path = [step.node for step in pv.spof().explain("component:pv-module", "region:CN-JS")]
    assert path[1] in {"firm:yongzhen", "firm:zhenjiang"}  # through a frame maker
    # losing Jiangsu, or the only wafer maker, stops the module (names as people type them)
    assert pv.simulate(["江苏省"]).output["component:pv-module"] == 0.0
    assert pv.simulate(["隆基绿能"]).output["component:pv-module"] == 0.0
    # losing one frame maker, or the TOPCon maker, does not: the OR groups hold
    assert pv.simulate(["firm:yongzhen"]).output["component:pv-module"] > 0.0
    assert pv.simulate(["晶科能源"]).output["component:pv-module"] > 0.0


def test_a_vendor_that_only_resells_is_still_a_single_point(malaria: RiskService) -> None:
    # the programme buys tests from one vendor only, so losing it stops case management
    # even though two manufacturers make tests; losing one manufacturer does not
    assert malaria.simulate(["IDA"]).output["component:case-management"] == 0.0
    assert malaria.simulate(["firm:sd-bio"]).output["component:case-management"] > 0.0
    assert malaria.simulate(["firm:chemonics"]).output["component:case-management"] > 0.0


def test_the_delivery_chain_s_vendors_are_called_distributors(tmp_path: Path) -> None:
    """On the delivery data every supplies-without-produces row is a reseller: none of
    the warnings may tell the officer to add a produces row (that would corrupt
    concentration)."""
    store = SqliteStore(tmp_path / "store.db")
    try:
        report = load_bundle(store, REAL / "malaria-delivery")
    finally:
        store.close()
    codes = sorted(w.code for w in report.warnings)
    assert codes == ["quality.distributor"] * 3
    assert not any("add one" in w.reason for w in report.warnings)


def test_the_ranking_is_complete_and_its_spof_rows_are_the_single_points(
    loaded: tuple[str, RiskService],
) -> None:
    """At the default budget every row that stops a target has its output_lost; a row
    is marked spof exactly when it is a single point of a chain target other than
    itself (the end product's are the hand-checked sets above; the leader firms are
    targets too), and losing one of two alternatives never costs the whole product."""
    name, service = loaded
    target, spofs, not_spofs = EXPECTED[name]
    ranking = service.rank({"pv-listed": "pv", "malaria-delivery": "malaria"}[name])
    assert target in ranking.targets
    result = service.spof()
    stops = {t: set(result.spof(t)) - {t} for t in ranking.targets}
    rows = {row.id: row for row in ranking.rows}
    assert spofs <= {i for i, row in rows.items() if row.spof}
    assert ranking.incomplete == 0
    for i, row in rows.items():
        assert row.spof == any(i in s for s in stops.values()), i
        assert row.targets_lost == sum(1 for t, s in stops.items() if i in s or i == t), i
        assert row.output_lost is not None, i
        assert row.output_lost_missing == "", i
        if i in spofs:
            assert row.output_lost >= 1 / len(ranking.targets), i
    for other in not_spofs & rows.keys():
        assert target not in {t for t, s in stops.items() if other in s}, other
    scores = [row.score for row in ranking.rows]
    assert scores == sorted(scores, reverse=True)
