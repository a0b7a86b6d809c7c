"""Shared fixtures: a tiny valid bundle written to disk, and a fresh embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chainrisk.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
BUNDLES = ROOT / "loaders" / "bundles"

# A chain small enough to check by hand: a phone needs a chip and a screen; the chip
# needs lithography (EUV or DUV, an OR group). Two countries, one province, one city.
TINY: dict[str, str] = {
    "bundle.toml": 'name = "tiny"\nversion = "1"\nsources = [{id = "t", title = "test"}]\n',
    "regions.csv": (
        "id,name,name_zh,level,parent\n"
        "CN,China,中国,country,\n"
        "NL,Netherlands,荷兰,country,\n"
        "CN-GD,Guangdong,广东省,province,CN\n"
        "CN-GD-SZ,Shenzhen,深圳市,city,CN-GD\n"
    ),
    "firms.csv": (
        "id,name,name_zh,aliases,uscc,region,chain_leader\n"
        "asml,ASML,阿斯麦,,,NL,false\n"
        "fab,Fab Co.,晶圆厂,Fab;晶圆,91350100M000100Y43,CN-GD-SZ,false\n"
        "phoneco,Phone Co.,手机公司,,,CN-GD-SZ,true\n"
    ),
    "chains.csv": "id,name,name_zh,chief,leader_firms\nphone,Phones,手机,Chief,phoneco\n",
    "components.csv": (
        "id,name,name_zh,chains,stage,category,end_product\n"
        "euv,EUV scanner,极紫外光刻机,phone,upstream,equipment,false\n"
        "duv,DUV scanner,深紫外光刻机,phone,upstream,equipment,false\n"
        "chip,Chip,芯片,phone,midstream,chip,false\n"
        "phone,Phone,手机,phone,downstream,device,true\n"
    ),
    "requires.csv": (
        "product,input,group,quantity\n"
        "chip,euv,litho,\n"
        "chip,duv,litho,\n"
        "phone,chip,,2\n"
    ),
    "produces.csv": (
        "firm,component,share,capacity,site_region,source\n"
        "asml,euv,100%,,,t\n"
        "asml,duv,0.9,,,t\n"
        "fab,chip,,,,t\n"
        "phoneco,phone,0.2,,CN-GD,t\n"
    ),
    "supplies.csv": (
        "supplier,buyer,component,share,volume,since,source\n"
        "asml,fab,euv,1,,2019,t\n"
        "fab,phoneco,chip,,\"1,000\",2020-05,t\n"
    ),
}


def write_bundle(folder: Path, files: dict[str, str | bytes | None]) -> Path:
    """Write TINY with ``files`` overriding (None removes a file); return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    merged: dict[str, str | bytes | None] = {**TINY, **files}
    for name, content in merged.items():
        if content is None:
            continue
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Return the folder of a valid tiny bundle."""
    return write_bundle(tmp_path / "tiny", {})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    """Return an empty embedded store in a temporary file."""
    s = SqliteStore(tmp_path / "store.db")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test's default store and reports out of the user's real data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("CHAINRISK_STORE", f"sqlite:///{tmp_path / 'default.db'}")


@pytest.fixture(scope="session")
def neo4j_server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder the session's Neo4j test server keeps its data and logs in."""
    return tmp_path_factory.mktemp("neo4j-server")


@pytest.fixture(scope="session")
def neo4j_server(neo4j_server_dir: Path) -> Iterator[tuple[str, str]]:
    """Return (uri, password) of the real Neo4j test server, started once per session.

    Uses the server named by CHAINRISK_TEST_NEO4J_URI when set; otherwise starts one
    with scripts/neo4j-test-server. Never skips: a server that cannot start fails.
    """
    from tests.neo4j_server import running_neo4j

    with running_neo4j(neo4j_server_dir) as (uri, password):
        yield uri, password
