"""The server's registry of sign-ins (chainrisk.ui.sessions), on a clock the test moves."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrisk.auth import SignInLimits
from chainrisk.ui import gate
from chainrisk.ui.sessions import Sessions, key_of

LIMITS = SignInLimits(session_hours=2.0, idle_minutes=10.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_token_is_random_and_only_its_digest_is_kept(clock: Clock) -> None:
    reg = Sessions(clock)
    tokens = {reg.issue("ivy", "password", LIMITS) for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) >= 40 for t in tokens)
    session = reg.lookup(next(iter(tokens)))
    assert session is not None
    assert session.user == "ivy"
    assert session.key == key_of(next(iter(tokens)))
    assert session.key not in tokens
    assert reg.lookup("made-up-token-" + "x" * 30) is None
    assert reg.lookup(None) is None
    assert reg.lookup("") is None


def test_a_sign_in_lapses_when_idle_and_when_old(clock: Clock) -> None:
    reg = Sessions(clock)
    token = reg.issue("ivy", "password", LIMITS)
    clock.now += 9 * 60  # quiet for 9 minutes: still live, and seen now
    assert reg.lookup(token) is not None
    clock.now += 9 * 60
    assert reg.lookup(token) is not None
    clock.now += 10 * 60 + 1  # quiet for longer than idle_minutes
    assert reg.lookup(token) is None
    assert reg.count() == 0
    busy = reg.issue("ada", "password", LIMITS)
    for _ in range(14):  # busy all the time, but for more than session_hours in all
        clock.now += 9 * 60
        seen = reg.lookup(busy)
    assert seen is None


def test_ending_a_sign_in_tells_its_sockets_and_unbinds_its_sessions(clock: Clock) -> None:
    reg = Sessions(clock)
    token = reg.issue("ivy", "password", LIMITS)
    key = key_of(token)
    assert key is not None
    ended = threading.Event()
    reg.watch(key, ended.set)
    other = reg.watch(key, lambda: pytest.fail("an unwatched socket was told"))
    other()
    assert reg.bind("session-1", key)
    assert reg.revoke(key)
    assert ended.is_set()
    assert reg.holder("session-1") is None
    assert reg.lookup(token) is None
    assert not reg.revoke(key)  # twice: nothing left


def test_a_streamlit_session_stays_with_its_first_sign_in(clock: Clock) -> None:
    reg = Sessions(clock)
    ada, ivy = (key_of(reg.issue(n, "password", LIMITS)) for n in ("ada", "ivy"))
    assert ada
    assert ivy
    assert reg.bind("sid", ada)
    assert reg.bind("sid", ada)  # the same sign-in again (a rerun, a reconnect)
    assert not reg.bind("sid", ivy)
    assert reg.holder("sid") == ada
    reg.revoke(ada)
    assert reg.bind("sid", ivy)  # once that sign-in ended the id means nothing


def test_a_download_is_fetched_only_by_its_maker(clock: Clock) -> None:
    reg = Sessions(clock)
    ada, ivy = (key_of(reg.issue(n, "password", LIMITS)) for n in ("ada", "ivy"))
    assert ada
    assert ivy
    reg.made(ada, b"workbook bytes")
    assert reg.may_fetch(ada, b"workbook bytes")
    assert not reg.may_fetch(ivy, b"workbook bytes")
    assert not reg.may_fetch(ada, b"other bytes")
    reg.revoke(ada)
    assert not reg.may_fetch(ada, b"workbook bytes")


def test_an_account_leaving_ends_all_its_sign_ins(clock: Clock) -> None:
    reg = Sessions(clock)
    tokens = [reg.issue("ivy", "password", LIMITS) for _ in range(3)]
    kept = reg.issue("ada", "password", LIMITS)
    assert reg.revoke_user("ivy") == 3
    assert all(reg.lookup(t) is None for t in tokens)
    assert reg.lookup(kept) is not None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_after_sign_in_the_browser_goes_only_to_a_path_here(raw: str) -> None:
    target = gate._safe_next(raw)
    assert target.startswith("/")
    assert not target.startswith("//")
    assert "\\" not in target
    assert not any(ord(c) < 0x20 for c in target)
    assert target in (raw, "/")


def test_the_sign_in_page_escapes_what_it_shows() -> None:
    from chainrisk.ui.i18n import Tr

    hostile = '"><script>alert(1)</script><img src=http://198.51.100.7/x>'
    body = gate.page(Tr("en"), form_token=hostile, next_path="/" + hostile,
                     message=hostile).decode()
    assert "<script>" not in body
    assert "<img" not in body
    assert "&lt;script&gt;" in body
