"""RiskService: one store, its compiled graph, and the analyses on it, cached per data version.

The CLI and the UI call this; it is the only layer that both reads a store and runs
analyses.

Every public call that runs an analysis gets a time limit of
``limits.current().analysis_seconds`` (``CHAINRISK_ANALYSIS_SECONDS``; 0 = none),
counted from when the graph is ready: compiling the graph is linear in the store's
rows, which the size limits bound. When the limit passes the call raises
:class:`~chainrisk.errors.AnalysisTimeout`; a result is cached only once it is
complete, so the service answers the next call as if nothing had happened (analyses
that finished inside a call that then stopped, e.g. the SPOF sets of a ranking, are
kept: they are whole).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chainrisk.analysis.cascade import CascadeResult, simulate
from chainrisk.analysis.concentration import ConcentrationResult, concentration
from chainrisk.analysis.deadline import Deadline
from chainrisk.analysis.members import ChainMembers, chain_members
from chainrisk.analysis.ranking import Ranking, rank
from chainrisk.analysis.spof import SpofResult, single_points_of_failure
from chainrisk.analysis.structure import StructureResult, structure
from chainrisk.chainview import ChainData
from chainrisk.errors import UsageError
from chainrisk.graph import DependencyGraph
from chainrisk.limits import current as current_limits
from chainrisk.schema import DEFAULT_HOME_COUNTRY, TABLE_ORDER
from chainrisk.store import open_store
from chainrisk.store.base import Store


class RiskService:
    """Analyses over one store; results are cached until the store's data changes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # The compiled graph, the data version it was read at, and the analyses of that
        # very graph: a result is kept only if it was computed from the current graph, so
        # a load that commits while an analysis runs never files an old answer as new.
        self._version: int | None = None
        self._graph: DependencyGraph | None = None
        self._cache: dict[str, Any] = {}
        # what the graph alone decides (a chain's members): no analysis, no time limit
        self._members: dict[str, ChainMembers] = {}

    @classmethod
    def open(cls, url: str | None = None) -> RiskService:
        """Return a service over the store named by ``url`` (default store if None)."""
        return cls(open_store(url))

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def _cached(self, key: str, graph: DependencyGraph) -> Any:
        """Return the result ``key`` computed from ``graph``, or None."""
        return self._cache.get(key) if graph is self._graph else None

    def _keep(self, key: str, graph: DependencyGraph, result: Any) -> None:
        if graph is self._graph:
            self._cache[key] = result

    def deadline(self, call: str) -> Deadline:
        """Return a deadline for one public call named ``call``, from the limits in force."""
        return Deadline(current_limits().analysis_seconds, call=call)

    def home_country(self) -> str:
        """Return the home country of the loaded bundles (CN unless they all say otherwise)."""
        countries = {b.get("home_country", DEFAULT_HOME_COUNTRY) for b in self.store.bundles()}
        return countries.pop() if len(countries) == 1 else DEFAULT_HOME_COUNTRY

    def graph(self) -> DependencyGraph:
        """Return the compiled dependency graph of the whole store."""
        if self._graph is not None and self.store.data_version() == self._version:
            return self._graph

        def read() -> tuple[int, DependencyGraph]:
            # one snapshot: a load committing meanwhile is seen whole or not at all
            tables = {t: self.store.iter_rows(t) for t in TABLE_ORDER}
            return self.store.data_version(), DependencyGraph.from_tables(
                tables, home_country=self.home_country())

        version, graph = self.store.snapshot(read)
        self._version, self._graph, self._cache, self._members = version, graph, {}, {}
        return graph

    def spof(self) -> SpofResult:
        """Return the single points of failure of every node."""
        graph = self.graph()
        return self._spof(graph, self.deadline("the single points of failure"))

    def _spof(self, graph: DependencyGraph, deadline: Deadline) -> SpofResult:
        result = self._cached("spof", graph)
        if result is None:
            result = single_points_of_failure(graph, deadline=deadline)
            self._keep("spof", graph, result)
        assert isinstance(result, SpofResult)
        return result

    def concentration(self) -> ConcentrationResult:
        """Return the concentration figures of every component."""
        graph = self.graph()
        return self._concentration(graph, self.deadline("the concentration figures"))

    def _concentration(self, graph: DependencyGraph, deadline: Deadline) -> ConcentrationResult:
        result = self._cached("concentration", graph)
        if result is None:
            result = concentration(graph, deadline=deadline)
            self._keep("concentration", graph, result)
        assert isinstance(result, ConcentrationResult)
        return result

    def structure(self) -> StructureResult:
        """Return the structural views (articulation points, bridges, dominators)."""
        graph = self.graph()
        return self._structure(graph, self.deadline("the structural views"))

    def _structure(self, graph: DependencyGraph, deadline: Deadline) -> StructureResult:
        result = self._cached("structure", graph)
        if result is None:
            result = structure(graph, deadline=deadline)
            self._keep("structure", graph, result)
        assert isinstance(result, StructureResult)
        return result

    def rank(
        self,
        chain: str,
        *,
        kind: str | None = None,
        weights: Mapping[str, float] | None = None,
        visible: frozenset[int] | None = None,
    ) -> Ranking:
        """Return the criticality ranking of ``chain`` (one kind, or all), counted inside
        the chain and, when ``visible`` is given, inside those nodes too."""
        graph = self.graph()
        members = self.members(chain)  # a clear error for an unknown chain
        seen = "all" if visible is None else hash(visible)
        key = f"rank:{chain}:{kind}:{sorted((weights or {}).items())}:{seen}"
        result = self._cached(key, graph)
        if result is None:
            # one limit for the whole call, the analyses the ranking needs included
            deadline = self.deadline(f"the ranking of chain {chain!r}")
            try:
                result = rank(graph, chain, kind=kind, weights=weights,
                              spof=self._spof(graph, deadline),
                              conc=self._concentration(graph, deadline),
                              struct=self._structure(graph, deadline), deadline=deadline,
                              members=members, visible=visible)
            except ValueError as e:
                raise UsageError(str(e)) from e
            self._keep(key, graph, result)
        assert isinstance(result, Ranking)
        return result

    def members(self, chain: str) -> ChainMembers:
        """Return the members of ``chain`` by role (UsageError for an unknown chain)."""
        graph = self.graph()
        self.chain_targets(chain)
        if chain not in self._members or graph is not self._graph:
            members = chain_members(graph, chain)
            if graph is not self._graph:
                return members
            self._members[chain] = members
        return self._members[chain]

    def chain_data(self, chain: str, visible: frozenset[int] | None = None) -> ChainData:
        """Return what the chain views of ``chain`` read, within ``visible`` (None: all)."""
        members = self.members(chain)
        graph = self.graph()
        if members is not self._members.get(chain):  # a load came in between
            members = chain_members(graph, chain)
        deadline = self.deadline(f"the figures of chain {chain!r}")
        return ChainData(graph, self._spof(graph, deadline), self._concentration(graph, deadline),
                         members, visible)

    def simulate(self, disrupt: Sequence[str]) -> CascadeResult:
        """Return the cascade of disrupting ``disrupt`` (ids, bare or qualified)."""
        if not disrupt:
            raise UsageError("name at least one node to disrupt, e.g. --disrupt region:NL",
                             code="usage.nothing_disrupted")
        graph = self.graph()
        what = ", ".join(disrupt[:3]) + (" …" if len(disrupt) > 3 else "")
        try:
            return simulate(graph, disrupt, deadline=self.deadline(f"disrupting {what}"))
        except KeyError as e:
            raise UsageError(str(e.args[0]), **_node_error(e)) from e

    def resolve(self, ids: Sequence[str]) -> list[str]:
        """Return the qualified ids of ``ids`` (bare ids looked up as firm/region/component)."""
        from chainrisk.analysis.cascade import resolve_disruption

        graph = self.graph()
        try:
            return [graph.ids[v] for v in resolve_disruption(graph, ids)]
        except KeyError as e:
            raise UsageError(str(e.args[0]), **_node_error(e)) from e

    def chain_id(self, text: str) -> str:
        """Return the id of the chain called ``text``: its id, name or Chinese name (width,
        case and spaces aside); UsageError listing the chains when none or several match."""
        from chainrisk.graph import name_key

        graph = self.graph()
        if text in graph.chains:
            return text
        key = name_key(text)
        found = sorted(c for c, info in graph.chains.items()
                       if key in {name_key(c), name_key(info.name), name_key(info.name_zh or "")})
        if len(found) == 1:
            return found[0]
        known = ", ".join(f"{c} ({graph.chains[c].name})" for c in sorted(graph.chains))
        if found:
            raise UsageError(f"{text!r} names several chains ({', '.join(found)}); give its id",
                             code="usage.ambiguous_chain",
                             params={"chain": text, "matches": ", ".join(found)})
        known = known or "none loaded"
        raise UsageError(f"unknown chain {text!r}; chains in the store: {known}",
                         code="usage.unknown_chain", params={"chain": text, "known": known})

    def chain_targets(self, chain: str | None = None) -> list[str]:
        """Return the targets (end products, then leader firms) of one chain or all chains."""
        graph = self.graph()
        if chain is not None and chain not in graph.chains:
            known = ", ".join(sorted(graph.chains)) or "none loaded"
            raise UsageError(f"unknown chain {chain!r}; chains in the store: {known}",
                             code="usage.unknown_chain", params={"chain": chain, "known": known})
        chains = [graph.chains[chain]] if chain else [graph.chains[c] for c in sorted(graph.chains)]
        seen: dict[str, None] = {}
        for info in chains:
            for v in info.targets:
                seen.setdefault(graph.ids[v])
        return list(seen)


def _node_error(e: KeyError) -> dict[str, Any]:
    """Return the code and params of the UsageError for an id the graph does not hold."""
    if len(e.args) < 3:
        return {"code": "usage.unknown_node", "params": {"node": str(e.args[0])}}
    code = "usage.ambiguous_node" if e.args[2] else "usage.unknown_node"
    return {"code": code, "params": {"node": str(e.args[1])}}
