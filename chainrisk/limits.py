"""Size and time limits that keep one bad input or one pathological graph from taking the
machine down. Every limit has a default sized for a province's chain and an environment
variable that changes it; a value of 0 turns a limit off.

>>> lim = from_env({"CHAINRISK_MAX_ROWS": "10"})
>>> lim.max_rows, lim.max_file_bytes == DEFAULTS.max_file_bytes
(10, True)
>>> from_env({"CHAINRISK_MAX_ROWS": "ten"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
chainrisk.errors.UsageError: CHAINRISK_MAX_ROWS='ten' is not a whole number ≥ 0: ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from chainrisk.errors import UsageError

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The limits in force; see :data:`ENV` for the variable of each field."""

    max_file_bytes: int = 2048 * MiB
    """One input file (a bundle CSV, a supplier list) on disk."""
    max_upload_bytes: int = 200 * MiB
    """One file uploaded through the app (Streamlit's server.maxUploadSize follows it)."""
    max_unpacked_bytes: int = 4096 * MiB
    """Everything a zip (an uploaded bundle, an XLSX) unpacks to."""
    max_rows: int = 20_000_000
    """Data rows read from one file."""
    max_cell_chars: int = 1_000_000
    """Characters in one cell; real cells are far shorter, a bigger one is an accident."""
    analysis_seconds: float = 600.0
    """Wall time of one analysis (SPOF, cascade, ranking, structure) before it stops."""


ENV: dict[str, str] = {
    "max_file_bytes": "CHAINRISK_MAX_FILE_BYTES",
    "max_upload_bytes": "CHAINRISK_MAX_UPLOAD_BYTES",
    "max_unpacked_bytes": "CHAINRISK_MAX_UNPACKED_BYTES",
    "max_rows": "CHAINRISK_MAX_ROWS",
    "max_cell_chars": "CHAINRISK_MAX_CELL_CHARS",
    "analysis_seconds": "CHAINRISK_ANALYSIS_SECONDS",
}

DEFAULTS = Limits()


def _parse(name: str, raw: str, as_float: bool) -> float | int:
    try:
        value: float | int = float(raw) if as_float else int(raw.replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        kind = "number" if as_float else "whole number"
        example = getattr(DEFAULTS, next(k for k, v in ENV.items() if v == name))
        raise UsageError(f"{name}={raw!r} is not a {kind} ≥ 0: set it to e.g. {example} "
                         "(0 = no limit)")
    return value


def from_env(environ: Mapping[str, str] | None = None) -> Limits:
    """Return the limits set in ``environ`` (default ``os.environ``), defaults elsewhere."""
    environ = os.environ if environ is None else environ
    values: dict[str, float | int] = {}
    for f in fields(Limits):
        raw = environ.get(ENV[f.name], "").strip()
        if raw:
            values[f.name] = _parse(ENV[f.name], raw, f.type in (float, "float"))
    return Limits(**values)  # type: ignore[arg-type]  # values typed per field above


def current() -> Limits:
    """Return the limits in force now (read from the environment on every call)."""
    return from_env()


def describe(field: str, value: float | int) -> str:
    """Return how to raise a limit, e.g. for an error message."""
    return f"set {ENV[field]} to more than {value:g} (0 = no limit)"
