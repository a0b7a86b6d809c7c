"""Hypothesis strategies: random chain bundles with cycles, OR groups and sites."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

Tables = dict[str, list[dict[str, Any]]]


@st.composite
def bundles(draw: st.DrawFn, max_firms: int = 7, max_components: int = 6) -> Tables:
    """Return bundle tables of a small random chain (references always valid)."""
    n_countries = draw(st.integers(1, 3))
    regions: list[dict[str, Any]] = [
        {"id": f"C{i}", "level": "country"} for i in range(n_countries)
    ]
    n_sub = draw(st.integers(0, 3))
    for i in range(n_sub):
        parent = draw(st.sampled_from([r["id"] for r in regions]))
        regions.append({"id": f"P{i}", "level": "province", "parent": parent})
    region_ids = [r["id"] for r in regions]
    n_firms = draw(st.integers(1, max_firms))
    firms = [{"id": f"f{i}", "region": draw(st.sampled_from(region_ids))}
             for i in range(n_firms)]
    firm_ids = [f["id"] for f in firms]
    n_comp = draw(st.integers(1, max_components))
    comp_ids = [f"c{i}" for i in range(n_comp)]
    # most components belong to chain x (the end product always): the others are inputs
    # from outside the chain, as an IC part is to a 5G product
    components = [{"id": c, "end_product": i == n_comp - 1,
                   "chains": ("x",) if i == n_comp - 1 or draw(st.booleans()) else ()}
                  for i, c in enumerate(comp_ids)]
    produces = []
    share = st.one_of(st.none(), st.floats(0.05, 1.0))
    for f in firm_ids:
        for c in draw(st.lists(st.sampled_from(comp_ids), unique=True, max_size=2)):
            site = draw(st.one_of(st.none(), st.sampled_from(region_ids)))
            produces.append({"firm": f, "component": c, "share": draw(share),
                             "site_region": site})
    requires = []
    for p in comp_ids:  # any input, so cycles in the bill of materials happen too
        inputs = draw(st.lists(st.sampled_from(comp_ids), unique=True, max_size=3))
        for inp in inputs:
            if inp != p:
                requires.append({"product": p, "input": inp,
                                 "group": draw(st.sampled_from(["", "", "g1", "g2"]))})
    supplies = []
    for b in firm_ids:
        for s in draw(st.lists(st.sampled_from(firm_ids), unique=True, max_size=3)):
            if s != b:
                supplies.append({"supplier": s, "buyer": b,
                                 "component": draw(st.sampled_from(comp_ids)),
                                 "share": draw(share)})
    seen: set[tuple[str, str, str]] = set()
    supplies = [r for r in supplies if (k := (r["supplier"], r["buyer"], r["component"]))
                not in seen and not seen.add(k)]  # type: ignore[func-returns-value]
    return {"regions": regions, "firms": firms, "components": components,
            "produces": produces, "requires": requires, "supplies": supplies,
            "chains": [{"id": "x", "name": "X", "leader_firms": tuple(
                draw(st.lists(st.sampled_from(firm_ids), unique=True, max_size=1)))}]}
