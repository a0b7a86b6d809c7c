"""The sample chains shipped in loaders/bundles: valid, rich enough, consistent together."""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from chainrisk.ingest.bundle import read_bundle
from chainrisk.ingest.load import load_bundle
from chainrisk.schema import TABLE_ORDER, TABLES
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import BUNDLES

NAMES = ["ic", "5g"]


def rows(bundle: str, table: str) -> list[dict[str, str]]:
    path = BUNDLES / bundle / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("bundle", NAMES)
def test_bundle_is_clean(bundle: str) -> None:
    with read_bundle(BUNDLES / bundle) as staged:
        report = staged.report
        assert report.ok, report.to_text()
        assert report.problems == [], report.to_text()


@pytest.mark.parametrize("bundle", NAMES)
def test_bundle_is_rich_enough(bundle: str) -> None:
    firms = rows(bundle, "firms")
    components = rows(bundle, "components")
    assert len(firms) >= 80
    assert len(components) >= 50
    assert len(rows(bundle, "produces")) + len(rows(bundle, "supplies")) >= 300
    assert all(c["name_zh"] for c in components), "every component has a Chinese name"
    regions = {r["id"]: r for r in rows(bundle, "regions")}

    def country(region: str) -> str:
        while regions[region]["parent"]:
            region = regions[region]["parent"]
        return region

    chinese = [f for f in firms if country(f["region"]) == "CN"]
    assert all(f["name_zh"] for f in chinese), "every Chinese firm has a Chinese name"
    guangdong = [f for f in chinese if f["region"].startswith("CN-GD")]
    assert len(guangdong) >= 10
    or_groups = {(r["product"], r["group"]) for r in rows(bundle, "requires") if r["group"]}
    assert len(or_groups) >= 8
    assert any(r["site_region"] for r in rows(bundle, "produces"))
    assert any(c["end_product"] == "true" for c in components)


@pytest.mark.parametrize("bundle", NAMES)
def test_bundle_cites_its_sources(bundle: str) -> None:
    meta = tomllib.loads((BUNDLES / bundle / "bundle.toml").read_text(encoding="utf-8"))
    assert meta["name"] == bundle
    assert "approximate" in meta["note"]
    assert "illustration" in meta["note"]
    sources = meta["sources"]
    assert len(sources) >= 5
    cited = {r["source"] for t in ("produces", "supplies") for r in rows(bundle, t)}
    assert cited - {""} <= {s["id"] for s in sources}


def test_ic_chain_has_real_chokepoints_and_diversified_inputs() -> None:
    produces = rows("ic", "produces")
    makers = Counter(r["component"] for r in produces)
    assert [r["firm"] for r in produces if r["component"] == "euv-scanner"] == ["asml"]
    assert makers["osat-packaging-test"] >= 5
    requires = rows("ic", "requires")
    litho = {r["input"] for r in requires
             if r["product"] == "foundry-advanced-logic" and r["group"] == "litho"}
    assert {"euv-scanner", "duv-immersion-scanner"} <= litho
    assert any(r["product"] == "foundry-leading-edge" and r["input"] == "euv-scanner"
               and not r["group"] for r in requires)


def test_shared_rows_are_identical_in_both_bundles() -> None:
    for table in TABLE_ORDER:
        key = TABLES[table].key
        ic = {tuple(r[k] for k in key): r for r in rows("ic", table)}
        g5 = {tuple(r[k] for k in key): r for r in rows("5g", table)}
        for shared in ic.keys() & g5.keys():
            assert ic[shared] == g5[shared], (table, shared)


@pytest.mark.parametrize("order", [NAMES, NAMES[::-1]])
def test_loading_both_in_any_order_overwrites_nothing(tmp_path: Path, order: list[str]) -> None:
    store = SqliteStore(tmp_path / "s.db")
    load_bundle(store, BUNDLES / order[0])
    second = load_bundle(store, BUNDLES / order[1])
    assert all(c.updated == 0 for c in second.counts.values())
    assert {c["id"] for c in store.info().chains} == {"ic", "5g"}
    store.close()
