"""Stores: where bundles are kept. ``open_store(url)`` picks the backend from the URL.

>>> parse_store_url("sqlite:///data/chain.db")
PosixPath('data/chain.db')
>>> parse_store_url("sqlite:////var/lib/chain.db")
PosixPath('/var/lib/chain.db')
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from chainrisk.errors import UsageError
from chainrisk.store.base import LoadRecord, Store, StoreInfo, TableChange
from chainrisk.store.sqlite import SqliteStore

__all__ = [
    "LoadRecord",
    "SqliteStore",
    "Store",
    "StoreInfo",
    "TableChange",
    "default_store_url",
    "open_store",
    "parse_store_url",
]

STORE_ENV = "CHAINRISK_STORE"


def default_store_url() -> str:
    """Return the store URL used when none is named: $CHAINRISK_STORE, else the data folder."""
    named = os.environ.get(STORE_ENV)
    if named:
        return named
    return f"sqlite:///{Path(user_data_dir('chainrisk', appauthor=False)) / 'chainrisk.db'}"


def parse_store_url(url: str) -> Path:
    """Return the file path of an embedded-store URL (SQLAlchemy's spelling)."""
    if url.startswith("sqlite:///"):
        rest = url.removeprefix("sqlite:///")
        if not rest:
            raise UsageError("the sqlite URL names no file: use sqlite:///path/to/chain.db")
        return Path(rest)
    if url.startswith("sqlite:"):
        raise UsageError(
            f"{url!r} is not a store URL: write sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db"
        )
    raise UsageError(f"{url!r} is not an embedded-store URL")


def open_store(url: str | None = None) -> Store:
    """Return the store named by ``url`` (default: :func:`default_store_url`)."""
    url = url or default_store_url()
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "sqlite" or url.startswith("sqlite:"):
        return SqliteStore(parse_store_url(url), url=url)
    if scheme in ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"):
        raise UsageError(
            f"{scheme}:// stores are not supported by this version of chainrisk yet; "
            "use the embedded store (sqlite:///path.db)"
        )
    if not scheme and url.endswith((".db", ".sqlite", ".sqlite3")):
        path = Path(url)
        return SqliteStore(path, url=f"sqlite:///{path}")
    raise UsageError(
        f"unknown store {url!r}: use sqlite:///path/to/chain.db (embedded) "
        "or neo4j://host:7687"
    )
