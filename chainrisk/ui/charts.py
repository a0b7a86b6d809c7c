"""Altair charts: Vega-Lite drawn by Streamlit's own bundled frontend, nothing fetched.

Node-link drawings are three layers over precomputed positions (frames.py,
neighbourhood.py): links as rules, nodes as points carrying a click selection named
``pick``, and names as text. Legends and axis titles come translated from the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

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
PICK = "pick"
LABEL_CHARS = 22
ROW_PX = 19


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend_scale(labels: Mapping[str, str], colours: Mapping[str, str]) -> alt.Scale:
    keys = [k for k in colours if k in labels]
    return alt.Scale(domain=[labels[k] for k in keys], range=[colours[k] for k in keys])


def network(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    colour_field: str,
    colour_labels: Mapping[str, str],
    colours: Mapping[str, str],
    legend_title: str,
    tooltip: Sequence[tuple[str, str]],
    headers: pd.DataFrame | None = None,
    labels: bool = True,
    shape_field: str | None = None,
    shape_title: str = "",
    ring_field: str | None = None,
    ring_label: str = "",
    height: int | None = None,
) -> alt.LayerChart:
    """Return a node-link chart of ``nodes`` (x, y, id, name, colour field) and ``edges``.

    ``tooltip`` lists (column, title) pairs; ``headers`` (x, y, text) writes column
    titles; nodes where the boolean ``ring_field`` holds get a dark ring, explained in
    the legend by ``ring_label``; a click on a node selects its ``id`` in the
    selection named ``pick``.
    """
    nodes = nodes.copy()
    nodes["colour"] = nodes[colour_field].map(colour_labels)
    nodes["label"] = nodes["name"].map(_short)
    rows = int(nodes.groupby("x").size().max()) if len(nodes) else 1
    height = height or max(320, min(rows * ROW_PX + 80, 1400))
    pad_right = 1.6 if labels else 0.4
    x_lo = float(nodes["x"].min()) - 0.4 if len(nodes) else 0.0
    x_hi = float(nodes["x"].max()) + pad_right if len(nodes) else 1.0
    y_lo = float(nodes["y"].min()) - (1.8 if headers is not None else 0.8) if len(nodes) else 0.0
    y_hi = float(nodes["y"].max()) + 0.8 if len(nodes) else 1.0
    x_scale = alt.Scale(domain=[x_lo, x_hi], nice=False, zero=False)
    y_scale = alt.Scale(domain=[y_lo, y_hi], reverse=True, nice=False, zero=False)
    x = alt.X("x:Q", axis=None, scale=x_scale)
    y = alt.Y("y:Q", axis=None, scale=y_scale)
    pick = alt.selection_point(fields=["id"], name=PICK, on="click")
    links = alt.Chart(edges).mark_rule(color="#8a96a3", opacity=0.35, strokeWidth=1).encode(
        x=alt.X("x:Q", scale=x_scale, axis=None),
        y=alt.Y("y:Q", scale=y_scale, axis=None),
        x2="x2:Q",
        y2="y2:Q",
    )
    encoding: dict[str, Any] = {
        "x": x,
        "y": y,
        "color": alt.Color("colour:N", scale=_legend_scale(colour_labels, colours),
                           legend=alt.Legend(title=legend_title, orient="top", labelLimit=400,
                                             direction="vertical")),
        "tooltip": [alt.Tooltip(f"{c}:N", title=t) for c, t in tooltip],
        "opacity": alt.condition(pick, alt.value(1.0), alt.value(0.85)),
        "size": alt.condition(pick, alt.value(240), alt.value(110)),
    }
    if shape_field:
        encoding["shape"] = alt.Shape(f"{shape_field}:N", legend=alt.Legend(
            title=shape_title, orient="top", labelLimit=300, direction="vertical"))
    points = alt.Chart(nodes).mark_point(filled=True, stroke="#333", strokeWidth=0.6).encode(
        **encoding
    ).add_params(pick)
    layers: list[alt.Chart] = [links]
    if ring_field:
        ringed = nodes[nodes[ring_field]].assign(ring=ring_label)
        layers.append(alt.Chart(ringed).mark_point(
            filled=False, size=290, strokeWidth=2.2, opacity=1
        ).encode(x=x, y=y, stroke=alt.Stroke(
            "ring:N", scale=alt.Scale(domain=[ring_label], range=["#111111"]),
            legend=alt.Legend(title=" ", orient="top", labelLimit=400, symbolType="circle",
                              symbolFillColor="white", symbolStrokeWidth=2.4),
        )))
    layers.append(points)
    if labels:
        layers.append(alt.Chart(nodes).mark_text(align="left", dx=9, fontSize=10.5,
                                                 color="#222").encode(x=x, y=y, text="label:N"))
    if headers is not None and len(headers):
        layers.append(alt.Chart(headers).mark_text(
            align="center", fontSize=13, fontWeight="bold", color="#1f4e79"
        ).encode(x=x, y=y, text="text:N"))
    chart: alt.LayerChart = alt.layer(*layers).properties(height=height).configure_view(
        strokeWidth=0
    )
    return chart


def country_stack(shares: pd.DataFrame, head: pd.DataFrame, *, title_x: str,
                  title_legend: str, other: str, hhi_label: str,
                  top_countries: int = 9) -> AnyChart:
    """Return stacked bars of each component's supply by country, its HHI written beside.

    ``head`` (id, name, hhi_country) orders the rows; countries beyond the
    ``top_countries`` largest over these rows are grouped as ``other``.
    """
    order = list(head["name"])
    rows = shares[shares["id"].isin(set(head["id"]))]
    totals = rows.groupby("country")["share"].sum().sort_values(ascending=False)
    keep = set(totals.index[:top_countries])
    grouped = rows.assign(country=[c if c in keep else other for c in rows["country"]])
    data = grouped.groupby(["name", "country"])["share"].sum().reset_index()
    countries = list(totals.index[:top_countries]) + ([other] if other in set(
        data["country"]) else [])
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    bars = alt.Chart(data).mark_bar().encode(
        y=y,
        x=alt.X("share:Q", stack="zero", title=title_x, axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("country:N", sort=countries, scale=alt.Scale(
            domain=countries, scheme="tableau10"), legend=alt.Legend(
                title=title_legend, orient="top", labelLimit=200, columns=6)),
        order=alt.Order("share:Q", sort="descending"),
        tooltip=[alt.Tooltip("name:N"), alt.Tooltip("country:N"),
                 alt.Tooltip("share:Q", format=".1%")],
    )
    labels = head.assign(text=[f"{hhi_label} {h:,.0f}" for h in head["hhi_country"]])
    text = alt.Chart(labels).mark_text(align="left", dx=6, fontSize=11, color="#333").encode(
        y=y, x=alt.datum(1.0), text="text:N"
    )
    chart: AnyChart = alt.layer(bars, text).properties(
        height=alt.Step(20), padding={"right": 90}
    )
    return chart


def share_bars(frame: pd.DataFrame, label: str, value: str, *, title_x: str,
               colour: str = "#1f4e79", fmt: str = "%") -> alt.Chart:
    """Return horizontal bars of ``value`` per ``label``, largest first."""
    chart: alt.Chart = alt.Chart(frame).mark_bar(color=colour).encode(
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
    data = data.assign(state=[stops_label if s else partial_label for s in data["stops"]])
    chart: alt.Chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("loss:Q", title=title_x, axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("state:N", scale=alt.Scale(domain=[stops_label, partial_label],
                                                   range=["#b2182b", "#f5a742"]),
                        legend=alt.Legend(title=legend, orient="top", labelLimit=300,
                                          direction="vertical")),
        tooltip=[alt.Tooltip("name:N"), alt.Tooltip("loss:Q", format=".1%"),
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
