"""Gaps and whom to attract (补链招商), and who could replace a supplier (替代).

chain-chief.md §D defines the answers:

- the **gap list** of a chain in a scope: its cut links first (chain-chief.md §C), by
  how many chain targets filling the link alone makes makeable, then by how many it
  blocks; then its weak links, by how many chain targets the link is a single point of
  failure of; ties by id. Each gap carries its **candidates**: the firms making the
  component with no producer member inside the scope, by world share, then by how many
  distinct firms inside they already supply (anything), then id.
- the **substitutes** of a supply link (supplier, buyer, component): the component's
  other producers, those inside the scope first, then by share, then id, each marked
  when it already supplies the buyer something.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from chainrisk.analysis.coverage import Coverage
from chainrisk.analysis.reliance import Keep, Reliance, controllers, member_firm
from chainrisk.analysis.spof import SpofResult
from chainrisk.graph import DependencyGraph, GroupKind


@dataclass(frozen=True)
class Candidate:
    """A firm that makes a component: a firm to attract, or a substitute supplier."""

    firm: int
    share: float  # its share of the component's production (after the share rule)
    country: int | None  # the country of its HQ
    controller: int | None  # the country it is controlled from
    inside: bool  # it has a producer member inside the scope
    supplies_inside: int  # distinct firms inside the scope it supplies (anything)
    supplies_buyer: bool = False  # substitutes: it already supplies the buyer something


@dataclass(frozen=True)
class Gap:
    """One link of the gap list, with the firms that could fill it."""

    component: int
    cut: bool  # a cut link (else a weak one)
    fill_gain: tuple[int, ...]  # chain targets made makeable by filling it alone
    blocks: tuple[int, ...]  # chain targets it blocks
    spof_of: tuple[int, ...]  # chain targets it is a single point of failure of
    candidates: tuple[Candidate, ...]


class Producers:
    """Who makes what, where and for whom: the facts the gap list and substitutes read."""

    def __init__(self, graph: DependencyGraph, keep: Keep) -> None:
        self.graph = graph
        self.keep = keep
        self._controllers = controllers(graph)
        self._country: dict[int, int | None] = {}

    @cached_property
    def shares(self) -> dict[int, dict[int, tuple[float, bool]]]:
        """Return component -> firm -> (share of production, a member inside)."""
        g = self.graph
        lists = g.lists
        gkind = g.group_kind.tolist()
        out: dict[int, dict[int, tuple[float, bool]]] = {}
        for grp in range(g.n_groups):
            if gkind[grp] != GroupKind.PRODUCERS:
                continue
            firms: dict[int, tuple[float, bool]] = {}
            for i in range(lists.member_ptr[grp], lists.member_ptr[grp + 1]):
                m = lists.members[i]
                f = member_firm(g, m)
                share, inside = firms.get(f, (0.0, False))
                firms[f] = (share + lists.weights[i], inside or self.keep.member(g, m))
            out[lists.group_owner[grp]] = firms
        return out

    @cached_property
    def customers(self) -> dict[int, set[int]]:
        """Return supplier -> the firms it supplies (anything)."""
        g = self.graph
        lists = g.lists
        gkind = g.group_kind.tolist()
        out: dict[int, set[int]] = defaultdict(set)
        for grp in range(g.n_groups):
            if gkind[grp] == GroupKind.BUYS:
                buyer = lists.group_owner[grp]
                for i in range(lists.member_ptr[grp], lists.member_ptr[grp + 1]):
                    out[lists.members[i]].add(buyer)
        return out

    @cached_property
    def _inside(self) -> dict[int, int]:
        """Return supplier -> how many distinct firms inside the scope it supplies
        (vectorised: half a million supply links are read once, not walked in Python)."""
        import numpy as np

        g = self.graph
        buys = g.group_kind == GroupKind.BUYS
        sizes = np.diff(g.member_ptr)
        owners = np.repeat(g.group_owner, sizes)
        in_buys = np.repeat(buys, sizes)
        suppliers, buyers = g.members[in_buys], owners[in_buys]
        located = self.keep.supplier
        inside = np.array([located(g, int(b)) for b in np.unique(buyers)], dtype=bool)
        inside_of = dict(zip(np.unique(buyers).tolist(), inside.tolist(), strict=True))
        keep = np.array([inside_of[b] for b in buyers.tolist()], dtype=bool)
        pairs = np.unique(suppliers[keep] * g.n_nodes + buyers[keep])
        counts = np.bincount(pairs // g.n_nodes, minlength=g.n_nodes)
        return {int(f): int(n) for f in np.flatnonzero(counts) for n in [counts[f]]}

    def _inside_customers(self, firm: int) -> int:
        return self._inside.get(firm, 0)

    def candidate(self, component: int, firm: int, buyer: int | None = None) -> Candidate:
        """Return what the lists say about ``firm`` as a maker of ``component``."""
        g = self.graph
        share, inside = self.shares.get(component, {}).get(firm, (0.0, False))
        hq = g.firm_region.get(firm)
        if hq is not None and hq not in self._country:
            self._country[hq] = g.country_of(hq)
        return Candidate(
            firm=firm, share=min(share, 1.0),
            country=self._country.get(hq) if hq is not None else None,
            controller=self._controllers.get(firm), inside=inside,
            supplies_inside=self._inside_customers(firm),
            supplies_buyer=buyer is not None and buyer in self.customers.get(firm, ()))

    def targets(self, component: int) -> tuple[Candidate, ...]:
        """Return the firms to attract for ``component``: makers with nothing inside,
        by share, then by firms inside they supply, then id."""
        ids = self.graph.ids
        found = [self.candidate(component, f)
                 for f, (_, inside) in self.shares.get(component, {}).items() if not inside]
        return tuple(sorted(found, key=lambda c: (-round(c.share, 12), -c.supplies_inside,
                                                  ids[c.firm])))

    def substitutes(self, supplier: int, buyer: int, component: int) -> tuple[Candidate, ...]:
        """Return the other makers of ``component``: inside first, by share, then id."""
        ids = self.graph.ids
        found = [self.candidate(component, f, buyer)
                 for f in self.shares.get(component, {}) if f != supplier]
        return tuple(sorted(found, key=lambda c: (not c.inside, -round(c.share, 12),
                                                  ids[c.firm])))


def gaps(cov: Coverage, rel: Reliance, spof: SpofResult, targets: Iterable[int],
         producers: Producers) -> list[Gap]:
    """Return the gap list of a chain: its cut links, then its weak links (§D)."""
    g = cov.graph
    ids = g.ids
    wanted = tuple(targets)
    blocked_by: dict[int, list[int]] = defaultdict(list)
    for t, links in rel.blocking.items():
        if t in wanted:
            for c in links:
                blocked_by[c].append(t)
    spof_of: dict[int, list[int]] = defaultdict(list)
    for t in wanted:
        for x in spof.spof_indices(t):
            spof_of[x].append(t)

    def by_id(nodes: Iterable[int]) -> tuple[int, ...]:
        return tuple(sorted(nodes, key=ids.__getitem__))

    out = []
    for c in rel.cut:
        gain = tuple(t for t in rel.fill_gain.get(c, ()) if t in wanted)
        if c not in cov.links and not gain and not blocked_by.get(c):
            continue  # another chain's cut link that blocks nothing here
        out.append(Gap(c, True, by_id(gain), by_id(blocked_by.get(c, ())),
                       by_id(spof_of.get(c, ())), producers.targets(c)))
    cut = set(rel.cut)
    for c in cov.by_class("weak"):
        if c not in cut:
            out.append(Gap(c, False, (), (), by_id(spof_of.get(c, ())), producers.targets(c)))
    def order(x: Gap) -> tuple[int, int, int, str]:
        if x.cut:
            return (0, -len(x.fill_gain), -len(x.blocks), ids[x.component])
        return (1, -len(x.spof_of), 0, ids[x.component])

    return sorted(out, key=order)


def sole_source_links(graph: DependencyGraph, components: Iterable[int]
                      ) -> list[tuple[int, int, int]]:
    """Return (supplier, buyer, component) of every purchase of ``components`` from one
    supplier only, sorted by ids."""
    wanted = set(components)
    lists = graph.lists
    gkind = graph.group_kind.tolist()
    gref = graph.group_ref.tolist()
    ids = graph.ids
    out = []
    for grp in range(graph.n_groups):
        if gkind[grp] == GroupKind.BUYS and gref[grp] in wanted:
            lo, hi = lists.member_ptr[grp], lists.member_ptr[grp + 1]
            if hi - lo == 1:
                out.append((lists.members[lo], lists.group_owner[grp], gref[grp]))
    return sorted(out, key=lambda x: (ids[x[2]], ids[x[1]], ids[x[0]]))
