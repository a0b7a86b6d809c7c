"""The ui command: serve the app, or make a password hash for its access policy."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from chainrisk.cli.status import Commands
from chainrisk.errors import UsageError


def _hash_password(out: TextIO, err: TextIO) -> int:
    """Read a new password (twice at a terminal, else one line of stdin); print its hash line."""
    import getpass

    from chainrisk.auth import hash_password, password_problem

    if sys.stdin.isatty():
        password = getpass.getpass("new password: ")
        if getpass.getpass("the same again: ") != password:
            raise UsageError("the two passwords differ; nothing was printed: run it again")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem:
        raise UsageError(f"{problem}; nothing was printed: run it again")
    out.write(f'password = "{hash_password(password)}"\n')
    err.write("paste that line under [users.<name>] in the access policy (see "
              "docs/security.md); the password itself is stored nowhere\n")
    return 0


def cmd_ui(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Serve the Streamlit app until interrupted, or make a password hash for its policy."""
    from chainrisk import ui

    if args.action == "hash-password":
        return _hash_password(out, err)
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a TCP port: give 1..65535")
    for warning in ui.check_access(args.host, args.policy, no_auth=args.no_auth,
                                   store=args.store):
        err.write(f"warning: {warning}\n")
    out.write(f"chainrisk app on http://{args.host}:{args.port}/ (Ctrl+C stops it)\n")
    out.flush()
    return ui.run(args.host, args.port, store=args.store, policy=args.policy,
                  no_auth=args.no_auth)


def add_ui(sub: Commands) -> None:
    p = sub.add_parser(
        "ui",
        help="start the app for chain chiefs in the browser",
        description="Serve the Streamlit app (overview, chain map, explorer, rankings, "
        "what-if, concentration, data) until Ctrl+C or SIGTERM, which stop the server too. "
        "Bound to the loopback address by "
        "default, so only this machine can open it; nothing is fetched from the internet. "
        "Any other address needs an access policy (--policy): users sign in and see only "
        "their chains. 'chainrisk ui hash-password' makes the password hashes it holds.",
    )
    p.add_argument("action", nargs="?", choices=["serve", "hash-password"], default="serve",
                   help="serve: run the app (default); hash-password: read a new password "
                   "(twice, never from the command line) and print its line for the policy")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; any "
                   "other needs --policy or --no-auth)")
    p.add_argument("--port", type=int, default=8501, help="TCP port (default 8501)")
    p.add_argument("--policy", metavar="FILE",
                   help="access policy (TOML: users, groups, chains, roles; default "
                   "$CHAINRISK_POLICY); without one, access control is off")
    p.add_argument("--no-auth", action="store_true",
                   help="DANGEROUS: serve a network address with access control off; "
                   "anyone who reaches the port sees every chain and can load data")
    p.set_defaults(func=cmd_ui)
