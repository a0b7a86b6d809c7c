"""Fixtures the store suites share."""

from __future__ import annotations

from collections.abc import Iterator

import neo4j
import pytest

from tests.neo4j_server import USER


@pytest.fixture(scope="module")
def neo4j_admin(neo4j_server: tuple[str, str]) -> Iterator[neo4j.Driver]:
    """Return a plain driver on the test server, to empty and inspect it."""
    uri, password = neo4j_server
    with neo4j.GraphDatabase.driver(uri, auth=(USER, password)) as driver:
        yield driver
