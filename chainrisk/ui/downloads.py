"""Download contents, built only when the button is pressed (Streamlit calls these lazily).

Each function returns a zero-argument callable for ``st.download_button(data=...)``;
Streamlit runs it on its own thread when the user clicks, so it touches no Streamlit
API and goes through the service lock. The bytes are the export module's output:
the same workbook and CSV files as ``chainrisk export``, built inside the user's
access scope when access is limited. Each file made is recorded for the sign-in that
drew the button (:func:`owned`): ``/media`` serves it to that sign-in only.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from chainrisk.report.writers import safe_text
from chainrisk.ui.state import Shared


def owned(build: Callable[[], bytes]) -> Callable[[], bytes]:
    """Return ``build`` recording the bytes it makes for the sign-in drawing it now.

    Call it in the script run (it reads the session's cookie); the returned callable
    runs later on Streamlit's thread.
    """
    from chainrisk.ui.access import download_owner
    from chainrisk.ui.sessions import SESSIONS

    owner = download_owner()

    def made() -> bytes:
        data = build()
        if owner is not None:
            SESSIONS.made(owner, data)
        return data

    return made


def export_bytes(
    shared: Shared, chain: str, suffix: str, lang: str, disrupt: tuple[str, ...] = (),
    *, visible: frozenset[int] | None = None,
) -> Callable[[], bytes]:
    """Return a callable building the chain's export (``.xlsx`` or ``.zip`` of CSV files).

    ``visible`` (node indices; None: everything) is the access scope: the export is
    built inside it by the chain views, as the pages are.
    """

    def build() -> bytes:
        with shared.lock:
            tables = shared.service.export_tables(chain, disrupt=disrupt, visible=visible,
                                                  lang=lang)
        with tempfile.TemporaryDirectory(prefix="chainrisk-ui-") as tmp:
            out = Path(tmp) / f"export{suffix}"
            shared.service.write_export(tables, out, lang=lang)
            return out.read_bytes()

    return owned(build)


def frame_csv(frame: pd.DataFrame) -> Callable[[], bytes]:
    """Return a callable writing ``frame`` as CSV (UTF-8 with BOM for Excel, text guarded)."""

    def build() -> bytes:
        guarded = frame.map(lambda v: safe_text(v) if isinstance(v, str) else v)
        buffer = io.StringIO()
        guarded.to_csv(buffer, index=False)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")

    return owned(build)
