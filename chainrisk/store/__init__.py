"""Stores: where bundles are kept. ``open_store(url)`` picks the backend from the URL.

``sqlite:///path.db`` is the embedded store; ``neo4j://host:7687`` (or ``bolt://``,
with ``+s``/``+ssc`` for TLS, and an optional ``/database`` path) a Neo4j database,
whose driver is imported only when such a URL is opened.

>>> parse_store_url("sqlite:///data/chain.db")
PosixPath('data/chain.db')
>>> parse_store_url("sqlite:////var/lib/chain.db")
PosixPath('/var/lib/chain.db')

A URL is echoed in messages only through :func:`redact_url`, so a password written
into one never reaches a terminal or a log.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from platformdirs import user_data_dir

from chainrisk.errors import UsageError
from chainrisk.store.base import HasSchema, LoadRecord, Store, StoreInfo, TableChange, WritesBack
from chainrisk.store.copy import copy_store
from chainrisk.store.sqlite import SqliteStore

__all__ = [
    "NEO4J_SCHEMES",
    "HasSchema",
    "LoadRecord",
    "SqliteStore",
    "Store",
    "StoreInfo",
    "TableChange",
    "WritesBack",
    "apply_schema",
    "copy_store",
    "default_store_url",
    "open_store",
    "parse_store_url",
    "redact_text",
    "redact_url",
]

# Kept equal to chainrisk.store.neo4j.NEO4J_SCHEMES (not imported: it imports the driver).
NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")

STORE_ENV = "CHAINRISK_STORE"


def redact_url(url: str) -> str:
    """Return ``url`` with the password of its ``user:password@`` part replaced by ``***``.

    >>> redact_url("neo4j://alice:s3cret@graph.example:7687/chains")
    'neo4j://alice:***@graph.example:7687/chains'
    >>> redact_url("alice:s3cret@graph.example:7687")
    'alice:***@graph.example:7687'
    >>> redact_url("sqlite:///data/chain.db")
    'sqlite:///data/chain.db'
    >>> redact_url("neo4j:/alice:s3cret@graph.example")  # one slash short: still hidden
    'neo4j:/alice:***@graph.example'
    """
    found = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:/+", url)
    scheme, sep, rest = ("", found.group(), url[found.end():]) if found else ("", "", url)
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority = rest[:end]
    if "@" not in authority:
        return url
    userinfo, host = authority.rsplit("@", 1)
    user, colon, _ = userinfo.partition(":")
    shown = f"{user}:***" if colon else userinfo
    return f"{scheme}{sep}{shown}@{host}{rest[end:]}"


# in a text: the password of a user:password@ part, with or without a scheme before it
_IN_USERINFO = re.compile(r"((?:[A-Za-z][\w+.-]*:/+)?[^\s/:@'\"]*:)[^\s@/'\"]*@")
# the value of every query parameter of a URL (?password=…, &auth=…)
_IN_QUERY = re.compile(r"([?&][^=&\s'\"/?]*=)[^&\s'\"]*")
# a "port" that is not a number, where a password typed without a user ends up
_IN_PORT = re.compile(r"(://[^\s/:@'\"?]*:)(?!\d+(?:[/?'\"\s]|$))[^\s/@'\"?]+")


def redact_text(text: str) -> str:
    """Return ``text`` with whatever might be a password in the URLs it quotes hidden:
    for texts that quote what a user typed (argparse's usage errors), where the URL may
    be mistyped in any part.

    >>> redact_text("unrecognized arguments: neo4j://h:7687?password=s3cret&x=1")
    'unrecognized arguments: neo4j://h:7687?password=***&x=***'
    >>> redact_text("invalid choice: 'bolt://neo4j:s3cret' (choose from 'a')")
    "invalid choice: 'bolt://neo4j:***' (choose from 'a')"
    >>> redact_text("arguments: alice:s3cret@h:7687 neo4j://h:7687/db")
    'arguments: alice:***@h:7687 neo4j://h:7687/db'
    """
    text = _IN_USERINFO.sub(r"\1***@", text)
    text = _IN_QUERY.sub(r"\1***", text)
    return _IN_PORT.sub(r"\1***", text)


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
            f"{redact_url(url)!r} is not a store URL: write sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db"
        )
    raise UsageError(f"{redact_url(url)!r} is not an embedded-store URL")


def open_store(url: str | None = None) -> Store:
    """Return the store named by ``url`` (default: :func:`default_store_url`).

    A Neo4j store takes its user and password from ``NEO4J_USER`` / ``NEO4J_PASSWORD``
    (or ``NEO4J_PASSWORD_FILE``) and opens one driver: open it once per process.
    """
    url = url or default_store_url()
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "sqlite" or url.startswith("sqlite:"):
        return SqliteStore(parse_store_url(url), url=url)
    if scheme in NEO4J_SCHEMES:
        from chainrisk.store.neo4j import Neo4jStore

        return Neo4jStore(url)
    if not scheme and url.endswith((".db", ".sqlite", ".sqlite3")):
        path = Path(url)
        return SqliteStore(path, url=f"sqlite:///{path}")
    raise UsageError(
        f"unknown store {redact_url(url)!r}: use sqlite:///path/to/chain.db (embedded) "
        "or neo4j://host:7687 (with the password in NEO4J_PASSWORD, never in the URL)"
    )


def apply_schema(store: Store) -> list[str]:
    """Return the schema statements run on ``store`` (none for the embedded store).

    A Neo4j store gets the uniqueness constraints and indexes of ``graph_schema/``
    (idempotent); the embedded store creates its tables itself when opened.
    """
    if isinstance(store, SqliteStore):
        return []
    if not isinstance(store, HasSchema):
        raise UsageError(f"{store.url} is not a store whose schema chainrisk can apply")
    return store.apply_schema()
