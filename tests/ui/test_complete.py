"""Complete answers: no table cell a reader sees says "None", NaN or "-0"."""

from __future__ import annotations

import json
import math

import pytest

from chainrisk.ui.widgets import header_width
from tests.ui.conftest import PAGES, AppFactory


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_table_shows_a_missing_value_or_a_negative_zero(make_app: AppFactory,
                                                          lang: str) -> None:
    at = make_app(lang=lang)
    found = []
    for chain in ("ic", "5g"):
        at.selectbox(key="chain").set_value(chain).run()
        for page in PAGES:
            at.switch_page(PAGES[page]).run()
            assert not at.exception, [e.value for e in at.exception]
            for element in at.dataframe:
                frame = element.value
                for column in frame.columns:
                    values = frame[column].tolist()
                    if frame[column].isna().any():
                        found.append((chain, page, column, "missing"))
                    if any(isinstance(v, float) and v == 0 and math.copysign(1, v) < 0
                           for v in values):
                        found.append((chain, page, column, "-0"))
                    if any(isinstance(v, str) and v.strip() in ("None", "nan", "NaN", "-0%")
                           for v in values):
                        found.append((chain, page, column, "text"))
            texts = [m.value for m in at.metric] + [c.value for c in at.caption]
            for text in texts:
                if "-0%" in str(text) or "None" in str(text):
                    found.append((chain, page, "text", text))
    assert not found, found


WIDTHS = {"small": 75.0, "medium": 200.0, "large": 400.0}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_column_header_fits_its_column(make_app: AppFactory, lang: str) -> None:
    at = make_app(lang=lang)
    too_narrow: list[tuple[object, ...]] = []
    for chain in ("ic", "5g"):
        at.selectbox(key="chain").set_value(chain).run()
        for page in PAGES:
            at.switch_page(PAGES[page]).run()
            for element in at.dataframe:
                columns = json.loads(element.proto.columns or "{}")
                for key, config in columns.items():
                    width = config.get("width")
                    label = config.get("label")
                    if not label:
                        continue
                    if width is None:  # Streamlit would size it to its cells, cutting it
                        too_narrow.append((page, key, label, "no width"))
                        continue
                    px = WIDTHS[width] if isinstance(width, str) else float(width)
                    needed = header_width(label, bool(config.get("help")))
                    if needed > px:
                        too_narrow.append((page, key, label, px, round(needed)))
    assert not too_narrow, sorted(set(too_narrow))
