"""Signing in, and who is signed in: the app's side of :mod:`chainrisk.auth`.

With no policy configured (no ``$CHAINRISK_POLICY``), access control is off and every
session gets :data:`~chainrisk.auth.OPEN`, as the local demo always had; but a server
listening beyond the loopback address without a policy shows nothing unless
``$CHAINRISK_NO_AUTH`` says so on purpose (``chainrisk ui --no-auth``).

With a policy, :func:`current` returns the grant of the session's user, or None for
nobody: users sign in with a password (checked against the policy's hashes under the
server-wide :class:`~chainrisk.auth.Throttle`) or through Streamlit's OIDC login when
``[auth]`` is configured in ``.streamlit/secrets.toml``. The session keeps only the
user's name, in an object a browser cannot forge (widgets send plain values); the
grant is derived from the policy file on every rerun, so an edit of the policy takes
effect at once. Passwords are never stored, shown or logged.

Every sign-in, refusal, pause and sign-out goes to the audit trail with the client's
address (:func:`session_client`): the TCP peer of the session's connection, or the
address named in ``X-Forwarded-For`` when the peer is a proxy listed in
``$CHAINRISK_TRUSTED_PROXIES`` (default: none is trusted); "unknown" when there is no
connection (AppTest). Session ids are never written.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import config

from chainrisk.auth import (
    AUDIT,
    OPEN,
    POLICY_ENV,
    Grant,
    Limit,
    Policy,
    PolicyError,
    client_label,
    parse_address,
)
from chainrisk.errors import AccessDenied
from chainrisk.ui import NO_AUTH_ENV, TRUSTED_PROXIES_ENV, gate, is_loopback
from chainrisk.ui.i18n import Tr
from chainrisk.ui.sessions import COOKIE, POLICIES, SESSIONS, Session
from chainrisk.ui.text import md

USER = "_chainrisk_user"  # session state: SignedIn, set only by a successful sign-in
KEEP_ON_SIGN_OUT = ("lang",)

log = AUDIT  # chainrisk.auth writes sign-ins and refusals to it; sign-outs are written here
WAIT_WORDS = {Limit.NAME: "signin.wait", Limit.CLIENT: "signin.client_wait",
               Limit.SERVER: "signin.busy"}


class _AuditTrail(logging.Handler):
    """Writes sign-ins, refusals and sign-outs to the server's standard error.

    The server's log (a terminal, or the journal under systemd) is the audit trail even
    when nobody configured logging; the stream is looked up at each record, so it
    follows redirection.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # a broken stderr must not break a sign-in
            self.handleError(record)


if not any(isinstance(h, _AuditTrail) for h in log.handlers):
    _trail = _AuditTrail(logging.INFO)
    _trail.setFormatter(logging.Formatter("%(asctime)s chainrisk access: %(message)s"))
    log.addHandler(_trail)
    log.setLevel(logging.INFO)


@dataclass(frozen=True)
class SignedIn:
    """The user a session signed in as with a password (never the password)."""

    name: str


class Exposed(AccessDenied):
    """The server listens beyond loopback with no policy and no explicit --no-auth."""

    def __init__(self, address: str) -> None:
        super().__init__(f"served on {address} without an access policy")
        self.address = address


def policy_path() -> Path | None:
    """Return the policy file named by $CHAINRISK_POLICY (None: access control off)."""
    raw = os.environ.get(POLICY_ENV, "").strip()
    return Path(raw).expanduser() if raw else None


def policy() -> Policy | None:
    """Return the policy in force (None: none configured); PolicyError when it is unusable."""
    path = policy_path()
    if path is None:
        return None
    try:
        return POLICIES.policy(path)
    except OSError as e:
        raise PolicyError(str(path), [f"it cannot be read ({e.strerror}): check the path in "
                                      f"${POLICY_ENV} or --policy"]) from None


# ---------------------------------------------------------------------- client address

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FORWARDED_FOR = "x-forwarded-for"
# Streamlit's server (uvicorn) reads X-Forwarded-For itself for peers in this variable
_UVICORN_TRUSTED_ENV = "FORWARDED_ALLOW_IPS"


def _address(text: str | None) -> _Address | None:
    """Return the IP address in ``text`` (a port or brackets dropped), or None."""
    if not isinstance(text, str) or not text:
        return None
    text = text.strip()
    if m := re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::\d+)?", text):
        text = m[1]
    elif re.fullmatch(r"[0-9.]+:\d+", text):
        text = text.rsplit(":", 1)[0]
    return parse_address(text)


@cache
def trusted_proxies(text: str) -> tuple[_Network, ...]:
    """Return the proxy addresses and networks in ``text`` (commas or spaces between them).

    An entry that is neither is left out, with a warning in the server's log.

    >>> [str(n) for n in trusted_proxies("127.0.0.1, 10.0.0.0/8 ::1 nonsense")]
    ['127.0.0.1/32', '10.0.0.0/8', '::1/128']
    """
    networks = []
    for entry in re.split(r"[\s,]+", text.strip()):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            log.warning("%s: %r is not an IP address or network; it is ignored",
                        TRUSTED_PROXIES_ENV, entry[:60])
    return tuple(networks)


def client_address(peer: str | None, forwarded: Sequence[str],
                   trusted: Iterable[_Network]) -> str | None:
    """Return the address a request comes from: ``peer``, or a forwarded one via trusted proxies.

    ``forwarded`` holds the hops of ``X-Forwarded-For`` in order, the client's first:
    each proxy appends the address it was reached from. They are read from the right
    while the address reached so far is a trusted proxy; the first one that is not is
    the client. Nothing is trusted by default, so a header sent by the client itself
    changes nothing; a malformed hop ends the walk at the last proxy. None: no peer.

    >>> proxies = trusted_proxies("127.0.0.1, 10.0.0.0/8")
    >>> client_address("127.0.0.1", ["203.0.113.9", "10.1.2.3"], proxies)
    '203.0.113.9'
    >>> client_address("127.0.0.1", ["6.6.6.6", "203.0.113.9"], proxies)  # 6.6.6.6 is made up
    '203.0.113.9'
    >>> client_address("198.51.100.7", ["203.0.113.9"], proxies)  # not a proxy: not believed
    '198.51.100.7'
    >>> client_address("127.0.0.1", ["203.0.113.9"], ()), client_address(None, [], proxies)
    ('127.0.0.1', None)
    """
    current = _address(peer)
    if current is None:
        return None
    networks = tuple(trusted)
    for hop in reversed(forwarded):
        if not any(current in net for net in networks):
            break
        previous = _address(hop)
        if previous is None:
            break
        current = previous
    return str(current)


def _connection() -> tuple[str | None, list[str]]:
    """Return this session's TCP peer and the hops of its X-Forwarded-For headers."""
    peer: str | None = None
    headers: list[tuple[str, str]] = []
    try:
        # the raw peer: st.context.ip_address says None for a loopback peer
        from streamlit.runtime import get_instance
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        client = get_instance().get_client(ctx.session_id) if ctx is not None else None
        context = client.client_context if client is not None else None
        if context is not None:
            peer, headers = context.remote_ip, list(context.headers)
            if not isinstance(peer, str):  # AppTest's runtime is a mock: no connection
                return None, []
    except Exception:  # no runtime (AppTest), or Streamlit's internals moved: the public API
        try:
            peer = st.context.ip_address
            headers = [(_FORWARDED_FOR, v) for v in st.context.headers.get_all(_FORWARDED_FOR)]
        except Exception:
            return None, []
    hops = [hop.strip() for name, value in headers
            if isinstance(name, str) and isinstance(value, str)
            and name.lower() == _FORWARDED_FOR for hop in value.split(",")]
    return peer, hops


def tcp_peer(peer: str | None, hops: Sequence[str]) -> str | None:
    """Return the TCP peer of a connection whose peer the server says is ``peer``.

    Streamlit's server (uvicorn) itself replaces the peer by an address from
    ``X-Forwarded-For`` when the peer is one it trusts ($FORWARDED_ALLOW_IPS, by default
    the loopback address), so a client on loopback could pose as any address. A peer
    that is one of the hops was replaced that way: the real peer is then the address
    uvicorn trusts (None when that is not one address).

    >>> tcp_peer("203.0.113.9", ["203.0.113.9"]), tcp_peer("192.0.2.1", ["203.0.113.9"])
    ('127.0.0.1', '192.0.2.1')
    """
    seen = _address(peer)
    if seen is None or seen not in {_address(h) for h in hops}:
        return peer
    allowed = os.environ.get(_UVICORN_TRUSTED_ENV, "127.0.0.1").split(",")[0].strip()
    real = _address(allowed)
    return None if real is None else str(real)


def session_client() -> str | None:
    """Return the address this session's requests come from (None: unknown)."""
    peer, hops = _connection()
    return client_address(tcp_peer(peer, hops), hops,
                          trusted_proxies(os.environ.get(TRUSTED_PROXIES_ENV, "")))


def _exposed_address() -> str | None:
    """Return the address the server listens on when that is beyond loopback, else None."""
    # streamlit.config's own get_option: AppTest patches that one to say it is a test
    if config.get_option("global.appTest"):
        return None  # AppTest runs the script without any server
    address = config.get_option("server.address")
    if not address:
        return "0.0.0.0"  # Streamlit's default: every interface
    return None if is_loopback(str(address)) else str(address)


def oidc_configured() -> bool:
    """Return whether ``[auth]`` is set in Streamlit's secrets (st.login can be offered)."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:  # a broken secrets file: Streamlit reports it itself
        return False


def oidc_claims() -> dict[str, Any] | None:
    """Return the identity claims of the OIDC user signed in to this session, if any."""
    if not oidc_configured():
        return None
    claims = dict(st.user.to_dict())
    return claims if claims.get("is_logged_in") is True else None


class Unguarded(AccessDenied):
    """A policy is on but the app runs without the gate in front (``streamlit run`` of the
    entry script itself): there is nobody to check sign-ins, so nothing is shown."""

    def __init__(self) -> None:
        super().__init__("the app runs without its sign-in gate")


def session_token() -> str | None:
    """Return the sign-in token the browser sent with this session's WebSocket (None: none)."""
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no connection (AppTest)
        return None
    return token if isinstance(token, str) else None


def _streamlit_session() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


_SIGNED_IN_AS = "_chainrisk_signin"  # session state: the key of the sign-in it was drawn for


def signed_in() -> Session | None:
    """Return the live sign-in of this session's browser (None: nobody, or not its session).

    A Streamlit session belongs to the first sign-in that ran it: the same session id
    presented with another sign-in's cookie gets nothing, and a session that changes
    sign-in forgets everything it held.
    """
    session = SESSIONS.lookup(session_token())
    if session is None:
        return None
    sid = _streamlit_session()
    if sid is not None and not SESSIONS.bind(sid, session.key):
        log.warning("refused a session run from client %s: the session belongs to another "
                    "sign-in", client_label(session_client()))
        return None
    before = st.session_state.get(_SIGNED_IN_AS)
    if before != session.key:
        if before is not None:  # another sign-in's state: forgotten, and the run starts over
            kept = {k: st.session_state[k] for k in KEEP_ON_SIGN_OUT if k in st.session_state}
            st.session_state.clear()
            st.session_state.update(kept)
            st.session_state[_SIGNED_IN_AS] = session.key
            st.rerun()
        st.session_state[_SIGNED_IN_AS] = session.key
    return session


def current() -> Grant | None:
    """Return what this session may see and do; None when a policy is on and nobody is in.

    Raises PolicyError for an unusable policy, :class:`Exposed` for a server open to
    the network with no policy and :class:`Unguarded` for a policy without the gate:
    the caller shows the message and stops (it never falls back to open access).
    """
    pol = policy()
    if pol is None:
        address = _exposed_address()
        if address is not None and os.environ.get(NO_AUTH_ENV) != "1":
            raise Exposed(address)
        return OPEN
    if not gate.INSTALLED and not config.get_option("global.appTest"):
        raise Unguarded()
    session = signed_in()
    if session is None:
        return None
    grant = session.grant(pol)
    if grant is None:  # the account left the policy since: its sign-ins end
        SESSIONS.revoke(session.key)
    return grant


def download_owner() -> str | None:
    """Return the key of the sign-in whose downloads this run draws (None: access is open)."""
    session = SESSIONS.lookup(session_token(), touch=False)
    return session.key if session is not None else None


def plain(text: str) -> str:
    r"""Return ``text`` with Markdown's special characters escaped (:func:`chainrisk.ui.text.md`).

    >>> plain("a_b*[x](y)")
    'a\\_b\\*\\[x\\]\\(y\\)'
    """
    return md(text)


# ---------------------------------------------------------------------- sign-in page


def sign_in_page(tr: Tr) -> None:
    """Draw what a session without a live sign-in gets: a way to the sign-in form.

    The gate sends browsers without a sign-in to the form before the app loads; a
    session lands here when its sign-in ended while it was open.
    """
    st.title(tr("signin.title"))
    st.info(tr("signin.ended"))
    st.link_button(tr("signin.open_form"), gate.base_path() + gate.SIGNIN, type="primary",
                   icon=":material/login:")


SIGN_OUT_GRACE_SECONDS = 5.0  # the browser's time to reach /auth/logout before the end


def sign_out() -> None:
    """End this browser's sign-in and send it to the sign-in form.

    The browser goes through ``/auth/logout``, where the gate ends the sign-in and
    clears its cookie; a browser that does not go there loses it
    :data:`SIGN_OUT_GRACE_SECONDS` later all the same (ending it at once would close
    the socket before the browser hears where to go).
    """
    session = SESSIONS.lookup(session_token(), touch=False)
    kept = {k: st.session_state[k] for k in KEEP_ON_SIGN_OUT if k in st.session_state}
    st.session_state.clear()
    st.session_state.update(kept)
    if session is not None:
        log.info("signing out: %r from client %s", session.user,
                 client_label(session_client()))
        timer = threading.Timer(SIGN_OUT_GRACE_SECONDS, SESSIONS.revoke, [session.key])
        timer.daemon = True
        timer.start()
    st.logout()  # the browser leaves for /auth/logout, then the sign-in form
    st.stop()


def account_box(tr: Tr, grant: Grant) -> None:
    """Draw who is signed in, their role and a sign-out button (nothing when access is open)."""
    if grant.user is None:
        return
    st.caption(tr("account.signed_in", name=plain(grant.user),
                  role=tr(f"access_role.{grant.role.value}")))
    if st.button(tr("account.sign_out"), key="account_sign_out", icon=":material/logout:"):
        sign_out()
