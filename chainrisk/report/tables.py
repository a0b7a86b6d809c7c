"""The export tables of one chain: what an analyst takes into a briefing.

Each table is a :class:`Table`: an internal name, a sheet title (English and Chinese),
columns with a kind that decides the number format, rows as tuples, and a line on
how to read it. Writers (xlsx, csv, json) take these and nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chainrisk import __version__, chainview, words
from chainrisk.analysis.cascade import CascadeResult
from chainrisk.analysis.concentration import band
from chainrisk.chainview import name_of
from chainrisk.graph import GroupKind, Kind
from chainrisk.schema import SHARE_QUALITIES
from chainrisk.service import RiskService


@dataclass(frozen=True)
class Column:
    """A column: key, English and Chinese header, kind (text, int, score, share, hhi, bool)."""

    key: str
    en: str
    zh: str
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    """One exported table."""

    name: str
    title_en: str
    title_zh: str
    how_to_read: str
    columns: tuple[Column, ...]
    rows: Sequence[tuple[Any, ...]]

    def title(self, lang: str) -> str:
        """Return the sheet title in ``lang`` (zh or en)."""
        return self.title_zh if lang == "zh" else self.title_en

    def headers(self, lang: str) -> list[str]:
        """Return the column headers in ``lang``."""
        return [c.zh if lang == "zh" else c.en for c in self.columns]

    def records(self) -> list[dict[str, Any]]:
        """Return the rows as {column key: value}."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class ExportTables:
    """Everything one export writes: metadata and tables, in sheet order."""

    metadata: dict[str, Any]
    tables: tuple[Table, ...] = field(default_factory=tuple)

    def table(self, name: str) -> Table:
        """Return the table called ``name``."""
        return next(t for t in self.tables if t.name == name)


C = Column
HIDDEN = "…"  # a node outside the reader's access scope, where text would name it


def build_tables(
    service: RiskService, chain: str, *, scenario: CascadeResult | None = None,
    visible: frozenset[int] | None = None, lang: str = "en", scope: str | None = None,
    control: bool = False,
) -> ExportTables:
    """Return the export tables of ``chain`` (with a Scenario table when one is given).

    The figures come from the chain views (:mod:`chainrisk.chainview`), like every page
    of the app. ``visible`` (node indices; None: all) is the access scope: rows, counts
    and the nodes named in failure paths stay inside it, and the metadata no longer
    names the store or the loaded bundles. ``lang`` is the language of the names
    written inside text (failure paths, country lists); each row carries both names.
    """
    service.chain_targets(chain)  # clear error for an unknown chain
    data = service.chain_data(chain, visible)
    graph = data.graph
    ranking = service.rank(chain, visible=visible)
    spof = data.spof
    info = service.store.info(last_loads=1)
    chain_info = graph.chains[chain]
    rows_by_kind: dict[str, list[Any]] = defaultdict(list)
    for rank_row in ranking.rows:
        rows_by_kind[rank_row.kind].append(rank_row)

    def names(v: int | None) -> tuple[str, str | None]:
        if v is None:
            return "", None
        v = graph.output_index(v)
        return graph.names[v], graph.names_zh[v]

    def named(node_id: str) -> str:
        """Return the name of ``node_id`` in ``lang``, or the hidden marker."""
        v = graph.index.get(node_id)
        if v is None:
            return node_id
        if not data.shown(graph.output_index(v)):
            return HIDDEN
        return name_of(graph, v, lang)

    def firm_place(firm_id: str) -> tuple[str, str, str, str]:
        v = graph.index[firm_id]
        region = graph.firm_region[v]
        country = graph.country_of(region)
        return (graph.ids[region], name_of(graph, region, lang),
                graph.ids[country] if country is not None else "",
                name_of(graph, country, lang) if country is not None else "")

    firms = Table(
        "firms", "Firms", "企业风险排名",
        "One row per firm of the chain (makers of its components, leader firms, traders) "
        "and per firm outside it whose loss alone stops a chain target, most critical "
        "first. score = weighted sum of the parts (weights on the Summary sheet); "
        "targets_lost = chain end products and leader firms that stop if this firm alone "
        "is lost; output_lost = mean output the targets lose; betweenness and "
        "articulation point are structural views.",
        (
            C("rank", "Rank", "排名", "int"), C("id", "Firm id", "企业编号"),
            C("name", "Name", "名称"), C("name_zh", "Chinese name", "中文名称"),
            C("role", "Place in the chain", "与本链关系", "role"),
            C("spof", "Single point of failure", "单点失效", "bool"),
            C("region", "HQ region id", "总部地区编号"), C("region_name", "HQ region", "总部地区"),
            C("country", "Country id", "国家/地区编号"),
            C("country_name", "Country", "国家/地区"),
            C("score", "Risk score", "风险评分", "score"),
            C("targets_lost", "Targets lost", "受影响目标数", "int"),
            C("targets_lost_share", "Share of targets lost", "目标受影响比例", "share"),
            C("nodes_lost", "Nodes lost", "连带失效节点数", "int"),
            C("sole_source_links", "Sole-source links", "独家供应关系数", "int"),
            C("output_lost", "Output lost", "目标产出损失", "share"),
            C("concentration", "Worst HHI by country", "最高国别集中度(HHI)", "hhi"),
            C("band", "Concentration band", "集中度等级", "band"),
            C("betweenness", "Betweenness (structural)", "中介中心性(结构)", "score"),
            C("articulation_point", "Articulation point (structural)", "割点(结构)", "bool"),
        ),
        [
            (i, r.id, r.name, r.name_zh, r.role, r.spof, *firm_place(r.id), r.score,
             r.targets_lost, r.targets_lost_share, r.nodes_lost, r.sole_source_links,
             r.output_lost, r.concentration, band(r.concentration) if r.concentration else "",
             r.betweenness, r.articulation_point)
            for i, r in enumerate(rows_by_kind["firm"], start=1)
        ],
    )
    stopped = chainview.targets_stopped(data)
    components = Table(
        "components", "Components", "关键环节与卡脖子",
        "One row per component of the chain with producer data: supply concentration "
        "(HHI 0–10,000 by firm and by country; above 2,500 is high), the top producer and "
        "country, whether one country holds more than 65 %, the share made abroad, and how "
        "many chain targets stop if the component is lost.",
        (
            C("id", "Component id", "环节编号"), C("name", "Name", "名称"),
            C("name_zh", "Chinese name", "中文名称"), C("stage", "Stage", "环节位置", "stage"),
            C("n_producers", "Producers", "生产企业数", "int"),
            C("n_countries", "Countries", "生产国家数", "int"),
            C("hhi_firm", "HHI by firm", "企业集中度(HHI)", "hhi"),
            C("hhi_country", "HHI by country", "国别集中度(HHI)", "hhi"),
            C("band", "Band", "集中度等级", "band"),
            C("hhi_province", "HHI by home province", "国内省份集中度(HHI)", "hhi"),
            C("top_producer", "Top producer id", "最大生产企业编号"),
            C("top_producer_name", "Top producer", "最大生产企业"),
            C("top_share", "Top producer share", "最大企业份额", "share"),
            C("cr3", "Top 3 share (CR3)", "前三企业份额(CR3)", "share"),
            C("top_country", "Top country id", "最大生产国编号"),
            C("top_country_name", "Top country", "最大生产国"),
            C("top_country_share", "Top country share", "最大国份额", "share"),
            C("countries_to_75", "Countries to reach 75 %", "达75%所需国家数", "int"),
            C("region_over_65", "One country over 65 %", "单一国家超65%", "bool"),
            C("foreign_share", "Made abroad", "境外生产份额", "share"),
            C("countries", "Producing countries", "生产国家及份额"),
            C("share_confidence", "Share confidence", "份额数据完整度", "share"),
            C("targets_lost", "Targets lost if lost", "失去后受影响目标数", "int"),
        ),
        [
            (r.id, r.name, names(graph.index[r.id])[1], graph.stage.get(graph.index[r.id], ""),
             r.n_producers, r.n_countries, r.hhi_firm, r.hhi_country, r.band, r.hhi_province,
             r.top_producer, named(r.top_producer), r.top_share, r.cr3, r.top_country,
             named(r.top_country), r.top_country_share, r.countries_to_75, r.region_over_65,
             r.foreign_share,
             "; ".join(f"{named(c)} {s:.0%}" for c, s in r.countries),
             r.share_confidence, stopped.get(graph.index[r.id], 0))
            for r in chainview.concentration_rows(data)
        ],
    )
    supply = {c.country: c for c in chainview.country_supply(data)}
    regions = Table(
        "regions", "Regions", "地区风险暴露",
        "One row per country, province, city or zone of the chain, and per region outside "
        "it whose loss alone stops a chain target: what stops if it is cut off (targets, "
        "nodes, output), and for countries the average share of the chain's component "
        "supply made there, how many components it leads and in how many it holds more "
        "than 65 %.",
        (
            C("rank", "Rank", "排名", "int"), C("id", "Region id", "地区编号"),
            C("name", "Name", "名称"), C("name_zh", "Chinese name", "中文名称"),
            C("level", "Level", "层级", "level"),
            C("spof", "Single point of failure", "单点失效", "bool"),
            C("score", "Risk score", "风险评分", "score"),
            C("targets_lost", "Targets lost", "受影响目标数", "int"),
            C("nodes_lost", "Nodes lost", "连带失效节点数", "int"),
            C("output_lost", "Output lost", "目标产出损失", "share"),
            C("supply_share", "Average share of component supply", "平均供应份额", "share"),
            C("components_led", "Components where top", "居首环节数", "int"),
            C("components_over_65", "Components over 65 %", "超65%环节数", "int"),
        ),
        [
            (i, r.id, r.name, r.name_zh, graph.region_level.get(graph.index[r.id], ""),
             r.spof, r.score, r.targets_lost, r.nodes_lost, r.output_lost,
             supply[r.id].supply_share if r.id in supply else 0.0,
             supply[r.id].components_led if r.id in supply else 0,
             supply[r.id].components_over_65 if r.id in supply else 0)
            for i, r in enumerate(rows_by_kind["region"], start=1)
        ],
    )
    spof_rows = []
    by_node = {s.id: s for s in chainview.chain_spofs(data)}
    for t in data.targets:
        target = graph.ids[t]
        for x in spof.spof(target):
            if x not in by_node:
                continue  # outside the access scope
            path = [s.node for s in spof.explain(target, x)]
            spof_rows.append((
                target, *names(t), x, *names(graph.index[x]), by_node[x].role,
                " → ".join(named(n) for n in path),
                " → ".join(n if data.shown(graph.output_index(graph.index[n])) else HIDDEN
                           for n in path),
            ))
    spofs = Table(
        "spof", "Single points of failure", "单点失效",
        "For each chain target (end product or chain-leader firm), every node whose loss "
        "alone stops it, with one failure path from the lost node to the target. Exact "
        "under bill-of-materials rules: a product needs all its inputs, an input any one "
        "of its suppliers. 'Outside the chain' marks a node that is none of the chain's "
        "members but that the chain depends on.",
        (
            C("target", "Target id", "目标编号"), C("target_name", "Target", "目标"),
            C("target_name_zh", "Target (Chinese)", "目标中文名称"),
            C("spof", "Single point of failure id", "单点失效节点编号"),
            C("spof_name", "Single point of failure", "单点失效节点"),
            C("spof_name_zh", "Chinese name", "中文名称"),
            C("role", "Place in the chain", "与本链关系", "role"),
            C("path", "Failure path", "失效路径"),
            C("path_ids", "Failure path (ids)", "失效路径(编号)"),
        ),
        spof_rows,
    )
    tables = [firms, components, regions, spofs]
    if scenario is not None:
        failed = set(scenario.failed)
        tables.append(Table(
            "scenario", "Scenario", "情景模拟",
            "Output each node keeps after the disruption on the Summary sheet: before "
            "(always 100 %), after, loss, and whether it stops outright. Around supply "
            "loops output can fall to 0 while the node still works in the yes/no view.",
            (
                C("id", "Node", "节点"), C("name", "Name", "名称"),
                C("name_zh", "Chinese name", "中文名称"),
                C("before", "Output before", "扰动前产出", "share"),
                C("after", "Output after", "扰动后产出", "share"),
                C("loss", "Loss", "产出损失", "share"),
                C("failed", "Stops outright", "完全停摆", "bool"),
            ),
            [(c.id, *names(graph.index[c.id]), c.before, c.after, c.loss, c.id in failed)
             for c in scenario.changes() if data.shown(graph.index[c.id])],
        ))
    from chainrisk.report.chief_tables import chief_tables

    bench = service.workbench(chain, scope, control=control, visible=visible)
    tables.extend(chief_tables(bench, lang))
    tables.append(_data_quality(data))
    scope_node = bench.scope
    metadata = {
        "scope": graph.ids[scope_node],
        "scope_name": graph.names[scope_node],
        "scope_name_zh": graph.names_zh[scope_node],
        "scope_variant": "control" if control else "location",
        "chain": chain,
        "chain_name": chain_info.name,
        "chain_name_zh": chain_info.name_zh,
        "targets": [graph.ids[t] for t in data.targets],
        "store": info.url if visible is None else "",
        "data_version": info.data_version,
        "last_load": info.loads[0].finished_at if info.loads else None,
        "bundles": [f"{b['name']} {b.get('version', '')}".strip() for b in info.bundles]
        if visible is None else [],
        # how exact each bundle says its shares are (bundle.toml: shares); a viewer
        # learns the kinds only, not the names of bundles they may not see
        "shares": sorted({(b["name"] if visible is None else "", b.get("shares", ""))
                          for b in info.bundles}),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "chainrisk_version": __version__,
        "weights": dict(ranking.weights),
        "scenario": list(scenario.disrupted) if scenario is not None else None,
        "formula_guard": "text cells starting with = + - @ tab or carriage return are "
        "prefixed with ' so that no spreadsheet runs them",
    }
    return ExportTables(metadata, tuple(tables))


def _data_quality(data: chainview.ChainData) -> Table:
    """Return what the analysis of the chain had to assume, for the chain's members only."""
    graph = data.graph
    members = set(data.members.nodes if data.visible is None
                  else data.members.nodes & data.visible)
    rows: list[tuple[Any, ...]] = []
    for ident in data.conc.without_producers:
        v = graph.index[ident]
        if v not in members:
            continue
        has_inputs = any(graph.group_kind[g] == GroupKind.REQUIRES for g in graph.groups(v))
        what = "no producer data" if has_inputs else "leaf without data (no producers, no inputs)"
        rows.append(("component", ident, graph.names[v], what, ""))
    components = set(data.components)
    for g in range(graph.n_groups):
        kind = graph.group_kind[g]
        owner = int(graph.group_owner[g])
        # the chain's own figures: its components' producers, its firms' purchases of them
        about_chain = (owner in components if kind == GroupKind.PRODUCERS else
                       kind == GroupKind.BUYS and owner in members
                       and int(graph.group_ref[g]) in components)
        if not about_chain:
            continue
        lo, hi = int(graph.member_ptr[g]), int(graph.member_ptr[g + 1])
        given = graph.share_given[lo:hi]
        missing = int((given != given).sum())  # NaN: not given
        if missing:
            about = graph.describe_group(g)
            rows.append(("shares", graph.ids[owner], graph.names[owner],
                         f"{missing} of {hi - lo} shares assumed ({about})",
                         f"{float((given[given == given]).sum()):.0%} given"))
    for v in sorted(members):
        if graph.kind[v] == Kind.REGION and graph.ids[v].startswith("region:XX"):
            rows.append(("region", graph.ids[v], graph.names[v],
                         "unresolved region from an import", graph.names[v]))
    return Table(
        "data_quality", "Data quality", "数据质量",
        "What the analysis of this chain had to assume: its components without producer "
        "data, groups of producers or suppliers with shares missing (split by the share "
        "rule), regions an import could not resolve. Fix these in the data to sharpen the "
        "answers.",
        (C("kind", "Kind", "类别", "kind"), C("id", "Id", "编号"), C("name", "Name", "名称"),
         C("issue", "Issue", "问题"), C("detail", "Detail", "说明")),
        rows,
    )


METHOD = (
    "Single points of failure are exact under bill-of-materials rules: a product needs "
    "all its inputs, each input any one of its suppliers; a firm needs its region and, "
    "for each part it buys, one of its suppliers.",
    "The score weighs the parts shown on the Firms, Components and Regions sheets; each "
    "part is scaled to 0–1 within its kind.",
    "Concentration uses market shares after the share rule (missing shares split the "
    "remainder); production sites count before headquarters.",
)


def shares_lines(shares: list[tuple[str, str]] | list[list[str]]) -> list[str]:
    """Return the Summary's lines on how exact the shares are, one per quality, in the
    words of chainrisk.words: what each bundle's ``shares`` key says, never a guess.

    >>> for line in shares_lines([("ic", "approximate"), ("5g", "approximate"), ("x", "")]):
    ...     print(line[:62])
    Shares from ic, 5g are approximate, as their bundle.toml says.
    Shares from x are used as the data gives them; their bundle.to
    """
    lines = []
    for quality in (*SHARE_QUALITIES, ""):
        names = [name for name, said in shares if said == quality]
        if not names:
            continue
        kind = quality or "unsaid"
        if any(names):
            lines.append(words.text(f"method.shares.{kind}", "en",
                                    bundles=", ".join(n for n in names if n)))
        else:
            lines.append(words.text(f"method.shares_hidden.{kind}", "en"))
    return lines


def summary_table(export: ExportTables) -> Table:
    """Return the Summary sheet: what data and parameters made this, and how to read it."""
    m = export.metadata
    rows: list[tuple[str, Any]] = [
        ("Chain / 产业链", f"{m['chain']} — {m['chain_name']}"
         + (f" ({m['chain_name_zh']})" if m.get("chain_name_zh") else "")),
        ("Targets / 目标", ", ".join(m["targets"])),
        ("Data / 数据", ", ".join(m["bundles"])),
        ("Data version / 数据版本", m["data_version"]),
        ("Last load / 最近载入", m["last_load"] or ""),
        ("Store / 存储", m["store"]),
        ("Generated / 生成时间", m["generated_at"]),
        ("chainrisk version / 版本", m["chainrisk_version"]),
        ("Weights / 权重", ", ".join(f"{k} {v:g}" for k, v in m["weights"].items())),
        ("Scenario / 情景", ", ".join(m["scenario"]) if m.get("scenario") else "none"),
    ]
    if m.get("scope"):
        variant = ("by control / 按控制方" if m.get("scope_variant") == "control"
                   else "by location / 按所在地")
        rows.append(("Scope of coverage and gaps / 配套与补链范围",
                     f"{m['scope']} {m['scope_name']}"
                     + (f" ({m['scope_name_zh']})" if m.get("scope_name_zh") else "")
                     + f", {variant}"))
    rows += [(f"Sheet: {t.title_en} / {t.title_zh}", t.how_to_read) for t in export.tables]
    rows += [("Method / 方法", line) for line in (*METHOD, *shares_lines(m["shares"]))]
    rows.append(("Formula guard / 公式防护", m["formula_guard"]))
    return Table(
        "summary", "Summary", "概要", "What produced this workbook and how to read it.",
        (Column("item", "Item", "项目"), Column("value", "Value", "内容")),
        rows,
    )
