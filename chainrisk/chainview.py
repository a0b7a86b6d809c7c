"""The chain views: what every surface shows about one chain, from one set of functions.

The overview, every page of the app, the CLI and every export read the figures of a
chain from here, so they show the same number for the same question. Each function
takes a :class:`ChainData` — the compiled graph, the analyses of that graph, the chain's
members (:mod:`chainrisk.analysis.members`) and the access scope — and returns frozen
records of node indices, ids and numbers; surfaces only translate and lay them out.

The access scope is applied here, once: ``visible`` is the set of node indices the
user may see (None: every node), and every list and every count leaves the others
out. The analyses themselves always run on the whole graph, so every answer stays
exact (a visible firm's single points of failure take hidden alternatives into
account).

Examples
--------
>>> from chainrisk.analysis.concentration import concentration
>>> from chainrisk.analysis.members import chain_members
>>> from chainrisk.analysis.spof import single_points_of_failure
>>> from chainrisk.graph import DependencyGraph
>>> g = DependencyGraph.from_tables({
...     "regions": [{"id": "CN", "level": "country"}, {"id": "NL", "level": "country"}],
...     "firms": [{"id": "asml", "region": "NL"}, {"id": "fab", "region": "CN"},
...               {"id": "buyer", "region": "CN"}],
...     "components": [{"id": "tool", "chains": ("ic",)},
...                    {"id": "chip", "chains": ("ic",), "end_product": True}],
...     "produces": [{"firm": "asml", "component": "tool"},
...                  {"firm": "fab", "component": "chip"}],
...     "supplies": [{"supplier": "fab", "buyer": "buyer", "component": "chip"}],
...     "requires": [{"product": "chip", "input": "tool"}],
...     "chains": [{"id": "ic"}],
... })
>>> data = ChainData(g, single_points_of_failure(g), concentration(g), chain_members(g, "ic"))
>>> h = headline(data)
>>> (h.firms, h.customers, h.components, h.countries, h.spofs, h.spof_regions)
(2, 1, 2, 2, 5, 2)
>>> [(s.id, s.targets) for s in chain_spofs(data)][:2]
[('component:tool', ('component:chip',)), ('firm:asml', ('component:chip',))]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from chainrisk.analysis.concentration import ComponentConcentration, ConcentrationResult
from chainrisk.analysis.members import ChainMembers
from chainrisk.analysis.members import chain_spofs as _chain_spofs
from chainrisk.analysis.spof import SpofResult
from chainrisk.graph import DependencyGraph, GroupKind, Kind

KIND_NAMES = {Kind.REGION: "region", Kind.FIRM: "firm", Kind.COMPONENT: "component"}
_KIND_NAME_OF = {int(k): name for k, name in KIND_NAMES.items()}


@dataclass(frozen=True, eq=False)
class ChainData:
    """What the chain views read: one graph, its analyses, one chain, one access scope."""

    graph: DependencyGraph
    spof: SpofResult
    conc: ConcentrationResult
    members: ChainMembers
    visible: frozenset[int] | None = None

    def shown(self, v: int) -> bool:
        """Return whether node ``v`` is inside the access scope."""
        return self.visible is None or v in self.visible

    def only_shown(self, nodes: Iterable[int]) -> list[int]:
        """Return the nodes of ``nodes`` inside the access scope, in their order."""
        return [v for v in nodes if self.visible is None or v in self.visible]

    @property
    def components(self) -> list[int]:
        """Return the chain's components inside the scope, in index order."""
        return sorted(self.only_shown(self.members.components))

    @property
    def targets(self) -> tuple[int, ...]:
        """Return the chain's targets inside the scope (end products, then leaders)."""
        return tuple(self.only_shown(self.members.targets))


# ---------------------------------------------------------------------- names


def name_of(graph: DependencyGraph, v: int, lang: str) -> str:
    """Return the name of node ``v`` in ``lang`` (the English name when no Chinese one)."""
    v = graph.output_index(v)
    zh = graph.names_zh[v]
    if lang == "zh" and zh:
        return zh
    return graph.names[v] or graph.ids[v].split(":", 1)[-1]


def name_by_id(graph: DependencyGraph, node_id: str, lang: str) -> str:
    """Return the name of the node called ``node_id`` in ``lang`` ('' when unknown)."""
    v = graph.index.get(node_id)
    return name_of(graph, v, lang) if v is not None else ""


def kind_of(graph: DependencyGraph, v: int) -> str:
    """Return 'region', 'firm' or 'component'."""
    return _KIND_NAME_OF.get(graph.kinds[graph.output_index(v)], "")


def country_of_firm(graph: DependencyGraph, firm: int) -> int | None:
    """Return the country node of a firm's HQ."""
    region = graph.firm_region.get(firm)
    return graph.country_of(region) if region is not None else None


def producers(graph: DependencyGraph, component: int) -> list[tuple[int, int, float, float]]:
    """Return (firm, place, share after the share rule, share given or NaN) per producer."""
    out = []
    for g in graph.groups(component):
        if graph.group_kind[g] != GroupKind.PRODUCERS:
            continue
        for i in range(int(graph.member_ptr[g]), int(graph.member_ptr[g + 1])):
            member = int(graph.members[i])
            if graph.kind[member] == Kind.SITE:
                firm, place = graph.site_of[member]
            else:
                firm, place = member, graph.firm_region[member]
            out.append((firm, place, float(graph.weights[i]), float(graph.share_given[i])))
    return out


# ---------------------------------------------------------------------- single points of failure


@dataclass(frozen=True)
class ChainSpof:
    """A single point of failure of the chain: a node whose loss alone stops at least one
    of the chain's targets other than itself."""

    node: int
    id: str
    kind: str
    member: bool  # one of the chain's members; False: an input from outside the chain
    role: str  # members.ChainMembers.role
    targets: tuple[str, ...]  # ids of the chain targets it alone stops, in target order


def chain_spofs(data: ChainData) -> tuple[ChainSpof, ...]:
    """Return the chain's single points of failure, those stopping most targets first."""
    graph = data.graph
    found = _chain_spofs(graph, data.spof.sets, data.members, data.visible)
    out = [
        ChainSpof(x, graph.ids[x], kind_of(graph, x), member, data.members.role(x),
                  tuple(graph.ids[t] for t in targets))
        for x, (targets, member) in found.items()
    ]
    return tuple(sorted(out, key=lambda s: (-len(s.targets), s.id)))


def targets_stopped(data: ChainData) -> dict[int, int]:
    """Return, for each single point of failure of the chain, how many targets it stops."""
    return {s.node: len(s.targets) for s in chain_spofs(data)}


def node_spofs(graph: DependencyGraph, spof: SpofResult, v: int,
               visible: frozenset[int] | None = None) -> tuple[int, ...]:
    """Return every single point of failure of node ``v`` inside ``visible`` (None: all) —
    components, firms and regions, in that order, each by id."""
    found = [x for x in spof.spof_indices(v)
             if visible is None or graph.output_index(x) in visible]
    order = {Kind.COMPONENT: 0, Kind.FIRM: 1, Kind.REGION: 2}
    return tuple(sorted(found, key=lambda x: (order.get(Kind(int(graph.kind[x])), 3),
                                              graph.ids[x])))


# ---------------------------------------------------------------------- headline


@dataclass(frozen=True)
class Headline:
    """The figures at the top of the overview (and of `chainrisk overview`)."""

    firms: int  # the chain's firms: producers, leaders, distributors
    producers: int
    leaders: int
    distributors: int
    customers: int  # outside customers: firms that only buy the chain's components
    components: int
    countries: int  # where the chain's components are made, and its leaders' home countries
    targets: int
    end_products: int
    spofs: int
    spof_firms: int
    spof_components: int
    spof_regions: int
    spof_outside: int  # of those, nodes outside the chain's members (inputs of other chains)
    over_65: int
    with_producers: int
    foreign_share: float | None

    @property
    def over_65_share(self) -> float | None:
        """Return the share of inputs (with producer data) where one country holds > 65 %."""
        return self.over_65 / self.with_producers if self.with_producers else None

    @property
    def spof_inside(self) -> int:
        """Return the single points of failure that are members of the chain."""
        return self.spofs - self.spof_outside


def concentration_rows(data: ChainData) -> tuple[ComponentConcentration, ...]:
    """Return the concentration of the chain's components with producers, most
    concentrated (by country) first, ties by id."""
    wanted = {data.graph.ids[c] for c in data.components}
    rows = [r for r in data.conc.rows if r.id in wanted]
    return tuple(sorted(rows, key=lambda r: (-r.hhi_country, r.id)))


def headline(data: ChainData) -> Headline:
    """Return the overview figures of the chain."""
    graph = data.graph
    m = data.members
    components = data.components
    rows = concentration_rows(data)
    countries = set()
    for c in components:
        for _firm, place, _, _ in producers(graph, c):
            country = graph.country_of(place)
            countries.add(country if country is not None else place)
    for firm in data.only_shown(m.leaders):
        country = country_of_firm(graph, firm)
        if country is not None:
            countries.add(country)
    spofs = chain_spofs(data)
    kinds = [s.kind for s in spofs]
    return Headline(
        firms=len(data.only_shown(m.firms)),
        producers=len(data.only_shown(m.producers)),
        leaders=len(data.only_shown(m.leaders)),
        distributors=len(data.only_shown(m.distributors)),
        customers=len(data.only_shown(m.customers)),
        components=len(components),
        countries=len(countries),
        targets=len(data.targets),
        end_products=len(data.only_shown(graph.chains[m.chain].end_products)),
        spofs=len(spofs),
        spof_firms=kinds.count("firm"),
        spof_components=kinds.count("component"),
        spof_regions=kinds.count("region"),
        spof_outside=sum(1 for s in spofs if not s.member),
        over_65=sum(1 for r in rows if r.region_over_65),
        with_producers=len(rows),
        foreign_share=sum(r.foreign_share for r in rows) / len(rows) if rows else None,
    )


# ---------------------------------------------------------------------- where supply sits


@dataclass(frozen=True)
class CountrySupply:
    """One country's place in the chain's supply."""

    country: str  # region id
    supply_share: float  # mean over the chain's components with producers of its share
    present_in: int  # components it makes some of
    components_led: int  # components where it is the top country
    components_over_65: int  # components where it holds more than 65 %


def country_supply(data: ChainData) -> tuple[CountrySupply, ...]:
    """Return per country the chain's supply made there, largest first, ties by id."""
    rows = concentration_rows(data)
    n = max(len(rows), 1)
    supply: dict[str, float] = defaultdict(float)
    present: dict[str, int] = defaultdict(int)
    led: dict[str, int] = defaultdict(int)
    over: dict[str, int] = defaultdict(int)
    for r in rows:
        led[r.top_country] += 1
        if r.region_over_65:
            over[r.top_country] += 1
        for country, share in r.countries:
            supply[country] += share / n
            present[country] += 1
    out = [CountrySupply(k, s, present[k], led.get(k, 0), over.get(k, 0))
           for k, s in supply.items()]
    return tuple(sorted(out, key=lambda c: (-c.supply_share, c.country)))


@dataclass(frozen=True)
class ProvinceSupply:
    """One home-country province's place in the chain's domestic production."""

    province: str  # region id
    domestic_share: float  # mean, over components made at home, of its share of that
    present_in: int
    components_led: int


def province_supply(data: ChainData) -> tuple[ProvinceSupply, ...]:
    """Return per home-country province its share of the chain's domestic production."""
    graph = data.graph
    home = graph.index.get(f"region:{graph.home_country}")
    by_province: dict[int, float] = defaultdict(float)
    present: dict[int, int] = defaultdict(int)
    led: dict[int, int] = defaultdict(int)
    made_at_home = 0
    for c in data.components:
        local: dict[int, float] = defaultdict(float)
        for _firm, place, weight, _ in producers(graph, c):
            if home is not None and graph.country_of(place) == home:
                province = graph.province_of(place)
                local[province if province is not None else place] += weight
        total = sum(local.values())
        if total <= 0:
            continue
        made_at_home += 1
        for province, weight in local.items():
            by_province[province] += weight / total
            present[province] += 1
        top = max(local.items(), key=lambda kv: (kv[1], -kv[0]))[0]
        led[top] += 1
    out = [ProvinceSupply(graph.ids[p], share / made_at_home, present[p], led.get(p, 0))
           for p, share in by_province.items()]
    return tuple(sorted(out, key=lambda p: (-p.domestic_share, p.province)))
