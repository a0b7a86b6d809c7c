"""The Streamlit app for chain chiefs: pages under ``chainrisk.ui.pages``, entry script
``chainrisk/ui/entry/app.py`` (:data:`APP`), served behind the gate of
:mod:`chainrisk.ui.gate` by the ASGI entry ``chainrisk/ui/entry/chainrisk_server.py``
(:data:`SERVER`); both ship in the package.

:func:`run` starts it the way ``chainrisk ui`` does: bound to the loopback address by
default, headless, with usage statistics off, so that nothing leaves the machine; a
SIGTERM, SIGINT or SIGHUP to ``chainrisk ui`` stops the server with it.
:func:`check_access` refuses a network address without an access policy (unless
access control is turned off on purpose). :func:`environment` names every variable
the app reads. Importing this package does not import Streamlit.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from chainrisk import limits
from chainrisk.auth import POLICY_ENV, load_policy
from chainrisk.errors import StoreError, UsageError

APP = Path(__file__).resolve().parent / "entry" / "app.py"
SERVER = APP.with_name("chainrisk_server.py")
NO_AUTH_ENV = "CHAINRISK_NO_AUTH"
TRUSTED_PROXIES_ENV = "CHAINRISK_TRUSTED_PROXIES"  # whose X-Forwarded-For sign-in believes
LANG_ENV = "CHAINRISK_LANG"
# (SIGHUP: the terminal closed; there is none on Windows)
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP")
                     if hasattr(signal, name))
STOP_GRACE_SECONDS = 10.0  # then the server's process group is killed
NO_LIMIT_MB = 1_000_000  # what Streamlit gets for "no upload limit" (it needs a number)


def command(host: str = "127.0.0.1", port: int = 8501, app: Path = SERVER) -> list[str]:
    """Return the command line that serves the app on ``host:port``.

    The upload limit follows ``CHAINRISK_MAX_UPLOAD_BYTES``; a failure in the app
    shows its type in the browser, its details only in the server's log.

    >>> command(port=9000)[3:6] == ["run", str(SERVER), "--server.address"]
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
        from chainrisk.service import RiskService

        opened = RiskService.open(store)
        try:
            chains = opened.chain_ids()
        finally:
            opened.close()
        warnings += loaded.unknown_chains(chains)
    except StoreError:
        pass  # the app says what is wrong with the store when it opens it
    return warnings


def environment() -> tuple[str, ...]:
    """Return the names of the environment variables the app and its commands read.

    The settings a deployment may give: the store, the Neo4j account, the language, the
    access policy, the switch that turns access control off, and every limit
    (docker-compose.yml gives the app only names from this list; a test checks it).

    >>> "CHAINRISK_STORE" in environment() and "NEO4J_PASSWORD_FILE" in environment()
    True
    """
    from chainrisk.service import store_environment

    return (
        *store_environment(),
        LANG_ENV, POLICY_ENV, NO_AUTH_ENV, TRUSTED_PROXIES_ENV, *limits.ENV.values(),
    )


def run(host: str = "127.0.0.1", port: int = 8501, store: str | None = None,
        policy: str | None = None, *, no_auth: bool = False) -> int:
    """Serve the app until stopped; return Streamlit's exit status (0 when stopped by a signal).

    ``store`` names the store URL (default: $CHAINRISK_STORE, else the default store);
    ``policy`` the access policy file (default: $CHAINRISK_POLICY); ``no_auth`` lets a
    network address run without one. Call :func:`check_access` first.

    The server runs in a process group of its own; SIGTERM, SIGINT (Ctrl+C) and SIGHUP
    are passed on to that group (as SIGTERM), and when it has not stopped
    :data:`STOP_GRACE_SECONDS` later it is killed. Call it from the main thread.
    """
    missing = [str(p) for p in (APP, SERVER) if not p.is_file()]
    if missing:
        raise UsageError(
            f"the app entry {missing[0]} is missing from the installed package: reinstall "
            "chainrisk (pip install --force-reinstall chainrisk)"
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
    stops: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        stops.append(signum)

    # Handlers first, so that a signal arriving while the server starts is not lost.
    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        # A group of its own: a signal to chainrisk ui alone (kill, systemd, a container
        # runtime) would otherwise leave the server running; Ctrl+C reaches it through us.
        server = subprocess.Popen(command(host, port), env=env, start_new_session=True)
        return _serve(server, stops)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(server: subprocess.Popen[bytes], stops: list[int]) -> int:
    """Wait for ``server``, passing on each stop signal; return its status (0 if stopped)."""
    forwarded = 0
    deadline: float | None = None
    while True:
        while forwarded < len(stops):
            # SIGTERM whatever the stop: uvicorn ends cleanly on it, while SIGINT makes
            # the streamlit command report "Aborted!" and exit 1
            _signal_group(server.pid, signal.SIGTERM)
            forwarded += 1
            deadline = deadline or time.monotonic() + STOP_GRACE_SECONDS
        try:
            status = server.wait(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() > deadline:
                _signal_group(server.pid, signal.SIGKILL)
                deadline = None  # killed: the next wait returns
    _signal_group(server.pid, signal.SIGKILL)  # whatever the server left behind in its group
    if status < 0:  # ended by a signal: the one passed on is a stop, any other (-9) is not
        return 0 if stops and -status in (*stops, signal.SIGTERM) else 128 - status
    return status


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing left in it
        os.killpg(group, signum)


__all__ = ["APP", "SERVER", "check_access", "command", "environment", "is_loopback", "run"]
