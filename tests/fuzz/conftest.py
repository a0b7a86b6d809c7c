"""Write the number of fuzz cases run per test when ``CHAINRISK_FUZZ_STATS`` names a file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fuzz.harness import CASES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("CHAINRISK_FUZZ_STATS")
    if target:
        Path(target).write_text(
            json.dumps({"cases": dict(sorted(CASES.items())), "exitstatus": int(exitstatus)}),
            encoding="utf-8",
        )
