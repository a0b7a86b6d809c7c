"""Pickers that stay usable with 100,000 firms, and small formatting helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from chainrisk.ui.i18n import Tr

# Above this many options a picker asks for a few letters first: a browser list of
# 100,000 names is slow to send and useless to scroll.
SEARCH_ABOVE = 1500
MATCHES = 200


def _matches(labels: Mapping[str, str], query: str) -> list[str]:
    q = query.strip().casefold()
    if not q:
        return []
    found = [i for i, label in labels.items() if q in label.casefold() or q in i.casefold()]
    return found[:MATCHES]


def pick_many(label: str, labels: Mapping[str, str], key: str, tr: Tr,
              help: str | None = None) -> list[str]:
    """Return the ids picked in a multiselect over ``labels`` ({id: shown label})."""
    chosen = [i for i in st.session_state.get(key, []) if i in labels]
    if key in st.session_state and chosen != st.session_state[key]:
        st.session_state[key] = chosen  # ids gone after a load
    if len(labels) <= SEARCH_ABOVE:
        options = list(labels)
    else:
        query = st.text_input(tr("search", what=label), key=f"{key}_search")
        options = list(dict.fromkeys([*chosen, *_matches(labels, query)]))
    picked = st.multiselect(label, options, key=key, format_func=lambda i: labels.get(i, i),
                            help=help, placeholder=tr("pick_placeholder"))
    return list(picked)


def pick_one(label: str, labels: Mapping[str, str], key: str, tr: Tr,
             default: str | None = None, help: str | None = None) -> str | None:
    """Return the id picked in a selectbox over ``labels``."""
    current = st.session_state.get(key)
    if current not in labels:
        current = default if default in labels else next(iter(labels), None)
        st.session_state[key] = current
    if len(labels) <= SEARCH_ABOVE:
        options = list(labels)
    else:
        query = st.text_input(tr("search", what=label), key=f"{key}_search")
        options = list(dict.fromkeys([*([current] if current else []), *_matches(labels, query)]))
    picked = st.selectbox(label, options, key=key, format_func=lambda i: labels.get(i, i),
                          help=help)
    return str(picked) if picked is not None else None


def percent(value: float | None, digits: int = 0) -> str:
    """Return ``value`` as a percentage ('—' when unknown).

    >>> percent(0.256), percent(None), percent(0.5, 1)
    ('26%', '—', '50.0%')
    """
    if value is None or value != value:
        return "—"
    return f"{value:.{digits}%}"


def translate_column(frame: pd.DataFrame, column: str, tr: Tr, prefix: str) -> pd.DataFrame:
    """Return ``frame`` with ``column``'s codes (stage, kind, band …) shown in the language."""
    out = frame.copy()
    out[column] = [tr.maybe(f"{prefix}.{v}", str(v)) if v else "" for v in out[column]]
    return out


def with_dashes(frame: pd.DataFrame, columns: list[str], fmt: str = "{:,.0f}") -> pd.DataFrame:
    """Return ``frame`` with numeric ``columns`` as text, '—' where a figure has no data.

    Streamlit shows a missing number as the word "None"; a reader needs a dash.

    >>> with_dashes(pd.DataFrame({"hhi": [2500.0, None]}), ["hhi"])["hhi"].tolist()
    ['2,500', '—']
    """
    out = frame.copy()
    for column in columns:
        out[column] = ["—" if v is None or v != v else fmt.format(v) for v in out[column]]
    return out


def as_points(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Return ``frame`` with share ``columns`` (0–1) as percentage points, for display."""
    out = frame.copy()
    for column in columns:
        out[column] = out[column].astype("float64") * 100.0
    return out


def percent_column(label: str, help: str | None = None, digits: int = 0,
                   width: Any = None) -> Any:
    """Return a column config showing percentage points (see :func:`as_points`) as 47 %."""
    return st.column_config.NumberColumn(label, help=help, format=f"%.{digits}f%%", width=width)


# Streamlit's table: 14 px semibold headers, 14 px cells, 8 px padding each side, a help
# icon beside a header that has help; widths by name as st.column_config documents them.
HEADER_PX = 14.0
CELL_PX = 14.0
CELL_PADDING = 2 * 8.0
HELP_ICON = 18.0
SLACK = 4.0
NAMED_WIDTHS = {"small": 75.0, "medium": 200.0, "large": 400.0}
MAX_FITTED = 240.0  # px a column grows to for its cells: longer cells end in '…' (hover)
SAMPLE_ROWS = 200


def header_width(label: str, has_help: bool) -> float:
    """Return the px a column needs to show the header ``label`` whole.

    >>> header_width("Rank", False) < header_width("Rank", True)
    True
    """
    from chainrisk.ui.layout import TextMeasure

    # measured in DejaVu Sans, which runs about a tenth wider than Streamlit's Source
    # Sans Pro even in its semibold: that is the margin; CJK falls back to the same em
    return (TextMeasure(HEADER_PX).width(label) + CELL_PADDING + SLACK
            + (HELP_ICON if has_help else 0.0))


def fitted(frame: pd.DataFrame, config: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``config`` with a width on every column, wide enough for its header.

    Streamlit sizes a column without a width to its cells and cuts a longer header; a
    column given a width keeps the larger of it and its header. A column without a
    width gets the larger of its header and its widest cell (of the first rows, at most
    ``MAX_FITTED`` px: longer cells end in '…' and show whole on hover).

    >>> frame = pd.DataFrame({"hhi": [10000]})
    >>> label = "国别集中度（HHI）"
    >>> width = fitted(frame, {"hhi": st.column_config.NumberColumn(label)})["hhi"]["width"]
    >>> width >= header_width(label, False) > 100
    True
    """
    from chainrisk.ui.layout import TextMeasure

    cells = TextMeasure(CELL_PX)
    out: dict[str, Any] = {}
    for key, value in config.items():
        column = dict(value) if isinstance(value, Mapping) else {"label": value}
        if value is None:
            out[key] = None
            continue
        label = str(column.get("label") or key)
        needed = header_width(label, bool(column.get("help")))
        width = column.get("width")
        if width is None:
            sample = frame[key].head(SAMPLE_ROWS).tolist() if key in frame.columns else []
            widest = max((cells.width(str(v)) for v in sample), default=0.0) + CELL_PADDING
            width_px = max(needed, min(widest, MAX_FITTED))  # the header always whole
        else:
            given = NAMED_WIDTHS[width] if isinstance(width, str) else float(width)
            width_px = max(given, needed)
        column["width"] = int(-(-width_px // 1))
        out[key] = column
    return out


# Streamlit's own table toolbar writes a CSV of the shown cells without the formula guard
# (a cell "=cmd|' /C calc'!A0" reaches Excel as a formula) and has no switch to turn it
# off: its button is hidden, and every table that matters has a guarded download of ours.
UNGUARDED_DOWNLOADS = (
    '[data-testid="stElementToolbar"] button[aria-label="Download as CSV"]'
    "{display:none !important}"
)


def hide_unguarded_downloads() -> None:
    """Hide Streamlit's unguarded "Download as CSV" on every table (once per page run)."""
    st.html(f"<style>{UNGUARDED_DOWNLOADS}</style>")


def data_table(frame: pd.DataFrame, *, column_config: Mapping[str, Any] | None = None,
          **kwargs: Any) -> Any:
    """Draw ``frame`` with ``st.dataframe``, every header given room (:func:`fitted`)."""
    return st.dataframe(frame, column_config=fitted(frame, column_config or {}), **kwargs)
