"""The Streamlit app for chain chiefs: pages under ``chainrisk.ui.pages``, entry ``app.py``.

:func:`run` starts it the way ``chainrisk ui`` does: bound to the loopback address by
default, headless, with usage statistics off, so that nothing leaves the machine.
:func:`check_access` refuses a network address without an access policy (unless
access control is turned off on purpose). Importing this package does not import
Streamlit.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

from chainrisk import limits
from chainrisk.auth import POLICY_ENV, load_policy
from chainrisk.errors import StoreError, UsageError

APP = Path(__file__).resolve().parent.parent.parent / "app.py"
NO_AUTH_ENV = "CHAINRISK_NO_AUTH"
NO_LIMIT_MB = 1_000_000  # what Streamlit gets for "no upload limit" (it needs a number)


def command(host: str = "127.0.0.1", port: int = 8501, app: Path = APP) -> list[str]:
    """Return the command line that serves the app on ``host:port``.

    The upload limit follows ``CHAINRISK_MAX_UPLOAD_BYTES``; a failure in the app
    shows its type in the browser, its details only in the server's log.

    >>> command(port=9000)[3:6] == ["run", str(APP), "--server.address"]
    True
    """
    upload = limits.current().max_upload_bytes
    upload_mb = -(-upload // limits.MiB) if upload else NO_LIMIT_MB
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.maxUploadSize", str(upload_mb),
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "viewer",
        "--client.showErrorDetails", "type",
        "--theme.base", "light",
    ]


def is_loopback(host: str | None) -> bool:
    """Return whether ``host`` is a loopback address (``localhost`` counts; '' does not).

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0"), is_loopback("")
    (True, True, False, False)
    """
    if not host:
        return False
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any address


def check_access(host: str, policy: str | None = None, *, no_auth: bool = False,
                 store: str | None = None) -> list[str]:
    """Return warnings about how the app would be served; UsageError when it must not be.

    ``policy`` is the policy file (default: $CHAINRISK_POLICY). Without one, only a
    loopback ``host`` is allowed, unless ``no_auth`` turns access control off on
    purpose. A policy is read and checked whole (every problem reported), and the
    chains it names are compared with those of ``store`` when it can be opened.

    >>> check_access("127.0.0.1")
    []
    >>> check_access("0.0.0.0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    chainrisk.errors.UsageError: --host 0.0.0.0 would let anyone who can reach ...
    """
    policy = policy or os.environ.get(POLICY_ENV, "").strip() or None
    if policy and no_auth:
        raise UsageError("--no-auth turns access control off, --policy turns it on: give one")
    if policy is None:
        if no_auth:
            return [] if is_loopback(host) else [
                f"access control is off (--no-auth) on {host}: anyone who can reach this "
                "port sees every chain and can load data"
            ]
        if is_loopback(host):
            return []
        raise UsageError(
            f"--host {host} would let anyone who can reach this port see every chain and "
            "load data, with no sign-in: give an access policy with --policy FILE (or "
            f"${POLICY_ENV}; users, groups and chains, see docs/security.md; make password "
            "hashes with 'chainrisk ui hash-password'), or --no-auth if the network itself "
            "is trusted"
        )
    loaded = load_policy(policy)
    warnings = list(loaded.warnings)
    try:
        from chainrisk.store import open_store

        opened = open_store(store)
        try:
            chains = [row["id"] for row in opened.iter_rows("chains")]
        finally:
            opened.close()
        warnings += loaded.unknown_chains(chains)
    except StoreError:
        pass  # the app says what is wrong with the store when it opens it
    return warnings


def run(host: str = "127.0.0.1", port: int = 8501, store: str | None = None,
        policy: str | None = None, *, no_auth: bool = False) -> int:
    """Serve the app until interrupted; return Streamlit's exit status.

    ``store`` names the store URL (default: $CHAINRISK_STORE, else the default store);
    ``policy`` the access policy file (default: $CHAINRISK_POLICY); ``no_auth`` lets a
    network address run without one. Call :func:`check_access` first.
    """
    if not APP.is_file():
        raise UsageError(
            f"the app entry {APP} is missing: run chainrisk ui from a clone of the "
            "repository (pip install -e .)"
        )
    env = dict(os.environ)
    if store:
        env["CHAINRISK_STORE"] = store
    if policy:
        env[POLICY_ENV] = str(Path(policy).expanduser().resolve())
    if no_auth:
        env[NO_AUTH_ENV] = "1"
    else:
        env.pop(NO_AUTH_ENV, None)
    try:
        return subprocess.call(command(host, port), env=env)
    except KeyboardInterrupt:
        return 0


__all__ = ["check_access", "command", "is_loopback", "run"]
