"""Concentration of supply per component: who makes it, where, how concentrated.

Computed from each component's producers with shares after the share rule
(data-format.md), placing each producer at its production site when the produces row
names one and at its HQ otherwise (risk-model.md §4):

- ``hhi_firm``: Σ (100·share)² over producing firms (0–10,000);
- ``hhi_country``: the same after grouping by country;
- ``hhi_province``: the same over production inside the home country, grouped by
  province and rescaled to that domestic production (None when there is none);
- ``top_producer``/``top_share``, ``cr3`` (three largest firms), ``top_country`` and
  its share, ``countries_to_75`` (fewest countries reaching 75 %), ``region_over_65``
  (one country above 65 %), ``foreign_share`` (made outside the home country),
  ``n_producers``, ``n_countries``, ``share_confidence`` (Σ given shares, capped at 1).

HHI bands: below 1,500 unconcentrated, 1,500–2,500 moderate, above 2,500 high.

Examples
--------
>>> from chainrisk.graph import DependencyGraph
>>> g = DependencyGraph.from_tables({
...     "regions": [{"id": "CN", "level": "country"}, {"id": "NL", "level": "country"}],
...     "firms": [{"id": "a", "region": "NL"}, {"id": "b", "region": "CN"}],
...     "components": [{"id": "x"}],
...     "produces": [{"firm": "a", "component": "x", "share": 0.8},
...                  {"firm": "b", "component": "x", "share": 0.2}],
... })
>>> row = concentration(g).row("component:x")
>>> row.hhi_firm, row.top_country, row.region_over_65, row.foreign_share
(6800.0, 'region:NL', True, 0.8)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from chainrisk.analysis.deadline import CHECK_EVERY, NO_LIMIT, Deadline
from chainrisk.graph import DependencyGraph, GroupKind, Kind

if TYPE_CHECKING:
    import pandas as pd

BAND_MODERATE = 1500.0
BAND_HIGH = 2500.0
OVER_65 = 0.65


def band(hhi: float | None) -> str:
    """Return the HHI band: unconcentrated, moderate or high ('' when unknown).

    >>> band(1000), band(2000), band(6800), band(None)
    ('unconcentrated', 'moderate', 'high', '')
    """
    if hhi is None:
        return ""
    if hhi < BAND_MODERATE:
        return "unconcentrated"
    if hhi <= BAND_HIGH:
        return "moderate"
    return "high"


def _hhi(shares: dict[int, float]) -> float:
    return round(float(sum((100.0 * s) ** 2 for s in shares.values())), 6)


@dataclass(frozen=True)
class ComponentConcentration:
    """Concentration figures of one component."""

    id: str
    name: str
    n_producers: int
    n_countries: int
    hhi_firm: float
    hhi_country: float
    hhi_province: float | None
    top_producer: str
    top_share: float
    cr3: float
    top_country: str
    top_country_share: float
    countries_to_75: int
    region_over_65: bool
    foreign_share: float
    share_confidence: float
    countries: tuple[tuple[str, float], ...]

    @property
    def band(self) -> str:
        """Return the band of ``hhi_country``."""
        return band(self.hhi_country)


@dataclass(frozen=True, eq=False)
class ConcentrationResult:
    """Concentration of every component that has producers, and those that have none."""

    rows: tuple[ComponentConcentration, ...]
    without_producers: tuple[str, ...]

    def row(self, component_id: str) -> ComponentConcentration:
        """Return the figures of one component."""
        for r in self.rows:
            if r.id == component_id:
                return r
        raise KeyError(f"{component_id!r} has no producers or is not a component")

    def to_frame(self) -> pd.DataFrame:
        """Return one row per component (country shares as ``CN 61%; JP 20%``)."""
        import pandas as pd

        records = []
        for r in self.rows:
            record = asdict(r)
            record["countries"] = "; ".join(f"{c.split(':', 1)[1]} {s:.0%}" for c, s in r.countries)
            record["band"] = r.band
            records.append(record)
        return pd.DataFrame.from_records(records)


def concentration(
    graph: DependencyGraph, *, deadline: Deadline | None = None
) -> ConcentrationResult:
    """Return the concentration figures of every component of ``graph``.

    ``deadline`` is checked every few thousand producers read.
    """
    dl = (deadline or NO_LIMIT).within("concentration", graph)
    dl.check()
    home = graph.index.get(f"region:{graph.home_country}")
    rows = []
    without = []
    gp, mp = graph.lists.group_ptr, graph.lists.member_ptr
    kinds = graph.group_kind.tolist()
    work = 0
    next_check = CHECK_EVERY
    for v in np.flatnonzero(graph.kind == Kind.COMPONENT).tolist():
        group = next((g for g in range(gp[v], gp[v + 1]) if kinds[g] == GroupKind.PRODUCERS),
                     None)
        if group is None:
            without.append(graph.ids[v])
            continue
        rows.append(_component(graph, v, group, home))
        work += 1 + mp[group + 1] - mp[group]
        if work >= next_check:
            dl.check()
            next_check = work + CHECK_EVERY
    return ConcentrationResult(tuple(rows), tuple(sorted(without)))


def _component(
    graph: DependencyGraph, v: int, group: int, home: int | None
) -> ComponentConcentration:
    lo, hi = int(graph.member_ptr[group]), int(graph.member_ptr[group + 1])
    by_firm: dict[int, float] = defaultdict(float)
    by_country: dict[int, float] = defaultdict(float)
    by_province: dict[int, float] = defaultdict(float)
    domestic = 0.0
    for i in range(lo, hi):
        member = int(graph.members[i])
        weight = float(graph.weights[i])
        if graph.kind[member] == Kind.SITE:
            firm, place = graph.site_of[member]
        else:
            firm, place = member, graph.firm_region[member]
        by_firm[firm] += weight
        country = graph.country_of(place)
        key = country if country is not None else place
        by_country[key] += weight
        if home is not None and country == home:
            domestic += weight
            province = graph.province_of(place)
            by_province[province if province is not None else place] += weight
    given = graph.share_given[lo:hi]
    confidence = float(min(np.nansum(given), 1.0)) if np.any(~np.isnan(given)) else 0.0
    firms = sorted(by_firm.items(), key=lambda kv: (-kv[1], graph.ids[kv[0]]))
    countries = sorted(by_country.items(), key=lambda kv: (-kv[1], graph.ids[kv[0]]))
    reach, to_75 = 0.0, 0
    for _, share in countries:
        reach += share
        to_75 += 1
        if reach >= 0.75 - 1e-12:
            break
    hhi_province = None
    if domestic > 0:
        hhi_province = _hhi({p: s / domestic for p, s in by_province.items()})
    return ComponentConcentration(
        id=graph.ids[v],
        name=graph.names[v],
        n_producers=len(by_firm),
        n_countries=len(by_country),
        hhi_firm=_hhi(by_firm),
        hhi_country=_hhi(by_country),
        hhi_province=hhi_province,
        top_producer=graph.ids[firms[0][0]],
        top_share=firms[0][1],
        cr3=float(sum(s for _, s in firms[:3])),
        top_country=graph.ids[countries[0][0]],
        top_country_share=countries[0][1],
        countries_to_75=to_75,
        region_over_65=countries[0][1] > OVER_65,
        # max: a sum of weights a hair over 1 would give -0.0, shown as "-0%"
        foreign_share=max(0.0, round(1.0 - domestic, 12)) if home is not None else 1.0,
        share_confidence=confidence,
        countries=tuple((graph.ids[c], s) for c, s in countries),
    )
