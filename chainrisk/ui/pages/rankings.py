"""Rankings: firms, components and regions by criticality, every part of the score shown."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from chainrisk.analysis.ranking import DEFAULT_WEIGHTS
from chainrisk.schema import Stage
from chainrisk.ui import downloads, shell, state
from chainrisk.ui.i18n import Tr
from chainrisk.ui.text import md
from chainrisk.ui.widgets import as_points, data_table, percent_column, translate_column

KINDS = ("firm", "component", "region")
SORTABLE = ("score", "targets_lost", "output_lost", "nodes_lost", "sole_source_links",
            "concentration", "betweenness", "name")


def render() -> None:
    """Draw the ranking of the chain picked in the sidebar, with filters and downloads."""
    ctx = shell.context()
    tr = ctx.tr
    chain = ctx.need_chain()
    st.title(tr("rank.title", chain=md(shell.chain_name(ctx.url, chain, ctx.lang))))
    st.caption(tr("rank.lead"))
    with shell.guard(tr), st.spinner(tr("working_rank")):
        frame = state.ranking(ctx.url, ctx.version, chain, ctx.lang, ctx.scope)
    kind = st.segmented_control(
        tr("rank.kind"), list(KINDS), key="rank_kind", default="firm", required=True,
        format_func=lambda k: tr(f"kinds.{k}"),
    ) or "firm"
    rows = frame[frame["kind"] == kind]
    f1, f2, f3, f4 = st.columns([2, 2, 2, 1])
    query = f1.text_input(tr("rank.search"), key="rank_search", placeholder=tr("rank.search_ph"))
    if kind == "firm":
        places = sorted(p for p in rows["place"].unique() if p)
        picked = f2.multiselect(tr("col.country"), places, key="rank_places",
                                placeholder=tr("pick_placeholder"))
        if picked:
            rows = rows[rows["place"].isin(picked)]
    elif kind == "component":
        stages = {s.value: tr(f"stage.{s.value}") for s in Stage}
        picked = f2.multiselect(tr("col.stage"), list(stages), key="rank_stages",
                                format_func=stages.__getitem__, placeholder=tr("pick_placeholder"))
        if picked:
            rows = rows[rows["stage"].isin(picked)]
    else:
        levels = sorted(p for p in rows["place"].unique() if p)
        picked = f2.multiselect(tr("col.level"), levels, key="rank_levels",
                                format_func=lambda lv: tr.maybe(f"level.{lv}", lv),
                                placeholder=tr("pick_placeholder"))
        if picked:
            rows = rows[rows["place"].isin(picked)]
    sort_by = f3.selectbox(tr("rank.sort"), list(SORTABLE), key="rank_sort",
                           format_func=lambda c: tr(f"col.{c}"))
    ascending = f4.toggle(tr("rank.ascending"), key="rank_ascending")
    only = st.toggle(tr("rank.only_critical"), key="rank_only_critical",
                     help=tr("rank.only_critical_help"))
    if query.strip():
        q = query.strip().casefold()
        rows = rows[rows["name"].str.casefold().str.contains(q, regex=False)
                    | rows["id"].str.casefold().str.contains(q, regex=False)]
    if only:
        rows = rows[rows["spof"]]
    rows = rows.sort_values([sort_by, "id"], ascending=[ascending, True], na_position="last")
    shown = translate_column(translate_column(rows, "stage", tr, "stage"), "band", tr, "band")
    if kind == "region":
        shown = translate_column(shown, "place", tr, "level")
    shown = translate_column(shown, "role", tr, "member_role")
    columns = ["rank", "name", "role", "place" if kind != "component" else "stage", "score",
               "targets_lost", "targets_lost_share", "output_lost", "nodes_lost",
               "sole_source_links", "concentration", "band", "betweenness", "articulation_point"]
    if kind == "region":
        columns = [c for c in columns if c not in ("betweenness", "articulation_point")]
    if kind == "component":
        columns = [c for c in columns if c not in ("betweenness", "articulation_point")]
    shown = as_points(shown, ["targets_lost_share", "output_lost"])
    data_table(shown[columns], hide_index=True, key="rank_table", height=520,
                 column_config=_columns(tr, kind))
    st.caption(tr("rank.count", shown=len(rows), total=int((frame["kind"] == kind).sum()))
               + " · " + tr("rank.weights", weights=", ".join(
                   f"{tr('col.' + k)} {v:g}" for k, v in DEFAULT_WEIGHTS.items())))
    if kind == "firm":
        st.caption(tr("rank.structural_note"))
    if frame["output_lost"].isna().any():
        st.caption(tr("rank.not_computed"))

    st.subheader(tr("rank.download"))
    st.caption(tr("rank.download_help"))
    shared = state.shared(ctx.url)
    d1, d2, d3 = st.columns(3)
    d1.download_button(tr("rank.xlsx"), downloads.export_bytes(shared, chain, ".xlsx", ctx.lang,
                                                               visible=ctx.visible()),
                       file_name=f"chainrisk-{chain}.xlsx", key="rank_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", icon=":material/download:")
    d2.download_button(tr("rank.csv_zip"), downloads.export_bytes(shared, chain, ".zip", ctx.lang,
                                                                  visible=ctx.visible()),
                       file_name=f"chainrisk-{chain}-csv.zip", key="rank_zip",
                       mime="application/zip", on_click="ignore", icon=":material/download:")
    d3.download_button(tr("rank.csv_view"), downloads.frame_csv(_export_view(rows)),
                       file_name=f"chainrisk-{chain}-{kind}s.csv", key="rank_csv",
                       mime="text/csv", on_click="ignore", icon=":material/download:")


def _export_view(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the rows as filtered and sorted on screen, with stable column keys."""
    return rows.drop(columns=["kind"]).reset_index(drop=True)


def _columns(tr: Tr, kind: str) -> dict[str, Any]:
    place = {"firm": tr("col.country"), "region": tr("col.level"), "component": ""}[kind]
    cc = st.column_config
    return {
        "rank": cc.NumberColumn(tr("col.rank")),
        "name": cc.TextColumn(tr("col.name"), width="medium"),
        "role": cc.TextColumn(tr("col.member_role")),
        "place": cc.TextColumn(place),
        "stage": cc.TextColumn(tr("col.stage")),
        "score": cc.ProgressColumn(tr("col.score"), min_value=0.0, max_value=1.0, format="%.3f",
                                   help=tr("col.score_help"), width=120),
        "targets_lost": cc.NumberColumn(tr("short.targets_lost"),
                                        help=tr("col.targets_lost_help", n="")),
        "targets_lost_share": percent_column(tr("short.targets_lost_share"),
                                             tr("col.targets_lost_share"), width=None),
        "output_lost": percent_column(tr("short.output_lost"), tr("col.output_lost_help"),
                                      width=None),
        "nodes_lost": cc.NumberColumn(tr("short.nodes_lost"), help=tr("col.nodes_lost_help")),
        "sole_source_links": cc.NumberColumn(tr("short.sole_source_links"),
                                             help=tr("col.sole_source_links_help")),
        "concentration": cc.NumberColumn(tr("short.concentration"), format="%d",
                                         help=tr("col.concentration_help")),
        "band": cc.TextColumn(tr("short.band")),
        "betweenness": cc.NumberColumn(tr("short.betweenness"), format="%.3f",
                                       help=tr("col.structural_help")),
        "articulation_point": cc.CheckboxColumn(tr("short.articulation_point"),
                                                help=tr("col.structural_help")),
    }

if __name__ == "__main__":  # run by st.navigation as a page script
    render()
