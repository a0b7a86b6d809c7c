"""What every page shares: the sidebar (language, account, chain, store), the page list,
errors.

The entry (``chainrisk/ui/entry/app.py``) calls :func:`sidebar`, builds
``st.navigation`` from :func:`pages` and runs the page inside :func:`guard`. Each page's
``render`` calls :func:`context` to get the store, its data version, the language, the
signed-in user's grant and the chain picked in the sidebar; the context refuses a chain
outside the grant, whatever the session or the address bar says. The sidebar also
polls the store's data version every :data:`POLL_SECONDS`: a load made elsewhere
reruns the page, with a notice.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from chainrisk import words
from chainrisk.auth import Grant, PolicyError
from chainrisk.errors import (
    AccessDenied,
    AnalysisTimeout,
    ChainriskError,
    InputError,
    LimitExceeded,
    StoreError,
)
from chainrisk.ui import access, state
from chainrisk.ui.i18n import LANGS, Tr, default_lang
from chainrisk.ui.scope import OutOfScope
from chainrisk.ui.text import md


@dataclass(frozen=True)
class PageSpec:
    """One page: URL path, title key, icon and the page script (its module's file)."""

    slug: str
    title_key: str
    icon: str
    path: Path
    admin_only: bool = False


@dataclass(frozen=True)
class Context:
    """What a page needs to draw: store URL and data version, language, grant, chain."""

    url: str
    version: int
    lang: str
    chain: str | None
    tr: Tr
    grant: Grant

    @property
    def scope(self) -> state.Scope:
        """Return the chains the user may see as a cache key (None: every chain)."""
        return self.grant.key

    def need_chain(self) -> str:
        """Return the chain picked in the sidebar, or stop the page with a hint to load data."""
        if self.chain is None:
            st.info(self.tr("no_data") if self.grant.chains is None
                    else self.tr("access.no_chains"))
            st.stop()
        return self.chain

    def allowed_ids(self) -> frozenset[str] | None:
        """Return the ids of the nodes the user may see (None: every node)."""
        return state.allowed_ids(self.url, self.version, self.scope)

    def visible(self) -> frozenset[int] | None:
        """Return the node indices the user may see (None: every node)."""
        return state.visible(self.url, self.version, self.scope)


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
    "data_suppliers_region_from",
)


def _relabel_after_switch(lang: str) -> None:
    if st.session_state.get("lang_drawn") not in (None, lang):
        for key in RELABELLED:
            if key in st.session_state:
                st.session_state[key] = st.session_state[key]
    st.session_state["lang_drawn"] = lang


CHAIN_PARAM = "chain"  # ?chain=ic in the address opens that chain (if the user may see it)
_PARAM_SEEN = "_chain_param_seen"


def _pick_chain(chains: Sequence[str]) -> bool:
    """Set the session's chain to one the user may see; return whether a request was refused.

    A chain asked for in the address (once per new value) or left in the session (a
    tampered or stale value) that the grant does not allow is refused, never shown.
    """
    refused = False
    asked = st.query_params.get(CHAIN_PARAM)
    if asked and asked != st.session_state.get(_PARAM_SEEN):
        st.session_state[_PARAM_SEEN] = asked
        if asked in chains:
            st.session_state["chain"] = asked
        else:
            refused = True
    current = st.session_state.get("chain")
    if current not in chains:
        refused = refused or current is not None
        if chains:
            st.session_state["chain"] = "ic" if "ic" in chains else chains[0]
        else:
            st.session_state.pop("chain", None)
    return refused


def sidebar() -> tuple[str, Grant | None]:
    """Draw the language switch, the account and the chain picker; return the language and
    the session's grant (None: a policy is on and nobody is signed in).

    An unusable policy, or a network address without one, stops the app with the reason.
    """
    if st.session_state.get("lang") not in LANGS:
        st.session_state["lang"] = default_lang(os.environ.get("CHAINRISK_LANG"))
    _relabel_after_switch(st.session_state["lang"])
    with st.sidebar:
        st.segmented_control(
            "Language / 语言", list(LANGS), key="lang", required=True,
            format_func=lambda code: LANGS[code],
        )
    tr = Tr(lang())
    with guard(tr):
        grant = access.current()
    if grant is None:
        return tr.lang, None
    url = state.store_url()
    refused = False
    with st.sidebar, guard(tr):
        access.account_box(tr, grant)
        version = state.shared(url).version()
        _notice_new_data(tr, version)
        _watch_version(url)
        g = state.graph(url)
        chains = grant.visible(g.chains)
        refused = _pick_chain(chains)
        if chains:
            st.selectbox(
                tr("sidebar.chain"), chains, key="chain",
                format_func=lambda c: _chain_name(g.chains[c].name, g.chains[c].name_zh, tr.lang),
                help=tr("sidebar.chain_help"),
            )
        if grant.can_load:  # the store's location is for those who run it
            st.caption(tr("sidebar.store", url=md(url), version=version))
    if refused:
        st.error(tr("access.chain_refused"))
    return tr.lang, grant


POLL_SECONDS = 5.0  # how often an open page asks the store whether a load moved its data
_SEEN = "_data_version_seen"  # session state: the data version this session last drew


def _notice_new_data(tr: Tr, version: int) -> None:
    """Say so when the store's data moved since this session's last run (a load elsewhere)."""
    seen = st.session_state.get(_SEEN)
    st.session_state[_SEEN] = version
    if seen is not None and seen != version:
        st.toast(tr("sidebar.new_data", old=seen, new=version), icon=":material/sync:")


def saw_own_load(url: str) -> None:
    """Record that this session itself moved the data (a load on the Data page): no notice."""
    st.session_state[_SEEN] = state.shared(url).version()


@st.fragment(run_every=POLL_SECONDS)
def _watch_version(url: str) -> None:
    """Rerun the whole app when the store's data version is not the one this session drew.

    Loads made by ``chainrisk load``, ``import-suppliers`` or another session show up
    within :data:`POLL_SECONDS`, without the user touching anything.
    """
    try:
        version = state.shared(url).version()
    except StoreError:
        return  # the next full run shows what is wrong with the store; keep polling
    if version != st.session_state.get(_SEEN):
        st.rerun()


def pages(tr: Tr, grant: Grant | None, specs: Sequence[PageSpec]) -> list[Any]:
    """Return the ``st.Page`` list for ``st.navigation``.

    Nobody signed in: the sign-in page at every page's address (so that a link to a
    page opens it after signing in), and nothing else. Signed in: the pages the grant
    allows (Data only for admins).
    """
    if grant is None:
        return [
            st.Page(lambda: access.sign_in_page(Tr(lang())), title=tr("signin.title"),
                    icon=":material/login:", url_path=spec.slug, default=i == 0)
            for i, spec in enumerate(specs)
        ]
    return [
        st.Page(spec.path, title=tr(spec.title_key), icon=spec.icon, url_path=spec.slug,
                default=i == 0)
        for i, spec in enumerate(specs)
        if grant.can_load or not spec.admin_only
    ]


def _chain_name(name: str, name_zh: str | None, lang: str) -> str:
    return name_zh if lang == "zh" and name_zh else name


def chain_name(url: str, chain: str, lang: str) -> str:
    """Return the name of ``chain`` in ``lang``."""
    info = state.graph(url).chains[chain]
    return _chain_name(info.name, info.name_zh, lang)


def context() -> Context:
    """Return the store, its version, the language, the grant and the chain of this rerun.

    Stops the page when nobody is signed in, and refuses a chain the grant does not
    allow (the sidebar has already replaced it; this is the second line).
    """
    tr = Tr(lang())
    with guard(tr):
        grant = access.current()
    if grant is None:
        st.warning(tr("access.sign_in_first"))
        st.stop()
    url = state.store_url()
    with guard(tr):
        version = state.shared(url).version()
        chains = state.graph(url).chains
    chain = st.session_state.get("chain")
    if isinstance(chain, str) and chain in chains and not grant.may_see(chain):
        st.error(tr("access.out_of_scope"))
        st.stop()
    return Context(url, version, tr.lang, chain if chain in chains else None, tr, grant)


# The wording of each kind of library error, most specific first (PolicyError is an
# InputError, LimitExceeded too).
_WORDING: tuple[tuple[type[ChainriskError], str], ...] = (
    (AccessDenied, "error.denied"),
    (AnalysisTimeout, "error.timeout"),
    (LimitExceeded, "error.limit"),
    (InputError, "error.input"),
    (StoreError, "error.store"),
)


@contextmanager
def guard(tr: Tr) -> Iterator[None]:
    """Show a library error as a message that says what to do, and stop the page.

    Refusals and limits get their own wording; no traceback and no data reach the page.
    """
    try:
        yield
    except OutOfScope:
        st.error(tr("access.out_of_scope"))
        st.stop()
    except access.Exposed as e:
        st.error(tr("access.exposed", address=e.address))
        st.stop()
    except access.Unguarded:
        st.error(tr("access.unguarded"))
        st.stop()
    except PolicyError as e:
        # the file's path, its users and groups are for the server's log, not the page
        access.log.error("access policy unusable, the app shows nothing: %s", e)
        st.error(tr("signin.policy_broken"))
        st.stop()
    except ChainriskError as e:
        # the error in the page's language, by its code (chainrisk.words), within the
        # wording of its kind; an error without words of its own keeps its English text
        wording = next((key for kind, key in _WORDING if isinstance(e, kind)), None)
        if isinstance(e, StoreError):
            # where the store lives and how it failed are for the server's log: a
            # store error reaches the page in its own words, never with its path
            access.log.error("store error shown to the user by its code %s: %s", e.code, e)
            message = md(words.error_message(e, tr.lang, fallback="store"))
        else:
            message = md(tr.error(e))  # errors quote names and values: shown as text
        st.error(tr(wording, message=message) if wording else message)
        st.stop()
