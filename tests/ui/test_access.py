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
import re
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
from chainrisk.ui import access
from chainrisk.ui.scope import visible_ids, visible_nodes
from tests.conftest import ROOT, write_bundle
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


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="signin_user").input(name)
    at.text_input(key="signin_password").input(password)
    return _ok(at.button(key="signin_submit").click().run())


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
    at = _ok(AppTest.from_file(str(ROOT / PAGES["rankings"]), default_timeout=TIMEOUT).run())
    assert [w.value for w in at.warning] == ["Sign in first."]
    assert (len(at.dataframe), len(at.title)) == (0, 0)


def test_wrong_password_and_unknown_user_get_the_same_answer_then_wait(
    make_app: AppFactory, policy: Path
) -> None:
    at = make_app(policy=policy)
    _sign_in(at, "ivy", "not-her-password")
    wrong = _errors(at)
    _sign_in(at, "nobody-here", "whatever-it-is")
    assert _errors(at) == wrong == [
        "Wrong user name or password. Check both and try again; after several failures, "
        "sign-in for that name pauses for a while."
    ]
    assert [t.value for t in at.title] == ["Sign in"]
    # the policy allows 2 failures per name; the second one starts a pause, for a known
    # and an unknown name alike, and then even the right password must wait
    _sign_in(at, "ivy", "still-not-it")
    _sign_in(at, "nobody-here", "again-wrong")
    assert _errors(at)[0].endswith("That user name may try again in 60 s.")
    _sign_in(at, "ivy", IVY_PASSWORD)
    assert _errors(at) == ["That user name may try again in 60 s."]
    assert [t.value for t in at.title] == ["Sign in"]


def test_a_broken_policy_shows_its_problems_and_nothing_else(
    make_app: AppFactory, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[users.ivy]\npassword = "ivy-plain-text-pw"\nchains = ["ic"]\n')
    at = _ok(make_app(policy=bad))
    (message,) = _errors(at)
    assert message.startswith("The access policy file is wrong, so the app shows nothing")
    assert "chainrisk ui hash-password" in message
    assert "ivy-plain-text-pw" not in _rendered(at)
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
    firms = firms.splitlines()
    ranks = [int(line.split(",")[0]) for line in firms[1:]]
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
    at = _sign_in(make_app(policy=policy), "ivy", IVY_PASSWORD)
    user = at.session_state[access.USER]
    # even the page script itself, run with the viewer's session, refuses
    page = AppTest.from_file(str(ROOT / PAGES["data"]), default_timeout=TIMEOUT)
    page.session_state[access.USER] = user
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


def test_oidc_user_is_matched_by_email(make_app: AppFactory, policy: Path) -> None:
    at = make_app(policy=policy)
    at.secrets["auth"] = OIDC_SECRETS
    _ok(at.run())
    assert at.button(key="signin_oidc").label == "Sign in with your organisation account"
    assert not at.selectbox  # nothing of the chains before the identity is known
    at.user = {"is_logged_in": True, "email": "Olga@Example.org", "email_verified": True,
               "sub": "0001"}
    _ok(at.run())
    assert at.title[0].value == "5G — overview"
    assert at.selectbox(key="chain").options == ["5G"]
    # an identity the policy does not know: told so, shown nothing
    at.user = {"is_logged_in": True, "email": "mallory@example.org", "sub": "0666"}
    _ok(at.run())
    assert "signed in as mallory@example\\.org" in _errors(at)[0]
    assert not at.selectbox


def test_oidc_groups_claim_grants_the_group(make_app: AppFactory, policy: Path) -> None:
    at = make_app(policy=policy)
    at.secrets["auth"] = OIDC_SECRETS
    at.user = {"is_logged_in": True, "email": "new@example.org", "groups": ["ic-team", "x"]}
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


def test_the_password_is_never_shown_kept_or_logged(
    make_app: AppFactory, policy: Path, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str], deferred: dict[str, Callable[[], Any]],
) -> None:
    caplog.set_level(logging.DEBUG)
    at = make_app(policy=policy)
    _sign_in(at, "sam", SECRET[:-1])  # a near miss first: a failure is logged
    _sign_in(at, SECRET, "x" * 12)  # a password typed into the name box
    _sign_in(at, "sam", SECRET)
    assert at.title[0].value == "Integrated circuits — overview"
    seen = [_rendered(at), repr(at.session_state.to_dict())]
    for page in ("rankings", "what-if", "explorer"):
        _open(at, page)
        seen += [_rendered(at), repr(at.session_state.to_dict())]
    seen += [repr(f()) for f in deferred.values()]
    out = capsys.readouterr()
    seen += [caplog.text, out.out, out.err]
    for mark in SECRET_MARKS:
        assert not any(mark in text for text in seen), mark
    assert "sign-in refused for 'sam'" in caplog.text
    assert "sign-in refused for an unknown user name" in caplog.text
    assert "signed in: 'sam' (password)" in caplog.text
    # the audit trail reaches the server's stderr even with no logging configured
    assert "chainrisk access: signed in: 'sam' (password)" in out.err
    assert "chainrisk access: sign-in refused for 'sam'" in out.err


def test_sign_out_forgets_the_session(make_app: AppFactory, policy: Path) -> None:
    at = _sign_in(make_app(policy=policy), "ivy", IVY_PASSWORD)
    _open(at, "what-if")
    at.multiselect(key="whatif_firms").set_value(["firm:tsmc"])
    _ok(at.run())
    at.button(key="account_sign_out").click()
    _ok(at.run())
    assert [t.value for t in at.title] == ["Sign in"]
    assert access.USER not in at.session_state
    assert "whatif_firms" not in at.session_state
    assert at.session_state["lang"] == "en"  # the language is kept


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
    assert access.USER not in at.session_state


# ---------------------------------------------------------------------- client address, audit


AUDIT_LINE = r"^\S+ \S+ chainrisk access: {}$"  # the time, then exactly these words


def _audit_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if " chainrisk access: " in line]


def test_the_audit_trail_names_the_client_even_when_there_is_none(
    make_app: AppFactory, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = make_app(policy=policy)
    capsys.readouterr()
    _sign_in(at, "ivy", "not-her-password")
    _sign_in(at, "ivy", IVY_PASSWORD)  # AppTest has no connection: the client is unknown
    assert at.title[0].value == "Integrated circuits — overview"
    at.button(key="account_sign_out").click()
    _ok(at.run())
    lines = _audit_lines(capsys.readouterr().err)
    expected = ["sign-in refused for 'ivy' from client unknown",
                "signed in: 'ivy' (password) from client unknown",
                "signed out: 'ivy' from client unknown"]
    assert len(lines) == len(expected), lines
    for line, words in zip(lines, expected, strict=True):
        assert re.match(AUDIT_LINE.format(re.escape(words)), line), line


def test_the_audit_trail_names_the_connection_s_address(
    make_app: AppFactory, policy: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    at = make_app(policy=policy)
    # a browser at 203.0.113.5 behind the proxy at 10.0.0.2, which appends what it saw
    monkeypatch.setattr(access, "_connection",
                        lambda: ("10.0.0.2", ["198.51.100.66", "203.0.113.5"]))
    capsys.readouterr()
    _sign_in(at, "ivy", "not-her-password")  # the proxy is not trusted: its address counts
    monkeypatch.setenv("CHAINRISK_TRUSTED_PROXIES", "10.0.0.0/24")
    _sign_in(at, "ivy", IVY_PASSWORD)
    assert at.title[0].value == "Integrated circuits — overview"
    lines = _audit_lines(capsys.readouterr().err)
    assert [line.split(" chainrisk access: ")[1] for line in lines] == [
        "sign-in refused for 'ivy' from client 10.0.0.2",
        "signed in: 'ivy' (password) from client 203.0.113.5",  # not the forged 198.51.100.66
    ]


def test_too_many_attempts_from_one_address_pause_it(
    make_app: AppFactory, policy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = policy.read_text(encoding="utf-8").replace(
        "max_failures = 2", "max_failures = 5\nmax_client_failures = 2")
    policy.write_text(text, encoding="utf-8")
    monkeypatch.setattr(access, "_connection", lambda: ("198.51.100.9", []))
    at = make_app(policy=policy)
    _sign_in(at, "nobody", "guess-one")
    _sign_in(at, "somebody", "guess-two")
    assert _errors(at)[0].endswith("Too many sign-in attempts from your address: try again "
                                   "in 60 s.")
    _sign_in(at, "ivy", IVY_PASSWORD)  # even the right password waits, unchecked
    assert _errors(at) == ["Too many sign-in attempts from your address: try again in 60 s."]
    monkeypatch.setattr(access, "_connection", lambda: ("198.51.100.10", []))
    _sign_in(at, "ivy", IVY_PASSWORD)  # from another address
    assert at.title[0].value == "Integrated circuits — overview"


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
