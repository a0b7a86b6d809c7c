"""Download contents, built only when the button is pressed (Streamlit calls these lazily).

Each function returns a zero-argument callable for ``st.download_button(data=...)``;
Streamlit runs it on its own thread when the user clicks, so it touches no Streamlit
API and goes through the service lock. The bytes are the export module's output:
the same workbook and CSV files as ``chainrisk export``, cut down by :func:`restrict`
to the nodes the user may see when access is limited.
"""

from __future__ import annotations

import dataclasses
import io
import re
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pandas as pd

from chainrisk.report import build_tables, export
from chainrisk.report.tables import ExportTables, Table
from chainrisk.report.writers import safe_text
from chainrisk.ui.state import Shared

# The node-id columns of each table an export writes: a row whose node the user may
# not see is left out. A table not listed here is left out whole when access is
# limited, so that a table added to the export later cannot leak before it is listed.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "firms": ("id",),
    "components": ("id",),
    "regions": ("id",),
    "spof": ("target", "spof"),
    "scenario": ("id",),
    "data_quality": ("id",),
}
HIDDEN = "…"
# an id inside free text (a failure path, "buys component:x"); ids hold no ':' or spaces
_ID_IN_TEXT = re.compile(r"\b(?:firm|component|region):[^\s:]+")


def _mask(text: str, allowed: Collection[str]) -> str:
    """Return ``text`` with the ids it mentions that are not ``allowed`` replaced by '…'.

    >>> _mask("firm:a → component:x → firm:b", {"firm:a", "firm:b"})
    'firm:a → … → firm:b'
    >>> _mask("buys component:x); buys component:xy)", {"component:x"})
    'buys component:x); buys …)'
    """
    def replace(m: re.Match[str]) -> str:
        token = m.group(0)
        core = token.rstrip(")]},;.'\"")  # an id may be followed by punctuation
        if token in allowed or core in allowed:
            return token
        return HIDDEN + token[len(core):]

    return _ID_IN_TEXT.sub(replace, text)


def _renumber(table: Table, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    keys = [c.key for c in table.columns]
    if "rank" not in keys:
        return rows
    at = keys.index("rank")
    return [(*row[:at], i, *row[at + 1:]) for i, row in enumerate(rows, start=1)]


def restrict(tables: ExportTables, allowed: Collection[str]) -> ExportTables:
    """Return ``tables`` with only the nodes ``allowed`` (ids) in them.

    Rows of other nodes are dropped (ranks renumbered), ids of other nodes in text
    are replaced by '…', tables of unknown shape are dropped, and the metadata no
    longer names the store or the loaded bundles.
    """
    kept = []
    for table in tables.tables:
        if table.name not in KEY_COLUMNS:
            continue
        keys = [c.key for c in table.columns]
        at = [keys.index(k) for k in KEY_COLUMNS[table.name]]
        rows = [
            tuple(_mask(v, allowed) if isinstance(v, str) and i not in at else v
                  for i, v in enumerate(row))
            for row in table.rows if all(row[i] in allowed for i in at)
        ]
        kept.append(dataclasses.replace(table, rows=_renumber(table, rows)))
    metadata = {**tables.metadata, "store": "", "bundles": []}
    return ExportTables(metadata, tuple(kept))


def export_bytes(
    shared: Shared, chain: str, suffix: str, lang: str, disrupt: tuple[str, ...] = (),
    *, allowed: frozenset[str] | None = None,
) -> Callable[[], bytes]:
    """Return a callable building the chain's export (``.xlsx`` or ``.zip`` of CSV files).

    ``allowed`` (ids; None: everything) limits it to the nodes the user may see.
    """

    def build() -> bytes:
        with shared.lock:
            scenario = shared.service.simulate(list(disrupt)) if disrupt else None
            tables = build_tables(shared.service, chain, scenario=scenario)
        if allowed is not None:
            tables = restrict(tables, allowed)
        with tempfile.TemporaryDirectory(prefix="chainrisk-ui-") as tmp:
            out = Path(tmp) / f"export{suffix}"
            export(tables, out, lang=lang)
            return out.read_bytes()

    return build


def frame_csv(frame: pd.DataFrame) -> Callable[[], bytes]:
    """Return a callable writing ``frame`` as CSV (UTF-8 with BOM for Excel, text guarded)."""

    def build() -> bytes:
        guarded = frame.map(lambda v: safe_text(v) if isinstance(v, str) else v)
        buffer = io.StringIO()
        guarded.to_csv(buffer, index=False)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")

    return build
