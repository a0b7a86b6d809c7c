"""One truth on every surface: the app, the CLI and the workbook show the same numbers.

For each sample chain and a generated 10k-firm chain, the figures are read the way a
user meets them — the overview's metrics and its list of single points of failure, the
chain map's summary line, the rankings table per kind (and with "only single points of
failure" on), the explorer's count for an end product, through AppTest; `chainrisk
overview`, `rank`, `spof` and `concentration` as JSON; the exported workbook read back
with openpyxl — and asserted equal. Nothing here recomputes an answer: each number comes
from a surface.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from chainrisk.cli import main
from chainrisk.generate import generate_bundle
from chainrisk.ingest.load import load_bundle
from chainrisk.store.sqlite import SqliteStore
from tests.ui.conftest import PAGES, AppFactory


def _cli(store: Path, *args: str) -> Any:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--store", f"sqlite:///{store}", *args], out, err)
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _frame(at: AppTest, *columns: str) -> Any:
    for element in at.dataframe:
        if set(columns) <= set(element.value.columns):
            return element.value
    raise AssertionError(f"no table with columns {columns}")


def _caption(at: AppTest, pattern: str) -> re.Match[str]:
    for caption in at.caption:
        found = re.search(pattern, caption.value)
        if found:
            return found
    raise AssertionError(f"no caption matching {pattern!r}: {[c.value for c in at.caption]}")


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a store holding a generated chain of 10,000 firms."""
    folder = tmp_path_factory.mktemp("gen")
    generate_bundle(folder / "bundle", firms=10_000, seed=1)
    store = SqliteStore(folder / "g.db")
    try:
        load_bundle(store, folder / "bundle")
    finally:
        store.close()
    return folder / "g.db"


def _app_figures(at: AppTest, chain: str) -> dict[str, Any]:
    """Return the figures the app shows for ``chain`` on overview, chain map, rankings,
    explorer."""
    at.selectbox(key="chain").set_value(chain).run()
    _open(at, "overview")
    metrics = {m.label: m.value for m in at.metric}
    spof_table = _frame(at, "targets_stopped", "targets")
    figures: dict[str, Any] = {
        "firms": int(metrics["Firms"].replace(",", "")),
        "components": int(metrics["Components"].replace(",", "")),
        "countries": int(metrics["Countries"].replace(",", "")),
        "spofs": int(metrics["Single points of failure"].replace(",", "")),
        "spof_list": set(spof_table["id"]),
    }
    _open(at, "chain-map")
    found = _caption(at, r"([\d,]+) components, ([\d,]+) of them single points of failure; "
                         r"([\d,]+) more")
    figures["map_components"], figures["map_spofs"], figures["map_outside"] = (
        int(found.group(i).replace(",", "")) for i in (1, 2, 3))
    _open(at, "rankings")
    for kind in ("firm", "component", "region"):
        at.segmented_control(key="rank_kind").set_value(kind)
        at.toggle(key="rank_only_critical").set_value(False)
        at.run()
        total = _caption(at, r"([\d,]+) of ([\d,]+) rows shown")
        figures[f"rank_{kind}"] = int(total.group(2).replace(",", ""))
        at.toggle(key="rank_only_critical").set_value(True).run()
        shown = _caption(at, r"([\d,]+) of ([\d,]+) rows shown")
        figures[f"rank_{kind}_spof"] = int(shown.group(1).replace(",", ""))
    return figures


def _explorer_count(at: AppTest, node_id: str) -> int:
    _open(at, "explorer")
    at.selectbox(key="explorer_node").set_value(node_id)
    at.slider(key="explorer_up").set_value(1)
    at.slider(key="explorer_down").set_value(0)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    for block in at.markdown:
        found = re.search(r"Its single points of failure \(([\d,]+)\)", block.value)
        if found:
            listed = _frame(at, "name", "kind", "id")
            assert len(listed) == int(found.group(1))  # the whole list, not the first dozen
            return int(found.group(1).replace(",", ""))
    return 0


def _workbook(store: Path, chain: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{chain}.xlsx"
    assert main(["--store", f"sqlite:///{store}", "export", "--chain", chain, "--out",
                 str(out)], io.StringIO(), io.StringIO()) == 0
    book = openpyxl.load_workbook(out, read_only=True)
    spof_rows = list(book["Single points of failure"].iter_rows(min_row=1, values_only=True))
    at = spof_rows[0].index("Single point of failure id")
    return {
        "firms": sum(1 for _ in book["Firms"].iter_rows(min_row=2)),
        "components": sum(1 for _ in book["Components"].iter_rows(min_row=2)),
        "regions": sum(1 for _ in book["Regions"].iter_rows(min_row=2)),
        "spof_list": {row[at] for row in spof_rows[1:]},
    }


def _check(store: Path, chain: str, at: AppTest, tmp_path: Path) -> None:
    app = _app_figures(at, chain)
    overview = _cli(store, "overview", "--chain", chain, "--format", "json")
    head = overview["headline"]
    ranked = _cli(store, "rank", "--chain", chain, "--format", "json")["rows"]
    conc = _cli(store, "concentration", "--chain", chain, "--format", "json")["components"]
    book = _workbook(store, chain, tmp_path)
    cli_spofs = {s["id"] for s in overview["spofs"]}

    # headline: overview metrics = CLI
    assert (app["firms"], app["components"], app["countries"], app["spofs"]) == (
        head["firms"], head["components"], head["countries"], head["spofs"])
    # the full list of single points of failure: app = CLI = workbook
    assert app["spof_list"] == cli_spofs == book["spof_list"]
    assert len(cli_spofs) == head["spofs"] > 0
    # chain map: its components, and the split of single-point components in / out
    inside = sum(1 for s in overview["spofs"] if s["kind"] == "component" and s["member"])
    assert app["map_components"] == head["components"]
    assert (app["map_spofs"], app["map_outside"]) == (
        inside, head["spof_components"] - inside)
    # rankings: rows per kind and single points of failure per kind, app = CLI = workbook
    for kind in ("firm", "component", "region"):
        rows = [r for r in ranked if r["kind"] == kind]
        assert app[f"rank_{kind}"] == len(rows), kind
        assert app[f"rank_{kind}_spof"] == sum(1 for r in rows if r["spof"]), kind
        assert app[f"rank_{kind}_spof"] == head[f"spof_{kind}s"], kind
    assert book["firms"] == app["rank_firm"]
    assert book["regions"] == app["rank_region"]
    # the chain's firms are counted once, on every surface: members, never outside customers
    firm_roles = ("leader", "producer", "distributor")
    assert sum(1 for r in ranked if r["role"] in firm_roles) == head["firms"]
    # a firm outside the chain (an outside customer among them) is ranked only as a
    # single point of failure of the chain
    assert all(r["spof"] for r in ranked if r["role"] in ("outside", "customer"))
    # components with producer data: overview's denominator = CLI = workbook
    assert len(conc) == head["with_producers"] == book["components"]
    # explorer: an end product's single points of failure = `spof --target`
    target = next(t for s in overview["spofs"] for t in s["targets"]
                  if t.startswith("component:"))
    expected = len(_cli(store, "spof", "--target", target, "--format", "json")["nodes"][target])
    assert _explorer_count(at, target) == expected > 0


@pytest.mark.parametrize("chain", ["ic", "5g"])
def test_sample_chains_agree_on_every_surface(make_app: AppFactory, sample_store: Path,
                                              chain: str, tmp_path: Path) -> None:
    _check(sample_store, chain, make_app(), tmp_path)


def test_a_generated_10k_chain_agrees_on_every_surface(
        make_app: AppFactory, generated_store: Path, tmp_path: Path) -> None:
    _check(generated_store, "ic", make_app(store=generated_store), tmp_path)
