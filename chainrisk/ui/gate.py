"""The door in front of the app: sign-in on an HTTP route, and every request checked.

Streamlit (1.67+) serves the app through Starlette; ``chainrisk ui`` starts it as an
``st.App`` (``chainrisk/ui/entry/server.py``) with :class:`Gate` as middleware and
:func:`routes` beside Streamlit's own. With an access policy in force:

- ``GET /chainrisk/signin`` draws the sign-in form (Chinese or English, no script, no
  outside resource); ``POST`` checks the password under the policy's throttle (on a
  worker thread: scrypt never blocks the server) and, when it is right, issues a fresh
  token (:mod:`chainrisk.ui.sessions`) as an HttpOnly, SameSite=Strict cookie, Secure
  when the request came over TLS. The form carries an anti-forgery token of its own.
- Page addresses without a live sign-in are redirected to the form; an OIDC identity
  (Streamlit's signed ``_streamlit_user`` cookie, set by ``st.login``) that the policy
  accepts is turned into a sign-in there.
- The WebSocket (``/_stcore/stream``) opens only with a live sign-in, and not for a
  Streamlit session id bound to another one; it is closed when the sign-in ends.
- Uploads (``/_stcore/upload_file/<session>/…``) need a live admin sign-in that holds
  that session; ``/media`` files are served only to the sign-in that made them; every
  other ``/_stcore`` and ``/component`` address needs a live sign-in, except the health
  and host-config checks and the sign-in flow itself.
- ``/auth/logout`` (where ``st.logout`` sends the browser) ends the sign-in and clears
  its cookie.

Always, policy or not: ``/_stcore/metrics`` and Streamlit's agent API
(``/_stcore/agent/…``) are closed. Without a policy everything else passes untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import os
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from chainrisk.auth import (
    AUDIT,
    MAX_PASSWORD_CHARS,
    Policy,
    PolicyError,
    SignInRefused,
    client_label,
    sign_in,
)
from chainrisk.ui import LANG_ENV, TRUSTED_PROXIES_ENV
from chainrisk.ui.i18n import LANGS, Tr, default_lang
from chainrisk.ui.sessions import COOKIE, FORM_COOKIE, POLICIES, SESSIONS, Session

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SIGNIN = "/chainrisk/signin"
OIDC_START = "/chainrisk/oidc"
LOGOUT = "/auth/logout"  # Streamlit's route, where st.logout sends the browser
STREAM = "/_stcore/stream"
UPLOAD = "/_stcore/upload_file/"
MEDIA = "/media/"
CLOSED = ("/_stcore/metrics",)
CLOSED_PREFIXES = ("/_stcore/agent",)
OPEN = ("/_stcore/health", "/_stcore/host-config", "/favicon.png", "/manifest.json",
        "/auth/login", "/oauth2callback", SIGNIN, OIDC_START)
OPEN_PREFIXES = ("/static/",)
GUARDED_PREFIXES = ("/_stcore/", "/component/", MEDIA, "/app/static/")
MAX_FORM_BYTES = 16 * 1024
CHECK_SECONDS = 5.0  # how often an open WebSocket's sign-in is looked at
CLOSE_SIGNED_OUT = 4001  # WebSocket close code: the sign-in ended
LANG_COOKIE = "chainrisk_lang"
_CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")


# ---------------------------------------------------------------------- small parts


def base_path() -> str:
    """Return Streamlit's ``server.baseUrlPath`` as ``/prefix`` ('' when none)."""
    try:
        from streamlit import config

        raw = str(config.get_option("server.baseUrlPath") or "")
    except Exception:  # no Streamlit config (unit tests): no prefix
        raw = ""
    raw = raw.strip("/")
    return f"/{raw}" if raw else ""


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            with contextlib.suppress(Exception):  # a malformed cookie header: ignore it
                jar.load(value.decode("latin-1"))
    return {k: m.value for k, m in jar.items()}


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _headers_all(scope: Scope, wanted: bytes) -> list[str]:
    return [v.decode("latin-1") for n, v in scope.get("headers", ()) if n == wanted]


def client_of(scope: Scope) -> str | None:
    """Return the address a request comes from (see :func:`chainrisk.ui.access.client_address`)."""
    from chainrisk.ui.access import client_address, tcp_peer, trusted_proxies

    peer = scope.get("client")
    host = peer[0] if peer else None
    hops = [hop.strip() for v in _headers_all(scope, b"x-forwarded-for") for hop in v.split(",")]
    return client_address(tcp_peer(host, hops), hops,
                          trusted_proxies(os.environ.get(TRUSTED_PROXIES_ENV, "")))


def _secure(scope: Scope) -> bool:
    """Return whether the browser reached us over TLS (directly or through a trusted proxy)."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    from chainrisk.auth import parse_address
    from chainrisk.ui.access import tcp_peer, trusted_proxies

    proto = (_header(scope, b"x-forwarded-proto") or "").split(",")[0].strip().lower()
    peer = scope.get("client")
    hops = [hop.strip() for v in _headers_all(scope, b"x-forwarded-for") for hop in v.split(",")]
    real = parse_address(tcp_peer(peer[0] if peer else None, hops))
    trusted = trusted_proxies(os.environ.get(TRUSTED_PROXIES_ENV, ""))
    return proto == "https" and real is not None and any(real in n for n in trusted)


def set_cookie(name: str, value: str, scope: Scope, *, max_age: int | None = None) -> bytes:
    """Return a Set-Cookie header value: HttpOnly, SameSite=Strict, Secure over TLS."""
    parts = [f"{name}={value}", f"Path={base_path() or '/'}", "HttpOnly", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if _secure(scope):
        parts.append("Secure")
    return "; ".join(parts).encode("latin-1")


def clear_cookie(name: str, scope: Scope) -> bytes:
    """Return a Set-Cookie header value that removes cookie ``name``."""
    return set_cookie(name, "", scope, max_age=0)


async def _respond(send: Send, status: int, body: bytes = b"",
                   headers: Iterable[tuple[bytes, bytes]] = (),
                   content_type: bytes = b"text/plain; charset=utf-8") -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"), *headers]})
    await send({"type": "http.response.body", "body": body})


async def _refuse(send: Send, status: int = 403) -> None:
    words = {403: b"403: sign in first / \xe8\xaf\xb7\xe5\x85\x88\xe7\x99\xbb\xe5\xbd\x95\n",
             404: b"404: not found\n", 503: b"503: the access policy is unusable\n"}
    await _respond(send, status, words.get(status, b"refused\n"))


async def _redirect(send: Send, to: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    await _respond(send, 303, b"", [(b"location", to.encode("latin-1")), *headers])


def _safe_next(raw: str | None) -> str:
    """Return the address to go to after signing in: a path on this server, else the home page."""
    base = base_path()
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return base + "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in raw):
        return base + "/"
    return raw


def _policy_path() -> Path | None:
    from chainrisk.auth import POLICY_ENV

    raw = os.environ.get(POLICY_ENV, "").strip()
    return Path(raw).expanduser() if raw else None


def _policy() -> Policy:
    """Return the policy in force; PolicyError (details for the server log only) otherwise."""
    path = _policy_path()
    assert path is not None
    try:
        return POLICIES.policy(path)
    except OSError as e:
        raise PolicyError(str(path), [f"it cannot be read ({e.strerror})"]) from None


# ---------------------------------------------------------------------- the middleware


class Gate:
    """ASGI middleware: checks every request against the sign-ins (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        base = base_path()
        path = str(scope.get("path", ""))
        rel = path[len(base):] if base and path.startswith(base) else path
        rel = rel or "/"
        if rel in CLOSED or rel.startswith(CLOSED_PREFIXES):
            await self._close(scope, send, 404)
            return
        if _policy_path() is None:
            await self.app(scope, receive, send)
            return
        try:
            policy = _policy()
        except PolicyError as e:
            AUDIT.error("access policy unusable, every request refused: %s", e)
            if scope["type"] == "http" and rel == SIGNIN:
                await self.app(scope, receive, send)  # the form says so, without details
            else:
                await self._close(scope, send, 503)
            return
        cookies = _cookies(scope)
        session = SESSIONS.lookup(cookies.get(COOKIE))
        if scope["type"] == "websocket":
            await self._socket(scope, receive, send, rel, session)
            return
        method = scope.get("method", "GET")
        if rel == LOGOUT:
            await self._logout(scope, receive, send, session)
        elif rel in OPEN or rel.startswith(OPEN_PREFIXES):
            await self.app(scope, receive, send)
        elif rel.startswith(UPLOAD):
            await self._upload(scope, receive, send, rel, session, policy)
        elif rel.startswith(MEDIA):
            await self._media(scope, receive, send, rel, session)
        elif rel.startswith(GUARDED_PREFIXES):
            if session is None:
                await _refuse(send)
            else:
                await self.app(scope, receive, send)
        elif method not in ("GET", "HEAD"):
            await _refuse(send, 404 if session is not None else 403)
        elif session is not None:
            await self.app(scope, receive, send)
        else:
            issued = _oidc_sign_in(scope, cookies, policy)
            if issued is not None:
                await _redirect(send, path, [(b"set-cookie", set_cookie(COOKIE, issued, scope))])
            else:
                query = scope.get("query_string", b"").decode("latin-1")
                wanted = path + ("?" + query if query else "")
                await _redirect(send, f"{base}{SIGNIN}?next={quote(wanted, safe='')}")

    async def _close(self, scope: Scope, send: Send, status: int) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await _refuse(send, status)

    async def _socket(self, scope: Scope, receive: Receive, send: Send, rel: str,
                      session: Session | None) -> None:
        if rel != STREAM or session is None:
            await send({"type": "websocket.close", "code": 1008})
            return
        asked = _asked_session(scope)
        holder = SESSIONS.holder(asked) if asked else None
        if holder is not None and holder != session.key:
            AUDIT.warning("refused a WebSocket from client %s: it presented a session of "
                          "another sign-in", client_label(client_of(scope)))
            await send({"type": "websocket.close", "code": 1008})
            return
        await _Watched(session.key).run(self.app, scope, receive, send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, rel: str,
                      session: Session | None, policy: Policy) -> None:
        parts = rel[len(UPLOAD):].split("/")
        grant = session.grant(policy) if session is not None else None
        if session is None or grant is None:
            await _refuse(send)
            return
        if not grant.can_load or len(parts) != 2 or SESSIONS.holder(parts[0]) != session.key:
            AUDIT.warning("refused an upload from client %s (%r): %s",
                          client_label(client_of(scope)), session.user,
                          "not an admin" if not grant.can_load else "not its session")
            await _refuse(send)
            return
        await self.app(scope, receive, send)

    async def _media(self, scope: Scope, receive: Receive, send: Send, rel: str,
                     session: Session | None) -> None:
        if session is None:
            await _refuse(send)
            return
        data = _media_bytes(rel[len(MEDIA):])
        if data is None or not SESSIONS.may_fetch(session.key, data):
            await _refuse(send, 404)
            return
        await self.app(scope, receive, send)

    async def _logout(self, scope: Scope, receive: Receive, send: Send,
                      session: Session | None) -> None:
        if session is not None:
            SESSIONS.revoke(session.key)
            AUDIT.info("signed out: %r from client %s", session.user,
                       client_label(client_of(scope)))
        clearing = clear_cookie(COOKIE, scope)

        async def send_clearing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (b"set-cookie", clearing)]
            await send(message)

        await self.app(scope, receive, send_clearing)


def _asked_session(scope: Scope) -> str | None:
    """Return the Streamlit session id a WebSocket asks to resume (its third subprotocol)."""
    offered = [p.strip() for v in _headers_all(scope, b"sec-websocket-protocol")
               for p in v.split(",")]
    return offered[2] if len(offered) > 2 and offered[2] else None


def _media_bytes(name: str) -> bytes | None:
    """Return the bytes of the media file ``name`` (``<id>.<ext>``), None when there is none."""
    file_id = name.split(".", 1)[0]
    if not re.fullmatch(r"[0-9a-f]{16,128}", file_id):
        return None
    try:
        from streamlit.runtime import Runtime

        manager = Runtime.instance().media_file_mgr
        stored = manager.read_file(file_id)
    except Exception:  # no runtime, or another storage: nothing can be checked, so refuse
        return None
    return bytes(stored.content) if stored is not None else None


class _Watched:
    """One WebSocket, closed by the server when its sign-in ends or lapses."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.ended = asyncio.Event()
        self.closed = False

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()

        def on_end() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has stopped
                loop.call_soon_threadsafe(self.ended.set)

        unwatch = SESSIONS.watch(self.key, on_end)
        pending: asyncio.Future[Message] | None = None

        async def guarded_receive() -> Message:
            nonlocal pending
            if self.closed:
                return {"type": "websocket.disconnect", "code": CLOSE_SIGNED_OUT}
            if pending is None:
                pending = asyncio.ensure_future(receive())
            ending: asyncio.Future[Any] = asyncio.ensure_future(self.ended.wait())
            waiting: set[asyncio.Future[Any]] = {pending, ending}
            try:
                while True:
                    done, _ = await asyncio.wait(waiting, timeout=CHECK_SECONDS,
                                                 return_when=asyncio.FIRST_COMPLETED)
                    if pending in done:
                        message, pending = pending.result(), None
                        if message["type"] == "websocket.receive" and not SESSIONS.alive(
                                self.key):
                            return await self._end(send)
                        if message["type"] == "websocket.receive":
                            SESSIONS.touch(self.key)
                        return message
                    if ending in done or not SESSIONS.alive(self.key):
                        return await self._end(send)
            finally:
                ending.cancel()

        async def guarded_send(message: Message) -> None:
            if not self.closed:
                await send(message)

        try:
            await app(scope, guarded_receive, guarded_send)
        finally:
            unwatch()
            if pending is not None:
                pending.cancel()

    async def _end(self, send: Send) -> Message:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):  # the browser may be gone already
                await send({"type": "websocket.close", "code": CLOSE_SIGNED_OUT,
                            "reason": "signed out"})
        return {"type": "websocket.disconnect", "code": CLOSE_SIGNED_OUT}


# ---------------------------------------------------------------------- OIDC


def _oidc_sign_in(scope: Scope, cookies: dict[str, str], policy: Policy) -> str | None:
    """Return a new sign-in's token for the OIDC identity in Streamlit's cookie, if the
    policy accepts it (None: no identity, a forged or foreign one, or no access)."""
    claims = _oidc_claims(cookies)
    if not claims or claims.get("is_logged_in") is not True:
        return None
    grant = policy.grant_for_claims(claims)
    if grant is None or grant.user is None:
        return None
    AUDIT.info("signed in: %r (OIDC) from client %s", grant.user, client_label(client_of(scope)))
    return SESSIONS.issue(str(grant.user), "oidc", policy.signin, client_of(scope), claims)


def _oidc_claims(cookies: dict[str, str]) -> dict[str, Any] | None:
    """Return the claims in Streamlit's signed identity cookie (None: none, or not valid)."""
    try:
        from streamlit.auth_util import get_origin_from_redirect_uri
        from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME
        from streamlit.web.server.starlette.starlette_websocket import (
            _get_signed_cookie_with_chunks,
            _parse_decoded_user_cookie,
        )

        raw = _get_signed_cookie_with_chunks(cookies, USER_COOKIE_NAME)
        origin = get_origin_from_redirect_uri()
        if not raw or not origin:
            return None
        return dict(_parse_decoded_user_cookie(raw, origin))
    except Exception:  # Streamlit's internals moved or the cookie is damaged: no identity
        return None


# ---------------------------------------------------------------------- the sign-in page


def _lang(scope: Scope, asked: str | None = None) -> str:
    if asked in LANGS:
        return str(asked)
    chosen = _cookies(scope).get(LANG_COOKIE)
    return chosen if chosen in LANGS else default_lang(os.environ.get(LANG_ENV))


def _oidc_offered() -> bool:
    try:
        import streamlit as st

        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:
        return False


def page(tr: Tr, *, form_token: str, next_path: str, message: str = "",
         policy_ok: bool = True, passwords: bool = True, oidc: bool = False,
         oidc_out: bool = False) -> bytes:
    """Return the sign-in page: plain HTML, every value escaped, nothing fetched elsewhere.

    The form never comes back filled in: a password typed into the name box is not
    sent back to the browser.
    """
    e = html.escape
    base = base_path()
    other = "en" if tr.lang == "zh" else "zh"
    switch = (f'<a href="{e(base + SIGNIN)}?lang={other}&amp;next={e(quote(next_path, safe=""))}">'
              f'{e(LANGS[other])}</a>')
    body = [f"<h1>{e(tr('signin.title'))}</h1>", f"<p class=lead>{e(tr('signin.lead'))}</p>"]
    if message:
        body.append(f'<p class=msg role=alert>{e(message)}</p>')
    if oidc_out:
        body.append(f'<p><a href="{e(base + LOGOUT)}">{e(tr("account.sign_out"))}</a></p>')
    if not policy_ok:
        body.append(f'<p class=msg role=alert>{e(tr("signin.policy_broken"))}</p>')
    else:
        if oidc:
            body.append(f'<form method=post action="{e(base + OIDC_START)}">'
                        f'<input type=hidden name=csrf value="{e(form_token)}">'
                        f'<button type=submit>{e(tr("signin.oidc"))}</button></form>')
        if passwords:
            body.append(
                f'<form method=post action="{e(base + SIGNIN)}" autocomplete=on>'
                f'<input type=hidden name=csrf value="{e(form_token)}">'
                f'<input type=hidden name=next value="{e(next_path)}">'
                f'<label>{e(tr("signin.user"))}<input name=user '
                f'maxlength=256 autocomplete=username required autofocus></label>'
                f'<label>{e(tr("signin.password"))}<input name=password type=password '
                f'maxlength={MAX_PASSWORD_CHARS} autocomplete=current-password required></label>'
                f'<button type=submit>{e(tr("signin.submit"))}</button></form>')
        elif not oidc:
            body.append(f'<p class=msg role=alert>{e(tr("signin.no_method"))}</p>')
    return ("<!doctype html><html lang=\"" + ("zh-CN" if tr.lang == "zh" else "en") + "\">"
            "<head><meta charset=utf-8><meta name=viewport content=\"width=device-width\">"
            f"<title>chainrisk · {e(tr('signin.title'))}</title><style>"
            "body{font-family:system-ui,'WenQuanYi Micro Hei',sans-serif;max-width:28rem;"
            "margin:4rem auto;padding:0 1rem;color:#262730}label{display:block;margin:.8rem 0}"
            "input{display:block;width:100%;padding:.5rem;margin-top:.3rem;box-sizing:border-box;"
            "font-size:1rem}button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem;"
            "background:#ff4b4b;color:#fff;border:0;border-radius:.4rem}"
            ".msg{color:#a61b1b;background:#fdecec;padding:.6rem;border-radius:.4rem}"
            ".lead{color:#555}nav{text-align:right}</style></head><body>"
            f"<nav>{switch}</nav>" + "".join(body) + "</body></html>").encode("utf-8")


async def _read_form(receive: Receive) -> dict[str, str] | None:
    """Return the fields of an urlencoded form body (None: larger than :data:`MAX_FORM_BYTES`)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    text = b"".join(chunks).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _same_origin(scope: Scope) -> bool:
    """Return whether a POST comes from a page of this server (no Origin header: a form
    post from an old browser or a script; the anti-forgery cookie still has to match)."""
    origin = _header(scope, b"origin")
    if origin is None or origin == "null":
        return origin is None
    host = _header(scope, b"host") or ""
    forwarded = (_header(scope, b"x-forwarded-host") or "").split(",")[0].strip()
    return urlsplit(origin).netloc in {host, forwarded} - {""}


async def signin_route(scope: Scope, receive: Receive, send: Send) -> None:
    """``GET``/``POST /chainrisk/signin``: the form, and the password check behind it."""
    query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
    method = scope.get("method", "GET")
    form: dict[str, str] = {}
    if method == "POST":
        read = await _read_form(receive)
        if read is None:
            await _respond(send, 413, b"413: the form is too large\n")
            return
        form = read
    elif method not in ("GET", "HEAD"):
        await _respond(send, 405, b"405\n", [(b"allow", b"GET, POST")])
        return
    tr = Tr(_lang(scope, query.get("lang")))
    next_path = _safe_next(form.get("next") or query.get("next"))
    cookies = _cookies(scope)
    form_token = cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    headers = [(b"set-cookie", set_cookie(FORM_COOKIE, form_token, scope)),
               (b"set-cookie", set_cookie(LANG_COOKIE, tr.lang, scope)),
               (b"content-security-policy", _CSP.encode()), (b"x-frame-options", b"DENY")]
    try:
        policy: Policy | None = _policy() if _policy_path() is not None else None
    except PolicyError:
        policy = None
    if policy is None:
        body = page(tr, form_token=form_token, next_path=next_path, policy_ok=False)
        await _respond(send, 503, body, headers, b"text/html; charset=utf-8")
        return
    passwords = any(a.password for a in policy.accounts.values())
    draw: dict[str, Any] = {"form_token": form_token, "next_path": next_path,
                            "passwords": passwords, "oidc": _oidc_offered()}
    if method != "POST":
        if SESSIONS.lookup(cookies.get(COOKIE), touch=False) is not None and not query.get("lang"):
            await _redirect(send, next_path)
            return
        message, out = "", False
        claims = _oidc_claims(cookies)
        if claims and claims.get("is_logged_in") is True and policy.grant_for_claims(
                claims) is None:  # signed in at the identity provider, but no access here
            who = str(claims.get("email") or claims.get("sub") or "?")
            message, out = tr("signin.oidc_no_access", name=who), True
        await _respond(send, 200, page(tr, message=message, oidc_out=out, **draw), headers,
                       b"text/html; charset=utf-8")
        return
    if not _same_origin(scope) or not hmac.compare_digest(
            form.get("csrf", ""), cookies.get(FORM_COOKIE, "\0")):
        body = page(tr, message=tr("signin.bad_form"), **draw)
        await _respond(send, 400, body, headers, b"text/html; charset=utf-8")
        return
    name, password = form.get("user", "")[:256], form.get("password", "")
    if not name.strip() or not password:
        body = page(tr, message=tr("signin.empty"), **draw)
        await _respond(send, 400, body, headers, b"text/html; charset=utf-8")
        return
    client = client_of(scope)
    try:
        # scrypt on a worker thread: the server keeps serving while it runs
        token = await asyncio.to_thread(start, policy, name, password, client,
                                        cookies.get(COOKIE))
    except SignInRefused as refused:
        message = "" if refused.throttled else tr("signin.failed")
        if refused.wait > 0:
            from chainrisk.ui.access import WAIT_WORDS

            message += " " + tr(WAIT_WORDS[refused.limit], seconds=int(-(-refused.wait // 1)))
        status = 429 if refused.throttled else 401
        body = page(tr, message=message.strip(), **draw)
        await _respond(send, status, body, headers, b"text/html; charset=utf-8")
        return
    await _redirect(send, next_path, [(b"set-cookie", set_cookie(COOKIE, token, scope)),
                                      (b"set-cookie", clear_cookie(FORM_COOKIE, scope))])


def start(policy: Policy, name: str, password: str, client: str | None,
          previous: str | None = None) -> str:
    """Check ``password`` for ``name`` under the policy's throttle; return a new sign-in's token.

    SignInRefused when it is wrong or must wait (:func:`chainrisk.auth.sign_in` writes
    the audit line). The browser's ``previous`` sign-in, if any, ends: a sign-in always
    gets a fresh token, never one noted before it.
    """
    path = _policy_path()
    if path is None:
        raise PolicyError("$CHAINRISK_POLICY", ["no access policy is configured"])
    grant = sign_in(policy, POLICIES.throttle(path), name, password, client)
    old = SESSIONS.lookup(previous, touch=False)
    if old is not None:
        SESSIONS.revoke(old.key)
    return SESSIONS.issue(str(grant.user), "password", policy.signin, client)


async def oidc_route(scope: Scope, receive: Receive, send: Send) -> None:
    """``POST /chainrisk/oidc``: send the browser to the identity provider (``st.login``'s way)."""
    form = await _read_form(receive) if scope.get("method") == "POST" else None
    cookies = _cookies(scope)
    if form is None or not _same_origin(scope) or not hmac.compare_digest(
            form.get("csrf", ""), cookies.get(FORM_COOKIE, "\0")):
        await _redirect(send, base_path() + SIGNIN)
        return
    try:
        from streamlit.user_info import generate_login_redirect_url

        target = generate_login_redirect_url("default")
    except Exception as e:  # OIDC is not configured, or Authlib is missing
        AUDIT.error("OIDC sign-in cannot start: %s", type(e).__name__)
        await _redirect(send, base_path() + SIGNIN)
        return
    await _redirect(send, target)


INSTALLED = False  # set when the gate is put in front of the app (options())


def options() -> dict[str, Any]:
    """Return the ``st.App`` arguments that put the gate in front of the app."""
    from starlette.middleware import Middleware

    global INSTALLED
    INSTALLED = True
    return {"routes": routes(), "middleware": [Middleware(Gate)]}


class _Endpoint:
    """A raw ASGI endpoint (Starlette treats a plain function as request -> response)."""

    def __init__(self, handler: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handler(scope, receive, send)


def routes() -> list[Any]:
    """Return the gate's HTTP routes, for ``st.App(routes=...)``."""
    from starlette.routing import Route

    base = base_path()
    return [Route(base + SIGNIN, _Endpoint(signin_route), methods=["GET", "HEAD", "POST"]),
            Route(base + OIDC_START, _Endpoint(oidc_route), methods=["POST"])]


__all__ = ["COOKIE", "SIGNIN", "Gate", "base_path", "client_of", "page", "routes"]
