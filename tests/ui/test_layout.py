"""Readable graphs: labels placed in px never collide, meanings keep one shape and colour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from chainrisk.ui import charts, frames, layout
from chainrisk.ui.i18n import Tr
from chainrisk.ui.neighbourhood import Adjacency, neighbourhood
from tests.ui.conftest import PAGES, AppFactory

LANGS = ("zh", "en")
ROOTS = ("component:ai-server", "firm:tsmc", "component:ai-accelerator", "firm:huawei")


@pytest.fixture(scope="module")
def service(sample_store: Path) -> RiskService:
    return RiskService(SqliteStore(sample_store))


@pytest.fixture(scope="module")
def adj(service: RiskService) -> Adjacency:
    return Adjacency.build(service.graph())


def _readable(drawing: layout.Drawing) -> None:
    assert layout.collisions(drawing) == []
    spots = list(drawing.spots.values())
    assert spots
    assert all(s.label is not None and s.lines for s in spots)
    for s in spots:  # every label starts right of its own marker, and inside the chart
        assert s.label is not None
        assert s.label.x0 >= s.marker.x1
        assert s.marker.x0 >= 0
        assert s.label.x1 <= drawing.width
        assert s.label.y0 >= 0
        assert s.label.y1 <= drawing.height


def _layer(spec: dict[str, Any], mark: str, field: str) -> dict[str, Any]:
    """Return the encoding channel ``field`` of the first layer drawing ``mark`` that has it."""
    for layer in spec["layer"]:
        kind = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        if kind == mark and field in layer.get("encoding", {}):
            channel: dict[str, Any] = layer["encoding"][field]
            return channel
    raise AssertionError(f"no {mark} layer encodes {field}")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("chain", ["ic", "5g"])
def test_chain_map_labels_never_collide(service: RiskService, chain: str, lang: str) -> None:
    nodes, edges = frames.chain_map(service, chain, lang)
    _chart, drawing = charts.chain_map_chart(nodes, edges, Tr(lang))
    _readable(drawing)
    assert set(drawing.spots) == set(nodes["id"])
    assert drawing.width <= layout.BUDGET
    # the two data-centre accelerators were both "Data-centre AI accele…"
    if chain == "ic" and lang == "en":
        shown = {i: " ".join(drawing.spots[i].lines) for i in drawing.spots}
        assert len({shown[i] for i in shown if "accelerator" in shown[i]}) >= 2


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("root", ROOTS)
def test_explorer_labels_never_collide(service: RiskService, adj: Adjacency, root: str,
                                       lang: str) -> None:
    g = service.graph()
    hood = neighbourhood(adj, g.index[root], up=2, down=2)
    nodes, edges = frames.neighbourhood_frames(service, adj, hood, lang)
    for by_country in (False, True):
        _chart, drawing = charts.explorer_chart(nodes, edges, Tr(lang), by_country=by_country)
        _readable(drawing)
        assert len(drawing.headers) == nodes["tier"].nunique()


def test_collisions_are_found() -> None:
    m = layout.TextMeasure(10, files=())
    a = layout.Spot("a", 10, 10, ("Wafer",), layout.Box(5, 5, 15, 15), layout.Box(18, 4, 60, 16))
    b = layout.Spot("b", 40, 12, ("Wafer",), layout.Box(35, 7, 45, 17), layout.Box(48, 6, 90, 18))
    found = layout.collisions(layout.Drawing(100, 40, {"a": a, "b": b}))
    assert ("a", "b") in found  # the labels overlap, and read the same
    assert ("a", "marker b") in found  # a's label runs under b's marker
    placed = layout.arrange([layout.Item("a", 0, 0, "Wafer"), layout.Item("b", 0, 1, "Wafer")],
                            measure=m)
    assert [s.lines for s in placed.spots.values()] == [("Wafer · a",), ("Wafer · b",)]


def test_same_names_are_told_apart_by_detail_then_id() -> None:
    m = layout.TextMeasure(10, files=())
    items = [layout.Item("firm:x1", 0, 0, "Acme", "Japan"),
             layout.Item("firm:x2", 0, 1, "Acme", "China"),
             layout.Item("firm:x3", 1, 0, "Acme", "China")]
    lines = layout.distinct_labels(items, {i.id: 200.0 for i in items}, m)
    assert lines == {"firm:x1": ("Acme · Japan",), "firm:x2": ("Acme · China · x2",),
                     "firm:x3": ("Acme · China · x3",)}
    # a cut label that reads like another is shown whole
    long = [layout.Item("a", 0, 0, "Data-centre AI accelerator / GPU (5 nm and below)"),
            layout.Item("b", 0, 1, "Data-centre AI accelerator (7 nm-class)")]
    cut = layout.distinct_labels(long, {"a": 60.0, "b": 60.0}, m, max_lines=1)
    assert cut["a"][-1].endswith("below)")
    assert cut["b"][-1].endswith("class)")


def test_wrapping_keeps_to_the_width() -> None:
    m = layout.TextMeasure(10, files=())
    lines, cut = layout.wrap("先进制程逻辑晶圆代工（7纳米及以下）", 40, m)
    assert cut
    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(m.width(line) <= 40 for line in lines)
    assert not any(line.startswith(("）", "、")) for line in lines)
    lines, _ = layout.wrap("Microcontrollers (MCU)", 60, m)  # a word wider than a line
    assert lines == ("Microcon-", "trollers", "(MCU)")  # 6.2 px a letter
    lines, cut = layout.wrap("Chip packaging and test (OSAT)", 1000, m)
    assert lines == ("Chip packaging and test (OSAT)",)
    assert not cut


def test_measured_widths_use_the_font_or_the_table() -> None:
    table = layout.TextMeasure(11, files=())
    assert table.width("中国") == 22.0
    assert table.width("ab") == pytest.approx(2 * 0.62 * 11)
    real = layout.TextMeasure(11)
    if Path(layout.LATIN_FILES[0]).is_file():  # DejaVu Sans: 'i' narrower than 'W'
        assert real.width("i") < real.width("W")
    if Path(layout.CJK_FILES[0]).is_file():
        assert real.width("中") == pytest.approx(11, abs=0.5)


def test_end_product_keeps_its_shape_and_status_its_colour_in_both_languages(
    service: RiskService, adj: Adjacency
) -> None:
    shapes, colours, kinds, roles = {}, {}, {}, {}
    for lang in LANGS:
        nodes, edges = frames.chain_map(service, "ic", lang)
        spec = charts.chain_map_chart(nodes, edges, Tr(lang))[0].to_dict()
        shape = _layer(spec, "point", "shape")
        shapes[lang] = dict(zip(shape["scale"]["domain"], shape["scale"]["range"], strict=True))
        colour = _layer(spec, "point", "color")
        colours[lang] = dict(zip(colour["scale"]["domain"], colour["scale"]["range"],
                                 strict=True))
        assert Tr(lang)("map.end_product") in shape["legend"]["labelExpr"]
        g = service.graph()
        hood = neighbourhood(adj, g.index["firm:tsmc"], up=1, down=1)
        n2, e2 = frames.neighbourhood_frames(service, adj, hood, lang)
        spec2 = charts.explorer_chart(n2, e2, Tr(lang))[0].to_dict()
        kind = _layer(spec2, "point", "shape")
        kinds[lang] = dict(zip(kind["scale"]["domain"], kind["scale"]["range"], strict=True))
        role = _layer(spec2, "point", "color")
        roles[lang] = dict(zip(role["scale"]["domain"], role["scale"]["range"], strict=True))
    assert shapes["zh"] == shapes["en"] == charts.PRODUCT_SHAPES
    assert shapes["en"]["end_product"] != shapes["en"]["input"]
    assert colours["zh"] == colours["en"] == charts.STATUS_COLOURS
    assert kinds["zh"] == kinds["en"] == {"component": "circle", "firm": "square"}
    assert roles["zh"] == roles["en"] == charts.ROLE_COLOURS


def _colour_of(spec: dict[str, Any], key: str) -> str:
    layers = spec.get("layer", [spec])
    for layer in layers:
        scale = layer.get("encoding", {}).get("color", {}).get("scale", {})
        if key in scale.get("domain", []):
            colour: str = scale["range"][scale["domain"].index(key)]
            return colour
    raise AssertionError(f"{key} is not in the chart's colour domain")


@pytest.mark.parametrize("lang", LANGS)
def test_a_country_keeps_its_colour_on_every_chart(service: RiskService, adj: Adjacency,
                                                   lang: str) -> None:
    tr = Tr(lang)
    conc = frames.concentration_frame(service, "ic", lang)
    shares = frames.country_shares(service, "ic", lang)
    stack = charts.country_stack(shares, conc.head(60), title_x="", title_legend="",
                                 other=tr("conc.other"), hhi_label="HHI").to_dict()
    countries = frames.country_frame(service, "ic", lang)
    bars = charts.share_bars(countries, "country", "supply_share", title_x="",
                             country_field="country_id").to_dict()
    view = frames.component_view(service, "ic", "component:ion-implanter", lang)
    panel = charts.share_bars(view.countries, "country", "share", title_x="",
                              country_field="country_id").to_dict()
    g = service.graph()
    hood = neighbourhood(adj, g.index["component:ai-server"], up=3, down=0)
    nodes, edges = frames.neighbourhood_frames(service, adj, hood, lang)
    explorer = charts.explorer_chart(nodes, edges, tr, by_country=True)[0].to_dict()
    china = charts.country_colour("region:CN")
    for spec in (stack, bars, panel, explorer):
        assert _colour_of(spec, "region:CN") == china
    assert _colour_of(stack, "region:US") == _colour_of(explorer, "region:US")
    assert charts.country_colour("region:US") != china
    # the legend shows the country's name in the language, the scale keeps the key
    assert frames.name_by_id(g, "region:CN", lang) in str(stack)


def test_country_colours_are_fixed_and_distinct() -> None:
    table = charts.COUNTRY_COLOURS
    assert len(set(table.values())) == len(table)
    assert charts.country_colour("region:XX") == charts.country_colour("XX")
    assert charts.country_colour("region:XX").startswith("#")
    assert charts.OTHER_COLOUR not in table.values()


def test_graph_charts_pan_and_zoom_and_show_everything(service: RiskService) -> None:
    nodes, edges = frames.chain_map(service, "ic", "en")
    chart, drawing = charts.chain_map_chart(nodes, edges, Tr("en"))
    spec = chart.to_dict()
    params = spec.get("params", []) + [p for layer in spec["layer"]
                                       for p in layer.get("params", [])]
    assert any(p.get("bind") == "scales" for p in params)
    assert any(p.get("name") == charts.PICK for p in params)
    x = _layer(spec, "point", "x")["scale"]["domain"]
    assert x == [0, drawing.width]
    assert spec["width"] == drawing.width
    right = max(s.label.x1 for s in drawing.spots.values() if s.label)
    assert right <= drawing.width


def _specs(at: Any) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


@pytest.mark.parametrize("lang", LANGS)
def test_the_pages_draw_the_same_meanings_the_same_way(make_app: AppFactory, lang: str
                                                       ) -> None:
    at = make_app(lang=lang)
    at.switch_page(PAGES["chain-map"]).run()
    assert not at.exception, [e.value for e in at.exception]
    graph, *panel = _specs(at)
    shape = _layer(graph, "point", "shape")["scale"]
    assert dict(zip(shape["domain"], shape["range"], strict=True)) == charts.PRODUCT_SHAPES
    assert graph["width"] <= layout.BUDGET  # drawn at the size its labels were placed for
    assert graph["autosize"]["type"] == "pad"  # legends do not shrink the plot
    us = charts.country_colour("region:US")  # the picked ion implanter is made in the US
    assert any(_colour_of(spec, "region:US") == us for spec in panel)
    at.switch_page(PAGES["explorer"]).run()
    at.session_state["explorer_colour"] = "country"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    explorer = _specs(at)[0]
    assert _colour_of(explorer, "region:CN") == charts.country_colour("region:CN")
    kind = _layer(explorer, "point", "shape")["scale"]
    assert dict(zip(kind["domain"], kind["range"], strict=True)) == charts.KIND_SHAPES
