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
