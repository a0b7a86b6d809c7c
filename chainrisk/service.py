"""RiskService: one store, its compiled graph, and the analyses on it, cached per data version.

The CLI and the UI call this; it is the only layer that both reads a store and runs
analyses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chainrisk.analysis.cascade import CascadeResult, simulate
from chainrisk.analysis.concentration import ConcentrationResult, concentration
from chainrisk.analysis.ranking import Ranking, rank
from chainrisk.analysis.spof import SpofResult, single_points_of_failure
from chainrisk.analysis.structure import StructureResult, structure
from chainrisk.errors import UsageError
from chainrisk.graph import DependencyGraph
from chainrisk.schema import DEFAULT_HOME_COUNTRY, TABLE_ORDER
from chainrisk.store import open_store
from chainrisk.store.base import Store


class RiskService:
    """Analyses over one store; results are cached until the store's data changes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._version: int | None = None
        self._cache: dict[str, Any] = {}

    @classmethod
    def open(cls, url: str | None = None) -> RiskService:
        """Return a service over the store named by ``url`` (default store if None)."""
        return cls(open_store(url))

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def _cached(self, key: str) -> Any:
        version = self.store.data_version()
        if version != self._version:
            self._cache.clear()
            self._version = version
        return self._cache.get(key)

    def home_country(self) -> str:
        """Return the home country of the loaded bundles (CN unless they all say otherwise)."""
        countries = {b.get("home_country", DEFAULT_HOME_COUNTRY) for b in self.store.bundles()}
        return countries.pop() if len(countries) == 1 else DEFAULT_HOME_COUNTRY

    def graph(self) -> DependencyGraph:
        """Return the compiled dependency graph of the whole store."""
        graph = self._cached("graph")
        if graph is None:
            tables = {t: self.store.iter_rows(t) for t in TABLE_ORDER}
            graph = DependencyGraph.from_tables(tables, home_country=self.home_country())
            self._cache["graph"] = graph
        assert isinstance(graph, DependencyGraph)
        return graph

    def spof(self) -> SpofResult:
        """Return the single points of failure of every node."""
        result = self._cached("spof")
        if result is None:
            result = single_points_of_failure(self.graph())
            self._cache["spof"] = result
        assert isinstance(result, SpofResult)
        return result

    def concentration(self) -> ConcentrationResult:
        """Return the concentration figures of every component."""
        result = self._cached("concentration")
        if result is None:
            result = concentration(self.graph())
            self._cache["concentration"] = result
        assert isinstance(result, ConcentrationResult)
        return result

    def structure(self) -> StructureResult:
        """Return the structural views (articulation points, bridges, dominators)."""
        result = self._cached("structure")
        if result is None:
            result = structure(self.graph())
            self._cache["structure"] = result
        assert isinstance(result, StructureResult)
        return result

    def rank(
        self,
        chain: str,
        *,
        kind: str | None = None,
        weights: Mapping[str, float] | None = None,
    ) -> Ranking:
        """Return the criticality ranking of ``chain`` (one kind, or all)."""
        graph = self.graph()
        self.chain_targets(chain)  # a clear error for an unknown chain
        key = f"rank:{chain}:{kind}:{sorted((weights or {}).items())}"
        result = self._cached(key)
        if result is None:
            try:
                result = rank(graph, chain, kind=kind, weights=weights, spof=self.spof(),
                              conc=self.concentration(), struct=self.structure())
            except ValueError as e:
                raise UsageError(str(e)) from e
            self._cache[key] = result
        assert isinstance(result, Ranking)
        return result

    def simulate(self, disrupt: Sequence[str]) -> CascadeResult:
        """Return the cascade of disrupting ``disrupt`` (ids, bare or qualified)."""
        if not disrupt:
            raise UsageError("name at least one node to disrupt, e.g. --disrupt region:NL")
        try:
            return simulate(self.graph(), disrupt)
        except KeyError as e:
            raise UsageError(str(e.args[0])) from e

    def resolve(self, ids: Sequence[str]) -> list[str]:
        """Return the qualified ids of ``ids`` (bare ids looked up as firm/region/component)."""
        from chainrisk.analysis.cascade import resolve_disruption

        graph = self.graph()
        try:
            return [graph.ids[v] for v in resolve_disruption(graph, ids)]
        except KeyError as e:
            raise UsageError(str(e.args[0])) from e

    def chain_targets(self, chain: str | None = None) -> list[str]:
        """Return the targets (end products, then leader firms) of one chain or all chains."""
        graph = self.graph()
        if chain is not None and chain not in graph.chains:
            known = ", ".join(sorted(graph.chains)) or "none loaded"
            raise UsageError(f"unknown chain {chain!r}; chains in the store: {known}")
        chains = [graph.chains[chain]] if chain else [graph.chains[c] for c in sorted(graph.chains)]
        seen: dict[str, None] = {}
        for info in chains:
            for v in info.targets:
                seen.setdefault(graph.ids[v])
        return list(seen)
