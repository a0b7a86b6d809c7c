"""The chain chief's workbench views: coverage, self-reliance, gaps, substitutes.

Like :mod:`chainrisk.chainview`, every surface (the CLI's ``coverage``, ``reliance``,
``gaps`` and ``alternatives``, the app's Gaps page, the workbook's sheets) reads these
functions, so they show the same figure for the same question. Each takes a
:class:`Workbench` — one chain's analyses in one scope and variant, and the user's
access scope — and returns frozen records; surfaces translate and lay them out.

The access scope is applied here: ``visible`` (None: every node) removes hidden firms,
components and targets from every list and count. The analyses run on the whole graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chainrisk.analysis.coverage import Coverage, LinkCoverage
from chainrisk.analysis.gaps import Candidate, Gap, Producers, gaps, sole_source_links
from chainrisk.analysis.reliance import Reliance
from chainrisk.analysis.spof import SpofResult
from chainrisk.graph import DependencyGraph, Kind


def default_scope(graph: DependencyGraph, chain: str, bundles: Sequence[Mapping[str, Any]]
                  ) -> tuple[str, str]:
    """Return (scope id, why) for a chain when the user names none (chain-chief.md §A):
    the ``home_region`` of the bundle that brought the chain, else its ``home_country``.

    The bundle is the one whose metadata lists the chain, else the one named like it,
    else the only one; with several bundles and no way to tell, the home region they
    all share, else the graph's home country.
    """
    def region_of(meta: Mapping[str, Any]) -> str | None:
        for key in ("home_region", "home_country"):
            value = str(meta.get(key) or "")
            if value and f"region:{value}" in graph.index:
                return f"region:{value}"
        return None

    for pick in (lambda b: chain in (b.get("chains") or ()), lambda b: b.get("name") == chain):
        for meta in bundles:
            if pick(meta) and (found := region_of(meta)):
                return found, f"the home region of bundle {meta.get('name')}"
    if len(bundles) == 1 and (found := region_of(bundles[0])):
        return found, f"the home region of bundle {bundles[0].get('name')}"
    shared = {region_of(b) for b in bundles}
    if len(shared) == 1 and (found := shared.pop()):
        return found, "the home region every bundle names"
    return f"region:{graph.home_country}", "the store's home country"


@dataclass(frozen=True, eq=False)
class Workbench:
    """One chain's coverage, self-reliance and gaps in one scope, as a user may see them."""

    graph: DependencyGraph
    chain: str
    targets: tuple[int, ...]  # the chain's targets (end products, leaders)
    coverage: Coverage
    reliance: Reliance
    spof: SpofResult
    producers: Producers
    visible: frozenset[int] | None = None

    def shown(self, v: int) -> bool:
        """Return whether node ``v`` is inside the access scope."""
        return self.visible is None or v in self.visible

    def _only(self, nodes: Iterable[int]) -> tuple[int, ...]:
        return tuple(v for v in nodes if self.shown(v))

    @property
    def scope(self) -> int:
        """Return the scope region."""
        return self.coverage.located.scope

    @property
    def control(self) -> bool:
        """Return whether answers keep members by control (else by location)."""
        return self.coverage.control


# ---------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class CoverageSummary:
    """The chain's coverage figures within the access scope."""

    components: int
    with_producers: int
    by_class: Mapping[str, int]
    coverage_rate: float | None
    mean_local_share: float | None


def coverage_rows(w: Workbench) -> tuple[LinkCoverage, ...]:
    """Return one row per visible component of the chain: class order (missing, weak,
    strong, no data), then local share, then id."""
    order = {"missing": 0, "weak": 1, "strong": 2, "no_data": 3}
    ids = w.graph.ids
    rows = [x for c, x in w.coverage.links.items() if w.shown(c)]
    return tuple(sorted(rows, key=lambda x: (order[x.link_class], x.local_share or 0.0,
                                             ids[x.component])))


def coverage_summary(w: Workbench) -> CoverageSummary:
    """Return the coverage figures over the visible components of the chain."""
    rows = coverage_rows(w)
    known = [x for x in rows if x.link_class != "no_data"]
    counts = {name: sum(1 for x in rows if x.link_class == name)
              for name in ("missing", "weak", "strong", "no_data")}
    rate = (sum(1 for x in known if x.link_class != "missing") / len(known)) if known else None
    shares = [x.local_share or 0.0 for x in known]
    return CoverageSummary(len(rows), len(known), counts, rate,
                           sum(shares) / len(shares) if shares else None)


def leader_rows(w: Workbench) -> tuple[tuple[int, float | None], ...]:
    """Return (leader, local sourcing rate) for the visible chain leaders, by id."""
    ids = w.graph.ids
    return tuple(sorted(((f, rate) for f, rate in w.coverage.leaders.items() if w.shown(f)),
                        key=lambda x: ids[x[0]]))


# ---------------------------------------------------------------------- self-reliance


@dataclass(frozen=True)
class Verdict:
    """Whether one chain target could still be made inside the scope, and what blocks it."""

    target: int
    makeable: bool
    blocking: tuple[int, ...]  # cut links on a failure path to it, by id
    fill_plan: tuple[int, ...]  # an irredundant set of links whose filling makes it


def verdicts(w: Workbench) -> tuple[Verdict, ...]:
    """Return the self-reliance verdict of every visible chain target, in target order."""
    rel = w.reliance
    out = []
    for t in w._only(w.targets):
        if rel.makeable(t):
            out.append(Verdict(t, True, (), ()))
        else:
            out.append(Verdict(t, False, w._only(rel.blocking.get(t, ())),
                               w._only(rel.fill_plan(t))))
    return tuple(out)


def explain(w: Workbench, target: int, link: int) -> tuple[int, ...]:
    """Return one failure path from a blocking link to a target (visible steps only)."""
    return w._only(w.reliance.path(target, link))


# ---------------------------------------------------------------------- gaps


def gap_rows(w: Workbench) -> tuple[Gap, ...]:
    """Return the chain's gap list (chain-chief.md §D) within the access scope: hidden
    links are left out, and so are hidden targets and candidates inside each row."""
    found = gaps(w.coverage, w.reliance, w.spof, w.targets, w.producers)
    out = []
    for x in found:
        if not w.shown(x.component):
            continue
        out.append(Gap(x.component, x.cut, w._only(x.fill_gain), w._only(x.blocks),
                       w._only(x.spof_of),
                       tuple(c for c in x.candidates if w.shown(c.firm))))
    return tuple(out)


# ---------------------------------------------------------------------- substitutes


@dataclass(frozen=True)
class SoleSource:
    """A purchase from one supplier only, and who else makes the component."""

    supplier: int
    buyer: int
    component: int
    substitutes: tuple[Candidate, ...]


def substitutes(w: Workbench, supplier: int, buyer: int, component: int
                ) -> tuple[Candidate, ...]:
    """Return who else could supply ``component`` to ``buyer`` (visible firms only)."""
    return tuple(c for c in w.producers.substitutes(supplier, buyer, component)
                 if w.shown(c.firm))


def sole_sources(w: Workbench, firm: int | None = None) -> tuple[SoleSource, ...]:
    """Return every sole-source purchase of the chain's components (of ``firm`` as buyer
    or supplier, when given) with its substitutes, within the access scope."""
    components = [c for c in w.coverage.links if w.shown(c)]
    out = []
    for s, b, c in sole_source_links(w.graph, components):
        if not (w.shown(s) and w.shown(b)):
            continue
        if firm is not None and firm not in (s, b):
            continue
        out.append(SoleSource(s, b, c, substitutes(w, s, b, c)))
    return tuple(out)


def build(graph: DependencyGraph, spof: SpofResult, chain: str, scope: int, *,
          control: bool = False, visible: frozenset[int] | None = None,
          deadline: Any = None) -> Workbench:
    """Return the workbench of ``chain`` in ``scope`` (by location, or by control).

    The analyses run on the whole graph: coverage of the chain's components, the
    restricted graph of the scope for every chain target, the facts about producers.
    """
    from chainrisk.analysis.coverage import coverage
    from chainrisk.analysis.reliance import reliance, scope_keeps

    if chain not in graph.chains:
        raise ValueError(f"unknown chain {chain!r}")
    if graph.kinds[scope] != Kind.REGION:
        raise ValueError(f"{graph.ids[scope]} is not a region")
    located, controlled = scope_keeps(graph, scope)
    keep = controlled if control else located
    if control and controlled.country is None:
        raise ValueError(f"{graph.ids[scope]} lies in no country: control needs one")
    targets = graph.chains[chain].targets
    cov = coverage(graph, chain, located, controlled, control=control)
    rel = reliance(graph, keep, targets, deadline=deadline)
    return Workbench(graph=graph, chain=chain, targets=targets, coverage=cov, reliance=rel,
                     spof=spof, producers=Producers(graph, keep), visible=visible)


@dataclass(frozen=True)
class SupplyLink:
    """A supplier's sale of a component to a buyer, and who else could supply it."""

    supplier: int
    buyer: int
    component: int
    sole: bool  # the buyer has no other supplier of the component
    substitutes: tuple[Candidate, ...]


def alternatives(graph: DependencyGraph, producers: Producers, firm: int,
                 component: int | None = None, buyer: int | None = None,
                 visible: frozenset[int] | None = None) -> tuple[SupplyLink, ...]:
    """Return every sale of ``firm`` (of ``component`` / to ``buyer`` when given) with
    the other makers of the component (chain-chief.md §D), sole sources first, then by
    component and buyer id."""
    from chainrisk.graph import GroupKind

    ids = graph.ids
    lists = graph.lists
    gkind = graph.group_kind.tolist()
    gref = graph.group_ref.tolist()
    shown = (lambda v: True) if visible is None else visible.__contains__
    out = []
    for i in range(lists.dependent_ptr[firm], lists.dependent_ptr[firm + 1]):
        g = lists.dependent_groups[i]
        if gkind[g] != GroupKind.BUYS:
            continue
        b, c = lists.group_owner[g], gref[g]
        if (component is not None and c != component) or (buyer is not None and b != buyer):
            continue
        if not (shown(b) and shown(c)):
            continue
        sole = lists.member_ptr[g + 1] - lists.member_ptr[g] == 1
        subs = tuple(x for x in producers.substitutes(firm, b, c) if shown(x.firm))
        out.append(SupplyLink(firm, b, c, sole, subs))
    return tuple(sorted(out, key=lambda x: (not x.sole, ids[x.component], ids[x.buyer])))
