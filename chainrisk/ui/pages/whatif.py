"""What-if: disrupt firms, regions and components; see what the chain loses; compare."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from chainrisk.ui import charts, downloads, shell, state
from chainrisk.ui.frames import name_by_id
from chainrisk.ui.i18n import Tr
from chainrisk.ui.text import md, md_join
from chainrisk.ui.widgets import (
    as_points,
    data_table,
    percent,
    percent_column,
    pick_many,
    translate_column,
)

SAVED = "whatif_saved"  # session state: {name: {"chain", "disrupt", "targets": frame records}}


def _save(default: str, chain: str, disrupt: tuple[str, ...], targets: pd.DataFrame) -> None:
    # A callback: the name box holds what was typed even when Save was clicked at once.
    name = str(st.session_state.get("whatif_name") or "").strip() or default
    st.session_state["whatif_name"] = ""
    saved: dict[str, dict[str, Any]] = st.session_state.setdefault(SAVED, {})
    saved[name] = {"chain": chain, "disrupt": list(disrupt),
                   "targets": targets[["id", "name", "after"]].to_dict("records")}
    compare = list(st.session_state.get("whatif_compare", []))
    if name not in compare:
        st.session_state["whatif_compare"] = [*compare, name]


def render() -> None:
    """Draw the scenario pickers, its answer, saved scenarios and downloads."""
    ctx = shell.context()
    tr = ctx.tr
    chain = ctx.need_chain()
    st.title(tr("whatif.title", chain=md(shell.chain_name(ctx.url, chain, ctx.lang))))
    st.caption(tr("whatif.lead"))
    with shell.guard(tr):
        firms = state.options(ctx.url, ctx.version, "firm", ctx.lang, ctx.scope)
        regions = state.options(ctx.url, ctx.version, "region", ctx.lang, ctx.scope)
        components = state.options(ctx.url, ctx.version, "component", ctx.lang, ctx.scope)
    c1, c2, c3 = st.columns(3)
    with c1:
        picked_firms = pick_many(tr("whatif.firms"), firms, "whatif_firms", tr,
                                 help=tr("whatif.firms_help"))
    with c2:
        picked_regions = pick_many(tr("whatif.regions"), regions, "whatif_regions", tr,
                                   help=tr("whatif.regions_help"))
    with c3:
        picked_components = pick_many(tr("whatif.components"), components,
                                      "whatif_components", tr, help=tr("whatif.components_help"))
    disrupt = tuple(sorted([*picked_firms, *picked_regions, *picked_components]))
    if disrupt:
        with shell.guard(tr), st.spinner(tr("working")):
            view = state.scenario(ctx.url, ctx.version, chain, disrupt, ctx.lang, ctx.scope)
        _answer(ctx, chain, disrupt, view)
    else:
        st.info(tr("whatif.pick_first"))
    _saved(ctx, chain)


def _answer(ctx: shell.Context, chain: str, disrupt: tuple[str, ...], view: Any) -> None:
    tr = ctx.tr
    m = st.columns(4)
    m[0].metric(tr("whatif.failed"), f"{view.failed:,}", help=tr("whatif.failed_help"))
    m[1].metric(tr("whatif.losing"), f"{view.losing:,}", help=tr("whatif.losing_help"))
    m[2].metric(tr("whatif.targets_hit"), f"{view.targets_hit} / {len(view.targets)}",
                help=tr("whatif.targets_hit_help"))
    m[3].metric(tr("whatif.mean_loss"), percent(view.mean_loss, 1),
                help=tr("whatif.mean_loss_help"))
    targets = translate_column(view.targets, "role", tr, "role")
    # one above the other: the table needs its width, the chart its long names
    left, right = st.container(), st.container()
    with left:
        st.subheader(tr("whatif.per_target"))
        data_table(
            as_points(targets, ["before", "after", "loss"])[
                ["name", "role", "before", "after", "loss", "stops"]]
            .sort_values(["loss", "name"], ascending=[False, True]),
            hide_index=True, key="whatif_targets", column_config=_config(tr),
        )
    with right:
        st.subheader(tr("whatif.lost"))
        if view.targets_hit:
            st.altair_chart(
                charts.loss_bars(targets, title_x=tr("whatif.loss_axis"),
                                 stops_label=tr("whatif.stops_label"),
                                 partial_label=tr("whatif.partial_label"),
                                 legend=tr("whatif.state")),
                width="stretch", key="whatif_chart",
            )
        else:
            st.success(tr("whatif.no_target_hit"))
    with st.expander(tr("whatif.all_changes", n=view.losing)):
        changes = translate_column(view.changes, "kind", tr, "kind")
        changes = as_points(changes, ["before", "after", "loss"])
        data_table(changes[["name", "kind", "before", "after", "loss", "stops"]],
                     hide_index=True, key="whatif_changes", column_config=_config(tr))
    s1, s2, s3, s4 = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    default = tr("whatif.default_name", n=len(st.session_state.get(SAVED, {})) + 1)
    s1.text_input(tr("whatif.name"), key="whatif_name", placeholder=default)
    s2.button(tr("whatif.save"), key="whatif_save", icon=":material/bookmark_add:",
              on_click=_save, args=(default, chain, disrupt, view.targets))
    shared = state.shared(ctx.url)
    s3.download_button(tr("whatif.xlsx"),
                       downloads.export_bytes(shared, chain, ".xlsx", ctx.lang, disrupt,
                                              visible=ctx.visible()),
                       file_name=f"chainrisk-{chain}-scenario.xlsx", key="whatif_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", icon=":material/download:")
    s4.download_button(tr("whatif.csv"), downloads.frame_csv(view.changes),
                       file_name=f"chainrisk-{chain}-scenario.csv", key="whatif_csv",
                       mime="text/csv", on_click="ignore", icon=":material/download:")


def _saved(ctx: shell.Context, chain: str) -> None:
    tr = ctx.tr
    saved: dict[str, dict[str, Any]] = st.session_state.get(SAVED, {})
    mine = {k: v for k, v in saved.items() if v["chain"] == chain}
    st.subheader(tr("whatif.compare"))
    if not mine:
        st.caption(tr("whatif.none_saved"))
        return
    kept = [n for n in st.session_state.get("whatif_compare", []) if n in mine]
    st.session_state["whatif_compare"] = kept
    picked = st.multiselect(tr("whatif.compare_pick"), list(mine), key="whatif_compare",
                            placeholder=tr("pick_placeholder"))
    if not picked:
        return
    rows = [
        {"scenario": n, "id": t["id"], "name": t["name"], "after": t["after"],
         "loss": 1.0 - t["after"]}
        for n in picked for t in mine[n]["targets"]
    ]
    frame = pd.DataFrame.from_records(rows)
    wide = frame.pivot_table(index="name", columns="scenario", values="loss", sort=False)
    wide = as_points(wide[picked].reset_index(), list(picked))
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.caption(tr("whatif.compare_table"))
        data_table(wide, hide_index=True, key="whatif_compare_table", column_config={
            "name": st.column_config.TextColumn(tr("col.name")),
            **{n: percent_column(n, width=None) for n in picked},
        })
        graph = state.graph(ctx.url)
        allowed = ctx.allowed_ids()
        sep = "、" if ctx.lang == "zh" else ", "
        for n in picked:
            names = [name_by_id(graph, i, ctx.lang) or i for i in mine[n]["disrupt"]
                     if allowed is None or i in allowed]
            st.caption(f"**{md(n)}**: " + md_join(sep, names))
    with right:
        hit = frame.groupby("name")["after"].min()
        shown = frame[frame["name"].isin(hit[hit < 1.0].index)]
        if shown.empty:
            st.caption(tr("whatif.compare_nothing"))
        else:
            st.altair_chart(charts.compare_bars(shown, title_x=tr("whatif.loss_axis"),
                                                legend=tr("whatif.scenario")),
                            width="stretch", key="whatif_compare_chart")


def _config(tr: Tr) -> dict[str, Any]:
    cc = st.column_config
    return {
        "name": cc.TextColumn(tr("col.name"), width=160),
        "role": cc.TextColumn(tr("col.role"), width=95),
        "kind": cc.TextColumn(tr("col.kind"), width=80),
        "before": percent_column(tr("col.before"), width=55),
        "after": cc.ProgressColumn(tr("col.after"), min_value=0.0, max_value=100.0,
                                   format="%.1f%%", width=95),
        "loss": percent_column(tr("col.loss"), digits=1, width=55),
        "stops": cc.CheckboxColumn(tr("col.stops"), help=tr("col.stops_help"), width=50),
    }

if __name__ == "__main__":  # run by st.navigation as a page script
    render()
