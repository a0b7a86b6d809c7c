"""The small files people hand to the front ends: ranking weights, disruption scenarios,
name-resolution tables. Each reader raises :class:`~chainrisk.errors.UsageError` saying
what is wrong with the file and how it should look.

>>> read_weight_overrides(["output_lost=0.5"], {"spof": 1.0})
{'spof': 1.0, 'output_lost': 0.5}
"""

from __future__ import annotations

import csv
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import yaml

from chainrisk.errors import UsageError
from chainrisk.guard import guard

Resolution = tuple[str, str, str, str]  # source, kind, written, id
RESOLUTION_KINDS = ("firm", "component", "region")


def read_weights(path: Path) -> dict[str, float]:
    """Return the weights of a TOML, YAML (.yaml, .yml) or JSON (.json) file: part = weight."""
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
    return data


def read_weight_overrides(items: Iterable[str],
                          weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Return ``weights`` with each ``NAME=NUMBER`` of ``items`` set over it."""
    found = dict(weights or {})
    for item in items:
        name, sep, value = item.partition("=")
        try:
            found[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise UsageError(f"--weight takes NAME=NUMBER, e.g. output_lost=0.3; got {item!r}")
    return found


def read_scenario(path: Path) -> list[str]:
    """Return the ids a scenario file disrupts: JSON ``{"disrupt": [ids]}`` (or a list),
    else one id a line (``#`` starts a comment line)."""
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
        return [str(i) for i in listed]
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def read_resolutions(path: Path) -> list[Resolution]:
    """Return the (source, kind, written, id) rows of a resolutions CSV (as exported)."""
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
                if kind not in RESOLUTION_KINDS:
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


def write_resolutions(target: TextIO, rows: Sequence[Resolution],
                      names: Mapping[tuple[str, str], tuple[str, str]]) -> None:
    """Write the resolutions with the stored names of each id beside it (for reading;
    :func:`read_resolutions` reads source, kind, written and id only)."""
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(["source", "kind", "written", "id", "name", "name_zh"])
    writer.writerows([guard(c) for c in (*row, *names.get((row[1], row[3]), ("", "")))]
                     for row in rows)
