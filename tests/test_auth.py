"""The access policy: password hashes, every validation message, grants, throttling, CLI.

Hashes here use the cheapest cost a policy accepts (2^15) so that the file runs in
seconds; ``chainrisk ui hash-password`` uses 2^17.
"""

from __future__ import annotations

import dataclasses
import hmac
import io
import logging
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from chainrisk import auth
from chainrisk.auth import (
    MIN_COST,
    Account,
    Attempt,
    Limit,
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
    calls: list[int] = []
    real = hmac.compare_digest

    def counted(a: bytes, b: bytes) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counted)  # the module auth uses
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
        "[oidc]: unknown key 'group_claim' (allowed: groups_claim, user_claims) — did you mean "
        "'groups_claim'?",)
    assert problems(base + "[oidc]\ngroups_claim = ''") == (
        'oidc.groups_claim must name a claim, e.g. groups_claim = "groups"',)
    for bad in ('"email"', '["email", "email"]', '["preferred_username"]'):
        assert problems(base + f"[oidc]\nuser_claims = {bad}") == (
            'oidc.user_claims must list "email", "sub" or both, e.g. user_claims = ["email"]',)
    assert parse_policy(base).user_claims == ("email", "sub")
    assert parse_policy(base + "[oidc]\nuser_claims = ['sub']").user_claims == ("sub",)
    assert problems(base + "[signin]\nmax_failures = true\ndelay_seconds = 0\nlock = 1\n"
                    "max_client_failures = 0") == (
        "[signin]: unknown key 'lock' (allowed: max_failures, delay_seconds, "
        "max_delay_seconds, window_seconds, max_client_failures, session_hours, idle_minutes)",
        "signin.max_failures must be a whole number from 1 to 1000, not True",
        "signin.delay_seconds must be a number from 0.1 to 86400, not 0",
        "signin.max_client_failures must be a whole number from 1 to 100000, not 0",
    )
    assert problems(base + "[signin]\ndelay_seconds = 60\nmax_delay_seconds = 10") == (
        "signin.max_delay_seconds must be at least signin.delay_seconds",)
    limits = parse_policy(base + "[signin]\nmax_failures = 3\ndelay_seconds = 2\n"
                          "max_client_failures = 40").signin
    assert limits == SignInLimits(max_failures=3, delay_seconds=2.0, max_client_failures=40)
    assert SignInLimits().max_client_failures == 20


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
    # an unverified email is not trusted; the subject still matches an OIDC account
    assert policy.grant_for_claims({"email": "olga@example.org", "email_verified": False}) \
        is None
    by_sub = policy.grant_for_claims({"sub": "olga@example.org"})
    assert by_sub is not None
    assert by_sub.key == ("5g",)
    # groups from the identity provider, a string or a list; unknown names ignored
    team = policy.grant_for_claims({"email": "new@example.org", "email_verified": True,
                                    "roles": "office"})
    assert team is not None
    assert (team.can_load, team.user) == (True, "new@example.org")
    # the label of a groups-only identity is never an unverified email
    unverified = policy.grant_for_claims({"email": "boss@example.org", "sub": "u-17",
                                          "roles": "office"})
    assert unverified is not None
    assert unverified.user == "u-17"
    assert policy.grant_for_claims({"email": "new@example.org", "roles": ["nope"]}) is None
    assert policy.grant_for_claims({}) is None


@pytest.mark.parametrize("verified", [
    "false", "true", "True", 0, 1, None, [True], {"value": True}, "yes",
])
def test_only_the_boolean_true_verifies_an_email(policy: Policy, verified: object) -> None:
    claims = {"email": "olga@example.org", "email_verified": verified}
    assert policy.grant_for_claims(claims) is None
    assert policy.grant_for_claims({**claims, "email_verified": True}) is not None
    assert policy.grant_for_claims({"email": "olga@example.org"}) is None  # no claim at all


def test_the_subject_never_matches_a_password_account(policy: Policy) -> None:
    for sub in ("ivy", "IVY", " ivy", "ada"):  # password accounts
        assert policy.grant_for_claims({"sub": sub}) is None, sub
    root = policy.grant_for_claims({"sub": "root"})  # an account without a password
    assert root is not None
    assert (root.user, root.can_load) == ("root", True)
    # subjects are the provider's exact strings: another case is another subject
    assert policy.grant_for_claims({"sub": "Root"}) is None
    assert policy.grant_for_claims({"sub": "ｒｏｏｔ"}) is None


@pytest.mark.parametrize("email", [
    "ｏｌｇａ@example.org",  # full-width letters, folded to olga@example.org by NFKC
    "olga@ｅxample.org",
    "olga＠example.org",  # a full-width at sign
    "ｏlga@example.org",
    " olga@example.org",
    "olga@example.org\u200b",  # a zero-width space
])
def test_look_alike_emails_match_nothing(policy: Policy, email: str) -> None:
    assert policy.grant_for_claims({"email": email, "email_verified": True}) is None
    # a group from the provider still counts, but not under the look-alike's name
    grouped = policy.grant_for_claims({"email": email, "email_verified": True,
                                       "roles": "fives"})
    assert grouped is not None
    assert (grouped.user, grouped.key) == ("?", ("5g",))


def test_emails_match_after_case_folding_and_only_the_claims_named(hashed: str) -> None:
    text = f"""
[users."pat@example.org"]
password = "{hashed}"
chains = ["ic"]
[users."张伟@例子.中国"]
chains = ["5g"]
[users."strasse@example.de"]
chains = ["ic"]
[users.u-1]
chains = ["5g"]
"""
    both = parse_policy(text)
    # a verified email finds an account whatever its case, a password account too ...
    pat = both.grant_for_claims({"email": "Pat@Example.ORG", "email_verified": True})
    assert pat is not None
    assert pat.user == "pat@example.org"
    # ... but its subject does not, and a non-ASCII email matches only as written (NFC)
    assert both.grant_for_claims({"sub": "pat@example.org"}) is None
    zhang = both.grant_for_claims({"email": "张伟@例子.中国", "email_verified": True})
    assert zhang is not None
    assert zhang.key == ("5g",)
    # case folding that is more than lower-casing (ß into ss) is a look-alike too
    assert both.grant_for_claims({"email": "straße@example.de", "email_verified": True}) \
        is None
    assert both.grant_for_claims({"sub": "u-1"}) is not None
    email_only = parse_policy(text + '[oidc]\nuser_claims = ["email"]\n')
    assert email_only.grant_for_claims({"sub": "u-1"}) is None
    assert email_only.grant_for_claims({"email": "pat@example.org", "email_verified": True})
    sub_only = parse_policy(text + '[oidc]\nuser_claims = ["sub"]\n')
    assert sub_only.grant_for_claims({"email": "pat@example.org", "email_verified": True}) \
        is None
    assert sub_only.grant_for_claims({"sub": "u-1"}) is not None


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
    def counted(pw: str, h: str) -> bool:
        checked.append(h)
        return real(pw, h)

    monkeypatch.setattr(auth, "verify_password", counted)
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
    with pytest.raises(SignInRefused, match="too many sign-ins for this user name") as caught:
        sign_in(policy, throttle, "ivy", PASSWORD)
    assert (caught.value.throttled, caught.value.wait) == (True, limits.delay_seconds)
    assert caught.value.limit is Limit.NAME
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
    # an attempt in flight is never forgotten: its failure still counts when it ends
    attempt = t.reserve("e", "192.0.2.1", limits)
    for name in ("f", "g", "h", "i"):
        t.failed(name, limits)
    t.settle(attempt, good=False)
    assert t.wait("e") > 0
    assert t.client_wait("192.0.2.1") == 0.0  # one failure of the address, of 20 allowed


# ---------------------------------------------------------------------- bursts, addresses, queue


def _count_checks(monkeypatch: pytest.MonkeyPatch,
                  hold: Callable[[str], bool] = lambda password: False,
                  go: threading.Event | None = None) -> list[str]:
    """Return the passwords sign_in checks from now on, in order (a list filled as it goes).

    A password for which ``hold`` is true waits inside its check until ``go`` is set.
    """
    checked: list[str] = []
    lock = threading.Lock()
    real = auth.verify_password

    def counting(password: str, hashed: str) -> bool:
        with lock:
            checked.append(password)
        if hold(password) and go is not None:
            assert go.wait(60), "the test never let the check go on"
        return real(password, hashed)

    monkeypatch.setattr(auth, "verify_password", counting)
    return checked


def _burst(attempts: list[Callable[[], object]]) -> list[object]:
    """Return what each attempt returned or raised, all started at the same moment."""
    results: list[object] = [None] * len(attempts)
    start = threading.Barrier(len(attempts))

    def run(i: int, attempt: Callable[[], object]) -> None:
        start.wait()
        try:
            results[i] = attempt()
        except SignInRefused as e:
            results[i] = e

    threads = [threading.Thread(target=run, args=item) for item in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _address(i: int) -> str:
    return f"10.{i // 250}.{i % 250}.7"


@pytest.mark.parametrize("addresses", [60, 1])
def test_a_burst_of_wrong_passwords_checks_no_more_than_the_limit(
    policy: Policy, monkeypatch: pytest.MonkeyPatch, addresses: int
) -> None:
    checked = _count_checks(monkeypatch)
    throttle = Throttle(clock=lambda: 1000.0)
    results = _burst([
        partial(sign_in, policy, throttle, "ivy", f"wrong-{i}", _address(i % addresses))
        for i in range(60)
    ])
    refusals = [r for r in results if isinstance(r, SignInRefused)]
    assert len(refusals) == 60
    assert len(checked) == len([r for r in refusals if not r.throttled])
    if addresses == 60:  # every attempt in flight counted: exactly the limit was checked
        assert len(checked) == policy.signin.max_failures == 5
        assert {r.limit for r in refusals if r.throttled} == {Limit.NAME}
        assert throttle.wait("ivy") == policy.signin.delay_seconds
    else:  # one address has one check at a time: the rest are refused unchecked
        assert 1 <= len(checked) <= policy.signin.max_failures
        assert Limit.CLIENT in {r.limit for r in refusals if r.throttled}


def test_the_right_password_cannot_join_a_burst_that_reached_the_limit(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    reserved = threading.Semaphore(0)

    class Counted(Throttle):
        def reserve(self, name: str, client: str | None, limits: SignInLimits) -> Attempt:
            attempt = super().reserve(name, client, limits)
            reserved.release()
            return attempt

    throttle = Counted(clock=lambda: now[0])
    go = threading.Event()
    checked = _count_checks(monkeypatch, hold=lambda password: password != PASSWORD, go=go)
    results: list[object] = []
    threads = [threading.Thread(target=lambda i=i: results.append(
        _refusal(lambda: sign_in(policy, throttle, "ivy", f"wrong-{i}", _address(i)))))
        for i in range(19)]
    for thread in threads:
        thread.start()
    for _ in range(policy.signin.max_failures):  # five wrong ones are in flight, held
        assert reserved.acquire(timeout=60)
    # the right password now, from an address of its own: refused, never checked
    with pytest.raises(SignInRefused, match="too many sign-ins for this user name") as caught:
        sign_in(policy, throttle, "ivy", PASSWORD, "192.0.2.200")
    assert (caught.value.throttled, caught.value.limit) == (True, Limit.NAME)
    assert caught.value.wait == policy.signin.delay_seconds  # if the five in flight fail
    go.set()
    for thread in threads:
        thread.join(60)
    assert PASSWORD not in checked
    assert len(checked) == 5
    assert sorted(isinstance(r, SignInRefused) and r.throttled for r in results) == (
        [False] * 5 + [True] * 14)
    with pytest.raises(SignInRefused, match="too many sign-ins"):  # the five failed: a pause
        sign_in(policy, throttle, "ivy", PASSWORD, "192.0.2.200")
    now[0] += policy.signin.delay_seconds
    assert sign_in(policy, throttle, "ivy", PASSWORD, "192.0.2.200").user == "ivy"


def _refusal(attempt: Callable[[], object]) -> object:
    try:
        return attempt()
    except SignInRefused as e:
        return e


def test_in_a_shuffled_burst_the_right_password_wins_only_if_it_was_checked(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = _count_checks(monkeypatch)
    throttle = Throttle(clock=lambda: 1000.0)
    passwords = [f"wrong-{i}" for i in range(19)] + [PASSWORD]
    random.Random(13).shuffle(passwords)
    results = _burst([partial(sign_in, policy, throttle, "ivy", pw, _address(i))
                      for i, pw in enumerate(passwords)])
    assert len(checked) <= policy.signin.max_failures
    signed_in = [r for r in results if not isinstance(r, SignInRefused)]
    assert len(signed_in) == (1 if PASSWORD in checked else 0)


def test_one_address_is_limited_whatever_names_it_tries(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    strict = dataclasses.replace(policy, signin=SignInLimits(
        max_failures=5, max_client_failures=3, delay_seconds=10, window_seconds=100))
    throttle = Throttle(clock=lambda: now[0])
    bot = "198.51.100.9"
    for i in range(3):
        with pytest.raises(SignInRefused, match="wrong user name or password") as caught:
            sign_in(strict, throttle, f"guess-{i}", "whatever", bot)
    assert (caught.value.throttled, caught.value.limit, caught.value.wait) == (
        False, Limit.CLIENT, 10.0)
    # the address waits now, for every name, and even the right password goes unchecked
    checked = _count_checks(monkeypatch)
    with pytest.raises(SignInRefused, match="too many failed sign-ins from this address") \
            as caught:
        sign_in(strict, throttle, "ivy", PASSWORD, bot)
    assert (caught.value.throttled, caught.value.limit, caught.value.wait) == (
        True, Limit.CLIENT, 10.0)
    assert checked == []
    # another address is not held back, and the names the first one tried do not wait
    assert sign_in(strict, throttle, "ivy", PASSWORD, "198.51.100.10").user == "ivy"
    assert throttle.wait("guess-0") == 0.0
    assert throttle.client_wait(bot) == 10.0
    now[0] = 10.0
    # a success from the address clears the name's failures, not the address's
    assert sign_in(strict, throttle, "ivy", PASSWORD, bot).user == "ivy"
    with pytest.raises(SignInRefused) as caught:
        sign_in(strict, throttle, "ivy", "wrong", bot)
    assert (caught.value.limit, caught.value.wait) == (Limit.CLIENT, 20.0)
    assert throttle.wait("ivy") == 0.0


def test_one_address_has_one_check_at_a_time(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    go = threading.Event()
    checked = _count_checks(monkeypatch, hold=lambda password: password == "held", go=go)
    throttle = Throttle(clock=lambda: 0.0)
    first = threading.Thread(target=lambda: _refusal(
        lambda: sign_in(policy, throttle, "nobody", "held", "2001:db8::1")))
    first.start()
    deadline = time.monotonic() + 60
    while "held" not in checked and time.monotonic() < deadline:
        time.sleep(0.01)
    for same in ("2001:db8::2", "2001:db8::ffff:0:3"):  # one /64 is one client
        with pytest.raises(SignInRefused, match="from this address at once") as caught:
            sign_in(policy, throttle, "ivy", PASSWORD, same)
        assert (caught.value.throttled, caught.value.limit) == (True, Limit.CLIENT)
        assert caught.value.wait >= 1
    assert sign_in(policy, throttle, "ivy", PASSWORD, "2001:db8:1::1").user == "ivy"
    go.set()
    first.join(60)
    assert sign_in(policy, throttle, "ivy", PASSWORD, "2001:db8::2").user == "ivy"
    assert checked == ["held", PASSWORD, PASSWORD]


def test_a_full_queue_refuses_at_once_and_counts_no_failure(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "MAX_QUEUED_CHECKS", 1)
    go = threading.Event()
    checked = _count_checks(monkeypatch, hold=lambda password: password.startswith("held"),
                            go=go)
    one_try = dataclasses.replace(policy, signin=SignInLimits(max_failures=1))
    throttle = Throttle(clock=lambda: 0.0)
    results: list[object] = []

    def attempt(name: str, password: str, client: str) -> threading.Thread:
        thread = threading.Thread(target=lambda: results.append(
            _refusal(lambda: sign_in(one_try, throttle, name, password, client))))
        thread.start()
        return thread

    running = [attempt(f"bot-{i}", f"held-{i}", f"203.0.113.{i}") for i in (1, 2)]
    deadline = time.monotonic() + 60
    while len(checked) < 2 and time.monotonic() < deadline:  # both slots are taken
        time.sleep(0.01)
    waiting = [attempt("bot-3", "held-3", "203.0.113.3"), attempt("ivy", PASSWORD, "192.0.2.9")]
    while not any(isinstance(r, SignInRefused) and r.throttled for r in results):
        assert time.monotonic() < deadline, "nobody was refused"
        time.sleep(0.01)
    (busy,) = [r for r in results if isinstance(r, SignInRefused)]
    assert busy.limit is Limit.SERVER
    assert busy.wait >= 1
    go.set()
    for thread in running + waiting:
        thread.join(60)
    assert len(checked) == 3
    # the refused attempt was never checked, so it counts for nothing: with one failure
    # allowed, ivy (or bot-3) may still sign in at once
    assert sign_in(one_try, throttle, "ivy", PASSWORD, "192.0.2.9").user == "ivy"
    assert throttle.client_wait("192.0.2.9") == throttle.client_wait("203.0.113.3") == 0.0


def test_a_flood_from_one_address_does_not_delay_a_sign_in_from_another(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    throttles = [Throttle(clock=lambda: 0.0)]
    flooding = threading.Event()
    real = auth.verify_password

    def watched(password: str, hashed: str) -> bool:
        if password == "guess":
            flooding.set()
        return real(password, hashed)

    monkeypatch.setattr(auth, "verify_password", watched)

    def real_user() -> float:
        started = time.perf_counter()
        assert sign_in(policy, throttles[-1], "ada", PASSWORD, "192.0.2.10").user == "ada"
        return time.perf_counter() - started

    alone = statistics.median(real_user() for _ in range(3))
    flooded = []
    for flood in range(3):
        flooding.clear()
        start = threading.Barrier(41)
        throttle = Throttle(clock=lambda: 0.0)  # a fresh one: no pause from earlier floods
        throttles.append(throttle)

        def bot(i: int, flood: int = flood, throttle: Throttle = throttle,
                start: threading.Barrier = start) -> None:
            start.wait()
            _refusal(lambda: sign_in(policy, throttle, f"bot-{flood}-{i}", "guess",
                                     "203.0.113.66"))

        bots = [threading.Thread(target=bot, args=(i,)) for i in range(40)]
        for thread in bots:
            thread.start()
        start.wait()
        assert flooding.wait(60), "no check of the flood began"  # now the real user
        flooded.append(real_user())
        for thread in bots:
            thread.join(60)
    # measured against itself in the same run: a queue shared with the flood would make
    # this about 20 (40 checks, two at a time)
    ratio = statistics.median(flooded) / alone
    assert ratio < 4, (alone, flooded)


def test_every_audit_line_names_the_client_address(
    policy: Policy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chainrisk.access")
    throttle = Throttle(clock=lambda: 0.0)
    one_try = dataclasses.replace(policy, signin=SignInLimits(max_failures=1))
    sign_in(one_try, throttle, " Ivy ", PASSWORD, "192.0.2.7")
    for name, password, client in [("ivy", "wrong-one", "192.0.2.7"),
                                   ("ivy", PASSWORD, "::ffff:192.0.2.8"),
                                   ("nobody", PASSWORD, None),
                                   (PASSWORD, "typed-into-the-name-box", "2001:db8::9"),
                                   ("ada", "wrong-two", "forged\naddress")]:
        with pytest.raises(SignInRefused):
            sign_in(one_try, throttle, name, password, client)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "chainrisk.access"]
    # exactly these words: no password, no session id, nothing a client could inject
    assert lines == [
        ("INFO", "signed in: 'ivy' (password) from client 192.0.2.7"),
        ("WARNING", "sign-in refused for 'ivy' from client 192.0.2.7"),
        ("WARNING", "sign-in throttled for 'ivy' from client 192.0.2.8: the user name waits "
                    "30 s"),
        ("WARNING", "sign-in refused for an unknown user name from client unknown"),
        ("WARNING", "sign-in refused for an unknown user name from client 2001:db8::9"),
        ("WARNING", "sign-in refused for 'ada' from client unknown"),
    ]


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
