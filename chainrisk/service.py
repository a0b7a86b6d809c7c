"""RiskService: one store, its compiled graph, and the analyses on it, cached per data version.

The front door of the library: the CLI and the UI call this, never the loaders or the
stores themselves. Besides the analyses it owns every data operation a front end
offers (load a bundle, import supplier lists, dump, copy, apply the schema, export and
import name resolutions, write rankings back, export a chain); what it asks of the
store beyond the :class:`~chainrisk.store.base.Store` protocol it asks by capability
(:class:`~chainrisk.store.base.WritesBack`, :class:`~chainrisk.store.base.HasSchema`),
never by backend. The result types those operations return are in
:mod:`chainrisk.results`.

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

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from chainrisk.analysis.cascade import CascadeResult, simulate
from chainrisk.analysis.concentration import ConcentrationResult, concentration
from chainrisk.analysis.deadline import Deadline
from chainrisk.analysis.members import ChainMembers, chain_members
from chainrisk.analysis.ranking import Ranking, rank
from chainrisk.analysis.reliance import Reliance
from chainrisk.analysis.spof import SpofResult, single_points_of_failure
from chainrisk.analysis.structure import StructureResult, structure
from chainrisk.chainview import ChainData
from chainrisk.errors import UsageError
from chainrisk.graph import DependencyGraph
from chainrisk.limits import current as current_limits
from chainrisk.readers import Resolution, read_resolutions, write_resolutions
from chainrisk.results import DEFAULT_ENCODING, LoadRecord, LoadReport, StoreInfo
from chainrisk.schema import DEFAULT_HOME_COUNTRY, TABLE_ORDER, OnError
from chainrisk.store import apply_schema, default_store_url, open_store, redact_text
from chainrisk.store.base import HasSchema, Store, WritesBack

if TYPE_CHECKING:
    from chainrisk.ingest.suppliers import ImportReport
    from chainrisk.report import ExportTables
    from chainrisk.workbench import Workbench

# open_store: for a front end that keeps the store beside the service (the app's cache)
__all__ = ["HasSchema", "RiskService", "WritesBack", "check_archive", "default_store_url",
           "open_store", "redact_text", "store_environment", "write_import_report"]

# Called with (stage, rows done, total rows or None) while a load or an import runs.
Progress = Callable[..., None]


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

    def scope(self, chain: str, scope: str | None = None) -> tuple[str, str]:
        """Return (region id, why) of the scope the chain chief's answers use: ``scope``
        as given (an id, a name, a ``name_zh`` or an alias of a region), else the home
        region of the bundle that brought ``chain`` (chain-chief.md §A)."""
        from chainrisk import workbench

        graph = self.graph()
        if scope is None or not scope.strip():
            return workbench.default_scope(graph, chain, self.store.bundles())
        text = scope.strip()
        bare = text if ":" in text else f"region:{text}"
        if bare in graph.index:
            return bare, "as given"
        found = [v for v in graph.lookup(text) if graph.ids[v].startswith("region:")]
        if len(found) == 1:
            return graph.ids[found[0]], "as given"
        if found:
            matches = ", ".join(graph.ids[v] for v in found)
            raise UsageError(f"{text!r} names several regions ({matches}); give its id",
                             code="usage.ambiguous_node", params={"node": text})
        other = [graph.ids[v] for v in graph.lookup(text)]
        if other:
            raise UsageError(f"{text!r} is {', '.join(other)}, not a region: a scope is a "
                             "country, a province or a city, e.g. --scope 广东省",
                             code="usage.scope_not_region", params={"node": text})
        close = [graph.ids[v] for v in graph.containing(text)
                 if graph.ids[v].startswith("region:")]
        hint = f"; regions containing it: {', '.join(close)}" if close else ""
        raise UsageError(f"{text!r} is not the id, name or alias of a region of the store"
                         f"{hint}", code="usage.unknown_node", params={"node": text})

    def workbench(self, chain: str, scope: str | None = None, *, control: bool = False,
                  visible: frozenset[int] | None = None) -> Workbench:
        """Return the chain chief's workbench of ``chain`` in ``scope`` (by location, or
        by control): coverage, self-reliance and gaps, cached per data version, chain,
        scope, variant and access scope."""
        from chainrisk import workbench

        graph = self.graph()
        chain = self.chain_id(chain)
        region, _ = self.scope(chain, scope)
        seen = "all" if visible is None else hash(visible)
        key = f"workbench:{chain}:{region}:{control}:{seen}"
        result = self._cached(key, graph)
        if result is None:
            deadline = self.deadline(f"the gaps of chain {chain!r} in {region}")
            try:
                result = workbench.build(graph, self._spof(graph, deadline), chain,
                                         graph.index[region], control=control,
                                         visible=visible, deadline=deadline)
            except ValueError as e:
                raise UsageError(str(e), code="usage.scope_no_country",
                                 params={"node": region}) from e
            self._keep(key, graph, result)
        assert isinstance(result, workbench.Workbench)
        return result

    def reliance(self, chain: str | None = None, scope: str | None = None, *,
                 control: bool = False) -> Reliance:
        """Return self-reliance in ``scope`` for the targets of ``chain`` (None: of every
        chain); its makeable set and cut links do not depend on the chain."""
        from chainrisk.analysis.reliance import reliance, scope_keeps

        graph = self.graph()
        if chain is not None:
            chain = self.chain_id(chain)
            return self.workbench(chain, scope, control=control).reliance
        if scope is None:
            homes = {str(b.get("home_region") or b.get("home_country") or "")
                     for b in self.store.bundles()}
            scope = homes.pop() if len(homes) == 1 else graph.home_country
        region, _ = self.scope(sorted(graph.chains)[0] if graph.chains else "", scope)
        key = f"reliance:{region}:{control}"
        result = self._cached(key, graph)
        if result is None:
            located, controlled = scope_keeps(graph, graph.index[region])
            if control and controlled.country is None:
                raise UsageError(f"{region} lies in no country: control needs one",
                                 code="usage.scope_no_country", params={"node": region})
            targets = [graph.index[t] for t in self.chain_targets()]
            result = reliance(graph, controlled if control else located, targets,
                              deadline=self.deadline(f"self-reliance in {region}"))
            self._keep(key, graph, result)
        assert isinstance(result, Reliance)
        return result

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

    # ------------------------------------------------------------------ data operations

    @property
    def url(self) -> str:
        """Return the URL of the store (as given; never holding a password)."""
        return self.store.url

    def info(self, last_loads: int = 10) -> StoreInfo:
        """Return what the store holds: counts, bundles, chains, the latest loads."""
        return self.store.info(last_loads=last_loads)

    def chain_ids(self) -> list[str]:
        """Return the ids of the chains the store holds, read without compiling the graph."""
        return [row["id"] for row in self.store.iter_rows("chains")]

    def load_bundle(self, folder: Path, *, on_error: OnError = OnError.RAISE,
                    dry_run: bool = False, encoding: str = DEFAULT_ENCODING,
                    progress: Progress | None = None) -> LoadReport:
        """Validate the bundle ``folder`` and load it in one transaction (see
        :func:`chainrisk.ingest.load.load_bundle`); ValidationFailed carries the report."""
        from chainrisk.ingest.load import load_bundle

        return load_bundle(self.store, folder, on_error=on_error, dry_run=dry_run,
                           encoding=encoding, progress=progress)

    def import_suppliers(self, files: Sequence[Path], *, buyer: str | None = None,
                         sheet: str | None = None, mapping: Path | None = None,
                         on_error: OnError = OnError.RAISE, dry_run: bool = False,
                         encoding: str | None = None, source: str | None = None,
                         progress: Progress | None = None,
                         region_from: str = "store") -> ImportReport:
        """Import enterprise supplier lists (CSV, XLSX) in one transaction (see
        :func:`chainrisk.ingest.suppliers.import_suppliers`)."""
        from chainrisk.ingest.suppliers import import_suppliers

        return import_suppliers(self.store, files, buyer=buyer, sheet=sheet, mapping=mapping,
                                on_error=on_error, dry_run=dry_run, encoding=encoding,
                                source=source, progress=progress, region_from=region_from)

    def dump(self, out_dir: Path) -> dict[str, int]:
        """Write the store to ``out_dir`` as a bundle; return the rows written per table."""
        from chainrisk.ingest.writer import dump_store

        return dump_store(self.store, out_dir)

    def copy_to(self, url: str) -> list[LoadRecord]:
        """Copy the whole store (tables, bundles, resolutions) into the store at ``url``."""
        from chainrisk.store.copy import copy_store

        target = open_store(url)
        try:
            return copy_store(self.store, target)
        finally:
            target.close()

    def apply_schema(self) -> list[str]:
        """Return the schema statements run on the store (none for the embedded store)."""
        return apply_schema(self.store)

    def has_schema(self) -> bool:
        """Return whether the store's schema is applied on request (Neo4j)."""
        return isinstance(self.store, HasSchema)

    def resolutions(self, source: str | None = None) -> list[Resolution]:
        """Return the (source, kind, written, id) name resolutions, of one source or all."""
        return self.store.resolutions(source)

    def export_resolutions(self, target: TextIO | Path, source: str | None = None) -> int:
        """Write the resolutions as CSV, each with its id's stored names, to ``target`` (a
        text stream, or a file written UTF-8 with BOM); return how many were written."""
        rows = self.resolutions(source)
        names = self._stored_names({kind for _, kind, _, _ in rows})
        if isinstance(target, Path):
            with target.open("w", encoding="utf-8-sig", newline="") as handle:
                write_resolutions(handle, rows, names)
        else:
            write_resolutions(target, rows, names)
        return len(rows)

    def import_resolutions(self, path: Path) -> int:
        """Read a resolutions CSV (as exported, ids corrected) and save it; return how many
        changed. The next import of each source uses them."""
        return self.store.save_resolutions(read_resolutions(path))

    def _stored_names(self, kinds: set[str]) -> dict[tuple[str, str], tuple[str, str]]:
        """Return (kind, id) -> (name, name_zh) of the stored nodes of ``kinds``."""
        names = {}
        for kind in sorted(kinds & _KIND_TABLES.keys()):
            for row in self.store.iter_rows(_KIND_TABLES[kind]):
                names[kind, row["id"]] = (row.get("name") or "", row.get("name_zh") or "")
        return names

    def write_back(self, ranking: Ranking) -> int:
        """Set the ranking's scores and parts on the store's nodes; return how many nodes
        were found. UsageError for a store that cannot hold them (the embedded one)."""
        if not isinstance(self.store, WritesBack):
            raise UsageError(
                "--write-back writes scores into Neo4j node properties; the embedded store "
                "has no graph browser to show them. Use --store neo4j://… (or export the "
                "ranking)"
            )
        rows = {
            r.id: {
                "risk_score": r.score,
                "risk_rank": r.rank,
                "risk_chain": ranking.chain,
                "spof_targets": r.targets_lost,  # targets this node alone can stop
                "risk_nodes_lost": r.nodes_lost,
                "risk_sole_source_links": r.sole_source_links,
                "risk_output_lost": r.output_lost,
                "risk_concentration": r.concentration,
            }
            for r in ranking.rows
        }
        return self.store.write_back(rows)

    def export_tables(self, chain: str, *, disrupt: Sequence[str] = (), lang: str = "en",
                      visible: frozenset[int] | None = None, scope: str | None = None,
                      control: bool = False) -> ExportTables:
        """Return the export tables of ``chain`` (an id or a name), with a Scenario table
        of disrupting ``disrupt`` when any is given, inside ``visible`` (None: all); the
        coverage and gap sheets in ``scope`` (default: the chain's home region)."""
        from chainrisk.report import build_tables

        scenario = self.simulate(list(disrupt)) if disrupt else None
        return build_tables(self, self.chain_id(chain), scenario=scenario, visible=visible,
                            lang=lang, scope=scope, control=control)

    @staticmethod
    def write_export(tables: ExportTables, out: Path, *, lang: str = "en") -> str:
        """Write ``tables`` in the format ``out`` names (.xlsx, .json, .zip, .csv or a
        folder); return a one-line description of what was written."""
        from chainrisk.report import export

        return export(tables, out, lang=lang)


_KIND_TABLES = {"firm": "firms", "component": "components", "region": "regions"}


def write_import_report(report: ImportReport, folder: Path) -> list[Path]:
    """Write an import's report (report.txt, report.json, rejects.csv) into ``folder``."""
    from chainrisk.ingest.suppliers import write_import_report as write

    return write(report, folder)


def check_archive(path: Path, *, kind: str, repair: str) -> None:
    """Refuse a zip at ``path`` that is unsafe to unpack (damaged, too many members, too
    large unpacked, too highly compressed), with a message naming it as ``kind`` and
    saying ``repair`` (see :func:`chainrisk.ingest.archive.check_archive`)."""
    from chainrisk.ingest.archive import check_archive as check

    check(path, kind=kind, repair=repair)


def store_environment() -> tuple[str, ...]:
    """Return the environment variables that name the store and its Neo4j account."""
    from chainrisk.store import STORE_ENV
    from chainrisk.store.neo4j import DATABASE_ENV, PASSWORD_ENV, PASSWORD_FILE_ENV, USER_ENV

    return STORE_ENV, USER_ENV, PASSWORD_ENV, PASSWORD_FILE_ENV, DATABASE_ENV


def _node_error(e: KeyError) -> dict[str, Any]:
    """Return the code and params of the UsageError for an id the graph does not hold."""
    if len(e.args) < 3:
        return {"code": "usage.unknown_node", "params": {"node": str(e.args[0])}}
    code = "usage.ambiguous_node" if e.args[2] else "usage.unknown_node"
    return {"code": code, "params": {"node": str(e.args[1])}}
