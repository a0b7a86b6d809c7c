"""The chain chief's commands: the JSON contracts of chain-chief.md §H, names where
people type them, clear refusals, and the same figures as the workbench views."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainrisk import workbench as wb
from chainrisk.cli import EXIT_USAGE
from chainrisk.service import RiskService
from tests.conftest import ROOT
from tests.test_cli import run


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('chief') / 'chains.db'}"
    code, _, err = run("--store", url, "load", "--quiet", str(ROOT / "loaders/bundles/ic"),
                       str(ROOT / "loaders/bundles/5g"))
    assert code == 0, err
    return url


def _json(*argv: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run(*argv)
    assert code == 0, err
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def test_coverage_json_is_the_contract_and_the_workbench_s_figures(store: str) -> None:
    data = _json("--store", store, "coverage", "--chain", "ic", "--scope", "广东省",
                 "--format", "json")
    assert set(data) == {"scope", "control_country", "summary", "links", "leaders"}
    assert data["scope"] == "region:CN-GD"
    assert data["control_country"] == "region:CN"
    service = RiskService.open(store)
    try:
        w = service.workbench("ic", "CN-GD")
        g = service.graph()
        chain_components = {g.ids[v] for v in g.real_nodes() if "ic" in g.component_chains(v)}
        assert set(data["links"]) == chain_components  # one link per component of the chain
        for row in wb.coverage_rows(w):
            link = data["links"][g.ids[row.component]]
            assert link == {"class": row.link_class, "local_share": row.local_share,
                            "local_firms": row.local_firms,
                            "controlled_share": row.controlled_share}
        summary = wb.coverage_summary(w)
        assert data["summary"] == {"coverage_rate": summary.coverage_rate,
                                   "mean_local_share": summary.mean_local_share}
        assert set(data["leaders"]) == {g.ids[f] for f in g.chains["ic"].leaders}
    finally:
        service.close()
    # the default scope is the bundle's home region, and says so
    code, out, _ = run("--store", store, "coverage", "--chain", "ic")
    assert code == 0
    assert "region:CN-GD" in out.splitlines()[0]
    assert "home region of bundle ic" in out.splitlines()[0]


def test_reliance_json_is_the_contract(store: str) -> None:
    every = _json("--store", store, "reliance", "--scope", "CN", "--format", "json")
    assert set(every) == {"scope", "makeable", "cut", "blocking", "fill_gain"}
    one = _json("--store", store, "reliance", "--chain", "ic", "--scope", "中国",
                "--format", "json")
    # makeable and cut never depend on --chain; blocking covers that chain's targets only
    assert one["makeable"] == every["makeable"]
    assert one["cut"] == every["cut"]
    assert one["makeable"] == sorted(one["makeable"])
    assert set(one["blocking"]) < set(every["blocking"])
    assert set(one["fill_gain"]) == set(one["cut"])
    for target, links in one["blocking"].items():
        assert links == sorted(links)
        assert set(links) <= set(one["cut"]), target
        assert target not in one["makeable"]
    assert "component:euv-scanner" in one["cut"]
    gained = {t for ts in one["fill_gain"].values() for t in ts}
    assert gained <= set(one["blocking"])


def test_gaps_name_what_china_lacks_and_whom_to_attract(store: str) -> None:
    data = _json("--store", store, "gaps", "--chain", "ic", "--scope", "中国", "--top", "0",
                 "--format", "json")
    first = data["gaps"][0]
    assert first["link"] == "component:duv-immersion-scanner"
    assert first["cut"] is True
    assert [c["firm"] for c in first["candidates"]] == ["firm:asml", "firm:nikon"]
    assert first["path"][0] == first["link"]
    assert first["path"][-1] in first["blocks"]
    links = [x["link"] for x in data["gaps"]]
    for expected in ("component:euv-scanner", "component:euv-photoresist",
                     "component:eda-software", "component:arf-photoresist"):
        assert expected in links
    assert data["plans"]["component:mobile-soc"]
    code, out, _ = run("--store", store, "gaps", "--chain", "ic", "--scope", "中国")
    assert code == 0
    assert "to attract: firm:asml 91%" in out


def test_alternatives_list_the_other_makers_inside_first(store: str) -> None:
    data = _json("--store", store, "alternatives", "--firm", "阿斯麦", "--buyer", "smic",
                 "--scope", "中国", "--format", "json")
    immersion = next(x for x in data["links"]
                     if x["component"] == "component:duv-immersion-scanner")
    assert immersion["sole"] is True
    assert [c["firm"] for c in immersion["substitutes"]] == ["firm:nikon"]
    dry = next(x for x in data["links"] if x["component"] == "component:duv-dry-scanner")
    subs = dry["substitutes"]
    inside = [c["inside"] for c in subs]
    assert inside == sorted(inside, reverse=True)
    assert "firm:smee" in {c["firm"] for c in subs}  # Shanghai's own scanner maker
    assert next(c for c in subs if c["firm"] == "firm:smee")["inside"] is True


@pytest.mark.parametrize(("argv", "words"), [
    (["coverage", "--chain", "ic", "--scope", "asml"], "not a region"),
    (["coverage", "--chain", "ic", "--scope", "Atlantis"], "not the id, name or alias"),
    (["gaps", "--chain", "shoes"], "unknown chain"),
    (["alternatives", "--firm", "component:euv-scanner"], "not a firm"),
])
def test_bad_options_are_refused_with_what_to_give(store: str, argv: list[str],
                                                   words: str) -> None:
    code, _, err = run("--store", store, *argv)
    assert code == EXIT_USAGE
    assert words in err


def test_the_commands_are_documented(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("coverage", "reliance", "gaps", "alternatives"):
        assert f"## chainrisk {command}" in text
