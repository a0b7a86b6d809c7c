"""The access policy: password hashes, every validation message, grants, throttling, CLI.

Hashes here use the cheapest cost a policy accepts (2^15) so that the file runs in
seconds; ``chainrisk ui hash-password`` uses 2^17.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from chainrisk import auth
from chainrisk.auth import (
    MIN_COST,
    Account,
    Policy,
    PolicyError,
    Role,
    SignInLimits,
    SignInRefused,
    Throttle,
    hash_password,
    load_policy,
    parse_policy,
    password_problem,
    sign_in,
    verify_password,
)
from chainrisk.cli import EXIT_USAGE, main
from chainrisk.errors import AccessDenied, UsageError
from chainrisk.ingest.load import load_bundle
from chainrisk.store.sqlite import SqliteStore
from chainrisk.ui import check_access, command

PASSWORD = "Purple-Otter-2718"


@pytest.fixture(scope="module")
def hashed() -> str:
    """Return the hash of PASSWORD (computed once: each takes a fifth of a second)."""
    return hash_password(PASSWORD, cost=MIN_COST)


def problems(text: str) -> tuple[str, ...]:
    """Return the problems parse_policy finds in ``text`` (it must find some)."""
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.toml")
    assert str(caught.value).startswith(f"the access policy p.toml has {len(caught.value.problems)}"
                                        " problem(s):")
    return caught.value.problems


# ---------------------------------------------------------------------- hashes


def test_hash_round_trip_salted_and_self_describing(hashed: str) -> None:
    assert verify_password(PASSWORD, hashed)
    assert not verify_password(PASSWORD + "!", hashed)
    assert not verify_password("", hashed)
    again = hash_password(PASSWORD, cost=MIN_COST)
    assert again != hashed  # a new salt every time
    assert hashed.startswith("$scrypt$ln=15,r=8,p=1$")
    _, scheme, params, salt, key = hashed.split("$")
    assert (scheme, params) == ("scrypt", "ln=15,r=8,p=1")
    assert (len(auth._unb64(salt)), len(auth._unb64(key))) == (16, 32)


def test_the_default_cost_is_owasp_s() -> None:
    assert auth.DEFAULT_COST == 17  # N = 2^17, r = 8, p = 1
    with pytest.raises(ValueError, match=r"cost must be 15\.\.20"):
        hash_password("x" * 8, cost=10)


def test_passwords_are_compared_after_nfkc_in_constant_time(
    hashed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wide = hash_password("ＡＢＣ-１２３-密码", cost=MIN_COST)  # typed with a Chinese IME
    assert verify_password("ABC-123-密码", wide)
    calls = []
    real = auth.hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest",
                        lambda a, b: calls.append(1) or real(a, b))
    assert verify_password(PASSWORD, hashed)
    assert calls == [1]


@pytest.mark.parametrize("bad", [
    "", "plain", "$scrypt$", "$scrypt$ln=15,r=8,p=1$!!$!!",
    "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
    "$bcrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
])
def test_a_malformed_hash_matches_nothing(bad: str) -> None:
    assert not verify_password("anything", bad)


def test_new_password_rules() -> None:
    assert password_problem("seven77") == "a password needs at least 8 characters"
    assert password_problem(" padded password") == (
        "a password may not start or end with a space (a copy-and-paste slip?)")
    assert password_problem("x" * 1025) == "a password may have at most 1024 characters"
    assert password_problem("长城长城长城长城") is None


# ---------------------------------------------------------------------- policy messages


def test_every_problem_is_reported_at_once(hashed: str) -> None:
    found = problems(f"""
[user.ivy]
password = "{hashed}"

[users.ivy]
pasword = "x"
groups = ["nope"]
chains = "ic"
role = "boss"

[groups.team]
chains = [1]
members = ["ivy"]
""")
    assert found == (
        "unknown section [user]: a policy has [users.<name>], [groups.<name>], [oidc] and "
        "[signin] — did you mean [users]?",
        "groups.team: unknown key 'members' (allowed: chains, role)",
        "groups.team.chains must be a list of chain ids, e.g. chains = [\"ic\"], or [\"*\"] "
        "for every chain",
        "users.ivy: unknown key 'pasword' (allowed: password, groups, chains, role) — did you "
        "mean 'password'?",
        "users.ivy.groups names 'nope', which is not defined: add [groups.nope] or fix the "
        "name (groups: team)",
        "users.ivy.chains must be a list of chain ids, e.g. chains = [\"ic\"], or [\"*\"] for "
        "every chain",
        "users.ivy.role must be \"viewer\" or \"admin\", not 'boss'",
    )


def test_a_plaintext_password_is_refused_and_never_quoted() -> None:
    (found,) = problems('[users.ivy]\npassword = "Tr0ub4dor&3"\nchains = ["ic"]\n')
    assert found == (
        "users.ivy.password is not a password hash: the policy file holds hashes only, never "
        "passwords. Run `chainrisk ui hash-password`, type the password, and paste the line "
        "it prints"
    )
    assert "Tr0ub4dor" not in found


@pytest.mark.parametrize(("value", "reason"), [
    ('"$scrypt$ln=15,r=8,p=1$short"', "not in the form $scrypt$ln=…,r=…,p=…$salt$key"),
    ('"$scrypt$ln=12,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"',
     "its cost ln=12 is outside 15..20"),
    ('"$scrypt$ln=15,r=8,p=1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"',
     "its salt or key is shorter than 16 bytes"),
    ('"$scrypt$ln=15,r=99,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"',
     "its r or p is outside 1..32 / 1..16"),
])
def test_a_damaged_or_weak_hash_is_refused(value: str, reason: str) -> None:
    (found,) = problems(f'[users.ivy]\npassword = {value}\nchains = ["ic"]\n')
    assert found == (f"users.ivy.password is not a usable scrypt hash ({reason}): make a new "
                     "one with `chainrisk ui hash-password`")
    assert value.strip('"')[-20:] not in found


def test_tables_keys_and_types(hashed: str) -> None:
    assert problems("users = 3") == (
        "[users] must be a table: write [users.<name>] and its keys under it",)
    assert problems('[users]\nivy = "x"') == (
        'users.ivy must be a table: write [users."ivy"] and its keys under it',)
    assert problems("[users.ivy]\npassword = 7\nchains = ['ic']") == (
        "users.ivy.password must be a string: the line `chainrisk ui hash-password` prints",)
    assert problems("[users.ivy]\ngroups = 'x'\nchains = ['ic']") == (
        'users.ivy.groups must be a list of group names, e.g. groups = ["ic-team"]',)
    assert problems(f'[users.Ivy]\npassword = "{hashed}"\nchains = ["ic"]\n'
                    f'[users." ivy"]\nchains = ["ic"]') == (
        "users 'Ivy' and ' ivy' differ only in case or spaces, and names are matched without "
        "them: keep one",)
    assert problems('[users.""]\nchains = ["ic"]') == ("a user name may not be empty",)
    assert problems("x = [1,") == (
        "it is not valid TOML (Invalid value (at end of document)): fix that line",)


def test_oidc_and_signin_sections() -> None:
    base = '[users.ivy]\nchains = ["ic"]\n'
    assert problems(base + "[oidc]\ngroup_claim = 'g'") == (
        "[oidc]: unknown key 'group_claim' (allowed: groups_claim) — did you mean "
        "'groups_claim'?",)
    assert problems(base + "[oidc]\ngroups_claim = ''") == (
        'oidc.groups_claim must name a claim, e.g. groups_claim = "groups"',)
    assert problems(base + "[signin]\nmax_failures = true\ndelay_seconds = 0\nlock = 1") == (
        "[signin]: unknown key 'lock' (allowed: max_failures, delay_seconds, "
        "max_delay_seconds, window_seconds)",
        "signin.max_failures must be a whole number from 1 to 1000, not True",
        "signin.delay_seconds must be a number from 0.1 to 86400, not 0",
    )
    assert problems(base + "[signin]\ndelay_seconds = 60\nmax_delay_seconds = 10") == (
        "signin.max_delay_seconds must be at least signin.delay_seconds",)
    limits = parse_policy(base + "[signin]\nmax_failures = 3\ndelay_seconds = 2").signin
    assert limits == SignInLimits(max_failures=3, delay_seconds=2.0)


def test_a_policy_that_grants_nobody_is_refused() -> None:
    assert problems("") == (
        "it grants nobody access: add a [users.<name>] table (see docs/security.md), or "
        "remove the policy to turn access control off on this machine only",)


def test_warnings_do_not_stop_a_policy(hashed: str) -> None:
    policy = parse_policy(f"""
[groups.empty]
[users.ivy]
password = "{hashed}"
[users.all]
chains = ["*", "ic"]
""")
    assert policy.warnings == (
        "groups.empty gives no chain: add chains = [...]",
        "users.ivy has no chains and no groups: they can sign in but see nothing",
        "users.all.chains: '*' already means every chain; the other ids add nothing",
    )
    assert policy.unknown_chains(["ic"]) == []
    strict = parse_policy('[users.ivy]\nchains = ["ic", "semis"]')
    assert strict.unknown_chains(["ic", "5g"]) == [
        "the policy names chain 'semis', which the store does not hold (chains: 5g, ic): a "
        "typo? Nobody sees anything through it until such a chain is loaded"]


# ---------------------------------------------------------------------- grants


POLICY = """
[groups.ic-team]
chains = ["ic"]
[groups.fives]
chains = ["5g"]
[groups.office]
chains = ["*"]
role = "admin"
[users.ivy]
password = "{h}"
groups = ["ic-team"]
[users.vic]
groups = ["ic-team", "fives"]
chains = ["auto"]
[users.ada]
password = "{h}"
groups = ["office"]
[users.root]
chains = ["ic"]
role = "admin"
[users."olga@example.org"]
chains = ["5g"]
[oidc]
groups_claim = "roles"
"""


@pytest.fixture(scope="module")
def policy(hashed: str) -> Policy:
    return parse_policy(POLICY.format(h=hashed))


def test_grants_are_the_union_of_user_and_groups(policy: Policy) -> None:
    ivy = policy.grant("IVY")
    assert ivy is not None
    assert (ivy.user, ivy.role, ivy.key) == ("ivy", Role.VIEWER, ("ic",))
    vic = policy.grant("vic")
    assert vic is not None
    assert vic.key == ("5g", "auto", "ic")
    ada = policy.grant("ada")
    assert ada is not None
    assert (ada.chains, ada.can_load) == (None, True)
    root = policy.grant("root")
    assert root is not None
    assert (root.can_load, root.key) == (True, ("ic",))
    assert policy.grant("mallory") is None


def test_oidc_claims(policy: Policy) -> None:
    olga = policy.grant_for_claims({"email": "OLGA@example.org", "email_verified": True})
    assert olga is not None
    assert (olga.user, olga.key) == ("olga@example.org", ("5g",))
    # an unverified email is not trusted; the subject still matches an account of that name
    assert policy.grant_for_claims({"email": "olga@example.org", "email_verified": False}) \
        is None
    by_sub = policy.grant_for_claims({"sub": "olga@example.org"})
    assert by_sub is not None
    assert by_sub.key == ("5g",)
    # groups from the identity provider, a string or a list; unknown names ignored
    team = policy.grant_for_claims({"email": "new@example.org", "roles": "office"})
    assert team is not None
    assert (team.can_load, team.user) == (True, "new@example.org")
    assert policy.grant_for_claims({"email": "new@example.org", "roles": ["nope"]}) is None
    assert policy.grant_for_claims({}) is None


def test_the_account_never_shows_its_hash(policy: Policy, hashed: str) -> None:
    account = policy.account("ivy")
    assert account is not None
    assert hashed not in repr(account)
    assert hashed not in repr(policy)
    assert repr(Account("x", "secret-hash")) == (
        "Account(name='x', groups=(), chains=(), role=None)")


# ---------------------------------------------------------------------- sign-in, throttle


def test_sign_in_gives_one_answer_for_unknown_and_wrong(policy: Policy) -> None:
    throttle = Throttle()
    assert sign_in(policy, throttle, " Ivy ", PASSWORD).user == "ivy"
    for name, password in [("ivy", "wrong"), ("nobody", PASSWORD), ("vic", PASSWORD)]:
        with pytest.raises(SignInRefused) as caught:
            sign_in(policy, throttle, name, password)
        assert str(caught.value) == "wrong user name or password"
        assert not caught.value.throttled
        assert isinstance(caught.value, AccessDenied)


def test_an_unknown_name_costs_as_much_as_a_known_one(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda pw, h: checked.append(h) or real(pw, h))
    with pytest.raises(SignInRefused):
        sign_in(policy, Throttle(), "nobody", "whatever")
    (decoy,) = checked
    assert decoy == policy.decoy
    assert decoy.startswith("$scrypt$ln=15,r=8,p=1$")  # the accounts' own cost
    assert auth._parse_hash(decoy)  # well formed: a full scrypt run, not a shortcut


def test_a_throttled_name_is_refused_before_its_password_is_checked(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    throttle = Throttle(clock=lambda: now[0])
    limits = policy.signin
    for _ in range(limits.max_failures):
        with pytest.raises(SignInRefused):
            sign_in(policy, throttle, "ivy", "wrong")
    assert throttle.wait("ivy") == limits.delay_seconds
    monkeypatch.setattr(auth, "verify_password", lambda *_: pytest.fail("checked a password"))
    with pytest.raises(SignInRefused, match="too many failed sign-ins") as caught:
        sign_in(policy, throttle, "ivy", PASSWORD)
    assert (caught.value.throttled, caught.value.wait) == (True, limits.delay_seconds)
    monkeypatch.undo()
    now[0] += limits.delay_seconds
    assert sign_in(policy, throttle, "ivy", PASSWORD).user == "ivy"
    assert throttle.wait("ivy") == 0.0


def test_throttle_delays_double_up_to_the_cap_and_are_forgotten() -> None:
    now = [0.0]
    t = Throttle(clock=lambda: now[0])
    limits = SignInLimits(max_failures=3, delay_seconds=10, max_delay_seconds=35,
                          window_seconds=100)
    waits = []
    for _ in range(6):
        t.failed("eve", limits)
        waits.append(t.wait("eve"))
    assert waits == [0.0, 0.0, 10.0, 20.0, 35.0, 35.0]
    now[0] = 200.0  # the window passed: old failures no longer count
    t.failed("eve", limits)
    assert t.wait("eve") == 0.0
    t.succeeded("eve")
    assert t.wait("eve") == 0.0


def test_throttle_remembers_a_bounded_number_of_names() -> None:
    t = Throttle(clock=lambda: 0.0, capacity=3)
    limits = SignInLimits(max_failures=1)
    for name in ("a", "b", "c", "d"):
        t.failed(name, limits)
    assert [t.wait(n) > 0 for n in "abcd"] == [False, True, True, True]


# ---------------------------------------------------------------------- files


def test_load_policy_messages(tmp_path: Path, hashed: str) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(PolicyError, match=r"it cannot be read \(No such file or directory\): "
                                          r"check the path given to --policy or "
                                          r"\$CHAINRISK_POLICY"):
        load_policy(missing)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00x")
    with pytest.raises(PolicyError, match="it is not UTF-8 text: save it as UTF-8"):
        load_policy(binary)
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"#" * (auth.MAX_POLICY_BYTES + 1))
    with pytest.raises(PolicyError, match="is this the right file"):
        load_policy(huge)
    good = tmp_path / "good.toml"
    good.write_text(f'\ufeff[users.ivy]\npassword = "{hashed}"\nchains = ["ic"]\n',
                    encoding="utf-8")
    os.chmod(good, 0o600)
    assert load_policy(good).warnings == ()
    os.chmod(good, 0o666)
    assert load_policy(good).warnings == (
        f"{good} is writable by every user of this machine, who could make themselves admin: "
        f"chmod o-w {good}",)


# ---------------------------------------------------------------------- command line


def test_hash_password_reads_stdin_never_argv(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["ui", "hash-password"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith('password = "$scrypt$ln=17,r=8,p=1$')  # the full cost
    assert verify_password(PASSWORD, out.split('"')[1])
    assert PASSWORD not in out + err
    assert "paste that line under [users.<name>]" in err
    # there is no way to give the password on the command line
    assert main(["ui", "hash-password", PASSWORD]) == EXIT_USAGE
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["ui", "hash-password"]) == EXIT_USAGE
    assert capsys.readouterr().err.startswith(
        "error: a password needs at least 8 characters; nothing was printed")


def test_hash_password_at_a_terminal_asks_twice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import getpass

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(sys, "stdin", Tty())
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))
    assert main(["ui", "hash-password"]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert "the two passwords differ; nothing was printed" in err


def test_a_network_address_needs_a_policy(
    tmp_path: Path, hashed: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CHAINRISK_POLICY", raising=False)
    monkeypatch.setattr("chainrisk.ui.run", lambda *a, **k: pytest.fail("the app started"))
    assert check_access("127.0.0.1") == check_access("localhost") == check_access("::1") == []
    assert main(["ui", "--host", "0.0.0.0"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: --host 0.0.0.0 would let anyone who can reach this port see "
                          "every chain and load data, with no sign-in: give an access policy "
                          "with --policy FILE")
    assert "--no-auth" in err
    for host in ("192.168.1.5", "chainrisk.example.org", ""):
        with pytest.raises(UsageError, match="with no sign-in"):
            check_access(host)
    assert check_access("0.0.0.0", no_auth=True) == [
        "access control is off (--no-auth) on 0.0.0.0: anyone who can reach this port sees "
        "every chain and can load data"]
    policy = tmp_path / "p.toml"
    policy.write_text(f'[users.ivy]\npassword = "{hashed}"\nchains = ["ic", "phone"]\n')
    with pytest.raises(UsageError, match="give one"):
        check_access("0.0.0.0", str(policy), no_auth=True)
    store = tmp_path / "s.db"
    from tests.conftest import TINY, write_bundle

    assert "phone" in TINY["chains.csv"]
    opened = SqliteStore(store)
    load_bundle(opened, write_bundle(tmp_path / "tiny", {}))
    opened.close()
    assert check_access("0.0.0.0", str(policy), store=f"sqlite:///{store}") == [
        "the policy names chain 'ic', which the store does not hold (chains: phone): a typo? "
        "Nobody sees anything through it until such a chain is loaded"]
    monkeypatch.setenv("CHAINRISK_POLICY", str(policy))  # the variable works like --policy
    assert check_access("0.0.0.0", store=f"sqlite:///{store}")
    broken = tmp_path / "broken.toml"
    broken.write_text('[users.ivy]\npassword = "plain-text-pw"\n')
    assert main(["ui", "--host", "0.0.0.0", "--policy", str(broken)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "is not a password hash" in err
    assert "plain-text-pw" not in err


def test_the_app_s_upload_limit_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    def option(name: str) -> str:
        line = command()
        return line[line.index(name) + 1]

    monkeypatch.delenv("CHAINRISK_MAX_UPLOAD_BYTES", raising=False)
    assert option("--server.maxUploadSize") == "200"
    monkeypatch.setenv("CHAINRISK_MAX_UPLOAD_BYTES", str(3 * 1024 * 1024 + 1))
    assert option("--server.maxUploadSize") == "4"  # rounded up: the exact check is the app's
    monkeypatch.setenv("CHAINRISK_MAX_UPLOAD_BYTES", "0")
    assert int(option("--server.maxUploadSize")) >= 1_000_000
    assert option("--client.showErrorDetails") == "type"  # no tracebacks in the browser
