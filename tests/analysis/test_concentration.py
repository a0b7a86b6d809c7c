"""Concentration figures on a hand-checked component."""

from __future__ import annotations

from typing import Any

import pytest

from chainrisk.analysis.concentration import band, concentration
from chainrisk.graph import DependencyGraph

TABLES: dict[str, list[dict[str, Any]]] = {
    "regions": [
        {"id": "CN", "level": "country"}, {"id": "JP", "level": "country"},
        {"id": "US", "level": "country"},
        {"id": "CN-GD", "level": "province", "parent": "CN"},
        {"id": "CN-JS", "level": "province", "parent": "CN"},
        {"id": "CN-GD-SZ", "level": "city", "parent": "CN-GD"},
    ],
    "firms": [
        {"id": "a", "region": "JP"}, {"id": "b", "region": "CN-JS"},
        {"id": "c", "region": "US"}, {"id": "d", "region": "JP"},
    ],
    "components": [{"id": "x"}, {"id": "nobody-makes-me"}],
    "produces": [
        # a is Japanese but makes x at a site in Shenzhen: the site counts, not the HQ
        {"firm": "a", "component": "x", "share": 0.5, "site_region": "CN-GD-SZ"},
        {"firm": "b", "component": "x", "share": 0.2},
        {"firm": "c", "component": "x", "share": 0.1},
        {"firm": "d", "component": "x"},  # missing: takes the remainder 0.2
    ],
}


def test_hand_checked_component() -> None:
    result = concentration(DependencyGraph.from_tables(TABLES))
    row = result.row("component:x")
    assert row.hhi_firm == pytest.approx(2500 + 400 + 100 + 400)
    assert row.hhi_country == pytest.approx(4900 + 400 + 100)
    assert row.hhi_province == pytest.approx((100 * 5 / 7) ** 2 + (100 * 2 / 7) ** 2)
    assert row.top_producer == "firm:a"
    assert row.top_share == pytest.approx(0.5)
    assert row.cr3 == pytest.approx(0.9)
    assert row.top_country == "region:CN"
    assert row.top_country_share == pytest.approx(0.7)
    assert row.countries_to_75 == 2
    assert row.region_over_65 is True
    assert row.foreign_share == pytest.approx(0.3)
    assert row.share_confidence == pytest.approx(0.8)
    assert (row.n_producers, row.n_countries) == (4, 3)
    assert row.band == "high"
    assert result.without_producers == ("component:nobody-makes-me",)
    frame = result.to_frame()
    assert frame.loc[0, "countries"] == "CN 70%; JP 20%; US 10%"


def test_bands() -> None:
    assert [band(x) for x in (0, 1499.9, 1500, 2500, 2500.1)] == [
        "unconcentrated", "unconcentrated", "moderate", "moderate", "high"
    ]


def test_no_domestic_production_has_no_province_figure() -> None:
    tables = {**TABLES, "produces": [{"firm": "c", "component": "x"}]}
    row = concentration(DependencyGraph.from_tables(tables)).row("component:x")
    assert row.hhi_province is None
    assert row.foreign_share == 1.0
    assert row.share_confidence == 0.0
