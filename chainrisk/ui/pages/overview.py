"""Overview: where the picked chain is weak, in six figures and two short tables."""

from __future__ import annotations

import streamlit as st

from chainrisk.ui import shell, state
from chainrisk.ui.downloads import frame_csv
from chainrisk.ui.text import md
from chainrisk.ui.widgets import as_points, data_table, percent, percent_column, translate_column


def render() -> None:
    """Draw the overview of the chain picked in the sidebar."""
    ctx = shell.context()
    tr = ctx.tr
    chain = ctx.need_chain()
    st.title(tr("overview.title", chain=md(shell.chain_name(ctx.url, chain, ctx.lang))))
    st.caption(tr("overview.lead"))
    with shell.guard(tr), st.spinner(tr("working")):
        head = state.headline(ctx.url, ctx.version, chain, ctx.scope)
    row1 = st.columns(3, border=True)
    row2 = st.columns(3, border=True)
    row1[0].metric(tr("overview.firms"), f"{head.firms:,}", help=tr(
        "overview.firms_help", producers=head.producers, leaders=head.leaders,
        distributors=head.distributors, customers=head.customers))
    row1[1].metric(tr("overview.components"), f"{head.components:,}",
                   help=tr("overview.components_help"))
    row1[2].metric(tr("overview.countries"), f"{head.countries:,}",
                   help=tr("overview.countries_help"))
    row2[0].metric(tr("overview.spofs"), f"{head.spofs:,}",
                   help=tr("overview.spofs_help", targets=head.targets, firms=head.spof_firms,
                           components=head.spof_components, regions=head.spof_regions,
                           outside=head.spof_outside))
    row2[1].metric(tr("overview.over65"), percent(head.over_65_share),
                   help=tr("overview.over65_help", n=head.over_65, of=head.with_producers))
    row2[2].metric(tr("overview.foreign"), percent(head.foreign_share),
                   help=tr("overview.foreign_help"))
    st.caption(tr("overview.spof_line", spofs=head.spofs, targets=head.targets,
                  firms=head.spof_firms, components=head.spof_components,
                  regions=head.spof_regions, inside=head.spof_inside,
                  outside=head.spof_outside)
               + " " + tr("overview.over65_help", n=head.over_65, of=head.with_producers))
    with shell.guard(tr):
        spofs = state.spofs(ctx.url, ctx.version, chain, ctx.lang, ctx.scope)
    with st.expander(tr("overview.all_spofs", n=len(spofs))):
        st.caption(tr("overview.all_spofs_help"))
        shown = spofs.assign(
            kind=[tr(f"kind.{k}") for k in spofs["kind"]],
            role=[tr(f"member_role.{r}") for r in spofs["role"]],
        ).drop(columns=["member"])
        data_table(shown, hide_index=True, key="overview_spofs", column_config={
            "id": st.column_config.TextColumn(tr("col.id")),
            "name": st.column_config.TextColumn(tr("col.name"), width="medium"),
            "kind": st.column_config.TextColumn(tr("col.kind")),
            "role": st.column_config.TextColumn(tr("col.member_role")),
            "targets_stopped": st.column_config.NumberColumn(tr("col.targets_stopped")),
            "targets": st.column_config.TextColumn(tr("col.targets"), width="large"),
        }, column_order=["name", "kind", "role", "targets_stopped", "targets", "id"])
        st.download_button(tr("overview.download_spofs"), data=frame_csv(shown),
                           file_name=f"spof-{chain}.csv", mime="text/csv",
                           key="overview_spofs_download", icon=":material/download:")

    st.subheader(tr("overview.top_risks"))
    st.caption(tr("overview.top_risks_help"))
    with shell.guard(tr), st.spinner(tr("working_rank")):
        top = state.top_risks(ctx.url, ctx.version, chain, ctx.lang, ctx.scope)
    regions = top["kind"] == "region"
    top = as_points(translate_column(top, "kind", tr, "kind"), ["output_lost"])
    top.loc[regions, "place"] = [tr.maybe(f"level.{p}", p) for p in top.loc[regions, "place"]]
    data_table(
        top[["rank", "name", "kind", "place", "score", "targets_lost", "output_lost",
             "sole_source_links"]],
        hide_index=True, key="overview_top",
        column_config={
            "rank": st.column_config.NumberColumn(tr("overview.rank_in_kind"),
                                                  help=tr("overview.rank_in_kind_help")),
            "name": st.column_config.TextColumn(tr("col.name"), width="medium"),
            "kind": st.column_config.TextColumn(tr("col.kind")),
            "place": st.column_config.TextColumn(tr("overview.where")),
            "score": st.column_config.ProgressColumn(
                tr("col.score"), min_value=0.0, max_value=1.0, format="%.3f",
                help=tr("col.score_help")),
            "targets_lost": st.column_config.NumberColumn(
                tr("short.targets_lost"), help=tr("col.targets_lost_help", n=head.targets)),
            "output_lost": percent_column(tr("short.output_lost"), tr("col.output_lost_help")),
            "sole_source_links": st.column_config.NumberColumn(
                tr("short.sole_source_links"), help=tr("col.sole_source_links_help")),
        },
    )
    st.subheader(tr("overview.concentrated"))
    st.caption(tr("overview.concentrated_help"))
    conc = state.concentration(ctx.url, ctx.version, chain, ctx.lang, ctx.scope).head(8)
    conc = as_points(conc, ["top_country_share", "top_share", "foreign_share"])
    data_table(
        conc[["name", "hhi_country", "top_country", "top_country_share", "top_producer",
              "top_share", "n_producers"]],
        hide_index=True, key="overview_conc",
        column_config={
            "name": st.column_config.TextColumn(tr("col.component"), width="medium"),
            "hhi_country": st.column_config.NumberColumn(tr("col.hhi_country"), format="%d"),
            "top_country": st.column_config.TextColumn(tr("col.top_country")),
            "top_country_share": percent_column(tr("col.top_country_share")),
            "top_producer": st.column_config.TextColumn(tr("col.top_producer")),
            "top_share": percent_column(tr("col.top_share")),
            "n_producers": st.column_config.NumberColumn(tr("col.n_producers")),
        },
    )
    info = state.info(ctx.url, ctx.version)
    last = info.loads[0].finished_at.replace("T", " ")[:16] + " UTC" if info.loads else "—"
    # which bundles are loaded is told only to those who may see every chain
    bundles = ", ".join(f"{b['name']} {b.get('version', '')}".strip() for b in info.bundles
                        ) if ctx.scope is None else ""
    st.caption(tr("overview.data_line", version=info.data_version, last=last,
                  bundles=bundles or "—"))


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
