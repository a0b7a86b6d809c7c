"""The chain chief's commands: coverage, reliance, gaps, alternatives.

Every figure comes from :mod:`chainrisk.workbench` (through the service), the views the
app's Gaps page and the workbook read too; docs/risk-model.md §8 defines them.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from chainrisk import workbench as wb
from chainrisk.cli.render import csv_writer, labelled, name_fields, names, safe_text, write_json
from chainrisk.cli.status import Commands
from chainrisk.errors import UsageError
from chainrisk.graph import DependencyGraph
from chainrisk.service import RiskService


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _ids(graph: DependencyGraph, nodes: Any) -> list[str]:
    return [graph.ids[v] for v in nodes]


def _scope_line(graph: DependencyGraph, w: wb.Workbench, why: str) -> str:
    region = graph.ids[w.scope]
    variant = ("by control: firms controlled from "
               f"{labelled(graph, graph.ids[w.coverage.controlled.country])}"
               if w.control and w.coverage.controlled.country is not None
               else "by location: producers, sites and suppliers inside it")
    return f"scope {labelled(graph, region)} ({why}); {variant}\n"


def _open(args: argparse.Namespace) -> tuple[RiskService, wb.Workbench, str]:
    service = RiskService.open(args.store)
    try:
        chain = service.chain_id(args.chain)
        _, why = service.scope(chain, args.scope)
        return service, service.workbench(chain, args.scope, control=args.control), why
    except BaseException:
        service.close()
        raise


def _candidate(graph: DependencyGraph, c: Any) -> dict[str, Any]:
    return {"firm": graph.ids[c.firm], **name_fields(graph, graph.ids[c.firm]),
            "share": c.share,
            "country": graph.ids[c.country] if c.country is not None else None,
            "controller": graph.ids[c.controller] if c.controller is not None else None,
            "inside": c.inside, "supplies_inside": c.supplies_inside,
            "supplies_buyer": c.supplies_buyer}


# ---------------------------------------------------------------------- coverage


def cmd_coverage(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show how much of each link of a chain is made inside a scope (本地配套)."""
    service, w, why = _open(args)
    service.close()
    g = w.graph
    rows = wb.coverage_rows(w)
    summary = wb.coverage_summary(w)
    leaders = wb.leader_rows(w)
    if args.format == "json":
        country = w.coverage.controlled.country
        write_json(out, {
            "scope": g.ids[w.scope],
            "control_country": g.ids[country] if country is not None else None,
            "summary": {"coverage_rate": summary.coverage_rate,
                        "mean_local_share": summary.mean_local_share},
            "links": {g.ids[x.component]: {
                "class": x.link_class, "local_share": x.local_share,
                "local_firms": x.local_firms, "controlled_share": x.controlled_share}
                for x in rows},
            "leaders": {g.ids[f]: rate for f, rate in leaders},
        })
        return 0
    if args.format == "csv":
        writer = csv_writer(out)
        writer.writerow(["component", "name", "name_zh", "class", "local_share", "local_firms",
                         "controlled_share", "controlled_firms"])
        for x in rows:
            n = name_fields(g, g.ids[x.component])
            writer.writerow([g.ids[x.component], safe_text(n["name"]), safe_text(n["name_zh"]),
                             x.link_class, x.local_share, x.local_firms, x.controlled_share,
                             x.controlled_firms])
        return 0
    out.write(_scope_line(g, w, why))
    counts = ", ".join(f"{k} {v}" for k, v in summary.by_class.items())
    out.write(f"chain {w.chain}: {summary.components} links ({counts}); coverage rate "
              f"{_share(summary.coverage_rate)}, mean local share "
              f"{_share(summary.mean_local_share)}\n")
    out.write(f"{'component':<36} {'class':<8} {'local':>7} {'firms':>5} {'controlled':>10}"
              "  name\n")
    for x in rows:
        out.write(f"{g.ids[x.component]:<36} {x.link_class:<8} {_share(x.local_share):>7} "
                  f"{'' if x.local_firms is None else x.local_firms:>5} "
                  f"{_share(x.controlled_share):>10}  {names(g, g.ids[x.component])}\n")
    if leaders:
        out.write("chain leaders' local sourcing:\n")
        for f, rate in leaders:
            out.write(f"  {g.ids[f]:<34} {_share(rate):>7}  {names(g, g.ids[f])}\n")
    return 0


def _scope_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scope", metavar="REGION",
                   help="a country, province or city: id, name, Chinese name or alias "
                   "(default: the home region of the bundle that brought the chain); "
                   "scope CN is the mainland (Taiwan, Hong Kong and Macao are their own)")
    p.add_argument("--control", action="store_true",
                   help="keep the firms controlled from the scope's country instead of "
                   "those located inside it (firms.csv controller)")


def add_coverage(sub: Commands) -> None:
    p = sub.add_parser(
        "coverage", help="which links of a chain a province holds (缺链/弱链/强链)",
        description="For each component of the chain: the share of its production inside "
        "the scope, the firms making it there, the share controlled from the scope's "
        "country, and its class (missing, weak, strong, no data); the coverage rate and "
        "the chain leaders' local sourcing. See docs/risk-model.md §8.")
    p.add_argument("--chain", metavar="ID", required=True, help="the chain, e.g. ic")
    _scope_options(p)
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="output format")
    p.set_defaults(func=cmd_coverage)


# ---------------------------------------------------------------------- reliance


def cmd_reliance(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show what could still be made if every input from outside the scope stopped."""
    service = RiskService.open(args.store)
    try:
        chain = service.chain_id(args.chain) if args.chain else None
        rel = service.reliance(chain, args.scope, control=args.control)
        graph = service.graph()
    finally:
        service.close()
    if args.format == "json":
        write_json(out, rel.to_json())
        return 0
    blocked = rel.blocking
    if args.format == "csv":
        writer = csv_writer(out)
        writer.writerow(["target", "name", "makeable", "blocking", "fill_plan"])
        for t in rel.targets:
            plan = " ".join(_ids(graph, rel.fill_plan(t))) if t in blocked else ""
            writer.writerow([graph.ids[t], safe_text(names(graph, graph.ids[t])),
                             t not in blocked, " ".join(_ids(graph, blocked.get(t, ()))), plan])
        return 0
    region = graph.ids[rel.keep.scope]
    out.write(f"scope {labelled(graph, region)}, "
              f"{'by control' if rel.keep.control else 'by location'}: "
              f"{len(rel.makeable_nodes):,} nodes makeable, {len(rel.cut)} cut links; "
              f"{len(rel.targets) - len(blocked)} of {len(rel.targets)} chain targets "
              "makeable\n")
    for t in rel.targets:
        if t not in blocked:
            out.write(f"  {graph.ids[t]:<36} makeable  {names(graph, graph.ids[t])}\n")
            continue
        links = blocked[t]
        out.write(f"  {graph.ids[t]:<36} blocked by {len(links)}  "
                  f"{names(graph, graph.ids[t])}\n")
        out.write(f"      blocking: {', '.join(_ids(graph, links))}\n")
        out.write(f"      fill plan: {', '.join(_ids(graph, rel.fill_plan(t)))}\n")
    return 0


def add_reliance(sub: Commands) -> None:
    p = sub.add_parser(
        "reliance", help="what could be made if imports stopped (自主可控), what blocks it",
        description="Evaluate the chain on the restricted graph of the scope: every "
        "producer and supplier outside it is gone, buyers turn to whoever makes a part "
        "inside. Lists the makeable nodes, the cut links, each chain target's blocking "
        "links and a fill plan, and what filling each cut link alone would make. JSON as "
        "chain-chief.md §H says.")
    p.add_argument("--chain", metavar="ID", help="this chain's targets (default: every chain's)")
    _scope_options(p)
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="output format")
    p.set_defaults(func=cmd_reliance)


# ---------------------------------------------------------------------- gaps


def _gap_json(graph: DependencyGraph, w: wb.Workbench, x: Any) -> dict[str, Any]:
    link = graph.ids[x.component]
    coverage = w.coverage.links.get(x.component)
    path = wb.explain(w, x.blocks[0], x.component) if x.blocks else ()
    return {"link": link, **name_fields(graph, link), "cut": x.cut,
            "class": coverage.link_class if coverage else None,
            "local_share": coverage.local_share if coverage else None,
            "fill_gain": _ids(graph, x.fill_gain), "blocks": _ids(graph, x.blocks),
            "spof_of": _ids(graph, x.spof_of), "path": _ids(graph, path),
            "candidates": [_candidate(graph, c) for c in x.candidates]}


def cmd_gaps(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show a chain's gap list with the firms to attract (补链招商)."""
    service, w, why = _open(args)
    service.close()
    g = w.graph
    gaps = wb.gap_rows(w)
    shown = gaps[: args.top] if args.top else gaps
    verdicts = [v for v in wb.verdicts(w) if not v.makeable]
    if args.format == "json":
        write_json(out, {"scope": g.ids[w.scope], "control": w.control, "chain": w.chain,
                         "gaps": [_gap_json(g, w, x) for x in shown],
                         "plans": {g.ids[v.target]: _ids(g, v.fill_plan) for v in verdicts}})
        return 0
    if args.format == "csv":
        writer = csv_writer(out)
        writer.writerow(["rank", "link", "name", "cut", "class", "fill_gain", "blocks",
                         "spof_of", "path", "candidates"])
        for i, x in enumerate(shown, 1):
            d = _gap_json(g, w, x)
            writer.writerow([i, d["link"], safe_text(names(g, d["link"])), x.cut, d["class"],
                             " ".join(d["fill_gain"]), " ".join(d["blocks"]), len(x.spof_of),
                             " -> ".join(d["path"]),
                             " ".join(c["firm"] for c in d["candidates"])])
        return 0
    out.write(_scope_line(g, w, why))
    out.write(f"chain {w.chain}: {sum(1 for x in gaps if x.cut)} cut links, "
              f"{sum(1 for x in gaps if not x.cut)} weak links\n")
    for i, x in enumerate(shown, 1):
        link = g.ids[x.component]
        kind = "cut" if x.cut else "weak"
        out.write(f"{i:>4} {link:<36} {kind:<4} fills {len(x.fill_gain)}, blocks "
                  f"{len(x.blocks)}, single point of {len(x.spof_of)}  {names(g, link)}\n")
        if x.fill_gain:
            out.write(f"       filling it makes: {', '.join(_ids(g, x.fill_gain))}\n")
        if x.blocks:
            path = wb.explain(w, x.blocks[0], x.component)
            out.write(f"       via {' -> '.join(_ids(g, path))}\n")
        if x.candidates:
            firms = ", ".join(f"{g.ids[c.firm]} {c.share:.0%}" for c in x.candidates[:5])
            more = f" (+{len(x.candidates) - 5})" if len(x.candidates) > 5 else ""
            out.write(f"       to attract: {firms}{more}\n")
    if len(shown) < len(gaps):
        out.write(f"… {len(gaps) - len(shown)} more (--top 0 lists all)\n")
    if verdicts:
        out.write("fill plans of the blocked targets:\n")
        for v in verdicts:
            out.write(f"  {g.ids[v.target]:<36} {', '.join(_ids(g, v.fill_plan))}\n")
    return 0


def add_gaps(sub: Commands) -> None:
    p = sub.add_parser(
        "gaps", help="a chain's missing and weak links, ranked, with firms to attract",
        description="Cut links first (by the chain targets filling each alone would make "
        "makeable, then by the targets it blocks), then weak links (by the targets they "
        "are a single point of failure of); each with a failure path, and the firms that "
        "make it with nothing inside the scope yet. Then a fill plan per blocked target.")
    p.add_argument("--chain", metavar="ID", required=True, help="the chain, e.g. ic")
    _scope_options(p)
    p.add_argument("--top", type=int, default=20, metavar="N",
                   help="list the first N links (default 20; 0: all)")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="output format")
    p.set_defaults(func=cmd_gaps)


# ---------------------------------------------------------------------- alternatives


def cmd_alternatives(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show who could replace a supplier (替代), for each of its sales."""
    service = RiskService.open(args.store)
    try:
        graph = service.graph()
        firm = service.resolve([args.firm])[0]
        if not firm.startswith("firm:"):
            raise UsageError(f"{args.firm!r} is {firm}, not a firm: --firm names the "
                             "supplier to replace", code="usage.not_a_firm",
                             params={"node": args.firm})
        component = service.resolve([args.component])[0] if args.component else None
        buyer = service.resolve([args.buyer])[0] if args.buyer else None
        chain = service.chain_id(args.chain) if args.chain else (
            sorted(graph.chains)[0] if graph.chains else None)
        if chain is None:
            raise UsageError("no chain is loaded: load a bundle first",
                             code="usage.unknown_chain", params={"chain": "", "known": ""})
        w = service.workbench(chain, args.scope, control=args.control)
    finally:
        service.close()
    links = wb.alternatives(graph, w.producers, graph.index[firm],
                            graph.index[component] if component else None,
                            graph.index[buyer] if buyer else None)
    if args.format == "json":
        write_json(out, {"scope": graph.ids[w.scope], "supplier": firm, "links": [
            {"buyer": graph.ids[x.buyer], "component": graph.ids[x.component], "sole": x.sole,
             "substitutes": [_candidate(graph, c) for c in x.substitutes]} for x in links]})
        return 0
    if not links:
        out.write(f"{labelled(graph, firm)} supplies nothing"
                  f"{' matching those options' if component or buyer else ''}\n")
        return 0
    out.write(f"scope {labelled(graph, graph.ids[w.scope])}: makers inside it first\n")
    for x in links:
        sole = "  (its only supplier)" if x.sole else ""
        out.write(f"{graph.ids[x.component]} to {labelled(graph, graph.ids[x.buyer])}{sole}\n")
        if not x.substitutes:
            out.write("    nobody else makes it\n")
        for c in x.substitutes:
            flags = ("inside" if c.inside else "outside") + (
                ", already supplies the buyer" if c.supplies_buyer else "")
            out.write(f"    {graph.ids[c.firm]:<32} {c.share:6.1%}  {flags}  "
                      f"{names(graph, graph.ids[c.firm])}\n")
    return 0


def add_alternatives(sub: Commands) -> None:
    p = sub.add_parser(
        "alternatives", help="who else could supply what a firm supplies (替代)",
        description="For each sale of the firm (optionally of one component, to one "
        "buyer): the component's other makers, those inside the scope first, then by "
        "share, each marked when it already supplies the buyer something.")
    p.add_argument("--firm", required=True, metavar="ID", help="the supplier to replace")
    p.add_argument("--component", metavar="ID", help="only this component")
    p.add_argument("--buyer", metavar="ID", help="only sales to this buyer")
    p.add_argument("--chain", metavar="ID",
                   help="whose default scope to use (default: the first chain)")
    _scope_options(p)
    p.add_argument("--format", choices=["table", "json"], default="table",
                   help="output format")
    p.set_defaults(func=cmd_alternatives)
