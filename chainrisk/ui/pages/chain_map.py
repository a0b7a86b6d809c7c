"""Chain map: the chain's components from upstream to downstream, coloured by risk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from chainrisk.ui import charts, shell, state
from chainrisk.ui.frames import ComponentView
from chainrisk.ui.i18n import Tr
from chainrisk.ui.text import md, md_join
from chainrisk.ui.widgets import as_points, data_table, percent_column

LABELS_UP_TO = 250  # names beside the points up to this many components; tooltips beyond


def _picked(event: Any) -> str | None:
    """Return the id of the node clicked in a chart (its state or its return value)."""
    selection = event.get("selection") if isinstance(event, Mapping) else None
    points = selection.get(charts.PICK) if isinstance(selection, Mapping) else None
    if isinstance(points, list) and points and isinstance(points[0], Mapping):
        value = points[0].get("id")
        return str(value) if value else None
    return None


def render() -> None:
    """Draw the chain map and the panel of the selected component."""
    ctx = shell.context()
    tr = ctx.tr
    chain = ctx.need_chain()
    st.title(tr("map.title", chain=md(shell.chain_name(ctx.url, chain, ctx.lang))))
    st.caption(tr("map.lead"))
    with shell.guard(tr), st.spinner(tr("working")):
        nodes, edges = state.chain_map(ctx.url, ctx.version, chain, ctx.lang, ctx.scope)
    if nodes.empty:
        st.info(tr("map.empty"))
        return
    labels = dict(sorted(zip(nodes["id"], nodes["name"], strict=True),
                         key=lambda kv: kv[1].casefold()))
    clicked = _picked(st.session_state.get("map_chart"))
    if clicked in labels and clicked != st.session_state.get("map_last_click"):
        st.session_state["map_component"] = clicked  # a click in the map picks it
        st.session_state["map_last_click"] = clicked
    if st.session_state.get("map_component") not in labels:
        worst = nodes.sort_values(["targets_stopped", "hhi_country"], ascending=False)
        st.session_state["map_component"] = worst["id"].iloc[0]
    pick_col, summary_col = st.columns([2, 3], vertical_alignment="bottom")
    picked = pick_col.selectbox(tr("map.pick"), list(labels), key="map_component",
                                format_func=labels.__getitem__, help=tr("map.pick_help"))
    n_spof = int(nodes["spof"].sum())
    with shell.guard(tr):
        head = state.headline(ctx.url, ctx.version, chain, ctx.scope)
    summary_col.caption(tr("map.summary", n=len(nodes), spof=n_spof, links=len(edges),
                           outside=head.spof_components - n_spof))
    chart, _ = charts.chain_map_chart(nodes, edges, tr, labels=len(nodes) <= LABELS_UP_TO)
    if len(nodes) > LABELS_UP_TO:
        st.caption(tr("map.no_labels", n=LABELS_UP_TO))
    # drawn at its own size: labels were measured and placed in px (layout.py)
    st.altair_chart(chart, key="map_chart", on_select="rerun", selection_mode=charts.PICK,
                    width="content")
    _component_panel(ctx, chain, str(picked))


def _component_panel(ctx: shell.Context, chain: str, component_id: str) -> None:
    tr = ctx.tr
    with shell.guard(tr):
        view = state.component(ctx.url, ctx.version, chain, component_id, ctx.lang, ctx.scope)
    st.subheader(md(view.name))
    left, right = st.columns([2, 3], gap="large")
    facts = [
        (tr("col.stage"), tr.maybe(f"stage.{view.stage}", view.stage) or "—"),
        (tr("col.hhi_country"), f"{view.hhi_country:,.0f}" if view.hhi_country is not None
         else "—"),
        (tr("col.band"), tr.maybe(f"band.{view.band}", view.band) or tr("status.no_data")),
        (tr("col.hhi_firm"), f"{view.hhi_firm:,.0f}" if view.hhi_firm is not None else "—"),
    ]
    sep = "、" if ctx.lang == "zh" else ", "
    with left:
        st.markdown("\n".join(f"- **{k}**: {md(v)}" for k, v in facts))
        if view.stops:
            st.error(tr("map.stops", n=len(view.stops), names=md_join(sep, view.stops)))
        else:
            st.success(tr("map.stops_none"))
        st.markdown(f"**{tr('map.dependants')}**")
        if view.products:
            st.markdown(tr("map.products", names=md_join(sep, view.products)))
        if not view.buyers.empty:
            data_table(
                view.buyers, hide_index=True, key="map_buyers",
                column_config={
                    "buyer": st.column_config.TextColumn(tr("col.buyer"), width="medium"),
                    "supplier": st.column_config.TextColumn(tr("col.supplier"), width="medium"),
                },
            )
        if not view.products and view.buyers.empty:
            st.caption(tr("map.no_dependants"))
    with right:
        _producers(tr, view)


def _producers(tr: Tr, view: ComponentView) -> None:
    st.markdown(f"**{tr('map.producers')}**")
    if view.producers.empty:
        st.caption(tr("map.no_producers"))
    else:
        data_table(
            as_points(view.producers, ["share"]), hide_index=True, key="map_producers",
            column_config={
                "firm": st.column_config.TextColumn(tr("col.firm")),
                "country": st.column_config.TextColumn(tr("col.country")),
                "share": percent_column(tr("col.share"), tr("col.share_help"), digits=1),
                "given": st.column_config.CheckboxColumn(tr("col.given"),
                                                         help=tr("col.given_help")),
            },
        )
    if not view.countries.empty:
        st.markdown(f"**{tr('map.countries')}**")
        st.altair_chart(charts.share_bars(view.countries, "country", "share",
                                          title_x=tr("col.share"), country_field="country_id"),
                        width="stretch", key="map_country_bars")
        data_table(
            as_points(view.countries, ["share"]), hide_index=True, key="map_countries",
            column_config={
                "country_id": None,
                "country": st.column_config.TextColumn(tr("col.country")),
                "share": st.column_config.ProgressColumn(tr("col.share"), min_value=0.0,
                                                         max_value=100.0, format="%.1f%%"),
            },
        )


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
