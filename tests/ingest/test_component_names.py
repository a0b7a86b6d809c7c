"""Component names as supplier lists write them: resolved when exact, else suggested by token.

The cases come from the sample bundles: 400G光模块 must never be taken for the 100G
transceiver, "GaN power amplifier" and 基带芯片 must point at rf-pa-gan and baseband-soc,
and a generic word inside a name (设备 in 刻蚀设备) is not a near match.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.names import COMPONENT_SUGGEST_SCORE, ComponentIndex
from chainrisk.ingest.suppliers import import_suppliers
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import BUNDLES, TINY, write_bundle

HEADER = ["供应商名称", "采购物料", "采购占比"]


@pytest.fixture(scope="module")
def index() -> ComponentIndex:
    """Return the components of both sample bundles, plus a generic 设备 (equipment)."""
    found = ComponentIndex()
    for bundle in ("ic", "5g"):
        with (BUNDLES / bundle / "components.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                found.add(row["id"], [row["name"], row["name_zh"]])
    found.add("equipment", ["Equipment", "设备"])
    return found


@pytest.fixture
def chains(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "chains.db")
    load_bundle(store, BUNDLES / "ic")
    load_bundle(store, BUNDLES / "5g")
    return store


def write_list(path: Path, components: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows([f"供应商{i}", c, "10%"] for i, c in enumerate(components))
    return path


def suggested(report_suggestions: list[tuple[str, str, str, float]], written: str) -> list[str]:
    return [ident for w, kind, ident, _ in report_suggestions
            if w == written and kind == "component"]


# ----------------------------------------------------------------- the index alone


def test_400g_module_is_the_400g_transceiver_never_the_100g_one(index: ComponentIndex) -> None:
    assert [i for i, _ in index.near("400G光模块")] == ["optical-transceiver-400g"]
    assert index.score("400G光模块", "optical-transceiver-400g") >= 85
    # the differing size counts strongly against: far below the cutoff
    assert index.score("400G光模块", "optical-transceiver-100g") < 40
    assert index.score("400G transceiver", "optical-transceiver-100g") < 40
    assert index.near("400G transceiver")[0][0] == "optical-transceiver-400g"
    # and the other way round
    assert index.near("100G光模块")[0] == ("optical-transceiver-100g", 100.0)
    assert "optical-transceiver-400g" not in [i for i, _ in index.near("100G光模块")]


@pytest.mark.parametrize(("written", "expected"), [
    ("GaN power amplifier", "rf-pa-gan"),
    ("GaN PA", "rf-pa-gan"),
    ("氮化镓功放", "rf-pa-gan"),
    ("基带芯片", "baseband-soc"),
    ("刻蚀设备", "etch-equipment"),
    ("12英寸刻蚀设备", "etch-equipment"),  # a size the known name does not state
    ("12寸硅片", "silicon-wafer-300mm"),
    ("8英寸硅片", "silicon-wafer-200mm"),
    ("7 nm AI芯片", "ai-accelerator-7nm"),
    ("高频覆铜板", "hf-ccl"),
    ("FPGA芯片", "fpga"),
])
def test_best_near_match(index: ComponentIndex, written: str, expected: str) -> None:
    assert index.near(written)[0][0] == expected


@pytest.mark.parametrize(("written", "not_this"), [
    ("8英寸硅片", "silicon-wafer-300mm"),
    ("12英寸硅片", "silicon-wafer-200mm"),
    ("7nm AI芯片", "ai-accelerator"),  # 5 nm and below
    ("GaN power amplifier", "ldmos-pa"),
    ("基带芯片", "bbu"),
])
def test_distinguishing_tokens_win(index: ComponentIndex, written: str, not_this: str) -> None:
    assert index.score(written, not_this) < COMPONENT_SUGGEST_SCORE
    assert not_this not in [i for i, _ in index.near(written)]


def test_generic_sub_part_is_not_a_near_match(index: ComponentIndex) -> None:
    # 设备 is the whole of a known name, but only the generic half of 刻蚀设备
    assert index.score("刻蚀设备", "equipment") < 50
    assert "equipment" not in [i for i, _ in index.near("刻蚀设备", limit=10)]
    assert index.score("刻蚀设备", "etch-equipment") >= 80


def test_each_component_is_suggested_once(index: ComponentIndex) -> None:
    # name, Chinese name and id all match: still one entry, with the best score
    found = index.near("GaN RF power amplifier", limit=10)
    ids = [i for i, _ in found]
    assert ids[0] == "rf-pa-gan"
    assert len(ids) == len(set(ids))
    twice = ComponentIndex([("x", ["Alpha beta", "alpha beta"]), ("x", ["ALPHA BETA"])])
    assert twice.near("alpha beta gamma", cutoff=0) == [("x", twice.score("alpha beta gamma",
                                                                           "x"))]
    assert len(twice) == 1


def test_scores_are_ordered_and_limited(index: ComponentIndex) -> None:
    found = index.near("光模块", limit=2)
    assert len(found) == 2
    assert found[0][1] >= found[1][1] >= COMPONENT_SUGGEST_SCORE
    assert index.near("") == []
    assert index.near("——") == []
    assert index.score("400G光模块", "no-such-component") == 0.0


# ----------------------------------------------------------------- the importer


def test_import_resolves_exact_names_and_suggests_near_ones(
    chains: SqliteStore, tmp_path: Path
) -> None:
    path = write_list(tmp_path / "list.csv", [
        "400G光模块", "GaN power amplifier", "基带芯片", "400G/800G光模块", "100G光模块",
        "刻蚀设备",
    ])
    report = import_suppliers(chains, [path], buyer="huawei")
    created = {name: ident for ident, name in report.created["components"]}
    # exact on a normalised name or Chinese name: resolved, not created
    assert "400G/800G光模块" not in created
    assert "100G光模块" not in created
    assert set(created) == {"400G光模块", "GaN power amplifier", "基带芯片", "刻蚀设备"}
    s = report.suggestions
    assert suggested(s, "400G光模块") == ["optical-transceiver-400g"]
    assert suggested(s, "GaN power amplifier") == ["rf-pa-gan"]
    assert suggested(s, "基带芯片")[0] == "baseband-soc"
    assert suggested(s, "刻蚀设备")[0] == "etch-equipment"
    assert not any(i == "optical-transceiver-100g" for _, _, i, _ in s)
    # never merged silently: the new components are what the rows point at
    rows = {r["component"] for r in chains.iter_rows("supplies") if r["buyer"] == "huawei"}
    assert {created["400G光模块"], "optical-transceiver-400g",
            "optical-transceiver-100g"} <= rows
    assert "400G光模块" in report.to_text()
    assert "optical-transceiver-400g" in report.to_text()


def test_suggestions_are_unique_per_target(chains: SqliteStore, tmp_path: Path) -> None:
    path = write_list(tmp_path / "list.csv", [
        "GaN RF power amplifier", "光模块", "光刻胶",
        "Sumitomo Electric Device",
    ])
    with path.open("a", encoding="utf-8", newline="") as handle:
        # a firm whose name and Chinese name are both near the written one
        csv.writer(handle).writerow(["住友电工 Sumitomo Electric Co", "光刻胶", "5%"])
    report = import_suppliers(chains, [path], buyer="huawei")
    pairs = [(w, k, i) for w, k, i, _ in report.suggestions]
    assert pairs, "expected some suggestions"
    assert len(pairs) == len(set(pairs))
    # its alias 住友电工 and its name both match: one suggestion, not two
    assert [i for w, k, i in pairs if w == "住友电工 Sumitomo Electric Co"] == [
        "sumitomo-electric"
    ]
    assert suggested(report.suggestions, "GaN RF power amplifier")[0] == "rf-pa-gan"
    assert len(suggested(report.suggestions, "光模块")) == 3  # the limit, each once


def test_generic_known_component_is_not_suggested(store: SqliteStore, tmp_path: Path) -> None:
    components = TINY["components.csv"] + (
        "equipment,Equipment,设备,phone,upstream,equipment,false\n"
        "etch,Plasma etch equipment,等离子体刻蚀设备,phone,upstream,equipment,false\n"
    )
    load_bundle(store, write_bundle(tmp_path / "b", {"components.csv": components}))
    path = write_list(tmp_path / "list.csv", ["刻蚀设备"])
    report = import_suppliers(store, [path], buyer="phoneco")
    assert [n for _, n in report.created["components"]] == ["刻蚀设备"]
    assert suggested(report.suggestions, "刻蚀设备") == ["etch"]


def test_component_aliases_resolve_and_suggest(store: SqliteStore, tmp_path: Path) -> None:
    components = (
        "id,name,name_zh,chains,stage,category,end_product,aliases\n"
        "euv,EUV scanner,极紫外光刻机,phone,upstream,equipment,false,EUV光刻机;NXE scanner\n"
        "duv,DUV scanner,深紫外光刻机,phone,upstream,equipment,false,\n"
        "chip,Chip,芯片,phone,midstream,chip,false,\n"
        "phone,Phone,手机,phone,downstream,device,true,\n"
    )
    load_bundle(store, write_bundle(tmp_path / "b", {"components.csv": components}))
    path = write_list(tmp_path / "list.csv", ["EUV光刻机", "NXE scanners"])
    report = import_suppliers(store, [path], buyer="phoneco")
    rows = {r["supplier"]: r["component"] for r in store.iter_rows("supplies")
            if r["buyer"] == "phoneco"}
    by_name = {r["name"]: r["id"] for r in store.iter_rows("firms")}
    assert rows[by_name["供应商0"]] == "euv"  # exact on an alias
    assert [n for _, n in report.created["components"]] == ["NXE scanners"]
    assert suggested(report.suggestions, "NXE scanners") == ["euv"]  # near an alias
