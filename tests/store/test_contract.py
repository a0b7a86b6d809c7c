"""One store contract, run against the embedded store and a real Neo4j.

Every test here takes ``any_store``: a fresh SqliteStore, or a Neo4jStore on the
session's Neo4j server (database emptied, constraints kept) with batches and pages of
two rows so that every multi-batch and multi-page path runs. Reading back is always
compared with what a SqliteStore returns for the same input, and with literals.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import neo4j
import pytest

from chainrisk.errors import InputError
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.writer import dump_store
from chainrisk.schema import TABLE_ORDER, TABLES
from chainrisk.store import copy_store, open_store
from chainrisk.store.base import CellChange, RowSource, Store
from chainrisk.store.neo4j import Neo4jStore
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import TINY, write_bundle
from tests.neo4j_server import USER

# ------------------------------------------------------------------- shared helpers


def clear(driver: neo4j.Driver) -> None:
    """Delete every node and relationship; constraints and indexes stay."""
    with driver.session() as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS"
        ).consume()


def open_neo4j(server: tuple[str, str], admin: neo4j.Driver) -> Neo4jStore:
    """Return a store on the emptied test database, its schema applied."""
    clear(admin)
    uri, password = server
    store = Neo4jStore(uri, password=password)
    store.apply_schema()
    return store


def snapshot(store: Store) -> dict[str, Any]:
    """Return everything a store shows: tables, extras, bundles, resolutions, versions."""
    info = store.info()
    return {
        "tables": {t: list(store.iter_rows(t)) for t in TABLE_ORDER},
        "extras": {t: store.extra_columns(t) for t in TABLE_ORDER},
        "ids": {t: sorted(store.known_ids(t)) for t in ("regions", "firms", "components")},
        "bundles": store.bundles(),
        "resolutions": store.resolutions(),
        "data_version": store.data_version(),
        "counts": dict(info.counts),
        "chains": list(info.chains),
        "loads": [(r.id, r.bundle, r.checksum, dict(r.changes)) for r in info.loads],
    }


def table_rows(store: Store) -> dict[str, list[dict[str, Any]]]:
    return {t: list(store.iter_rows(t)) for t in TABLE_ORDER}


def source_of(tables: dict[str, list[tuple[Any, ...]]]) -> RowSource:
    """Return a RowSource over rows given per table (stored form, extras JSON last)."""

    def rows(table: str) -> Iterator[tuple[Any, ...]]:
        yield from tables.get(table, [])

    return rows



@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Return an empty store of each kind."""
    store: Store
    if request.param == "sqlite":
        store = SqliteStore(tmp_path / "contract.db")
    else:
        server = request.getfixturevalue("neo4j_server")
        neo = open_neo4j(server, request.getfixturevalue("neo4j_admin"))
        neo.batch_size = 2
        neo.page_size = 2
        store = neo
    yield store
    store.close()


@pytest.fixture
def reference(tmp_path: Path) -> Iterator[SqliteStore]:
    """Return an empty embedded store to compare with."""
    store = SqliteStore(tmp_path / "reference.db")
    yield store
    store.close()


# ----------------------------------------------------------------------------- tests


def test_tiny_bundle_reads_back_as_the_embedded_store_gives_it(
    any_store: Store, reference: SqliteStore, tiny: Path
) -> None:
    load_bundle(any_store, tiny)
    load_bundle(reference, tiny)
    assert table_rows(any_store) == table_rows(reference)
    assert snapshot(any_store)["ids"] == snapshot(reference)["ids"]
    assert any_store.bundles() == reference.bundles()
    fab = next(r for r in any_store.iter_rows("firms") if r["id"] == "fab")
    assert fab == {
        "id": "fab",
        "name": "Fab Co.",
        "name_zh": "晶圆厂",
        "aliases": ("Fab", "晶圆"),
        "uscc": "91350100M000100Y43",
        "region": "CN-GD-SZ",
        "chain_leader": False,
        "listed": None,
        "employees": None,
        "revenue_musd": None,
        "controller": None,
    }
    assert [r["id"] for r in any_store.iter_rows("regions")] == ["CN", "CN-GD", "CN-GD-SZ", "NL"]
    assert list(any_store.iter_rows("supplies")) == [
        {"supplier": "asml", "buyer": "fab", "component": "euv", "share": 1.0,
         "volume": None, "since": "2019", "source": "t"},
        {"supplier": "fab", "buyer": "phoneco", "component": "chip", "share": None,
         "volume": 1000.0, "since": "2020-05", "source": "t"},
    ]
    assert [(r["product"], r["input"], r["group"]) for r in any_store.iter_rows("requires")] == [
        ("chip", "duv", "litho"), ("chip", "euv", "litho"), ("phone", "chip", None)
    ]


def test_second_load_changes_nothing(any_store: Store, tiny: Path) -> None:
    first = load_bundle(any_store, tiny)
    assert first.table("firms").inserted == 3
    assert first.table("supplies").inserted == 2
    version = any_store.data_version()
    assert version == 1
    before = table_rows(any_store)
    second = load_bundle(any_store, tiny)
    assert all(c.inserted == c.updated == 0 for c in second.counts.values())
    assert second.table("supplies").unchanged == 2
    assert second.table("regions").unchanged == 4
    assert table_rows(any_store) == before
    assert any_store.data_version() == version
    assert second.changes == []
    loads = any_store.info().loads
    assert [r.id for r in loads] == [2, 1]
    assert loads[0].changed == 0
    assert loads[1].changed == 21
    assert loads[0].checksum == loads[1].checksum == first.checksum


def test_changed_rows_are_updated_not_duplicated(any_store: Store, tmp_path: Path) -> None:
    load_bundle(any_store, write_bundle(tmp_path / "a", {}))
    version = any_store.data_version()
    firms = TINY["firms.csv"].replace("Fab Co.", "Fab Company").replace(
        "phoneco,Phone Co.,手机公司,,,CN-GD-SZ,true", "phoneco,Phone Co.,手机公司,,,NL,true"
    )
    supplies = TINY["supplies.csv"].replace("asml,fab,euv,1,", "asml,fab,euv,0.5,")
    report = load_bundle(
        any_store, write_bundle(tmp_path / "b", {"firms.csv": firms, "supplies.csv": supplies})
    )
    assert (report.table("firms").updated, report.table("firms").unchanged) == (2, 1)
    assert (report.table("supplies").updated, report.table("supplies").unchanged) == (1, 1)
    assert report.table("supplies").inserted == 0
    # exactly the changed cells, old -> new, in load order
    assert report.changes == [
        CellChange("firms", ("fab",), "name", "Fab Co.", "Fab Company"),
        CellChange("firms", ("phoneco",), "region", "CN-GD-SZ", "NL"),
        CellChange("supplies", ("asml", "fab", "euv"), "share", 1.0, 0.5),
    ]
    firms_now = {r["id"]: r for r in any_store.iter_rows("firms")}
    assert len(firms_now) == 3
    assert firms_now["fab"]["name"] == "Fab Company"
    assert firms_now["phoneco"]["region"] == "NL"
    shares = [(r["supplier"], r["share"]) for r in any_store.iter_rows("supplies")]
    assert shares == [("asml", 0.5), ("fab", None)]
    assert any_store.data_version() == version + 1


def test_emptied_cell_keeps_the_value_and_the_marker_clears_it(
    any_store: Store, tmp_path: Path
) -> None:
    load_bundle(any_store, write_bundle(tmp_path / "a", {}))
    version = any_store.data_version()
    firms = TINY["firms.csv"].replace("Fab;晶圆,91350100M000100Y43", ",")
    report = load_bundle(any_store, write_bundle(tmp_path / "b", {"firms.csv": firms}))
    assert report.table("firms").updated == 0
    assert report.changes == []
    assert any_store.data_version() == version
    fab = next(r for r in any_store.iter_rows("firms") if r["id"] == "fab")
    assert (fab["aliases"], fab["uscc"]) == (("Fab", "晶圆"), "91350100M000100Y43")
    firms = TINY["firms.csv"].replace("Fab;晶圆,91350100M000100Y43", "\\N,\\N")
    report = load_bundle(any_store, write_bundle(tmp_path / "c", {"firms.csv": firms}))
    assert report.table("firms").updated == 1
    fab = next(r for r in any_store.iter_rows("firms") if r["id"] == "fab")
    assert (fab["aliases"], fab["uscc"]) == (None, None)
    assert [(c.key, c.column, c.old, c.new) for c in report.changes] == [
        (("fab",), "aliases", ("Fab", "晶圆"), None),
        (("fab",), "uscc", "91350100M000100Y43", None),
    ]


def test_failing_row_source_rolls_back_everything(any_store: Store, tiny: Path) -> None:
    load_bundle(any_store, tiny)
    before = snapshot(any_store)
    regions = [(f"R{i}", f"Region {i}", None, "country", None, None, None) for i in range(7)]
    firms = [("asml", "ASML renamed", None, None, None, "R1", 0, None, None, None, None,
              None)] + [
        (f"f{i}", f"Firm {i}", None, None, None, "R1", 0, None, None, None, None, None)
        for i in range(5)
    ]

    def rows(table: str) -> Iterator[tuple[Any, ...]]:
        if table == "regions":
            yield from regions
        elif table == "firms":
            yield from firms
        elif table == "produces":
            yield ("f1", "chip", 0.5, None, None, "x", None)
            yield ("f2", "chip", 0.5, None, None, "x", None)
            yield ("f3", "chip", 0.5, None, None, "x", None)
            raise RuntimeError("the source broke after some batches")

    with pytest.raises(RuntimeError, match="source broke"):
        any_store.load(
            rows, bundle={"name": "broken"}, source="s", checksum="c",
            resolutions=[("s", "firm", "ASML", "asml")],
        )
    assert snapshot(any_store) == before


def test_extras_round_trip_and_follow_the_file(any_store: Store, tmp_path: Path) -> None:
    firms = TINY["firms.csv"].replace("chain_leader\n", "chain_leader,note,contact\n").replace(
        "fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false",
        'fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false,"a, b",张三',
    ).replace("asml,ASML,阿斯麦,,,NL,false", "asml,ASML,阿斯麦,,,NL,false,x")
    supplies = TINY["supplies.csv"].replace("source\n", "source,contract\n").replace(
        "2019,t", "2019,t,K-1"
    )
    load_bundle(any_store, write_bundle(tmp_path / "a", {"firms.csv": firms,
                                                         "supplies.csv": supplies}))
    assert any_store.extra_columns("firms") == ["contact", "note"]
    assert any_store.extra_columns("supplies") == ["contract"]
    assert any_store.extra_columns("regions") == []
    rows = {r["id"]: r for r in any_store.iter_rows("firms")}
    assert (rows["fab"]["note"], rows["fab"]["contact"]) == ("a, b", "张三")
    assert rows["asml"]["note"] == "x"
    assert "note" not in rows["phoneco"]
    assert next(any_store.iter_rows("supplies"))["contract"] == "K-1"
    # the same file again changes nothing; a file without the columns keeps them
    again = load_bundle(any_store, write_bundle(tmp_path / "b", {"firms.csv": firms,
                                                                 "supplies.csv": supplies}))
    assert again.table("firms").unchanged == 3
    plain = load_bundle(any_store, write_bundle(tmp_path / "c", {}))
    assert (plain.table("firms").updated, plain.table("supplies").updated) == (0, 0)
    assert any_store.extra_columns("firms") == ["contact", "note"]
    assert {r["id"]: r.get("note") for r in any_store.iter_rows("firms")} == {
        "asml": "x", "fab": "a, b", "phoneco": None}
    # \N clears an extra property; an empty cell keeps it; a new one is added
    cleared = TINY["firms.csv"].replace("chain_leader\n", "chain_leader,note,contact\n").replace(
        "fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false",
        "fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false,\\N,",
    ).replace("手机公司,,,CN-GD-SZ,true", "手机公司,,,CN-GD-SZ,true,y,")
    report = load_bundle(any_store, write_bundle(tmp_path / "d", {"firms.csv": cleared}))
    assert report.table("firms").updated == 2
    rows = {r["id"]: r for r in any_store.iter_rows("firms")}
    assert "note" not in rows["fab"]
    assert rows["fab"]["contact"] == "张三"
    assert (rows["asml"]["note"], rows["phoneco"]["note"]) == ("x", "y")
    assert [(c.key, c.column, c.old, c.new) for c in report.changes] == [
        (("fab",), "note", "a, b", None), (("phoneco",), "note", None, "y")]


AWKWARD_NAMES = [
    "x'}) DETACH DELETE n //",
    "back`tick` `quoted`",
    "{braces} and $dollar",
    "\"double\" and 'single' quotes",
    "colon: in : names",
    "中芯国际集成电路制造（上海）有限公司",
    "𠀀 rare CJK and emoji 😀",
]
# ids arrive from files without ':' or spaces, but a store takes whatever it is given
AWKWARD_IDS = [
    "x'})DETACH_DELETE_n//",
    "x'}) DETACH DELETE n //",
    "back`tick",
    "{braces}",
    "\"q\"",
    "a:b",
    "中芯",
    "（全角）",
    "𠀀",
    "\ue000private",
    "Zeta",
]


def test_awkward_ids_and_names_are_kept_verbatim(
    any_store: Store, reference: SqliteStore
) -> None:
    regions = [("R", "R", None, "country", None, None, None)]
    firms = [
        (ident, name, name, f"{name};alias", None, "R", 1, None, 7, 1.5, None,
         json.dumps({"note": name}, ensure_ascii=False))
        for ident, name in zip(AWKWARD_IDS, AWKWARD_NAMES * 2, strict=False)
    ]
    components = [("c`1", "Comp {x}", None, "", None, None, None, None, None)]
    produces = [(ident, "c`1", None, None, None, name, None)
                for ident, name in zip(AWKWARD_IDS, AWKWARD_NAMES * 2, strict=False)]
    supplies = [(a, b, "c`1", 0.25, None, None, "src", None)
                for a, b in pairwise(AWKWARD_IDS)]
    tables: dict[str, list[tuple[Any, ...]]] = {
        "regions": regions, "firms": firms, "components": components,
        "produces": produces, "supplies": supplies}
    bundle = {"name": "awk'ward`", "note": "x'}) DETACH DELETE n //"}
    resolutions = [("src'}) //", "firm", name, ident)
                   for ident, name in zip(AWKWARD_IDS, AWKWARD_NAMES, strict=False)]
    for store in (any_store, reference):
        store.load(source_of(tables), bundle=bundle, source="s", checksum="c",
                   resolutions=resolutions)
    assert table_rows(any_store) == table_rows(reference)
    ids = [r["id"] for r in any_store.iter_rows("firms")]
    assert ids == sorted(AWKWARD_IDS)  # code-point order, as SQLite's byte order
    assert sorted(any_store.known_ids("firms")) == sorted(AWKWARD_IDS)
    names = {r["id"]: r["name"] for r in any_store.iter_rows("firms")}
    assert names["x'}) DETACH DELETE n //"] == "back`tick` `quoted`"
    assert any_store.bundles() == [bundle]
    assert any_store.resolutions() == reference.resolutions() == sorted(resolutions)
    assert any_store.extra_columns("firms") == ["note"]
    stored = list(any_store.iter_rows("components"))
    assert stored[0]["chains"] == ()


def test_resolutions_upsert(any_store: Store, tiny: Path) -> None:
    load_bundle(any_store, tiny)
    version = any_store.data_version()
    rows = [("list.csv", "firm", "ASML Holding", "asml"), ("list.csv", "firm", "晶圆厂", "fab"),
            ("other.xlsx", "region", "深圳", "CN-GD-SZ")]
    assert any_store.save_resolutions(rows) == 3
    assert any_store.data_version() == version + 1
    assert any_store.save_resolutions(rows) == 0
    assert any_store.data_version() == version + 1
    assert any_store.save_resolutions([("list.csv", "firm", "晶圆厂", "asml")]) == 1
    assert any_store.resolutions() == [
        ("list.csv", "firm", "ASML Holding", "asml"),
        ("list.csv", "firm", "晶圆厂", "asml"),
        ("other.xlsx", "region", "深圳", "CN-GD-SZ"),
    ]
    assert any_store.resolutions("other.xlsx") == [("other.xlsx", "region", "深圳", "CN-GD-SZ")]
    # resolutions given to a load are upserted by it, and count as a change
    record = any_store.load(
        source_of({}), bundle={"name": "tiny", "home_country": "CN", "sources": [
            {"id": "t", "title": "test"}], "version": "1"},
        source="s", checksum="c", resolutions=[("list.csv", "firm", "晶圆厂", "fab")],
    )
    assert record.changed == 0
    assert any_store.resolutions("list.csv")[1] == ("list.csv", "firm", "晶圆厂", "fab")
    assert any_store.data_version() == version + 3


def test_info_counts_chains_and_loads(any_store: Store, tiny: Path) -> None:
    load_bundle(any_store, tiny)
    info = any_store.info()
    assert dict(info.counts) == {"regions": 4, "firms": 3, "chains": 1, "components": 4,
                                 "requires": 3, "produces": 4, "supplies": 2}
    assert list(info.chains) == [{"id": "phone", "name": "Phones", "name_zh": "手机",
                                  "components": 4, "producing_firms": 3}]
    assert info.bundles[0]["name"] == "tiny"
    assert info.data_version == 1
    assert [(r.id, r.bundle, r.version, r.rejected) for r in info.loads] == [(1, "tiny", "1", 0)]
    assert info.url == any_store.url


def test_relation_to_a_missing_node_is_refused_or_kept(any_store: Store, tiny: Path) -> None:
    """SQLite keeps a dangling relation row; Neo4j refuses the load (no half-load)."""
    load_bundle(any_store, tiny)
    before = snapshot(any_store)
    rows = source_of({"supplies": [("asml", "nobody", "euv", None, None, None, None, None)]})
    if isinstance(any_store, SqliteStore):
        any_store.load(rows, bundle={"name": "d"}, source="s", checksum="c")
        assert len(list(any_store.iter_rows("supplies"))) == 3
        return
    with pytest.raises(InputError, match=r"supplier 'asml' → buyer 'nobody'"):
        any_store.load(rows, bundle={"name": "d"}, source="s", checksum="c")
    assert snapshot(any_store) == before


# --------------------------------------------------- both stores at once (Neo4j needed)


@pytest.fixture
def neo(neo4j_server: tuple[str, str], neo4j_admin: neo4j.Driver) -> Iterator[Neo4jStore]:
    store = open_neo4j(neo4j_server, neo4j_admin)
    yield store
    store.close()


@pytest.mark.neo4j
def test_dump_from_either_store_gives_identical_files(
    neo: Neo4jStore, reference: SqliteStore, tmp_path: Path
) -> None:
    firms = TINY["firms.csv"].replace("chain_leader\n", "chain_leader,note\n").replace(
        "fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false",
        'fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false,"a, b"',
    )
    for store in (neo, reference):
        load_bundle(store, write_bundle(tmp_path / "src", {"firms.csv": firms}))
        load_bundle(store, write_bundle(tmp_path / "other", {
            "bundle.toml": 'name = "other"\nhome_country = "CN"\n'}))
    dump_store(neo, tmp_path / "from-neo4j")
    dump_store(reference, tmp_path / "from-sqlite")
    for name in [*(TABLES[t].filename for t in TABLE_ORDER), "bundle.toml"]:
        assert (tmp_path / "from-neo4j" / name).read_bytes() == (
            tmp_path / "from-sqlite" / name
        ).read_bytes(), name


@pytest.mark.neo4j
def test_copy_store_both_ways(neo: Neo4jStore, reference: SqliteStore, tmp_path: Path) -> None:
    firms = TINY["firms.csv"].replace("chain_leader\n", "chain_leader,note\n").replace(
        "asml,ASML,阿斯麦,,,NL,false", "asml,ASML,阿斯麦,,,NL,false,x'}) //"
    )
    load_bundle(reference, write_bundle(tmp_path / "a", {"firms.csv": firms}))
    load_bundle(reference, write_bundle(tmp_path / "b", {"bundle.toml": 'name = "b"\n'}))
    reference.save_resolutions([("list.csv", "firm", "阿斯麦", "asml")])

    records = copy_store(reference, neo)
    assert [r.bundle for r in records] == ["b", "tiny"]
    expected = {k: v for k, v in snapshot(reference).items() if k not in ("loads",
                                                                          "data_version")}
    got = {k: v for k, v in snapshot(neo).items() if k not in ("loads", "data_version")}
    assert got == expected
    again = copy_store(reference, neo)
    assert all(r.changed == 0 for r in again)

    back = SqliteStore(tmp_path / "back.db")
    copy_store(neo, back)
    assert {k: v for k, v in snapshot(back).items() if k not in ("loads", "data_version")} == (
        expected
    )
    back.close()


@pytest.mark.neo4j
def test_open_store_reads_credentials_from_the_environment(
    neo4j_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    uri, password = neo4j_server
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    secret = tmp_path / "secret"
    secret.write_text(password + "\n", encoding="utf-8")
    monkeypatch.setenv("NEO4J_PASSWORD_FILE", str(secret))
    store = open_store(uri)
    assert isinstance(store, Neo4jStore)
    assert store.data_version() >= 0
    store.close()
    monkeypatch.delenv("NEO4J_PASSWORD_FILE")
    monkeypatch.setenv("NEO4J_PASSWORD", password)
    monkeypatch.setenv("NEO4J_USER", USER)
    store = open_store(uri)
    assert store.url == uri
    store.close()


def test_a_controller_reads_back_and_compiles_to_its_country(
    any_store: Store, tmp_path: Path
) -> None:
    from chainrisk.service import RiskService
    from tests.conftest import TINY, write_bundle

    firms = TINY["firms.csv"].replace("chain_leader\n", "chain_leader,controller\n")
    firms = firms.replace("phoneco,Phone Co.,手机公司,,,CN-GD-SZ,true\n",
                          "phoneco,Phone Co.,手机公司,,,CN-GD-SZ,true,NL\n")
    firms = firms.replace("fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false\n",
                          "fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false,"
                          "CN-GD\n")
    load_bundle(any_store, write_bundle(tmp_path / "b", {"firms.csv": firms}))
    rows = {r["id"]: r for r in any_store.iter_rows("firms")}
    assert rows["phoneco"]["controller"] == "NL"
    assert rows["asml"]["controller"] is None
    g = RiskService(any_store).graph()
    i = g.index
    # a Dutch-controlled firm in Shenzhen; a province given stands for its country
    assert g.firm_controller == {i["firm:phoneco"]: i["region:NL"],
                                 i["firm:fab"]: i["region:CN"]}
