"""The chain chief's sheets of an export: Coverage, Self-reliance, Gaps and targets,
Substitutes — the figures of :mod:`chainrisk.workbench`, as the CLI's ``coverage``,
``reliance``, ``gaps`` and ``alternatives`` and the app's Gaps page show them."""

from __future__ import annotations

from chainrisk import words
from chainrisk import workbench as wb
from chainrisk.chainview import name_of
from chainrisk.report.tables import Column, Table

C = Column


def chief_tables(w: wb.Workbench, lang: str) -> list[Table]:
    """Return the four sheets of ``w`` (names inside text in ``lang``)."""
    g = w.graph

    def nm(v: int) -> str:
        return name_of(g, v, lang)

    def zh(v: int) -> str | None:
        return g.names_zh[g.output_index(v)]

    def listed(nodes: tuple[int, ...]) -> str:
        return "; ".join(nm(v) for v in nodes)

    def id_list(nodes: tuple[int, ...]) -> str:
        return " ".join(g.ids[v] for v in nodes)

    coverage = Table(
        "coverage", "Coverage", "本地配套",
        words.WORDS["howto.coverage"][1],
        (
            C("id", "Component id", "环节编号"), C("name", "Name", "名称"),
            C("name_zh", "Chinese name", "中文名称"),
            C("link_class", "Link class", "环节类别", "link_class"),
            C("local_share", "Share made inside", "本地生产份额", "share"),
            C("local_firms", "Firms inside", "本地企业数", "int"),
            C("controlled_share", "Share controlled from the country", "本国控制份额",
              "share"),
            C("controlled_firms", "Firms controlled from the country", "本国控制企业数",
              "int"),
        ),
        [(g.ids[x.component], g.names[x.component], zh(x.component), x.link_class,
          x.local_share, x.local_firms, x.controlled_share, x.controlled_firms)
         for x in wb.coverage_rows(w)],
    )
    verdicts = wb.verdicts(w)
    reliance = Table(
        "reliance", "Self-reliance", "自主可控",
        words.WORDS["howto.reliance"][1],
        (
            C("id", "Target id", "目标编号"), C("name", "Target", "目标"),
            C("name_zh", "Chinese name", "中文名称"),
            C("makeable", "Makeable inside", "可自主生产", "bool"),
            C("blocking", "Blocking links", "卡脖子环节"),
            C("blocking_ids", "Blocking links (ids)", "卡脖子环节(编号)"),
            C("fill_plan", "Fill plan", "补链方案"),
            C("fill_plan_ids", "Fill plan (ids)", "补链方案(编号)"),
        ),
        [(g.ids[v.target], g.names[v.target], zh(v.target), v.makeable, listed(v.blocking),
          id_list(v.blocking), listed(v.fill_plan), id_list(v.fill_plan))
         for v in verdicts],
    )
    gap_rows = []
    for i, x in enumerate(wb.gap_rows(w), start=1):
        path = wb.explain(w, x.blocks[0], x.component) if x.blocks else ()
        link = w.coverage.links.get(x.component)
        for j, c in enumerate(x.candidates or (None,)):
            gap_rows.append((
                i, g.ids[x.component], g.names[x.component], zh(x.component),
                "cut" if x.cut else "weak", link.link_class if link else "",
                len(x.fill_gain), listed(x.fill_gain), len(x.blocks), len(x.spof_of),
                " → ".join(nm(v) for v in path) if j == 0 else "",
                j + 1 if c else None, g.ids[c.firm] if c else "",
                nm(c.firm) if c else "", c.share if c else None,
                nm(c.country) if c and c.country is not None else "",
                nm(c.controller) if c and c.controller is not None else "",
                c.supplies_inside if c else None,
            ))
    gaps = Table(
        "gaps", "Gaps and targets", "补链招商",
        words.WORDS["howto.gaps"][1],
        (
            C("rank", "Rank", "排名", "int"), C("id", "Link id", "环节编号"),
            C("name", "Link", "环节"), C("name_zh", "Chinese name", "中文名称"),
            C("gap", "Gap", "缺口类型", "gap"),
            C("link_class", "Link class", "环节类别", "link_class"),
            C("fill_gain", "Targets made by filling it", "补齐后可生产目标数", "int"),
            C("fill_gain_names", "Those targets", "可生产目标"),
            C("blocks", "Targets it blocks", "阻断目标数", "int"),
            C("spof_of", "Targets it is a single point of failure of", "单点失效目标数",
              "int"),
            C("path", "One failure path", "失效路径示例"),
            C("candidate_rank", "Candidate no.", "候选序号", "int"),
            C("candidate", "Firm to attract id", "招商对象编号"),
            C("candidate_name", "Firm to attract", "招商对象"),
            C("candidate_share", "Its world share", "全球份额", "share"),
            C("candidate_country", "HQ country", "总部所在国"),
            C("candidate_controller", "Controlled from", "实际控制方所在国"),
            C("candidate_supplies_inside", "Firms inside it supplies", "已供应本地企业数",
              "int"),
        ),
        gap_rows,
    )
    sub_rows = []
    for s in wb.sole_sources(w):
        for j, c in enumerate(s.substitutes or (None,)):
            sub_rows.append((
                g.ids[s.buyer], nm(s.buyer), g.ids[s.component], nm(s.component),
                g.ids[s.supplier], nm(s.supplier), j + 1 if c else None,
                g.ids[c.firm] if c else "", nm(c.firm) if c else "",
                c.inside if c else None, c.share if c else None,
                c.supplies_buyer if c else None,
            ))
    substitutes = Table(
        "substitutes", "Substitutes", "替代供应",
        words.WORDS["howto.substitutes"][1],
        (
            C("buyer", "Buyer id", "采购方编号"), C("buyer_name", "Buyer", "采购方"),
            C("component", "Component id", "环节编号"),
            C("component_name", "Component", "环节"),
            C("supplier", "Sole supplier id", "独家供应商编号"),
            C("supplier_name", "Sole supplier", "独家供应商"),
            C("substitute_rank", "Substitute no.", "替代序号", "int"),
            C("substitute", "Substitute id", "替代企业编号"),
            C("substitute_name", "Substitute", "替代企业"),
            C("inside", "Inside the scope", "位于本地", "bool"),
            C("share", "Its world share", "全球份额", "share"),
            C("supplies_buyer", "Already supplies the buyer", "已向采购方供货", "bool"),
        ),
        sub_rows,
    )
    return [coverage, reliance, gaps, substitutes]
