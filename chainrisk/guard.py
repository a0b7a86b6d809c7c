"""The formula guard: text a spreadsheet could run as a formula gets a leading ``'``.

Every file chainrisk writes for people to open (exports, ``rejects.csv``,
``changes.csv``, CSV downloads, JSON metadata) passes text through :func:`guard`; the
importers pass every cell they read through :func:`unguard`, which strips exactly that
guard and nothing else, so a ``rejects.csv`` fixed and imported again reads as the
officer wrote it. docs/data-format.md, "The formula guard", says the same.
"""

from __future__ import annotations

# what makes Excel, LibreOffice or WPS start a formula (full-width forms too: East Asian
# input methods type them, and spreadsheets convert them)
STARTERS = frozenset("=+-@\t\r＝＋－＠")
# invisible characters a hostile cell may put in front of a starter
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def risky(text: str) -> bool:
    """Return whether a spreadsheet could read ``text`` as a formula.

    >>> risky("=1+1"), risky("\\u200b=cmd"), risky("＝SUM(A1)"), risky("a=b"), risky("")
    (True, True, True, False, False)
    """
    first = text.lstrip(INVISIBLE)[:1]
    return bool(first) and first in STARTERS


def guard(text: str) -> str:
    """Return ``text`` with a leading ``'`` when a spreadsheet could run it as a formula.

    Text that already starts with ``'`` before a formula gets one more, so that
    :func:`unguard` gives back exactly what was written.

    >>> guard("=HYPERLINK(x)"), guard("@SUM(A1)"), guard("ASML"), guard("'=x")
    ("'=HYPERLINK(x)", "'@SUM(A1)", 'ASML', "''=x")
    """
    return "'" + text if risky(text.lstrip("'")) else text


def unguard(text: str) -> str:
    """Return ``text`` without the guard :func:`guard` adds (one ``'``, only before a
    formula); ``unguard(guard(t)) == t`` for every text.

    >>> unguard("'=1+1"), unguard("'hello"), unguard("''=x"), unguard("=1")
    ('=1+1', "'hello", "'=x", '=1')
    """
    if text[:1] == "'" and risky(text.lstrip("'")):
        return text[1:]
    return text


__all__ = ["INVISIBLE", "STARTERS", "guard", "risky", "unguard"]
