"""The app's pages, in menu order.

Each page is a module with a ``render()`` that also runs as a Streamlit page script
(``st.Page(path)``), so that AppTest can switch to it by file.
"""

from __future__ import annotations

from pathlib import Path

from chainrisk.ui.shell import PageSpec

HERE = Path(__file__).resolve().parent

PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "page.overview", ":material/dashboard:", HERE / "overview.py"),
    PageSpec("chain-map", "page.chain_map", ":material/account_tree:", HERE / "chain_map.py"),
    PageSpec("explorer", "page.explorer", ":material/travel_explore:", HERE / "explorer.py"),
    PageSpec("rankings", "page.rankings", ":material/format_list_numbered:",
             HERE / "rankings.py"),
    PageSpec("what-if", "page.whatif", ":material/bolt:", HERE / "whatif.py"),
    PageSpec("concentration", "page.concentration", ":material/pie_chart:",
             HERE / "concentration.py"),
    PageSpec("data", "page.data", ":material/database:", HERE / "data.py", admin_only=True),
)

__all__ = ["PAGES"]
