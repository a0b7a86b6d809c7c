"""Streamlit entry of chainrisk: navigation only; the pages live in chainrisk/ui/pages.

Start it with ``chainrisk ui`` (or ``streamlit run app.py --server.address 127.0.0.1``);
the store is $CHAINRISK_STORE or the default one, the language $CHAINRISK_LANG (zh or
en), the access policy $CHAINRISK_POLICY (none: access control off, loopback only).
"""

import streamlit as st

from chainrisk.ui.i18n import Tr
from chainrisk.ui.pages import PAGES
from chainrisk.ui.shell import guard, pages, sidebar

st.set_page_config(page_title="chainrisk", page_icon="⛓️", layout="wide")
lang, grant = sidebar()
tr = Tr(lang)
page = st.navigation(pages(tr, grant, PAGES), position="sidebar" if grant else "hidden")
with guard(tr):
    page.run()
