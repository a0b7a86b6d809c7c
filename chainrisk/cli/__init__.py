"""The ``chainrisk`` command: parse options, call the service, render results.

Only this package (and the UI) turns errors into messages. Exit status: 0 success,
1 the input has problems (the report says which), 2 wrong usage, 3 the store failed,
124 an analysis ran past its time limit (CHAINRISK_ANALYSIS_SECONDS).

One module per group of commands, each command's options beside it: :mod:`.data`
(load, import-suppliers, resolutions, info, dump, schema, copy, generate),
:mod:`.analysis` (spof, simulate, rank, concentration, overview, structure),
:mod:`.chief` (coverage, reliance, gaps, alternatives),
:mod:`.export`, :mod:`.app` (ui); what they print is rendered by :mod:`.render`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from chainrisk import __version__
from chainrisk.cli import analysis, app, chief, data, export
from chainrisk.cli.status import (
    EXIT_INPUT,
    EXIT_STORE,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    Command,
    Commands,
    Parser,
)
from chainrisk.errors import (
    AnalysisTimeout,
    ChainriskError,
    InputError,
    StoreError,
    UsageError,
)
from chainrisk.service import default_store_url

__all__ = ["EXIT_INPUT", "EXIT_STORE", "EXIT_TIMEOUT", "EXIT_USAGE", "build_parser", "main"]

# The commands in the order `chainrisk --help` lists them.
COMMANDS: tuple[Callable[[Commands], None], ...] = (
    data.add_load,
    data.add_import_suppliers,
    data.add_resolutions,
    data.add_info,
    data.add_dump,
    analysis.add_spof,
    analysis.add_simulate,
    analysis.add_rank,
    data.add_schema,
    data.add_copy,
    export.add_export,
    analysis.add_concentration,
    analysis.add_overview,
    analysis.add_structure,
    chief.add_coverage,
    chief.add_reliance,
    chief.add_gaps,
    chief.add_alternatives,
    data.add_generate,
    app.add_ui,
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``chainrisk`` command."""
    parser = Parser(
        prog="chainrisk",
        description=(
            "Supply-chain risk graph analyzer: load chain bundles, find single points of "
            "failure, simulate disruptions, rank risks."
        ),
    )
    parser.add_argument("--version", action="version", version=f"chainrisk {__version__}")
    parser.add_argument(
        "--store",
        default=None,
        help="store URL: sqlite:///path.db (default: $CHAINRISK_STORE, else "
        f"{default_store_url()})",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(sub)
    for command in sub.choices.values():
        # also after the command (`chainrisk info --store …`), where people put it; a
        # store URL is never echoed back by argparse as an "unrecognized argument"
        if not any("--store" in a.option_strings for a in command._actions):
            command.add_argument("--store", default=argparse.SUPPRESS,
                                 help="store URL, as before the command")
    return parser


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the command line; return the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    func: Command = args.func
    try:
        return func(args, out, err)
    except UsageError as e:
        err.write(f"error: {e}\n")
        return EXIT_USAGE
    except InputError as e:
        err.write(f"error: {e}\n")
        return EXIT_INPUT
    except StoreError as e:
        err.write(f"store error: {e}\n")
        return EXIT_STORE
    except AnalysisTimeout as e:
        err.write(f"time limit: {e}\n")
        return EXIT_TIMEOUT
    except ChainriskError as e:  # pragma: no cover - every error is one of the above
        err.write(f"error: {e}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        err.write("interrupted; nothing half-written was kept\n")
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, as Unix tools do
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the closed pipe
        return 141
