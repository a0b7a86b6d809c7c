"""The compiled dependency graph: AND-of-OR requirement groups in compact arrays.

Every region, firm and component becomes a node; each node has requirement groups
(AND between groups, OR inside a group), compiled from the bundle tables exactly as
risk-model.md §1 says:

- ``region:R``: ``{region:parent}`` when R has a parent;
- ``firm:F``: ``{region:HQ}``, and one group ``{firm:s …}`` per component F buys, of the
  firms that supply it to F;
- ``component:C``: one group of its producers (when it has any), and one group per
  input group of requires.csv (same non-empty ``group`` = one OR group; an empty
  ``group`` is a group of its own);
- a producer whose produces row names a ``site_region`` other than its HQ is a
  synthetic *site* node with groups ``{firm:F}`` and ``{region:site}``. Site nodes
  never appear in output.

Storage is CSR-style: ``group_ptr`` slices a node's groups, ``member_ptr`` slices a
group's members, with a weight per member (market or supply shares after the share
rule, for the cascade) and the reverse index ``dependent_ptr``/``dependent_groups``.

Examples
--------
>>> g = DependencyGraph.from_tables({
...     "regions": [{"id": "CN", "level": "country"}],
...     "firms": [{"id": "a", "region": "CN"}, {"id": "b", "region": "CN"}],
...     "components": [{"id": "x"}],
...     "produces": [{"firm": "a", "component": "x"}, {"firm": "b", "component": "x"}],
... })
>>> g.n_nodes, g.n_groups
(4, 3)
>>> [[g.ids[m] for m in grp] for grp in g.groups_of(g.index["component:x"])]
[['firm:a', 'firm:b']]
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from chainrisk.schema import DEFAULT_HOME_COUNTRY, NodeKind
from chainrisk.shares import share_weights

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
KindArray = npt.NDArray[np.int8]

Rows = Iterable[Mapping[str, Any]]


def name_key(text: str) -> str:
    """Return ``text`` as names are compared when a user types one: NFKC (full-width
    forms to plain), case folded, spaces removed.

    >>> name_key("Ｓｉｌｉｃｏｎ  Wafer"), name_key(" 深圳市 ")
    ('siliconwafer', '深圳市')
    """
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


class Kind(IntEnum):
    """Node kinds in the compiled graph (``SITE`` is synthetic)."""

    REGION = 0
    FIRM = 1
    COMPONENT = 2
    SITE = 3


class GroupKind(IntEnum):
    """Why a group exists; used to explain a failure path."""

    PARENT = 0  # region -> its parent region
    HQ = 1  # firm -> its HQ region
    BUYS = 2  # firm -> suppliers of one component it buys
    PRODUCERS = 3  # component -> its producers
    REQUIRES = 4  # component -> one input group of its bill of materials
    SITE_FIRM = 5  # site -> the firm running it
    SITE_REGION = 6  # site -> the region it stands in


_SITE = int(Kind.SITE)

_PREFIX = {
    Kind.REGION: NodeKind.REGION.value + ":",
    Kind.FIRM: NodeKind.FIRM.value + ":",
    Kind.COMPONENT: NodeKind.COMPONENT.value + ":",
    Kind.SITE: "",
}


class GraphLists(NamedTuple):
    """The CSR arrays of a graph as Python lists, for tight Python loops."""

    group_ptr: list[int]
    member_ptr: list[int]
    members: list[int]
    weights: list[float]
    summed: list[bool]  # per group: weighted sum of members (suppliers, producers), else max
    group_owner: list[int]
    dependent_ptr: list[int]
    dependent_groups: list[int]


@dataclass(frozen=True)
class ChainInfo:
    """A chain's name and targets (end products and chain-leader firms), as node indices."""

    id: str
    name: str
    name_zh: str | None
    end_products: tuple[int, ...]
    leaders: tuple[int, ...]

    @property
    def targets(self) -> tuple[int, ...]:
        """Return end products then leader firms."""
        return self.end_products + self.leaders


@dataclass(frozen=True, eq=False)
class DependencyGraph:
    """The compiled dependency graph; build it with :meth:`from_tables`."""

    ids: tuple[str, ...]
    index: Mapping[str, int]
    kind: KindArray
    group_ptr: IntArray
    group_owner: IntArray
    group_kind: KindArray
    group_ref: IntArray  # BUYS: component node bought; REQUIRES: -1; others -1
    group_label: tuple[str, ...]  # REQUIRES: the group name ('' for a single input)
    member_ptr: IntArray
    members: IntArray
    weights: FloatArray
    dependent_ptr: IntArray
    dependent_groups: IntArray
    names: tuple[str, ...]
    names_zh: tuple[str | None, ...]
    home_country: str = DEFAULT_HOME_COUNTRY
    region_parent: Mapping[int, int] = field(default_factory=dict)
    region_level: Mapping[int, str] = field(default_factory=dict)
    firm_region: Mapping[int, int] = field(default_factory=dict)
    site_of: Mapping[int, tuple[int, int]] = field(default_factory=dict)  # site -> (firm, region)
    chains: Mapping[str, ChainInfo] = field(default_factory=dict)
    component_chain_ids: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    # the share each member was given in the data, NaN where it was missing
    share_given: FloatArray = field(default_factory=lambda: np.zeros(0))
    stage: Mapping[int, str] = field(default_factory=dict)
    aliases: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    # firm -> the country it is controlled from, where firms.csv names one (a region
    # below a country stands for its country); the others: their HQ's country
    firm_controller: Mapping[int, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ names

    @cached_property
    def _by_name(self) -> dict[str, tuple[int, ...]]:
        found: dict[str, list[int]] = {}
        for v in self.real_nodes():
            texts = {self.names[v], self.names_zh[v] or "", *self.aliases.get(v, ())}
            for text in texts:
                key = name_key(text)
                if key and v not in found.setdefault(key, []):
                    found[key].append(v)
        return {k: tuple(vs) for k, vs in found.items()}

    def lookup(self, text: str) -> tuple[int, ...]:
        """Return the real nodes whose name, Chinese name or alias is ``text`` (width,
        case and spaces aside), in index order.

        >>> g = DependencyGraph.from_tables({
        ...     "regions": [{"id": "CN-GD-SZ", "name": "Shenzhen", "name_zh": "深圳市",
        ...                  "level": "city"}],
        ...     "firms": [{"id": "tsmc", "name": "TSMC", "aliases": ("台积电",),
        ...                "region": "CN-GD-SZ"}],
        ...     "components": [{"id": "wafer", "name": "Silicon wafer", "name_zh": "硅片"}]})
        >>> [g.ids[v] for v in g.lookup("硅片") + g.lookup("深圳市") + g.lookup("台积电")]
        ['component:wafer', 'region:CN-GD-SZ', 'firm:tsmc']
        >>> g.lookup("silicon  WAFER") == g.lookup("Ｓｉｌｉｃｏｎ wafer")
        True
        """
        return self._by_name.get(name_key(text), ())

    def containing(self, text: str, limit: int = 10) -> list[int]:
        """Return up to ``limit`` real nodes whose name, Chinese name or alias contains
        ``text`` (as :meth:`lookup` compares), shortest name first — suggestions for a
        name typed that matches nothing exactly."""
        key = name_key(text)
        if not key:
            return []
        found = sorted({v for k, vs in self._by_name.items() if key in k for v in vs},
                       key=lambda v: (len(self.names[v]), self.ids[v]))
        return found[:limit]

    # ------------------------------------------------------------------ shape

    @property
    def n_nodes(self) -> int:
        """Return the number of nodes, synthetic sites included."""
        return len(self.ids)

    @property
    def n_groups(self) -> int:
        """Return the number of requirement groups."""
        return len(self.group_owner)

    def is_real(self, node: int) -> bool:
        """Return whether ``node`` is a region, firm or component (not a site)."""
        return self.kinds[node] != _SITE

    @cached_property
    def parts(self) -> list[list[int]]:
        """Return the strongly connected parts, dependencies first (computed once)."""
        return strongly_connected(self)

    @cached_property
    def lists(self) -> GraphLists:
        """Return the CSR arrays as Python lists (made once; fast to index in loops)."""
        kinds = self.group_kind.tolist()
        return GraphLists(
            group_ptr=self.group_ptr.tolist(),
            member_ptr=self.member_ptr.tolist(),
            members=self.members.tolist(),
            weights=self.weights.tolist(),
            summed=[k in (GroupKind.BUYS, GroupKind.PRODUCERS) for k in kinds],
            group_owner=self.group_owner.tolist(),
            dependent_ptr=self.dependent_ptr.tolist(),
            dependent_groups=self.dependent_groups.tolist(),
        )

    @cached_property
    def part_position(self) -> list[int]:
        """Return, for every node, the position of its strongly connected part in ``parts``."""
        position = [0] * self.n_nodes
        for i, part in enumerate(self.parts):
            for v in part:
                position[v] = i
        return position

    def to_networkx(self) -> Any:
        """Return a ``networkx.DiGraph`` of regions, firms and components.

        An edge ``u -> v`` means v depends on u (u is a member of one of v's groups);
        edge attributes: ``group`` (index), ``kind`` (why the group exists) and
        ``weight`` (share-rule weight). A site shows as an edge from its firm and one
        from its region.

        >>> g = DependencyGraph.from_tables({
        ...     "regions": [{"id": "CN", "level": "country"}],
        ...     "firms": [{"id": "a", "region": "CN"}], "components": []})
        >>> sorted(g.to_networkx().edges)
        [('region:CN', 'firm:a')]
        """
        import networkx as nx

        out = nx.DiGraph()
        ids = self.ids
        for v in self.real_nodes():
            out.add_node(ids[v], kind=Kind(int(self.kind[v])).name.lower(),
                         name=self.names[v], name_zh=self.names_zh[v])
        kind_names = [k.name.lower() for k in GroupKind]
        sizes = np.diff(self.member_ptr)
        group_of = np.repeat(np.arange(self.n_groups), sizes).tolist()
        owners = self.group_owner.tolist()
        kinds = self.group_kind.tolist()
        weights = self.weights.tolist()
        site = Kind.SITE
        node_kind = self.kind.tolist()
        edges = []
        for i, member in enumerate(self.members.tolist()):
            g = group_of[i]
            owner = owners[g]
            if node_kind[owner] == site:
                continue
            attrs = {"group": g, "kind": kind_names[kinds[g]], "weight": weights[i]}
            if node_kind[member] == site:
                for u in self.site_of[member]:
                    edges.append((ids[u], ids[owner], attrs))
            else:
                edges.append((ids[member], ids[owner], attrs))
        out.add_edges_from(edges)
        return out

    def real_nodes(self) -> Iterator[int]:
        """Yield every node that is not synthetic, in index order."""
        yield from self.real_node_list

    @cached_property
    def real_node_list(self) -> list[int]:
        """Return every node that is not synthetic, in index order (made once)."""
        real: list[int] = np.flatnonzero(self.kind != Kind.SITE).tolist()
        return real

    @cached_property
    def kinds(self) -> list[int]:
        """Return the node kinds as a list of ints (made once; fast to index in loops)."""
        kinds: list[int] = self.kind.tolist()
        return kinds

    def groups(self, node: int) -> range:
        """Return the group indices of ``node``."""
        return range(int(self.group_ptr[node]), int(self.group_ptr[node + 1]))

    def group_members(self, group: int) -> IntArray:
        """Return the member nodes of ``group``."""
        return self.members[self.member_ptr[group] : self.member_ptr[group + 1]]

    def groups_of(self, node: int) -> list[list[int]]:
        """Return ``node``'s groups as lists of member nodes."""
        return [[int(m) for m in self.group_members(g)] for g in self.groups(node)]

    def dependents(self, node: int) -> IntArray:
        """Return the groups in which ``node`` is a member."""
        return self.dependent_groups[self.dependent_ptr[node] : self.dependent_ptr[node + 1]]

    def country_of(self, region: int) -> int | None:
        """Return the country node above (or at) ``region``, None if there is none."""
        node: int | None = region
        seen = 0
        while node is not None and seen <= len(self.region_parent) + 1:
            if self.region_level.get(node) == "country":
                return node
            node = self.region_parent.get(node)
            seen += 1
        return None

    def province_of(self, region: int) -> int | None:
        """Return the province node above (or at) ``region``, None if there is none."""
        node: int | None = region
        seen = 0
        while node is not None and seen <= len(self.region_parent) + 1:
            if self.region_level.get(node) == "province":
                return node
            node = self.region_parent.get(node)
            seen += 1
        return None

    def describe_group(self, group: int) -> str:
        """Return a short human description of why ``group`` exists.

        >>> g = DependencyGraph.from_tables({
        ...     "regions": [{"id": "CN", "level": "country"}],
        ...     "firms": [{"id": "a", "region": "CN"}], "components": []})
        >>> g.describe_group(0)
        'HQ region'
        """
        kind = GroupKind(int(self.group_kind[group]))
        if kind is GroupKind.BUYS:
            return f"buys {self.ids[int(self.group_ref[group])]}"
        if kind is GroupKind.REQUIRES:
            label = self.group_label[group]
            return f"input group {label!r}" if label else "required input"
        return {
            GroupKind.PARENT: "parent region",
            GroupKind.HQ: "HQ region",
            GroupKind.PRODUCERS: "producers",
            GroupKind.SITE_FIRM: "operator of the site",
            GroupKind.SITE_REGION: "site region",
        }[kind]

    def component_chains(self, node: int) -> tuple[str, ...]:
        """Return the chains a component belongs to."""
        return tuple(self.component_chain_ids.get(node, ()))

    def output_index(self, node: int) -> int:
        """Return the node shown to users for ``node`` (a site shows as its firm)."""
        if self.kinds[node] == _SITE:
            return self.site_of[node][0]
        return node

    def output_id(self, node: int) -> str:
        """Return the id shown to users (a site shows as its firm)."""
        return self.ids[self.output_index(node)]

    # ------------------------------------------------------------------ build

    @classmethod
    def from_tables(
        cls, tables: Mapping[str, Rows], *, home_country: str = DEFAULT_HOME_COUNTRY
    ) -> DependencyGraph:
        """Return the graph compiled from bundle tables (rows as {column: value}).

        Missing tables mean no rows. References are assumed valid (the store only
        holds validated rows); a dangling one raises ``KeyError``.
        """
        return _Builder(tables, home_country).build()


def strongly_connected(graph: DependencyGraph) -> list[list[int]]:
    """Return the strongly connected parts, each before every part that depends on it.

    Edges run from a node to the members of its groups; an iterative Tarjan emits a
    part only after every part it reaches, i.e. dependencies first.
    """
    n = graph.n_nodes
    gp = graph.group_ptr.tolist()
    mp = graph.member_ptr.tolist()
    mem = graph.members.tolist()
    succ_lo = [mp[gp[v]] for v in range(n)]
    succ_hi = [mp[gp[v + 1]] for v in range(n)]
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        work = [(root, succ_lo[root])]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, pos = work[-1]
            if pos < succ_hi[v]:
                work[-1] = (v, pos + 1)
                u = mem[pos]
                if index[u] == -1:
                    index[u] = low[u] = counter
                    counter += 1
                    stack.append(u)
                    on_stack[u] = True
                    work.append((u, succ_lo[u]))
                elif on_stack[u] and index[u] < low[v]:
                    low[v] = index[u]
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                if low[v] < low[parent]:
                    low[parent] = low[v]
            if low[v] == index[v]:
                part = []
                while True:
                    u = stack.pop()
                    on_stack[u] = False
                    part.append(u)
                    if u == v:
                        break
                out.append(part)
    return out


class _Builder:
    def __init__(self, tables: Mapping[str, Rows], home_country: str) -> None:
        self.tables = tables
        self.home_country = home_country
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.kinds: list[int] = []
        self.names: list[str] = []
        self.names_zh: list[str | None] = []
        self.aliases: dict[int, tuple[str, ...]] = {}
        # groups: owner, kind, ref, label, members, given shares (None = missing)
        self.g_owner: list[int] = []
        self.g_kind: list[int] = []
        self.g_ref: list[int] = []
        self.g_label: list[str] = []
        self.g_members: list[list[int]] = []
        self.g_shares: list[list[float | None]] = []

    def node(self, kind: Kind, ident: str, name: str, name_zh: str | None,
             aliases: Any = None) -> int:
        qid = _PREFIX[kind] + ident
        if qid in self.index:
            raise ValueError(f"{qid} is defined twice")
        if aliases:
            listed = aliases.split(";") if isinstance(aliases, str) else aliases
            kept = tuple(str(a).strip() for a in listed if str(a).strip())
            if kept:
                self.aliases[len(self.ids)] = kept
        self.index[qid] = len(self.ids)
        self.ids.append(qid)
        self.kinds.append(int(kind))
        self.names.append(name)
        self.names_zh.append(name_zh)
        return self.index[qid]

    def group(
        self,
        owner: int,
        kind: GroupKind,
        members: list[int],
        shares: list[float | None] | None = None,
        *,
        ref: int = -1,
        label: str = "",
    ) -> None:
        self.g_owner.append(owner)
        self.g_kind.append(int(kind))
        self.g_ref.append(ref)
        self.g_label.append(label)
        self.g_members.append(members)
        self.g_shares.append(shares if shares is not None else [None] * len(members))

    def rows(self, table: str) -> Rows:
        return self.tables.get(table, ())

    def build(self) -> DependencyGraph:
        region_parent_id: dict[int, str] = {}
        region_level: dict[int, str] = {}
        for rg in self.rows("regions"):
            v = self.node(Kind.REGION, rg["id"], rg.get("name") or rg["id"], rg.get("name_zh"),
                          rg.get("aliases"))
            region_level[v] = rg.get("level") or ""
            if rg.get("parent"):
                region_parent_id[v] = rg["parent"]
        firm_region: dict[int, int] = {}
        controller_id: dict[int, str] = {}  # firm -> the region its row names
        leader_flag: list[int] = []
        for fr in self.rows("firms"):
            v = self.node(Kind.FIRM, fr["id"], fr.get("name") or fr["id"], fr.get("name_zh"),
                          fr.get("aliases"))
            firm_region[v] = self.index["region:" + fr["region"]]
            if fr.get("controller"):
                controller_id[v] = fr["controller"]
            if fr.get("chain_leader"):
                leader_flag.append(v)
        stage: dict[int, str] = {}
        component_chains: dict[int, tuple[str, ...]] = {}
        end_products: list[int] = []
        for cr in self.rows("components"):
            v = self.node(Kind.COMPONENT, cr["id"], cr.get("name") or cr["id"], cr.get("name_zh"),
                          cr.get("aliases"))
            if cr.get("stage"):
                stage[v] = cr["stage"]
            component_chains[v] = tuple(cr.get("chains") or ())
            if cr.get("end_product"):
                end_products.append(v)

        index = self.index

        def region(ident: str) -> int:
            return index["region:" + ident]

        def firm(ident: str) -> int:
            return index["firm:" + ident]

        def component(ident: str) -> int:
            return index["component:" + ident]

        region_parent = {v: region(p) for v, p in region_parent_id.items()}

        # Groups are collected per owner, then laid out owner by owner.
        producers: dict[int, list[tuple[int, float | None]]] = {}
        site_nodes: dict[tuple[int, int], int] = {}
        site_of: dict[int, tuple[int, int]] = {}
        for p in self.rows("produces"):
            f: int = firm(p["firm"])
            member = f
            site = p.get("site_region")
            if site:
                s_region = region(site)
                if s_region != firm_region[f]:
                    at = (f, s_region)
                    if at not in site_nodes:
                        sid = f"site:{p['firm']}@{site}"
                        site_nodes[at] = self.node(Kind.SITE, sid, sid, None)
                        site_of[site_nodes[at]] = at
                    member = site_nodes[at]
            producers.setdefault(component(p["component"]), []).append((member, p.get("share")))
        buys: dict[int, dict[int, list[tuple[int, float | None]]]] = {}
        for sr in self.rows("supplies"):
            b = firm(sr["buyer"])
            bought = component(sr["component"])
            buys.setdefault(b, {}).setdefault(bought, []).append(
                (firm(sr["supplier"]), sr.get("share"))
            )
        requires: dict[int, dict[str, list[int]]] = {}
        for rr in self.rows("requires"):
            product = component(rr["product"])
            label = rr.get("group") or ""
            group_key = label if label else f"\x00{rr['input']}"  # empty group: its own group
            requires.setdefault(product, {}).setdefault(group_key, []).append(
                component(rr["input"])
            )

        for v, kind in enumerate(self.kinds):
            if kind == Kind.REGION:
                if v in region_parent:
                    self.group(v, GroupKind.PARENT, [region_parent[v]])
            elif kind == Kind.FIRM:
                self.group(v, GroupKind.HQ, [firm_region[v]])
                for bought, sellers in sorted(buys.get(v, {}).items()):
                    self.group(v, GroupKind.BUYS, [m for m, _ in sellers],
                               [share for _, share in sellers], ref=bought)
            elif kind == Kind.COMPONENT:
                if v in producers:
                    self.group(v, GroupKind.PRODUCERS, [m for m, _ in producers[v]],
                               [share for _, share in producers[v]])
                for group_key, inputs in sorted(requires.get(v, {}).items()):
                    label = "" if group_key.startswith("\x00") else group_key
                    self.group(v, GroupKind.REQUIRES, inputs, label=label)
            else:  # site
                operator, place = site_of[v]
                self.group(v, GroupKind.SITE_FIRM, [operator])
                self.group(v, GroupKind.SITE_REGION, [place])

        chains: dict[str, ChainInfo] = {}
        for ch in self.rows("chains"):
            cid = ch["id"]
            ends = tuple(v for v in end_products if cid in component_chains.get(v, ()))
            in_chain = {v for v, chs in component_chains.items() if cid in chs}
            producing = {m for c in in_chain for m, _ in producers.get(c, [])}
            producing = {site_of[m][0] if m in site_of else m for m in producing}
            leaders = {firm(ident) for ident in ch.get("leader_firms") or ()}
            leaders |= {v for v in leader_flag if v in producing}
            chains[cid] = ChainInfo(cid, ch.get("name") or cid, ch.get("name_zh"), ends,
                                    tuple(sorted(leaders)))
        graph = self.finish(region_parent, region_level, firm_region, site_of, chains, stage)
        object.__setattr__(graph, "component_chain_ids", component_chains)
        controller: dict[int, int] = {}
        for v, ident in controller_id.items():  # the rows are read once: kept above
            named = index.get(f"region:{ident}")
            country = graph.country_of(named) if named is not None else None
            if country is not None:
                controller[v] = country
        object.__setattr__(graph, "firm_controller", controller)
        return graph

    def finish(
        self,
        region_parent: dict[int, int],
        region_level: dict[int, str],
        firm_region: dict[int, int],
        site_of: dict[int, tuple[int, int]],
        chains: dict[str, ChainInfo],
        stage: dict[int, str],
    ) -> DependencyGraph:
        n = len(self.ids)
        owners = np.asarray(self.g_owner, dtype=np.int64)
        group_ptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(group_ptr, owners + 1, 1)
        group_ptr = np.cumsum(group_ptr)
        sizes = np.asarray([len(m) for m in self.g_members], dtype=np.int64)
        if np.any(sizes == 0):
            raise ValueError("a requirement group has no members")
        member_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        members = np.fromiter(
            (m for ms in self.g_members for m in ms), dtype=np.int64, count=int(sizes.sum())
        )
        weights = np.empty(len(members), dtype=np.float64)
        given = np.empty(len(members), dtype=np.float64)
        for g, shares in enumerate(self.g_shares):
            lo, hi = member_ptr[g], member_ptr[g + 1]
            if self.g_kind[g] in (GroupKind.BUYS, GroupKind.PRODUCERS):
                weights[lo:hi] = share_weights(shares).weights
            else:
                weights[lo:hi] = 1.0
            given[lo:hi] = [np.nan if s is None else s for s in shares]
        # reverse index: for every node, the groups it is a member of
        group_of_member = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        order = np.argsort(members, kind="stable")
        dependent_groups = group_of_member[order]
        counts = np.bincount(members, minlength=n)
        dependent_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return DependencyGraph(
            ids=tuple(self.ids),
            index=self.index,
            kind=np.asarray(self.kinds, dtype=np.int8),
            group_ptr=group_ptr.astype(np.int64),
            group_owner=owners,
            group_kind=np.asarray(self.g_kind, dtype=np.int8),
            group_ref=np.asarray(self.g_ref, dtype=np.int64),
            group_label=tuple(self.g_label),
            member_ptr=member_ptr,
            members=members,
            weights=weights,
            dependent_ptr=dependent_ptr,
            dependent_groups=dependent_groups,
            names=tuple(self.names),
            names_zh=tuple(self.names_zh),
            home_country=self.home_country,
            region_parent=region_parent,
            region_level=region_level,
            firm_region=firm_region,
            site_of=site_of,
            chains=chains,
            share_given=given,
            stage=stage,
            aliases=self.aliases,
        )
