"""The data commands: load, import-suppliers, resolutions, info, dump, schema, copy,
generate. Each command's options are beside it; the work is the service's."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TextIO

from platformdirs import user_data_dir

from chainrisk.cli.render import (
    PROBLEMS_SHOWN,
    Progress,
    info_json,
    info_text,
    write_json,
    wrote_report,
)
from chainrisk.cli.status import EXIT_INPUT, Commands
from chainrisk.errors import UsageError, ValidationFailed
from chainrisk.results import DEFAULT_ENCODING, LoadReport
from chainrisk.schema import OnError
from chainrisk.service import RiskService, write_import_report


def _reports_folder(given: str | None, bundle: Path) -> Path:
    if given:
        return Path(given)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(user_data_dir("chainrisk", appauthor=False)) / "reports" / f"{stamp}-{bundle.name}"


def _write_report(report: LoadReport, folder: Path, out: TextIO) -> None:
    wrote_report(out, report.write(folder))


# ---------------------------------------------------------------------- load


def cmd_load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Load each bundle folder into the store."""
    service = RiskService.open(args.store)
    try:
        for folder in args.bundles:
            progress = Progress(err, not args.quiet)
            path = Path(folder)
            try:
                report = service.load_bundle(
                    path,
                    on_error=OnError(args.on_error),
                    dry_run=args.dry_run,
                    encoding=args.encoding,
                    progress=progress,
                )
            except ValidationFailed as e:
                progress.done()
                err.write(f"error: {e}\n")
                err.write(e.report.to_text(limit=PROBLEMS_SHOWN))
                _write_report(e.report, _reports_folder(args.report, path), err)
                return EXIT_INPUT
            progress.done()
            verb = "checked (dry run, nothing written)" if args.dry_run else "loaded"
            out.write(f"{report.bundle}: {verb} into {service.url}\n")
            out.write(report.to_text(limit=PROBLEMS_SHOWN))
            if report.problems or args.report:
                _write_report(report, _reports_folder(args.report, path), out)
    finally:
        service.close()
    return 0


def add_load(sub: Commands) -> None:
    p = sub.add_parser(
        "load",
        help="validate chain bundle folders and load them into the store",
        description="Validate each bundle folder and load it in one transaction. A bundle "
        "with errors loads nothing unless --on-error skip is given; every problem is "
        "listed with its file, line and column, and written to a report folder.",
    )
    p.add_argument("bundles", nargs="+", metavar="BUNDLE", help="bundle folder(s)")
    p.add_argument(
        "--on-error",
        choices=[e.value for e in OnError],
        default=OnError.RAISE.value,
        help="raise: load nothing if any row is bad (default); skip: load the good rows "
        "and write the bad ones to rejects.csv",
    )
    p.add_argument("--dry-run", action="store_true", help="validate only; change nothing")
    p.add_argument(
        "--encoding",
        default=DEFAULT_ENCODING,
        help="text encoding of the CSV files (default utf-8, BOM accepted; e.g. gb18030)",
    )
    p.add_argument("--report", metavar="DIR", help="folder for report.txt/json and rejects.csv")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_load)


# ---------------------------------------------------------------------- import-suppliers


def cmd_import_suppliers(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Import enterprise supplier lists (CSV, XLSX) into the store."""
    service = RiskService.open(args.store)
    progress = Progress(err, not args.quiet)
    files = [Path(f) for f in args.files]
    folder = _reports_folder(args.report, files[0])
    try:
        report = service.import_suppliers(
            files,
            buyer=args.buyer,
            sheet=args.sheet,
            mapping=Path(args.mapping) if args.mapping else None,
            on_error=OnError(args.on_error),
            dry_run=args.dry_run,
            encoding=args.encoding,
            source=args.source,
            progress=progress,
            region_from=args.region_from,
        )
    except ValidationFailed as e:
        progress.done()
        err.write(f"error: {e}\n")
        err.write(e.report.to_text(limit=PROBLEMS_SHOWN))
        wrote_report(err, e.report.write(folder))
        return EXIT_INPUT
    finally:
        service.close()
    progress.done()
    verb = "checked (dry run, nothing written)" if args.dry_run else "imported"
    out.write(f"{', '.join(f.name for f in files)}: {verb}\n")
    out.write(report.to_text(limit=PROBLEMS_SHOWN))
    wrote_report(out, write_import_report(report, folder))
    return 0


def add_import_suppliers(sub: Commands) -> None:
    p = sub.add_parser(
        "import-suppliers",
        help="import enterprise supplier lists (CSV or Excel, Chinese or English)",
        description="Read supplier lists as firms send them: CSV (UTF-8, GB18030, Big5) "
        "or XLSX (every sheet or one), header row found under title rows, columns mapped "
        "by a built-in Chinese/English synonym table, names resolved to firms by credit "
        "code, name and aliases (new ones created and listed, near matches suggested). "
        "One transaction; every row is loaded, rejected with its reason, or merged.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="supplier list(s): .csv, .xlsx")
    p.add_argument("--buyer", metavar="ID|NAME",
                   help="the buyer for every row (a firm sending its own list)")
    p.add_argument("--sheet", metavar="NAME", help="read only this sheet of a workbook")
    p.add_argument("--mapping", metavar="FILE.yaml",
                   help="per-source mapping: columns (header -> field), buyer, sheet, "
                   "header_row")
    p.add_argument("--on-error", choices=[e.value for e in OnError], default="raise",
                   help="raise: import nothing if any row is bad (default); skip: import "
                   "the good rows, list the bad ones in rejects.csv")
    p.add_argument("--dry-run", action="store_true", help="show the report; change nothing")
    p.add_argument("--region-from", choices=["store", "list"], default="store",
                   help="when a stored firm's region differs from the list's: keep the "
                   "store's (default; a warning names both) or take the list's")
    p.add_argument("--encoding", help="CSV encoding (default: detected)")
    p.add_argument("--source", metavar="NAME",
                   help="name of the source for the resolution table (default: file name)")
    p.add_argument("--report", metavar="DIR", help="folder for the report and rejects.csv")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_import_suppliers)


# ---------------------------------------------------------------------- resolutions


def cmd_resolutions(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Export or re-apply the table of how written names were resolved."""
    service = RiskService.open(args.store)
    try:
        if args.action == "export":
            if not args.file:
                service.export_resolutions(out, args.source)
                return 0
            written = service.export_resolutions(Path(args.file), args.source)
            out.write(f"wrote {written} resolution(s) to {args.file}\n")
            return 0
        if not args.file:
            raise UsageError("resolutions import needs the CSV file to read")
        changed = service.import_resolutions(Path(args.file))
    finally:
        service.close()
    out.write(f"{changed} resolution(s) changed; import the supplier list again to apply "
              "them\n")
    return 0


def add_resolutions(sub: Commands) -> None:
    p = sub.add_parser(
        "resolutions",
        help="export or re-apply how written names were resolved to ids",
        description="Every import stores how each name as written was resolved (firm, "
        "component or region id), per source. Export it to CSV, correct the id column, "
        "and import it back: the next import of that source uses it.",
    )
    p.add_argument("action", choices=["export", "import"], help="export or import")
    p.add_argument("file", nargs="?", metavar="FILE.csv",
                   help="CSV to write (export; default stdout) or read (import)")
    p.add_argument("--source", metavar="NAME", help="export one source only")
    p.set_defaults(func=cmd_resolutions)


# ---------------------------------------------------------------------- info


def cmd_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show where the store is and what it holds."""
    service = RiskService.open(args.store)
    try:
        info = service.info(last_loads=args.loads)
    finally:
        service.close()
    if args.format == "json":
        write_json(out, info_json(info), indent=2)
    else:
        out.write(info_text(info))
    return 0


def add_info(sub: Commands) -> None:
    p = sub.add_parser(
        "info",
        help="show where the store is and what it holds",
        description="Show the store's location, row counts, bundles, chains and recent loads.",
    )
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    p.add_argument("--loads", type=int, default=10, help="how many recent loads to list")
    p.set_defaults(func=cmd_info)


# ---------------------------------------------------------------------- dump


def cmd_dump(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write the store back out as a bundle folder."""
    service = RiskService.open(args.store)
    try:
        written = service.dump(Path(args.out_dir))
    finally:
        service.close()
    out.write(
        f"wrote {args.out_dir}: " + ", ".join(f"{k} {v:,}" for k, v in written.items()) + "\n"
    )
    return 0


def add_dump(sub: Commands) -> None:
    p = sub.add_parser(
        "dump",
        help="write the store back out as a bundle folder",
        description="Write every table of the store to OUT_DIR in the canonical bundle "
        "layout (load → dump → load gives the same store).",
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="a new or empty folder")
    p.set_defaults(func=cmd_dump)


# ---------------------------------------------------------------------- schema


def cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Apply graph_schema/ (constraints, indexes) to the store."""
    service = RiskService.open(args.store)
    try:
        statements = service.apply_schema()
    finally:
        service.close()
    if statements:
        out.write(f"applied {len(statements)} schema statement(s) to {service.url}\n")
    else:
        out.write(f"{service.url} is an embedded store: its schema is created on first use\n")
    return 0


def add_schema(sub: Commands) -> None:
    p = sub.add_parser(
        "schema",
        help="apply graph_schema/ (constraints and indexes) to a Neo4j store",
        description="Create the uniqueness constraints and indexes of graph_schema/ in the "
        "store (idempotent). Loads into Neo4j refuse to start until this has run.",
    )
    p.add_argument("action", choices=["apply"], help="apply the schema")
    p.set_defaults(func=cmd_schema)


# ---------------------------------------------------------------------- copy


def cmd_copy(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Copy a whole store (tables, bundles, resolutions) into another store."""
    source = RiskService.open(args.from_url)
    try:
        records = source.copy_to(args.to_url)
    finally:
        source.close()
    changed = sum(r.changed for r in records)
    out.write(f"copied {args.from_url} to {args.to_url}: {len(records)} load(s), "
              f"{changed} row(s) changed\n")
    return 0


def add_copy(sub: Commands) -> None:
    p = sub.add_parser(
        "copy",
        help="copy a whole store into another (e.g. embedded to Neo4j)",
        description="Copy every table, the bundles' metadata and the name resolutions from "
        "one store to another, in one load of the target.",
    )
    p.add_argument("--from", dest="from_url", required=True, metavar="URL",
                   help="source store URL")
    p.add_argument("--to", dest="to_url", required=True, metavar="URL",
                   help="target store URL")
    p.set_defaults(func=cmd_copy)


# ---------------------------------------------------------------------- generate


def cmd_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write a synthetic chain bundle."""
    from chainrisk.generate import generate_bundle

    progress = Progress(err, not args.quiet)
    try:
        summary = generate_bundle(Path(args.out_dir), args.firms, args.seed, progress=progress)
    except (ValueError, FileExistsError) as e:
        raise UsageError(str(e)) from e
    progress.done()
    out.write(
        f"wrote {summary.out_dir}: "
        + ", ".join(f"{k} {v:,}" for k, v in summary.rows.items())
        + "\n"
    )
    return 0


def add_generate(sub: Commands) -> None:
    p = sub.add_parser(
        "generate",
        help="write a synthetic chain bundle of a given size",
        description="Write a deterministic synthetic multi-tier chain bundle (for trials "
        "and benchmarks).",
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="a new or empty folder")
    p.add_argument("--firms", type=int, default=10_000, help="number of firms (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_generate)
