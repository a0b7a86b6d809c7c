"""The same bundles in either store give the same analysis answers, to the last digit.

Two datasets, each loaded once into a SqliteStore and into the real Neo4j: the shipped
IC and 5G bundles loaded together, and a generated 5,000-firm bundle. The compiled
graphs must be equal array for array, and the service's answers equal as JSON.

On the generated bundle the ranking is compared for the components and regions of one
chain: a firm ranking of 5,000 firms takes about 30 s per chain and per store on the
2-core test machine, and the equal graphs already guarantee it (the analyses are pure
functions of the graph; the full ranking of every chain is compared on IC + 5G).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import neo4j
import numpy as np
import pytest

from chainrisk.generate import generate_bundle
from chainrisk.ingest.load import load_bundle
from chainrisk.service import RiskService
from chainrisk.store.neo4j import Neo4jStore
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import BUNDLES
from tests.neo4j_server import USER
from tests.store.test_contract import clear, open_neo4j

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

GENERATED_SEED = 11


@dataclasses.dataclass
class Pair:
    name: str
    embedded: RiskService
    graph_db: RiskService


@pytest.fixture(scope="module")
def admin(neo4j_server: tuple[str, str]) -> Iterator[neo4j.Driver]:
    uri, password = neo4j_server
    with neo4j.GraphDatabase.driver(uri, auth=(USER, password)) as driver:
        yield driver


@pytest.fixture(scope="module", params=["ic+5g", "generated-5k"])
def pair(
    request: pytest.FixtureRequest,
    neo4j_server: tuple[str, str],
    admin: neo4j.Driver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pair]:
    """Return services over the same bundles in an embedded store and in Neo4j."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "ic+5g":
        folders = [BUNDLES / "ic", BUNDLES / "5g"]
    else:
        folders = [generate_bundle(tmp / "bundle", 5000, seed=GENERATED_SEED).out_dir]
    embedded = SqliteStore(tmp / "store.db")
    graph_db: Neo4jStore = open_neo4j(neo4j_server, admin)
    for store in (embedded, graph_db):
        for folder in folders:
            load_bundle(store, folder)
    yield Pair(request.param, RiskService(embedded), RiskService(graph_db))
    embedded.close()
    graph_db.close()
    clear(admin)


def same(a: Any, b: Any) -> bool:
    """Return whether two answers are equal to the last digit (NaN equal to NaN)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True,
                                                                     default=str)


def test_compiled_graphs_are_equal(pair: Pair) -> None:
    a, b = pair.embedded.graph(), pair.graph_db.graph()
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, f.name
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f.name
        else:
            assert x == y, f.name
    assert a.n_nodes > 500


def test_single_points_of_failure_are_equal(pair: Pair) -> None:
    assert same(pair.embedded.spof().to_json(), pair.graph_db.spof().to_json())


def disruptions(service: RiskService) -> list[list[str]]:
    """Return a few disruptions found in the data: a country, a maker and what it makes,
    and the first targets of a chain."""
    produces = next(service.store.iter_rows("produces"))
    targets = service.chain_targets(sorted(service.graph().chains)[0])
    return [["region:NL"], [f"firm:{produces['firm']}", f"component:{produces['component']}"],
            targets[:2]]


def test_cascades_are_equal(pair: Pair) -> None:
    cases = disruptions(pair.embedded)
    assert cases == disruptions(pair.graph_db)
    for disrupt in cases:
        a = pair.embedded.simulate(disrupt).to_json()
        b = pair.graph_db.simulate(disrupt).to_json()
        assert same(a, b), disrupt
        assert a["failed"] or a["output"], disrupt


def test_rankings_are_equal(pair: Pair) -> None:
    kinds: list[str | None] = [None] if pair.name == "ic+5g" else ["component", "region"]
    chains = sorted(pair.embedded.graph().chains)
    assert chains == sorted(pair.graph_db.graph().chains)
    assert len(chains) >= 2
    for chain in chains if pair.name == "ic+5g" else chains[:1]:
        for kind in kinds:
            a = pair.embedded.rank(chain, kind=kind).to_frame()
            b = pair.graph_db.rank(chain, kind=kind).to_frame()
            assert a.equals(b), (chain, kind)
            assert same(a.to_dict("records"), b.to_dict("records")), (chain, kind)
            assert len(a) > 10
