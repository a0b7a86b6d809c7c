"""What the commands print: the progress line, names beside ids, JSON and CSV, the store
summary of ``chainrisk info``. Every command renders its results through these."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from chainrisk.graph import DependencyGraph
from chainrisk.report.writers import safe_text
from chainrisk.results import StoreInfo

__all__ = ["PROBLEMS_SHOWN", "Progress", "csv_writer", "info_json", "info_text", "labelled",
           "name_fields", "names", "names_map", "safe_text", "write_json", "wrote_report"]

PROBLEMS_SHOWN = 50  # problems of a load report listed on the terminal (all in the report)


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


def write_json(out: TextIO, data: Any, indent: int = 1) -> None:
    """Write ``data`` as JSON (Chinese as written, not escaped) and a newline."""
    out.write(json.dumps(data, ensure_ascii=False, indent=indent) + "\n")


def csv_writer(out: TextIO) -> Any:
    """Return a CSV writer on ``out`` with Unix line ends (text cells: :func:`safe_text`)."""
    return csv.writer(out, lineterminator="\n")


def wrote_report(out: TextIO, paths: Iterable[Path]) -> None:
    """Say where a load or import report was written."""
    out.write("report written to " + ", ".join(str(p) for p in paths) + "\n")


# ---------------------------------------------------------------------- names


def names(graph: DependencyGraph, node_id: str) -> str:
    """Return a node's name, with its Chinese name in brackets when it has another one."""
    v = graph.index[node_id]
    zh = graph.names_zh[v]
    return f"{graph.names[v]} ({zh})" if zh and zh != graph.names[v] else graph.names[v]


def labelled(graph: DependencyGraph, node_id: str) -> str:
    """Return ``id (name)`` for the one-line lists, where a table has no name column."""
    return f"{node_id} ({names(graph, node_id)})" if node_id in graph.index else node_id


def name_fields(graph: DependencyGraph, node_id: str) -> dict[str, str]:
    """Return the name and Chinese name of a node for JSON and CSV rows."""
    v = graph.index.get(node_id)
    if v is None:
        return {"name": "", "name_zh": ""}
    return {"name": graph.names[v], "name_zh": graph.names_zh[v] or ""}


def names_map(graph: DependencyGraph, ids: Any) -> dict[str, dict[str, str]]:
    """Return {id: {name, name_zh}} of ``ids``, for the ``names`` key of JSON output."""
    return {i: name_fields(graph, i) for i in sorted(set(ids))}


# ---------------------------------------------------------------------- store summary


def info_json(info: StoreInfo) -> dict[str, object]:
    """Return what ``chainrisk info --format json`` prints."""
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


def info_text(info: StoreInfo) -> str:
    """Return what ``chainrisk info`` prints."""
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
