"""Cell parsers: turn one CSV cell into a normalised value or say why it cannot be one.

Every parser takes the cell text (already stripped) and returns the normalised value;
a cell that cannot be parsed raises :class:`ValueProblem` whose message says what the
value should look like. Empty cells never reach a parser: they are missing values.

Examples
--------
>>> parse_share("61%")
0.61
>>> parse_share("0.61")
0.61
>>> parse_share("61", percent=True)
0.61
>>> parse_number("１２,３４５.５")
12345.5
>>> parse_bool("是")
True
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

from chainrisk.schema import ColumnKind, RegionLevel, Stage


class ValueProblem(ValueError):
    """A cell value that cannot be used; the message says how to write it instead.

    ``code`` and ``params`` name the reason for translation (see chainrisk.words).
    """

    def __init__(self, message: str, *, code: str = "value.invalid",
                 params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params: dict[str, Any] = dict(params or {})


_TRUE = frozenset({"true", "yes", "y", "1", "是", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "否", "f"})

# Plain numbers, or numbers with comma thousands separators in groups of three.
_NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_INTEGER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)$")
_ID_FORBIDDEN = re.compile(r"[:\s]")

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}


def normalise_text(text: str) -> str:
    """Return ``text`` with full-width forms folded (NFKC) and outer spaces stripped.

    >>> normalise_text("　ＡＢＣ１２３％ ")
    'ABC123%'
    """
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def parse_id(text: str) -> str:
    """Return ``text`` as an id: non-empty, without ``:`` or whitespace.

    >>> parse_id("tsmc")
    'tsmc'
    """
    if not text:
        raise ValueProblem("an id may not be empty", code="value.id_empty")
    if _ID_FORBIDDEN.search(text):
        raise ValueProblem(
            "an id may not contain ':' or spaces; use '-' or '_' instead",
            code="value.id_chars",
        )
    return text


def parse_bool(text: str) -> bool:
    """Return the boolean written as true/false, yes/no, 1/0 or 是/否 (any case)."""
    folded = normalise_text(text).lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueProblem("write a boolean as true/false, yes/no, 1/0 or 是/否", code="value.bool")


def _number_text(text: str) -> str:
    folded = normalise_text(text).replace("，", ",").replace(" ", "").replace("\u00a0", "")
    return folded


# Whole numbers are stored as 64-bit integers (SQLite, Neo4j); a longer digit string
# is a typo or an accident, and Python refuses to read beyond 4,300 digits anyway.
MAX_INTEGER = 2**63 - 1
_MAX_NUMBER_CHARS = 400


def parse_number(text: str) -> float:
    """Return the number, accepting thousands separators and full-width digits.

    >>> parse_number("1e999")
    Traceback (most recent call last):
    ...
    chainrisk.ingest.values.ValueProblem: expected a finite number
    """
    if len(text) > _MAX_NUMBER_CHARS:
        raise ValueProblem(f"expected a number, not {len(text):,} characters of text",
                           code="value.number_long", params={"chars": len(text)})
    if _PLAIN_NUMBER.match(text):
        value = float(text)
    else:
        folded = _number_text(text)
        if not _NUMBER.match(folded):
            raise ValueProblem("expected a number such as 1234.5 or 1,234.5",
                               code="value.number")
        value = float(folded.replace(",", ""))
    if not math.isfinite(value):
        raise ValueProblem("expected a finite number", code="value.number_finite")
    return value


def parse_integer(text: str) -> int:
    """Return the whole number, accepting thousands separators and full-width digits.

    >>> parse_integer("12,000")
    12000
    >>> parse_integer("9" * 30)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainrisk.ingest.values.ValueProblem: a whole number here is at most 9223372036854775807...
    """
    folded = _number_text(text)
    if _INTEGER.match(folded) and len(folded) <= _MAX_NUMBER_CHARS:
        value = int(folded.replace(",", ""))
    else:
        # "1200.0" as written by spreadsheets is still a whole number.
        try:
            number = parse_number(folded)
        except ValueProblem:
            raise ValueProblem("expected a whole number such as 1200 or 1,200",
                               code="value.integer") from None
        if not number.is_integer():
            raise ValueProblem("expected a whole number such as 1200 or 1,200",
                               code="value.integer")
        value = int(number)
    if abs(value) > MAX_INTEGER:
        raise ValueProblem(
            f"a whole number here is at most {MAX_INTEGER} in size; this one has "
            f"{len(str(abs(value)))} digits",
            code="value.integer_big", params={"max": MAX_INTEGER, "digits": len(str(abs(value)))},
        )
    return value


def parse_share(text: str, *, percent: bool = False) -> float:
    """Return a share in (0, 1] from ``0.61``, ``61%`` or (percent columns) ``61``.

    A bare number above 1 is a percentage only in a column declared as percent
    (``percent_columns`` in bundle.toml); elsewhere it is an error, since ``61``
    could mean 61 % or a typo for 0.61.
    """
    folded = _number_text(text)
    is_percent = folded.endswith("%")
    if is_percent:
        folded = folded[:-1]
    try:
        value = parse_number(folded)
    except ValueProblem:
        raise ValueProblem("expected a share such as 0.61 or 61%", code="value.share") from None
    if is_percent or percent:
        if value <= 0 or value > 100:
            raise ValueProblem("a share must be above 0 % and at most 100 %",
                               code="value.share_percent_range")
        return round(value / 100.0, 12)
    if value <= 0:
        raise ValueProblem("a share must be above 0; leave the cell empty when unknown",
                           code="value.share_zero")
    if value > 1:
        if value <= 100:
            raise ValueProblem(
                "a share above 1 is ambiguous: write it as a percentage (e.g. 61%), or "
                "declare the column as percent in bundle.toml "
                '(percent_columns = ["<file>.share"])',
                code="value.share_ambiguous",
            )
        raise ValueProblem("a share must be at most 1 (100%)", code="value.share_range")
    return value


def parse_date(text: str) -> str:
    """Return a year ``2019``, a month ``2019-05`` or a day ``2019-05-01`` in ISO form.

    >>> parse_date("2019")
    '2019'
    >>> parse_date("2019/5/1")
    '2019-05-01'
    """
    folded = normalise_text(text).replace("/", "-").replace(".", "-")
    if folded.endswith(".0") and folded[:-2].isdigit():
        folded = folded[:-2]
    parts = folded.split("-")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise ValueProblem("expected a year (2019) or a date (2019-05-01)",
                           code="value.date") from None
    if not 1 <= len(numbers) <= 3 or not 1800 <= numbers[0] <= 2200:
        raise ValueProblem("expected a year (2019) or a date (2019-05-01)", code="value.date")
    try:
        if len(numbers) == 1:
            return f"{numbers[0]:04d}"
        if len(numbers) == 2:
            date(numbers[0], numbers[1], 1)
            return f"{numbers[0]:04d}-{numbers[1]:02d}"
        return date(numbers[0], numbers[1], numbers[2]).isoformat()
    except ValueError:
        raise ValueProblem("not a real calendar date", code="value.date_unreal") from None


def uscc_check_char(first17: str) -> str:
    """Return the check character of a unified social credit code (GB 32100-2015).

    >>> uscc_check_char("91350100M000100Y4")
    '3'
    """
    if len(first17) != 17:
        raise ValueError("the check character is computed from the first 17 characters")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def parse_uscc(text: str) -> str:
    """Return the 18-character unified social credit code, check digit verified.

    >>> parse_uscc("91350100m000100y43")
    '91350100M000100Y43'
    """
    code = normalise_text(text).upper().replace(" ", "").replace("-", "")
    if len(code) != 18:
        raise ValueProblem(
            f"a unified social credit code has 18 characters, this one has {len(code)}",
            code="value.uscc_length", params={"n": len(code)},
        )
    bad = sorted({ch for ch in code if ch not in _USCC_VALUE})
    if bad:
        raise ValueProblem(
            "a unified social credit code uses digits and the letters "
            f"{USCC_CHARSET[10:]} only; found {''.join(bad)!r}",
            code="value.uscc_chars", params={"letters": USCC_CHARSET[10:], "found": "".join(bad)},
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise ValueProblem(
            "check digit does not match (GB 32100-2015): the code is mistyped",
            code="value.uscc_check",
        )
    return code


def parse_id_list(text: str) -> tuple[str, ...]:
    """Return the ``;``-separated ids (full-width ``；`` accepted), blanks dropped.

    >>> parse_id_list("ic; 5g；ai")
    ('ic', '5g', 'ai')
    """
    items = tuple(i.strip() for i in text.replace("；", ";").split(";") if i.strip())
    for item in items:
        parse_id(item)
    if len(set(items)) != len(items):
        raise ValueProblem("the same id is listed twice", code="value.id_twice")
    return items


def parse_text_list(text: str) -> tuple[str, ...]:
    """Return the ``;``-separated texts, blanks dropped, order kept.

    >>> parse_text_list("TSMC; 台积电")
    ('TSMC', '台积电')
    """
    return tuple(i.strip() for i in text.replace("；", ";").split(";") if i.strip())


def _enum_parser(choices: tuple[str, ...], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        folded = normalise_text(text).lower()
        if folded not in choices:
            raise ValueProblem(f"{what} must be one of {', '.join(choices)}",
                               code=f"value.{what}_choice", params={"choices": ", ".join(choices)})
        return folded

    return parse


parse_level = _enum_parser(tuple(level.value for level in RegionLevel), "level")
parse_stage = _enum_parser(tuple(stage.value for stage in Stage), "stage")

Value = str | bool | float | int | tuple[str, ...]


def parse_cell(kind: ColumnKind, text: str, *, percent: bool = False) -> Value:
    """Return the normalised value of a non-empty cell of a column of ``kind``."""
    match kind:
        case ColumnKind.ID:
            return parse_id(text)
        case ColumnKind.TEXT:
            return text
        case ColumnKind.BOOL:
            return parse_bool(text)
        case ColumnKind.SHARE:
            return parse_share(text, percent=percent)
        case ColumnKind.NUMBER:
            return parse_number(text)
        case ColumnKind.INTEGER:
            return parse_integer(text)
        case ColumnKind.DATE:
            return parse_date(text)
        case ColumnKind.USCC:
            return parse_uscc(text)
        case ColumnKind.ID_LIST:
            return parse_id_list(text)
        case ColumnKind.TEXT_LIST:
            return parse_text_list(text)
        case ColumnKind.LEVEL:
            return parse_level(text)
        case ColumnKind.STAGE:
            return parse_stage(text)
    raise AssertionError(f"unhandled column kind {kind}")  # pragma: no cover


def format_cell(kind: ColumnKind, value: Value | None) -> str:
    """Return the canonical CSV text of a normalised value ('' for missing).

    >>> format_cell(ColumnKind.BOOL, True)
    'true'
    >>> format_cell(ColumnKind.ID_LIST, ("ic", "5g"))
    'ic;5g'
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)
