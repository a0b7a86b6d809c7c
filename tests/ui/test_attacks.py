"""The doors of the app, tried as an attacker tries them: raw HTTP and WebSocket clients
against the real ``chainrisk ui --policy`` on loopback, bursts in parallel.

One server for the module. Its policy trusts the loopback proxy
(``CHAINRISK_TRUSTED_PROXIES=127.0.0.1``), so each test can pose as clients at addresses
of its own through ``X-Forwarded-For`` (the documented set-up behind nginx), and the
throttle of one test does not reach another. Each attack of issue 13 is reproduced and
must be refused; docs/security.md lists them with these tests.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chainrisk.auth import hash_password
from tests.ui import attacker
from tests.ui.attacker import Refused, Server, Stream, http, session_cookie, sign_in

pytestmark = pytest.mark.slow

ADA, ADA_PW = "ada", "Ada-runs-the-office-0815"
IVY, IVY_PW = "ivy", "Ivy-sees-IC-only-4711"
BO, BO_PW = "bo", "Bo-is-guessed-at-2024"
MAX_FAILURES = 3


def _policy_text(hashes: dict[str, str]) -> str:
    return f"""
[users.ada]
password = "{hashes[ADA]}"
chains = ["*"]
role = "admin"

[users.ivy]
password = "{hashes[IVY]}"
chains = ["ic"]

[users.bo]
password = "{hashes[BO]}"
chains = ["ic"]

[signin]
max_failures = {MAX_FAILURES}
delay_seconds = 120
max_client_failures = 500
"""


@pytest.fixture(scope="module")
def policy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    hashes = {name: hash_password(pw, cost=15) for name, pw in
              {ADA: ADA_PW, IVY: IVY_PW, BO: BO_PW}.items()}
    path = tmp_path_factory.mktemp("attack-policy") / "policy.toml"
    path.write_text(_policy_text(hashes), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(sample_store: Path, policy_file: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("attack-home")
    with attacker.serve(sample_store, policy_file, home,
                        {"CHAINRISK_TRUSTED_PROXIES": "127.0.0.1"}) as running:
        yield running


def _address(block: int, i: int) -> str:
    return f"203.0.{block}.{i}"


def _post_form(server: Server, user: str, password: str, client: str,
               token: str, jar: dict[str, str]) -> int:
    body = urlencode({"csrf": token, "user": user, "password": password}).encode()
    return http(server, "POST", "/chainrisk/signin", cookies=jar, body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": server.origin,
        "X-Forwarded-For": client}).status


# ---------------------------------------------------------------------- guessing


def test_a_burst_of_guesses_checks_no_more_than_the_limit(server: Server) -> None:
    """24 wrong passwords and the right one, sent together from 25 addresses."""
    forms = []
    for _ in range(25):
        jar: dict[str, str] = {}
        forms.append((attacker.form_token(server, jar), jar))
    guesses = [f"wrong-guess-{i:03d}" for i in range(24)]
    guesses.insert(12, BO_PW)
    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(
            lambda i: _post_form(server, BO, guesses[i], _address(1, i + 1), *forms[i]),
            range(25)))
    checked = statuses.count(401)
    print(f"burst of 25: {checked} checked and wrong, {statuses.count(429)} refused "
          f"unchecked, {statuses.count(303)} signed in")
    assert checked <= MAX_FAILURES, statuses
    assert 303 not in statuses or guesses[statuses.index(303)] == BO_PW
    assert statuses.count(303) <= 1, statuses
    assert set(statuses) <= {303, 401, 429}, statuses
    refused_lines = re.findall(r"sign-in refused for 'bo'", server.log())
    assert len(refused_lines) <= MAX_FAILURES
    if 303 not in statuses:  # the right one came too late: it waits, unchecked, like the rest
        jar = {}
        assert _post_form(server, BO, BO_PW, _address(1, 99),
                          attacker.form_token(server, jar), jar) == 429


def test_a_flood_of_unknown_names_does_not_keep_a_real_user_out(server: Server) -> None:
    forms = []
    for _ in range(40):
        jar: dict[str, str] = {}
        forms.append((attacker.form_token(server, jar), jar))
    with ThreadPoolExecutor(max_workers=41) as pool:
        flood = [pool.submit(_post_form, server, f"nobody-{i}", "guess-guess-guess",
                             _address(2, i + 1), *forms[i]) for i in range(40)]
        time.sleep(0.3)  # the flood is in flight
        started = time.monotonic()
        tries = 0
        status = 0
        while tries < 10:
            tries += 1
            jar = {}
            status = _post_form(server, ADA, ADA_PW, "198.51.100.20",
                                attacker.form_token(server, jar), jar)
            if status == 303:
                break
            assert status == 429, status  # the server is busy: it says so and when to retry
            time.sleep(1.0)
        waited = time.monotonic() - started
        results = [f.result() for f in flood]
    assert status == 303, (tries, status)
    assert set(results) <= {401, 429}, results
    print(f"real sign-in during a 40-request flood: {tries} tries, {waited:.1f} s")
    # every attempt's audit line names its client address
    log = server.log()
    assert "sign-in refused for an unknown user name from client 203.0.2." in log
    assert "signed in: 'ada' (password) from client 198.51.100.20" in log


# ---------------------------------------------------------------------- sessions


def test_the_sign_in_cookie_is_fresh_httponly_and_strict(server: Server) -> None:
    jar: dict[str, str] = {"chainrisk_session": "noted-before-sign-in-" + "x" * 30}
    reply = sign_in(server, IVY, IVY_PW, cookies=jar)
    assert reply.status == 303
    (line,) = [c for c in reply.cookie_lines if c.startswith("chainrisk_session=")]
    assert "HttpOnly" in line
    assert "SameSite=Strict" in line
    assert "Path=/" in line
    token = reply.set_cookies["chainrisk_session"]
    assert token != jar["chainrisk_session"]
    assert len(token) >= 40
    # a token noted before the sign-in (or made up) opens nothing
    with pytest.raises(Refused) as refused:
        Stream(server, {"chainrisk_session": jar["chainrisk_session"]})
    assert refused.value.status == 403
    # signing in again issues a new token and ends the old one
    # (the form itself sends a signed-in browser on to the app)
    assert http(server, "GET", "/chainrisk/signin",
                cookies={"chainrisk_session": token}).status == 303
    form: dict[str, str] = {}
    csrf = attacker.form_token(server, form)
    again = http(server, "POST", "/chainrisk/signin", cookies={**form, "chainrisk_session": token},
                 body=urlencode({"csrf": csrf, "user": IVY, "password": IVY_PW}).encode(),
                 headers={"Content-Type": "application/x-www-form-urlencoded",
                          "Origin": server.origin})
    assert again.status == 303
    assert again.set_cookies["chainrisk_session"] != token
    with pytest.raises(Refused):
        Stream(server, {"chainrisk_session": token})


def test_the_websocket_opens_only_with_a_live_sign_in(server: Server) -> None:
    for cookies in (None, {"chainrisk_session": secrets.token_urlsafe(32)},
                    {"chainrisk_session": ""}, {"_streamlit_user": "forged"}):
        with pytest.raises(Refused) as refused:
            Stream(server, cookies)
        assert refused.value.status == 403, cookies
    # a page address without a sign-in is sent to the form, never to the app
    reply = http(server, "GET", "/rankings?chain=5g")
    assert reply.status == 303
    assert reply.header("location") == "/chainrisk/signin?next=%2Frankings%3Fchain%3D5g"
    # a live sign-in from another site's page is refused by Streamlit's origin check
    ivy = session_cookie(server, IVY, IVY_PW)
    with pytest.raises(Refused):
        Stream(server, ivy, origin="http://evil.example").run()


def test_a_streamlit_session_id_is_worth_nothing_without_its_sign_in(server: Server) -> None:
    ada = session_cookie(server, ADA, ADA_PW)
    admin = Stream(server, ada)
    admin.run()
    sid = admin.session_id
    assert sid
    ivy = session_cookie(server, IVY, IVY_PW)
    for cookies in (None, ivy):
        with pytest.raises(Refused) as refused:
            Stream(server, cookies, session_id=sid).run()
        assert refused.value.status == 403
    # its uploads are refused too: the id in the URL is not a credential
    for cookies in (None, ivy):
        assert http(server, "PUT", f"/_stcore/upload_file/{sid}/f1", cookies=cookies,
                    body=b"x" * 1000).status == 403
    # the admin's own browser may come back to it (a reconnect)
    admin.close()
    back = Stream(server, ada, session_id=sid)
    back.run()
    assert back.session_id == sid
    back.close()
    # the server's log holds no session id and no token
    log = server.log()
    assert sid not in log
    assert ada["chainrisk_session"] not in log
    assert ivy["chainrisk_session"] not in log


def test_signing_out_ends_the_sign_in_and_closes_its_socket(server: Server) -> None:
    ivy = session_cookie(server, IVY, IVY_PW)
    stream = Stream(server, ivy)
    stream.run()
    reply = http(server, "GET", "/auth/logout", cookies=ivy)
    assert reply.status in (302, 303, 307)
    assert any(c.startswith("chainrisk_session=;") and "Max-Age=0" in c
               for c in reply.cookie_lines), reply.cookie_lines
    assert stream.wait_closed(timeout=30) == 4001
    with pytest.raises(Refused):
        Stream(server, ivy)
    assert http(server, "GET", "/", cookies=ivy).status == 303  # back to the form


# ---------------------------------------------------------------------- uploads, downloads


def test_uploads_are_refused_before_sign_in_and_for_viewers(server: Server) -> None:
    before = attacker.rss_kib(server.process.pid)
    chunk = b"\0" * (25 * 1024 * 1024)
    for i in range(8):  # anonymous: refused before the body is read
        try:
            status = http(server, "PUT", f"/_stcore/upload_file/anon-{i}/f{i}", body=chunk,
                          headers={"Content-Type": "application/zip"}).status
        except (ConnectionError, OSError):
            status = 403  # the server answered and closed while the body was still going
        assert status == 403
    grown = attacker.rss_kib(server.process.pid) - before
    assert grown < 100 * 1024, f"the server grew by {grown} KiB"
    ivy = session_cookie(server, IVY, IVY_PW)
    viewer = Stream(server, ivy)
    viewer.run()
    assert http(server, "PUT", f"/_stcore/upload_file/{viewer.session_id}/f1", cookies=ivy,
                body=b"x" * 100).status == 403  # a viewer, on its own session
    viewer.close()


def test_a_download_is_served_only_to_the_sign_in_that_made_it(server: Server) -> None:
    ada = session_cookie(server, ADA, ADA_PW)
    stream = Stream(server, ada)
    stream.run()
    drawn = stream.run(page="rankings")
    ids = attacker.download_ids(drawn)
    assert ids, "the rankings page drew no download button"
    url = attacker.click_download(stream, ids[0])
    assert url.startswith("/media/")
    mine = http(server, "GET", url, cookies=ada)
    assert mine.status == 200
    assert len(mine.body) > 1000
    assert http(server, "GET", url).status == 403  # a plain GET, no session
    ivy = session_cookie(server, IVY, IVY_PW)
    assert http(server, "GET", url, cookies=ivy).status == 404  # another user
    assert http(server, "HEAD", url).status == 403
    stream.close()


# ---------------------------------------------------------------------- endpoints, forms


def test_metrics_and_the_agent_api_are_closed(server: Server) -> None:
    ada = session_cookie(server, ADA, ADA_PW)
    for path in ("/_stcore/metrics", "/_stcore/agent/openapi.json", "/_stcore/agent/interact",
                 "/_stcore/agent/mcp"):
        for cookies in (None, ada):
            assert http(server, "GET", path, cookies=cookies).status == 404, path
    assert http(server, "GET", "/_stcore/health").status == 200  # the health check stays


def test_the_sign_in_form_refuses_forgery_and_odd_input(server: Server) -> None:
    jar: dict[str, str] = {}
    token = attacker.form_token(server, jar)
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def post(fields: dict[str, str], headers: dict[str, str], cookies: dict[str, str]) -> int:
        return http(server, "POST", "/chainrisk/signin", cookies=cookies,
                    body=urlencode(fields).encode(), headers={**form, **headers}).status

    good = {"user": IVY, "password": IVY_PW}
    assert post(good, {"Origin": server.origin}, jar) == 400  # no anti-forgery token
    assert post({**good, "csrf": token}, {"Origin": "http://evil.example"}, jar) == 400
    assert post({**good, "csrf": token}, {"Origin": server.origin}, {}) == 400  # no cookie
    big = http(server, "POST", "/chainrisk/signin", cookies=jar, body=b"a=" + b"x" * 20_000,
               headers={**form, "Origin": server.origin})
    assert big.status == 413
    # after signing in, a link elsewhere is not followed
    reply = sign_in(server, IVY, IVY_PW, next_path="//evil.example/x")
    assert reply.status == 303
    assert reply.header("location") == "/"
    # a password typed into the name box is never sent back
    jar = {}
    token = attacker.form_token(server, jar)
    page = http(server, "POST", "/chainrisk/signin", cookies=jar, headers={
        **form, "Origin": server.origin, "X-Forwarded-For": "203.0.9.9"},
        body=urlencode({"csrf": token, "user": IVY_PW, "password": "x" * 12}).encode())
    assert page.status == 401
    assert IVY_PW not in page.text
    assert IVY_PW not in server.log()


def test_debug_messages_over_the_socket_do_nothing(server: Server) -> None:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    ada = session_cookie(server, ADA, ADA_PW)
    stream = Stream(server, ada)
    stream.run()
    msg = BackMsg()
    msg.debug_shutdown_runtime = True
    stream.send_raw(msg.SerializeToString())
    stream.send_raw(b"\xff\x00 not a protobuf")
    time.sleep(1.0)
    assert http(server, "GET", "/_stcore/health").status == 200
    assert server.process.poll() is None


def test_a_broken_policy_names_nothing_to_anyone(server: Server, policy_file: Path) -> None:
    good = policy_file.read_text(encoding="utf-8")
    ivy = session_cookie(server, IVY, IVY_PW)
    try:
        policy_file.write_text(good.replace('role = "admin"', 'role = "emperor"'),
                               encoding="utf-8")
        page = http(server, "GET", "/chainrisk/signin")
        assert page.status == 503
        assert "access policy file cannot be used" in page.text
        for private in (str(policy_file), "policy.toml", "emperor", "ada", "ivy"):
            assert private not in page.text, private
        assert http(server, "GET", "/", cookies=ivy).status == 503
        with pytest.raises(Refused):
            Stream(server, ivy)
        assert "emperor" in server.log()  # the administrator reads the details there
    finally:
        policy_file.write_text(good, encoding="utf-8")
    assert http(server, "GET", "/", cookies=ivy).status == 200


# ---------------------------------------------------------------------- a real browser


def test_a_browser_signs_in_through_the_form_and_out_again(server: Server) -> None:
    """Chromium: the form, the cookie's flags, the app, sign-out; nothing leaves loopback."""
    from tests.ui.test_browser import offline_browser

    outside: list[str] = []
    with offline_browser(outside) as (context, page):
        page.goto(f"{server.base}/rankings")
        assert "/chainrisk/signin" in page.url
        page.get_by_role("link", name="中文").click()  # the form in Chinese, then back
        page.get_by_role("button", name="登录").wait_for()
        page.get_by_role("link", name="English").click()
        page.get_by_label("User name").fill(IVY)
        page.get_by_label("Password").fill("not-her-password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("alert").filter(has_text="Wrong user name or password").wait_for()
        page.get_by_label("User name").fill(IVY)
        page.get_by_label("Password").fill(IVY_PW)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", level=1).filter(
            has_text="Integrated circuits — rankings").wait_for(timeout=120_000)
        (cookie,) = [c for c in context.cookies() if c["name"] == "chainrisk_session"]
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie").find("chainrisk_session") < 0
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r".*/chainrisk/signin.*"), timeout=60_000)
        page.get_by_role("button", name="Sign in").wait_for()
    assert not outside, outside
    with pytest.raises(Refused):  # the cookie the browser held is dead
        Stream(server, {"chainrisk_session": cookie["value"]})
