"""Sign-ins the server issued: the credential a browser holds, checked on every request.

A successful sign-in (:mod:`chainrisk.ui.gate`, on an HTTP route) issues a fresh random
token, sent to the browser once as an HttpOnly, SameSite=Strict cookie
(:data:`COOKIE`). The server keeps only the token's SHA-256 digest (its :attr:`key`),
with the user, how they signed in and when it lapses: at most ``session_hours`` after
the sign-in, sooner after ``idle_minutes`` without a request (the policy's
``[signin]`` table). Sign-out, expiry and an account leaving the policy end it; every
WebSocket opened with it is then closed.

A Streamlit session id is not a credential: the first run of a Streamlit session
:meth:`Sessions.bind` s it to the sign-in whose cookie opened it, and the gate refuses
that session id (its WebSocket, its uploads) with any other cookie or none.
Downloads are made on click; the digest of each file's bytes is recorded for the
sign-in that clicked (:meth:`Sessions.made`), and ``/media`` serves a file only to it.

The registry lives in the server's memory (one process): a restart signs everyone
out. Nothing here imports Streamlit; tokens and session ids are never logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainrisk.auth import Grant, Policy, SignInLimits, Throttle, load_policy

COOKIE = "chainrisk_session"  # the sign-in's token (HttpOnly, SameSite=Strict)
FORM_COOKIE = "chainrisk_form"  # the sign-in form's anti-forgery token
TOKEN_BYTES = 32
MAX_SESSIONS = 10_000  # sign-ins held at once; the oldest idle one goes first beyond it
MAX_BINDINGS = 50_000  # Streamlit session ids remembered
MAX_DOWNLOADS = 200  # files remembered per sign-in


def digest(data: bytes) -> str:
    """Return the SHA-256 digest of ``data`` in hex (a token's key, a download's mark)."""
    return hashlib.sha256(data).hexdigest()


def key_of(token: str | None) -> str | None:
    """Return the key the registry keeps for ``token`` (None: no token, or not one of ours).

    >>> key_of(None), key_of(""), key_of("x" * 500)
    (None, None, None)
    >>> len(key_of("a" * 43) or "")
    64
    """
    if not isinstance(token, str) or not 16 <= len(token) <= 128 or not token.isascii():
        return None
    return digest(token.encode("ascii"))


@dataclass
class Session:
    """One sign-in: who, how (``password`` or ``oidc`` with the claims), and its clock."""

    key: str
    user: str
    method: str
    client: str | None
    started: float
    seen: float
    lifetime: float
    idle: float
    claims: Mapping[str, Any] | None = None
    downloads: list[str] = field(default_factory=list)

    def lapsed(self, now: float) -> bool:
        """Return whether the sign-in has run out (too old, or idle too long)."""
        return now - self.started > self.lifetime or now - self.seen > self.idle

    def grant(self, policy: Policy) -> Grant | None:
        """Return what the policy gives this user now (None: nothing any more)."""
        if self.method == "oidc":
            return policy.grant_for_claims(self.claims or {})
        return policy.grant(self.user)


class Sessions:
    """The server's sign-ins, the Streamlit sessions bound to them and their downloads.

    Thread-safe: the gate calls it on the server's event loop, the app from its
    script threads. ``clock`` is injectable for tests.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._bound: dict[str, str] = {}  # Streamlit session id -> key
        self._watchers: dict[str, dict[int, Callable[[], None]]] = {}
        self._next_watch = 0

    # -------------------------------------------------------------- issuing

    def issue(self, user: str, method: str, limits: SignInLimits, client: str | None = None,
              claims: Mapping[str, Any] | None = None) -> str:
        """Start a sign-in for ``user`` and return its token (for the cookie, never kept)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        key = key_of(token)
        assert key is not None
        now = self._clock()
        with self._lock:
            self._sessions[key] = Session(
                key, user, method, client, now, now, limits.session_hours * 3600.0,
                limits.idle_minutes * 60.0, dict(claims) if claims is not None else None)
            self._trim(now)
        return token

    def lookup(self, token: str | None, *, touch: bool = True) -> Session | None:
        """Return the live sign-in of ``token`` (None: none, ended or lapsed); mark it seen."""
        key = key_of(token)
        if key is None:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if session.lapsed(now):
                expired = self._end(key)
            else:
                if touch:
                    session.seen = now
                return session
        _notify(expired)
        return None

    def alive(self, key: str) -> bool:
        """Return whether the sign-in ``key`` is still live (without marking it seen)."""
        now = self._clock()
        with self._lock:
            session = self._sessions.get(key)
            if session is not None and not session.lapsed(now):
                return True
            expired = self._end(key) if session is not None else []
        _notify(expired)
        return False

    def touch(self, key: str) -> None:
        """Mark the sign-in ``key`` seen now (a message on its WebSocket)."""
        now = self._clock()
        with self._lock:
            session = self._sessions.get(key)
            if session is not None and not session.lapsed(now):
                session.seen = now

    def revoke(self, key: str) -> bool:
        """End the sign-in ``key``: its token is refused from now on and its sockets close."""
        with self._lock:
            known = key in self._sessions
            ended = self._end(key)
        _notify(ended)
        return known

    def revoke_user(self, user: str) -> int:
        """End every sign-in of ``user``; return how many there were."""
        with self._lock:
            keys = [k for k, s in self._sessions.items() if s.user == user]
            ended = [w for k in keys for w in self._end(k)]
        _notify(ended)
        return len(keys)

    def count(self) -> int:
        """Return how many sign-ins are held (lapsed ones not yet noticed included)."""
        with self._lock:
            return len(self._sessions)

    # -------------------------------------------------------------- Streamlit sessions

    def bind(self, session_id: str, key: str) -> bool:
        """Tie a Streamlit session to the sign-in ``key``; False if another sign-in holds it.

        The first sign-in to run a Streamlit session keeps it: the same session id
        presented later with another cookie is someone else's.
        """
        with self._lock:
            holder = self._bound.get(session_id)
            if holder is not None and holder != key and holder in self._sessions:
                return False
            self._bound[session_id] = key
            while len(self._bound) > MAX_BINDINGS:
                self._bound.pop(next(iter(self._bound)))
            return True

    def holder(self, session_id: str) -> str | None:
        """Return the key of the sign-in a Streamlit session is bound to (None: unbound)."""
        with self._lock:
            return self._bound.get(session_id)

    # -------------------------------------------------------------- downloads

    def made(self, key: str, data: bytes) -> None:
        """Record that the sign-in ``key`` made a download of these bytes."""
        mark = digest(data)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return
            if mark in session.downloads:
                session.downloads.remove(mark)
            session.downloads.append(mark)
            del session.downloads[:-MAX_DOWNLOADS]

    def may_fetch(self, key: str, data: bytes) -> bool:
        """Return whether the sign-in ``key`` made a download of exactly these bytes."""
        mark = digest(data)
        with self._lock:
            session = self._sessions.get(key)
            return session is not None and any(
                hmac.compare_digest(mark, m) for m in session.downloads)

    # -------------------------------------------------------------- sockets

    def watch(self, key: str, on_end: Callable[[], None]) -> Callable[[], None]:
        """Call ``on_end`` (from any thread) when the sign-in ``key`` ends; return an unwatch."""
        with self._lock:
            self._next_watch += 1
            ticket = self._next_watch
            self._watchers.setdefault(key, {})[ticket] = on_end

        def unwatch() -> None:
            with self._lock:
                watchers = self._watchers.get(key)
                if watchers is not None:
                    watchers.pop(ticket, None)
                    if not watchers:
                        del self._watchers[key]

        return unwatch

    # -------------------------------------------------------------- internals

    def _end(self, key: str) -> list[Callable[[], None]]:
        # called with the lock held; the watchers are called after it is released
        self._sessions.pop(key, None)
        for sid in [sid for sid, k in self._bound.items() if k == key]:
            del self._bound[sid]
        return list(self._watchers.pop(key, {}).values())

    def _trim(self, now: float) -> None:
        lapsed = [k for k, s in self._sessions.items() if s.lapsed(now)]
        ended = [w for k in lapsed for w in self._end(k)]
        while len(self._sessions) > MAX_SESSIONS:
            oldest = min(self._sessions.values(), key=lambda s: s.seen)
            ended += self._end(oldest.key)
        if ended:
            threading.Thread(target=_notify, args=(ended,), daemon=True).start()


def _notify(watchers: list[Callable[[], None]]) -> None:
    for on_end in watchers:
        with contextlib.suppress(Exception):  # a closed loop or socket: nothing left to tell
            on_end()


SESSIONS = Sessions()  # the server's registry (one per process)


# ---------------------------------------------------------------------- the policy


class _PolicyCache:
    """The policy file read once per change, and one sign-in throttle per policy file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._policies: dict[tuple[str, int, int], Policy] = {}
        self._throttles: dict[str, Throttle] = {}

    def policy(self, path: Path) -> Policy:
        """Return the policy in ``path``, read again when its time or size changed.

        Raises OSError when the file cannot be read and PolicyError when it is unusable.
        """
        info = path.stat()
        stamp = (str(path), info.st_mtime_ns, info.st_size)
        with self._lock:
            cached = self._policies.get(stamp)
        if cached is not None:
            return cached
        loaded = load_policy(path)
        with self._lock:
            self._policies = {stamp: loaded}
        return loaded

    def throttle(self, path: Path) -> Throttle:
        """Return the failed sign-ins counted for the policy at ``path`` (one per server)."""
        with self._lock:
            return self._throttles.setdefault(str(path), Throttle())


POLICIES = _PolicyCache()

__all__ = ["COOKIE", "FORM_COOKIE", "POLICIES", "SESSIONS", "Session", "Sessions", "digest",
           "key_of"]
