"""Self-reliance (自主可控): what could still be made if every input from outside a scope
stopped, what blocks each chain target (卡脖子), and what filling a link would give.

chain-chief.md §C defines the answers; this module computes them on the compiled graph.

**The restricted graph.** A scope is a set of regions (a region and its descendants). A
producer member (a firm, or a firm's production site) is *kept* when it is located in
the scope (the site's region, else the firm's HQ) — or, in the control variant, when its
firm is controlled from the scope's country. Every producer group keeps its kept
members; every purchase of a component ``c`` (a firm's supplies group) keeps its kept
suppliers (by HQ, or by control) **plus** every kept producer of ``c``: under a
cut-off, buyers turn to whoever makes ``c`` inside. Regions, HQ groups and a site's
need of its firm stay as they are. A group left empty fails.

Rather than copy every kept producer of ``c`` into each purchase of ``c`` (a component
bought by 10,000 firms would cost 10,000 copies of its producer list), each component
gets one synthetic *local supply* node whose only group is its kept producers; the
component's producer group and every purchase of it name that node. It works exactly
when some kept producer works, so the working sets are the same as with the copies.

**Answers.** ``makeable``: the greatest fixpoint of the restricted graph (one counter
propagation). A *cut link* is a component with a group emptied by the restriction: its
producer group (it had producers, none kept), or a purchase of it (no supplier and no
producer kept). ``blocking(t)``: the cut links from which a failure path reaches ``t``,
walking back from ``t`` through failed groups only (every member failed), so an input
with one working alternative does not block. ``fill_gain(c)``: the targets that become
makeable when ``c`` alone is made available inside (it works, and so does every
purchase of it). Filling can only revive failed nodes downstream of ``c``, and nothing
else changes: the new fixpoint is the greatest fixpoint over those nodes alone, with the
rest fixed — exact on supply loops (two firms buying from each other revive together),
and as cheap as the part of the chain below ``c``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from chainrisk.analysis.deadline import CHECK_EVERY, NO_LIMIT, Deadline
from chainrisk.graph import DependencyGraph, GroupKind, Kind


def scope_regions(graph: DependencyGraph, region: int) -> frozenset[int]:
    """Return ``region`` and every region below it in the store's region tree.

    >>> g = DependencyGraph.from_tables({"regions": [
    ...     {"id": "CN", "level": "country"},
    ...     {"id": "CN-GD", "level": "province", "parent": "CN"},
    ...     {"id": "CN-GD-SZ", "level": "city", "parent": "CN-GD"},
    ...     {"id": "TW", "level": "country"}]})
    >>> sorted(g.ids[r] for r in scope_regions(g, g.index["region:CN"]))
    ['region:CN', 'region:CN-GD', 'region:CN-GD-SZ']
    """
    children: dict[int, list[int]] = {}
    for child, parent in graph.region_parent.items():
        children.setdefault(parent, []).append(child)
    found = {region}
    queue = [region]
    while queue:
        for child in children.get(queue.pop(), ()):
            if child not in found:
                found.add(child)
                queue.append(child)
    return frozenset(found)


def member_location(graph: DependencyGraph, member: int) -> int | None:
    """Return where a producer member stands: a site's region, else the firm's HQ."""
    site = graph.site_of.get(member)
    if site is not None:
        return site[1]
    return graph.firm_region.get(member)


def member_firm(graph: DependencyGraph, member: int) -> int:
    """Return the firm behind a producer member (the member itself unless a site)."""
    site = graph.site_of.get(member)
    return site[0] if site is not None else member


@dataclass(frozen=True)
class Keep:
    """Which producer members and suppliers a restriction keeps.

    ``regions`` is the scope (``scope`` and its descendants). With ``controllers``
    (firm -> controlling country) and ``country`` given, members are kept by control
    instead: a member is kept when its firm's controller is ``country``.
    """

    scope: int  # the scope's region
    regions: frozenset[int]  # it and its descendants
    country: int | None = None
    controllers: dict[int, int] | None = None

    @property
    def control(self) -> bool:
        """Return whether members are kept by control rather than by location."""
        return self.controllers is not None

    def member(self, graph: DependencyGraph, member: int) -> bool:
        """Return whether a producer member (firm or site) is kept."""
        if self.controllers is not None:
            return self.controllers.get(member_firm(graph, member)) == self.country
        return member_location(graph, member) in self.regions

    def supplier(self, graph: DependencyGraph, firm: int) -> bool:
        """Return whether a supplier firm is kept (by its HQ, or by control)."""
        if self.controllers is not None:
            return self.controllers.get(firm) == self.country
        return graph.firm_region.get(firm) in self.regions


def controllers(graph: DependencyGraph) -> dict[int, int]:
    """Return every firm's controlling country: its ``controller`` when the data gives
    one, else the country of its HQ (firms whose HQ has no country are left out)."""
    given = graph.firm_controller
    country_of: dict[int, int | None] = {}  # a few hundred regions, 100,000s of firms
    out = {}
    for firm, region in graph.firm_region.items():
        country = given.get(firm)
        if country is None:
            if region not in country_of:
                country_of[region] = graph.country_of(region)
            country = country_of[region]
        if country is not None:
            out[firm] = country
    return out


def scope_keeps(graph: DependencyGraph, scope: int) -> tuple[Keep, Keep]:
    """Return the two restrictions of a scope: by location (the scope region and its
    descendants) and by control (firms controlled from the scope's country)."""
    regions = scope_regions(graph, scope)
    country = graph.country_of(scope)
    located = Keep(scope=scope, regions=regions)
    controlled = Keep(scope=scope, regions=regions, country=country,
                      controllers=controllers(graph))
    return located, controlled


@dataclass(eq=False)
class _Restricted:
    """The restricted graph in CSR lists: the real nodes, then one local-supply node per
    component (``local[c]``); groups keep their owner, kind and component."""

    n_real: int
    local: dict[int, int]  # component -> its local-supply node
    local_of: dict[int, int]  # local-supply node -> component
    group_ptr: list[int]
    member_ptr: list[int]
    members: list[int]
    group_owner: list[int]
    group_kind: list[int]  # GroupKind; the local supply's group counts as PRODUCERS
    group_ref: list[int]  # the component a producer group or a purchase is about, else -1
    emptied: list[bool]  # the restriction left the group with nothing that could work
    dependent_ptr: list[int] = field(default_factory=list)
    dependent_groups: list[int] = field(default_factory=list)

    @property
    def n_nodes(self) -> int:
        """Return the number of nodes, local-supply nodes included."""
        return len(self.group_ptr) - 1

    def index_dependents(self) -> None:
        """Build the reverse index: for each node, the groups it is a member of."""
        counts = [0] * (self.n_nodes + 1)
        for m in self.members:
            counts[m + 1] += 1
        for i in range(self.n_nodes):
            counts[i + 1] += counts[i]
        fill = counts[:-1].copy()
        groups = [0] * len(self.members)
        mp = self.member_ptr
        for g in range(len(self.group_owner)):
            for i in range(mp[g], mp[g + 1]):
                m = self.members[i]
                groups[fill[m]] = g
                fill[m] += 1
        self.dependent_ptr = counts
        self.dependent_groups = groups


def _restrict(graph: DependencyGraph, keep: Keep) -> _Restricted:
    lists = graph.lists
    gp, mp, mem = lists.group_ptr, lists.member_ptr, lists.members
    gkind = graph.group_kind.tolist()
    gref = graph.group_ref.tolist()
    kinds = graph.kinds
    n = graph.n_nodes
    components = [v for v in range(n) if kinds[v] == Kind.COMPONENT]
    local = {c: n + i for i, c in enumerate(components)}
    kept_producers: dict[int, list[int]] = {}
    has_producers: set[int] = set()
    for g in range(graph.n_groups):
        if gkind[g] == GroupKind.PRODUCERS:
            c = lists.group_owner[g]
            has_producers.add(c)
            kept_producers[c] = [m for m in mem[mp[g]:mp[g + 1]] if keep.member(graph, m)]
    supplier_kept: dict[int, bool] = {}
    r = _Restricted(n_real=n, local=local, local_of={x: c for c, x in local.items()},
                    group_ptr=[0], member_ptr=[0], members=[], group_owner=[],
                    group_kind=[], group_ref=[], emptied=[])

    def add(owner: int, kind: int, ref: int, members: Iterable[int], emptied: bool) -> None:
        r.members.extend(members)
        r.member_ptr.append(len(r.members))
        r.group_owner.append(owner)
        r.group_kind.append(kind)
        r.group_ref.append(ref)
        r.emptied.append(emptied)

    for v in range(n):
        for g in range(gp[v], gp[v + 1]):
            kind = gkind[g]
            members = mem[mp[g]:mp[g + 1]]
            if kind == GroupKind.PRODUCERS:
                add(v, kind, v, [local[v]], False)
            elif kind == GroupKind.BUYS:
                c = gref[g]
                kept = []
                for s in members:
                    ok = supplier_kept.get(s)
                    if ok is None:
                        ok = supplier_kept[s] = keep.supplier(graph, s)
                    if ok:
                        kept.append(s)
                empty = not kept and not kept_producers.get(c)
                add(v, kind, c, [*kept, local[c]], empty)
            else:
                add(v, kind, -1, members, False)
        r.group_ptr.append(len(r.group_owner))
    for c in components:
        kept = kept_producers.get(c, [])
        # a component nobody is recorded making has no producers to lose: its local
        # supply fails, but the restriction emptied nothing
        add(local[c], GroupKind.PRODUCERS, c, kept, c in has_producers and not kept)
        r.group_ptr.append(len(r.group_owner))
    r.index_dependents()
    return r


def _greatest_fixpoint(r: _Restricted, universe: Collection[int] | None,
                       fixed_failed: Collection[int], forced: Collection[int],
                       dl: Deadline) -> dict[int, None]:
    """Return the nodes of ``universe`` (None: every node) that fail in the greatest
    fixpoint, in the order they failed, the nodes outside it held as they are:
    ``fixed_failed`` failed, every other one working; ``forced`` nodes work whatever
    their groups."""
    gp, mp, mem, owner = r.group_ptr, r.member_ptr, r.members, r.group_owner
    dptr, dgroups = r.dependent_ptr, r.dependent_groups
    nodes: Iterable[int] = range(r.n_nodes) if universe is None else universe
    inside = None if universe is None else set(universe)
    alive: dict[int, int] = {}
    failed: dict[int, None] = {}
    queue: deque[int] = deque()
    work = 0
    for v in nodes:
        if v in forced:
            continue
        for g in range(gp[v], gp[v + 1]):
            count = 0
            for i in range(mp[g], mp[g + 1]):
                m = mem[i]
                # a member counts while it may work: forced, inside the universe (all
                # assumed working at first), or held working outside it
                if m in forced or (inside is not None and m in inside) \
                        or m not in fixed_failed:
                    count += 1
            work += mp[g + 1] - mp[g] + 1
            alive[g] = count
            if count == 0 and v not in failed:
                failed[v] = None
                queue.append(v)
        if work >= CHECK_EVERY:
            dl.check()
            work = 0
    while queue:
        u = queue.popleft()
        for i in range(dptr[u], dptr[u + 1]):
            g = dgroups[i]
            if g not in alive:
                continue  # a group of a node held as it is, or of a forced node
            alive[g] -= 1
            v = owner[g]
            if alive[g] == 0 and v not in failed:
                failed[v] = None
                queue.append(v)
        work += dptr[u + 1] - dptr[u] + 1
        if work >= CHECK_EVERY:
            dl.check()
            work = 0
    return failed


@dataclass(frozen=True, eq=False)
class Reliance:
    """Self-reliance of a graph under one restriction (a scope, by location or control)."""

    graph: DependencyGraph
    keep: Keep
    failed: frozenset[int]  # nodes of the restricted graph that fail (local supplies too)
    order: tuple[int, ...]  # the same, in the order they failed
    cut: tuple[int, ...]  # cut links (components), sorted by id
    targets: tuple[int, ...]  # the chain targets asked about
    _restricted: _Restricted = field(repr=False)
    _deadline: Deadline = field(repr=False, default=NO_LIMIT)

    # ---------------------------------------------------------------- makeable

    def makeable(self, node: int) -> bool:
        """Return whether a region, firm or component works in the restricted graph."""
        return node not in self.failed

    @cached_property
    def makeable_nodes(self) -> tuple[int, ...]:
        """Return every working region, firm and component, sorted by id."""
        g = self.graph
        return tuple(sorted((v for v in g.real_nodes() if v not in self.failed),
                            key=g.ids.__getitem__))

    # ---------------------------------------------------------------- blocking

    def _walk_back(self, target: int) -> tuple[dict[int, tuple[int, int]], dict[int, int]]:
        """Walk back from ``target`` through failed groups: return, for every node
        reached, the (node, group) it was reached from, and for every cut link reached,
        the node whose emptied group names it."""
        r = self._restricted
        gp, mp, mem = r.group_ptr, r.member_ptr, r.members
        came: dict[int, tuple[int, int]] = {target: (-1, -1)}
        starts: dict[int, int] = {}
        queue = deque([target])
        while queue:
            v = queue.popleft()
            for g in range(gp[v], gp[v + 1]):
                if any(mem[i] not in self.failed for i in range(mp[g], mp[g + 1])):
                    continue  # a working member: this group does not fail v
                # a path starts at a firm whose purchase was emptied, or at a component
                # whose producers were all dropped (its local supply's group is empty):
                # reaching a local supply from a purchase with suppliers kept is no
                # start, that purchase was not emptied (its suppliers failed)
                if r.emptied[g] and v not in r.local_of:
                    starts.setdefault(r.group_ref[g], v)
                elif r.group_kind[g] == GroupKind.PRODUCERS and v not in r.local_of \
                        and r.emptied[gp[r.local[v]]]:
                    starts.setdefault(v, v)
                for i in range(mp[g], mp[g + 1]):
                    m = mem[i]
                    if m not in came:
                        came[m] = (v, g)
                        queue.append(m)
        return came, starts

    @cached_property
    def blocking(self) -> dict[int, tuple[int, ...]]:
        """Return, for every target that is not makeable, its blocking cut links (by id)."""
        ids = self.graph.ids
        out = {}
        for t in self.targets:
            if t in self.failed:
                _, starts = self._walk_back(t)
                out[t] = tuple(sorted(starts, key=ids.__getitem__))
        return out

    def path(self, target: int, link: int) -> list[int]:
        """Return one failure path from the cut link ``link`` to ``target``: real nodes,
        starting at the link or at the firm whose purchase of it was emptied."""
        came, starts = self._walk_back(target)
        if link not in starts:
            raise ValueError(f"{self.graph.ids[link]} does not block {self.graph.ids[target]}")
        node = starts[link]
        steps: list[int] = []
        while node != -1:
            if node < self._restricted.n_real and self.graph.is_real(node):
                steps.append(node)
            node = came[node][0]
        return steps if steps[:1] == [link] else [link, *steps]

    # ---------------------------------------------------------------- filling

    def _downstream(self, sources: Iterable[int]) -> set[int]:
        """Return the failed nodes reachable from ``sources`` through dependents."""
        r = self._restricted
        dptr, dgroups, owner = r.dependent_ptr, r.dependent_groups, r.group_owner
        seen = {s for s in sources if s in self.failed}
        queue = deque(seen)
        while queue:
            u = queue.popleft()
            for i in range(dptr[u], dptr[u + 1]):
                v = owner[dgroups[i]]
                if v in self.failed and v not in seen:
                    seen.add(v)
                    queue.append(v)
        return seen

    def revived(self, links: Collection[int]) -> set[int]:
        """Return the failed nodes that work once ``links`` (components) are filled."""
        r = self._restricted
        forced = set(links) | {r.local[c] for c in links}
        universe = self._downstream(forced)
        still = _greatest_fixpoint(r, universe, self.failed, forced, self._deadline)
        return {v for v in universe if v not in still and v < r.n_real}

    @cached_property
    def revived_by(self) -> dict[int, frozenset[int]]:
        """Return, for every failed node, the cut links whose filling alone revives it.

        One pass for all links instead of one fixpoint per link: ``Sup(v)`` = {v} if v
        is a cut link (its local supply: its component) ∪ ⋂ over v's failed groups of
        ⋃ over their members of ``Sup(m)``; a group with a working member does not
        constrain. It is the greatest fixpoint of a set system (one boolean fixpoint
        per link, run together), so nodes are first taken in the order they failed —
        every group that failed a node failed before it, so its members are known — a
        member not known yet counts as anything, and a node whose member's set shrinks
        later is taken again. Sets only shrink, and they are small: filling one link
        alone rarely revives a node that needs two.
        """
        r = self._restricted
        gp, mp, mem, owner = r.group_ptr, r.member_ptr, r.members, r.group_owner
        dptr, dgroups = r.dependent_ptr, r.dependent_groups
        failed, cut = self.failed, set(self.cut)
        sup: dict[int, frozenset[int]] = {}
        dl = self._deadline
        work = 0

        def compute(v: int) -> frozenset[int]:
            nonlocal work
            base = set()
            if v in cut:
                base.add(v)
            link = r.local_of.get(v)
            if link is not None and link in cut:
                base.add(link)
            acc: set[int] | None = None
            for g in range(gp[v], gp[v + 1]):
                lo, hi = mp[g], mp[g + 1]
                work += hi - lo + 1
                union: set[int] = set()
                for i in range(lo, hi):
                    m = mem[i]
                    if m not in failed:
                        break  # a working member: the group does not constrain v
                    known = sup.get(m)
                    if known is None:
                        break  # not known yet: anything, for now
                    union |= known
                else:
                    acc = union if acc is None else acc & union
                    if not acc:
                        break
            return frozenset(base | (acc or set()))

        queue: deque[int] = deque()
        for v in self.order:
            sup[v] = compute(v)
            queue.append(v)
            if work >= CHECK_EVERY:
                dl.check()
                work = 0
        while queue:
            u = queue.popleft()
            for i in range(dptr[u], dptr[u + 1]):
                w = owner[dgroups[i]]
                if w in sup:
                    new = compute(w)
                    if new != sup[w]:
                        sup[w] = new
                        queue.append(w)
            if work >= CHECK_EVERY:
                dl.check()
                work = 0
        return sup

    @cached_property
    def fill_gain(self) -> dict[int, tuple[int, ...]]:
        """Return, for every cut link, the targets that become makeable when it alone
        is filled (sorted by id)."""
        ids = self.graph.ids
        out: dict[int, list[int]] = {c: [] for c in self.cut}
        for t in self.targets:
            for c in self.revived_by.get(t, ()):
                out[c].append(t)
        return {c: tuple(sorted(ts, key=ids.__getitem__)) for c, ts in out.items()}

    def fill_plan(self, target: int) -> tuple[int, ...]:
        """Return an irredundant set of cut links whose filling makes ``target``
        makeable (empty when it is already): greedy on how many of the target's failed
        ancestors each link revives, ties by id, then links dropped in reverse pick
        order while the target stays makeable. Not the smallest set (that is NP-hard)."""
        if target not in self.failed:
            return ()
        ids = self.graph.ids
        came, _ = self._walk_back(target)
        ancestors = {v for v in came if v in self.failed}
        candidates = sorted(self.blocking.get(target) or self._blocking_of(target),
                            key=ids.__getitem__)
        picked: list[int] = []
        while True:
            best, best_score = -1, -1
            for c in candidates:
                if c in picked:
                    continue
                score = len(self.revived([*picked, c]) & ancestors)
                if score > best_score:
                    best, best_score = c, score
            if best < 0:  # cannot happen: filling every blocking link makes it makeable
                raise AssertionError(f"no fill plan for {ids[target]}")
            picked.append(best)
            if target in self.revived(picked):
                break
        for c in reversed(list(picked)):
            rest = [x for x in picked if x != c]
            if rest and target in self.revived(rest):
                picked = rest
        return tuple(sorted(picked, key=ids.__getitem__))

    def _blocking_of(self, target: int) -> tuple[int, ...]:
        _, starts = self._walk_back(target)
        return tuple(starts)

    # ---------------------------------------------------------------- contract

    def to_json(self) -> dict[str, object]:
        """Return the contract of chain-chief.md §H for ``chainrisk reliance``."""
        ids = self.graph.ids
        return {
            "scope": ids[self.keep.scope],
            "makeable": [ids[v] for v in self.makeable_nodes],
            "cut": [ids[c] for c in self.cut],
            "blocking": {ids[t]: [ids[c] for c in links]
                         for t, links in sorted(self.blocking.items(),
                                                key=lambda kv: ids[kv[0]])},
            "fill_gain": {ids[c]: [ids[t] for t in gained]
                          for c, gained in sorted(self.fill_gain.items(),
                                                  key=lambda kv: ids[kv[0]])},
        }


def reliance(graph: DependencyGraph, keep: Keep, targets: Iterable[int], *,
             deadline: Deadline | None = None) -> Reliance:
    """Return the self-reliance of ``graph`` under ``keep`` for ``targets``."""
    dl = (deadline or NO_LIMIT).within("self-reliance", graph)
    r = _restrict(graph, keep)
    failed = _greatest_fixpoint(r, None, (), (), dl)
    ids = graph.ids
    cut = sorted({r.group_ref[g] for g in range(len(r.group_owner)) if r.emptied[g]},
                 key=ids.__getitem__)
    return Reliance(graph=graph, keep=keep, failed=frozenset(failed), order=tuple(failed),
                    cut=tuple(cut),
                    targets=tuple(dict.fromkeys(targets)), _restricted=r, _deadline=dl)
