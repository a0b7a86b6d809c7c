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
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import config

from chainrisk.auth import (
    MAX_PASSWORD_CHARS,
    OPEN,
    POLICY_ENV,
    Grant,
    Policy,
    PolicyError,
    SignInRefused,
    Throttle,
    load_policy,
    sign_in,
)
from chainrisk.errors import AccessDenied
from chainrisk.ui import NO_AUTH_ENV, is_loopback
from chainrisk.ui.i18n import Tr

USER = "_chainrisk_user"  # session state: SignedIn, set only by a successful sign-in
KEEP_ON_SIGN_OUT = ("lang",)

log = logging.getLogger(__name__)


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


@st.cache_resource(show_spinner=False, max_entries=4)
def _load(path: str, mtime_ns: int, size: int) -> Policy:
    # keyed by the file's time and size, so that an edited policy is read again
    return load_policy(path)


def policy() -> Policy | None:
    """Return the policy in force (None: none configured); PolicyError when it is unusable."""
    path = policy_path()
    if path is None:
        return None
    try:
        info = path.stat()
    except OSError as e:
        raise PolicyError(str(path), [f"it cannot be read ({e.strerror}): check the path in "
                                      f"${POLICY_ENV} or --policy"]) from None
    return _load(str(path), info.st_mtime_ns, info.st_size)


@st.cache_resource(show_spinner=False)
def throttle(path: str) -> Throttle:
    """Return the failed sign-ins of the policy at ``path`` (one for the whole server)."""
    return Throttle()


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


def current() -> Grant | None:
    """Return what this session may see and do; None when a policy is on and nobody is in.

    Raises PolicyError for an unusable policy and :class:`Exposed` for a server open
    to the network with no policy: the caller shows the message and stops (it never
    falls back to open access).
    """
    pol = policy()
    if pol is None:
        address = _exposed_address()
        if address is not None and os.environ.get(NO_AUTH_ENV) != "1":
            raise Exposed(address)
        return OPEN
    who = st.session_state.get(USER)
    if isinstance(who, SignedIn):
        grant = pol.grant(who.name)
        if grant is None:  # the account left the policy since: end the session's sign-in
            del st.session_state[USER]
        return grant
    claims = oidc_claims()
    return pol.grant_for_claims(claims) if claims is not None else None


def plain(text: str) -> str:
    r"""Return ``text`` with Markdown's special characters escaped, to show it as typed.

    >>> plain("a_b*[x](y)")
    'a\\_b\\*\\[x\\]\\(y\\)'
    """
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>~$:" else ch for ch in text)


# ---------------------------------------------------------------------- sign-in page


def _password_form(tr: Tr, pol: Policy) -> None:
    path = str(policy_path())
    with st.form("signin", clear_on_submit=True, enter_to_submit=True):
        name = st.text_input(tr("signin.user"), key="signin_user", max_chars=256,
                             autocomplete="username")
        password = st.text_input(tr("signin.password"), key="signin_password", type="password",
                                 max_chars=MAX_PASSWORD_CHARS, autocomplete="current-password")
        submitted = st.form_submit_button(tr("signin.submit"), type="primary",
                                          icon=":material/login:", key="signin_submit")
    if not submitted:
        return
    if not name.strip() or not password:
        st.warning(tr("signin.empty"))
        return
    try:
        with st.spinner(tr("signin.checking")):
            grant = sign_in(pol, throttle(path), name, password)
    except SignInRefused as e:
        account = pol.account(name)
        # the name only when it is an account: a password typed into the name box stays out
        log.warning("sign-in refused for %s", repr(account.name) if account else
                    "an unknown user name")
        message = "" if e.throttled else tr("signin.failed")
        if e.wait > 0:
            message += " " + tr("signin.wait", seconds=math.ceil(e.wait))
        st.error(message.strip())
        return
    log.info("signed in: %r (password)", grant.user)
    st.session_state[USER] = SignedIn(str(grant.user))
    st.rerun()


def sign_in_page(tr: Tr) -> None:
    """Draw the sign-in page: the only page an anonymous session gets, at every address."""
    st.title(tr("signin.title"))
    st.caption(tr("signin.lead"))
    pol = policy()
    if pol is None:  # pragma: no cover - this page is only offered when a policy is on
        return
    claims = oidc_claims()
    if claims is not None:
        # signed in at the identity provider, but the policy gives this identity nothing
        who = str(claims.get("email") or claims.get("sub") or "?")
        st.error(tr("signin.oidc_no_access", name=plain(who)))
        if st.button(tr("account.sign_out"), key="signin_oidc_out", icon=":material/logout:"):
            sign_out()
        return
    has_passwords = any(a.password for a in pol.accounts.values())
    if oidc_configured():
        if importlib.util.find_spec("authlib") is None:
            st.warning(tr("signin.oidc_missing"))
        elif st.button(tr("signin.oidc"), key="signin_oidc", type="primary",
                       icon=":material/badge:"):
            st.login()
        if has_passwords:
            st.divider()
    elif not has_passwords:
        st.warning(tr("signin.no_method"))
    if has_passwords:
        _password_form(tr, pol)


def sign_out() -> None:
    """End this session's sign-in: forget everything it holds but the language."""
    kept = {k: st.session_state[k] for k in KEEP_ON_SIGN_OUT if k in st.session_state}
    oidc = oidc_claims() is not None
    who = st.session_state.get(USER)
    st.session_state.clear()
    st.session_state.update(kept)
    log.info("signed out: %r", who.name if isinstance(who, SignedIn) else "OIDC user")
    if oidc:
        st.logout()  # clears the identity cookie and starts a new session
        st.stop()
    st.rerun()


def account_box(tr: Tr, grant: Grant) -> None:
    """Draw who is signed in, their role and a sign-out button (nothing when access is open)."""
    if grant.user is None:
        return
    st.caption(tr("account.signed_in", name=plain(grant.user),
                  role=tr(f"access_role.{grant.role.value}")))
    if st.button(tr("account.sign_out"), key="account_sign_out", icon=":material/logout:"):
        sign_out()
