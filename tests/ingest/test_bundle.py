"""Bundle validation: every broken input gets one report naming each problem's place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainrisk.errors import BundleError, ValidationFailed
from chainrisk.ingest.bundle import read_bundle
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.report import LoadReport
from chainrisk.schema import OnError
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import TINY, write_bundle


def failed(store: SqliteStore, folder: Path, **kwargs: object) -> LoadReport:
    """Return the report of a load that must fail, after checking the store is untouched."""
    before = [list(store.iter_rows(t)) for t in ("regions", "firms", "produces")]
    with pytest.raises(ValidationFailed) as caught:
        load_bundle(store, folder, **kwargs)  # type: ignore[arg-type]
    assert [list(store.iter_rows(t)) for t in ("regions", "firms", "produces")] == before
    return caught.value.report


def places(report: LoadReport) -> set[tuple[str, int | None, str | None]]:
    return {(p.file, p.line, p.column) for p in report.errors}


def test_valid_bundle_has_no_problems(tiny: Path) -> None:
    with read_bundle(tiny) as staged:
        assert staged.report.ok, staged.report.to_text()
        assert staged.report.warnings == []
        assert staged.meta.name == "tiny"
        assert staged.report.table("firms").accepted == 3
        rows = list(staged.accepted_rows("supplies"))
        # volume "1,000" is normalised to a number, since "2020-05" kept as a month
        assert rows[1][4] == 1000.0
        assert rows[1][5] == "2020-05"


def test_missing_column_is_one_clear_error(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(tmp_path / "b", {"firms.csv": "id,nme,region\nx,X,CN\n"})
    report = failed(store, folder)
    [error] = [e for e in report.errors if e.file == "firms.csv"]
    assert error.line == 1
    assert "missing required column(s): name" in error.reason
    assert "'nme'" in error.reason  # the close match is pointed out


def test_dangling_reference_names_row_and_column(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {"supplies.csv": TINY["supplies.csv"] + "ghost,fab,euv,,,,\n"},
    )
    report = failed(store, folder)
    assert places(report) == {("supplies.csv", 4, "supplier")}
    assert "unknown firm 'ghost'" in report.errors[0].reason


def test_share_over_100_percent(tmp_path: Path, store: SqliteStore) -> None:
    produces = TINY["produces.csv"].replace("asml,duv,0.9", "asml,duv,150%")
    report = failed(store, write_bundle(tmp_path / "b", {"produces.csv": produces}))
    [error] = report.errors
    assert (error.file, error.line, error.column, error.value) == (
        "produces.csv", 3, "share", "150%"
    )


def test_gb18030_file_suggests_the_encoding(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(tmp_path / "b", {"firms.csv": TINY["firms.csv"].encode("gb18030")})
    report = failed(store, folder)
    [error] = report.errors
    assert error.file == "firms.csv"
    assert "--encoding gb18030" in error.reason
    # a bundle saved wholly in GB18030 loads when the encoding is named
    gbk = write_bundle(
        tmp_path / "gbk",
        {name: text.encode("gb18030") for name, text in TINY.items() if name.endswith(".csv")},
    )
    load_bundle(store, gbk, encoding="gb18030")
    assert {r["name_zh"] for r in store.iter_rows("firms")} == {"阿斯麦", "晶圆厂", "手机公司"}


def test_empty_file(tmp_path: Path, store: SqliteStore) -> None:
    report = failed(store, write_bundle(tmp_path / "b", {"components.csv": ""}))
    [error] = report.errors
    assert error.file == "components.csv"
    assert "empty" in error.reason


def test_header_only_relation_file_is_no_rows(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(tmp_path / "b", {"supplies.csv": "supplier,buyer,component\n"})
    report = load_bundle(store, folder)
    assert report.table("supplies").read == 0


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"PK\x03\x04" + b"\x00" * 100, "Excel workbook"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, ".xls"),
        (b"id,name\x00\x01\x02", "binary"),
    ],
)
def test_binary_files(tmp_path: Path, store: SqliteStore, content: bytes, needle: str) -> None:
    report = failed(store, write_bundle(tmp_path / "b", {"firms.csv": content}))
    assert needle in report.errors[0].reason


def test_missing_required_file(tmp_path: Path, store: SqliteStore) -> None:
    report = failed(store, write_bundle(tmp_path / "b", {"regions.csv": None}))
    assert report.errors[0].file == "regions.csv"
    assert "required file is missing" in report.errors[0].reason


def test_missing_optional_file_means_no_rows(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(tmp_path / "b", {"supplies.csv": None, "chains.csv": None,
                                           "components.csv": TINY["components.csv"].replace(
                                               ",phone,", ",,")})
    report = load_bundle(store, folder)
    assert report.ok
    assert report.table("supplies").read == 0


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        read_bundle(tmp_path / "nowhere")
    (tmp_path / "file.csv").write_text("x")
    with pytest.raises(BundleError, match="is a file"):
        read_bundle(tmp_path / "file.csv")


def test_duplicate_key_names_both_lines(tmp_path: Path, store: SqliteStore) -> None:
    firms = TINY["firms.csv"] + "asml,ASML again,,,,NL,false\n"
    report = failed(store, write_bundle(tmp_path / "b", {"firms.csv": firms}))
    [error] = report.errors
    assert error.line == 5
    assert "already given on line 2" in error.reason


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "firms.csv": TINY["firms.csv"] + "bad id,X,,,,CN,maybe\nnew,New,,,123,CN,\n",
            "produces.csv": TINY["produces.csv"] + "fab,euv,61,,,t\n",
        },
    )
    report = failed(store, folder)
    assert places(report) == {
        ("firms.csv", 5, "id"),
        ("firms.csv", 5, "chain_leader"),
        ("firms.csv", 6, "uscc"),
        ("produces.csv", 6, "share"),
    }
    assert len(report.rejected_rows) == 3


def test_percent_column_declared_in_bundle_toml(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "bundle.toml": TINY["bundle.toml"] + 'percent_columns = ["produces.share"]\n',
            "produces.csv": TINY["produces.csv"].replace("asml,duv,0.9", "asml,duv,90"),
        },
    )
    load_bundle(store, folder)
    shares = {(r["firm"], r["component"]): r["share"] for r in store.iter_rows("produces")}
    assert shares[("asml", "duv")] == pytest.approx(0.9)
    assert shares[("asml", "euv")] == pytest.approx(1.0)


def test_skip_loads_good_rows_and_writes_rejects(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {"supplies.csv": TINY["supplies.csv"] + "ghost,fab,euv,,,,note\n"},
    )
    report = load_bundle(store, folder, on_error=OnError.SKIP)
    assert report.loaded
    assert report.table("supplies").accepted == 2
    assert report.table("supplies").rejected == 1
    assert len(list(store.iter_rows("supplies"))) == 2
    paths = report.write(tmp_path / "report")
    rejects = (tmp_path / "report" / "rejects.csv").read_text(encoding="utf-8-sig")
    assert tmp_path / "report" / "rejects.csv" in paths
    assert "supplies.csv,4," in rejects
    assert "ghost" in rejects
    assert "note" in rejects
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    assert data["counts"]["supplies"]["rejected"] == 1


def test_rejected_firm_rejects_rows_pointing_at_it(tmp_path: Path, store: SqliteStore) -> None:
    firms = TINY["firms.csv"].replace("NL,false", "NL,perhaps")
    report = load_bundle(store, write_bundle(tmp_path / "b", {"firms.csv": firms}),
                         on_error=OnError.SKIP)
    reasons = [e.reason for e in report.errors if e.file == "produces.csv"]
    assert reasons
    assert all("was rejected (firms.csv line 2)" in r for r in reasons)
    assert not any(r["firm"] == "asml" for r in store.iter_rows("produces"))


def test_unreadable_file_stops_even_with_skip(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(tmp_path / "b", {"firms.csv": "id,region\nx,CN\n"})
    report = failed(store, folder, on_error=OnError.SKIP)
    # rows pointing into the unreadable file are not each blamed for it
    assert [e.file for e in report.errors] == ["firms.csv"]


def test_region_rules(tmp_path: Path, store: SqliteStore) -> None:
    regions = TINY["regions.csv"] + (
        "CN-XX,Nowhere,,province,\n"
        "China,China again,,country,\n"
        "A1,A,,city,B1\n"
        "B1,B,,city,A1\n"
        "C1,C,,city,A1\n"
    )
    report = failed(store, write_bundle(tmp_path / "b", {"regions.csv": regions}))
    assert places(report) == {
        ("regions.csv", 6, "parent"),
        ("regions.csv", 7, "id"),
        ("regions.csv", 8, "parent"),
        ("regions.csv", 9, "parent"),
        ("regions.csv", 10, "parent"),  # its parent is in the cycle, so it goes too
    }


def test_self_references(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "requires.csv": TINY["requires.csv"] + "chip,chip,,\n",
            "supplies.csv": TINY["supplies.csv"] + "fab,fab,chip,,,,\n",
        },
    )
    assert places(failed(store, folder)) == {
        ("requires.csv", 5, "input"),
        ("supplies.csv", 4, "buyer"),
    }


def test_list_references(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "chains.csv": TINY["chains.csv"] + "car,Cars,,,phoneco;nobody\n",
            "components.csv": TINY["components.csv"].replace(
                "极紫外光刻机,phone", "极紫外光刻机,phone;bike"
            ),
        },
    )
    report = failed(store, folder)
    assert places(report) == {
        ("chains.csv", 3, "leader_firms"),
        ("components.csv", 2, "chains"),
        # rows about the rejected component go with it
        ("requires.csv", 2, "input"),
        ("produces.csv", 2, "component"),
        ("supplies.csv", 2, "component"),
    }


def test_unknown_columns_are_kept(tmp_path: Path, store: SqliteStore) -> None:
    firms = TINY["firms.csv"].replace("chain_leader\n", "chain_leader,Website\n").replace(
        "asml,ASML,阿斯麦,,,NL,false", "asml,ASML,阿斯麦,,,NL,false,asml.com"
    )
    report = load_bundle(store, write_bundle(tmp_path / "b", {"firms.csv": firms}))
    assert any("website" in w.reason for w in report.warnings)
    asml = next(r for r in store.iter_rows("firms") if r["id"] == "asml")
    assert asml["website"] == "asml.com"
    assert store.extra_columns("firms") == ["website"]


def test_references_may_point_into_the_store(tmp_path: Path, store: SqliteStore) -> None:
    load_bundle(store, write_bundle(tmp_path / "a", {}))
    extra = write_bundle(
        tmp_path / "b",
        {
            "regions.csv": "id,name,level,parent\n",
            "firms.csv": "id,name,region\nnewfab,New Fab,CN-GD\n",
            "components.csv": "id,name\n",
            "chains.csv": None,
            "requires.csv": None,
            "produces.csv": "firm,component,share\nnewfab,chip,0.3\n",
            "supplies.csv": "supplier,buyer,component\nasml,newfab,euv\n",
        },
    )
    report = load_bundle(store, extra)
    assert report.ok, report.to_text()
    assert report.table("firms").inserted == 1


def test_data_quality_warnings(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(
        tmp_path / "b",
        {
            "produces.csv": TINY["produces.csv"] + "fab,euv,0.5,,,t\n",
            "supplies.csv": TINY["supplies.csv"] + "phoneco,fab,duv,,,,\n",
        },
    )
    report = load_bundle(store, folder)
    texts = [w.reason for w in report.warnings]
    assert any("add up to 150.0 %" in t for t in texts)
    assert any("phoneco supplies duv but no produces row" in t for t in texts)


def test_unknown_csv_file_is_pointed_out(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(tmp_path / "b", {"firm.csv": "id\n"})
    report = load_bundle(store, folder)
    assert any(w.file == "firm.csv" and "firms.csv" in w.reason for w in report.warnings)


def test_wide_row_is_an_error(tmp_path: Path, store: SqliteStore) -> None:
    firms = TINY["firms.csv"] + "x,X Co., Ltd.,,,,CN,false\n"
    report = failed(store, write_bundle(tmp_path / "b", {"firms.csv": firms}))
    assert "must be quoted" in report.errors[0].reason


def test_missing_bundle_toml_is_a_warning(tmp_path: Path, store: SqliteStore) -> None:
    folder = write_bundle(tmp_path / "mychain", {"bundle.toml": None})
    report = load_bundle(store, folder)
    assert report.bundle == "mychain"
    assert any(w.file == "bundle.toml" for w in report.warnings)


def test_broken_bundle_toml(tmp_path: Path, store: SqliteStore) -> None:
    report = failed(store, write_bundle(tmp_path / "b", {"bundle.toml": "name = \n"}))
    assert report.errors[0].file == "bundle.toml"


def test_a_reseller_is_told_apart_from_a_missing_maker(tmp_path: Path, store: SqliteStore
                                                       ) -> None:
    """fab sells euv it buys from asml: a distributor, no produces row to add; phoneco
    sells duv it does not buy: its produces row may be missing."""
    folder = write_bundle(
        tmp_path / "b",
        {"supplies.csv": TINY["supplies.csv"] + "fab,phoneco,euv,,,,\nphoneco,fab,duv,,,,\n"},
    )
    report = load_bundle(store, folder)
    by_code: dict[str, list[str]] = {}
    for w in report.warnings:
        by_code.setdefault(w.code, []).append(w.reason)
    assert by_code["quality.distributor"] == [
        "fab sells euv it buys (from asml): it is taken as a distributor, not a maker; "
        "add no produces row for it, concentration counts the makers"]
    assert len(by_code["quality.supplier_not_producer"]) == 1
    assert by_code["quality.supplier_not_producer"][0].startswith("phoneco supplies duv")


def test_shares_a_rounding_over_100_percent_pass_quietly(tmp_path: Path, store: SqliteStore
                                                        ) -> None:
    quiet = write_bundle(tmp_path / "quiet", {"produces.csv": TINY["produces.csv"].replace(
        "asml,duv,0.9,,,t\n", "asml,duv,0.9,,,t\nfab,duv,0.1004,,,t\n")})
    assert not [w for w in load_bundle(store, quiet).warnings if w.code == "quality.shares_over"]
    loud = write_bundle(tmp_path / "loud", {"produces.csv": TINY["produces.csv"].replace(
        "asml,duv,0.9,,,t\n", "asml,duv,0.9,,,t\nfab,duv,0.102,,,t\n")})
    over = [w for w in load_bundle(store, loud).warnings if w.code == "quality.shares_over"]
    assert [w.params["total"] for w in over] == ["100.2"]


def test_the_terminal_report_groups_warnings_by_kind(tmp_path: Path, store: SqliteStore) -> None:
    extra = "".join(f"fab,phoneco,x{i},,,,\n" for i in range(8))
    comps = "".join(f"x{i},X {i},,phone,upstream,equipment,false\n" for i in range(8))
    folder = write_bundle(tmp_path / "b", {
        "supplies.csv": TINY["supplies.csv"] + extra,
        "components.csv": TINY["components.csv"] + comps,
    })
    report = load_bundle(store, folder)
    text = report.to_text(limit=20)
    assert "8 warning(s) of kind quality.supplier_not_producer:" in text
    assert text.count("fab supplies x") == 3
    assert "... and 5 more like these (all in the report file)" in text
    assert report.to_text().count("fab supplies x") == 8  # the file lists them all
