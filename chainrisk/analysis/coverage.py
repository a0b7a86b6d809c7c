"""Local coverage of a chain's links (本地配套) and the chain leaders' local sourcing.

chain-chief.md §B defines the figures. For a component ``c`` with producers, each
producer member ``p`` (a firm, or a firm's production site) has its weight ``m(p)``
after the share rule (the compiled graph's producer-group weights):

- ``local_share``: Σ m(p) over members located in the scope (the site's region, else
  the firm's HQ, at or below the scope region);
- ``local_firms``: how many distinct firms have a member located there;
- ``controlled_share`` / ``controlled_firms``: the same over members whose firm is
  controlled from the scope's country.

The link class follows the first rule that matches: ``no_data`` (no producers),
``missing`` (local share 0), ``weak`` (local share under the weak threshold, or one
firm), ``strong``; the control variant uses the controlled figures instead. Shares are
compared with a tolerance of 1e-9 (0.09 + 0.21 counts as 0.30).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chainrisk.analysis.reliance import Keep, member_firm
from chainrisk.graph import DependencyGraph, GroupKind, Kind

TOLERANCE = 1e-9
LINK_CLASSES = ("no_data", "missing", "weak", "strong")


@dataclass(frozen=True)
class Thresholds:
    """Where a weak link ends: below ``weak_share`` of production inside, or with
    ``weak_firms`` firms or fewer inside (one setting for the CLI, the app and exports)."""

    weak_share: float = 0.30
    weak_firms: int = 1


DEFAULT_THRESHOLDS = Thresholds()


def link_class(share: float | None, firms: int | None,
               thresholds: Thresholds = DEFAULT_THRESHOLDS) -> str:
    """Return the class of a link from its share and number of firms inside.

    >>> link_class(None, None), link_class(0.0, 0), link_class(0.09 + 0.21, 2)
    ('no_data', 'missing', 'strong')
    >>> link_class(0.8, 1), link_class(0.2999, 3)
    ('weak', 'weak')
    """
    if share is None or firms is None:
        return "no_data"
    if share <= TOLERANCE:
        return "missing"
    if share < thresholds.weak_share - TOLERANCE or firms <= thresholds.weak_firms:
        return "weak"
    return "strong"


@dataclass(frozen=True)
class LinkCoverage:
    """One component's coverage in a scope; figures are None without producers."""

    component: int
    link_class: str
    local_share: float | None
    local_firms: int | None
    controlled_share: float | None
    controlled_firms: int | None


@dataclass(frozen=True, eq=False)
class Coverage:
    """A chain's coverage in one scope: every component of the chain and every leader."""

    graph: DependencyGraph
    chain: str
    located: Keep  # the scope, members kept by location
    controlled: Keep  # the scope's country, members kept by control
    control: bool  # the class follows the control rule
    links: Mapping[int, LinkCoverage]
    leaders: Mapping[int, float | None]  # local sourcing rate, None when it buys none

    @property
    def coverage_rate(self) -> float | None:
        """Return the share of the chain's components with producers not missing."""
        known = [x for x in self.links.values() if x.link_class != "no_data"]
        if not known:
            return None
        return sum(1 for x in known if x.link_class != "missing") / len(known)

    @property
    def mean_local_share(self) -> float | None:
        """Return the mean local share over the components with producers."""
        shares = [x.local_share for x in self.links.values() if x.local_share is not None]
        return sum(shares) / len(shares) if shares else None

    def by_class(self, name: str) -> list[int]:
        """Return the components of one class, sorted by id."""
        ids = self.graph.ids
        return sorted((c for c, x in self.links.items() if x.link_class == name),
                      key=ids.__getitem__)


def coverage(graph: DependencyGraph, chain: str, located: Keep, controlled: Keep, *,
             control: bool = False, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Coverage:
    """Return the coverage of ``chain``'s components in ``located``'s scope.

    ``located`` keeps members by location; ``controlled`` keeps them by control (the
    scope's country). ``control`` makes the class follow the controlled figures.
    """
    lists = graph.lists
    gp, mp, mem, wts = lists.group_ptr, lists.member_ptr, lists.members, lists.weights
    gkind = graph.group_kind.tolist()
    gref = graph.group_ref.tolist()
    kinds = graph.kinds
    components = [v for v in graph.real_nodes()
                  if kinds[v] == Kind.COMPONENT and chain in graph.component_chains(v)]
    links: dict[int, LinkCoverage] = {}
    for c in components:
        producers = [g for g in range(gp[c], gp[c + 1]) if gkind[g] == GroupKind.PRODUCERS]
        if not producers:
            links[c] = LinkCoverage(c, "no_data", None, None, None, None)
            continue
        g = producers[0]
        local_share = controlled_share = 0.0
        local_firms: set[int] = set()
        controlled_firms: set[int] = set()
        for i in range(mp[g], mp[g + 1]):
            m = mem[i]
            if located.member(graph, m):
                local_share += wts[i]
                local_firms.add(member_firm(graph, m))
            if controlled.member(graph, m):
                controlled_share += wts[i]
                controlled_firms.add(member_firm(graph, m))
        share, firms = ((controlled_share, len(controlled_firms)) if control
                        else (local_share, len(local_firms)))
        links[c] = LinkCoverage(c, link_class(share, firms, thresholds),
                                min(local_share, 1.0), len(local_firms),
                                min(controlled_share, 1.0), len(controlled_firms))
    in_chain = set(components)
    leaders: dict[int, float | None] = {}
    for f in graph.chains[chain].leaders:
        rates = []
        for g in range(gp[f], gp[f + 1]):
            if gkind[g] != GroupKind.BUYS or gref[g] not in in_chain:
                continue
            rates.append(sum(wts[i] for i in range(mp[g], mp[g + 1])
                             if located.supplier(graph, mem[i])))
        leaders[f] = min(sum(rates) / len(rates), 1.0) if rates else None
    return Coverage(graph=graph, chain=chain, located=located, controlled=controlled,
                    control=control, links=links, leaders=leaders)
