"""The analysis commands: spof, simulate, rank, concentration, overview, structure.
Each command's options are beside it; the answers are the service's."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from chainrisk import chainview
from chainrisk.cli.render import (
    csv_writer,
    labelled,
    name_fields,
    names,
    names_map,
    safe_text,
    write_json,
)
from chainrisk.cli.status import Commands
from chainrisk.readers import read_weight_overrides, read_weights
from chainrisk.service import RiskService

# ---------------------------------------------------------------------- spof


def cmd_spof(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show single points of failure of chain targets or of the nodes named."""
    service = RiskService.open(args.store)
    try:
        result = service.spof()
        graph = result.graph
        if args.target:
            targets = service.resolve(args.target)
        elif args.format == "json":
            every = result.to_json()
            every["names"] = names_map(graph, every["nodes"])
            write_json(out, every)
            return 0
        else:
            targets = service.chain_targets(
                service.chain_id(args.chain) if args.chain else None)
        if args.format == "json":
            data: dict[str, Any] = {"nodes": {t: result.spof(t) for t in sorted(targets)}}
            data["names"] = names_map(graph, [*data["nodes"], *(
                x for found in data["nodes"].values() for x in found)])
            if args.explain:
                data["paths"] = {
                    t: {x: [s.node for s in result.explain(t, x)] for x in result.spof(t)}
                    for t in sorted(targets)
                }
            write_json(out, data)
        elif args.format == "csv":
            writer = csv_writer(out)
            writer.writerow(["target", "spof", "spof_name", "path"])
            for t in targets:
                for x in result.spof(t):
                    path = " -> ".join(s.node for s in result.explain(t, x))
                    writer.writerow([t, x, safe_text(names(graph, x)), path])
        else:
            for t in targets:
                found = result.spof(t)
                out.write(f"{t}  {names(graph, t)}: {len(found)} single point(s) of failure\n")
                for x in found:
                    path = " -> ".join(s.node for s in result.explain(t, x))
                    out.write(f"  {x:<34} {names(graph, x)}\n      via {path}\n")
    finally:
        service.close()
    return 0


def add_spof(sub: Commands) -> None:
    p = sub.add_parser(
        "spof",
        help="single points of failure of chain targets or of given nodes",
        description="Exact single points of failure under bill-of-materials rules: every "
        "node whose loss alone stops the target, each with one failure path. Without "
        "--target, the targets are every chain's end products and leader firms (table, "
        "csv) or every node (json).",
    )
    p.add_argument("--target", action="append", metavar="ID",
                   help="node to analyse (repeatable), e.g. component:ai-accelerator")
    p.add_argument("--chain", metavar="ID", help="only this chain's targets")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="output format (json: {\"nodes\": {id: [spof ids]}})")
    p.add_argument("--explain", action="store_true",
                   help="with --format json: add the failure path of every answer")
    p.set_defaults(func=cmd_spof)


# ---------------------------------------------------------------------- simulate


def cmd_simulate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Disrupt nodes and show the output each node keeps."""
    service = RiskService.open(args.store)
    try:
        result = service.simulate(args.disrupt)
        graph = result.graph
        if args.format == "json":
            data = result.to_json()
            data["names"] = names_map(graph, [*result.disrupted, *result.failed,
                                              *(c.id for c in result.changes())])
            write_json(out, data)
            return 0
        changes = result.changes()
        if args.format == "csv":
            writer = csv_writer(out)
            writer.writerow(["id", "name", "before", "after", "loss", "failed"])
            failed = set(result.failed)
            for c in changes:
                writer.writerow([c.id, safe_text(names(graph, c.id)), c.before, c.after,
                                 c.loss, c.id in failed])
            return 0
        out.write(f"disrupted: {', '.join(result.disrupted)}\n")
        out.write(f"{len(result.failed)} node(s) stop outright; {len(changes)} lose output\n")
        targets = result.targets()
        out.write("chain targets affected (end products, chain-leader firms):\n")
        for c in targets or []:
            out.write(f"  {c.id:<34} {c.before:6.1%} -> {c.after:6.1%}  {names(graph, c.id)}\n")
        if not targets:
            out.write("  none\n")
        shown = changes if args.all else changes[:30]
        out.write("nodes losing output (biggest loss first):\n")
        for c in shown:
            out.write(f"  {c.id:<34} {c.before:6.1%} -> {c.after:6.1%}\n")
        if len(shown) < len(changes):
            out.write(f"  ... {len(changes) - len(shown)} more (--all lists every one)\n")
    finally:
        service.close()
    return 0


def add_simulate(sub: Commands) -> None:
    p = sub.add_parser(
        "simulate",
        help="disrupt firms, regions or components and see what output is left",
        description="Capacity cascade: the output fraction every node keeps when the "
        "named nodes are disrupted (a region takes its sub-regions and the firms located "
        "there), the nodes that stop outright, and the chain targets affected.",
    )
    p.add_argument("--disrupt", action="append", metavar="ID", required=True,
                   help="node to disrupt (repeatable): firm:asml, region:NL, or a bare id")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="output format (json: disrupted, failed, output)")
    p.add_argument("--all", action="store_true", help="list every node that lost output")
    p.set_defaults(func=cmd_simulate)


# ---------------------------------------------------------------------- rank


def _weights(args: argparse.Namespace) -> dict[str, float]:
    """Return the weights of --weights FILE, each --weight NAME=NUMBER set over them."""
    weights = read_weights(Path(args.weights)) if args.weights else {}
    return read_weight_overrides(args.weight or [], weights)


def cmd_rank(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Rank firms, regions and components of a chain by criticality."""
    service = RiskService.open(args.store)
    try:
        args.chain = service.chain_id(args.chain)
        ranking = service.rank(args.chain, kind=args.kind, weights=_weights(args))
        if args.write_back:
            found = service.write_back(ranking)
            err.write(f"wrote risk_score, risk_rank, spof_targets and the score parts on "
                      f"{found} node(s) for chain {ranking.chain}\n")
    finally:
        service.close()
    rows = ranking.rows[: args.top] if args.top else ranking.rows
    if args.format == "json":
        write_json(out, {
            "chain": ranking.chain,
            "targets": list(ranking.targets),
            "weights": dict(ranking.weights),
            "structural_note": "betweenness and articulation_point are structural views "
            "that ignore AND/OR rules",
            "betweenness_sampled": ranking.betweenness_sampled,
            "rows": [vars(r) for r in rows],
        })
        return 0
    if args.format == "csv":
        writer = csv_writer(out)
        fields = list(vars(rows[0])) if rows else []
        writer.writerow(fields)
        for r in rows:
            writer.writerow([safe_text(v) if isinstance(v, str) else v for v in vars(r).values()])
        return 0
    out.write(f"chain {ranking.chain}: {len(ranking.targets)} targets; weights "
              + ", ".join(f"{k} {v:g}" for k, v in ranking.weights.items()) + "\n")
    out.write(f"{'#':>4} {'id':<32} {'role':<12} {'SPOF':<4} {'score':>6} {'targets':>7} "
              f"{'nodes':>6} {'sole':>5} {'output':>7} {'HHI':>6}  structural; name\n")
    for r in rows:
        lost = "   n/a" if r.output_lost is None else f"{r.output_lost:6.1%}"
        hhi = "   n/a" if r.concentration is None else f"{r.concentration:6.0f}"
        flags = ("articulation " if r.articulation_point else "") + (
            f"betweenness {r.betweenness:.3f}" if r.betweenness else "")
        name = r.name + (f" ({r.name_zh})" if r.name_zh and r.name_zh != r.name else "")
        out.write(f"{r.rank:>4} {r.id:<32} {r.role:<12} {'yes' if r.spof else '':<4} "
                  f"{r.score:6.3f} {r.targets_lost:>7} "
                  f"{r.nodes_lost:>6} {r.sole_source_links:>5} {lost:>7} "
                  f"{hhi:>6}  {flags + '; ' if flags else ''}{name}\n")
    missing = {why: sum(1 for r in ranking.rows if r.output_lost_missing == why)
               for why in ("time", "budget")}
    if missing["time"]:
        out.write(f"note: the analysis time limit ran out before {missing['time']} row(s) got "
                  "their output lost (n/a); they are ranked after the complete rows. Raise "
                  "CHAINRISK_ANALYSIS_SECONDS to complete them.\n")
    if missing["budget"]:
        out.write(f"note: {missing['budget']} row(s) that stop no target outright have no "
                  "output lost (n/a, beyond the cascade budget); they are ranked after the "
                  "complete rows.\n")
    return 0


def add_rank(sub: Commands) -> None:
    p = sub.add_parser(
        "rank",
        help="rank a chain's firms, regions and components by criticality",
        description="Criticality ranking with every part shown: targets lost, nodes "
        "lost, sole-source links, output lost, concentration, and the structural extras "
        "(betweenness, articulation point). The score is a weighted sum of the parts "
        "normalised per kind; see docs/risk-model.md for the defaults.",
    )
    p.add_argument("--chain", required=True, metavar="ID", help="the chain, e.g. ic")
    p.add_argument("--kind", choices=["firm", "region", "component"],
                   help="rank one kind only (default: all three)")
    p.add_argument("--top", type=int, metavar="N", help="show the first N rows")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="output format")
    p.add_argument("--weights", metavar="FILE",
                   help="weights file (TOML, YAML or JSON): part = weight")
    p.add_argument("--weight", action="append", metavar="PART=W",
                   help="override one weight, e.g. --weight output_lost=0.5 (repeatable)")
    p.add_argument("--write-back", action="store_true",
                   help="Neo4j store: set risk_score, risk_rank, spof_targets and the parts "
                   "on the nodes, for Neo4j Browser and Bloom")
    p.set_defaults(func=cmd_rank)


# ---------------------------------------------------------------------- concentration


def cmd_concentration(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show supply concentration of every component."""
    service = RiskService.open(args.store)
    try:
        result = service.concentration()
        graph = service.graph()
        rows = sorted(result.rows, key=lambda r: (-r.hhi_country, r.id))
        if args.chain:
            rows = list(chainview.concentration_rows(
                service.chain_data(service.chain_id(args.chain))))
    finally:
        service.close()
    if args.format == "json":
        write_json(out, {
            "components": [vars(r) | name_fields(graph, r.id) | {
                "band": r.band,
                "top_producer_name": name_fields(graph, r.top_producer)["name"]}
                for r in rows],
            "without_producers": [{"id": i} | name_fields(graph, i)
                                  for i in result.without_producers]})
        return 0
    if args.format == "csv":
        frame = result.to_frame()
        frame = frame[frame["id"].isin({r.id for r in rows})]
        frame.insert(2, "name_zh", [name_fields(graph, i)["name_zh"] for i in frame["id"]])
        frame.to_csv(out, index=False)
        return 0
    out.write(f"{'component':<36} {'HHI firm':>8} {'country':>8} {'band':<14} "
              f"{'top country':<16} {'foreign':>7} {'>65%':>5}  name\n")
    for r in rows:
        country = chainview.name_by_id(graph, r.top_country, "en") or r.top_country
        out.write(f"{r.id:<36} {r.hhi_firm:8.0f} {r.hhi_country:8.0f} {r.band:<14} "
                  f"{country + f' {r.top_country_share:.0%}':<16} {r.foreign_share:7.0%} "
                  f"{'yes' if r.region_over_65 else '':>5}  {names(graph, r.id)}\n")
    if result.without_producers:
        out.write("no producer data: "
                  + ", ".join(labelled(graph, i) for i in result.without_producers) + "\n")
    return 0


def add_concentration(sub: Commands) -> None:
    p = sub.add_parser(
        "concentration",
        help="supply concentration of each component (HHI by firm, country, province)",
        description="Per component: HHI by firm, by country and by home-country "
        "province (production sites before HQ), top producer and country, CR3, countries "
        "to reach 75 %%, one country above 65 %%, foreign share, share confidence.",
    )
    p.add_argument("--chain", metavar="ID", help="only this chain's components")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="output format")
    p.set_defaults(func=cmd_concentration)


# ---------------------------------------------------------------------- overview


def cmd_overview(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show a chain's headline figures and its single points of failure (the app's overview)."""
    service = RiskService.open(args.store)
    try:
        args.chain = service.chain_id(args.chain)  # an id, a name or a Chinese name
        data = service.chain_data(args.chain)
        head = chainview.headline(data)
        spofs = chainview.chain_spofs(data)
    finally:
        service.close()
    graph = data.graph
    if args.format == "json":
        figures = {k: getattr(head, k) for k in head.__dataclass_fields__}
        figures |= {"spof_inside": head.spof_inside, "over_65_share": head.over_65_share}
        write_json(out, {
            "chain": args.chain, "headline": figures,
            "spofs": [{"id": s.id, **name_fields(graph, s.id), "kind": s.kind,
                       "member": s.member, "role": s.role, "targets": list(s.targets)}
                      for s in spofs],
        })
        return 0
    foreign = "n/a" if head.foreign_share is None else f"{head.foreign_share:.0%}"
    over = "n/a" if head.over_65_share is None else f"{head.over_65_share:.0%}"
    out.write(
        f"chain {args.chain}: {head.firms} firms ({head.producers} producers, {head.leaders} "
        f"leaders, {head.distributors} traders; {head.customers} outside customers not "
        f"counted), {head.components} components, {head.countries} countries\n"
        f"{head.spofs} single points of failure ({head.spof_firms} firms, "
        f"{head.spof_components} components, {head.spof_regions} regions; "
        f"{head.spof_inside} in the chain, {head.spof_outside} outside it) "
        f"of {head.targets} targets\n"
        f"inputs over 65 % in one country: {head.over_65} of {head.with_producers} ({over}); "
        f"foreign share of supply: {foreign}\n")
    for s in spofs[: args.top] if args.top else spofs:
        where = "" if s.member else "  (outside the chain)"
        out.write(f"  {s.id:<36} {names(graph, s.id)}: stops {len(s.targets)} target(s)"
                  f"{where}\n")
    return 0


def add_overview(sub: Commands) -> None:
    p = sub.add_parser(
        "overview",
        help="a chain's headline figures and every single point of failure",
        description="The figures of the app's overview: the chain's firms (producers, "
        "leaders, traders; outside customers apart), components, countries, and its single "
        "points of failure (nodes whose loss alone stops a chain target other than "
        "themselves, in the chain or outside it).",
    )
    p.add_argument("--chain", metavar="ID", required=True, help="the chain")
    p.add_argument("--top", type=int, default=0, metavar="N",
                   help="list only the first N single points of failure (table)")
    p.add_argument("--format", choices=["table", "json"], default="table",
                   help="output format")
    p.set_defaults(func=cmd_overview)


# ---------------------------------------------------------------------- structure


def cmd_structure(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show structural views of the supply network (not the exact AND/OR answer)."""
    service = RiskService.open(args.store)
    try:
        result = service.structure()
        graph = service.graph()
    finally:
        service.close()
    if args.format == "json":
        data = result.to_json()
        named = set(result.articulation_points) | set(result.betweenness)
        named |= {i for bridge in result.bridges for i in bridge}
        named |= set(result.dominators) | set(result.dominators.values())
        data["names"] = {i: name_fields(graph, i) for i in sorted(named)}
        write_json(out, data)
        return 0
    out.write("STRUCTURAL VIEW: these measures ignore which inputs are alternatives and "
              "which are all needed; use 'chainrisk spof' for the exact answer.\n")
    out.write(f"articulation points of the firm network ({len(result.articulation_points)}): "
              + ", ".join(labelled(graph, i) for i in result.articulation_points) + "\n")
    out.write(f"bridges ({len(result.bridges)}): "
              + ", ".join(f"{labelled(graph, a)}–{labelled(graph, b)}"
                          for a, b in result.bridges[:50])
              + (" …" if len(result.bridges) > 50 else "") + "\n")
    top = sorted(result.betweenness.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
    sampled = " (sampled)" if result.betweenness_sampled else ""
    out.write(f"highest betweenness{sampled}: "
              + ", ".join(f"{labelled(graph, k)} {v:.3f}" for k, v in top) + "\n")
    return 0


def add_structure(sub: Commands) -> None:
    p = sub.add_parser(
        "structure",
        help="structural views: articulation points, bridges, dominators, betweenness",
        description="Classic graph measures of the supply network, labelled as "
        "structural: they ignore AND/OR rules and are shown beside, never instead of, "
        "the exact single points of failure.",
    )
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="output format")
    p.set_defaults(func=cmd_structure)
