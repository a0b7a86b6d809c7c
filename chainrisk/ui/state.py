"""What the pages share: one service per store, tables cached per data version.

``shared(url)`` is a ``st.cache_resource``: one :class:`Shared` (a RiskService, its
lock) per store URL for the whole server, so the analyses run once and every session
reuses them. The service caches its own results until the store's data version
changes; the ``st.cache_data`` functions below cache the frames the pages show, keyed
by store URL and data version, so a load (here or from the command line) refreshes
everything on the next rerun.

Streamlit runs each session's script on its own thread, and a download's data on
another; every call into the service goes through ``Shared.lock``.

Access is enforced here, not only in the pickers: every function that answers about
a chain or a node takes ``scope``, the chains the user may see (``Grant.key``; None:
every chain), raises :class:`~chainrisk.ui.scope.OutOfScope` for a chain or node
outside it, and leaves the nodes outside it out of what it returns. ``scope`` is part
of every cache key, so one user's answer is never served to another's scope.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import pandas as pd
import streamlit as st

from chainrisk.analysis.cascade import CascadeResult
from chainrisk.graph import DependencyGraph, Kind
from chainrisk.results import StoreInfo
from chainrisk.service import RiskService, default_store_url, open_store
from chainrisk.ui import frames
from chainrisk.ui.neighbourhood import Adjacency, Neighbourhood, neighbourhood
from chainrisk.ui.scope import require, require_chain, visible_ids, visible_nodes

P = ParamSpec("P")
R = TypeVar("R")
Scope = tuple[str, ...] | None


@dataclass(eq=False)
class Shared:
    """The service of one store and the lock that serialises calls into it."""

    url: str
    service: RiskService
    lock: threading.RLock

    def version(self) -> int:
        """Return the store's data version (grows with every load that changes data)."""
        with self.lock:
            return self.service.store.data_version()

    def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Return ``fn(*args, **kwargs)`` run under the lock."""
        with self.lock:
            return fn(*args, **kwargs)


def store_url() -> str:
    """Return the URL of the store the app shows: $CHAINRISK_STORE, else the default."""
    return default_store_url()


@st.cache_resource(show_spinner=False)
def shared(url: str) -> Shared:
    """Return the one service (and lock) of the store at ``url``."""
    store = open_store(url)
    return Shared(url, RiskService(store), threading.RLock())


@st.cache_resource(show_spinner=False, max_entries=4)
def adjacency(url: str, version: int) -> Adjacency:
    """Return the explorer's links of the store's graph at ``version``."""
    return shared(url).call(lambda: Adjacency.build(shared(url).service.graph()))


@st.cache_resource(show_spinner=False, max_entries=16)
def visible(url: str, version: int, scope: Scope) -> frozenset[int] | None:
    """Return the node indices the chains ``scope`` may see (None: every node)."""
    if scope is None:
        return None
    s = shared(url)
    return s.call(lambda: visible_nodes(s.service.graph(), scope))


@st.cache_resource(show_spinner=False, max_entries=16)
def allowed_ids(url: str, version: int, scope: Scope) -> frozenset[str] | None:
    """Return the ids of :func:`visible` (None: every node)."""
    nodes = visible(url, version, scope)
    return None if nodes is None else visible_ids(graph(url), nodes)


@st.cache_resource(show_spinner=False, max_entries=8)
def failure_counts(url: str, version: int, scope: Scope) -> list[int]:
    """Return how many visible nodes stop with each node (by index), at ``version``."""
    s = shared(url)
    return s.call(frames.failure_counts, s.service, visible(url, version, scope))


def graph(url: str) -> DependencyGraph:
    """Return the store's compiled graph (cached by the service per data version)."""
    return shared(url).call(shared(url).service.graph)


@st.cache_data(show_spinner=False, max_entries=8)
def info(url: str, version: int) -> StoreInfo:
    """Return what the store holds and its 50 most recent loads."""
    return shared(url).call(shared(url).service.store.info, 50)


def fresh_info(url: str) -> StoreInfo:
    """Return :func:`info` read now: a load that changed nothing (made by the command line
    or another session) leaves the data version as it was, yet belongs in the history."""
    return shared(url).call(shared(url).service.store.info, 50)


# ---------------------------------------------------------------------- cached frames
# Every function takes (url, version, ...): the version in the key is what makes a new
# load refresh the page; it is otherwise unused.


@st.cache_data(show_spinner=False, max_entries=16)
def headline(url: str, version: int, chain: str, scope: Scope) -> frames.Headline:
    """Return the overview figures of ``chain``."""
    require_chain(scope, chain)
    s = shared(url)
    return s.call(frames.headline, s.service, chain, visible(url, version, scope))


@st.cache_data(show_spinner=False, max_entries=16)
def spofs(url: str, version: int, chain: str, lang: str, scope: Scope) -> pd.DataFrame:
    """Return every single point of failure of ``chain`` (the nodes ``scope`` may see)."""
    require_chain(scope, chain)
    s = shared(url)
    return s.call(frames.spof_frame, s.service, chain, lang, visible(url, version, scope))


@st.cache_data(show_spinner=False, max_entries=16)
def top_risks(url: str, version: int, chain: str, lang: str, scope: Scope) -> pd.DataFrame:
    """Return the highest-scoring nodes of ``chain``."""
    require_chain(scope, chain)
    s = shared(url)
    return s.call(frames.top_risks, s.service, chain, lang, visible=visible(url, version, scope))


@st.cache_data(show_spinner=False, max_entries=8)
def ranking(url: str, version: int, chain: str, lang: str, scope: Scope) -> pd.DataFrame:
    """Return the whole ranking of ``chain`` (the nodes ``scope`` may see)."""
    require_chain(scope, chain)
    s = shared(url)
    return s.call(frames.ranking_frame, s.service, chain, lang, visible(url, version, scope))


@st.cache_data(show_spinner=False, max_entries=16)
def concentration(url: str, version: int, chain: str, lang: str, scope: Scope) -> pd.DataFrame:
    """Return the concentration table of ``chain``."""
    require_chain(scope, chain)
    s = shared(url)
    return s.call(frames.concentration_frame, s.service, chain, lang, visible(url, version, scope))


@st.cache_data(show_spinner=False, max_entries=16)
def country_shares(url: str, version: int, chain: str, lang: str, scope: Scope) -> pd.DataFrame:
    """Return (component, country, share) rows of ``chain``."""
    require_chain(scope, chain)
    s = shared(url)
    return s.call(frames.country_shares, s.service, chain, lang)


@st.cache_data(show_spinner=False, max_entries=16)
def countries(url: str, version: int, chain: str, lang: str, scope: Scope) -> pd.DataFrame:
    """Return the per-country table of ``chain``."""
    require_chain(scope, chain)
    s = shared(url)
    return s.call(frames.country_frame, s.service, chain, lang)


@st.cache_data(show_spinner=False, max_entries=16)
def provinces(url: str, version: int, chain: str, lang: str, scope: Scope) -> pd.DataFrame:
    """Return the per-province table of ``chain``."""
    require_chain(scope, chain)
    s = shared(url)
    return s.call(frames.province_frame, s.service, chain, lang)


@st.cache_data(show_spinner=False, max_entries=16)
def chain_map(url: str, version: int, chain: str, lang: str, scope: Scope
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the chain map's nodes and links."""
    require_chain(scope, chain)
    s = shared(url)
    return s.call(frames.chain_map, s.service, chain, lang)


@st.cache_data(show_spinner=False, max_entries=64)
def component(url: str, version: int, chain: str, component_id: str, lang: str, scope: Scope
              ) -> frames.ComponentView:
    """Return the chain map's side panel for one component."""
    require_chain(scope, chain)
    require(allowed_ids(url, version, scope), [component_id])
    s = shared(url)
    return s.call(frames.component_view, s.service, chain, component_id, lang,
                  visible(url, version, scope))


@st.cache_data(show_spinner=False, max_entries=16)
def options(url: str, version: int, kind: str, lang: str, scope: Scope) -> dict[str, str]:
    """Return {id: label} of every visible firm, component or region (countries, provinces)."""
    g = graph(url)
    seen = visible(url, version, scope)
    if kind == "region":
        return frames.region_options(g, lang, seen)
    return frames.options(g, [Kind.FIRM if kind == "firm" else Kind.COMPONENT], lang, seen)


@dataclass(frozen=True)
class Explored:
    """A neighbourhood ready to draw, and what the cap left out."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    capped: bool
    hidden: int
    cut_tier: int | None


@st.cache_data(show_spinner=False, max_entries=32)
def explore(
    url: str, version: int, node_id: str, up: int, down: int,
    regions: tuple[str, ...], stages: tuple[str, ...], lang: str, cap: int, scope: Scope,
) -> Explored:
    """Return the neighbourhood of ``node_id`` laid out for the explorer (within ``scope``)."""
    require(allowed_ids(url, version, scope), [node_id, *regions])
    s = shared(url)
    adj = adjacency(url, version)
    seen = visible(url, version, scope)

    def build() -> Explored:
        g = s.service.graph()
        root = g.index[node_id]
        hood: Neighbourhood = neighbourhood(
            adj, root, up=up, down=down, regions=[g.index[r] for r in regions if r in g.index],
            stages=stages, cap=cap, priority=s.service.spof().sets[root], visible=seen,
        )
        nodes, edges = frames.neighbourhood_frames(s.service, adj, hood, lang)
        return Explored(nodes, edges, hood.capped, hood.hidden, hood.cut_tier)

    return s.call(build)


@st.cache_data(show_spinner=False, max_entries=64)
def node(url: str, version: int, node_id: str, lang: str, scope: Scope) -> frames.NodeView:
    """Return the explorer's side panel for one node."""
    require(allowed_ids(url, version, scope), [node_id])
    s = shared(url)
    adj = adjacency(url, version)
    return s.call(frames.node_view, s.service, adj, node_id, lang,
                  failure_counts(url, version, scope), visible(url, version, scope))


def simulate(url: str, disrupt: tuple[str, ...]) -> CascadeResult:
    """Return the cascade of disrupting ``disrupt`` (the service recomputes; it is fast)."""
    s = shared(url)
    return s.call(s.service.simulate, list(disrupt))


@st.cache_data(show_spinner=False, max_entries=64)
def scenario(url: str, version: int, chain: str, disrupt: tuple[str, ...], lang: str,
             scope: Scope) -> frames.ScenarioView:
    """Return the what-if answer of disrupting ``disrupt`` for ``chain`` (within ``scope``)."""
    require_chain(scope, chain)
    require(allowed_ids(url, version, scope), disrupt)
    s = shared(url)
    seen = visible(url, version, scope)
    return s.call(lambda: frames.scenario_view(s.service, chain, simulate(url, disrupt), lang,
                                               seen))
