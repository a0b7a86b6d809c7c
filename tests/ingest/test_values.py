"""Cell parsers: every value rule of data-format.md, and the messages for bad values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrisk.ingest.values import (
    ValueProblem,
    format_cell,
    parse_bool,
    parse_cell,
    parse_date,
    parse_id,
    parse_integer,
    parse_number,
    parse_share,
    parse_uscc,
    uscc_check_char,
)
from chainrisk.schema import ColumnKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.61", 0.61), ("61%", 0.61), ("61 %", 0.61), ("６１％", 0.61), ("1", 1.0), ("100%", 1.0)],
)
def test_share_forms(text: str, expected: float) -> None:
    assert parse_share(text) == pytest.approx(expected)


def test_bare_percent_needs_a_declared_column() -> None:
    assert parse_share("61", percent=True) == pytest.approx(0.61)
    assert parse_share("1", percent=True) == pytest.approx(0.01)
    with pytest.raises(ValueProblem, match="percent"):
        parse_share("61")


@pytest.mark.parametrize("text", ["150%", "0", "0%", "-0.2", "101", "abc", "1.5.2"])
def test_bad_shares(text: str) -> None:
    with pytest.raises(ValueProblem):
        parse_share(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234.5", 1234.5), ("１２３４", 1234.0), ("1 234", 1234.0), ("-3e2", -300.0),
     ("12，345", 12345.0)],
)
def test_numbers(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["12,34", "1,2345", "ten", "1.2.3", "nan", "inf"])
def test_bad_numbers(text: str) -> None:
    with pytest.raises(ValueProblem):
        parse_number(text)


def test_integers() -> None:
    assert parse_integer("12,000") == 12000
    assert parse_integer("1200.0") == 1200
    with pytest.raises(ValueProblem, match="whole number"):
        parse_integer("12.5")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("YES", True), ("1", True), ("是", True),
     ("False", False), ("no", False), ("0", False), ("否", False)],
)
def test_booleans(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


def test_bad_boolean_says_what_is_allowed() -> None:
    with pytest.raises(ValueProblem, match="是/否"):
        parse_bool("maybe")


def test_ids() -> None:
    assert parse_id("euv-scanner") == "euv-scanner"
    for bad in ("firm:x", "a b", "a\tb"):
        with pytest.raises(ValueProblem, match="':'"):
            parse_id(bad)


def test_uscc_check_digit() -> None:
    assert parse_uscc("91350100M000100Y43") == "91350100M000100Y43"
    with pytest.raises(ValueProblem, match="check digit"):
        parse_uscc("91350100M000100Y44")
    with pytest.raises(ValueProblem, match="18 characters"):
        parse_uscc("9135010")
    with pytest.raises(ValueProblem, match="letters"):
        parse_uscc("91350100M000100I43")


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_every_code_with_its_check_char_parses_and_any_other_char_fails(body: str) -> None:
    good = body + uscc_check_char(body)
    assert parse_uscc(good) == good
    wrong = "0" if good[-1] != "0" else "1"
    with pytest.raises(ValueProblem):
        parse_uscc(body + wrong)


def test_dates() -> None:
    assert parse_date("2019") == "2019"
    assert parse_date("2019-5") == "2019-05"
    assert parse_date("2019.05.01") == "2019-05-01"
    for bad in ("yesterday", "2019-13", "2019-02-30", "99"):
        with pytest.raises(ValueProblem):
            parse_date(bad)


@given(st.floats(min_value=1e-6, max_value=1.0, allow_nan=False))
def test_share_round_trips_through_canonical_text(value: float) -> None:
    assert parse_cell(ColumnKind.SHARE, format_cell(ColumnKind.SHARE, value)) == value


@given(st.lists(st.from_regex(r"[a-z0-9][a-z0-9-]{0,8}", fullmatch=True), unique=True,
                min_size=1, max_size=5))
def test_id_list_round_trips(ids: list[str]) -> None:
    value = parse_cell(ColumnKind.ID_LIST, format_cell(ColumnKind.ID_LIST, tuple(ids)))
    assert value == tuple(ids)
