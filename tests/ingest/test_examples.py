"""The example supplier lists shipped in loaders/examples import as the README says."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainrisk.errors import ValidationFailed
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.suppliers import import_suppliers
from chainrisk.schema import OnError
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import BUNDLES, ROOT

EXAMPLES = ROOT / "loaders" / "examples"


@pytest.fixture
def chains(tmp_path: Path) -> SqliteStore:
    store = SqliteStore(tmp_path / "chains.db")
    load_bundle(store, BUNDLES / "ic")
    load_bundle(store, BUNDLES / "5g")
    return store


def test_zte_list_gb18030_with_bad_rows(chains: SqliteStore) -> None:
    path = EXAMPLES / "zte-2026q1-suppliers.csv"
    before = list(chains.iter_rows("supplies"))
    with pytest.raises(ValidationFailed) as caught:
        import_suppliers(chains, [path], buyer="zte")
    assert {(e.line, e.column) for e in caught.value.report.errors} == {
        (13, "供应商名称"), (14, "采购占比")
    }
    assert list(chains.iter_rows("supplies")) == before
    report = import_suppliers(chains, [path], buyer="zte", on_error=OnError.SKIP)
    assert (report.read, report.loaded, report.rejected, report.merged) == (10, 7, 2, 1)
    # 0.40 (高通) and 60 (Xilinx) in one share column: read as 40 % and 60 %, but said
    (mixed,) = report.load.warnings
    assert mixed.code == "sheet.share_mixed"
    assert (mixed.params["small_rows"], mixed.params["large_rows"]) == ("6", "7")
    supplies = {(r["supplier"], r["component"]) for r in chains.iter_rows("supplies")
                if r["buyer"] == "zte"}
    # existing firms found by Chinese name, alias and English name
    assert {"hisilicon", "qualcomm", "amd", "rogers"} <= {s for s, _ in supplies}
    assert [name for _, name in report.created["firms"]] == ["某某精密结构件厂"]


def test_huawei_workbook_two_sheets(chains: SqliteStore) -> None:
    report = import_suppliers(chains, [EXAMPLES / "huawei-2026-suppliers.xlsx"], buyer="华为")
    assert (report.read, report.loaded, report.rejected, report.merged) == (6, 6, 0, 0)
    assert set(report.columns) == {"huawei-2026-suppliers.xlsx[光模块]",
                                   "huawei-2026-suppliers.xlsx[射频]"}
    buyers = {r["buyer"] for r in chains.iter_rows("supplies")
              if r["source"] == "import:huawei-2026-suppliers.xlsx"}
    assert buyers == {"huawei"}
    assert any(s[2] == "sumitomo-electric" for s in report.suggestions)
    again = import_suppliers(chains, [EXAMPLES / "huawei-2026-suppliers.xlsx"], buyer="华为")
    assert all(c.inserted == c.updated == 0 for c in again.load.counts.values())
