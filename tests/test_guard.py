"""The formula guard (chainrisk.guard): written on the way out, stripped on the way in."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from chainrisk.guard import INVISIBLE, STARTERS, guard, risky, unguard
from chainrisk.ingest.csvfile import iter_records
from chainrisk.ingest.report import RejectedRow, write_rejects

texts = st.text(alphabet=st.sampled_from(sorted(STARTERS) + list(INVISIBLE) + list("'a=1 中")),
                max_size=12) | st.text(max_size=30)


@given(texts)
def test_unguard_gives_back_exactly_what_guard_was_given(text: str) -> None:
    assert unguard(guard(text)) == text


@given(texts)
def test_a_guarded_text_never_starts_a_formula(text: str) -> None:
    assert not risky(guard(text))
    assert guard(text) == text or guard(text) == "'" + text


def test_look_alike_and_hidden_starters_are_guarded() -> None:
    for hostile in ("=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")", "@SUM(A1)", "+1",
                    "-1+2", "\tx", "\rx", "＝1+1", "＋1", "\u200b=1", "\ufeff@x", "\u2060\u200b-x"):
        assert guard(hostile) == "'" + hostile, hostile
    for harmless in ("ASML", "a=b", "中芯国际", "'quoted", " =1"):
        assert guard(harmless) == harmless, harmless


def test_rejects_csv_is_guarded_and_reads_back_as_written(tmp_path: Path) -> None:
    """An officer fixes rejects.csv and imports it again: the guard comes off on read."""
    hostile = {"supplier": "=cmd|' /C calc'!A0", "share": "＝1/0", "note": "\u200b@SUM(A1)",
               "name": "'=already quoted"}
    path = tmp_path / "rejects.csv"
    write_rejects(path, [RejectedRow("list.csv", 7, "=bad reason", hostile)])
    with path.open(encoding="utf-8-sig", newline="") as handle:
        raw = list(csv.reader(handle))
    assert raw[1][2] == "'=bad reason"
    assert all(not risky(cell) for cell in raw[1])
    (_, header), (_, row) = list(iter_records(path, "utf-8-sig"))
    assert dict(zip(header, row, strict=True)) == {
        "file": "list.csv", "line": "7", "reasons": "=bad reason", **hostile}
