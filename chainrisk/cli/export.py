"""The export command: a chain's rankings and findings as a workbook, CSV files or JSON."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from chainrisk.cli.status import Commands
from chainrisk.readers import read_scenario
from chainrisk.service import RiskService


def _scenario_ids(args: argparse.Namespace) -> list[str]:
    """Return the ids of every --disrupt, then those of the --scenario file."""
    ids = list(args.disrupt or [])
    if args.scenario:
        ids += read_scenario(Path(args.scenario))
    return ids


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Export a chain's rankings and findings to xlsx, csv or json."""
    service = RiskService.open(args.store)
    try:
        tables = service.export_tables(args.chain, disrupt=_scenario_ids(args), lang=args.lang,
                                       scope=args.scope, control=args.control)
    finally:
        service.close()
    out.write(f"wrote {service.write_export(tables, Path(args.out), lang=args.lang)}\n")
    return 0


def add_export(sub: Commands) -> None:
    p = sub.add_parser(
        "export",
        help="export a chain's rankings and findings to Excel, CSV or JSON",
        description="Write a chain's analysis for briefings: a workbook (.xlsx) with "
        "Summary, Firms, Components, Regions, Single points of failure, Scenario, Coverage, "
        "Self-reliance, Gaps and targets, Substitutes and Data quality sheets; CSV files "
        "(a folder or .zip, UTF-8 with BOM); or JSON with "
        "metadata. Text that a spreadsheet could run as a formula is guarded.",
    )
    p.add_argument("--chain", required=True, metavar="ID", help="the chain, e.g. ic")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="FILE.xlsx, FILE.json, FILE.zip, FILE.csv (a folder of that name) "
                   "or a folder")
    p.add_argument("--scenario", metavar="FILE",
                   help="disruption scenario: JSON {\"disrupt\": [ids]} or one id a line")
    p.add_argument("--disrupt", action="append", metavar="ID",
                   help="node to disrupt for the Scenario sheet (repeatable)")
    p.add_argument("--lang", choices=["en", "zh"], default="en",
                   help="language of sheet names and headers")
    p.add_argument("--scope", metavar="REGION",
                   help="scope of the Coverage, Self-reliance, Gaps and Substitutes sheets "
                   "(default: the home region of the bundle that brought the chain)")
    p.add_argument("--control", action="store_true",
                   help="those sheets keep the firms controlled from the scope's country")
    p.set_defaults(func=cmd_export)
