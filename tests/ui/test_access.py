"""Access control in the app (AppTest): anonymous, wrong password, viewer, admin, no policy.

The sample store holds the ic and 5g chains. ``ivy`` may see ic only (through a
group), ``ada`` is an admin of every chain, ``olga@example.org`` signs in through
OIDC and sees 5g. The 5g-only nodes (the 5G base station, Ericsson, …) are computed
from the data; the tests assert that none of them reaches a viewer of ic anywhere:
the rendered page, the session, a download, a what-if.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from chainrisk.auth import hash_password
from chainrisk.service import RiskService
from chainrisk.store.sqlite import SqliteStore
from chainrisk.ui import APP as ENTRY
from chainrisk.ui import access, gate, sessions
from chainrisk.ui.scope import visible_ids, visible_nodes
from tests.conftest import write_bundle
from tests.ui.conftest import PAGES, TIMEOUT, AppFactory, zip_folder

IVY_PASSWORD = "Ivy-sees-IC-only-4711"
ADA_PASSWORD = "Ada-runs-the-office-0815"
# distinctive, with a full-width digit that NFKC folds: it must never be shown or logged
SECRET = "Zebra-Quartz-９071-秘密"
SECRET_MARKS = ("Zebra-Quartz", "秘密")


@pytest.fixture(scope="module")
def hashes() -> dict[str, str]:
    """Return the password hashes of the test users (the cheapest cost a policy accepts)."""
    return {name: hash_password(pw, cost=15) for name, pw in
            {"ivy": IVY_PASSWORD, "ada": ADA_PASSWORD, "sam": SECRET}.items()}


@pytest.fixture
def policy(tmp_path: Path, hashes: dict[str, str]) -> Path:
    """Return a policy file: ivy sees ic, sam sees ic, ada is an admin, olga (OIDC) sees 5g.

    A new file per test, so that each test has its own sign-in throttle.
    """
    path = tmp_path / "policy.toml"
    path.write_text(f"""
[groups.ic-team]
chains = ["ic"]

[groups.office]
chains = ["*"]
role = "admin"

[users.ivy]
password = "{hashes["ivy"]}"
groups = ["ic-team"]

[users.sam]
password = "{hashes["sam"]}"
chains = ["ic"]

[users.ada]
password = "{hashes["ada"]}"
groups = ["office"]

[users."olga@example.org"]
chains = ["5g"]

[oidc]
groups_claim = "groups"

[signin]
max_failures = 2
delay_seconds = 60
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def nodes(sample_store: Path) -> dict[str, frozenset[str]]:
    """Return the ids of the nodes of ic, and of those of 5g that are not also in ic."""
    store = SqliteStore(sample_store)
    try:
        g = RiskService(store).graph()
        ic, five = visible_nodes(g, ["ic"]), visible_nodes(g, ["5g"])
        out = {"ic": visible_ids(g, ic), "5g_only": visible_ids(g, five - ic)}
    finally:
        store.close()
    assert {"component:5g-macro-base-station", "firm:china-mobile"} <= out["5g_only"]
    assert {"firm:tsmc", "component:foundry-advanced-logic"} <= out["ic"]
    return out


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """Return {file name: data callable} of every download button drawn from now on."""
    seen: dict[str, Callable[[], Any]] = {}
    original = MediaFileManager.add_deferred

    def record(self: MediaFileManager, data_callable: Callable[[], Any], mimetype: str | None,
               coordinates: str, file_name: str | None = None, **kwargs: Any) -> str:
        seen[str(file_name)] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name,
                        **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return seen


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, page: str) -> AppTest:
    return _ok(at.switch_page(PAGES[page]).run())


# The browser's cookie jar: AppTest has no connection, so the session's cookie comes from here.
_JAR: dict[str, str] = {}


@pytest.fixture(autouse=True)
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Give each test a fresh registry of sign-ins and a browser holding no cookie."""
    fresh = sessions.Sessions()
    for module in (sessions, access, gate):
        monkeypatch.setattr(module, "SESSIONS", fresh)
    monkeypatch.setattr(access, "session_token", lambda: _JAR.get(sessions.COOKIE))
    _JAR.clear()
    yield _JAR
    _JAR.clear()


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    """Sign in as the gate's form does (gate.start), then run the app with the cookie."""
    pol = access.policy()
    assert pol is not None
    _JAR[sessions.COOKIE] = gate.start(pol, name, password, None, _JAR.get(sessions.COOKIE))
    return _ok(at.run())


def _rendered(at: AppTest) -> str:
    """Return everything drawn (main area and sidebar), widgets' protos and table bytes included."""
    parts: list[str] = []
    for root in (at.main, at.sidebar):
        for node in root:
            proto = getattr(node, "proto", None)
            if proto is not None:
                parts.append(str(proto))
    return "\n".join(parts)


def _leaks(text: str, ids: frozenset[str]) -> list[str]:
    # an id inside a longer one (component:x in component:x-y) does not count
    return sorted(i for i in ids if any(
        text[at + len(i): at + len(i) + 1] not in "-_.abcdefghijklmnopqrstuvwxyz0123456789"
        for at in _find_all(text, i)))


def _find_all(text: str, sub: str) -> Iterator[int]:
    at = text.find(sub)
    while at >= 0:
        yield at
        at = text.find(sub, at + 1)


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


REFUSALS = ("Access denied", "outside the chains", "not open to your account", "Sign in first",
            "The input cannot be used", "The store failed")


def _refusals(at: AppTest) -> list[str]:
    return [e for e in _errors(at) if any(r in e for r in REFUSALS)]


# ---------------------------------------------------------------------- anonymous


def test_anonymous_gets_only_the_sign_in_page(make_app: AppFactory, policy: Path) -> None:
    at = _ok(make_app(policy=policy))
    assert [t.value for t in at.title] == ["Sign in"]
    shown = _rendered(at)
    for secret in ("Integrated circuits", "5G", "ASML", "TSMC", "component:", "firm:",
                   "sqlite:", "samples.db"):
        assert secret not in shown, secret
    assert (len(at.selectbox), len(at.dataframe), len(at.metric)) == (0, 0, 0)
    # no page but the sign-in page is registered, so none can be switched to
    for page in PAGES.values():
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_a_page_run_without_signing_in_shows_nothing(
    make_app: AppFactory, policy: Path, sample_store: Path
) -> None:
    make_app(policy=policy)  # sets the environment
    page = str(ENTRY.parent / PAGES["rankings"])
    at = _ok(AppTest.from_file(page, default_timeout=TIMEOUT).run())
    assert [w.value for w in at.warning] == ["Sign in first."]
    assert (len(at.dataframe), len(at.title)) == (0, 0)


def test_a_broken_policy_shows_nothing_and_names_nothing(
    make_app: AppFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[users.ivy]\npassword = "ivy-plain-text-pw"\nchains = ["ic"]\n')
    at = _ok(make_app(policy=bad))
    (message,) = _errors(at)
    assert message.startswith("The access policy file cannot be used, so nobody can sign in")
    shown = _rendered(at)
    for private in ("ivy", str(bad), "bad.toml", "hash-password"):
        assert private not in shown, private
    # the administrator finds the problems in the server's log
    err = capsys.readouterr().err
    assert "access policy unusable" in err
    assert "chainrisk ui hash-password" in err
    assert (len(at.title), len(at.selectbox)) == (0, 0)


def test_a_network_address_without_policy_shows_nothing(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "_exposed_address", lambda: "0.0.0.0")
    at = _ok(make_app())
    assert "served on the network address 0.0.0.0 without an access policy" in _errors(at)[0]
    assert (len(at.title), len(at.selectbox)) == (0, 0)
    monkeypatch.setenv("CHAINRISK_NO_AUTH", "1")  # chainrisk ui --no-auth
    assert _ok(at.run()).title[0].value == "Integrated circuits — overview"


# ---------------------------------------------------------------------- viewer of ic


def test_viewer_of_ic_sees_ic_only_on_every_page(
    make_app: AppFactory, policy: Path, nodes: dict[str, frozenset[str]]
) -> None:
    at = _sign_in(make_app(policy=policy), "ivy", IVY_PASSWORD)
    assert at.title[0].value == "Integrated circuits — overview"
    assert at.selectbox(key="chain").options == ["Integrated circuits"]
    assert "Signed in: ivy (viewer)" in _rendered(at)
    assert "sqlite:" not in _rendered(at)  # the store's location is for admins
    for page in ("overview", "chain-map", "explorer", "rankings", "what-if", "concentration"):
        _open(at, page)
        assert not _refusals(at), (page, _refusals(at))
        assert not _leaks(_rendered(at), nodes["5g_only"]), page
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGES["data"])


REFUSED = "The chain asked for is not open to your account; showing one you may see instead."


def test_forcing_another_chain_is_refused(make_app: AppFactory, policy: Path) -> None:
    at = make_app(policy=policy)
    at.session_state["chain"] = "5g"  # a session that arrives holding the 5G chain
    _sign_in(at, "ivy", IVY_PASSWORD)
    assert _errors(at) == [REFUSED]
    assert at.title[0].value == "Integrated circuits — overview"
    _open(at, "rankings")
    assert not _errors(at)
    # a browser that sends the picker a value it never offered
    picker = at.selectbox(key="chain")
    picker.options.append("5G")  # the test harness sends labels it knows
    picker.set_value("5g")
    _ok(at.run())
    assert _errors(at) == [REFUSED]
    assert at.title[0].value == "Integrated circuits — rankings"
    assert at.session_state["chain"] == "ic"
    at.query_params["chain"] = "5g"  # a link to the 5G chain
    _ok(at.run())
    assert _errors(at) == [REFUSED]
    assert at.title[0].value == "Integrated circuits — rankings"
    _ok(at.run())  # said once per link; the page stays on ic
    assert not _errors(at)


def test_a_link_to_an_allowed_chain_opens_it(make_app: AppFactory, policy: Path) -> None:
    at = _sign_in(make_app(policy=policy), "ada", ADA_PASSWORD)
    at.query_params["chain"] = "5g"
    _ok(at.run())
    assert at.title[0].value == "5G — overview"
    assert not _errors(at)


def test_explorer_cannot_reach_5g_only_nodes(
    make_app: AppFactory, policy: Path, nodes: dict[str, frozenset[str]]
) -> None:
    at = _sign_in(make_app(policy=policy), "ivy", IVY_PASSWORD)
    # a 5g-only node put into the session is not explored
    at.session_state["explorer_node"] = "component:5g-macro-base-station"
    _open(at, "explorer")
    assert at.selectbox(key="explorer_node").value != "component:5g-macro-base-station"
    assert not _leaks(_rendered(at), nodes["5g_only"])
    picker = at.selectbox(key="explorer_node")
    assert not _leaks(" ".join(picker.options), nodes["5g_only"])
    # the shared foundry feeds 5G products too: walking down from it stays in ic
    picker.set_value("component:foundry-advanced-logic")
    at.slider(key="explorer_down").set_value(6)
    _ok(at.run())
    assert not _leaks(_rendered(at), nodes["5g_only"])
    assert "component:foundry-advanced-logic" in _rendered(at)


def test_rankings_and_their_downloads_hold_ic_only(
    make_app: AppFactory, policy: Path, nodes: dict[str, frozenset[str]],
    deferred: dict[str, Callable[[], Any]],
) -> None:
    at = _open(_sign_in(make_app(policy=policy), "ivy", IVY_PASSWORD), "rankings")
    shown = set(at.dataframe[0].value["name"])
    assert "ASML" in shown
    assert "China Mobile" not in shown  # a 5G operator
    for kind in ("firm", "component", "region"):
        at.segmented_control(key="rank_kind").set_value(kind)
        _ok(at.run())
        assert not _leaks(_rendered(at), nodes["5g_only"]), kind
    workbook = deferred["chainrisk-ic.xlsx"]()
    zipped = deferred["chainrisk-ic-csv.zip"]()
    view = deferred["chainrisk-ic-regions.csv"]()
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        texts = {n: archive.read(n).decode("utf-8-sig") for n in archive.namelist()}
    assert {"firms.csv", "components.csv", "spof.csv"} <= {Path(n).name for n in texts}
    book = _workbook_text(workbook)
    for name, text in [*texts.items(), ("view", view.decode("utf-8-sig")), ("xlsx", book)]:
        assert not _leaks(text, nodes["5g_only"]), name
    firms = next(t for n, t in texts.items() if n.endswith("firms.csv"))
    assert "firm:asml" in firms
    assert "firm:asml" in book
    ranks = [int(line.split(",")[0]) for line in firms.splitlines()[1:]]
    assert ranks == list(range(1, len(ranks) + 1))  # renumbered: no gap betrays a hidden firm


def _workbook_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(cell) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for cell in row
                     if cell is not None)


def test_whatif_cannot_disrupt_or_show_5g_only_nodes(
    make_app: AppFactory, policy: Path, nodes: dict[str, frozenset[str]],
    deferred: dict[str, Callable[[], Any]],
) -> None:
    at = _open(_sign_in(make_app(policy=policy), "ivy", IVY_PASSWORD), "what-if")
    for key in ("whatif_firms", "whatif_regions", "whatif_components"):
        assert not _leaks(" ".join(at.multiselect(key=key).options), nodes["5g_only"]), key
    # a 5G-only firm forced into the session is dropped before anything is simulated
    at.session_state["whatif_firms"] = ["firm:china-mobile"]
    _ok(at.run())
    assert at.multiselect(key="whatif_firms").value == []
    assert not at.metric
    # TSMC feeds both chains: 34 nodes stop in all (the worked example), 24 of them in ic
    at.multiselect(key="whatif_firms").set_value(["firm:tsmc"])
    _ok(at.run())
    assert {m.label: m.value for m in at.metric}["Nodes that stop"] == "24"
    assert not _leaks(_rendered(at), nodes["5g_only"])
    for name in ("chainrisk-ic-scenario.xlsx", "chainrisk-ic-scenario.csv"):
        data = deferred[name]()
        text = _workbook_text(data) if name.endswith("xlsx") else data.decode("utf-8-sig")
        assert "firm:tsmc" in text
        assert not _leaks(text, nodes["5g_only"]), name


def test_viewer_cannot_reach_the_data_page(make_app: AppFactory, policy: Path) -> None:
    _sign_in(make_app(policy=policy), "ivy", IVY_PASSWORD)
    # even the page script itself, run with the viewer's cookie, refuses
    page = AppTest.from_file(str(ENTRY.parent / PAGES["data"]), default_timeout=TIMEOUT)
    _ok(page.run())
    assert _errors(page) == ["Uploading and loading data, and the load history, need the "
                             "admin role. Ask an administrator."]
    assert (len(page.file_uploader), len(page.dataframe)) == (0, 0)


# ---------------------------------------------------------------------- admin, OIDC, open


def test_admin_sees_every_chain_and_can_load(
    make_app: AppFactory, policy: Path, writable_store: Path, tmp_path: Path
) -> None:
    at = _sign_in(make_app(store=writable_store, policy=policy), "ada", ADA_PASSWORD)
    assert at.selectbox(key="chain").options == ["5G", "Integrated circuits"]
    assert "Signed in: ada (admin)" in _rendered(at)
    _open(at, "data")
    bundle = write_bundle(tmp_path / "tiny", {})
    at.file_uploader(key="data_bundle_zip").upload("tiny.zip", zip_folder(bundle),
                                                   "application/zip")
    _ok(at.run())
    at.button(key="data_bundle_confirm").click()
    _ok(at.run())
    assert any("Loaded bundle tiny" in s.value for s in at.success)



OIDC_SECRETS = {"redirect_uri": "http://localhost:8501/oauth2callback",
                "cookie_secret": "test-cookie-secret-not-used-here",
                "client_id": "chainrisk", "client_secret": "not-used",
                "server_metadata_url": "https://id.example.org/.well-known/openid-configuration"}


def _oidc_cookie(monkeypatch: pytest.MonkeyPatch, claims: dict[str, Any],
                 secret: str = "test-cookie-secret-0123456789abcdef") -> dict[str, str]:
    """Return the cookies Streamlit's st.login sets for ``claims`` (signed as it signs them)."""
    import json

    from streamlit import auth_util
    from streamlit.web.server.starlette import starlette_websocket
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    origin = "http://localhost:8501"
    monkeypatch.setattr(auth_util, "get_origin_from_redirect_uri", lambda: origin)
    monkeypatch.setattr(starlette_websocket, "get_cookie_secret", lambda: secret)
    payload = json.dumps({**claims, "origin": origin}).encode()
    value = create_signed_value(secret, "_streamlit_user", payload)
    return {"_streamlit_user": value.decode("latin-1")}


def _oidc_sign_in(cookies: dict[str, str], pol_path: Path) -> str | None:
    pol = access.policy()
    assert pol is not None
    assert access.policy_path() == pol_path
    return gate._oidc_sign_in({"type": "http", "headers": []}, cookies, pol)


def test_oidc_user_is_matched_by_email(make_app: AppFactory, policy: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    at = make_app(policy=policy)
    olga = {"is_logged_in": True, "email": "Olga@Example.org", "email_verified": True,
            "sub": "0001"}
    token = _oidc_sign_in(_oidc_cookie(monkeypatch, olga), policy)
    assert token is not None
    _JAR[sessions.COOKIE] = token
    _ok(at.run())
    assert at.title[0].value == "5G — overview"
    assert at.selectbox(key="chain").options == ["5G"]
    # an identity the policy does not know, one whose address is not verified (a string
    # "true" is not True), and a cookie not signed with the server's secret get nothing
    for claims in ({"is_logged_in": True, "email": "mallory@example.org", "sub": "0666"},
                   {**olga, "email_verified": "true"}, {**olga, "email_verified": 1}):
        assert _oidc_sign_in(_oidc_cookie(monkeypatch, claims), policy) is None, claims
    forged = _oidc_cookie(monkeypatch, olga, secret="another-secret-0123456789abcdef")
    monkeypatch.setattr("streamlit.web.server.starlette.starlette_websocket.get_cookie_secret",
                        lambda: "test-cookie-secret-0123456789abcdef")
    assert _oidc_sign_in(forged, policy) is None


def test_oidc_groups_claim_grants_the_group(make_app: AppFactory, policy: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    at = make_app(policy=policy)
    claims = {"is_logged_in": True, "email": "new@example.org", "email_verified": True,
              "groups": ["ic-team", "x"]}
    token = _oidc_sign_in(_oidc_cookie(monkeypatch, claims), policy)
    assert token is not None
    _JAR[sessions.COOKIE] = token
    _ok(at.run())
    assert at.selectbox(key="chain").options == ["Integrated circuits"]


def test_without_policy_everything_is_open(make_app: AppFactory) -> None:
    at = _ok(make_app())
    assert at.title[0].value == "Integrated circuits — overview"
    assert at.selectbox(key="chain").options == ["5G", "Integrated circuits"]
    assert "account_sign_out" not in [b.key for b in at.button]
    _open(at, "data")
    assert at.file_uploader(key="data_bundle_zip") is not None


# ---------------------------------------------------------------------- secrets, sign-out


def test_sign_out_forgets_the_session(make_app: AppFactory, policy: Path) -> None:
    at = _sign_in(make_app(policy=policy), "ivy", IVY_PASSWORD)
    _open(at, "what-if")
    at.multiselect(key="whatif_firms").set_value(["firm:tsmc"])
    _ok(at.run())
    at.button(key="account_sign_out").click()
    _ok(at.run())  # the browser is sent to /auth/logout (AppTest does not follow)
    assert sessions.SESSIONS.count() == 1
    deadline = time.monotonic() + access.SIGN_OUT_GRACE_SECONDS + 10
    while sessions.SESSIONS.count() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sessions.SESSIONS.count() == 0  # ended anyway after the grace
    assert "whatif_firms" not in at.session_state
    assert at.session_state["lang"] == "en"  # the language is kept
    again = _ok(make_app(policy=policy))  # the browser back, with the ended sign-in's cookie
    assert [t.value for t in again.title] == ["Sign in"]
    assert not again.selectbox
    assert not again.dataframe


def test_an_edit_of_the_policy_takes_effect_at_once(make_app: AppFactory, policy: Path) -> None:
    at = _sign_in(make_app(policy=policy), "ivy", IVY_PASSWORD)
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace('groups = ["ic-team"]', 'chains = ["5g"]'), encoding="utf-8")
    _ok(at.run())
    assert at.selectbox(key="chain").options == ["5G"]
    assert at.title[0].value == "5G — overview"
    head, _, tail = text.partition("[users.ivy]")
    policy.write_text(head + "[users.ex-ivy]" + tail, encoding="utf-8")  # ivy is gone
    _ok(at.run())
    assert [t.value for t in at.title] == ["Sign in"]
    assert sessions.SESSIONS.count() == 0  # the sign-in ended with the account


# ---------------------------------------------------------------------- client address, audit


AUDIT_LINE = r"^\S+ \S+ chainrisk access: {}$"  # the time, then exactly these words


def _audit_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if " chainrisk access: " in line]


def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxies = access.trusted_proxies("127.0.0.1, 10.0.0.0/8, ::1")
    hops = ["198.51.100.66", "203.0.113.5"]
    assert access.client_address("127.0.0.1", hops, proxies) == "203.0.113.5"
    assert access.client_address("127.0.0.1", hops, ()) == "127.0.0.1"  # the default
    assert access.client_address("192.0.2.1", hops, proxies) == "192.0.2.1"
    # every hop a proxy: the first; a malformed hop ends the walk at the last proxy
    assert access.client_address("::1", ["10.1.1.1", "10.2.2.2"], proxies) == "10.1.1.1"
    assert access.client_address("127.0.0.1", ["203.0.113.5", "junk"], proxies) == \
        "127.0.0.1"
    assert access.client_address("127.0.0.1", ["[2001:db8::5]:443"], proxies) == "2001:db8::5"
    assert access.client_address("127.0.0.1", ["203.0.113.5:61000"], proxies) == "203.0.113.5"
    assert access.client_address("::ffff:127.0.0.1", hops, proxies) == "203.0.113.5"
    assert access.client_address(None, hops, proxies) is None
    assert access.client_address("", [], proxies) is None
    # uvicorn, under Streamlit, already replaced a loopback peer by a forwarded address:
    # without trusted proxies that is undone, so a local client cannot pick its address
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    assert access.tcp_peer("203.0.113.5", hops) == "127.0.0.1"
    assert access.tcp_peer("203.0.113.5", []) == "203.0.113.5"
    assert access.tcp_peer("192.0.2.1", hops) == "192.0.2.1"
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    assert access.tcp_peer("203.0.113.5", hops) is None


def test_an_unusable_trusted_proxy_is_ignored_and_said(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    access.trusted_proxies.cache_clear()  # read once per value: said once per value
    assert access.trusted_proxies("10.0.0.1 proxy.example.org 10.0.0.0/33") == (
        ipaddress.ip_network("10.0.0.1/32"),)
    assert [r.getMessage() for r in caplog.records] == [
        "CHAINRISK_TRUSTED_PROXIES: 'proxy.example.org' is not an IP address or network; it "
        "is ignored",
        "CHAINRISK_TRUSTED_PROXIES: '10.0.0.0/33' is not an IP address or network; it is "
        "ignored",
    ]
