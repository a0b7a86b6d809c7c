"""Zips that cannot become a bundle folder as they are: each refused with a message that
says what to do, before anything is unpacked (issue 13: they ended in Streamlit's
generic error box, or the last of two members of one name silently won)."""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from chainrisk import words
from chainrisk.errors import UsageError
from chainrisk.ui.uploads import MAX_DEPTH, unpack_bundle
from tests.conftest import TINY
from tests.ui.conftest import PAGES, AppFactory


def _zip(add: Callable[[zipfile.ZipFile], None]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, text in TINY.items():
            if text is not None:
                z.writestr(f"tiny/{name}", text)
        add(z)
    return buffer.getvalue()


def _symlink(z: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo("tiny/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    z.writestr(info, "/etc")


def _duplicate(z: zipfile.ZipFile) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name; that is the point
        z.writestr("tiny/firms.csv", "id,name,region\nevil,Evil,CN\n")


CASES: dict[str, tuple[Callable[[zipfile.ZipFile], None], str]] = {
    "duplicate": (_duplicate, "upload.duplicate"),
    "file_and_folder": (lambda z: z.writestr("tiny/firms.csv/x.csv", "id\n"),
                        "upload.file_and_folder"),
    "long_name": (lambda z: z.writestr("tiny/" + "n" * 300 + ".csv", "id\n"), "upload.long_name"),
    "deep": (lambda z: z.writestr("tiny/" + "d/" * 2100 + "x.csv", "id\n"), "upload.too_deep"),
    "symlink": (_symlink, "upload.symlink"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_zip_that_cannot_be_a_folder_is_refused_before_unpacking(case: str,
                                                                 tmp_path: Path) -> None:
    add, code = CASES[case]
    into = tmp_path / "into"
    with pytest.raises(UsageError) as refused:
        unpack_bundle(_zip(add), into)
    assert refused.value.code == code
    assert "zip" in str(refused.value) or "name" in str(refused.value)
    # worded in both languages, and nothing was written
    assert words.error_message(refused.value, "zh") != words.error_message(refused.value, "en")
    assert not any(into.rglob("*"))


def test_a_normal_zip_still_unpacks(tmp_path: Path) -> None:
    nested = "tiny/" + "d/" * (MAX_DEPTH - 2) + "readme.txt"  # as deep as allowed
    folder = unpack_bundle(_zip(lambda z: z.writestr(nested, "hello")), tmp_path / "into")
    assert (folder / "bundle.toml").is_file()
    assert (tmp_path / "into" / nested).is_file()


def test_the_data_page_says_what_is_wrong_with_a_duplicate(make_app: AppFactory,
                                                           writable_store: Path) -> None:
    at = make_app(store=writable_store)
    at.switch_page(PAGES["data"]).run()
    at.file_uploader(key="data_bundle_zip").upload("dup.zip", _zip(_duplicate),
                                                   "application/zip").run()
    assert not at.exception
    messages = [str(e.value) for e in at.error]
    assert any("twice" in m and "firms" in m for m in messages), messages
    assert at.button(key="data_bundle_confirm").disabled  # nothing can be loaded from it
