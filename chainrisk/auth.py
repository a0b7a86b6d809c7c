"""Who may open the app and which chains each person sees: the access policy.

The policy is a small TOML file, named by ``$CHAINRISK_POLICY`` or ``chainrisk ui
--policy FILE``. It holds password *hashes* only (salted scrypt, made by ``chainrisk ui
hash-password``), never passwords::

    [groups.ic-team]
    chains = ["ic"]                  # chain ids, or ["*"] for every chain

    [groups.data-office]
    chains = ["*"]
    role = "admin"                   # admins may also load data; the default is "viewer"

    [users.alice]
    password = "$scrypt$ln=17,r=8,p=1$…$…"
    groups = ["ic-team"]

    [users."carol@example.org"]      # no password: signs in through OIDC (st.login),
    groups = ["data-office"]         # matched on the verified email or the subject

    [oidc]
    groups_claim = "groups"          # identity-provider groups named like [groups.*]
    user_claims = ["email", "sub"]   # the claims that find an account (the default)

    [signin]                         # optional; these are the defaults
    max_failures = 5                 # failed sign-ins per user name before a pause
    max_client_failures = 20         # failed sign-ins per client address before a pause
    delay_seconds = 30               # the first pause; it doubles with each failure
    max_delay_seconds = 900
    window_seconds = 900             # failures older than this are forgotten

A user sees the union of their own ``chains`` and those of their groups; one
``admin`` role (their own or a group's) makes them an admin. :func:`parse_policy`
checks the whole file and reports every problem at once. :func:`sign_in` checks a
password in constant time under a :class:`Throttle` (which counts every attempt
before its check, per user name and per client address) and a fair, bounded queue
of scrypt checks, with the same answer for an unknown user and a wrong password, and
writes each outcome to the audit trail. Nothing here imports Streamlit.

Examples
--------
>>> hashed = hash_password("correct horse battery", cost=MIN_COST, salt=b"0" * 16)
>>> policy = parse_policy(f'''
... [groups.ic-team]
... chains = ["ic"]
...
... [users.alice]
... password = "{hashed}"
... groups = ["ic-team"]
... ''')
>>> grant = sign_in(policy, Throttle(), "alice", "correct horse battery", "192.0.2.7")
>>> grant.user, grant.may_see("ic"), grant.may_see("5g"), grant.can_load
('alice', True, False, False)
>>> sign_in(policy, Throttle(), "alice", "wrong")
Traceback (most recent call last):
...
chainrisk.auth.SignInRefused: wrong user name or password
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import difflib
import hashlib
import hmac
import ipaddress
import logging
import math
import os
import re
import secrets
import threading
import time
import tomllib
import unicodedata
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from chainrisk.errors import AccessDenied, UsageError

POLICY_ENV = "CHAINRISK_POLICY"
AUDIT = logging.getLogger("chainrisk.access")
"""The audit trail: sign-ins, refusals, throttling and sign-outs, each with the client address."""
HASH_COMMAND = "chainrisk ui hash-password"

# scrypt cost as log2(N). 2^17 with r=8 (128 MiB, about half a second) is OWASP's
# recommendation; 2^15 is the least a policy may hold.
DEFAULT_COST = 17
MIN_COST = 15
MAX_COST = 20
BLOCK_SIZE = 8
PARALLELISM = 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
MAX_POLICY_BYTES = 1024 * 1024
ALL = "*"

# scrypt takes 128 MiB per check at the default cost: at most this many run at once,
# so that a flood of sign-in attempts queues instead of exhausting memory; at most
# MAX_QUEUED_CHECKS sign-ins wait for a turn (more are refused at once), and one client
# address has at most CHECKS_PER_CLIENT attempts checked or queued at a time, so that
# one client cannot fill the queue and delay everybody else.
HASH_SLOTS = 2
MAX_QUEUED_CHECKS = 16
CHECKS_PER_CLIENT = 1
_HASH_RE = re.compile(
    r"^\$scrypt\$ln=(?P<ln>\d{1,2}),r=(?P<r>\d{1,3}),p=(?P<p>\d{1,3})"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<key>[A-Za-z0-9+/]+)$"
)


class Role(StrEnum):
    """What a signed-in user may do besides looking: viewers look, admins also load data."""

    VIEWER = "viewer"
    ADMIN = "admin"


class PolicyError(UsageError):
    """The access policy file cannot be used; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "".join(f"\n- {p}" for p in self.problems)
        super().__init__(f"the access policy {source} has {count} problem(s):{lines}")


class Limit(StrEnum):
    """Which limit a refused sign-in ran into: its user name's, its address's, the server's."""

    NAME = "name"
    CLIENT = "client"
    SERVER = "server"


class SignInRefused(AccessDenied):
    """A sign-in failed; the message never says whether the user name exists.

    ``wait`` is how many seconds to wait before trying again (0: at once);
    ``throttled`` says the password was not even checked, because something must wait;
    ``limit`` says what: the user name, the client address, or the server (busy).
    """

    def __init__(self, message: str, wait: float = 0.0, throttled: bool = False,
                 limit: Limit | None = None) -> None:
        super().__init__(message, code="denied.throttled" if throttled else "denied.sign_in",
                         params={"seconds": max(0, round(wait))})
        self.wait = wait
        self.throttled = throttled
        self.limit = limit or Limit.NAME


# ---------------------------------------------------------------------- password hashes


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _normalise_password(password: str) -> bytes:
    # NFKC, so that a password typed with full-width characters (a Chinese IME) or
    # composed differently still matches (NIST SP 800-63B, 5.1.1.2).
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def _scrypt(password: str, salt: bytes, cost: int, r: int, p: int, length: int) -> bytes:
    n = 2**cost
    with _HASHING.slot():
        return hashlib.scrypt(_normalise_password(password), salt=salt, n=n, r=r, p=p,
                              maxmem=128 * r * (n + p + 2) + 65536, dklen=length)


@dataclass(frozen=True)
class _Hash:
    cost: int
    r: int
    p: int
    salt: bytes = field(repr=False)
    key: bytes = field(repr=False)

    def matches(self, password: str) -> bool:
        derived = _scrypt(password, self.salt, self.cost, self.r, self.p, len(self.key))
        return hmac.compare_digest(derived, self.key)

    def text(self) -> str:
        return f"$scrypt$ln={self.cost},r={self.r},p={self.p}${_b64(self.salt)}${_b64(self.key)}"


def _parse_hash(text: str) -> _Hash:
    """Return the parts of a hash string; ValueError (never quoting it) when it is not one."""
    m = _HASH_RE.match(text)
    if not m:
        raise ValueError("not in the form $scrypt$ln=…,r=…,p=…$salt$key")
    try:
        salt, key = _unb64(m["salt"]), _unb64(m["key"])
    except (binascii.Error, ValueError) as e:
        raise ValueError("its salt or key is not base64") from e
    parts = _Hash(int(m["ln"]), int(m["r"]), int(m["p"]), salt, key)
    if not MIN_COST <= parts.cost <= MAX_COST:
        raise ValueError(f"its cost ln={parts.cost} is outside {MIN_COST}..{MAX_COST}")
    if not (1 <= parts.r <= 32 and 1 <= parts.p <= 16):
        raise ValueError("its r or p is outside 1..32 / 1..16")
    if len(salt) < 16 or len(key) < 16:
        raise ValueError("its salt or key is shorter than 16 bytes")
    return parts


def hash_password(password: str, *, cost: int = DEFAULT_COST, salt: bytes | None = None) -> str:
    """Return the salted scrypt hash of ``password`` as one string (parameters included).

    The form is ``$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>`` (base64 without
    padding). ``salt`` is random unless given (tests only).

    >>> text = hash_password("correct horse battery", cost=MIN_COST, salt=b"s" * 16)
    >>> text.startswith("$scrypt$ln=15,r=8,p=1$c3Nz")
    True
    >>> verify_password("correct horse battery", text), verify_password("Correct", text)
    (True, False)
    """
    if not MIN_COST <= cost <= MAX_COST:
        raise ValueError(f"cost must be {MIN_COST}..{MAX_COST}")
    if salt is None:
        salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, cost, BLOCK_SIZE, PARALLELISM, KEY_BYTES)
    return _Hash(cost, BLOCK_SIZE, PARALLELISM, salt, key).text()


def verify_password(password: str, hashed: str) -> bool:
    """Return whether ``password`` matches ``hashed`` (constant time; False if malformed)."""
    try:
        parts = _parse_hash(hashed)
    except ValueError:
        return False
    return parts.matches(password)


def password_problem(password: str) -> str | None:
    """Return why ``password`` is not acceptable as a new password, or None.

    >>> password_problem("short"), password_problem("long enough")
    ('a password needs at least 8 characters', None)
    """
    if len(password) < MIN_PASSWORD_CHARS:
        return f"a password needs at least {MIN_PASSWORD_CHARS} characters"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"a password may have at most {MAX_PASSWORD_CHARS} characters"
    if password != password.strip():
        return "a password may not start or end with a space (a copy-and-paste slip?)"
    return None


def _decoy(like: _Hash | None) -> str:
    """Return a hash nothing matches, as costly to check as ``like``.

    An unknown user name is checked against it, so that it takes as long to refuse
    as a wrong password.
    """
    cost = like.cost if like else DEFAULT_COST
    r, p = (like.r, like.p) if like else (BLOCK_SIZE, PARALLELISM)
    return _Hash(cost, r, p, secrets.token_bytes(SALT_BYTES), secrets.token_bytes(KEY_BYTES)
                 ).text()


# ---------------------------------------------------------------------- grants


@dataclass(frozen=True)
class Grant:
    """What one signed-in user may see and do.

    ``chains`` is None for every chain. ``user`` is None when access control is off.

    >>> Grant("bob", Role.VIEWER, frozenset({"ic"})).visible(["5g", "ic"])
    ['ic']
    >>> OPEN.visible(["5g", "ic"]), OPEN.can_load
    (['5g', 'ic'], True)
    """

    user: str | None
    role: Role
    chains: frozenset[str] | None

    def may_see(self, chain: str) -> bool:
        """Return whether the user may see ``chain``."""
        return self.chains is None or chain in self.chains

    def visible(self, chains: Iterable[str]) -> list[str]:
        """Return those of ``chains`` the user may see, sorted."""
        return sorted(c for c in chains if self.may_see(c))

    @property
    def can_load(self) -> bool:
        """Return whether the user may upload and load data (and see the load history)."""
        return self.role is Role.ADMIN

    @property
    def key(self) -> tuple[str, ...] | None:
        """Return the allowed chains as a sorted tuple (None: every chain), for cache keys."""
        return None if self.chains is None else tuple(sorted(self.chains))


OPEN = Grant(None, Role.ADMIN, None)
"""The grant when no policy is configured: everything, as in the local demo."""


@dataclass(frozen=True)
class SignInLimits:
    """How sign-in failures slow down guessing (the ``[signin]`` table)."""

    max_failures: int = 5  # per user name
    delay_seconds: float = 30.0
    max_delay_seconds: float = 900.0
    window_seconds: float = 900.0
    max_client_failures: int = 20  # per client address, whatever the names tried
    session_hours: float = 12.0  # a sign-in lasts at most this long
    idle_minutes: float = 60.0  # and ends sooner when its browser is quiet this long


@dataclass(frozen=True)
class Account:
    """One ``[users.<name>]`` entry; ``password`` is a hash (or None: OIDC only)."""

    name: str
    password: str | None = field(default=None, repr=False)
    groups: tuple[str, ...] = ()
    chains: tuple[str, ...] = ()
    role: Role | None = None


@dataclass(frozen=True)
class Group:
    """One ``[groups.<name>]`` entry."""

    name: str
    chains: tuple[str, ...] = ()
    role: Role | None = None


def _oidc_email(email: Any) -> str | None:
    """Return an identity provider's email as it may be matched, or None when it may not.

    Refused: anything but a plain ``local@domain`` string, and look-alikes, whose
    compatibility characters NFKC would fold into other letters (full-width ``ａ``) or
    whose case folding is more than lower-casing (``ß`` into ``ss``).

    >>> _oidc_email("Bo@x.org"), _oidc_email("ｂｏ@x.org"), _oidc_email("straße@x.de")
    ('Bo@x.org', None, None)
    >>> _oidc_email("张伟@例子.中国"), _oidc_email(" bo@x.org"), _oidc_email(7)
    ('张伟@例子.中国', None, None)
    """
    if not isinstance(email, str) or email.count("@") != 1 or not email.isprintable():
        return None
    if any(ch.isspace() for ch in email) or unicodedata.normalize("NFKC", email) != email:
        return None
    if email.casefold() != email.lower():
        return None
    return email


def normalise_name(name: str) -> str:
    """Return a user name as it is matched: outer spaces dropped, case folded (NFKC).

    >>> normalise_name("  Alice@Example.ORG ")
    'alice@example.org'
    """
    return unicodedata.normalize("NFKC", name).strip().casefold()


@dataclass(frozen=True)
class Policy:
    """A checked access policy: accounts, groups, the OIDC groups claim, sign-in limits."""

    accounts: Mapping[str, Account]  # keyed by normalise_name(name)
    groups: Mapping[str, Group]
    groups_claim: str | None = None
    signin: SignInLimits = field(default_factory=SignInLimits)
    source: str = "<policy>"
    warnings: tuple[str, ...] = ()
    user_claims: tuple[str, ...] = ("email", "sub")  # the OIDC claims that find an account

    def account(self, name: str) -> Account | None:
        """Return the account called ``name`` (matched without case), if any."""
        return self.accounts.get(normalise_name(name))

    def grant(self, name: str) -> Grant | None:
        """Return what the account ``name`` may see and do (None: no such account)."""
        account = self.account(name)
        return None if account is None else self._grant(account.name, account, ())

    def grant_for_claims(self, claims: Mapping[str, Any]) -> Grant | None:
        """Return the grant of a user signed in through OIDC, from their identity claims.

        Only the claims named by ``user_claims`` find the account: ``email`` when
        ``email_verified`` is exactly True, compared without case (an email in
        compatibility forms such as full-width letters matches nothing); ``sub``
        only when it is exactly the name of an account without a password. The
        groups named in the ``groups_claim`` claim that the policy defines are
        added. None when the policy gives this identity nothing.

        >>> p = parse_policy('[oidc]\\ngroups_claim = "groups"\\n[groups.ic]\\nchains = ["ic"]\\n'
        ...                  '[users."bo@x.org"]\\nchains = ["5g"]')
        >>> p.grant_for_claims({"email": "Bo@x.org", "email_verified": True,
        ...                     "groups": ["ic", "other"]}).key
        ('5g', 'ic')
        >>> [p.grant_for_claims({"email": "bo@x.org", "email_verified": v})
        ...  for v in (False, "true", 1, None)]
        [None, None, None, None]
        >>> p.grant_for_claims({"email": "ｂｏ@x.org", "email_verified": True}) is None
        True
        """
        email = claims.get("email") if claims.get("email_verified") is True else None
        email = _oidc_email(email)
        sub = claims.get("sub")
        sub = sub if isinstance(sub, str) and sub and sub == sub.strip() else None
        account = None
        for claim in self.user_claims:
            if claim == "email" and email is not None:
                account = self.accounts.get(email.casefold())
            elif claim == "sub" and sub is not None:
                found = self.accounts.get(normalise_name(sub))
                # a subject is the provider's word, not a proof of a password account
                account = found if found and found.password is None and found.name == sub \
                    else None
            if account is not None:
                break
        names = [n for n in (email, sub) if n]
        extra: list[str] = []
        if self.groups_claim:
            value = claims.get(self.groups_claim)
            values = [value] if isinstance(value, str) else value
            if isinstance(values, list | tuple):
                extra = [g for g in values if isinstance(g, str) and g in self.groups]
        if account is None and not extra:
            return None
        label = account.name if account is not None else names[0] if names else "?"
        return self._grant(label, account, extra)

    def _grant(self, user: str, account: Account | None, extra: Iterable[str]) -> Grant:
        groups = [self.groups[g] for g in (*(account.groups if account else ()), *extra)]
        chains = {c for grp in groups for c in grp.chains}
        roles = {grp.role for grp in groups}
        if account is not None:
            chains.update(account.chains)
            roles.add(account.role)
        role = Role.ADMIN if Role.ADMIN in roles else Role.VIEWER
        return Grant(user, role, None if ALL in chains else frozenset(chains))

    def chains_named(self) -> set[str]:
        """Return every chain id the policy names (``*`` left out)."""
        named = {c for a in self.accounts.values() for c in a.chains}
        named |= {c for g in self.groups.values() for c in g.chains}
        return named - {ALL}

    def unknown_chains(self, known: Collection[str]) -> list[str]:
        """Return a warning for each chain id the policy names that ``known`` lacks."""
        have = ", ".join(sorted(known)) or "none loaded"
        return [
            f"the policy names chain {c!r}, which the store does not hold (chains: {have}): "
            "a typo? Nobody sees anything through it until such a chain is loaded"
            for c in sorted(self.chains_named() - set(known))
        ]

    @cached_property
    def decoy(self) -> str:
        """Return the hash an unknown user name is checked against."""
        costs = Counter(
            _parse_hash(a.password) for a in self.accounts.values() if a.password
        )
        # the most common parameters, so that refusing an unknown name takes as long
        like = max(costs, key=lambda h: (costs[h], h.cost), default=None)
        return _decoy(like)


# ---------------------------------------------------------------------- parsing

_USER_KEYS = ("password", "groups", "chains", "role")
_GROUP_KEYS = ("chains", "role")
_OIDC_KEYS = ("groups_claim", "user_claims")
_USER_CLAIMS = ("email", "sub")
_SECTIONS = ("users", "groups", "oidc", "signin")
_SIGNIN_KEYS = {
    "max_failures": (int, 1, 1000),
    "delay_seconds": (float, 0.1, 86_400.0),
    "max_delay_seconds": (float, 0.1, 7 * 86_400.0),
    "window_seconds": (float, 1.0, 7 * 86_400.0),
    "max_client_failures": (int, 1, 100_000),
    "session_hours": (float, 0.01, 720.0),
    "idle_minutes": (float, 1.0, 43_200.0),
}


def _unknown(where: str, key: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" — did you mean {close[0]!r}?" if close else ""
    return f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)}){hint}"


class _Checker:
    """Collects every problem and warning of one policy file."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def table(self, where: str, value: Any, example: str) -> dict[str, Any]:
        if isinstance(value, dict):
            return value
        self.problems.append(f"{where} must be a table: write {example} and its keys under it")
        return {}

    def keys(self, where: str, table: Mapping[str, Any], allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                self.problems.append(_unknown(where, key, allowed))

    def names(self, where: str, value: Any, what: str, example: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            return tuple(v.strip() for v in value)
        self.problems.append(f"{where} must be a list of {what}, e.g. {example}")
        return ()

    def chains(self, where: str, value: Any) -> tuple[str, ...]:
        chains = self.names(f"{where}.chains", value, "chain ids",
                            'chains = ["ic"], or ["*"] for every chain')
        if ALL in chains and len(chains) > 1:
            self.warnings.append(f"{where}.chains: '*' already means every chain; "
                                 "the other ids add nothing")
        return chains

    def role(self, where: str, value: Any) -> Role | None:
        if value is None:
            return None
        if isinstance(value, str) and value in {r.value for r in Role}:
            return Role(value)
        self.problems.append(f'{where}.role must be "viewer" or "admin", not {value!r}')
        return None

    def password(self, where: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.problems.append(f"{where}.password must be a string: the line "
                                 f"`{HASH_COMMAND}` prints")
            return None
        if not value.startswith("$scrypt$"):
            # never quote the value: it may be a real password typed in by mistake
            self.problems.append(
                f"{where}.password is not a password hash: the policy file holds hashes "
                f"only, never passwords. Run `{HASH_COMMAND}`, type the password, and "
                "paste the line it prints"
            )
            return None
        try:
            _parse_hash(value)
        except ValueError as e:
            self.problems.append(f"{where}.password is not a usable scrypt hash ({e}): make a "
                                 f"new one with `{HASH_COMMAND}`")
            return None
        return value

    def signin(self, value: Any) -> SignInLimits:
        table = self.table("[signin]", value, "[signin]")
        self.keys("[signin]", table, _SIGNIN_KEYS)
        values: dict[str, Any] = {}
        for key, (kind, low, high) in _SIGNIN_KEYS.items():
            if key not in table:
                continue
            raw = table[key]
            number = (int, float) if kind is float else (int,)
            if isinstance(raw, bool) or not isinstance(raw, number) or not low <= raw <= high:
                shown = "a whole number" if kind is int else "a number"
                self.problems.append(f"signin.{key} must be {shown} from {low:g} to {high:g}, "
                                     f"not {raw!r}")
                continue
            values[key] = kind(raw)
        limits = SignInLimits(**values)
        if limits.max_delay_seconds < limits.delay_seconds:
            self.problems.append("signin.max_delay_seconds must be at least "
                                 "signin.delay_seconds")
        return limits


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Return the policy in TOML ``text``; PolicyError lists every problem found.

    ``source`` names the file in messages. Warnings (nothing fatal) are kept in
    :attr:`Policy.warnings`.

    >>> parse_policy('[users.bob]\\npassword = "hunter22"\\nchains = ["ic"]\\nrole = "boss"')
    Traceback (most recent call last):
    ...
    chainrisk.auth.PolicyError: the access policy <policy> has 2 problem(s):
    - users.bob.password is not a password hash: the policy file holds hashes only, \
never passwords. Run `chainrisk ui hash-password`, type the password, and paste the line \
it prints
    - users.bob.role must be "viewer" or "admin", not 'boss'
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(source, [f"it is not valid TOML ({e}): fix that line"]) from None
    check = _Checker()
    for key in data:
        if key not in _SECTIONS:
            check.problems.append(
                f"unknown section [{key}]: a policy has [users.<name>], [groups.<name>], "
                "[oidc] and [signin]" + (f" — did you mean [{c[0]}]?" if (
                    c := difflib.get_close_matches(key, _SECTIONS, n=1)) else "")
            )

    groups: dict[str, Group] = {}
    for name, raw in check.table("[groups]", data.get("groups", {}), "[groups.<name>]").items():
        where = f"groups.{name}"
        table = check.table(where, raw, f"[groups.{name}]")
        check.keys(where, table, _GROUP_KEYS)
        groups[name] = Group(name, check.chains(where, table.get("chains")),
                             check.role(where, table.get("role")))
        if not groups[name].chains and groups[name].role is not Role.ADMIN:
            check.warnings.append(f"{where} gives no chain: add chains = [...]")

    accounts: dict[str, Account] = {}
    for name, raw in check.table("[users]", data.get("users", {}), "[users.<name>]").items():
        where = f"users.{name}"
        table = check.table(where, raw, f'[users."{name}"]')
        check.keys(where, table, _USER_KEYS)
        member_of = check.names(f"{where}.groups", table.get("groups"), "group names",
                                'groups = ["ic-team"]')
        for g in member_of:
            if g not in groups:
                defined = ", ".join(sorted(groups)) or "none defined"
                check.problems.append(f"{where}.groups names {g!r}, which is not defined: add "
                                      f"[groups.{g}] or fix the name (groups: {defined})")
        account = Account(name, check.password(where, table.get("password")), member_of,
                          check.chains(where, table.get("chains")),
                          check.role(where, table.get("role")))
        key = normalise_name(name)
        if not key:
            check.problems.append("a user name may not be empty")
        elif key in accounts:
            check.problems.append(f"users {accounts[key].name!r} and {name!r} differ only in "
                                  "case or spaces, and names are matched without them: keep one")
        accounts[key] = account
        if (not account.chains and not account.groups and account.role is not Role.ADMIN):
            check.warnings.append(f"{where} has no chains and no groups: they can sign in "
                                  "but see nothing")

    oidc = check.table("[oidc]", data.get("oidc", {}), "[oidc]")
    check.keys("[oidc]", oidc, _OIDC_KEYS)
    claim = oidc.get("groups_claim")
    if claim is not None and not (isinstance(claim, str) and claim.strip()):
        check.problems.append('oidc.groups_claim must name a claim, e.g. groups_claim = "groups"')
        claim = None
    user_claims = oidc.get("user_claims", list(_USER_CLAIMS))
    if not (isinstance(user_claims, list) and all(c in _USER_CLAIMS for c in user_claims)
            and len(set(user_claims)) == len(user_claims)):
        check.problems.append('oidc.user_claims must list "email", "sub" or both, e.g. '
                              'user_claims = ["email"]')
        user_claims = list(_USER_CLAIMS)
    limits = check.signin(data.get("signin", {}))
    if not accounts and not claim and not check.problems:
        check.problems.append("it grants nobody access: add a [users.<name>] table (see "
                              "docs/security.md), or remove the policy to turn access "
                              "control off on this machine only")
    if check.problems:
        raise PolicyError(source, check.problems)
    return Policy(accounts, groups, claim, limits, source, tuple(check.warnings),
                  tuple(user_claims))


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Return the policy in the file at ``path``; PolicyError says what is wrong with it."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_POLICY_BYTES:
            raise PolicyError(source, [f"it is {size:,} bytes; a policy is a few kB (at most "
                                       f"{MAX_POLICY_BYTES:,}): is this the right file?"])
        raw = path.read_bytes()
    except OSError as e:
        raise PolicyError(source, [f"it cannot be read ({e.strerror}): check the path given "
                                   f"to --policy or ${POLICY_ENV}"]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyError(source, ["it is not UTF-8 text: save it as UTF-8"]) from None
    policy = parse_policy(text, source)
    if os.name == "posix" and path.stat().st_mode & 0o002:
        warning = (f"{source} is writable by every user of this machine, who could make "
                   f"themselves admin: chmod o-w {source}")
        policy = dataclasses.replace(policy, warnings=(*policy.warnings, warning))
    return policy


# ---------------------------------------------------------------------- sign-in


class _Busy(Exception):
    """Every scrypt slot is taken and the queue for them is full."""

    def __init__(self, wait: float) -> None:
        super().__init__("the queue of password checks is full")
        self.wait = wait


class _Gate:
    """At most ``slots`` scrypt checks at once; the others wait their turn, first come first served.

    scrypt takes 128 MiB per check at the default cost, so a flood of sign-ins must
    queue rather than run at once; and the queue must be fair, so that a real user's
    check is not overtaken by attempts that arrived later. ``slot(queue=n)`` refuses at
    once (:class:`_Busy`) when ``n`` callers already wait. A thread that holds a slot
    may enter again without queueing (:func:`sign_in` takes the slot around
    :func:`verify_password`, which takes it too).
    """

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._cond = threading.Condition()
        self._line: deque[object] = deque()
        self._running = 0
        self._held = threading.local()
        self.seconds = 0.5  # how long a check takes, a running average: for the waits quoted

    def drain_seconds(self) -> float:
        """Return about how long the checks running and queued now will take."""
        with self._cond:
            return (self._running + len(self._line)) / self.slots * self.seconds

    @contextmanager
    def slot(self, queue: int | None = None) -> Iterator[None]:
        if getattr(self._held, "inside", False):
            yield
            return
        with self._cond:
            if queue is not None and len(self._line) >= queue:
                raise _Busy((self._running + len(self._line)) / self.slots * self.seconds)
            ticket = object()
            self._line.append(ticket)
            try:
                while self._line[0] is not ticket or self._running >= self.slots:
                    self._cond.wait()
            except BaseException:
                self._line.remove(ticket)
                self._cond.notify_all()
                raise
            self._line.popleft()
            self._running += 1
            self._cond.notify_all()  # the next in line may take another free slot
        self._held.inside = True
        started = time.monotonic()
        try:
            yield
        finally:
            self._held.inside = False
            took = time.monotonic() - started
            with self._cond:
                self._running -= 1
                self.seconds = 0.8 * self.seconds + 0.2 * took
                self._cond.notify_all()


_HASHING = _Gate(HASH_SLOTS)


def client_key(address: str | None) -> str:
    """Return the key a client address is limited under: IPv4 itself, IPv6 by its /64.

    One IPv6 host is handed a whole /64, so its addresses count as one client; an
    address that is missing or not an IP address is "unknown" (all such share a key).

    >>> client_key("203.0.113.9"), client_key("2001:db8::1"), client_key("::ffff:10.0.0.1")
    ('203.0.113.9', '2001:db8::/64', '10.0.0.1')
    >>> client_key(None), client_key("not an address")
    ('unknown', 'unknown')
    """
    ip = parse_address(address)
    if ip is None:
        return "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_label(address: str | None) -> str:
    """Return a client address as the audit trail writes it ("unknown" when there is none).

    >>> client_label("::ffff:192.0.2.1"), client_label(""), client_label("a\\nb")
    ('192.0.2.1', 'unknown', 'unknown')
    """
    ip = parse_address(address)
    return "unknown" if ip is None else str(ip)


def parse_address(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the IP address ``address`` (an IPv4-mapped IPv6 one as IPv4), or None."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    until: float = 0.0
    pending: int = 0  # attempts being checked now, each counted as a failure until it ends


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt the :class:`Throttle` let through: counted until it is settled."""

    name: str
    client: str
    limits: SignInLimits


def _pause(failures: int, most: int, limits: SignInLimits) -> float:
    """Return the wait after ``failures`` failures when ``most`` are allowed (0: none)."""
    extra = failures - most
    if extra < 0:
        return 0.0
    return min(limits.delay_seconds * 2.0 ** min(extra, 32), limits.max_delay_seconds)


class Throttle:
    """Failed sign-ins per user name and per client address, and how long each must wait.

    After ``max_failures`` failures of one name (``max_client_failures`` from one
    address) within ``window_seconds``, every further failure makes it wait
    ``delay_seconds`` doubled per extra failure, up to ``max_delay_seconds``. Unknown
    names are throttled exactly like known ones, so the waits say nothing about who
    exists. An attempt is counted *before* its password is checked
    (:meth:`reserve`): while it is being checked it counts as a failure, so a burst
    of simultaneous attempts checks no more passwords than the limit allows; and one
    address has one attempt checked at a time. A success clears the name's failures
    (not the address's). At most ``capacity`` names and as many addresses are
    remembered (the oldest idle ones are forgotten first). Thread-safe: one throttle
    serves every session of the server.

    >>> now = [0.0]
    >>> t, limits = Throttle(clock=lambda: now[0]), SignInLimits(max_failures=2)
    >>> for _ in range(3):
    ...     t.failed("eve", limits)
    >>> t.wait("eve"), t.wait("EVE "), t.wait("bob")
    (60.0, 60.0, 0.0)
    >>> now[0] = 61.0
    >>> t.wait("eve")
    0.0
    >>> first, second = (t.reserve("bob", ip, limits) for ip in ("192.0.2.1", "192.0.2.2"))
    >>> t.reserve("bob", "192.0.2.3", limits)  # two in flight: they may both fail
    Traceback (most recent call last):
    ...
    chainrisk.auth.SignInRefused: too many sign-ins for this user name: wait and try again
    >>> t.settle(first, good=True)  # a success: the name may try again
    >>> t.reserve("bob", "192.0.2.1", limits).name
    'bob'
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, capacity: int = 10_000
                 ) -> None:
        self._clock = clock
        self._capacity = capacity
        self._lock = threading.Lock()
        self._names: OrderedDict[str, _Record] = OrderedDict()
        self._clients: OrderedDict[str, _Record] = OrderedDict()

    def wait(self, name: str) -> float:
        """Return how many seconds ``name`` must wait before it may try again (0: now)."""
        return self._wait(self._names, normalise_name(name))

    def client_wait(self, client: str | None) -> float:
        """Return how many seconds the address ``client`` must wait (0: none)."""
        return self._wait(self._clients, client_key(client))

    def _wait(self, table: OrderedDict[str, _Record], key: str) -> float:
        with self._lock:
            record = table.get(key)
            return max(0.0, record.until - self._clock()) if record else 0.0

    def reserve(self, name: str, client: str | None, limits: SignInLimits) -> Attempt:
        """Return a counted attempt of ``name`` from ``client``; SignInRefused when it must wait.

        The attempt counts as a failure of the name and of the address until it is
        settled. The address is refused while one of its attempts is in flight or
        while it waits; the name while it waits, or when its attempts in flight would
        reach the limit if they all failed.
        """
        attempt = Attempt(normalise_name(name), client_key(client), limits)
        with self._lock:
            now = self._clock()
            by_name = self._record(self._names, attempt.name, limits, now)
            by_client = self._record(self._clients, attempt.client, limits, now)
            if by_client.pending >= CHECKS_PER_CLIENT:
                wait = max(1.0, _HASHING.seconds)
                raise SignInRefused("too many sign-ins from this address at once: wait and "
                                    "try again", wait=wait, throttled=True, limit=Limit.CLIENT)
            wait = self._hold(by_client, limits.max_client_failures, limits, now)
            if wait > 0:
                raise SignInRefused("too many failed sign-ins from this address: wait and "
                                    "try again", wait=wait, throttled=True, limit=Limit.CLIENT)
            wait = self._hold(by_name, limits.max_failures, limits, now)
            if wait > 0:
                raise SignInRefused("too many sign-ins for this user name: wait and try again",
                                    wait=wait, throttled=True, limit=Limit.NAME)
            by_name.pending += 1
            by_client.pending += 1
            self._trim()
        return attempt

    def settle(self, attempt: Attempt, good: bool | None) -> None:
        """End ``attempt``: a success (True), a failure (False), or not checked (None).

        A failure stays counted against the name and the address; a success clears
        the name's failures (the address keeps its own); an attempt whose password was
        never checked counts for nothing.
        """
        with self._lock:
            now = self._clock()
            for table, key, most in ((self._names, attempt.name, attempt.limits.max_failures),
                                     (self._clients, attempt.client,
                                      attempt.limits.max_client_failures)):
                record = table.get(key)
                if record is None:  # pragma: no cover - records in flight are never trimmed
                    continue
                record.pending = max(0, record.pending - 1)
                if good is False:
                    self._fail(record, most, attempt.limits, now)
            cleared = self._names.get(attempt.name) if good is True else None
            if cleared is not None:
                cleared.failures.clear()
                cleared.until = 0.0

    def failed(self, name: str, limits: SignInLimits, client: str | None = None) -> None:
        """Record a failed sign-in of ``name`` (from ``client``, if given) at once."""
        with self._lock:
            now = self._clock()
            self._fail(self._record(self._names, normalise_name(name), limits, now),
                       limits.max_failures, limits, now)
            if client is not None:
                self._fail(self._record(self._clients, client_key(client), limits, now),
                           limits.max_client_failures, limits, now)
            self._trim()

    def succeeded(self, name: str) -> None:
        """Forget the failures of ``name`` after it signed in."""
        with self._lock:
            record = self._names.get(normalise_name(name))
            if record is not None:
                record.failures.clear()
                record.until = 0.0

    def _record(self, table: OrderedDict[str, _Record], key: str, limits: SignInLimits,
                now: float) -> _Record:
        record = table.pop(key, None) or _Record()
        record.failures = [t for t in record.failures if now - t < limits.window_seconds]
        table[key] = record  # the most recently used go last
        return record

    @staticmethod
    def _hold(record: _Record, most: int, limits: SignInLimits, now: float) -> float:
        """Return how long a new attempt must wait, counting the ones in flight as failed."""
        if record.until > now:
            return record.until - now
        if record.pending and len(record.failures) + record.pending >= most:
            return _pause(len(record.failures) + record.pending, most, limits)
        return 0.0

    @staticmethod
    def _fail(record: _Record, most: int, limits: SignInLimits, now: float) -> None:
        record.failures.append(now)
        wait = _pause(len(record.failures), most, limits)
        if wait > 0:
            record.until = now + wait

    def _trim(self) -> None:
        for table in (self._names, self._clients):
            if len(table) <= self._capacity:
                continue
            excess = len(table) - self._capacity
            idle: list[str] = []
            for key, record in table.items():  # the least recently used first
                if len(idle) == excess:
                    break
                if not record.pending:  # one in flight must still be settled
                    idle.append(key)
            for key in idle:
                del table[key]


def _who(account: Account | None) -> str:
    # the name only when it is an account: a password typed into the name box stays out
    return repr(account.name) if account is not None else "an unknown user name"


def sign_in(policy: Policy, throttle: Throttle, name: str, password: str,
            client: str | None = None) -> Grant:
    """Return the grant of ``name`` if ``password`` is theirs; SignInRefused otherwise.

    ``client`` is the address the attempt comes from (None: unknown). The attempt is
    counted by ``throttle`` before its password is checked, and refused unchecked when
    the name or the address must wait, when the address already has an attempt being
    checked, or when the queue of checks is full. An unknown name costs a hash check
    like a known one and gets the same message as a wrong password; accounts without
    a password (OIDC only) never sign in here. Every outcome is written to the audit
    trail (:data:`AUDIT`) with the client address.
    """
    account = policy.account(name)
    where = client_label(client)
    try:
        attempt = throttle.reserve(name, client, policy.signin)
    except SignInRefused as e:
        AUDIT.warning("sign-in throttled for %s from client %s: the %s waits %d s", _who(account),
                      where, _WAITER[e.limit], math.ceil(e.wait))
        raise
    hashed = account.password if account is not None and account.password else policy.decoy
    try:
        with _HASHING.slot(queue=MAX_QUEUED_CHECKS):
            good = (verify_password(password[:MAX_PASSWORD_CHARS], hashed)
                    and account is not None and account.password is not None)
    except _Busy as busy:
        throttle.settle(attempt, None)
        AUDIT.warning("sign-in throttled for %s from client %s: the server is busy, %d checks "
                      "queued", _who(account), where, MAX_QUEUED_CHECKS)
        raise SignInRefused("the server is busy checking other sign-ins: wait and try again",
                            wait=max(1.0, busy.wait), throttled=True, limit=Limit.SERVER
                            ) from None
    except BaseException:
        throttle.settle(attempt, False)  # an error while checking counts as a failure
        raise
    throttle.settle(attempt, good)
    if not good or account is None:
        AUDIT.warning("sign-in refused for %s from client %s", _who(account), where)
        name_wait, client_wait = throttle.wait(name), throttle.client_wait(client)
        limit = Limit.NAME if name_wait >= client_wait else Limit.CLIENT
        raise SignInRefused("wrong user name or password", wait=max(name_wait, client_wait),
                            limit=limit)
    AUDIT.info("signed in: %r (password) from client %s", account.name, where)
    return policy._grant(account.name, account, ())


_WAITER = {Limit.NAME: "user name", Limit.CLIENT: "client address", Limit.SERVER: "server"}


__all__ = [
    "ALL", "AUDIT", "DEFAULT_COST", "HASH_COMMAND", "MIN_COST", "OPEN", "POLICY_ENV",
    "Account", "Attempt", "Grant", "Group", "Limit", "Policy", "PolicyError", "Role",
    "SignInLimits", "SignInRefused", "Throttle", "client_key", "client_label",
    "hash_password", "load_policy", "normalise_name", "parse_policy", "password_problem",
    "sign_in", "verify_password",
]
