"""What the fuzz tests share: hypothesis profiles, case counting, mutators, store state.

Profiles (registered here, applied per test with :data:`FUZZ`, never loaded globally so
the rest of the suite keeps its own settings):

- ``chainrisk-fuzz`` (default): a few dozen examples per test, so ``tests/fuzz`` runs in
  a couple of minutes on a busy 2-core machine;
- ``chainrisk-fuzz-long`` (``CHAINRISK_FUZZ=long``): ``CHAINRISK_FUZZ_EXAMPLES``
  examples per test (default 2,000), no deadline; ``scripts/fuzz-long`` runs it in
  rounds with new seeds until its time is up.

Every example calls :func:`count_case`; with ``CHAINRISK_FUZZ_STATS=path`` the session
writes the counts per test there as JSON (see ``tests/fuzz/conftest.py``).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from chainrisk.schema import TABLE_ORDER
from chainrisk.store.base import Store

LONG = os.environ.get("CHAINRISK_FUZZ", "").strip().lower() == "long"

settings.register_profile(
    "chainrisk-fuzz",
    max_examples=int(os.environ.get("CHAINRISK_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "chainrisk-fuzz-long",
    max_examples=int(os.environ.get("CHAINRISK_FUZZ_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
FUZZ = settings(settings.get_profile("chainrisk-fuzz-long" if LONG else "chainrisk-fuzz"))

CASES: Counter[str] = Counter()


def count_case(name: str) -> None:
    """Count one example of the test ``name`` (written out at the end of the session)."""
    CASES[name] += 1


# ----------------------------------------------------------------------- nasty values

CYPHER = "x'}) DETACH DELETE n //"
NASTY_TEXT = [
    CYPHER,
    "x\"}) DETACH DELETE n //",
    "`n` MATCH (m) DETACH DELETE m",
    "{id: 1}",
    "$param",
    "a:b",
    "'; DROP TABLE firms; --",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    '"quoted"',
    "''",
    "\\",
    "\\u0000",
    "%s%n",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "<script>alert(1)</script>",
    "]]>",
    "&amp;&#0;",
    "\u202eevil",
    "\u200b",
    "\ufeff",
    "ＡＢＣ１２３",
    "华为技术有限公司",
    "華為",
    "(((((((((((x)))))))))))",
    "有限公司有限公司有限公司",
    "1e999",
    "-0",
    "NaN",
    "inf",
    "9" * 25,
    "0x1F",
    "61%",
    "150%",
    "是",
    "；;",
    "🙂" * 3,
    "\x1b[31mred",
    "a\tb",
    "\r",
    "\n",
    "\r\n",
    "\x00",
    ",",
    '"',
    '""',
    "",
    " ",
]

# Tokens that mean something to a CSV reader, a number parser, or a store.
TOKENS = [t.encode("utf-8") for t in NASTY_TEXT] + [
    b"\xff",
    b"\xfe\xff",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\x81\x30",
    "供应商".encode("gb18030"),
    "供應商".encode("big5"),
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0",
]

nasty_text = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.builds(lambda a, b: a + b, st.sampled_from(NASTY_TEXT), st.text(max_size=10)),
)


# ------------------------------------------------------------------------- mutations


@st.composite
def mutated_bytes(draw: st.DrawFn, original: bytes, max_steps: int = 6) -> bytes:
    """Return ``original`` after a few random byte-level edits (or replaced outright)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=4096))
    data = bytearray(original)
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(
            ["flip", "insert", "token", "delete", "truncate", "duplicate", "swap"]
        ))
        at = draw(st.integers(0, max(len(data), 0)))
        if op == "flip" and data:
            at = min(at, len(data) - 1)
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "delete" and data:
            end = draw(st.integers(at, min(len(data), at + 64)))
            del data[at:end]
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate" and data:
            end = draw(st.integers(at, min(len(data), at + 256)))
            data[at:at] = data[at:end] * draw(st.integers(1, 8))
        elif op == "swap" and len(data) > 1:
            other = draw(st.integers(0, len(data) - 1))
            at = min(at, len(data) - 1)
            data[at], data[other] = data[other], data[at]
    return bytes(data)


@st.composite
def mutated_csv(draw: st.DrawFn, original: str) -> str:
    """Return a CSV text with cells, rows or header names replaced by nasty values."""
    rows = [line.split(",") for line in original.splitlines()]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cell", "cell", "row", "drop", "header", "widen"]))
        r = draw(st.integers(0, len(rows) - 1)) if rows else 0
        if op == "cell" and rows and rows[r]:
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = _quoted(draw(nasty_text))
        elif op == "row":
            width = len(rows[0]) if rows else 3
            rows.insert(r, [_quoted(draw(nasty_text)) for _ in range(width)])
        elif op == "drop" and rows:
            del rows[r]
        elif op == "header" and rows and rows[0]:
            c = draw(st.integers(0, len(rows[0]) - 1))
            rows[0][c] = _quoted(draw(nasty_text))
        elif op == "widen" and rows:
            rows[r].extend(_quoted(draw(nasty_text)) for _ in range(draw(st.integers(1, 3))))
    return "\n".join(",".join(row) for row in rows) + "\n"


def _quoted(text: str) -> str:
    """Return ``text`` as one CSV cell (quoted when it must be), or raw now and then."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def rezip(original: bytes, member: str, content: bytes) -> bytes:
    """Return the XLSX ``original`` with one member's content replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            data = content if info.filename == member else src.read(info.filename)
            dst.writestr(info.filename, data)
    return out.getvalue()


# ---------------------------------------------------------------------------- stores


def store_state(store: Store) -> dict[str, Any]:
    """Return everything a load could change: every row, versions, loads, resolutions."""
    info = store.info(last_loads=1000)
    return {
        "tables": {t: list(store.iter_rows(t)) for t in TABLE_ORDER},
        "data_version": store.data_version(),
        "loads": [(r.id, r.bundle, r.checksum) for r in info.loads],
        "bundles": store.bundles(),
        "resolutions": store.resolutions(),
    }


@contextmanager
def scratch() -> Iterator[Path]:
    """Yield a fresh temporary folder, removed afterwards (one per hypothesis example)."""
    folder = Path(tempfile.mkdtemp(prefix="chainrisk-fuzz-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def env(**values: str | None) -> Iterator[None]:
    """Set (or, with None, unset) environment variables for the block."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# Small limits now and then, so that every limit is hit by mutated input too.
limit_env = st.fixed_dictionaries(
    {},
    optional={
        "CHAINRISK_MAX_ROWS": st.integers(0, 6).map(str),
        "CHAINRISK_MAX_CELL_CHARS": st.integers(0, 64).map(str),
        "CHAINRISK_MAX_FILE_BYTES": st.integers(0, 4000).map(str),
        "CHAINRISK_MAX_UNPACKED_BYTES": st.integers(0, 20000).map(str),
    },
)
