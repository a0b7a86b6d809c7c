"""Loads merge, never erase: on both stores, a bundle says nothing where it is silent.

A column a bundle leaves out, or a cell it leaves empty, keeps the stored value; a cell
holding exactly ``\\N`` clears it; any other cell replaces it. The property test loads
random pairs of small bundles A then B and compares the store with the merge of the two
worked out here from their cells, and the load report's old → new list with the cells
that merge changed. Stores are those of the contract suite (Neo4j with batches and
pages of two rows).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrisk.errors import ValidationFailed
from chainrisk.ingest.bundle import CLEAR_CELL
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.report import change_text
from chainrisk.ingest.writer import dump_store
from chainrisk.schema import TABLE_ORDER, TABLES
from chainrisk.store.base import CLEAR, CellChange, Store
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import TINY, write_bundle
from tests.store.test_contract import open_neo4j, source_of

Cells = dict[str, str]
# table -> key -> {column: text}: what a store holds, as bundle text, no empty values
State = dict[str, dict[tuple[str, ...], dict[str, str]]]



@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def new_store(request: pytest.FixtureRequest) -> Iterator[Callable[[], Store]]:
    """Return a function that empties a store of each kind and returns it.

    Hypothesis runs many examples in one test call, so each example asks for an
    emptied store: a new SQLite file, or the Neo4j test database cleared.
    """
    folder = Path(tempfile.mkdtemp(prefix="chainrisk-merge-"))
    opened: list[Store] = []
    numbers = itertools.count()
    if request.param == "neo4j":
        server = request.getfixturevalue("neo4j_server")
        admin = request.getfixturevalue("neo4j_admin")

    def fresh() -> Store:
        for old in opened:
            old.close()
        opened.clear()
        store: Store
        if request.param == "sqlite":
            store = SqliteStore(folder / f"merge-{next(numbers)}.db")
        else:
            neo = open_neo4j(server, admin)
            neo.batch_size = 2
            neo.page_size = 2
            store = neo
        opened.append(store)
        return store

    yield fresh
    for store in opened:
        store.close()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def any_store(new_store: Callable[[], Store]) -> Store:
    """Return an empty store of each kind (closed by ``new_store``)."""
    return new_store()


# ----------------------------------------------------------------- hand-written cases


def changes_of(report_changes: list[CellChange]) -> list[tuple[Any, ...]]:
    return [(c.table, c.key, c.column, c.old, c.new) for c in report_changes]


def region(store: Store, ident: str) -> dict[str, Any]:
    return next(r for r in store.iter_rows("regions") if r["id"] == ident)


REGIONS_NO_NAME_ZH = (
    "id,name,level,parent\n"
    "CN,China,country,\n"
    "NL,Netherlands,country,\n"
    "CN-GD,Guangdong,province,CN\n"
    "CN-GD-SZ,Shenzhen,city,CN-GD\n"
)


def test_a_column_left_out_keeps_its_values(any_store: Store, tmp_path: Path) -> None:
    load_bundle(any_store, write_bundle(tmp_path / "a", {}))
    assert region(any_store, "CN")["name_zh"] == "中国"
    version = any_store.data_version()
    report = load_bundle(any_store, write_bundle(tmp_path / "b",
                                                 {"regions.csv": REGIONS_NO_NAME_ZH}))
    assert region(any_store, "CN")["name_zh"] == "中国"
    assert [r["name_zh"] for r in any_store.iter_rows("regions")] == [
        "中国", "广东省", "深圳市", "荷兰"]
    assert report.changes == []
    assert report.table("regions").unchanged == 4
    assert any_store.data_version() == version


def test_an_empty_cell_keeps_its_value(any_store: Store, tmp_path: Path) -> None:
    load_bundle(any_store, write_bundle(tmp_path / "a", {}))
    regions = TINY["regions.csv"].replace("CN,China,中国,country,", "CN,China,,country,")
    report = load_bundle(any_store, write_bundle(tmp_path / "b", {"regions.csv": regions}))
    assert region(any_store, "CN")["name_zh"] == "中国"
    assert report.changes == []


def test_the_clear_marker_clears_and_is_reported(any_store: Store, tmp_path: Path) -> None:
    load_bundle(any_store, write_bundle(tmp_path / "a", {}))
    version = any_store.data_version()
    regions = TINY["regions.csv"].replace("CN,China,中国,country,", "CN,China, \\N ,country,")
    report = load_bundle(any_store, write_bundle(tmp_path / "b", {"regions.csv": regions}))
    assert region(any_store, "CN")["name_zh"] is None
    assert region(any_store, "NL")["name_zh"] == "荷兰"
    assert changes_of(report.changes) == [("regions", ("CN",), "name_zh", "中国", None)]
    assert (report.table("regions").updated, report.table("regions").unchanged) == (1, 3)
    assert any_store.data_version() == version + 1
    # the report shows it in its text, its JSON and changes.csv
    assert "regions CN name_zh: '中国' -> (none)" in report.to_text()
    assert report.to_json()["changes"] == [
        {"table": "regions", "key": ["CN"], "column": "name_zh", "old": "中国", "new": None}]
    paths = report.write(tmp_path / "report")
    assert tmp_path / "report" / "changes.csv" in paths
    text = (tmp_path / "report" / "changes.csv").read_text(encoding="utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["table", "key", "column", "old", "new"], ["regions", "CN", "name_zh", "中国", ""]]
    # clearing what is already clear changes nothing
    again = load_bundle(any_store, write_bundle(tmp_path / "c", {"regions.csv": regions}))
    assert again.changes == []
    assert any_store.data_version() == version + 1


def test_the_clear_marker_on_a_new_row_means_no_value(any_store: Store, tmp_path: Path) -> None:
    regions = TINY["regions.csv"].replace("NL,Netherlands,荷兰,country,", "NL,\\N,\\N,country,")
    with pytest.raises(ValidationFailed) as caught:
        load_bundle(any_store, write_bundle(tmp_path / "a", {"regions.csv": regions}))
    problem, *others = caught.value.report.errors
    assert all("was rejected (regions.csv line 3)" in p.reason   # asml is in NL
               or "was rejected (firms.csv line 2)" in p.reason for p in others)
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "regions.csv", 3, "name", CLEAR_CELL)
    assert "cannot be empty: write its value" in problem.reason
    regions = TINY["regions.csv"].replace("NL,Netherlands,荷兰,country,", "NL,Holland,\\N,country,")
    report = load_bundle(any_store, write_bundle(tmp_path / "b", {"regions.csv": regions}))
    assert region(any_store, "NL")["name_zh"] is None
    assert report.changes == []


def test_the_same_bundle_twice_changes_nothing(any_store: Store, tmp_path: Path) -> None:
    firms = TINY["firms.csv"].replace("chain_leader\n", "chain_leader,note\n").replace(
        "CN-GD-SZ,false\n", "CN-GD-SZ,false,\\N\n").replace("NL,false\n", "NL,false,n\n")
    folder = write_bundle(tmp_path / "a", {"firms.csv": firms})
    first = load_bundle(any_store, folder)
    assert first.changes == []  # new rows are counted as new, not listed cell by cell
    version = any_store.data_version()
    rows = {t: list(any_store.iter_rows(t)) for t in TABLE_ORDER}
    second = load_bundle(any_store, folder)
    assert second.changes == []
    assert all(c.inserted == c.updated == 0 for c in second.counts.values())
    assert {t: list(any_store.iter_rows(t)) for t in TABLE_ORDER} == rows
    assert any_store.data_version() == version


def test_a_merged_store_dumps_and_reloads_the_same(
    new_store: Callable[[], Store], tmp_path: Path
) -> None:
    """Load → dump → load of a store built by two merging loads keeps every byte."""
    store = new_store()
    load_bundle(store, write_bundle(tmp_path / "a", {}))
    firms = TINY["firms.csv"].replace("chain_leader\n", "chain_leader,note\n").replace(
        "91350100M000100Y43,CN-GD-SZ,false\n", "\\N,CN-GD-SZ,,x\n")
    load_bundle(store, write_bundle(tmp_path / "b", {"firms.csv": firms,
                                                     "regions.csv": REGIONS_NO_NAME_ZH}))
    dump_store(store, tmp_path / "one")
    again = new_store()
    load_bundle(again, tmp_path / "one")
    dump_store(again, tmp_path / "two")
    for name in sorted(p.name for p in (tmp_path / "one").iterdir()):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    text = (tmp_path / "one" / "firms.csv").read_text(encoding="utf-8")
    assert "fab,Fab Co.,晶圆厂,Fab;晶圆,,CN-GD-SZ,false,,,,,x" in text
    assert "CN,China,中国,country," in (tmp_path / "one" / "regions.csv").read_text("utf-8")


def test_store_load_takes_clear_and_null_extras(any_store: Store) -> None:
    """The RowSource protocol: None keeps, CLEAR removes, a null extra removes it."""
    region_row = ("R", "R", "甲", "country", None, None, json.dumps({"a": "1", "b": "2"}))
    any_store.load(source_of({"regions": [region_row]}), bundle={"name": "x"}, source="s",
                   checksum="c")
    record = any_store.load(
        source_of({"regions": [("R", "R2", CLEAR, "country", None, None,
                                json.dumps({"a": None, "c": "3"}))]}),
        bundle={"name": "x"}, source="s", checksum="c",
    )
    assert next(any_store.iter_rows("regions")) == {
        "id": "R", "name": "R2", "name_zh": None, "level": "country", "parent": None,
        "aliases": None, "b": "2", "c": "3"}
    assert changes_of(list(record.cell_changes)) == [
        ("regions", ("R",), "name", "R", "R2"), ("regions", ("R",), "name_zh", "甲", None),
        ("regions", ("R",), "a", "1", None), ("regions", ("R",), "c", None, "3")]
    assert record.changes["regions"].updated == 1
    with pytest.raises(ValueError, match="key column cannot be cleared"):
        any_store.load(source_of({"regions": [(CLEAR, "R", None, "country", None, None, None)]}),
                       bundle={"name": "x"}, source="s", checksum="c")


# ------------------------------------------------------------------- property test

REGIONS: dict[tuple[str, ...], tuple[str, str]] = {
    ("CN",): ("country", ""), ("NL",): ("country", ""), ("CN-GD",): ("province", "CN")}
FIRMS = ["f1", "f2", "f3"]
COMPONENTS = ["c1", "c2", "c3"]
# Values are written in their stored form, so that the store gives back the same text.
NAMES = ["A", "B", "中"]
OPTIONAL: dict[str, dict[str, list[str]]] = {
    "regions": {"name_zh": ["中国", "甲"], "note": ["n1", "n2"]},
    "firms": {
        "name_zh": ["甲", "乙"], "aliases": ["x;y", "z"], "uscc": ["91350100M000100Y43"],
        "chain_leader": ["true", "false"], "listed": ["true", "false"],
        "employees": ["12", "40"], "revenue_musd": ["1.5", "2.0"], "note": ["n1", "n2"],
        "contact": ["张三", "b"],
    },
    "components": {
        "name_zh": ["甲", "乙"], "stage": ["upstream", "downstream"], "category": ["x", "y"],
        "end_product": ["true", "false"], "note": ["n1", "n2"],
    },
    "requires": {"group": ["g1", "g2"], "quantity": ["2.0", "0.5"], "note": ["n1"]},
    "produces": {
        "share": ["0.5", "0.25"], "capacity": ["10.0", "2.5"], "site_region": ["CN", "NL"],
        "source": ["s1", "s2"], "note": ["n1", "n2"],
    },
    "supplies": {
        "share": ["0.5", "0.25"], "volume": ["3.0", "7.5"], "since": ["2019", "2020-05"],
        "source": ["s1", "s2"], "note": ["n1", "n2"],
    },
}


def _keys(table: str, firms: list[str], components: list[str]) -> list[tuple[str, ...]]:
    if table == "regions":
        return list(REGIONS)
    if table == "firms":
        return [(f,) for f in FIRMS]
    if table == "components":
        return [(c,) for c in COMPONENTS]
    if table == "requires":
        return [(a, b) for a in components for b in components if a != b]
    if table == "produces":
        return [(f, c) for f in firms for c in components]
    return [(a, b, c) for a in firms for b in firms if a != b for c in components]


def _required(table: str, key: tuple[str, ...], draw: st.DrawFn) -> Cells:
    """Return the required non-key cells of a row (fixed by the key for regions)."""
    if table == "regions":
        level, parent = REGIONS[key]
        return {"name": draw(st.sampled_from(NAMES)), "level": level, "parent": parent}
    if table == "firms":
        return {"name": draw(st.sampled_from(NAMES)),
                "region": draw(st.sampled_from([k[0] for k in REGIONS]))}
    if table == "components":
        return {"name": draw(st.sampled_from(NAMES))}
    return {}


@st.composite
def bundles(
    draw: st.DrawFn, firms_known: tuple[str, ...] = (), components_known: tuple[str, ...] = ()
) -> dict[str, tuple[list[str], list[Cells]]]:
    """Return a valid bundle: per table its header and rows as {column: cell}.

    Node rows are any subset of a fixed set of ids (regions: all of them when nothing
    is known yet); relation rows name only firms and components of this bundle or of
    ``*_known`` (those of the bundle loaded before). Each optional column may be left
    out; each cell of it is empty, ``\\N`` or a value.
    """
    out: dict[str, tuple[list[str], list[Cells]]] = {}
    firms = list(firms_known)
    components = list(components_known)
    for table in ("regions", "firms", "components", "requires", "produces", "supplies"):
        spec = TABLES[table]
        possible = _keys(table, sorted(set(firms)), sorted(set(components)))
        if table == "regions" and not firms_known:
            keys = possible
        else:
            keys = draw(st.lists(st.sampled_from(possible), unique=True, max_size=4)
                        if possible else st.just([]))
        optional = OPTIONAL[table]
        columns = draw(st.lists(st.sampled_from(sorted(optional)), unique=True))
        rows: list[Cells] = []
        for key in keys:
            row = dict(zip(spec.key, key, strict=True))
            row.update(_required(table, key, draw))
            for column in columns:
                row[column] = draw(st.sampled_from(["", CLEAR_CELL, *optional[column]]))
            rows.append(row)
        required = [c for c in spec.column_names if c in spec.key or c in
                    ("name", "level", "parent", "region")]
        out[table] = (required + columns, rows)
        if table == "firms":
            firms += [r["id"] for r in rows]
        if table == "components":
            components += [r["id"] for r in rows]
    return out


def write(folder: Path, bundle: dict[str, tuple[list[str], list[Cells]]]) -> Path:
    folder.mkdir(parents=True)
    (folder / "bundle.toml").write_text('name = "merge"\n', encoding="utf-8")
    for table, (header, rows) in bundle.items():
        with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows([row.get(c, "") for c in header] for row in rows)
    return folder


def merged(state: State, bundle: dict[str, tuple[list[str], list[Cells]]]) -> State:
    """Return ``state`` with ``bundle`` loaded over it, as documented in data-format.md."""
    out = {t: {k: dict(v) for k, v in rows.items()} for t, rows in state.items()}
    for table, (header, rows) in bundle.items():
        key_columns = TABLES[table].key
        held = out.setdefault(table, {})
        for row in rows:
            values = held.setdefault(tuple(row[k] for k in key_columns), {})
            for column in header:
                if column in key_columns or row[column] == "":
                    continue  # silent: the stored value stays
                if row[column] == CLEAR_CELL:
                    values.pop(column, None)
                else:
                    values[column] = row[column]
    return {t: rows for t, rows in out.items() if rows}


def held(store: Store) -> State:
    """Return what ``store`` holds, as bundle text without empty values."""
    out: State = {}
    for table in TABLE_ORDER:
        key_columns = TABLES[table].key
        rows = {}
        for row in store.iter_rows(table):
            rows[tuple(row[k] for k in key_columns)] = {
                c: str(change_text(v)) for c, v in row.items()
                if c not in key_columns and v is not None
            }
        out[table] = rows
    return {t: rows for t, rows in out.items() if rows}


def expected_changes(before: State, after: State) -> set[tuple[Any, ...]]:
    """Return (table, key, column, old, new) of every value of a held row that changed."""
    found = set()
    for table, rows in before.items():
        for key, old in rows.items():
            new = after[table][key]
            for column in old.keys() | new.keys():
                if old.get(column) != new.get(column):
                    found.add((table, key, column, old.get(column), new.get(column)))
    return found


@st.composite
def bundle_pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    a = draw(bundles())
    firms = tuple(r["id"] for r in a["firms"][1])
    components = tuple(r["id"] for r in a["components"][1])
    return a, draw(bundles(firms, components))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pair=bundle_pairs())
def test_load_a_then_b_is_the_merge_of_a_and_b(
    new_store: Callable[[], Store], pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    a, b = pair
    store = new_store()
    with tempfile.TemporaryDirectory() as tmp:
        load_bundle(store, write(Path(tmp) / "a", a))
        after_a = merged({}, a)
        assert held(store) == after_a
        report = load_bundle(store, write(Path(tmp) / "b", b))
        after_b = merged(after_a, b)
        assert held(store) == after_b
        # nothing A said that B did not contradict is gone
        spoken = {(t, k, c) for t, (header, rows) in b.items() for row in rows
                  for c in header if row[c] != ""
                  for k in [tuple(row[x] for x in TABLES[t].key)]}
        for table, rows in after_a.items():
            for key, values in rows.items():
                for column, value in values.items():
                    if (table, key, column) not in spoken:
                        assert after_b[table][key][column] == value
                        assert held(store)[table][key][column] == value
        # the report lists exactly the values that changed, old -> new
        got = [(c.table, c.key, c.column, change_text(c.old), change_text(c.new))
               for c in report.changes]
        assert len(got) == len(set(got))
        assert set(got) == expected_changes(after_a, after_b)
        changed_rows = {(t, k) for t, k, *_ in got}
        assert sum(c.updated for c in report.counts.values()) == len(changed_rows)
        # and B again changes nothing
        version = store.data_version()
        again = load_bundle(store, write(Path(tmp) / "b2", b))
        assert again.changes == []
        assert store.data_version() == version
        assert held(store) == after_b


def test_the_oracle_itself() -> None:
    """The merge worked out above, on a case small enough to check by hand."""
    a = {"regions": (["id", "name", "level", "parent", "name_zh", "note"], [
        {"id": "CN", "name": "A", "level": "country", "parent": "", "name_zh": "中国",
         "note": "n1"}])}
    b = {"regions": (["id", "name", "level", "parent", "note"], [
        {"id": "CN", "name": "B", "level": "country", "parent": "", "note": CLEAR_CELL}])}
    after_a = merged({}, a)
    after_b = merged(after_a, b)
    assert after_b == {"regions": {("CN",): {"name": "B", "level": "country",
                                             "name_zh": "中国"}}}
    assert expected_changes(after_a, after_b) == {
        ("regions", ("CN",), "name", "A", "B"), ("regions", ("CN",), "note", "n1", None)}
