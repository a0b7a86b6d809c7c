"""The service as the one front door: data operations, store capabilities, readers, and
the rule that the command line and the app reach loaders and stores only through it."""

from __future__ import annotations

import ast
import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from chainrisk.errors import UsageError
from chainrisk.readers import read_resolutions, read_scenario, read_weight_overrides, read_weights
from chainrisk.service import HasSchema, RiskService, WritesBack
from chainrisk.store.base import WriteBackValue
from chainrisk.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
FRONT_ENDS = [ROOT / "chainrisk" / "cli", ROOT / "chainrisk" / "ui"]


def _imported(path: Path) -> set[str]:
    """Return every module ``path`` imports (at the top or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


@pytest.mark.parametrize("folder", FRONT_ENDS, ids=lambda p: p.name)
def test_front_ends_reach_loaders_and_stores_only_through_the_service(folder: Path) -> None:
    wrong = {f"{path.relative_to(ROOT)}: {module}"
             for path in folder.rglob("*.py") for module in _imported(path)
             if module.startswith(("chainrisk.ingest", "chainrisk.store"))}
    assert not wrong


def test_the_embedded_store_neither_writes_back_nor_applies_a_schema(
    store: SqliteStore,
) -> None:
    assert not isinstance(store, WritesBack)
    assert not isinstance(store, HasSchema)
    service = RiskService(store)
    assert service.apply_schema() == []
    assert not service.has_schema()


def test_a_store_is_asked_what_it_can_do_not_which_backend_it_is() -> None:
    class Graphy:
        url = "graph://test"

        def write_back(self, rows: Mapping[str, Mapping[str, WriteBackValue]]) -> int:
            return len(rows)

        def apply_schema(self) -> list[str]:
            return ["CREATE CONSTRAINT x"]

    graphy = Graphy()
    assert isinstance(graphy, WritesBack)
    assert isinstance(graphy, HasSchema)
    assert RiskService(graphy).apply_schema() == ["CREATE CONSTRAINT x"]  # type: ignore[arg-type]


def test_write_back_to_the_embedded_store_is_refused_with_its_remedy(
    store: SqliteStore, tiny: Path,
) -> None:
    service = RiskService(store)
    service.load_bundle(tiny)
    chain = next(iter(service.graph().chains))
    with pytest.raises(UsageError, match="--write-back writes scores into Neo4j"):
        service.write_back(service.rank(chain))


def test_load_dump_and_copy_through_the_service(store: SqliteStore, tiny: Path,
                                                tmp_path: Path) -> None:
    service = RiskService(store)
    report = service.load_bundle(tiny, dry_run=True)
    assert not report.errors
    assert not service.chain_ids()  # a dry run writes nothing
    service.load_bundle(tiny)
    assert service.chain_ids()
    written = service.dump(tmp_path / "dumped")
    assert written["firms"] == service.info().counts["firms"]
    records = service.copy_to(f"sqlite:///{tmp_path / 'copy.db'}")
    assert sum(r.changed for r in records) > 0
    copied = RiskService.open(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        assert copied.info().counts == service.info().counts
    finally:
        copied.close()


def test_resolutions_round_trip_through_the_service(store: SqliteStore, tmp_path: Path) -> None:
    service = RiskService(store)
    path = tmp_path / "resolutions.csv"
    path.write_text("source,kind,written,id\nlist.csv,firm,'=Acme,acme\n", encoding="utf-8")
    assert service.import_resolutions(path) == 1
    assert service.resolutions() == [("list.csv", "firm", "=Acme", "acme")]
    out = io.StringIO()
    assert service.export_resolutions(out) == 1
    assert out.getvalue() == ("source,kind,written,id,name,name_zh\n"
                              "list.csv,firm,'=Acme,acme,,\n")
    assert service.export_resolutions(tmp_path / "out.csv") == 1
    assert read_resolutions(tmp_path / "out.csv") == service.resolutions()


def test_readers_say_what_is_wrong(tmp_path: Path) -> None:
    weights = tmp_path / "w.yaml"
    weights.write_text("output_lost: 0.5\n", encoding="utf-8")
    assert read_weights(weights) == {"output_lost": 0.5}
    assert read_weight_overrides(["spof=2"], {"spof": 1}) == {"spof": 2.0}
    with pytest.raises(UsageError, match="--weight takes NAME=NUMBER"):
        read_weight_overrides(["spof"])
    with pytest.raises(UsageError, match="cannot read the weights file"):
        read_weights(tmp_path / "none.toml")
    scenario = tmp_path / "s.json"
    scenario.write_text('{"disrupt": ["region:NL"]}', encoding="utf-8")
    assert read_scenario(scenario) == ["region:NL"]
    scenario.write_text('{"nothing": 1}', encoding="utf-8")
    with pytest.raises(UsageError, match="must hold"):
        read_scenario(scenario)
    bad = tmp_path / "r.csv"
    bad.write_text("source,kind,written,id\ns,place,x,y\n", encoding="utf-8")
    with pytest.raises(UsageError, match="line 2: kind must be firm, component or region"):
        read_resolutions(bad)
