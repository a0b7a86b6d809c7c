"""Streamlit entry of chainrisk: navigation only; the pages live in chainrisk/ui/pages.

``chainrisk ui`` serves this file (from a clone, ``streamlit run app.py`` runs it
through the shim at the top of the repository). The store is $CHAINRISK_STORE or the
default one, the language $CHAINRISK_LANG (zh or en), the access policy
$CHAINRISK_POLICY (none: access control off, loopback only). Importing the module draws
nothing; Streamlit runs it as ``__main__``.
"""

from __future__ import annotations

import streamlit as st

from chainrisk.ui.i18n import Tr
from chainrisk.ui.pages import PAGES
from chainrisk.ui.shell import guard, pages, sidebar
from chainrisk.ui.widgets import hide_unguarded_downloads


def main() -> None:
    """Draw one run of the app: the sidebar, the page list and the page picked."""
    st.set_page_config(page_title="chainrisk", page_icon="⛓️", layout="wide")
    hide_unguarded_downloads()
    lang, grant = sidebar()
    tr = Tr(lang)
    page = st.navigation(pages(tr, grant, PAGES), position="sidebar" if grant else "hidden")
    with guard(tr):
        page.run()


if __name__ == "__main__":
    main()
