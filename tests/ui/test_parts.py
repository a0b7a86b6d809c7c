"""The UI's Streamlit-free parts: neighbourhoods and their cap, frames, uploads, strings."""

from __future__ import annotations

import io
import re
import string
import zipfile
from pathlib import Path

import pytest

from chainrisk.errors import UsageError
from chainrisk.graph import DependencyGraph, Kind
from chainrisk.ingest.load import load_bundle
from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from chainrisk.ui import command, frames
from chainrisk.ui.i18n import STRINGS, Tr, default_lang
from chainrisk.ui.neighbourhood import Adjacency, layered, neighbourhood
from chainrisk.ui.uploads import problems_frame, unpack_bundle

UI = Path(__file__).resolve().parents[2] / "chainrisk" / "ui"


def _star(n: int) -> DependencyGraph:
    """A hub firm supplying ``n`` buyers one component each (a wide neighbourhood)."""
    firms = [{"id": "hub", "region": "R"}] + [{"id": f"b{i}", "region": "R"} for i in range(n)]
    return DependencyGraph.from_tables({
        "regions": [{"id": "R", "level": "country"}, {"id": "S", "level": "country"}],
        "firms": firms,
        "components": [{"id": "x"}],
        "produces": [{"firm": "hub", "component": "x"}],
        "supplies": [{"supplier": "hub", "buyer": f"b{i}", "component": "x"} for i in range(n)],
    })


def test_neighbourhood_is_capped_nearest_tiers_first() -> None:
    g = _star(50)
    adj = Adjacency.build(g)
    hood = neighbourhood(adj, g.index["firm:hub"], up=0, down=1, cap=11)
    assert len(hood.tier) == 11
    assert hood.capped
    assert hood.hidden == 51 - 10  # 50 buyers and the component were reached
    assert hood.cut_tier == 1
    whole = neighbourhood(adj, g.index["firm:hub"], up=0, down=1)
    assert not whole.capped
    assert len(whole.tier) == 52


def test_neighbourhood_priority_nodes_survive_the_cap() -> None:
    g = _star(20)
    adj = Adjacency.build(g)
    keep = {g.index["firm:b19"], g.index["firm:b18"]}
    hood = neighbourhood(adj, g.index["firm:hub"], up=0, down=1, cap=3, priority=keep)
    assert set(hood.tier) == {g.index["firm:hub"], *keep}


def test_neighbourhood_region_filter_keeps_firms_located_there() -> None:
    g = DependencyGraph.from_tables({
        "regions": [{"id": "R", "level": "country"}, {"id": "S", "level": "country"}],
        "firms": [{"id": "a", "region": "R"}, {"id": "b", "region": "S"},
                  {"id": "c", "region": "R"}],
        "components": [{"id": "x"}],
        "supplies": [{"supplier": "a", "buyer": "c", "component": "x"},
                     {"supplier": "b", "buyer": "c", "component": "x"}],
    })
    adj = Adjacency.build(g)
    hood = neighbourhood(adj, g.index["firm:c"], up=1, down=0, regions=[g.index["region:S"]])
    assert {g.ids[v] for v in hood.tier} == {"firm:c", "firm:b"}


def test_layered_wraps_long_columns_and_keeps_order() -> None:
    placed = layered({0: list(range(90))}, [], max_rows=40)
    assert sorted({p.x for p in placed.values()}) == [0.0, 1.0, 2.0]
    assert max(p.y for p in placed.values()) - min(p.y for p in placed.values()) < 30


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> RiskService:
    from tests.conftest import BUNDLES

    store = SqliteStore(tmp_path_factory.mktemp("parts") / "ic.db")
    load_bundle(store, BUNDLES / "ic")
    return RiskService(store)


def test_headline_of_the_ic_chain(service: RiskService) -> None:
    head = frames.headline(service, "ic")
    assert head.components == 87
    assert head.targets == 21
    assert head.spofs == head.spof_firms + head.spof_components + head.spof_regions
    assert head.over_65 <= head.with_producers
    assert 0 < (head.foreign_share or 0) < 1


def test_names_follow_the_language(service: RiskService) -> None:
    g = service.graph()
    assert frames.name_by_id(g, "firm:asml", "zh") == "阿斯麦"
    assert frames.name_by_id(g, "firm:asml", "en") == "ASML"
    ranking = frames.ranking_frame(service, "ic", "zh")
    assert ranking.loc[ranking["id"] == "firm:asml", "name"].item() == "阿斯麦"


def test_pickers_find_a_node_by_any_name_people_type(service: RiskService) -> None:
    """The pickers filter on the label (Streamlit's own filter, or ours above
    SEARCH_ABOVE options): a label carries the other language's name and the aliases."""
    from chainrisk.ui.widgets import _matches

    g = service.graph()
    for lang in ("zh", "en"):
        firms = frames.options(g, [Kind.FIRM], lang)
        for typed in ("台积电", "TSMC", "台湾积体电路", "Taiwan Semiconductor"):
            assert "firm:tsmc" in _matches(firms, typed), (lang, typed)
        regions = frames.region_options(g, lang)
        assert "region:JP" in _matches(regions, "日本")
        assert "region:JP" in _matches(regions, "japan")
    zh = frames.options(g, [Kind.FIRM], "zh")["firm:tsmc"]
    assert zh.startswith("台湾积体电路制造股份有限公司 · TW — ")  # the shown name first
    assert zh.count("台积电") == 1  # each name once


def test_chain_map_reads_left_to_right(service: RiskService) -> None:
    nodes, edges = frames.chain_map(service, "ic", "en")
    x = dict(zip(nodes["id"], nodes["x"], strict=True))
    stage = dict(zip(nodes["id"], nodes["stage"], strict=True))
    order = {"upstream": 0, "midstream": 1, "downstream": 2}
    # every BOM link goes right, or stays in its column only inside one stage
    for source, target in zip(edges["source"], edges["target"], strict=True):
        assert x[source] <= x[target]
        assert order[stage[source]] <= order[stage[target]]
    assert nodes["spof"].any()
    assert set(nodes["status"]) <= {"high", "moderate", "unconcentrated", "no_data"}


def test_scenario_lists_every_target(service: RiskService) -> None:
    view = frames.scenario_view(service, "ic", service.simulate(["firm:asml"]), "en")
    assert len(view.targets) == 21
    assert set(view.targets["role"]) == {"end_product", "leader"}
    assert view.targets_hit >= 10  # ASML alone stops 10 of 21 targets (risk-model.md)


def _zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_unpack_refuses_entries_outside_the_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="points outside"):
        unpack_bundle(_zip({"../evil.csv": "x", "bundle.toml": ""}), tmp_path)
    with pytest.raises(UsageError, match=r"no bundle\.toml"):
        unpack_bundle(_zip({"firms.csv": "id"}), tmp_path / "b")
    with pytest.raises(UsageError, match="not a zip"):
        unpack_bundle(b"PK? no", tmp_path / "c")
    folder = unpack_bundle(_zip({"__MACOSX/._x": "", "x/bundle.toml": "name = 'x'"}),
                           tmp_path / "d")
    assert folder == tmp_path / "d" / "x"


def test_problems_come_errors_first(tmp_path: Path) -> None:
    from chainrisk.ingest.report import LoadReport

    report = LoadReport(source="s")
    report.warn("b.csv", "odd", line=2)
    report.error("a.csv", "bad", line=3, column="id", value="?")
    frame = problems_frame(report)
    assert list(frame["severity"]) == ["error", "warning"]


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_string_has_both_languages_with_the_same_fields() -> None:
    for key, (zh, en) in STRINGS.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert _fields(zh) == _fields(en), key


def test_every_key_the_pages_use_exists() -> None:
    used: set[str] = set()
    for path in UI.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""tr(?:\.maybe)?\(\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']""",
                               text))
    missing = sorted(k for k in used if k not in STRINGS)
    assert not missing
    assert len(used) > 200
    # keys built at run time: stages, kinds, bands, statuses, roles, levels, facts
    for prefix, names in {
        "stage": ("upstream", "midstream", "downstream"),
        "kind": ("firm", "component", "region"), "kinds": ("firm", "component", "region"),
        "band": ("high", "moderate", "unconcentrated"),
        "status": ("high", "moderate", "unconcentrated", "no_data", "spof"),
        "role": ("root", "spof", "stops", "other", "end_product", "leader"),
        "level": ("country", "province", "city", "zone"),
        "fact": ("hq", "country", "makes", "suppliers", "customers", "stage", "producers",
                 "inputs", "hhi_country", "lost_with"),
        "page": ("overview", "chain_map", "explorer", "rankings", "whatif", "concentration",
                 "data"),
    }.items():
        for name in names:
            assert f"{prefix}.{name}" in STRINGS, f"{prefix}.{name}"


def test_language_defaults_and_fallback() -> None:
    assert default_lang("en") == "en"
    assert default_lang("zh_CN") == "zh"
    assert Tr("fr").lang == "zh"
    assert Tr("en").maybe("no.such.key", "x") == "x"


def test_the_app_is_served_on_loopback_without_telemetry() -> None:
    line = command()
    assert line[line.index("--server.address") + 1] == "127.0.0.1"
    assert line[line.index("--browser.gatherUsageStats") + 1] == "false"
    assert line[line.index("--server.headless") + 1] == "true"


def test_unpacking_stops_at_the_unpacked_size_limit(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from chainrisk.errors import LimitExceeded

    monkeypatch.setenv("CHAINRISK_MAX_UNPACKED_BYTES", "100")
    data = _zip({"x/bundle.toml": "name = 'x'", "x/firms.csv": "id\n" + "a\n" * 100})
    with pytest.raises(LimitExceeded, match=r"unpacks to more than 100 bytes .* Split the "
                                            r"bundle zip, or set CHAINRISK_MAX_UNPACKED_BYTES "
                                            r"to more than 100"):
        unpack_bundle(data, tmp_path)
    assert not list(tmp_path.iterdir())  # refused before anything was written
    monkeypatch.setenv("CHAINRISK_MAX_UNPACKED_BYTES", "0")
    assert unpack_bundle(data, tmp_path).name == "x"


def test_unpacking_refuses_a_zip_bomb_and_a_damaged_zip(tmp_path: Path) -> None:
    from chainrisk.errors import BundleError, LimitExceeded

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x/bundle.toml", "name = 'x'")
        archive.writestr("x/firms.csv", b"\0" * (64 << 20))  # 64 MiB of NULs, ~1000:1
    with pytest.raises(LimitExceeded, match=r"zip bomb .* zip the bundle folder again"):
        unpack_bundle(buffer.getvalue(), tmp_path / "bomb")
    assert not (tmp_path / "bomb" / "x").exists()

    good = bytearray(_zip({"x/bundle.toml": "name = 'x'", "x/firms.csv": "id\nfab\n" * 50}))
    at = bytes(good).index(b"fab")
    good[at:at + 3] = b"bad"  # the stored bytes no longer match their checksum
    with pytest.raises(BundleError, match=r"not a readable bundle zip .* zip the bundle"):
        unpack_bundle(bytes(good), tmp_path / "damaged")


