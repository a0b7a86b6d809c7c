"""The real Neo4j test server (scripts/neo4j-test-server) works with the Python driver.

Never skipped: without a server given through CHAINRISK_TEST_NEO4J_URI it starts one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from neo4j.exceptions import AuthError

from tests.neo4j_server import URI_ENV, USER

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def server(neo4j_server: tuple[str, str]) -> tuple[str, str]:
    return neo4j_server


@pytest.fixture(scope="module")
def driver(server: tuple[str, str]) -> Iterator[neo4j.Driver]:
    uri, password = server
    with neo4j.GraphDatabase.driver(uri, auth=(USER, password)) as drv:
        yield drv


def test_server_listens_on_loopback_bolt(server: tuple[str, str]) -> None:
    uri, password = server
    assert uri.startswith("bolt://127.0.0.1:")
    assert int(uri.rsplit(":", 1)[1]) > 0
    assert password


def test_return_one(driver: neo4j.Driver) -> None:
    records, _, _ = driver.execute_query("RETURN 1 AS x")
    assert [r["x"] for r in records] == [1]


def test_create_and_read_a_node(driver: neo4j.Driver) -> None:
    key = "test_neo4j_server"
    driver.execute_query("MATCH (n:ServerCheck {key: $key}) DELETE n", key=key)
    driver.execute_query(
        "CREATE (:ServerCheck {key: $key, name: $name, share: $share})",
        key=key,
        name="晶圆厂",
        share=0.25,
    )
    records, _, _ = driver.execute_query(
        "MATCH (n:ServerCheck {key: $key}) RETURN n.name AS name, n.share AS share", key=key
    )
    assert [(r["name"], r["share"]) for r in records] == [("晶圆厂", 0.25)]
    driver.execute_query("MATCH (n:ServerCheck {key: $key}) DELETE n", key=key)


def test_wrong_password_is_refused(server: tuple[str, str]) -> None:
    uri, password = server
    with (
        neo4j.GraphDatabase.driver(uri, auth=(USER, password + "-wrong")) as wrong,
        pytest.raises(AuthError),
    ):
        wrong.verify_connectivity()


def test_right_password_still_works_after_a_refusal(server: tuple[str, str]) -> None:
    # A refused login must not lock the test user out (auth lockout is off).
    uri, password = server
    for _ in range(4):
        with (
            neo4j.GraphDatabase.driver(uri, auth=(USER, "not-" + password)) as wrong,
            pytest.raises(AuthError),
        ):
            wrong.verify_connectivity()
    with neo4j.GraphDatabase.driver(uri, auth=(USER, password)) as right:
        right.verify_connectivity()


def test_server_files_stay_in_the_data_folder(
    server: tuple[str, str], neo4j_server_dir: Path
) -> None:
    if os.environ.get(URI_ENV):  # a server given from outside: nothing local to check
        return
    data = neo4j_server_dir / "neo4j"
    assert (data / "logs" / "debug.log").is_file()
    assert (data / "server.log").is_file()
    # the initial-password file is read once at creation and then removed
    assert not (data / "data" / "dbms" / "auth.ini").exists()
