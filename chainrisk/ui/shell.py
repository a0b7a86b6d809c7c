"""What every page shares: the sidebar (language, chain, store), the page list, errors.

``app.py`` calls :func:`sidebar` and builds ``st.navigation`` from :data:`PAGES`;
each page's ``render`` calls :func:`context` to get the store, its data version, the
language and the chain picked in the sidebar.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from chainrisk.errors import ChainriskError, InputError, StoreError
from chainrisk.ui import state
from chainrisk.ui.i18n import LANGS, Tr, default_lang


@dataclass(frozen=True)
class PageSpec:
    """One page: URL path, title key, icon and the page script (its module's file)."""

    slug: str
    title_key: str
    icon: str
    path: Path


@dataclass(frozen=True)
class Context:
    """What a page needs to draw: store URL and data version, language, chain."""

    url: str
    version: int
    lang: str
    chain: str | None
    tr: Tr

    def need_chain(self) -> str:
        """Return the chain picked in the sidebar, or stop the page with a hint to load data."""
        if self.chain is None:
            st.info(self.tr("no_data"))
            st.stop()
        return self.chain


def lang() -> str:
    """Return the language picked in the sidebar (before the widget exists: the default)."""
    chosen = st.session_state.get("lang")
    return chosen if chosen in LANGS else default_lang(os.environ.get("CHAINRISK_LANG"))


# Pickers whose options are shown through a format function. The browser keeps the
# label it last showed, so after a language switch each gets its value set again,
# which makes Streamlit send the label in the new language.
RELABELLED = (
    "chain", "map_component", "explorer_node", "explorer_regions", "explorer_stages",
    "rank_kind", "rank_sort", "rank_stages", "rank_levels", "whatif_firms",
    "whatif_regions", "whatif_components", "data_bundle_on_error", "data_suppliers_on_error",
)


def _relabel_after_switch(lang: str) -> None:
    if st.session_state.get("lang_drawn") not in (None, lang):
        for key in RELABELLED:
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
    st.session_state["lang_drawn"] = lang


def sidebar() -> str:
    """Draw the language switch and the chain picker; return the language."""
    if st.session_state.get("lang") not in LANGS:
        st.session_state["lang"] = default_lang(os.environ.get("CHAINRISK_LANG"))
    _relabel_after_switch(st.session_state["lang"])
    with st.sidebar:
        st.segmented_control(
            "Language / 语言", list(LANGS), key="lang", required=True,
            format_func=lambda code: LANGS[code],
        )
    tr = Tr(lang())
    url = state.store_url()
    with st.sidebar, guard(tr):
        g = state.graph(url)
        chains = sorted(g.chains)
        if chains:
            if st.session_state.get("chain") not in chains:
                st.session_state["chain"] = "ic" if "ic" in chains else chains[0]
            st.selectbox(
                tr("sidebar.chain"), chains, key="chain",
                format_func=lambda c: _chain_name(g.chains[c].name, g.chains[c].name_zh, tr.lang),
                help=tr("sidebar.chain_help"),
            )
        st.caption(tr("sidebar.store", url=url, version=state.shared(url).version()))
    return tr.lang


def _chain_name(name: str, name_zh: str | None, lang: str) -> str:
    return name_zh if lang == "zh" and name_zh else name


def chain_name(url: str, chain: str, lang: str) -> str:
    """Return the name of ``chain`` in ``lang``."""
    info = state.graph(url).chains[chain]
    return _chain_name(info.name, info.name_zh, lang)


def context() -> Context:
    """Return the store, its version, the language and the chain of this rerun."""
    tr = Tr(lang())
    url = state.store_url()
    with guard(tr):
        version = state.shared(url).version()
        chains = state.graph(url).chains
    chain = st.session_state.get("chain")
    return Context(url, version, tr.lang, chain if chain in chains else None, tr)


@contextmanager
def guard(tr: Tr) -> Iterator[None]:
    """Show a library error as a message that says what to do, and stop the page."""
    try:
        yield
    except InputError as e:
        st.error(tr("error.input", message=str(e)))
        st.stop()
    except StoreError as e:
        st.error(tr("error.store", message=str(e)))
        st.stop()
    except ChainriskError as e:  # pragma: no cover - every error is one of the two above
        st.error(str(e))
        st.stop()
