"""The embedded store: idempotent loads, one transaction, dump round trips."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from chainrisk.errors import StoreSchemaError, UsageError
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.writer import dump_store
from chainrisk.schema import TABLE_ORDER
from chainrisk.store import default_store_url, open_store, parse_store_url
from chainrisk.store.sqlite import SCHEMA_VERSION, SqliteStore
from tests.conftest import TINY, write_bundle


def snapshot(store: SqliteStore) -> dict[str, list[dict[str, object]]]:
    return {t: list(store.iter_rows(t)) for t in TABLE_ORDER}


def test_second_load_changes_nothing(tiny: Path, store: SqliteStore) -> None:
    first = load_bundle(store, tiny)
    assert first.table("firms").inserted == 3
    version = store.data_version()
    before = snapshot(store)
    second = load_bundle(store, tiny)
    assert all(c.inserted == c.updated == 0 for c in second.counts.values())
    assert second.table("supplies").unchanged == 2
    assert snapshot(store) == before
    assert store.data_version() == version
    loads = store.loads()
    assert [r.id for r in loads] == [2, 1]
    assert loads[0].changed == 0
    assert loads[1].changed > 0
    assert loads[0].checksum == loads[1].checksum == first.checksum


def test_changed_row_is_updated_not_duplicated(tmp_path: Path, store: SqliteStore) -> None:
    load_bundle(store, write_bundle(tmp_path / "a", {}))
    version = store.data_version()
    changed = TINY["firms.csv"].replace("Fab Co.", "Fab Company")
    report = load_bundle(store, write_bundle(tmp_path / "b", {"firms.csv": changed}))
    assert report.table("firms").updated == 1
    assert report.table("firms").unchanged == 2
    names = {r["id"]: r["name"] for r in store.iter_rows("firms")}
    assert names["fab"] == "Fab Company"
    assert len(names) == 3
    assert store.data_version() == version + 1


def test_values_come_back_normalised(tiny: Path, store: SqliteStore) -> None:
    load_bundle(store, tiny)
    fab = next(r for r in store.iter_rows("firms") if r["id"] == "fab")
    assert fab["aliases"] == ("Fab", "晶圆")
    assert fab["chain_leader"] is False
    assert fab["uscc"] == "91350100M000100Y43"
    euv = next(r for r in store.iter_rows("produces") if r["component"] == "euv")
    assert euv["share"] == 1.0


def test_dump_and_reload_is_a_fixpoint(tmp_path: Path, tiny: Path, store: SqliteStore) -> None:
    firms = TINY["firms.csv"].replace("chain_leader\n", "chain_leader,note\n").replace(
        "fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false",
        'fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false,"a, b"',
    )
    load_bundle(store, write_bundle(tmp_path / "src", {"firms.csv": firms}))
    dump_store(store, tmp_path / "d1")
    other = SqliteStore(tmp_path / "other.db")
    report = load_bundle(other, tmp_path / "d1")
    assert report.ok, report.to_text()
    assert [w.reason for w in report.warnings] == [
        "column(s) note are not part of the layout; kept as extra properties"
    ]
    assert snapshot(other) == snapshot(store)
    dump_store(other, tmp_path / "d2")
    for name in [*(f"{t}.csv" for t in TABLE_ORDER), "bundle.toml"]:
        assert (tmp_path / "d1" / name).read_bytes() == (tmp_path / "d2" / name).read_bytes()
    # and reloading the dump into the original store changes nothing
    again = load_bundle(store, tmp_path / "d1")
    assert all(c.inserted == c.updated == 0 for c in again.counts.values())
    other.close()


def test_dump_refuses_a_non_empty_folder(tmp_path: Path, store: SqliteStore) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(UsageError, match="not an empty folder"):
        dump_store(store, tmp_path / "out")


def test_failed_write_rolls_back(tiny: Path, store: SqliteStore) -> None:
    load_bundle(store, tiny)
    before = snapshot(store)

    def rows(table: str):  # type: ignore[no-untyped-def]
        if table == "produces":
            raise RuntimeError("disk on fire")
        yield from ()

    with pytest.raises(RuntimeError):
        store.load(rows, bundle={"name": "x"}, source="s", checksum="c")
    assert snapshot(store) == before
    assert len(store.loads()) == 1


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreSchemaError, match="not a chainrisk store"):
        SqliteStore(path)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreSchemaError, match="not an SQLite database"):
        SqliteStore(garbage)


def test_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_store_url("sqlite:///rel/x.db") == Path("rel/x.db")
    assert parse_store_url("sqlite:////abs/x.db") == Path("/abs/x.db")
    with pytest.raises(UsageError, match="sqlite:///"):
        open_store("sqlite:/x.db")
    with pytest.raises(UsageError, match="unknown store"):
        open_store("postgres://x")
    monkeypatch.setenv("CHAINRISK_STORE", f"sqlite:///{tmp_path / 'env.db'}")
    assert default_store_url() == f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.delenv("CHAINRISK_STORE")
    assert default_store_url().endswith("chainrisk.db")
    store = open_store(str(tmp_path / "plain.db"))
    assert store.url == f"sqlite:///{tmp_path / 'plain.db'}"
    store.close()


def test_info_counts_chains(tiny: Path, store: SqliteStore) -> None:
    load_bundle(store, tiny)
    info = store.info()
    assert info.counts["firms"] == 3
    assert info.chains[0]["id"] == "phone"
    assert info.chains[0]["components"] == 4
    assert info.chains[0]["producing_firms"] == 3
    assert info.bundles[0]["name"] == "tiny"


def test_store_upgrades_aliases_kept_as_an_extra_column_into_their_own(
        tmp_path: Path) -> None:
    # a version-2 store: regions and components without the aliases column, where a
    # bundle's aliases column was kept as an extra one
    path = tmp_path / "v2.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as conn:
        for table in ("regions", "components"):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN aliases")
        conn.execute("ALTER TABLE firms DROP COLUMN controller")  # version 4's
        conn.execute("INSERT INTO regions (id, name, level, extra) VALUES "
                     "('CN-GD-SZ', 'Shenzhen', 'city', ?)",
                     (json.dumps({"aliases": " 深圳 ; Pengcheng;", "note": "鹏城"},
                                 ensure_ascii=False),))
        conn.execute("INSERT INTO components (id, name, extra) VALUES "
                     "('wafer', 'Silicon wafer', ?)", (json.dumps({"aliases": "硅片"}),))
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.close()
    store = SqliteStore(path)
    region = next(store.iter_rows("regions"))
    assert region["aliases"] == ("深圳", "Pengcheng")
    assert region["note"] == "鹏城"
    assert store.extra_columns("regions") == ["note"]
    assert next(store.iter_rows("components"))["aliases"] == ("硅片",)
    assert store.extra_columns("components") == []
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                            ).fetchone()[0] == str(SCHEMA_VERSION)
    conn.close()


def test_store_upgrades_a_controller_kept_as_an_extra_column(tmp_path: Path, tiny: Path
                                                             ) -> None:
    # a version-3 store where a bundle's controller column was kept as an extra one
    path = tmp_path / "v3.db"
    store = SqliteStore(path)
    load_bundle(store, tiny)
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE firms DROP COLUMN controller")
        conn.execute("UPDATE firms SET extra = ? WHERE id = 'fab'",
                     (json.dumps({"controller": " NL ", "note": "x"}),))
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.close()
    store = SqliteStore(path)
    fab = next(r for r in store.iter_rows("firms") if r["id"] == "fab")
    assert fab["controller"] == "NL"
    assert fab["note"] == "x"
    assert store.extra_columns("firms") == ["note"]
    store.close()


def test_component_and_region_aliases_are_names_people_type(
        tmp_path: Path, tiny: Path) -> None:
    from chainrisk.service import RiskService

    regions = TINY["regions.csv"].replace("id,name,name_zh,level,parent",
                                          "id,name,name_zh,level,parent,aliases")
    regions = regions.replace("CN-GD-SZ,Shenzhen,深圳市,city,CN-GD",
                              "CN-GD-SZ,Shenzhen,深圳市,city,CN-GD,鹏城;Pengcheng")
    components = TINY["components.csv"].replace("end_product\n", "end_product,aliases\n")
    components = components.replace("chip,Chip,芯片,phone,midstream,chip,false",
                                    "chip,Chip,芯片,phone,midstream,chip,false,晶片;die")
    store = SqliteStore(tmp_path / "s.db")
    load_bundle(store, write_bundle(tmp_path / "b", {"regions.csv": regions,
                                                     "components.csv": components}))
    service = RiskService(store)
    graph = service.graph()
    assert [graph.ids[v] for v in graph.lookup("鹏城")] == ["region:CN-GD-SZ"]
    assert [graph.ids[v] for v in graph.lookup("DIE")] == ["component:chip"]
    assert service.resolve(["pengcheng", "晶片"]) == ["region:CN-GD-SZ", "component:chip"]
    out = tmp_path / "dump"
    dump_store(store, out)
    assert "鹏城;Pengcheng" in (out / "regions.csv").read_text(encoding="utf-8")
    assert "晶片;die" in (out / "components.csv").read_text(encoding="utf-8")
    store.close()
