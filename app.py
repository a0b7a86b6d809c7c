"""Streamlit entry of chainrisk: navigation only; the pages live in chainrisk/ui/pages.

Start it with ``chainrisk ui`` (or ``streamlit run app.py``); the store is
$CHAINRISK_STORE or the default one, the language $CHAINRISK_LANG (zh or en).
"""

import streamlit as st

from chainrisk.ui.i18n import Tr
from chainrisk.ui.pages import PAGES
from chainrisk.ui.shell import sidebar

st.set_page_config(page_title="chainrisk", page_icon="⛓️", layout="wide")
tr = Tr(sidebar())
st.navigation(
    [
        st.Page(page.path, title=tr(page.title_key), icon=page.icon, url_path=page.slug,
                default=i == 0)
        for i, page in enumerate(PAGES)
    ]
).run()
