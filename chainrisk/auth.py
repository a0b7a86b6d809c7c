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

    [signin]                         # optional; these are the defaults
    max_failures = 5                 # failed sign-ins per user name before a pause
    delay_seconds = 30               # the first pause; it doubles with each failure
    max_delay_seconds = 900
    window_seconds = 900             # failures older than this are forgotten

A user sees the union of their own ``chains`` and those of their groups; one
``admin`` role (their own or a group's) makes them an admin. :func:`parse_policy`
checks the whole file and reports every problem at once. :func:`sign_in` checks a
password in constant time under a :class:`Throttle`, with the same answer for an
unknown user and a wrong password. Nothing here imports Streamlit.

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
>>> grant = sign_in(policy, Throttle(), "alice", "correct horse battery")
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
import difflib
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
import tomllib
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from chainrisk.errors import AccessDenied, UsageError

POLICY_ENV = "CHAINRISK_POLICY"
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
# so that a flood of sign-in attempts queues instead of exhausting memory.
_HASHING = threading.BoundedSemaphore(2)
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


class SignInRefused(AccessDenied):
    """A sign-in failed; the message never says whether the user name exists.

    ``wait`` is how many seconds to wait before this name may try again (0: at once);
    ``throttled`` says the password was not even checked, because the name must wait.
    """

    def __init__(self, message: str, wait: float = 0.0, throttled: bool = False) -> None:
        super().__init__(message)
        self.wait = wait
        self.throttled = throttled


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
    with _HASHING:
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

    max_failures: int = 5
    delay_seconds: float = 30.0
    max_delay_seconds: float = 900.0
    window_seconds: float = 900.0


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

    def account(self, name: str) -> Account | None:
        """Return the account called ``name`` (matched without case), if any."""
        return self.accounts.get(normalise_name(name))

    def grant(self, name: str) -> Grant | None:
        """Return what the account ``name`` may see and do (None: no such account)."""
        account = self.account(name)
        return None if account is None else self._grant(account.name, account, ())

    def grant_for_claims(self, claims: Mapping[str, Any]) -> Grant | None:
        """Return the grant of a user signed in through OIDC, from their identity claims.

        The account is found by ``email`` (unless ``email_verified`` is false) or by
        ``sub``; the groups named in the ``groups_claim`` claim that the policy
        defines are added. None when the policy gives this identity nothing.

        >>> p = parse_policy('[oidc]\\ngroups_claim = "groups"\\n[groups.ic]\\nchains = ["ic"]\\n'
        ...                  '[users."bo@x.org"]\\nchains = ["5g"]')
        >>> p.grant_for_claims({"email": "Bo@x.org", "groups": ["ic", "other"]}).key
        ('5g', 'ic')
        >>> p.grant_for_claims({"email": "bo@x.org", "email_verified": False}) is None
        True
        """
        names = []
        email = claims.get("email")
        if isinstance(email, str) and email and claims.get("email_verified") is not False:
            names.append(email)
        sub = claims.get("sub")
        if isinstance(sub, str) and sub:
            names.append(sub)
        account = next((a for a in map(self.account, names) if a is not None), None)
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
_OIDC_KEYS = ("groups_claim",)
_SECTIONS = ("users", "groups", "oidc", "signin")
_SIGNIN_KEYS = {
    "max_failures": (int, 1, 1000),
    "delay_seconds": (float, 0.1, 86_400.0),
    "max_delay_seconds": (float, 0.1, 7 * 86_400.0),
    "window_seconds": (float, 1.0, 7 * 86_400.0),
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
    limits = check.signin(data.get("signin", {}))
    if not accounts and not claim and not check.problems:
        check.problems.append("it grants nobody access: add a [users.<name>] table (see "
                              "docs/security.md), or remove the policy to turn access "
                              "control off on this machine only")
    if check.problems:
        raise PolicyError(source, check.problems)
    return Policy(accounts, groups, claim, limits, source, tuple(check.warnings))


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
        policy = Policy(policy.accounts, policy.groups, policy.groups_claim, policy.signin,
                        policy.source, (*policy.warnings, warning))
    return policy


# ---------------------------------------------------------------------- sign-in


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    until: float = 0.0


class Throttle:
    """Failed sign-ins per user name, and how long each name must wait before its next try.

    After ``max_failures`` failures within ``window_seconds``, every further failure
    makes the name wait ``delay_seconds`` doubled per extra failure, up to
    ``max_delay_seconds``. Unknown names are throttled exactly like known ones, so the
    waits say nothing about who exists. A success clears the name's record. At most
    ``capacity`` names are remembered (the oldest are forgotten first). Thread-safe:
    one throttle serves every session of the server.

    >>> now = [0.0]
    >>> t, limits = Throttle(clock=lambda: now[0]), SignInLimits(max_failures=2)
    >>> for _ in range(3):
    ...     t.failed("eve", limits)
    >>> t.wait("eve"), t.wait("EVE "), t.wait("bob")
    (60.0, 60.0, 0.0)
    >>> now[0] = 61.0
    >>> t.wait("eve")
    0.0
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, capacity: int = 10_000
                 ) -> None:
        self._clock = clock
        self._capacity = capacity
        self._lock = threading.Lock()
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def wait(self, name: str) -> float:
        """Return how many seconds ``name`` must wait before it may try again (0: now)."""
        with self._lock:
            record = self._records.get(normalise_name(name))
            return max(0.0, record.until - self._clock()) if record else 0.0

    def failed(self, name: str, limits: SignInLimits) -> None:
        """Record a failed sign-in of ``name``."""
        key = normalise_name(name)
        with self._lock:
            now = self._clock()
            record = self._records.pop(key, None) or _Record()
            record.failures = [t for t in record.failures if now - t < limits.window_seconds]
            record.failures.append(now)
            extra = len(record.failures) - limits.max_failures
            if extra >= 0:
                delay = limits.delay_seconds * 2.0 ** min(extra, 32)
                record.until = now + min(delay, limits.max_delay_seconds)
            self._records[key] = record
            while len(self._records) > self._capacity:
                self._records.popitem(last=False)

    def succeeded(self, name: str) -> None:
        """Forget the failures of ``name`` after it signed in."""
        with self._lock:
            self._records.pop(normalise_name(name), None)


def sign_in(policy: Policy, throttle: Throttle, name: str, password: str) -> Grant:
    """Return the grant of ``name`` if ``password`` is theirs; SignInRefused otherwise.

    A name that must wait is refused before its password is checked. An unknown name
    costs a hash check like a known one and gets the same message as a wrong
    password; accounts without a password (OIDC only) never sign in here.
    """
    wait = throttle.wait(name)
    if wait > 0:
        raise SignInRefused("too many failed sign-ins for this user name: wait and try again",
                            wait=wait, throttled=True)
    account = policy.account(name)
    hashed = account.password if account is not None and account.password else policy.decoy
    good = (verify_password(password[:MAX_PASSWORD_CHARS], hashed)
            and account is not None and account.password is not None)
    if not good or account is None:
        throttle.failed(name, policy.signin)
        raise SignInRefused("wrong user name or password", wait=throttle.wait(name))
    throttle.succeeded(name)
    return policy._grant(account.name, account, ())


__all__ = [
    "ALL", "DEFAULT_COST", "HASH_COMMAND", "MIN_COST", "OPEN", "POLICY_ENV", "Account",
    "Grant", "Group", "Policy", "PolicyError", "Role", "SignInLimits", "SignInRefused",
    "Throttle", "hash_password", "load_policy", "normalise_name", "parse_policy",
    "password_problem", "sign_in", "verify_password",
]
