"""Altair charts: Vega-Lite drawn by Streamlit's own bundled frontend, nothing fetched.

Node-link drawings are layers over positions in px from :mod:`chainrisk.ui.layout`
(links as rules, nodes as points carrying a click selection named ``pick``, names as
text, one row per line), drawn at their own size so that the measured labels neither
overlap nor run under a marker; drag pans and the wheel zooms. Colours and shapes are
fixed by a meaning's key (a status, role, kind or country id), never by its translated
name: scales take the keys as domain and only the legend's labels are translated.
"""

from __future__ import annotations

import colorsys
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from chainrisk.ui import layout
from chainrisk.ui.i18n import Tr

AnyChart = alt.Chart | alt.LayerChart | alt.FacetChart

STATUS_COLOURS = {
    "high": "#d7301f",
    "moderate": "#f5a742",
    "unconcentrated": "#4daf4a",
    "no_data": "#bdbdbd",
}
ROLE_COLOURS = {
    "root": "#1f4e79",
    "spof": "#b2182b",
    "stops": "#7b3294",
    "other": "#8fa9c4",
}
BAND_COLOURS = {
    "high": "#d7301f",
    "moderate": "#f5a742",
    "unconcentrated": "#4daf4a",
}
LOSS_COLOURS = {"stops": "#b2182b", "partial": "#f5a742"}
# chain map: is the component one of the chain's end products; explorer: node kind
PRODUCT_SHAPES = {"input": "circle", "end_product": "diamond"}
KIND_SHAPES = {"component": "circle", "firm": "square"}
RING_COLOUR = "#111111"
LINK_COLOUR = "#8a96a3"
HEADER_COLOUR = "#1f4e79"
LABEL_COLOUR = "#222222"
# A country keeps its colour on every chart (keys: ISO codes as in region ids).
COUNTRY_COLOURS = {
    "CN": "#d62728", "US": "#1f77b4", "JP": "#ff7f0e", "TW": "#2ca02c", "KR": "#17becf",
    "NL": "#e6b400", "DE": "#8c564b", "GB": "#9467bd", "FR": "#6b8fd6", "CH": "#e377c2",
    "SG": "#bcbd22", "IT": "#55a868", "AT": "#ff9896", "IE": "#98df8a", "UA": "#c49c94",
    "HK": "#f2a0a1", "IL": "#3b5ba5", "IN": "#dbdb8d", "MY": "#9edae5", "VN": "#ffbb78",
    "TH": "#637939", "PH": "#a55194", "BE": "#393b79", "SE": "#7b9fbf", "FI": "#843c39",
    "CA": "#ad494a", "MX": "#8ca252", "BR": "#5254a3", "AU": "#b5cf6b", "RU": "#6b6ecf",
}
OTHER_COLOUR = "#bdbdbd"
OTHER = "_other"  # key of the "other countries" group
NO_COUNTRY = "_none"  # key of nodes without a country (components in the explorer)
PICK = "pick"


def country_colour(region_id: str) -> str:
    """Return the colour of a country on every chart: ``region:CN`` or ``CN`` alike.

    The common countries have fixed colours; any other gets a muted colour derived
    from its code, the same on every run.

    >>> country_colour("region:CN"), country_colour("CN"), country_colour("region:US")
    ('#d62728', '#d62728', '#1f77b4')
    >>> country_colour("region:ZZ") == country_colour("ZZ")
    True
    """
    code = region_id.split(":", 1)[-1].upper()
    if code in COUNTRY_COLOURS:
        return COUNTRY_COLOURS[code]
    if code in (OTHER.upper(), NO_COUNTRY.upper(), ""):
        return OTHER_COLOUR
    hue = int(hashlib.sha1(code.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    r, g, b = colorsys.hls_to_rgb(hue, 0.55, 0.45)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def label_expr(labels: Mapping[str, str]) -> str:
    """Return a Vega expression writing a legend entry's translated label from its key.

    >>> label_expr({"a": "甲"})
    'datum.label === "a" ? "甲" : datum.label'
    """
    expr = "datum.label"
    for key, text in reversed(list(labels.items())):
        expr = (f"datum.label === {json.dumps(key, ensure_ascii=False)} ? "
                f"{json.dumps(text, ensure_ascii=False)} : {expr}")
    return expr


def _legend(title: str, labels: Mapping[str, str], **extra: Any) -> alt.Legend:
    options: dict[str, Any] = {"orient": "top", "labelLimit": 400, "direction": "vertical",
                               **extra}
    return alt.Legend(title=title, labelExpr=label_expr(labels), **options)


def keyed_scale(colours: Mapping[str, str], keys: Sequence[str] | None = None) -> alt.Scale:
    """Return a scale from meaning keys (default: all of ``colours``) to their colours."""
    domain = list(keys) if keys is not None else list(colours)
    return alt.Scale(domain=domain, range=[colours[k] for k in domain])


def place(nodes: pd.DataFrame, *, labels: bool = True, group_field: str | None = None,
          group_labels: Mapping[str, str] | None = None, detail_field: str | None = None,
          measure: layout.TextMeasure | None = None) -> layout.Drawing:
    """Return the px layout of ``nodes`` (id, name, x = column, y = row) for :func:`network`."""
    items = [
        layout.Item(id=str(r["id"]), column=float(r["x"]), row=float(r["y"]),
                    name=str(r["name"]),
                    detail=str(r[detail_field]) if detail_field and r[detail_field] else "",
                    group=str(r[group_field]) if group_field else "")
        for r in nodes.to_dict("records")
    ]
    return layout.arrange(items, labels=labels, measure=measure,
                          headers=dict(group_labels) if group_labels else None)


def network(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    drawing: layout.Drawing,
    *,
    colour_field: str,
    colour_scale: alt.Scale,
    colour_labels: Mapping[str, str],
    legend_title: str,
    tooltip: Sequence[tuple[str, str]],
    shape_field: str | None = None,
    shapes: Mapping[str, str] | None = None,
    shape_labels: Mapping[str, str] | None = None,
    shape_title: str = "",
    ring_field: str | None = None,
    ring_label: str = "",
) -> alt.LayerChart:
    """Return a node-link chart of ``nodes`` and ``edges`` (source, target) as ``drawing``
    places them.

    ``colour_field`` and ``shape_field`` hold meaning keys, drawn by ``colour_scale``
    and ``shapes`` and named in the legends by ``colour_labels`` and ``shape_labels``;
    ``tooltip`` lists (column, title) pairs; nodes where the boolean ``ring_field``
    holds get a dark ring, named ``ring_label``. A click on a node selects its ``id``
    in the selection named ``pick``; drag pans, the wheel zooms.
    """
    spots = drawing.spots
    nodes = nodes.assign(
        x=[spots[i].x for i in nodes["id"]], y=[spots[i].y for i in nodes["id"]]
    )
    links = edges.assign(
        x=[spots[i].x for i in edges["source"]], y=[spots[i].y for i in edges["source"]],
        x2=[spots[i].x for i in edges["target"]], y2=[spots[i].y for i in edges["target"]],
    )[["source", "target", "x", "y", "x2", "y2"]]
    x_scale = alt.Scale(domain=[0, drawing.width], nice=False, zero=False)
    y_scale = alt.Scale(domain=[0, drawing.height], reverse=True, nice=False, zero=False)
    x = alt.X("x:Q", axis=None, scale=x_scale)
    y = alt.Y("y:Q", axis=None, scale=y_scale)
    pick = alt.selection_point(fields=["id"], name=PICK, on="click")
    zoom = alt.selection_interval(bind="scales")
    tips = [alt.Tooltip(f"{c}:N", title=t) for c, t in tooltip]
    layers: list[alt.Chart] = [
        alt.Chart(links).mark_rule(color=LINK_COLOUR, opacity=0.35, strokeWidth=1).encode(
            x=x, y=y, x2="x2:Q", y2="y2:Q"
        )
    ]
    if ring_field:
        ringed = nodes[nodes[ring_field].astype(bool)].assign(ring="ring")
        layers.append(alt.Chart(ringed).mark_point(
            filled=False, size=layout.RING_AREA, strokeWidth=layout.RING_STROKE, opacity=1
        ).encode(x=x, y=y, stroke=alt.Stroke(
            "ring:N", scale=alt.Scale(domain=["ring"], range=[RING_COLOUR]),
            legend=_legend(" ", {"ring": ring_label}, symbolType="circle",
                           symbolFillColor="white", symbolStrokeWidth=2.4),
        )))
    encoding: dict[str, Any] = {
        "x": x,
        "y": y,
        "color": alt.Color(f"{colour_field}:N", scale=colour_scale,
                           legend=_legend(legend_title, colour_labels,
                                          **({"columns": 3} if len(colour_labels) > 6 else {}))),
        "tooltip": tips,
        "opacity": alt.condition(pick, alt.value(1.0), alt.value(0.85)),
        "size": alt.condition(pick, alt.value(layout.PICKED_AREA), alt.value(layout.POINT_AREA)),
    }
    if shape_field and shapes:
        encoding["shape"] = alt.Shape(
            f"{shape_field}:N", scale=alt.Scale(domain=list(shapes), range=list(shapes.values())),
            legend=_legend(shape_title, shape_labels or {}),
        )
    layers.append(alt.Chart(nodes).mark_point(
        filled=True, stroke="#333", strokeWidth=0.6
    ).encode(**encoding).add_params(pick, zoom))
    rows = pd.DataFrame.from_records(drawing.text_rows(), columns=["id", "text", "x", "y"])
    if len(rows):
        rows = rows.merge(nodes[["id", *dict.fromkeys(c for c, _ in tooltip)]], on="id")
        layers.append(alt.Chart(rows).mark_text(
            align="left", baseline="middle", font=layout.FONT_FAMILY, fontSize=layout.FONT_SIZE,
            color=LABEL_COLOUR,
        ).encode(x=x, y=y, text="text:N", tooltip=tips))
    if drawing.headers:
        heads = pd.DataFrame.from_records(
            [{"text": h.text, "x": h.x, "y": h.y} for h in drawing.headers]
        )
        layers.append(alt.Chart(heads).mark_text(
            align="center", baseline="middle", font=layout.FONT_FAMILY,
            fontSize=layout.HEADER_SIZE, fontWeight="bold", color=HEADER_COLOUR,
        ).encode(x=x, y=y, text="text:N"))
    # "pad": the plot is exactly width × height and legends go around it (Streamlit's
    # default "fit" would shrink the plot by the legends' height and squeeze the rows)
    chart: alt.LayerChart = alt.layer(*layers).properties(
        width=drawing.width, height=drawing.height,
        autosize=alt.AutoSizeParams(type="pad", contains="padding"),
    ).configure_view(strokeWidth=0)
    return chart


STATUSES = ("high", "moderate", "unconcentrated", "no_data")
ROLES = ("root", "spof", "stops", "other")


def _pct(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:.0%}"


def chain_map_chart(nodes: pd.DataFrame, edges: pd.DataFrame, tr: Tr, *,
                    labels: bool = True, measure: layout.TextMeasure | None = None
                    ) -> tuple[alt.LayerChart, layout.Drawing]:
    """Return the chain map of ``frames.chain_map`` (nodes, links) and its layout."""
    stage_label = {s: tr.maybe(f"stage.{s}", s) for s in set(nodes["stage"])}
    nodes = nodes.assign(
        product=["end_product" if e else "input" for e in nodes["end_product"]],
        stage_label=[stage_label[s] for s in nodes["stage"]],
        status_label=[tr(f"status.{s}") for s in nodes["status"]],
        hhi_text=[f"{h:,.0f}" if h == h else "—" for h in nodes["hhi_country"]],
        top_text=[f"{c} {_pct(s)}" if c else "—"
                  for c, s in zip(nodes["top_country"], nodes["top_country_share"], strict=True)],
        spof_text=[tr("map.yes", n=n) if f else tr("map.no")
                   for f, n in zip(nodes["spof"], nodes["targets_stopped"], strict=True)],
    )
    drawing = place(nodes, labels=labels, group_field="stage", group_labels=stage_label,
                    detail_field="stage_label", measure=measure)
    chart = network(
        nodes, edges, drawing, colour_field="status", colour_scale=keyed_scale(STATUS_COLOURS),
        colour_labels={s: tr(f"status.{s}") for s in STATUSES}, legend_title=tr("map.legend"),
        tooltip=[("name", tr("col.component")), ("stage_label", tr("col.stage")),
                 ("status_label", tr("map.legend")), ("hhi_text", tr("col.hhi_country")),
                 ("top_text", tr("col.top_country")), ("spof_text", tr("map.ring"))],
        shape_field="product", shapes=PRODUCT_SHAPES,
        shape_labels={"input": tr("map.input"), "end_product": tr("map.end_product")},
        shape_title=tr("map.shape"), ring_field="spof", ring_label=tr("status.spof"),
    )
    return chart, drawing


def _tier_text(tr: Tr, t: int, up: str, down: str, root: str) -> str:
    return tr(up, n=-t) if t < 0 else tr(down, n=t) if t > 0 else tr(root)


def explorer_chart(nodes: pd.DataFrame, edges: pd.DataFrame, tr: Tr, *,
                   labels: bool = True, by_country: bool = False,
                   measure: layout.TextMeasure | None = None
                   ) -> tuple[alt.LayerChart, layout.Drawing]:
    """Return the explorer's tiered graph of ``frames.neighbourhood_frames`` and its layout.

    Colours show each node's relation to the root, or with ``by_country`` each firm's
    country (components grey).
    """
    nodes = nodes.assign(
        tier_key=[str(int(t)) for t in nodes["tier"]],
        kind_label=[tr(f"kind.{k}") for k in nodes["kind"]],
        role_label=[tr(f"role.{r}") for r in nodes["role"]],
        tier_label=[_tier_text(tr, int(t), "explorer.tier_up", "explorer.tier_down",
                               "explorer.tier_root") for t in nodes["tier"]],
        country_key=[c or NO_COUNTRY for c in nodes["country_id"]],
        detail=[w or tr(f"kind.{k}") for w, k in zip(nodes["where"], nodes["kind"], strict=True)],
    )
    heads = {str(int(t)): _tier_text(tr, int(t), "explorer.col_up", "explorer.col_down",
                                     "explorer.col_root") for t in set(nodes["tier"])}
    drawing = place(nodes, labels=labels, group_field="tier_key", group_labels=heads,
                    detail_field="detail", measure=measure)
    if by_country:
        counts = nodes.loc[nodes["country_id"] != "", "country_id"].value_counts()
        keys = sorted(counts.index, key=lambda k: (-int(counts[k]), k))
        keys += [NO_COUNTRY] if (nodes["country_id"] == "").any() else []
        names = dict(zip(nodes["country_key"], nodes["where"], strict=True))
        colour_labels = {k: names.get(k) or tr("explorer.no_country") for k in keys}
        colour_labels[NO_COUNTRY] = tr("explorer.no_country")
        colour_field, title = "country_key", tr("col.country")
        scale = keyed_scale({k: country_colour(k) for k in keys}, keys)
    else:
        colour_labels = {r: tr(f"role.{r}") for r in ROLES}
        colour_field, title = "role", tr("explorer.legend")
        scale = keyed_scale(ROLE_COLOURS)
    chart = network(
        nodes, edges, drawing, colour_field=colour_field, colour_scale=scale,
        colour_labels=colour_labels, legend_title=title,
        tooltip=[("name", tr("col.name")), ("kind_label", tr("col.kind")),
                 ("where", tr("col.country")), ("tier_label", tr("explorer.tier")),
                 ("role_label", tr("explorer.legend"))],
        shape_field="kind", shapes=KIND_SHAPES,
        shape_labels={k: tr(f"kind.{k}") for k in KIND_SHAPES}, shape_title=tr("col.kind"),
    )
    return chart, drawing


def country_stack(shares: pd.DataFrame, head: pd.DataFrame, *, title_x: str,
                  title_legend: str, other: str, hhi_label: str,
                  top_countries: int = 9) -> AnyChart:
    """Return stacked bars of each component's supply by country, its HHI written beside.

    ``head`` (id, name, hhi_country) orders the rows; countries beyond the
    ``top_countries`` largest over these rows are grouped as ``other``. Colours come
    from :func:`country_colour` of ``country_id``.
    """
    order = list(head["name"])
    rows = shares[shares["id"].isin(set(head["id"]))]
    totals = rows.groupby("country_id")["share"].sum().sort_values(ascending=False)
    keep = set(totals.index[:top_countries])
    names = dict(zip(rows["country_id"], rows["country"], strict=True))
    grouped = rows.assign(
        country_id=[c if c in keep else OTHER for c in rows["country_id"]],
        country=[n if c in keep else other for c, n in zip(rows["country_id"], rows["country"],
                                                           strict=True)],
    )
    data = grouped.groupby(["name", "country_id", "country"])["share"].sum().reset_index()
    keys = list(totals.index[:top_countries]) + ([OTHER] if OTHER in set(
        data["country_id"]) else [])
    labels = {k: names.get(k, other) if k != OTHER else other for k in keys}
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    bars = alt.Chart(data).mark_bar().encode(
        y=y,
        x=alt.X("share:Q", stack="zero", title=title_x, axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("country_id:N", sort=keys,
                        scale=keyed_scale({k: country_colour(k) for k in keys}, keys),
                        legend=alt.Legend(title=title_legend, orient="top", labelLimit=200,
                                          columns=6, labelExpr=label_expr(labels))),
        order=alt.Order("share:Q", sort="descending"),
        tooltip=[alt.Tooltip("name:N"), alt.Tooltip("country:N", title=title_legend),
                 alt.Tooltip("share:Q", format=".1%")],
    )
    hhi = head.assign(text=[f"{hhi_label} {h:,.0f}" for h in head["hhi_country"]])
    text = alt.Chart(hhi).mark_text(align="left", dx=6, fontSize=11, color="#333").encode(
        y=y, x=alt.datum(1.0), text="text:N"
    )
    chart: AnyChart = alt.layer(bars, text).properties(
        height=alt.Step(20), padding={"right": 90}
    )
    return chart


def share_bars(frame: pd.DataFrame, label: str, value: str, *, title_x: str,
               colour: str = "#1f4e79", fmt: str = "%", country_field: str | None = None
               ) -> alt.Chart:
    """Return horizontal bars of ``value`` per ``label``, largest first.

    With ``country_field`` (region ids) each bar has its country's colour.
    """
    extra: dict[str, Any] = {}
    if country_field:
        keys = list(dict.fromkeys(frame[country_field]))
        extra["color"] = alt.Color(f"{country_field}:N", legend=None, scale=keyed_scale(
            {k: country_colour(k) for k in keys}, keys))
    chart: alt.Chart = alt.Chart(frame).mark_bar(color=colour).encode(
        **extra,
        y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X(f"{value}:Q", title=title_x, axis=alt.Axis(format=fmt)),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format=f".1{fmt}"
                                                        if fmt == "%" else ",")],
    ).properties(height=alt.Step(20))
    return chart


def loss_bars(frame: pd.DataFrame, *, title_x: str, stops_label: str, partial_label: str,
              legend: str) -> alt.Chart:
    """Return horizontal bars of the output each target loses (0–100 %), stopped ones red."""
    data = frame[frame["loss"] > 1e-12]
    data = data.assign(state=["stops" if s else "partial" for s in data["stops"]],
                       state_label=[stops_label if s else partial_label for s in data["stops"]])
    states = {"stops": stops_label, "partial": partial_label}
    chart: alt.Chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("loss:Q", title=title_x, axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("state:N", scale=keyed_scale(LOSS_COLOURS),
                        legend=_legend(legend, states, labelLimit=300)),
        tooltip=[alt.Tooltip("name:N"), alt.Tooltip("state_label:N", title=legend),
                 alt.Tooltip("loss:Q", format=".1%"),
                 alt.Tooltip("after:Q", format=".1%")],
    ).properties(height=alt.Step(20))
    return chart


def compare_bars(frame: pd.DataFrame, *, title_x: str, legend: str) -> alt.Chart:
    """Return grouped bars: output lost per target (rows) and scenario (colours)."""
    scenarios = max(1, int(frame["scenario"].nunique()))
    chart: alt.Chart = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("name:N", title=None, axis=alt.Axis(labelLimit=260)),
        yOffset="scenario:N",
        x=alt.X("loss:Q", title=title_x, axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("scenario:N", legend=alt.Legend(title=legend, orient="top",
                                                        labelLimit=300)),
        tooltip=[alt.Tooltip("scenario:N"), alt.Tooltip("name:N"),
                 alt.Tooltip("loss:Q", format=".1%")],
    ).properties(height=alt.Step(max(20, 10 * scenarios + 6)))
    return chart
