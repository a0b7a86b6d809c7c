"""The catalogue of words (chainrisk.words): complete, consistent, and used by its codes.

Every entry has a Chinese and an English text with the same ``{fields}``; every code a
raise or report site sets has its words; the app's words never send a user to a
command-line flag or a repository document; errors keep their English command-line
message while the app words them by code.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from chainrisk import words
from chainrisk.errors import ChainriskError, LimitExceeded, UsageError, ValidationFailed
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.report import Severity
from chainrisk.schema import OnError
from chainrisk.store.sqlite import SqliteStore
from chainrisk.ui.i18n import STRINGS, Tr
from tests.conftest import ROOT, write_bundle

SOURCE = ROOT / "chainrisk"
# code="x.y" at a raise or report site, and Reason(text, "x.y", …) in the checks
_CODE = re.compile(r"""\bcode=f?["']([a-z_]+\.[a-z_{}.]+)["']""")
_REASON = re.compile(r"""Reason\(\s*(?:f?"[^"]*"\s*)+,\s*["']([a-z_]+\.[a-z_.]+)["']""", re.S)
# codes built at run time: limit.{field} (chainrisk.limits), value.{what}_choice
_BUILT = {"limit.{field}": ("limit.max_file_bytes", "limit.max_rows"),
          "value.{what}_choice": ("value.level_choice", "value.stage_choice")}
_CLI = re.compile(r"(?<![\w-])--[a-z]|\bdocs/|`chainrisk ")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_entry_has_both_texts_with_the_same_fields() -> None:
    for key, (zh, en) in words.WORDS.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert _fields(zh) == _fields(en), key
    for code, (remedy, labels) in words.REMEDIES.items():
        assert remedy in words.WORDS, code
        assert set(labels) == _fields(words.WORDS[remedy][0]), code
        assert all(label in words.WORDS for label in labels.values()), code


def test_every_value_domain_is_complete() -> None:
    from chainrisk.analysis.members import ROLES
    from chainrisk.schema import RegionLevel, Stage

    expected = {
        "stage": [s.value for s in Stage], "level": [lv.value for lv in RegionLevel],
        "band": ["high", "moderate", "unconcentrated"], "severity": [s.value for s in Severity],
        "on_error": [o.value for o in OnError], "member_role": list(ROLES),
        "kind": ["firm", "component", "region"], "bool": ["true", "false"],
    }
    for domain, values in expected.items():
        for value in values:
            assert f"{domain}.{value}" in words.WORDS, (domain, value)
            # a value's English side is the value as the data and the CLI write it
            if domain not in ("bool", "on_error"):
                assert words.WORDS[f"{domain}.{value}"][1] == value


def _codes_in_source() -> set[str]:
    codes: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = set(_CODE.findall(text)) | set(_REASON.findall(text))
        for code in found:
            codes.update(_BUILT.get(code, (code,)))
    return codes


def test_every_code_set_in_the_library_has_its_words() -> None:
    codes = _codes_in_source()
    assert len(codes) > 60, sorted(codes)
    missing = sorted(c for c in codes
                     if f"reason.{c}" not in words.WORDS and f"message.{c}" not in words.WORDS)
    assert not missing


def test_the_app_never_names_a_command_line_flag_or_a_repository_doc() -> None:
    prefixes = ("reason.", "message.", "remedy.", "label.", "data.", "error.")
    shown = {k: v for k, v in {**words.WORDS, **STRINGS}.items() if k.startswith(prefixes)}
    for key, (zh, en) in shown.items():
        assert not _CLI.search(zh), (key, zh)
        assert not _CLI.search(en), (key, en)


def test_error_codes_and_parameters_with_the_english_message_kept() -> None:
    e = UsageError("unknown chain 'x'; chains in the store: ic", code="usage.unknown_chain",
                   params={"chain": "x", "known": "ic"})
    assert str(e) == "unknown chain 'x'; chains in the store: ic"
    assert words.error_message(e, "zh") == "没有名为“x”的产业链；数据库中的产业链：ic。"
    assert LimitExceeded("too big").code == "limit"
    assert ChainriskError("plain").params == {}
    # an error without words of its own keeps its text
    assert words.error_message(UsageError("odd"), "zh") == "odd"


def test_a_rejected_bundle_keeps_its_cli_remedy_and_the_app_words_its_own(
    tmp_path: Path,
) -> None:
    bad = write_bundle(tmp_path / "bad", {
        "firms.csv": "id,name,region\nasml,ASML,NL\nfab,Fab,XX-NOWHERE\nphoneco,Phone Co.,CN\n",
        "produces.csv": "firm,component,share\nasml,euv,lots\nasml,duv,0.9\nphoneco,phone,\n",
    })
    store = SqliteStore(tmp_path / "s.db")
    try:
        with pytest.raises(ValidationFailed) as caught:
            load_bundle(store, bad)
    finally:
        store.close()
    e = caught.value
    assert "--on-error skip" in str(e)  # the command line's remedy, with its flag
    assert e.code == "load.rows_rejected"
    zh, en = words.error_message(e, "zh"), words.error_message(e, "en")
    assert "载入正确的行，拒绝错误行" in zh
    assert "Load the good rows, reject the rest" in en
    assert "--" not in zh + en
    for problem in e.report.problems:
        assert problem.code, problem
        said = words.problem_reason(problem, "zh")
        assert not said.startswith("数据有误"), problem  # worded, not the English fallback
    reasons = {p.code: words.problem_reason(p, "zh") for p in e.report.problems}
    assert reasons["ref.unknown"] == "未知的地区“XX-NOWHERE”：请在 regions.csv 中添加，或改正拼写。"
    assert reasons["value.share"] == "应为份额，如 0.61 或 61%。"


def test_the_app_reads_the_catalogue() -> None:
    zh = Tr("zh")
    for key, (chinese, _) in words.WORDS.items():
        assert zh.maybe(key, "") or key in STRINGS, key
        if key.startswith(("stage.", "band.", "level.", "kind.", "on_error.")):
            assert zh(key) == chinese, key  # the app shows the catalogue's Chinese
    assert Tr("en")("stage.upstream") == "Upstream"  # the app's own English label kept
    assert zh.value("severity", "warning") == "警告"
