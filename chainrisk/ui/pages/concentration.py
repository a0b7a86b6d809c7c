"""Concentration: who makes each input and where, in charts fit for a briefing."""

from __future__ import annotations

import streamlit as st

from chainrisk.ui import charts, downloads, shell, state
from chainrisk.ui.text import md
from chainrisk.ui.widgets import (
    as_points,
    data_table,
    percent_column,
    translate_column,
    with_dashes,
)

BANDS = ("high", "moderate", "unconcentrated")


def render() -> None:
    """Draw the concentration charts and table of the chain picked in the sidebar."""
    ctx = shell.context()
    tr = ctx.tr
    chain = ctx.need_chain()
    st.title(tr("conc.title", chain=md(shell.chain_name(ctx.url, chain, ctx.lang))))
    st.caption(tr("conc.lead"))
    with shell.guard(tr), st.spinner(tr("working")):
        conc = state.concentration(ctx.url, ctx.version, chain, ctx.lang, ctx.scope)
        shares = state.country_shares(ctx.url, ctx.version, chain, ctx.lang, ctx.scope)
        countries = state.countries(ctx.url, ctx.version, chain, ctx.lang, ctx.scope)
        provinces = state.provinces(ctx.url, ctx.version, chain, ctx.lang, ctx.scope)
    if conc.empty:
        st.info(tr("conc.empty"))
        return
    band_counts = conc["band"].value_counts()
    m = st.columns(4)
    m[0].metric(tr("conc.n"), f"{len(conc):,}")
    for i, b in enumerate(BANDS, start=1):
        m[i].metric(tr(f"band.{b}"), f"{int(band_counts.get(b, 0)):,}",
                    help=tr(f"band.{b}_help"))
    top = st.slider(tr("conc.top"), 5, max(5, min(60, len(conc))), min(25, len(conc)),
                    key="conc_top")
    head = conc.head(top)
    st.subheader(tr("conc.stack_title"))
    st.caption(tr("conc.stack_help"))
    st.altair_chart(
        charts.country_stack(shares, head, title_x=tr("col.share"),
                             title_legend=tr("col.country"), other=tr("conc.other"),
                             hhi_label="HHI"),
        width="stretch", key="conc_stack",
    )
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader(tr("conc.countries_title"))
        st.caption(tr("conc.countries_help"))
        st.altair_chart(
            charts.share_bars(countries.head(15), "country", "supply_share",
                              title_x=tr("conc.supply_share"), country_field="country_id"),
            width="stretch", key="conc_countries",
        )
        data_table(
            as_points(countries, ["supply_share"])[  # every country; the chart: the top 15
                ["country", "supply_share", "components_led", "components_over_65",
                 "present_in"]],
            hide_index=True, key="conc_countries_table",
            column_config={
                "country": st.column_config.TextColumn(tr("col.country")),
                "supply_share": percent_column(tr("conc.supply_share"), digits=1),
                "components_led": st.column_config.NumberColumn(tr("conc.led")),
                "components_over_65": st.column_config.NumberColumn(tr("conc.over65")),
                "present_in": st.column_config.NumberColumn(tr("conc.present")),
            },
        )
    with right:
        st.subheader(tr("conc.provinces_title"))
        st.caption(tr("conc.provinces_help"))
        if provinces.empty:
            st.info(tr("conc.no_home"))
        else:
            st.altair_chart(
                charts.share_bars(provinces.head(15), "province", "domestic_share",
                                  title_x=tr("conc.domestic_share"), colour="#b2182b"),
                width="stretch", key="conc_provinces",
            )
            data_table(
                as_points(provinces, ["domestic_share"])[
                    ["province", "domestic_share", "components_led", "present_in"]],
                hide_index=True, key="conc_provinces_table",
                column_config={
                    "province": st.column_config.TextColumn(tr("col.province")),
                    "domestic_share": percent_column(tr("conc.domestic_share"), digits=1),
                    "components_led": st.column_config.NumberColumn(tr("conc.led")),
                    "present_in": st.column_config.NumberColumn(tr("conc.present")),
                },
            )
    st.subheader(tr("conc.table"))
    table = translate_column(translate_column(conc, "band", tr, "band"), "stage", tr, "stage")
    table = as_points(table, ["top_share", "cr3", "top_country_share", "foreign_share",
                              "share_confidence"])
    table = with_dashes(table, ["hhi_province"])  # none when nothing is made at home
    data_table(
        table.drop(columns=["id"]), hide_index=True, key="conc_table",
        column_config={
            "name": st.column_config.TextColumn(tr("col.component"), width="medium"),
            "stage": tr("col.stage"), "n_producers": tr("col.n_producers"),
            "n_countries": tr("col.n_countries"),
            "hhi_firm": st.column_config.NumberColumn(tr("col.hhi_firm"), format="%d"),
            "hhi_country": st.column_config.NumberColumn(tr("col.hhi_country"), format="%d"),
            "band": tr("col.band"),
            "hhi_province": st.column_config.TextColumn(tr("col.hhi_province")),
            "top_producer": tr("col.top_producer"),
            "top_share": percent_column(tr("col.top_share")),
            "cr3": percent_column(tr("col.cr3")),
            "top_country": tr("col.top_country"),
            "top_country_share": percent_column(tr("col.top_country_share")),
            "countries_to_75": tr("col.countries_to_75"),
            "region_over_65": st.column_config.CheckboxColumn(tr("col.region_over_65")),
            "foreign_share": percent_column(tr("col.foreign_share")),
            "share_confidence": percent_column(tr("col.share_confidence"),
                                               tr("col.share_confidence_help")),
            "targets_stopped": st.column_config.NumberColumn(tr("col.targets_stopped")),
        },
    )
    st.download_button(tr("conc.csv"), downloads.frame_csv(conc),
                       file_name=f"chainrisk-{chain}-concentration.csv", key="conc_csv",
                       mime="text/csv", on_click="ignore", icon=":material/download:")


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
