"""Writing a store (or any tables) back out as a canonical chain bundle."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chainrisk.errors import UsageError
from chainrisk.ingest.values import format_cell
from chainrisk.schema import TABLE_ORDER, TABLES
from chainrisk.store.base import Store


def toml_value(value: Any) -> str:
    """Return ``value`` written as a TOML value (strings, numbers, lists, tables).

    >>> toml_value({"id": "sia", "year": 2021})
    '{id = "sia", year = 2021}'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    # TOML has no null: a missing value is left out (metadata loaded before nulls were
    # dropped on reading may still hold some).
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(
            f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None
        ) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else (
        json.dumps(key, ensure_ascii=False)
    )


def write_meta(path: Path, meta: Mapping[str, Any]) -> None:
    """Write bundle.toml with one ``key = value`` line per entry."""
    lines = [f"{_toml_key(k)} = {toml_value(v)}" for k, v in meta.items() if v is not None]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def merged_meta(bundles: list[dict[str, Any]]) -> dict[str, Any]:
    """Return one bundle.toml for a store holding ``bundles`` (one: itself; several: merged).

    >>> merged_meta([{"name": "ic", "sources": [1]}, {"name": "5g", "sources": [1, 2]}])
    {'name': 'ic+5g', 'description': 'Dump of a store holding ic, 5g', 'sources': [1, 2]}
    """
    if len(bundles) == 1:
        return dict(bundles[0])
    if not bundles:
        return {"name": "empty", "description": "Dump of an empty store"}
    sources: list[Any] = []
    for b in bundles:
        for s in b.get("sources", []):
            if s not in sources:
                sources.append(s)
    merged: dict[str, Any] = {
        "name": "+".join(b["name"] for b in bundles),
        "description": "Dump of a store holding " + ", ".join(b["name"] for b in bundles),
    }
    countries = {b.get("home_country", "CN") for b in bundles}
    if len(countries) == 1 and countries != {"CN"}:
        merged["home_country"] = countries.pop()
    if sources:
        merged["sources"] = sources
    return merged


def dump_store(store: Store, out_dir: Path) -> dict[str, int]:
    """Write the whole store to ``out_dir`` as a bundle; return rows written per table."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UsageError(f"{out_dir} exists and is not an empty folder: name a new folder")
    out_dir.mkdir(parents=True, exist_ok=True)

    def write_all() -> dict[str, int]:
        written: dict[str, int] = {}
        for name in TABLE_ORDER:
            spec = TABLES[name]
            extras = store.extra_columns(name)
            header = [*spec.column_names, *extras]
            n = 0
            with (out_dir / spec.filename).open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(header)
                for row in store.iter_rows(name):
                    writer.writerow(
                        [format_cell(c.kind, row.get(c.name)) for c in spec.columns]
                        + [row.get(e, "") for e in extras]
                    )
                    n += 1
            written[name] = n
        write_meta(out_dir / "bundle.toml", merged_meta(store.bundles()))
        return written

    # one snapshot: a dump taken while a load commits holds all of it or none of it
    # (the work may run again on Neo4j; it rewrites every file each time)
    return store.snapshot(write_all)
