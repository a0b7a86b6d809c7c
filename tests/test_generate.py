"""Tests of the synthetic bundle generator: determinism, integrity and realistic shape."""

from __future__ import annotations

import csv
import re
import statistics
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

import networkx as nx
import pytest

from chainrisk.analysis.spof import single_points_of_failure
from chainrisk.generate import MIN_FIRMS, GenerateSummary, generate_bundle
from chainrisk.graph import DependencyGraph, Kind
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.values import parse_uscc
from chainrisk.schema import TABLE_ORDER, TABLES, ColumnKind
from chainrisk.store.sqlite import SqliteStore

FIRMS = 1500
SEED = 11

Row = dict[str, str]
Bundle = dict[str, list[Row]]


def read_tables(folder: Path) -> Bundle:
    """Return every table of the bundle in ``folder`` as a list of rows."""
    tables: Bundle = {}
    for name in TABLE_ORDER:
        with open(folder / TABLES[name].filename, encoding="utf-8", newline="") as handle:
            tables[name] = list(csv.DictReader(handle))
    return tables


def file_bytes(folder: Path) -> dict[str, bytes]:
    """Return the content of every file in ``folder`` by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[GenerateSummary, Bundle]:
    summary = generate_bundle(tmp_path_factory.mktemp("gen") / "bundle", FIRMS, SEED)
    return summary, read_tables(summary.out_dir)


@pytest.fixture(scope="module")
def bundle(generated: tuple[GenerateSummary, Bundle]) -> Bundle:
    return generated[1]


# ------------------------------------------------------------------ determinism, files


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    first = generate_bundle(tmp_path / "a", 400, 5)
    second = generate_bundle(tmp_path / "b", 400, 5)
    assert file_bytes(first.out_dir) == file_bytes(second.out_dir)
    assert first.rows == second.rows


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    first = file_bytes(generate_bundle(tmp_path / "a", 400, 5).out_dir)
    second = file_bytes(generate_bundle(tmp_path / "b", 400, 6).out_dir)
    assert first.keys() == second.keys()
    for name in ("firms.csv", "produces.csv", "supplies.csv", "requires.csv"):
        assert first[name] != second[name], name


def test_writes_all_files_with_schema_headers(generated: tuple[GenerateSummary, Bundle]) -> None:
    summary, _ = generated
    expected = {TABLES[t].filename for t in TABLE_ORDER} | {"bundle.toml"}
    assert {p.name for p in summary.out_dir.iterdir()} == expected
    for name in TABLE_ORDER:
        raw = (summary.out_dir / TABLES[name].filename).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        header = raw.decode("utf-8").split("\n", 1)[0]
        assert tuple(header.split(",")) == TABLES[name].column_names


def test_summary_counts_the_rows_written(generated: tuple[GenerateSummary, Bundle]) -> None:
    summary, tables = generated
    assert summary.firms == FIRMS
    assert summary.seed == SEED
    assert dict(summary.rows) == {name: len(rows) for name, rows in tables.items()}
    assert summary.rows["firms"] == FIRMS


def test_bundle_toml(generated: tuple[GenerateSummary, Bundle]) -> None:
    summary, _ = generated
    meta = tomllib.loads((summary.out_dir / "bundle.toml").read_text(encoding="utf-8"))
    assert meta["name"] == f"synthetic-{FIRMS}-s{SEED}"
    assert meta["home_country"] == "CN"
    assert meta["home_region"] == "CN-GD"
    assert meta["sources"] == []
    assert "synthetic" in meta["note"].lower()
    assert meta["version"]
    assert meta["license"]
    assert meta["description"]


def test_progress_reports_every_table(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate_bundle(tmp_path / "b", 200, 1, progress=lambda s, d, t: calls.append((s, d, t)))
    assert {stage for stage, _, _ in calls} == set(TABLE_ORDER)
    assert all(0 <= done <= total for _, done, total in calls)
    last: dict[str, tuple[int, int]] = {s: (d, t) for s, d, t in calls}
    assert all(done == total for done, total in last.values())


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("firms", [-1, 0, MIN_FIRMS - 1])
def test_too_few_firms_raises(tmp_path: Path, firms: int) -> None:
    with pytest.raises(ValueError, match=f"at least {MIN_FIRMS}"):
        generate_bundle(tmp_path / "b", firms)
    assert not (tmp_path / "b").exists()


def test_smallest_bundle_is_generated(tmp_path: Path) -> None:
    summary = generate_bundle(tmp_path / "b", MIN_FIRMS)
    assert summary.rows["firms"] == MIN_FIRMS
    assert summary.rows["produces"] >= summary.rows["components"]


def test_negative_seed_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="seed"):
        generate_bundle(tmp_path / "b", 100, -1)


def test_non_empty_out_dir_raises(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError, match="not empty"):
        generate_bundle(tmp_path, 100)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_out_dir_that_is_a_file_raises(tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    target.write_text("", encoding="utf-8")
    with pytest.raises(FileExistsError):
        generate_bundle(target, 100)


def test_empty_existing_out_dir_is_used(tmp_path: Path) -> None:
    summary = generate_bundle(tmp_path, 100)
    assert (tmp_path / "firms.csv").exists()
    assert summary.out_dir == tmp_path


# ------------------------------------------------------------------ integrity


def test_ids_are_well_formed_and_keys_unique(bundle: Bundle) -> None:
    for name in TABLE_ORDER:
        table = TABLES[name]
        id_columns = [c.name for c in table.columns if c.kind is ColumnKind.ID]
        for row in bundle[name]:
            for col in id_columns:
                value = row[col]
                if value or TABLES[name].column(col).required:
                    assert re.fullmatch(r"[^\s:]+", value), (name, col, value)
        keys = Counter(tuple(row[k] for k in table.key) for row in bundle[name])
        duplicated = [k for k, n in keys.items() if n > 1]
        assert not duplicated, (name, duplicated[:3])


def test_every_reference_resolves(bundle: Bundle) -> None:
    ids = {name: {row["id"] for row in bundle[name]} for name in ("regions", "firms",
                                                                  "components", "chains")}
    checked = 0
    for name in TABLE_ORDER:
        for column in TABLES[name].columns:
            if column.ref is None:
                continue
            for row in bundle[name]:
                cell = row[column.name]
                values = cell.split(";") if column.kind is ColumnKind.ID_LIST else [cell]
                for value in filter(None, values):
                    assert value in ids[column.ref], (name, column.name, value)
                    checked += 1
    assert checked > 0


def test_required_cells_are_filled(bundle: Bundle) -> None:
    for name in TABLE_ORDER:
        required = [c.name for c in TABLES[name].required_columns]
        for row in bundle[name]:
            assert all(row[c] for c in required), (name, row)


def test_no_self_supply_and_no_self_requirement(bundle: Bundle) -> None:
    assert all(r["supplier"] != r["buyer"] for r in bundle["supplies"])
    assert all(r["product"] != r["input"] for r in bundle["requires"])


def test_every_supplier_produces_what_it_supplies(bundle: Bundle) -> None:
    made = {(r["firm"], r["component"]) for r in bundle["produces"]}
    assert all((r["supplier"], r["component"]) in made for r in bundle["supplies"])


def test_every_firm_and_component_takes_part(bundle: Bundle) -> None:
    producing = {r["firm"] for r in bundle["produces"]}
    assert producing == {r["id"] for r in bundle["firms"]}
    produced = {r["component"] for r in bundle["produces"]}
    assert produced == {r["id"] for r in bundle["components"]}


@pytest.mark.parametrize(("table", "group"), [("produces", ("component",)),
                                              ("supplies", ("buyer", "component"))])
def test_shares_are_valid_and_sum_to_at_most_one(
    bundle: Bundle, table: str, group: tuple[str, ...]
) -> None:
    totals: dict[tuple[str, ...], float] = defaultdict(float)
    given = 0
    for row in bundle[table]:
        if row["share"]:
            share = float(row["share"])
            assert 0 < share <= 1
            totals[tuple(row[g] for g in group)] += share
            given += 1
    assert max(totals.values()) <= 1 + 1e-9
    # most rows give a share, some do not
    assert 0.6 * len(bundle[table]) < given < len(bundle[table])


def test_uscc_codes_pass_their_check_digit(bundle: Bundle) -> None:
    chinese = [r for r in bundle["firms"] if r["region"].startswith("CN")]
    codes = [r["uscc"] for r in bundle["firms"] if r["uscc"]]
    assert all(parse_uscc(code) == code for code in codes)
    assert len(set(codes)) == len(codes)
    assert all(r["region"].startswith("CN") for r in bundle["firms"] if r["uscc"])
    assert 0.15 * len(chinese) < len(codes) < 0.45 * len(chinese)


# ------------------------------------------------------------------ shape


def test_regions_follow_the_layout(bundle: Bundle) -> None:
    regions = {r["id"]: r for r in bundle["regions"]}
    countries = [r for r in regions.values() if r["level"] == "country"]
    provinces = [r for r in regions.values() if r["level"] == "province"]
    cities = [r for r in regions.values() if r["level"] == "city"]
    assert 20 <= len(countries) <= 30
    assert all(re.fullmatch(r"[A-Z]{2}", r["id"]) and not r["parent"] for r in countries)
    assert provinces
    assert all(re.fullmatch(r"CN-[A-Z]{2}", r["id"]) and r["parent"] == "CN" for r in provinces)
    assert 0 < len(cities) <= 300
    for city in cities:
        assert re.fullmatch(r"CN-[A-Z]{2}-C\d{4}", city["id"])
        assert city["parent"] == city["id"][:5]
        assert regions[city["parent"]]["level"] == "province"
    assert all(r["name"] and r["name_zh"] for r in regions.values())


def test_firms_are_located_very_unevenly(bundle: Bundle) -> None:
    by_country = Counter(r["region"][:2] for r in bundle["firms"])
    assert by_country.most_common(1)[0][0] == "CN"
    assert by_country["CN"] > 3 * by_country["US"] > 0
    by_province = Counter(r["region"][:5] for r in bundle["firms"] if r["region"][:3] == "CN-")
    top = [n for _, n in by_province.most_common()]
    assert top[0] > 5 * statistics.median(top)  # some provinces hold much of the chain
    chinese = [r for r in bundle["firms"] if r["region"][:3] == "CN-"]
    assert all(r["name_zh"] for r in chinese)
    assert len({r["name"] for r in bundle["firms"]}) == len(bundle["firms"])


def test_components_come_in_tiers_with_a_few_end_products(bundle: Bundle) -> None:
    components = bundle["components"]
    stages = Counter(r["stage"] for r in components)
    assert set(stages) == {"upstream", "midstream", "downstream"}
    assert 30 <= len(components) < FIRMS / 2
    ends = [r for r in components if r["end_product"] == "true"]
    assert 1 <= len(ends) <= 12
    assert all(r["stage"] == "downstream" for r in ends)
    assert all(r["chains"] and r["name_zh"] for r in components)
    # every end product requires something, and nothing requires an end product
    products = {r["product"] for r in bundle["requires"]}
    inputs = {r["input"] for r in bundle["requires"]}
    assert all(r["id"] in products and r["id"] not in inputs for r in ends)


def test_chains_name_their_leaders(bundle: Bundle) -> None:
    leaders = {f for r in bundle["chains"] for f in r["leader_firms"].split(";")}
    assert bundle["chains"]
    assert all(r["leader_firms"] for r in bundle["chains"])
    flagged = {r["id"] for r in bundle["firms"] if r["chain_leader"] == "true"}
    assert flagged == leaders


def test_producer_counts_include_chokepoints_and_many_makers(bundle: Bundle) -> None:
    producers = Counter(r["component"] for r in bundle["produces"])
    counts = sorted(producers.values())
    assert counts[0] == 1  # at least one single-producer component (a chokepoint)
    assert statistics.median(counts) >= 2  # most have several
    assert counts[-1] >= 10  # and some have many


def test_some_components_are_made_in_one_country_only(bundle: Bundle) -> None:
    country = {r["id"]: r["region"][:2] for r in bundle["firms"]}
    places: dict[str, set[str]] = defaultdict(set)
    makers: Counter[str] = Counter()
    for row in bundle["produces"]:
        places[row["component"]].add(country[row["firm"]])
        makers[row["component"]] += 1
    assert any(len(places[c]) == 1 and makers[c] >= 3 for c in makers)


def test_some_production_sites_are_away_from_headquarters(bundle: Bundle) -> None:
    hq = {r["id"]: r["region"] for r in bundle["firms"]}
    sites = [r for r in bundle["produces"] if r["site_region"]]
    assert 0 < len(sites) < len(bundle["produces"]) / 2
    assert all(r["site_region"] != hq[r["firm"]] for r in sites)


def test_requires_has_bills_of_materials_with_or_groups(bundle: Bundle) -> None:
    stage = {r["id"]: r["stage"] for r in bundle["components"]}
    rows_of: dict[str, list[Row]] = defaultdict(list)
    for row in bundle["requires"]:
        rows_of[row["product"]].append(row)
    for component, s in stage.items():
        if s != "upstream":
            assert 2 <= len(rows_of[component]) <= 6, component
    groups = Counter((r["product"], r["group"]) for r in bundle["requires"] if r["group"])
    assert groups, "no OR group"
    assert all(2 <= n <= 3 for n in groups.values())
    assert any(r["quantity"] for r in bundle["requires"])


def test_requires_mostly_point_down_the_tiers(bundle: Bundle) -> None:
    order = {"upstream": 0, "midstream": 1, "downstream": 2}
    stage = {r["id"]: order[r["stage"]] for r in bundle["components"]}
    upwards = [r for r in bundle["requires"] if stage[r["input"]] > stage[r["product"]]]
    assert 0 < len(upwards) <= 0.05 * len(bundle["requires"])


def test_requires_and_supplies_have_cycles(bundle: Bundle) -> None:
    bom = nx.DiGraph((r["product"], r["input"]) for r in bundle["requires"])
    cycle = nx.find_cycle(bom)
    assert len(cycle) >= 2
    supply = nx.DiGraph((r["supplier"], r["buyer"]) for r in bundle["supplies"])
    assert nx.find_cycle(supply)


def test_supplies_are_multi_sourced_with_a_few_big_suppliers(bundle: Bundle) -> None:
    firms = len(bundle["firms"])
    assert 3 * firms <= len(bundle["supplies"]) <= 6 * firms
    per_link = Counter((r["buyer"], r["component"]) for r in bundle["supplies"])
    sizes = Counter(per_link.values())
    assert set(sizes) <= {1, 2, 3}
    assert sizes[1] > 0  # not every link is multi-sourced ...
    assert sizes[2] + sizes[3] > sizes[1] * 0.8  # ... but most are, or nearly
    customers = Counter(r["supplier"] for r in bundle["supplies"])
    counts = sorted(customers.values())
    assert counts[-1] >= 10 * statistics.median(counts)


def test_optional_columns_are_partly_filled(bundle: Bundle) -> None:
    for table, columns in {
        "firms": ("aliases", "listed", "employees", "revenue_musd"),
        "produces": ("capacity", "source"),
        "supplies": ("volume", "since", "source"),
    }.items():
        rows = bundle[table]
        for col in columns:
            filled = sum(1 for r in rows if r[col])
            assert 0 < filled < len(rows), (table, col)
    years = {r["since"] for r in bundle["supplies"] if r["since"]}
    assert all(re.fullmatch(r"(19|20)\d\d", y) for y in years)


# ------------------------------------------------------------------ single points of failure

# Tier of a component from its category (the generator's tiers, bottom to top).
TIER = {"raw material": 0, "equipment": 0, "software": 0, "material": 1, "device": 2,
        "module": 3, "subsystem": 4, "end product": 5}


def top_tiers(bundle: Bundle) -> dict[str, int]:
    """Return per firm the highest tier of the components it makes."""
    tier = {r["id"]: TIER[r["category"]] for r in bundle["components"]}
    top: dict[str, int] = {}
    for row in bundle["produces"]:
        top[row["firm"]] = max(top.get(row["firm"], 0), tier[row["component"]])
    return top


def test_sole_sources_sit_in_a_lower_tier_and_are_a_minority(bundle: Bundle) -> None:
    # A link with one supplier takes it from a firm whose top tier is below the
    # buyer's, so chains of sole sources are short and never loop; links within a tier
    # or upwards (the cross-tier cycles) always have two or more suppliers.
    top = top_tiers(bundle)
    suppliers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in bundle["supplies"]:
        suppliers[(row["buyer"], row["component"])].append(row["supplier"])
    sole = {link: s[0] for link, s in suppliers.items() if len(s) == 1}
    assert all(top[s] < top[buyer] for (buyer, _), s in sole.items())
    assert any(top[r["supplier"]] >= top[r["buyer"]] for r in bundle["supplies"])
    assert 0.05 * len(suppliers) < len(sole) < 0.2 * len(suppliers)


def test_single_points_of_failure_stay_few(tmp_path: Path) -> None:
    # Real chains multi-source most critical inputs: with the real engine, a firm has a
    # handful of single points of failure (its regions, a few sole suppliers), end
    # products more, and no giant core of firms depends on each other.
    summary = generate_bundle(tmp_path / "bundle", 2000, 3)
    store = SqliteStore(tmp_path / "store.db")
    try:
        load_bundle(store, summary.out_dir)
        tables = {t: list(store.iter_rows(t)) for t in TABLE_ORDER}
    finally:
        store.close()
    graph = DependencyGraph.from_tables(tables, home_country="CN")
    result = single_points_of_failure(graph)
    firms = [v for v in range(graph.n_nodes) if graph.kind[v] == Kind.FIRM]
    sizes = [len(result.spof_indices(v)) for v in firms]
    assert 2.5 < statistics.mean(sizes) < 12
    assert max(sizes) < 100
    ends = [v for chain in graph.chains.values() for v in chain.end_products]
    assert ends
    assert statistics.mean(len(result.spof_indices(v)) for v in ends) > statistics.mean(sizes)
    largest = max(len(part) for part in graph.parts)
    assert 1 < largest < 150  # cross-tier cycles exist, but stay small
