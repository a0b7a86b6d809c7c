"""What fuzzing found, pinned as plain examples so that it stays fixed.

Each test is one finding, reduced to the smallest input that showed it; before the fix
each ended in a traceback, a hang, a memory blow-up or a second import that changed
the store.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from chainrisk.errors import UsageError, ValidationFailed
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.names import header_key, normalise_name
from chainrisk.ingest.suppliers import import_suppliers
from chainrisk.ingest.writer import dump_store
from chainrisk.store.sqlite import SqliteStore
from tests.conftest import TINY, write_bundle

CYPHER = "x'}) DETACH DELETE n //"


def _problems(error: ValidationFailed) -> list[tuple[str, int | None, str | None, str]]:
    return [(p.file, p.line, p.column, p.reason) for p in error.report.errors]


def test_bundle_toml_dates_and_non_finite_numbers_load_as_text(
    store: SqliteStore, tmp_path: Path
) -> None:
    # was: TypeError "Object of type date is not JSON serializable" from the store
    meta = 'name = "d"\nsources = [1979-05-27]\nwhen = 1979-05-27T07:32:00Z\nx = inf\n'
    load_bundle(store, write_bundle(tmp_path / "b", {"bundle.toml": meta}))
    assert store.bundles() == [
        {"home_country": "CN", "name": "d", "sources": ["1979-05-27"],
         "when": "1979-05-27T07:32:00+00:00",
         "x": "inf"}
    ]


def test_yaml_aliases_that_explode_are_refused(store: SqliteStore, tmp_path: Path) -> None:
    # was: json.dumps expanding 10**9 list items (minutes, then out of memory)
    pairs = zip("abcdefgh", "bcdefghi", strict=True)
    laughs = "name: l\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in pairs
    )
    bundle = write_bundle(tmp_path / "b", {"bundle.toml": None, "bundle.yaml": laughs})
    with pytest.raises(ValidationFailed) as caught:
        load_bundle(store, bundle)
    assert _problems(caught.value) == [(
        "bundle.yaml", None, None,
        "cannot be kept: it expands to more than 100,000 values (YAML aliases?); write "
        "plain text, numbers, lists and tables",
    )]


def test_deeply_nested_metadata_is_refused(store: SqliteStore, tmp_path: Path) -> None:
    # was: RecursionError from tomllib
    meta = 'name = "n"\nx = ' + "[" * 3000 + "]" * 3000 + "\n"
    with pytest.raises(ValidationFailed) as caught:
        load_bundle(store, write_bundle(tmp_path / "b", {"bundle.toml": meta}))
    assert _problems(caught.value) == [
        ("bundle.toml", None, None, "is nested too deeply to read; keep the metadata flat")
    ]


@pytest.mark.parametrize("encoding", ["zlib", "rot13", "hex", "no-such-codec"])
def test_an_encoding_that_is_not_text_is_a_usage_error(
    encoding: str, store: SqliteStore, tiny: Path
) -> None:
    # was: zlib.error, TypeError, binascii.Error from opening the file with that codec
    with pytest.raises(UsageError, match=r"^--encoding: .*name .*utf-8, gb18030 or big5"):
        load_bundle(store, tiny, encoding=encoding)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("employees", "9" * 30, "a whole number here is at most 9223372036854775807 in size; "
         "this one has 30 digits"),
        ("employees", "9" * 5000, "expected a whole number such as 1200 or 1,200"),
        ("employees", "1e300", "a whole number here is at most 9223372036854775807 in size; "
         "this one has 301 digits"),
        ("revenue_musd", "9" * 400, "expected a finite number"),
        ("revenue_musd", "1e999", "expected a finite number"),
    ],
)
def test_numbers_beyond_what_a_store_holds_are_row_errors(
    column: str, value: str, reason: str, store: SqliteStore, tmp_path: Path
) -> None:
    # was: OverflowError from SQLite, ValueError (4,300-digit limit), inf stored
    firms = f"id,name,region,{column}\nbig,Big,NL,{value}\n"
    with pytest.raises(ValidationFailed) as caught:
        load_bundle(store, write_bundle(tmp_path / "b", {"firms.csv": firms}))
    assert ("firms.csv", 2, column, reason) in _problems(caught.value)


def test_a_header_of_200000_columns_is_refused_at_once(
    store: SqliteStore, tmp_path: Path
) -> None:
    # was: a duplicate check quadratic in the number of columns (hours)
    firms = "id,name,region" + "," * 200_000 + "\n"
    with pytest.raises(ValidationFailed) as caught:
        load_bundle(store, write_bundle(tmp_path / "b", {"firms.csv": firms}))
    assert _problems(caught.value) == [(
        "firms.csv", 1, None,
        "line 1 has 200,003 cells, more than a sheet can hold (16,384): the file is not a "
        "table, or its separator is not a comma",
    )]


def test_a_name_used_for_two_firms_imports_the_same_way_twice(
    store: SqliteStore, tiny: Path, tmp_path: Path
) -> None:
    # was: the second import rejected both rows ("the supplier and the buyer are the
    # same firm"): the credit-code match of row 5 had overwritten how the buyer's name
    # resolved
    load_bundle(store, tiny)
    path = tmp_path / "list.csv"
    path.write_text(
        "供应商名称,采购物料,统一社会信用代码\nASML,EUV scanner,\n"
        f"{CYPHER},指纹芯片,91350100M000100Y43\n",
        encoding="utf-8",
    )
    first = import_suppliers(store, [path], buyer=CYPHER)
    rows = list(store.iter_rows("supplies"))
    version = store.data_version()
    second = import_suppliers(store, [path], buyer=CYPHER)
    assert (first.loaded, second.loaded) == (2, 2)
    assert list(store.iter_rows("supplies")) == rows
    assert store.data_version() == version
    buyer = next(r["id"] for r in store.iter_rows("firms") if r["name"] == CYPHER)
    assert {(r["supplier"], r["buyer"]) for r in rows if r["source"].startswith("import")} == {
        ("asml", buyer), ("fab", buyer)
    }


def test_a_component_name_with_two_codes_imports_the_same_way_twice(
    store: SqliteStore, tiny: Path, tmp_path: Path
) -> None:
    # the same fault for components: a saved name resolution won over the code
    load_bundle(store, tiny)
    path = tmp_path / "list.csv"
    path.write_text(
        "供应商名称,采购物料,物料编码\nASML,scanner,euv\nASML,scanner,duv\n", encoding="utf-8"
    )
    import_suppliers(store, [path], buyer="fab")
    rows = list(store.iter_rows("supplies"))
    assert {r["component"] for r in rows if r["source"].startswith("import")} == {"euv", "duv"}
    version = store.data_version()
    import_suppliers(store, [path], buyer="fab")
    assert list(store.iter_rows("supplies")) == rows
    assert store.data_version() == version


def test_rejected_rows_keep_only_cells_that_say_something(
    store: SqliteStore, tmp_path: Path
) -> None:
    # was: 16,384 cells kept for every rejected row whose one value sat in column XFD;
    # 1,500 such rows took more than 2 GiB (MemoryError under the corpus's cap)
    load_bundle(store, write_bundle(tmp_path / "b", {}))
    path = tmp_path / "wide.csv"
    path.write_text("供应商名称,采购物料\n" + "".join(
        "," * 16_383 + f"v{n}\n" for n in range(300)), encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(ValidationFailed) as caught:
            import_suppliers(store, [path], buyer="fab")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rejected = caught.value.report.rejected_rows
    assert len(rejected) == 300
    assert rejected[0].cells == {"供应商名称": "", "采购物料": "", "column_16384": "v0"}
    assert peak < 100 * 2**20


def test_a_mapping_file_that_is_not_right_is_a_usage_error(
    store: SqliteStore, tmp_path: Path
) -> None:
    # was: ValueError from int("abc"), UnicodeDecodeError for a GB18030 file
    path = tmp_path / "list.csv"
    path.write_text("供应商名称,采购物料\nASML,EUV\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    for content, message in [
        (b"header_row: abc\n", "header_row must be a row number such as 3"),
        ("columns: {供应商: supplier}\n".encode("gb18030"), "is not UTF-8 text"),
        (b"columns: &a {x: supplier}\nbuyer: [*a, *a]\n", "buyer must be a text"),
    ]:
        mapping.write_bytes(content)
        with pytest.raises(UsageError, match=message):
            import_suppliers(store, [path], buyer="fab", mapping=mapping)


def test_headers_and_names_of_runaway_length_are_keyed_in_linear_time() -> None:
    # was: regular expressions and suffix loops quadratic in the text's length
    # (a header cell of 100,000 '-' took minutes)
    assert header_key("-" * 100_000 + "元") == "元"
    assert header_key("采购额" + " /" * 90 + "元") == "采购额"
    long_name = "(" * 50_000 + "有限公司" * 10_000 + ")" * 50_000
    assert normalise_name(long_name) == "有限公司" * 10_000
    assert normalise_name(TINY["firms.csv"]) != ""


def test_yaml_nulls_in_metadata_do_not_stop_a_dump(store: SqliteStore, tmp_path: Path) -> None:
    # was: TypeError "cannot write None as TOML" from `chainrisk dump` after loading a
    # bundle.yaml with `sources: [~]` (found by the hour-long run, round 7)
    meta = "name: n\nsources: [~, s]\nlicense: ~\nextra: {a: ~, b: 1}\n"
    load_bundle(store, write_bundle(tmp_path / "b", {"bundle.toml": None, "bundle.yaml": meta}))
    assert store.bundles() == [
        {"home_country": "CN", "name": "n", "sources": ["s"], "extra": {"b": 1}}
    ]
    dump_store(store, tmp_path / "dump")
    again = SqliteStore(tmp_path / "again.db")
    try:
        load_bundle(again, tmp_path / "dump")
        assert again.bundles() == store.bundles()
    finally:
        again.close()
