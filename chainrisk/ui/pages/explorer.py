"""Explorer: suppliers and customers of one firm or component, k tiers up and down."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from chainrisk.schema import Stage
from chainrisk.ui import charts, shell, state
from chainrisk.ui.downloads import frame_csv
from chainrisk.ui.neighbourhood import MAX_VISIBLE
from chainrisk.ui.pages.chain_map import _picked
from chainrisk.ui.text import md, md_join
from chainrisk.ui.widgets import data_table, pick_many, pick_one

LABELS_UP_TO = 160  # names beside the points up to this many nodes; tooltips beyond
SPOFS_LISTED = 12


def _explore_from(node_id: str) -> None:
    st.session_state["explorer_node"] = node_id


def render() -> None:
    """Draw the explorer: pickers and filters, the tiered graph, the selected node's panel."""
    ctx = shell.context()
    tr = ctx.tr
    chain = ctx.need_chain()
    st.title(tr("explorer.title"))
    st.caption(tr("explorer.lead"))
    with shell.guard(tr):
        firms = state.options(ctx.url, ctx.version, "firm", ctx.lang, ctx.scope)
        components = state.options(ctx.url, ctx.version, "component", ctx.lang, ctx.scope)
        regions = state.options(ctx.url, ctx.version, "region", ctx.lang, ctx.scope)
    nodes_labels = {**{k: f"{v} ({tr('kind.firm')})" for k, v in firms.items()},
                    **{k: f"{v} ({tr('kind.component')})" for k, v in components.items()}}
    with shell.guard(tr):
        g = state.graph(ctx.url)
        info = g.chains[chain]
        default = g.ids[info.end_products[0]] if info.end_products else None
    top = st.columns([3, 1, 1])
    with top[0]:
        root = pick_one(tr("explorer.node"), nodes_labels, "explorer_node", tr, default=default,
                        help=tr("explorer.node_help"))
    up = top[1].slider(tr("explorer.up"), 0, 6, 2, key="explorer_up",
                       help=tr("explorer.up_help"))
    down = top[2].slider(tr("explorer.down"), 0, 6, 1, key="explorer_down",
                         help=tr("explorer.down_help"))
    filters = st.columns(2)
    with filters[0]:
        picked_regions = pick_many(tr("explorer.regions"), regions, "explorer_regions", tr,
                                   help=tr("explorer.regions_help"))
    with filters[1]:
        stage_labels = {s.value: tr(f"stage.{s.value}") for s in Stage}
        picked_stages = st.multiselect(
            tr("explorer.stages"), list(stage_labels), key="explorer_stages",
            format_func=stage_labels.__getitem__, help=tr("explorer.stages_help"),
            placeholder=tr("pick_placeholder"),
        )
    if root is None:
        st.info(tr("explorer.none"))
        return
    with shell.guard(tr), st.spinner(tr("working")):
        found = state.explore(ctx.url, ctx.version, root, up, down, tuple(sorted(picked_regions)),
                              tuple(sorted(picked_stages)), ctx.lang, MAX_VISIBLE, ctx.scope)
    if found.capped:
        st.warning(tr("explorer.capped", cap=MAX_VISIBLE, hidden=found.hidden,
                      tier=abs(found.cut_tier or 0),
                      side=tr("explorer.side_up") if (found.cut_tier or 0) < 0
                      else tr("explorer.side_down")))
    nodes = found.nodes
    colour_by = st.segmented_control(
        tr("explorer.colour_by"), ["role", "country"], key="explorer_colour",
        default="role", format_func=lambda k: tr(f"explorer.colour_{k}"),
    )
    chart, _ = charts.explorer_chart(nodes, found.edges, tr, labels=len(nodes) <= LABELS_UP_TO,
                                     by_country=colour_by == "country")
    # drawn at its own size: labels were measured and placed in px (layout.py)
    event = st.altair_chart(chart, key="explorer_chart", on_select="rerun",
                            selection_mode=charts.PICK, width="content")
    counts = nodes["role"].value_counts()
    st.caption(tr("explorer.summary", n=len(nodes), links=len(found.edges),
                  spof=int(counts.get("spof", 0)), stops=int(counts.get("stops", 0))))
    selected = _picked(event)
    shown = selected if selected is not None and selected in set(nodes["id"]) else root
    with shell.guard(tr):
        view = state.node(ctx.url, ctx.version, shown, ctx.lang, ctx.scope)
    st.subheader(md(view.name))
    st.caption(f"{tr('kind.' + view.kind)} · {md(view.id)}")
    left, right = st.columns([2, 3], gap="large")
    with left:
        lines = []
        for key, value in view.facts:
            shown_value = tr.maybe(f"stage.{value}", value) if key == "stage" else value
            lines.append(f"- **{tr('fact.' + key)}**: {md(shown_value) if shown_value else '—'}")
        st.markdown("\n".join(lines))
        if shown != root:
            st.button(tr("explorer.from_here"), key="explorer_from_here",
                      on_click=_explore_from, args=(shown,), icon=":material/center_focus_strong:")
    with right:
        sep = "、" if ctx.lang == "zh" else ", "
        if view.spofs:
            kinds = [kind for _, _, kind in view.spofs]
            st.markdown(f"**{tr('explorer.its_spofs', n=len(view.spofs))}** "
                        + tr("explorer.spof_kinds", components=kinds.count("component"),
                             firms=kinds.count("firm"), regions=kinds.count("region")))
            names = [name for _, name, _ in view.spofs]
            shown_spofs = md_join(sep, names[:SPOFS_LISTED])
            if len(names) > SPOFS_LISTED:
                shown_spofs += tr("explorer.more", n=len(names) - SPOFS_LISTED)
            st.markdown(shown_spofs)
            with st.expander(tr("explorer.all_spofs", n=len(view.spofs)),
                             expanded=len(view.spofs) <= SPOFS_LISTED):
                table = pd.DataFrame.from_records(
                    [{"name": name, "kind": tr(f"kind.{kind}"), "id": ident}
                     for ident, name, kind in view.spofs], columns=["name", "kind", "id"])
                data_table(table, hide_index=True, key="explorer_spofs", column_config={
                    "name": st.column_config.TextColumn(tr("col.name"), width="medium"),
                    "kind": st.column_config.TextColumn(tr("col.kind"), width="small"),
                    "id": st.column_config.TextColumn(tr("col.id"), width="medium"),
                })
                st.download_button(
                    tr("explorer.download_spofs"), data=frame_csv(table), file_name=(
                        f"spof-{view.id.replace(':', '-')}.csv"), mime="text/csv",
                    key="explorer_spofs_download", icon=":material/download:")
        else:
            st.markdown(tr("explorer.no_spofs"))
        if view.stops:
            st.error(tr("explorer.stops", n=len(view.stops), names=md_join(sep, view.stops)))


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
