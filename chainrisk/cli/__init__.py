"""The ``chainrisk`` command: parse options, call the library, render results.

Only this module (and the UI) turns errors into messages. Exit status: 0 success,
1 the input has problems (the report says which), 2 wrong usage, 3 the store failed,
124 an analysis ran past its time limit (CHAINRISK_ANALYSIS_SECONDS).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TextIO

import yaml
from platformdirs import user_data_dir

from chainrisk import __version__, chainview
from chainrisk.errors import (
    AnalysisTimeout,
    ChainriskError,
    InputError,
    StoreError,
    UsageError,
    ValidationFailed,
)
from chainrisk.graph import DependencyGraph
from chainrisk.ingest.csvfile import DEFAULT_ENCODING
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.report import LoadReport
from chainrisk.ingest.writer import dump_store
from chainrisk.report.writers import safe_text
from chainrisk.schema import OnError
from chainrisk.service import RiskService
from chainrisk.store import default_store_url, open_store, redact_text
from chainrisk.store.base import Store, StoreInfo

EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_STORE = 3
EXIT_TIMEOUT = 124  # an analysis hit CHAINRISK_ANALYSIS_SECONDS (124, as timeout(1) exits)
PROBLEMS_SHOWN = 50


class Progress:
    """A one-line progress display on stderr (only when stderr is a terminal)."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        of = f"/{total:,}" if total else ""
        eta = ""
        if total and rate > 0 and total > done:
            eta = f"  ETA {int((total - done) / rate) // 60}:{int((total - done) / rate) % 60:02d}"
        self.stream.write(f"\r{stage:<12} {done:>12,}{of} rows  {rate:>10,.0f} rows/s{eta} ")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def _reports_folder(given: str | None, bundle: Path) -> Path:
    if given:
        return Path(given)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(user_data_dir("chainrisk", appauthor=False)) / "reports" / f"{stamp}-{bundle.name}"


def _write_report(report: LoadReport, folder: Path, out: TextIO) -> None:
    paths = report.write(folder)
    out.write("report written to " + ", ".join(str(p) for p in paths) + "\n")


# ---------------------------------------------------------------------- commands


def cmd_load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Load each bundle folder into the store."""
    store = open_store(args.store)
    try:
        for folder in args.bundles:
            progress = Progress(err, not args.quiet)
            path = Path(folder)
            try:
                report = load_bundle(
                    store,
                    path,
                    on_error=OnError(args.on_error),
                    dry_run=args.dry_run,
                    encoding=args.encoding,
                    progress=progress,
                )
            except ValidationFailed as e:
                progress.done()
                err.write(f"error: {e}\n")
                err.write(e.report.to_text(limit=PROBLEMS_SHOWN))
                _write_report(e.report, _reports_folder(args.report, path), err)
                return EXIT_INPUT
            progress.done()
            verb = "checked (dry run, nothing written)" if args.dry_run else "loaded"
            out.write(f"{report.bundle}: {verb} into {store.url}\n")
            out.write(report.to_text(limit=PROBLEMS_SHOWN))
            if report.problems or args.report:
                _write_report(report, _reports_folder(args.report, path), out)
    finally:
        store.close()
    return 0


def cmd_import_suppliers(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Import enterprise supplier lists (CSV, XLSX) into the store."""
    from chainrisk.ingest.suppliers import import_suppliers, write_import_report

    store = open_store(args.store)
    progress = Progress(err, not args.quiet)
    files = [Path(f) for f in args.files]
    folder = _reports_folder(args.report, files[0])
    try:
        report = import_suppliers(
            store,
            files,
            buyer=args.buyer,
            sheet=args.sheet,
            mapping=Path(args.mapping) if args.mapping else None,
            on_error=OnError(args.on_error),
            dry_run=args.dry_run,
            encoding=args.encoding,
            source=args.source,
            progress=progress,
            region_from=args.region_from,
        )
    except ValidationFailed as e:
        progress.done()
        err.write(f"error: {e}\n")
        err.write(e.report.to_text(limit=PROBLEMS_SHOWN))
        paths = e.report.write(folder)
        err.write("report written to " + ", ".join(str(p) for p in paths) + "\n")
        return EXIT_INPUT
    finally:
        store.close()
    progress.done()
    verb = "checked (dry run, nothing written)" if args.dry_run else "imported"
    out.write(f"{', '.join(f.name for f in files)}: {verb}\n")
    out.write(report.to_text(limit=PROBLEMS_SHOWN))
    paths = write_import_report(report, folder)
    out.write("report written to " + ", ".join(str(p) for p in paths) + "\n")
    return 0


def cmd_resolutions(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Export or re-apply the table of how written names were resolved."""
    store = open_store(args.store)
    try:
        if args.action == "export":
            rows = store.resolutions(args.source)
            names = _stored_names(store, {kind for _, kind, _, _ in rows})
            if not args.file:
                _write_resolutions(out, rows, names)
                return 0
            with open(args.file, "w", encoding="utf-8-sig", newline="") as handle:
                _write_resolutions(handle, rows, names)
            out.write(f"wrote {len(rows)} resolution(s) to {args.file}\n")
            return 0
        if not args.file:
            raise UsageError("resolutions import needs the CSV file to read")
        rows = _read_resolutions(Path(args.file))
        changed = store.save_resolutions(rows)
    finally:
        store.close()
    out.write(f"{changed} resolution(s) changed; import the supplier list again to apply "
              "them\n")
    return 0


_KIND_TABLES = {"firm": "firms", "component": "components", "region": "regions"}


def _stored_names(store: Store, kinds: set[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """Return (kind, id) -> (name, name_zh) of the stored nodes of ``kinds``."""
    names = {}
    for kind in sorted(kinds & _KIND_TABLES.keys()):
        for row in store.iter_rows(_KIND_TABLES[kind]):
            names[kind, row["id"]] = (row.get("name") or "", row.get("name_zh") or "")
    return names


def _write_resolutions(target: TextIO, rows: list[tuple[str, str, str, str]],
                       names: dict[tuple[str, str], tuple[str, str]]) -> None:
    """Write the resolutions with the stored names of each id beside it (for reading;
    import reads source, kind, written and id only)."""
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(["source", "kind", "written", "id", "name", "name_zh"])
    writer.writerows([safe_text(c) for c in (*row, *names.get((row[1], row[3]), ("", "")))]
                     for row in rows)


def _read_resolutions(path: Path) -> list[tuple[str, str, str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"source", "kind", "written", "id"} - set(reader.fieldnames or ())
            if missing:
                raise UsageError(f"{path} needs the columns source, kind, written, id; "
                                 f"missing {', '.join(sorted(missing))}")
            rows = []
            for line, row in enumerate(reader, start=2):
                kind = (row["kind"] or "").strip()
                if kind not in ("firm", "component", "region"):
                    raise UsageError(f"{path} line {line}: kind must be firm, component "
                                     f"or region, not {kind!r}")
                ident = (row["id"] or "").strip()
                if not ident or ":" in ident or " " in ident:
                    raise UsageError(f"{path} line {line}: {ident!r} is not an id")
                written = row["written"] or ""
                if written.startswith("'") and written[1:2] in ("=", "+", "-", "@"):
                    written = written[1:]  # undo the spreadsheet guard of export
                rows.append((row["source"] or "", kind, written, ident))
            return rows
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from e


def cmd_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show where the store is and what it holds."""
    store = open_store(args.store)
    try:
        info = store.info(last_loads=args.loads)
    finally:
        store.close()
    if args.format == "json":
        out.write(json.dumps(_info_json(info), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(_info_text(info))
    return 0


def _info_json(info: StoreInfo) -> dict[str, object]:
    return {
        "url": info.url,
        "location": info.location,
        "schema_version": info.schema_version,
        "data_version": info.data_version,
        "counts": dict(info.counts),
        "bundles": [dict(b) for b in info.bundles],
        "chains": [dict(c) for c in info.chains],
        "loads": [
            {
                "id": r.id,
                "finished_at": r.finished_at,
                "bundle": r.bundle,
                "version": r.version,
                "source": r.source,
                "checksum": r.checksum,
                "changed": r.changed,
                "rejected": r.rejected,
                "changes": {k: vars(v) for k, v in r.changes.items()},
            }
            for r in info.loads
        ],
    }


def _info_text(info: StoreInfo) -> str:
    lines = [
        f"store:        {info.url}",
        f"file:         {info.location}",
        f"data version: {info.data_version}",
        "rows:         " + ", ".join(f"{k} {v:,}" for k, v in info.counts.items()),
    ]
    if info.bundles:
        lines.append("bundles:")
        for b in info.bundles:
            line = f"  {b['name']} {b.get('version', '')}  {b.get('description', '')}"
            lines.append(line.rstrip())
    if info.chains:
        lines.append("chains:")
        for c in info.chains:
            zh = f" ({c['name_zh']})" if c.get("name_zh") else ""
            lines.append(
                f"  {c['id']:<8} {c['name']}{zh}: {c['components']} components, "
                f"{c['producing_firms']} producing firms"
            )
    if info.loads:
        lines.append("recent loads:")
        for r in info.loads:
            lines.append(
                f"  #{r.id} {r.finished_at} {r.bundle} {r.version}: {r.changed} rows changed, "
                f"{r.rejected} rejected, sha256 {r.checksum[:12]}"
            )
    else:
        lines.append("nothing loaded yet: try  chainrisk load loaders/bundles/ic")
    return "\n".join(lines) + "\n"


def cmd_dump(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write the store back out as a bundle folder."""
    store = open_store(args.store)
    try:
        written = dump_store(store, Path(args.out_dir))
    finally:
        store.close()
    out.write(
        f"wrote {args.out_dir}: " + ", ".join(f"{k} {v:,}" for k, v in written.items()) + "\n"
    )
    return 0


def cmd_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write a synthetic chain bundle."""
    from chainrisk.generate import generate_bundle

    progress = Progress(err, not args.quiet)
    try:
        summary = generate_bundle(Path(args.out_dir), args.firms, args.seed, progress=progress)
    except (ValueError, FileExistsError) as e:
        raise UsageError(str(e)) from e
    progress.done()
    out.write(
        f"wrote {summary.out_dir}: "
        + ", ".join(f"{k} {v:,}" for k, v in summary.rows.items())
        + "\n"
    )
    return 0


def _names(graph: DependencyGraph, node_id: str) -> str:
    v = graph.index[node_id]
    zh = graph.names_zh[v]
    return f"{graph.names[v]} ({zh})" if zh and zh != graph.names[v] else graph.names[v]


def _labelled(graph: DependencyGraph, node_id: str) -> str:
    """Return ``id (name)`` for the one-line lists, where a table has no name column."""
    return f"{node_id} ({_names(graph, node_id)})" if node_id in graph.index else node_id


def _name_fields(graph: DependencyGraph, node_id: str) -> dict[str, str]:
    """Return the name and Chinese name of a node for JSON and CSV rows."""
    v = graph.index.get(node_id)
    if v is None:
        return {"name": "", "name_zh": ""}
    return {"name": graph.names[v], "name_zh": graph.names_zh[v] or ""}


def _names_map(graph: DependencyGraph, ids: Any) -> dict[str, dict[str, str]]:
    """Return {id: {name, name_zh}} of ``ids``, for the ``names`` key of JSON output."""
    return {i: _name_fields(graph, i) for i in sorted(set(ids))}


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
            every["names"] = _names_map(graph, every["nodes"])
            out.write(json.dumps(every, ensure_ascii=False, indent=1) + "\n")
            return 0
        else:
            targets = service.chain_targets(
                service.chain_id(args.chain) if args.chain else None)
        if args.format == "json":
            data: dict[str, Any] = {"nodes": {t: result.spof(t) for t in sorted(targets)}}
            data["names"] = _names_map(graph, [*data["nodes"], *(
                x for found in data["nodes"].values() for x in found)])
            if args.explain:
                data["paths"] = {
                    t: {x: [s.node for s in result.explain(t, x)] for x in result.spof(t)}
                    for t in sorted(targets)
                }
            out.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        elif args.format == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["target", "spof", "spof_name", "path"])
            for t in targets:
                for x in result.spof(t):
                    path = " -> ".join(s.node for s in result.explain(t, x))
                    writer.writerow([t, x, safe_text(_names(graph, x)), path])
        else:
            for t in targets:
                found = result.spof(t)
                out.write(f"{t}  {_names(graph, t)}: {len(found)} single point(s) of failure\n")
                for x in found:
                    path = " -> ".join(s.node for s in result.explain(t, x))
                    out.write(f"  {x:<34} {_names(graph, x)}\n      via {path}\n")
    finally:
        service.close()
    return 0


def cmd_simulate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Disrupt nodes and show the output each node keeps."""
    service = RiskService.open(args.store)
    try:
        result = service.simulate(args.disrupt)
        graph = result.graph
        if args.format == "json":
            data = result.to_json()
            data["names"] = _names_map(graph, [*result.disrupted, *result.failed,
                                               *(c.id for c in result.changes())])
            out.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
            return 0
        changes = result.changes()
        if args.format == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["id", "name", "before", "after", "loss", "failed"])
            failed = set(result.failed)
            for c in changes:
                writer.writerow([c.id, safe_text(_names(graph, c.id)), c.before, c.after,
                                 c.loss, c.id in failed])
            return 0
        out.write(f"disrupted: {', '.join(result.disrupted)}\n")
        out.write(f"{len(result.failed)} node(s) stop outright; {len(changes)} lose output\n")
        targets = result.targets()
        out.write("chain targets affected (end products, chain-leader firms):\n")
        for c in targets or []:
            out.write(f"  {c.id:<34} {c.before:6.1%} -> {c.after:6.1%}  {_names(graph, c.id)}\n")
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


def _read_weights(args: argparse.Namespace) -> dict[str, float]:
    weights: dict[str, float] = {}
    if args.weights:
        path = Path(args.weights)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot read the weights file {path}: {e.strerror}") from e
        try:
            if path.suffix == ".json":
                data = json.loads(text)
            elif path.suffix in (".yaml", ".yml"):
                data = yaml.safe_load(text)
            else:
                data = tomllib.loads(text)
        except (ValueError, yaml.YAMLError) as e:
            raise UsageError(f"{path} is not valid {path.suffix or 'TOML'}: {e}") from e
        if not isinstance(data, dict):
            raise UsageError(f"{path} must map part names to weights, e.g. output_lost = 0.3")
        weights.update(data)
    for item in args.weight or []:
        name, sep, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise UsageError(f"--weight takes NAME=NUMBER, e.g. output_lost=0.3; got {item!r}")
    return weights


def cmd_rank(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Rank firms, regions and components of a chain by criticality."""
    service = RiskService.open(args.store)
    try:
        args.chain = service.chain_id(args.chain)
        ranking = service.rank(args.chain, kind=args.kind, weights=_read_weights(args))
        if args.write_back:
            _write_back(service, ranking, err)
    finally:
        service.close()
    rows = ranking.rows[: args.top] if args.top else ranking.rows
    if args.format == "json":
        data = {
            "chain": ranking.chain,
            "targets": list(ranking.targets),
            "weights": dict(ranking.weights),
            "structural_note": "betweenness and articulation_point are structural views "
            "that ignore AND/OR rules",
            "betweenness_sampled": ranking.betweenness_sampled,
            "rows": [vars(r) for r in rows],
        }
        out.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return 0
    if args.format == "csv":
        writer = csv.writer(out, lineterminator="\n")
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


def _write_back(service: RiskService, ranking: Any, err: TextIO) -> None:
    from chainrisk.store.neo4j import Neo4jStore

    store = service.store
    if not isinstance(store, Neo4jStore):
        raise UsageError(
            "--write-back writes scores into Neo4j node properties; the embedded store has "
            "no graph browser to show them. Use --store neo4j://… (or export the ranking)"
        )
    rows = {
        r.id: {
            "risk_score": r.score,
            "risk_rank": r.rank,
            "risk_chain": ranking.chain,
            "spof_targets": r.targets_lost,  # targets this node alone can stop
            "risk_nodes_lost": r.nodes_lost,
            "risk_sole_source_links": r.sole_source_links,
            "risk_output_lost": r.output_lost,
            "risk_concentration": r.concentration,
        }
        for r in ranking.rows
    }
    found = store.write_back(rows)
    err.write(f"wrote risk_score, risk_rank, spof_targets and the score parts on {found} "
              f"node(s) for chain {ranking.chain}\n")


def cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Apply graph_schema/ (constraints, indexes) to the store."""
    from chainrisk.store import apply_schema

    store = open_store(args.store)
    try:
        statements = apply_schema(store)
    finally:
        store.close()
    if statements:
        out.write(f"applied {len(statements)} schema statement(s) to {store.url}\n")
    else:
        out.write(f"{store.url} is an embedded store: its schema is created on first use\n")
    return 0


def cmd_copy(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Copy a whole store (tables, bundles, resolutions) into another store."""
    from chainrisk.store.copy import copy_store

    source = open_store(args.from_url)
    try:
        target = open_store(args.to_url)
        try:
            records = copy_store(source, target)
        finally:
            target.close()
    finally:
        source.close()
    changed = sum(r.changed for r in records)
    out.write(f"copied {args.from_url} to {args.to_url}: {len(records)} load(s), "
              f"{changed} row(s) changed\n")
    return 0


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
        out.write(json.dumps({
            "components": [vars(r) | _name_fields(graph, r.id) | {
                "band": r.band,
                "top_producer_name": _name_fields(graph, r.top_producer)["name"]}
                for r in rows],
            "without_producers": [{"id": i} | _name_fields(graph, i)
                                  for i in result.without_producers]},
            ensure_ascii=False, indent=1) + "\n")
        return 0
    if args.format == "csv":
        frame = result.to_frame()
        frame = frame[frame["id"].isin({r.id for r in rows})]
        frame.insert(2, "name_zh", [_name_fields(graph, i)["name_zh"] for i in frame["id"]])
        frame.to_csv(out, index=False)
        return 0
    out.write(f"{'component':<36} {'HHI firm':>8} {'country':>8} {'band':<14} "
              f"{'top country':<16} {'foreign':>7} {'>65%':>5}  name\n")
    for r in rows:
        country = chainview.name_by_id(graph, r.top_country, "en") or r.top_country
        out.write(f"{r.id:<36} {r.hhi_firm:8.0f} {r.hhi_country:8.0f} {r.band:<14} "
                  f"{country + f' {r.top_country_share:.0%}':<16} {r.foreign_share:7.0%} "
                  f"{'yes' if r.region_over_65 else '':>5}  {_names(graph, r.id)}\n")
    if result.without_producers:
        out.write("no producer data: "
                  + ", ".join(_labelled(graph, i) for i in result.without_producers) + "\n")
    return 0


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
        out.write(json.dumps({
            "chain": args.chain, "headline": figures,
            "spofs": [{"id": s.id, **_name_fields(graph, s.id), "kind": s.kind,
                       "member": s.member, "role": s.role, "targets": list(s.targets)}
                      for s in spofs],
        }, ensure_ascii=False, indent=1) + "\n")
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
        out.write(f"  {s.id:<36} {_names(graph, s.id)}: stops {len(s.targets)} target(s)"
                  f"{where}\n")
    return 0


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
        data["names"] = {i: _name_fields(graph, i) for i in sorted(named)}
        out.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return 0
    out.write("STRUCTURAL VIEW: these measures ignore which inputs are alternatives and "
              "which are all needed; use 'chainrisk spof' for the exact answer.\n")
    out.write(f"articulation points of the firm network ({len(result.articulation_points)}): "
              + ", ".join(_labelled(graph, i) for i in result.articulation_points) + "\n")
    out.write(f"bridges ({len(result.bridges)}): "
              + ", ".join(f"{_labelled(graph, a)}–{_labelled(graph, b)}"
                          for a, b in result.bridges[:50])
              + (" …" if len(result.bridges) > 50 else "") + "\n")
    top = sorted(result.betweenness.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
    sampled = " (sampled)" if result.betweenness_sampled else ""
    out.write(f"highest betweenness{sampled}: "
              + ", ".join(f"{_labelled(graph, k)} {v:.3f}" for k, v in top) + "\n")
    return 0


def _scenario_ids(args: argparse.Namespace) -> list[str]:
    ids = list(args.disrupt or [])
    if args.scenario:
        path = Path(args.scenario)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as e:
            raise UsageError(f"cannot read the scenario file {path}: {e.strerror}") from e
        if path.suffix == ".json":
            try:
                data = json.loads(text)
            except ValueError as e:
                raise UsageError(f"{path} is not valid JSON: {e}") from e
            listed = data.get("disrupt") if isinstance(data, dict) else data
            if not isinstance(listed, list):
                raise UsageError(f'{path} must hold {{"disrupt": ["firm:x", ...]}}')
            ids += [str(i) for i in listed]
        else:
            ids += [line.strip() for line in text.splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    return ids


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Export a chain's rankings and findings to xlsx, csv or json."""
    from chainrisk.report import build_tables, export

    service = RiskService.open(args.store)
    try:
        disrupt = _scenario_ids(args)
        scenario = service.simulate(disrupt) if disrupt else None
        tables = build_tables(service, service.chain_id(args.chain), scenario=scenario,
                              lang=args.lang)
    finally:
        service.close()
    out.write(f"wrote {export(tables, Path(args.out), lang=args.lang)}\n")
    return 0


def _hash_password(out: TextIO, err: TextIO) -> int:
    """Read a new password (twice at a terminal, else one line of stdin); print its hash line."""
    import getpass

    from chainrisk.auth import hash_password, password_problem

    if sys.stdin.isatty():
        password = getpass.getpass("new password: ")
        if getpass.getpass("the same again: ") != password:
            raise UsageError("the two passwords differ; nothing was printed: run it again")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem:
        raise UsageError(f"{problem}; nothing was printed: run it again")
    out.write(f'password = "{hash_password(password)}"\n')
    err.write("paste that line under [users.<name>] in the access policy (see "
              "docs/security.md); the password itself is stored nowhere\n")
    return 0


def cmd_ui(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Serve the Streamlit app until interrupted, or make a password hash for its policy."""
    from chainrisk import ui

    if args.action == "hash-password":
        return _hash_password(out, err)
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a TCP port: give 1..65535")
    for warning in ui.check_access(args.host, args.policy, no_auth=args.no_auth,
                                   store=args.store):
        err.write(f"warning: {warning}\n")
    out.write(f"chainrisk app on http://{args.host}:{args.port}/ (Ctrl+C stops it)\n")
    out.flush()
    return ui.run(args.host, args.port, store=args.store, policy=args.policy,
                  no_auth=args.no_auth)


# ---------------------------------------------------------------------- parser

Command = Callable[[argparse.Namespace, TextIO, TextIO], int]


class _Parser(argparse.ArgumentParser):
    """argparse, except that a usage error never prints a password back: argparse quotes
    the arguments it could not use, and a store URL may hold one."""

    def error(self, message: str) -> NoReturn:
        super().error(redact_text(message))


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``chainrisk`` command."""
    parser = _Parser(
        prog="chainrisk",
        description=(
            "Supply-chain risk graph analyzer: load chain bundles, find single points of "
            "failure, simulate disruptions, rank risks."
        ),
    )
    parser.add_argument("--version", action="version", version=f"chainrisk {__version__}")
    parser.add_argument(
        "--store",
        default=None,
        help="store URL: sqlite:///path.db (default: $CHAINRISK_STORE, else "
        f"{default_store_url()})",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "load",
        help="validate chain bundle folders and load them into the store",
        description="Validate each bundle folder and load it in one transaction. A bundle "
        "with errors loads nothing unless --on-error skip is given; every problem is "
        "listed with its file, line and column, and written to a report folder.",
    )
    p.add_argument("bundles", nargs="+", metavar="BUNDLE", help="bundle folder(s)")
    p.add_argument(
        "--on-error",
        choices=[e.value for e in OnError],
        default=OnError.RAISE.value,
        help="raise: load nothing if any row is bad (default); skip: load the good rows "
        "and write the bad ones to rejects.csv",
    )
    p.add_argument("--dry-run", action="store_true", help="validate only; change nothing")
    p.add_argument(
        "--encoding",
        default=DEFAULT_ENCODING,
        help="text encoding of the CSV files (default utf-8, BOM accepted; e.g. gb18030)",
    )
    p.add_argument("--report", metavar="DIR", help="folder for report.txt/json and rejects.csv")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser(
        "import-suppliers",
        help="import enterprise supplier lists (CSV or Excel, Chinese or English)",
        description="Read supplier lists as firms send them: CSV (UTF-8, GB18030, Big5) "
        "or XLSX (every sheet or one), header row found under title rows, columns mapped "
        "by a built-in Chinese/English synonym table, names resolved to firms by credit "
        "code, name and aliases (new ones created and listed, near matches suggested). "
        "One transaction; every row is loaded, rejected with its reason, or merged.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="supplier list(s): .csv, .xlsx")
    p.add_argument("--buyer", metavar="ID|NAME",
                   help="the buyer for every row (a firm sending its own list)")
    p.add_argument("--sheet", metavar="NAME", help="read only this sheet of a workbook")
    p.add_argument("--mapping", metavar="FILE.yaml",
                   help="per-source mapping: columns (header -> field), buyer, sheet, "
                   "header_row")
    p.add_argument("--on-error", choices=[e.value for e in OnError], default="raise",
                   help="raise: import nothing if any row is bad (default); skip: import "
                   "the good rows, list the bad ones in rejects.csv")
    p.add_argument("--dry-run", action="store_true", help="show the report; change nothing")
    p.add_argument("--region-from", choices=["store", "list"], default="store",
                   help="when a stored firm's region differs from the list's: keep the "
                   "store's (default; a warning names both) or take the list's")
    p.add_argument("--encoding", help="CSV encoding (default: detected)")
    p.add_argument("--source", metavar="NAME",
                   help="name of the source for the resolution table (default: file name)")
    p.add_argument("--report", metavar="DIR", help="folder for the report and rejects.csv")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_import_suppliers)

    p = sub.add_parser(
        "resolutions",
        help="export or re-apply how written names were resolved to ids",
        description="Every import stores how each name as written was resolved (firm, "
        "component or region id), per source. Export it to CSV, correct the id column, "
        "and import it back: the next import of that source uses it.",
    )
    p.add_argument("action", choices=["export", "import"], help="export or import")
    p.add_argument("file", nargs="?", metavar="FILE.csv",
                   help="CSV to write (export; default stdout) or read (import)")
    p.add_argument("--source", metavar="NAME", help="export one source only")
    p.set_defaults(func=cmd_resolutions)

    p = sub.add_parser(
        "info",
        help="show where the store is and what it holds",
        description="Show the store's location, row counts, bundles, chains and recent loads.",
    )
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    p.add_argument("--loads", type=int, default=10, help="how many recent loads to list")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser(
        "dump",
        help="write the store back out as a bundle folder",
        description="Write every table of the store to OUT_DIR in the canonical bundle "
        "layout (load → dump → load gives the same store).",
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="a new or empty folder")
    p.set_defaults(func=cmd_dump)

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

    p = sub.add_parser(
        "schema",
        help="apply graph_schema/ (constraints and indexes) to a Neo4j store",
        description="Create the uniqueness constraints and indexes of graph_schema/ in the "
        "store (idempotent). Loads into Neo4j refuse to start until this has run.",
    )
    p.add_argument("action", choices=["apply"], help="apply the schema")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser(
        "copy",
        help="copy a whole store into another (e.g. embedded to Neo4j)",
        description="Copy every table, the bundles' metadata and the name resolutions from "
        "one store to another, in one load of the target.",
    )
    p.add_argument("--from", dest="from_url", required=True, metavar="URL",
                   help="source store URL")
    p.add_argument("--to", dest="to_url", required=True, metavar="URL",
                   help="target store URL")
    p.set_defaults(func=cmd_copy)

    p = sub.add_parser(
        "export",
        help="export a chain's rankings and findings to Excel, CSV or JSON",
        description="Write a chain's analysis for briefings: a workbook (.xlsx) with "
        "Summary, Firms, Components, Regions, Single points of failure, Scenario and Data "
        "quality sheets; CSV files (a folder or .zip, UTF-8 with BOM); or JSON with "
        "metadata. Text that a spreadsheet could run as a formula is guarded.",
    )
    p.add_argument("--chain", required=True, metavar="ID", help="the chain, e.g. ic")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="FILE.xlsx, FILE.json, FILE.zip, FILE.csv (a folder of that name) "
                   "or a folder")
    p.add_argument("--scenario", metavar="FILE",
                   help="disruption scenario: JSON {\"disrupt\": [ids]} or one id a line")
    p.add_argument("--disrupt", action="append", metavar="ID",
                   help="node to disrupt for the Scenario sheet (repeatable)")
    p.add_argument("--lang", choices=["en", "zh"], default="en",
                   help="language of sheet names and headers")
    p.set_defaults(func=cmd_export)

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

    p = sub.add_parser(
        "generate",
        help="write a synthetic chain bundle of a given size",
        description="Write a deterministic synthetic multi-tier chain bundle (for trials "
        "and benchmarks).",
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="a new or empty folder")
    p.add_argument("--firms", type=int, default=10_000, help="number of firms (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser(
        "ui",
        help="start the app for chain chiefs in the browser",
        description="Serve the Streamlit app (overview, chain map, explorer, rankings, "
        "what-if, concentration, data) until Ctrl+C or SIGTERM, which stop the server too. "
        "Bound to the loopback address by "
        "default, so only this machine can open it; nothing is fetched from the internet. "
        "Any other address needs an access policy (--policy): users sign in and see only "
        "their chains. 'chainrisk ui hash-password' makes the password hashes it holds.",
    )
    p.add_argument("action", nargs="?", choices=["serve", "hash-password"], default="serve",
                   help="serve: run the app (default); hash-password: read a new password "
                   "(twice, never from the command line) and print its line for the policy")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; any "
                   "other needs --policy or --no-auth)")
    p.add_argument("--port", type=int, default=8501, help="TCP port (default 8501)")
    p.add_argument("--policy", metavar="FILE",
                   help="access policy (TOML: users, groups, chains, roles; default "
                   "$CHAINRISK_POLICY); without one, access control is off")
    p.add_argument("--no-auth", action="store_true",
                   help="DANGEROUS: serve a network address with access control off; "
                   "anyone who reaches the port sees every chain and can load data")
    p.set_defaults(func=cmd_ui)
    for command in sub.choices.values():
        # also after the command (`chainrisk info --store …`), where people put it; a
        # store URL is never echoed back by argparse as an "unrecognized argument"
        if not any("--store" in a.option_strings for a in command._actions):
            command.add_argument("--store", default=argparse.SUPPRESS,
                                 help="store URL, as before the command")
    return parser


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the command line; return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    func: Command = args.func
    try:
        return func(args, out, err)
    except UsageError as e:
        err.write(f"error: {e}\n")
        return EXIT_USAGE
    except InputError as e:
        err.write(f"error: {e}\n")
        return EXIT_INPUT
    except StoreError as e:
        err.write(f"store error: {e}\n")
        return EXIT_STORE
    except AnalysisTimeout as e:
        err.write(f"time limit: {e}\n")
        return EXIT_TIMEOUT
    except ChainriskError as e:  # pragma: no cover - every error is one of the above
        err.write(f"error: {e}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        err.write("interrupted; nothing half-written was kept\n")
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, as Unix tools do
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the closed pipe
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
