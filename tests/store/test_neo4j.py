"""The Neo4j store on its own: what it sends (a recording fake) and how the real server
takes it (schema, graph model, atomicity, secrets, errors).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from neo4j import exceptions as nx

import chainrisk.store as store_package
import chainrisk.store.neo4j as neo4j_module
from chainrisk.errors import (
    InputError,
    StoreError,
    StoreSchemaError,
    StoreUnavailable,
    UsageError,
)
from chainrisk.ingest.load import load_bundle
from chainrisk.schema import LABEL_KEYS, NODE_LABELS, RELATION_TYPES, TABLE_ORDER
from chainrisk.store import cypher
from chainrisk.store.neo4j import Neo4jStore
from tests.conftest import TINY, write_bundle
from tests.neo4j_server import USER
from tests.store.test_contract import clear, open_neo4j, snapshot, source_of

# --------------------------------------------------------------- the recording fake

Responder = Callable[[str, dict[str, Any]], list[dict[str, Any]]]


class FakeRecord(dict[str, Any]):
    def data(self) -> dict[str, Any]:
        return dict(self)


class FakeResult:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = [FakeRecord(r) for r in records]

    def __iter__(self) -> Iterator[FakeRecord]:
        return iter(self.records)

    def single(self, strict: bool = False) -> FakeRecord:
        assert len(self.records) == 1, self.records
        return self.records[0]

    def consume(self) -> None:
        return None


class FakeTx:
    def __init__(self, driver: FakeDriver, mode: str) -> None:
        self.driver = driver
        self.mode = mode

    def run(self, query: str, parameters: dict[str, Any] | None = None, **kw: Any) -> FakeResult:
        params = {**(parameters or {}), **kw}
        self.driver.sent.append((self.mode, query, params))
        return FakeResult(self.driver.respond(query, params))


class FakeSession:
    def __init__(self, driver: FakeDriver) -> None:
        self.driver = driver

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute_read(self, work: Callable[[FakeTx], Any]) -> Any:
        if self.driver.error is not None:
            raise self.driver.error
        return work(FakeTx(self.driver, "read"))

    def execute_write(self, work: Callable[[FakeTx], Any]) -> Any:
        if self.driver.error is not None:
            raise self.driver.error
        return work(FakeTx(self.driver, "write"))


class FakeDriver:
    """Records (access mode, query, parameters) of every statement; answers via ``respond``."""

    def __init__(self, respond: Responder | None = None) -> None:
        self.respond: Responder = respond or load_responder
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.error: Exception | None = None
        self.closed = False

    def session(self, **config: Any) -> FakeSession:
        return FakeSession(self)

    def close(self) -> None:
        self.closed = True


NODE_UPSERTS = {cypher.UPSERT[t]: t for t in NODE_LABELS}


def load_responder(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Answer like a database where every constraint exists and every row is new."""
    if query == cypher.SHOW_CONSTRAINTS:
        return [{"type": "UNIQUENESS", "labels": [label.value], "properties": [key]}
                for label, key in LABEL_KEYS.items()]
    if query == cypher.LOCK_META:
        return [{"schema_version": 1}]
    if query == cypher.NEXT_LOAD_ID:
        return [{"id": 7}]
    if query in cypher.UPSERT.values():
        n = len(params["rows"])
        record: dict[str, Any] = {"seen": n, "created": n, "written": n}
        if query in NODE_UPSERTS:
            record["changed"] = [row[3] for row in params["rows"]]
        return [record]
    if query == cypher.UPSERT_BUNDLE:
        return [{"changed": True}]
    if query == cypher.UPSERT_RESOLUTIONS:
        return [{"changed": len(params["rows"])}]
    if query == cypher.BUMP_DATA_VERSION:
        return [{"data_version": 1}]
    return []


def fake_store(driver: FakeDriver, url: str = "neo4j://graph.example:7687") -> Neo4jStore:
    return Neo4jStore(url, driver=driver)  # type: ignore[arg-type]


def values_in(params: Any) -> Iterator[Any]:
    if isinstance(params, dict):
        for v in params.values():
            yield from values_in(v)
    elif isinstance(params, list | tuple):
        for v in params:
            yield from values_in(v)
    else:
        yield params


NASTY = ["x'}) DETACH DELETE n //", "a`b", "{x}", "$p", "\"q\"", "c:d", "中芯（上海）"]


def nasty_rows() -> dict[str, list[tuple[Any, ...]]]:
    return {
        "regions": [("R" + s, s, None, "country", None, None, None) for s in NASTY],
        "firms": [(s, s, s, f"{s};b", None, "R" + s, 1, None, 3, 2.0, None, json.dumps({"note": s}))
                  for s in NASTY],
        "components": [("c" + s, s, None, "", None, None, None, None, None) for s in NASTY],
        "supplies": [(NASTY[0], NASTY[1], "c" + NASTY[2], 0.5, None, None, NASTY[3], None)],
    }


# ------------------------------------------------------------------- unit: the fake


def test_load_sends_only_module_statements_with_values_as_parameters() -> None:
    driver = FakeDriver()
    store = fake_store(driver)
    record = store.load(
        source_of(nasty_rows()), bundle={"name": NASTY[0]}, source=NASTY[1], checksum="c",
        resolutions=[(NASTY[2], "firm", NASTY[3], NASTY[4])],
    )
    assert record.id == 7
    assert record.changes["firms"].inserted == len(NASTY)
    assert record.changes["supplies"].inserted == 1
    queries = [q for _, q, _ in driver.sent]
    assert set(queries) <= cypher.STATEMENTS
    for query in queries:
        for value in NASTY:
            assert value not in query, (value, query)
    sent_values = {v for _, _, p in driver.sent for v in values_in(p) if isinstance(v, str)}
    for value in NASTY:
        assert value in sent_values
    # the constraint check reads first; the load is one write transaction, nodes first
    assert driver.sent[0][:2] == ("read", cypher.SHOW_CONSTRAINTS)
    writes = [q for mode, q, _ in driver.sent if mode == "write"]
    assert all(mode == "write" for mode, _, _ in driver.sent[1:])
    assert writes[:2] == [cypher.LOCK_META, cypher.NEXT_LOAD_ID]
    upserts = [q for q in writes if q in cypher.UPSERT.values()]
    assert upserts == [cypher.UPSERT[t] for t in ("regions", "firms", "components", "supplies")]
    assert writes.index(cypher.LINK[next(iter(cypher.LINK))]) > writes.index(upserts[2])
    assert writes[-4:] == [cypher.UPSERT_BUNDLE, cypher.BUMP_DATA_VERSION, cypher.CREATE_LOAD,
                           cypher.UNLOCK_META]


def test_rows_go_as_lists_in_column_order() -> None:
    driver = FakeDriver()
    fake_store(driver).load(source_of(nasty_rows()), bundle={"name": "b"}, source="s",
                            checksum="c")
    firms = next(p for _, q, p in driver.sent if q == cypher.UPSERT["firms"])
    assert firms["columns"] == ["name", "name_zh", "aliases", "uscc", "region", "chain_leader",
                                "listed", "employees", "revenue_musd", "controller"]
    assert firms["rows"][0] == [
        [NASTY[0], NASTY[0], [NASTY[0], "b"], None, "R" + NASTY[0], True, None, 3, 2.0, None],
        ["note"], [NASTY[0]], NASTY[0],
    ]
    supplies = next(p for _, q, p in driver.sent if q == cypher.UPSERT["supplies"])
    assert supplies["columns"] == ["share", "volume", "since", "source"]
    assert supplies["rows"] == [[[0.5, None, None, NASTY[3]], None, None,
                                 NASTY[0], NASTY[1], "c" + NASTY[2]]]


def test_batches_are_split_at_the_size_and_at_a_repeated_key() -> None:
    driver = FakeDriver()
    store = fake_store(driver)
    store.batch_size = 2
    regions = [(f"R{i}", "n", None, "country", None, None, None) for i in range(5)]
    regions.insert(1, ("R0", "again", None, "country", None, None, None))
    record = store.load(source_of({"regions": regions}), bundle={"name": "b"}, source="s",
                        checksum="c")
    sizes = [[row[3] for row in p["rows"]] for _, q, p in driver.sent
             if q == cypher.UPSERT["regions"]]
    assert sizes == [["R0"], ["R0", "R1"], ["R2", "R3"], ["R4"]]
    assert record.changes["regions"].inserted == 6  # as the fake says: every row new


def test_reads_page_by_key_from_the_last_key_on() -> None:
    pages = {
        "": [{"key": "a", "props": {"id": "a", "name": "A", "level": "country"}},
             {"key": "b", "props": {"id": "b", "name": "B", "level": "city", "parent": "a",
                                     "_load": 1, "risk_score": 0.5}}],
        "b": [{"key": "b", "props": {}},
              {"key": "c", "props": {"id": "c", "name": "C", "level": "city",
                                     "_extras": ["note"], "note": "n"}},
              {"key": "d", "props": {"id": "d", "name": "D", "level": "zone"}}],
        "d": [{"key": "d", "props": {}}],
    }

    def respond(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert query == cypher.NODE_PAGE["regions"]
        return pages[params["from"]]

    driver = FakeDriver(respond)
    store = fake_store(driver)
    store.page_size = 2
    rows = list(store.iter_rows("regions"))
    assert [p["from"] for _, _, p in driver.sent] == ["", "b", "d"]
    assert [p["limit"] for _, _, p in driver.sent] == [2, 3, 3]
    assert rows == [
        {"id": "a", "name": "A", "name_zh": None, "level": "country", "parent": None,
         "aliases": None},
        {"id": "b", "name": "B", "name_zh": None, "level": "city", "parent": "a",
         "aliases": None},
        {"id": "c", "name": "C", "name_zh": None, "level": "city", "parent": None,
         "aliases": None, "note": "n"},
        {"id": "d", "name": "D", "name_zh": None, "level": "zone", "parent": None,
         "aliases": None},
    ]


def test_relation_rows_come_back_sorted_by_their_whole_key() -> None:
    def respond(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        assert query == cypher.RELATION_PAGE["supplies"]
        return [{"key": "a", "rels": [
            ["z", {"component": "c1", "share": 1}],
            ["b", {"component": "c2", "volume": 3, "_load": 2}],
            ["b", {"component": "c1", "_extras": ["k"], "k": "v"}],
        ]}, {"key": "b", "rels": []}]

    rows = list(fake_store(FakeDriver(respond)).iter_rows("supplies"))
    assert [(r["supplier"], r["buyer"], r["component"]) for r in rows] == [
        ("a", "b", "c1"), ("a", "b", "c2"), ("a", "z", "c1")]
    assert rows[0]["k"] == "v"
    assert rows[2]["share"] == 1.0
    assert isinstance(rows[2]["share"], float)
    assert rows[1]["volume"] == 3.0


def test_a_page_out_of_key_order_is_an_error() -> None:
    def respond(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"key": "b"}, {"key": "a"}]

    with pytest.raises(StoreSchemaError, match=r"out of key order.*schema apply"):
        list(fake_store(FakeDriver(respond)).known_ids("firms"))


@pytest.mark.parametrize(
    ("error", "expected", "message"),
    [
        (nx.ServiceUnavailable("connection refused"), StoreUnavailable, "cannot reach Neo4j"),
        (nx.SessionExpired("gone"), StoreUnavailable, "cannot reach Neo4j"),
        (nx.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Security.Unauthorized",
                                      message="unauthorized"),
         StoreError, "refused the user 'neo4j' and its password"),
        (nx.Neo4jError._hydrate_neo4j(code="Neo.TransientError.Transaction.DeadlockDetected",
                                      message="deadlock"), StoreUnavailable, "busy"),
        (nx.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Database.DatabaseNotFound",
                                      message="no"), StoreError, "has no database 'chains'"),
        (nx.Neo4jError._hydrate_neo4j(code="Neo.ClientError.Statement.SyntaxError",
                                      message="bad"), StoreError, "refused a statement"),
    ],
)
def test_driver_errors_are_wrapped(error: Exception, expected: type, message: str) -> None:
    driver = FakeDriver()
    driver.error = error
    store = fake_store(driver, "neo4j://graph.example:7687/chains")
    with pytest.raises(expected, match=message) as caught:
        store.data_version()
    assert caught.value.__cause__ is error
    assert getattr(caught.value, "retryable", None) is (expected is StoreUnavailable)


def test_a_load_too_big_for_the_server_is_not_called_busy() -> None:
    memory = nx.Neo4jError._hydrate_neo4j(
        code="Neo.TransientError.General.MemoryPoolOutOfMemoryError", message="pool full")

    def respond(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if query == cypher.UPSERT["supplies"]:
            raise memory
        return load_responder(query, params)

    store = fake_store(FakeDriver(respond))
    with pytest.raises(StoreError, match=r"too big for one transaction.*split") as caught:
        store.load(source_of(nasty_rows()), bundle={"name": "b"}, source="s", checksum="c")
    assert not isinstance(caught.value, StoreUnavailable)
    assert caught.value.__cause__ is memory


def test_write_back_sets_known_properties_by_qualified_id() -> None:
    def respond(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"found": len(params["rows"])}]

    driver = FakeDriver(respond)
    store = fake_store(driver)
    found = store.write_back({"firm:a:b": {"risk_score": 0.5, "risk_rank": 1},
                              "component:euv": {"spof_targets": 3, "risk_output_lost": None}})
    assert found == 2
    sent = {q: p for _, q, p in driver.sent}
    assert sent[cypher.SET_WRITE_BACK["firms"]]["rows"] == [
        {"key": "a:b", "props": {"risk_score": 0.5, "risk_rank": 1}}]
    assert set(sent) <= cypher.STATEMENTS
    with pytest.raises(UsageError, match="not a write-back property"):
        store.write_back({"firm:a": {"name": "x"}})
    with pytest.raises(UsageError, match="not a qualified node id"):
        store.write_back({"chain:ic": {"risk_score": 1.0}})
    with pytest.raises(UsageError, match="is not a number"):
        store.write_back({"firm:a": {"risk_score": [1]}})  # type: ignore[dict-item]


def test_urls_and_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert store_package.NEO4J_SCHEMES == neo4j_module.NEO4J_SCHEMES
    with pytest.raises(UsageError, match="holds a password") as caught:
        Neo4jStore("neo4j://alice:s3cr3t-in-url@graph.example:7687")
    assert "s3cr3t" not in str(caught.value)
    store = fake_store(FakeDriver(), "neo4j+s://alice@graph.example/chains")
    assert (store.url, store.user, store.database) == (
        "neo4j+s://graph.example:7687/chains", "alice", "chains")
    assert repr(store) == "Neo4jStore('neo4j+s://graph.example:7687/chains', user='alice')"
    monkeypatch.setenv("NEO4J_DATABASE", "other")
    monkeypatch.setenv("NEO4J_USER", "bob")
    store = fake_store(FakeDriver(), "bolt://graph.example:7000")
    assert (store.url, store.user, store.database) == (
        "bolt://graph.example:7000/other", "bob", "other")
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    monkeypatch.delenv("NEO4J_PASSWORD_FILE", raising=False)
    with pytest.raises(UsageError, match="NEO4J_PASSWORD"):
        Neo4jStore("bolt://graph.example:7687")
    monkeypatch.setenv("NEO4J_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(UsageError, match="cannot read NEO4J_PASSWORD_FILE"):
        Neo4jStore("bolt://graph.example:7687")
    with pytest.raises(UsageError, match="names no host"):
        Neo4jStore("bolt:///db")


# ----------------------------------------------------------------- the real server


@pytest.fixture(scope="module")
def admin(neo4j_server: tuple[str, str]) -> Iterator[neo4j.Driver]:
    uri, password = neo4j_server
    with neo4j.GraphDatabase.driver(uri, auth=(USER, password)) as driver:
        yield driver


@pytest.fixture
def store(neo4j_server: tuple[str, str], admin: neo4j.Driver) -> Iterator[Neo4jStore]:
    s = open_neo4j(neo4j_server, admin)
    yield s
    s.close()


def graph(admin: neo4j.Driver) -> dict[str, Any]:
    """Return every node and relationship with its properties: the whole database."""
    nodes, _, _ = admin.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"
    )
    rels, _, _ = admin.execute_query(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, properties(a) AS a, properties(b) AS b, "
        "properties(r) AS props"
    )
    key = json.dumps
    return {
        "nodes": sorted(key([r["labels"], r["props"]], sort_keys=True) for r in nodes),
        "rels": sorted(key([r["type"], r["a"], r["b"], r["props"]], sort_keys=True)
                       for r in rels),
    }


@pytest.mark.neo4j
def test_load_is_refused_without_the_constraints(
    store: Neo4jStore, admin: neo4j.Driver, tiny: Path
) -> None:
    admin.execute_query("DROP CONSTRAINT firm_id IF EXISTS")
    try:
        with pytest.raises(StoreSchemaError, match=r"\(:Firm\(id\)\).*run chainrisk schema "
                                                   r"apply --store bolt://"):
            load_bundle(store, tiny)
        assert graph(admin) == {"nodes": [], "rels": []}
    finally:
        store.apply_schema()
    load_bundle(store, tiny)
    assert store.info().counts["firms"] == 3


@pytest.mark.neo4j
def test_apply_schema_is_idempotent(store: Neo4jStore, admin: neo4j.Driver) -> None:
    def names(kind: str) -> list[str]:
        records, _, _ = admin.execute_query(f"SHOW {kind} YIELD name RETURN name ORDER BY name")
        return [r["name"] for r in records]

    before = (names("CONSTRAINTS"), names("INDEXES"))
    assert store.apply_schema() == [*cypher.CONSTRAINTS, *cypher.INDEXES]
    assert (names("CONSTRAINTS"), names("INDEXES")) == before
    assert {f"{label.value.lower()}_{key}" for label, key in LABEL_KEYS.items()} <= set(
        before[0])
    assert {"firm_name", "node_names"} <= set(before[1])


@pytest.mark.neo4j
def test_password_is_never_shown(
    neo4j_server: tuple[str, str], store: Neo4jStore, tiny: Path
) -> None:
    uri, password = neo4j_server
    wrong = "wrong-" + password
    with pytest.raises(StoreError, match="refused the user 'neo4j' and its password") as caught:
        Neo4jStore(uri, password=wrong)
    assert isinstance(caught.value.__cause__, nx.AuthError)
    for text in (str(caught.value), repr(caught.value), str(caught.value.__cause__)):
        assert password not in text
    load_bundle(store, tiny)
    info = store.info()
    for text in (repr(store), store.url, store.location, repr(info)):
        assert password not in text


@pytest.mark.neo4j
def test_a_closed_port_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreUnavailable, match="cannot reach Neo4j") as caught:
        Neo4jStore(f"bolt://127.0.0.1:{port}", password="never-sent-anywhere")
    assert caught.value.retryable
    assert "never-sent-anywhere" not in str(caught.value)


@pytest.mark.neo4j
def test_graph_model_is_the_one_drawn(
    store: Neo4jStore, admin: neo4j.Driver, tmp_path: Path
) -> None:
    load_bundle(store, write_bundle(tmp_path / "a", {}))

    def rows(query: str) -> list[Any]:
        records, _, _ = admin.execute_query(query)
        return [r.values() for r in records]

    fab = rows("MATCH (f:Firm {id: 'fab'}) RETURN properties(f)")[0][0]
    assert fab == {"id": "fab", "name": "Fab Co.", "name_zh": "晶圆厂", "aliases": ["Fab", "晶圆"],
                   "uscc": "91350100M000100Y43", "region": "CN-GD-SZ", "chain_leader": False,
                   "_load": 1}
    assert rows("MATCH (a)-[:PART_OF]->(b) RETURN a.id, b.id ORDER BY a.id") == [
        ["CN-GD", "CN"], ["CN-GD-SZ", "CN-GD"]]
    assert rows("MATCH (f:Firm)-[:LOCATED_IN]->(r:Region) RETURN f.id, r.id ORDER BY f.id") == [
        ["asml", "NL"], ["fab", "CN-GD-SZ"], ["phoneco", "CN-GD-SZ"]]
    assert rows("MATCH (c:Component)-[:IN_CHAIN]->(:Chain {id: 'phone'}) RETURN count(c)") == [
        [4]]
    assert rows("MATCH (f:Firm)-[:LEADS]->(c:Chain) RETURN f.id, c.id") == [["phoneco", "phone"]]
    assert rows("MATCH (a)-[r:REQUIRES]->(b) WHERE r.group IS NULL "
                "RETURN a.id, b.id, r.quantity") == [["phone", "chip", 2.0]]
    assert rows("MATCH (:Firm {id: 'asml'})-[r:SUPPLIES]->(:Firm {id: 'fab'}) "
                "RETURN properties(r)") == [[{"component": "euv", "share": 1.0, "since": "2019",
                                             "source": "t", "_load": 1}]]
    assert rows("MATCH (l:Load) RETURN l.id, l.bundle, l.rejected") == [[1, "tiny", 0]]
    assert rows("MATCH (b:Bundle) RETURN b.name") == [["tiny"]]
    assert rows("MATCH (m:Meta) RETURN m.data_version, m._lock") == [[1, None]]
    # the reference relationships follow a changed row, and only the changed rows
    moved = TINY["firms.csv"].replace("phoneco,Phone Co.,手机公司,,,CN-GD-SZ", "phoneco,Phone Co.,"
                                      "手机公司,,,NL")
    load_bundle(store, write_bundle(tmp_path / "b", {"firms.csv": moved}))
    assert rows("MATCH (f:Firm {id: 'phoneco'})-[:LOCATED_IN]->(r) RETURN r.id") == [["NL"]]
    assert rows("MATCH (f:Firm) RETURN f.id, f._load ORDER BY f.id") == [
        ["asml", 1], ["fab", 1], ["phoneco", 2]]
    assert sorted(RELATION_TYPES.values()) == sorted(
        r[0] for r in rows("MATCH ()-[r]->() WITH DISTINCT type(r) AS t "
                           "WHERE t IN ['REQUIRES', 'PRODUCES', 'SUPPLIES'] RETURN t"))


@pytest.mark.neo4j
def test_failed_loads_leave_the_graph_untouched(
    store: Neo4jStore, admin: neo4j.Driver, tiny: Path
) -> None:
    load_bundle(store, tiny)
    store.save_resolutions([("s", "firm", "ASML", "asml")])
    before = graph(admin)
    store.batch_size = 2

    def broken(table: str) -> Iterator[tuple[Any, ...]]:
        if table == "regions":
            for i in range(5):
                yield (f"R{i}", "n", None, "country", None, None, None)
        if table == "firms":
            yield ("asml", "renamed", None, None, None, "R1", 0, None, None, None, None, None)
            yield ("new", "new", None, None, None, "R1", 0, None, None, None, None, None)
            yield ("new2", "new", None, None, None, "R2", 0, None, None, None, None, None)
            raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        store.load(broken, bundle={"name": "x"}, source="s", checksum="c",
                   resolutions=[("s", "firm", "ASML", "new")])
    assert graph(admin) == before
    # a statement failing in the middle (a relationship to a missing node) too
    dangling = source_of({
        "regions": [(f"R{i}", "n", None, "country", None, None, None) for i in range(5)],
        "produces": [("asml", "chip", None, None, None, None, None),
                     ("asml", "nothing", None, None, None, None, None)],
    })
    with pytest.raises(InputError, match="component 'nothing'"):
        store.load(dangling, bundle={"name": "x"}, source="s", checksum="c")
    assert graph(admin) == before
    # and a statement the server refuses (a map is no property value): a wrapped error
    refused = source_of({
        "regions": [(f"R{i}", "n", None, "country", None, None, None) for i in range(5)],
        "firms": [("bad", {"not": "a value"}, None, None, None, "R1", 0, None, None, None,
                   None, None)],
    })
    with pytest.raises(StoreError, match="refused a statement") as caught:
        store.load(refused, bundle={"name": "x"}, source="s", checksum="c")
    assert isinstance(caught.value.__cause__, nx.ClientError)
    assert graph(admin) == before


@pytest.mark.neo4j
def test_write_back_is_not_data(store: Neo4jStore, admin: neo4j.Driver, tmp_path: Path) -> None:
    firms = TINY["firms.csv"].replace("chain_leader\n", "chain_leader,risk_score\n").replace(
        "asml,ASML,阿斯麦,,,NL,false", "asml,ASML,阿斯麦,,,NL,false,theirs")
    folder = write_bundle(tmp_path / "a", {"firms.csv": firms})
    load_bundle(store, folder)
    before = snapshot(store)
    found = store.write_back({
        "firm:fab": {"risk_score": 0.5, "risk_rank": 1, "risk_chain": "phone"},
        "firm:asml": {"risk_score": 0.9, "risk_rank": 2},
        "component:chip": {"spof_targets": 2},
        "region:NL": {"risk_articulation_point": True},
        "firm:nobody": {"risk_score": 1.0},
    })
    assert found == 4
    records, _, _ = admin.execute_query(
        "MATCH (f:Firm) RETURN f.id AS id, f.risk_score AS score, f.risk_rank AS rank "
        "ORDER BY f.id")
    assert [r.values() for r in records] == [["asml", "theirs", 2], ["fab", 0.5, 1],
                                             ["phoneco", None, None]]
    admin.execute_query("MATCH (f:Firm {id: 'fab'}) SET f.colour = 'red'")  # a Bloom user
    assert snapshot(store) == before
    assert load_bundle(store, folder).table("firms").unchanged == 3
    assert store.write_back({"firm:fab": {"risk_score": None}}) == 1
    records, _, _ = admin.execute_query("MATCH (f:Firm {id: 'fab'}) RETURN f.risk_score AS s, "
                                        "f.risk_rank AS r")
    assert records[0].values() == [None, 1]


@pytest.mark.neo4j
def test_reading_a_database_never_loaded(
    store: Neo4jStore, admin: neo4j.Driver
) -> None:
    assert store.data_version() == 0
    assert all(list(store.iter_rows(t)) == [] for t in TABLE_ORDER)
    info = store.info()
    assert sum(info.counts.values()) == 0
    assert (info.bundles, info.chains, info.loads) == ((), (), ())
    clear(admin)
