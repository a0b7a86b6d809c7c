"""Ids and names full of quotes, backticks, braces and Cypher come back exactly as given.

Ids may hold anything but ``:`` and whitespace (docs/data-format.md), so ids like
``x'})-DETACH-DELETE-n-//`` and ``` `fab`{x}$p ``` are legal and must round-trip;
names may be any text, so ``x'}) DETACH DELETE n //`` must too. Both go into the
embedded store and the real Neo4j, and come back verbatim from the store, from
``chainrisk spof --format json`` and from ``chainrisk rank --format json``; ids with
``:`` or spaces are refused with a message that says what to write instead.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainrisk import cli
from chainrisk.errors import ValidationFailed
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.suppliers import import_suppliers
from chainrisk.store.base import Store
from chainrisk.store.sqlite import SqliteStore
from tests.neo4j_server import USER
from tests.store.test_contract import open_neo4j

CYPHER = "x'}) DETACH DELETE n //"
ASML = "as\"ml'})-DETACH-DELETE-n-//"
FAB = "`fab`{x}$p"
PHONECO = "phone\\co'}]"
CHAIN = "ch'ain`{}"
EUV = "euv'})RETURN-1//"
CHIP = "chip$p{}"
PHONE = "ph`one\"\""
NAMES = {
    ASML: CYPHER,
    FAB: "`n` MATCH (m) DETACH DELETE m",
    PHONECO: "a:b \"quoted\" 'single' {braces: 1} $param \\ 华为",
    EUV: "EUV'}) DETACH DELETE n // 极紫外",
    CHIP: "{id: 1}, $x; DROP TABLE firms; --",
    PHONE: "=cmd|' /C calc'!A0",
}


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def nasty_bundle(folder: Path) -> Path:
    """Write a small chain whose ids and names are full of syntax; return its folder."""
    files = {
        "bundle.toml": 'name = "nasty"\n',
        "regions.csv": _csv([["id", "name", "level", "parent"],
                             ["CN", "China", "country", ""],
                             ["NL", "Nether'}) DETACH DELETE n //lands", "country", ""],
                             ["CN-GD`{x}", "Guang`dong {x}", "province", "CN"]]),
        "firms.csv": _csv([["id", "name", "name_zh", "aliases", "region", "chain_leader"],
                           [ASML, NAMES[ASML], "阿斯麦`n`", "{id: 1};$param", "NL", "false"],
                           [FAB, NAMES[FAB], "", "", "CN-GD`{x}", "false"],
                           [PHONECO, NAMES[PHONECO], "", "", "CN-GD`{x}", "true"]]),
        "chains.csv": _csv([["id", "name", "leader_firms"], [CHAIN, "$param MATCH", PHONECO]]),
        "components.csv": _csv([["id", "name", "chains", "end_product"],
                                [EUV, NAMES[EUV], CHAIN, "false"],
                                [CHIP, NAMES[CHIP], CHAIN, "false"],
                                [PHONE, NAMES[PHONE], CHAIN, "true"]]),
        "requires.csv": _csv([["product", "input"], [CHIP, EUV], [PHONE, CHIP]]),
        "produces.csv": _csv([["firm", "component", "share"], [ASML, EUV, "1"],
                              [FAB, CHIP, "1"], [PHONECO, PHONE, "0.5"]]),
        "supplies.csv": _csv([["supplier", "buyer", "component", "source"],
                              [ASML, FAB, EUV, CYPHER], [FAB, PHONECO, CHIP, "`s`"]]),
    }
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder



@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store_and_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Store, str]]:
    """Return an empty store of each kind and the URL the command line opens it with."""
    store: Store
    if request.param == "sqlite":
        store = SqliteStore(tmp_path / "verbatim.db")
        url = f"sqlite:///{tmp_path / 'verbatim.db'}"
    else:
        server = request.getfixturevalue("neo4j_server")
        store = open_neo4j(server, request.getfixturevalue("neo4j_admin"))
        url = server[0]
        monkeypatch.setenv("NEO4J_USER", USER)
        monkeypatch.setenv("NEO4J_PASSWORD", server[1])
    yield store, url
    store.close()


def _command(url: str, *args: str) -> object:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(["--store", url, *args, "--format", "json"], out=out, err=err)
    assert status == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_nasty_ids_and_names_round_trip(
    store_and_url: tuple[Store, str], tmp_path: Path
) -> None:
    store, url = store_and_url
    load_bundle(store, nasty_bundle(tmp_path / "nasty"))
    firms = {r["id"]: r for r in store.iter_rows("firms")}
    assert set(firms) == {ASML, FAB, PHONECO}
    assert {i: r["name"] for i, r in firms.items()} == {i: NAMES[i] for i in firms}
    assert firms[ASML]["name_zh"] == "阿斯麦`n`"
    assert firms[ASML]["aliases"] == ("{id: 1}", "$param")
    components = {r["id"]: r for r in store.iter_rows("components")}
    assert {i: r["name"] for i, r in components.items()} == {
        i: NAMES[i] for i in (EUV, CHIP, PHONE)
    }
    assert components[PHONE]["chains"] == (CHAIN,)
    assert sorted((r["supplier"], r["buyer"], r["component"], r["source"])
                  for r in store.iter_rows("supplies")) == sorted([
        (ASML, FAB, EUV, CYPHER), (FAB, PHONECO, CHIP, "`s`")
    ])
    assert {r["id"]: r["name"] for r in store.iter_rows("regions")}["NL"] == (
        "Nether'}) DETACH DELETE n //lands"
    )
    assert [r["leader_firms"] for r in store.iter_rows("chains")] == [(PHONECO,)]

    # the analyses name nodes kind:id (hence no ':' in ids)
    node = {i: f"firm:{i}" for i in (ASML, FAB, PHONECO)} | {
        i: f"component:{i}" for i in (EUV, CHIP, PHONE)
    }
    spof = _command(url, "spof")
    assert isinstance(spof, dict)
    assert set(spof["nodes"]) == {*node.values(), "region:CN", "region:NL", "region:CN-GD`{x}"}
    assert set(spof["nodes"][node[PHONE]]) >= {node[CHIP], node[EUV], node[FAB], node[ASML]}

    ranking = _command(url, "rank", "--chain", CHAIN)
    assert isinstance(ranking, dict)
    assert ranking["chain"] == CHAIN
    names = {row["id"]: row["name"] for row in ranking["rows"]}
    assert {i: names[node[i]] for i in NAMES} == NAMES
    assert names["region:NL"] == "Nether'}) DETACH DELETE n //lands"

    # a second load of the same bundle finds every row unchanged: ids matched verbatim
    again = load_bundle(store, tmp_path / "nasty")
    assert all(c.inserted == c.updated == 0 for c in again.counts.values())


def test_nasty_supplier_names_round_trip(
    store_and_url: tuple[Store, str], tmp_path: Path
) -> None:
    store, _ = store_and_url
    load_bundle(store, nasty_bundle(tmp_path / "nasty"))
    # (CYPHER + " Ltd" would be ASML again: legal forms are not part of a name's key)
    written = [CYPHER + " 2", "`n` {x: 1} $param", "a:b \"c\" 'd'", "=cmd|' /C calc'!A0"]
    listed = tmp_path / "list.csv"
    listed.write_text(
        _csv([["供应商名称", "采购物料", "采购占比"]]
             + [[w, f"part {w}", "10%"] for w in written]),
        encoding="utf-8",
    )
    report = import_suppliers(store, [listed], buyer=NAMES[PHONECO])
    assert report.loaded == 4
    names = {r["name"] for r in store.iter_rows("firms")}
    assert set(written) <= names
    assert {f"part {w}" for w in written} <= {r["name"] for r in store.iter_rows("components")}
    resolved = {(kind, text) for _, kind, text, _ in store.resolutions()}
    assert {("firm", w) for w in written} <= resolved
    assert ("firm", NAMES[PHONECO]) in resolved
    buyers = {r["buyer"] for r in store.iter_rows("supplies") if r["source"].startswith("import")}
    assert buyers == {PHONECO}


@pytest.mark.parametrize("bad", ["a:b", "x'}) DETACH DELETE n //", "tab\there", "a\u3000b"])
def test_ids_with_colons_or_spaces_are_refused_with_a_fix(
    bad: str, tmp_path: Path, store: SqliteStore
) -> None:
    folder = nasty_bundle(tmp_path / "nasty")
    firms = (folder / "firms.csv").read_text(encoding="utf-8")
    (folder / "firms.csv").write_text(firms + _csv([[bad, "Bad", "", "", "NL", "false"]]),
                                      encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        load_bundle(store, folder)
    problems = [p for p in caught.value.report.errors if p.file == "firms.csv"]
    assert [(p.line, p.column, p.value) for p in problems] == [(5, "id", bad.strip())]
    assert problems[0].reason == "an id may not contain ':' or spaces; use '-' or '_' instead"
    assert list(store.iter_rows("firms")) == []
