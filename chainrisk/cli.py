"""The ``chainrisk`` command: parse options, call the library, render results.

Only this module (and the UI) turns errors into messages. Exit status: 0 success,
1 the input has problems (the report says which), 2 wrong usage, 3 the store failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from platformdirs import user_data_dir

from chainrisk import __version__
from chainrisk.errors import (
    ChainriskError,
    InputError,
    StoreError,
    UsageError,
    ValidationFailed,
)
from chainrisk.ingest.csvfile import DEFAULT_ENCODING
from chainrisk.ingest.load import load_bundle
from chainrisk.ingest.report import LoadReport
from chainrisk.ingest.writer import dump_store
from chainrisk.schema import OnError
from chainrisk.store import default_store_url, open_store
from chainrisk.store.base import StoreInfo

EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_STORE = 3
PROBLEMS_SHOWN = 50


class Progress:
    """A one-line progress display on stderr (only when stderr is a terminal)."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        of = f"/{total:,}" if total else ""
        self.stream.write(f"\r{stage:<12} {done:>12,}{of} rows  {rate:>10,.0f} rows/s ")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def _reports_folder(given: str | None, bundle: Path) -> Path:
    if given:
        return Path(given)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(user_data_dir("chainrisk", appauthor=False)) / "reports" / f"{stamp}-{bundle.name}"


def _write_report(report: LoadReport, folder: Path, out: TextIO) -> None:
    paths = report.write(folder)
    out.write("report written to " + ", ".join(str(p) for p in paths) + "\n")


# ---------------------------------------------------------------------- commands


def cmd_load(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Load each bundle folder into the store."""
    store = open_store(args.store)
    try:
        for folder in args.bundles:
            progress = Progress(err, not args.quiet)
            path = Path(folder)
            try:
                report = load_bundle(
                    store,
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
            out.write(f"{report.bundle}: {verb} into {store.url}\n")
            out.write(report.to_text(limit=PROBLEMS_SHOWN))
            if report.problems or args.report:
                _write_report(report, _reports_folder(args.report, path), out)
    finally:
        store.close()
    return 0


def cmd_info(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Show where the store is and what it holds."""
    store = open_store(args.store)
    try:
        info = store.info(last_loads=args.loads)
    finally:
        store.close()
    if args.format == "json":
        out.write(json.dumps(_info_json(info), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(_info_text(info))
    return 0


def _info_json(info: StoreInfo) -> dict[str, object]:
    return {
        "url": info.url,
        "location": info.location,
        "schema_version": info.schema_version,
        "data_version": info.data_version,
        "counts": dict(info.counts),
        "bundles": [dict(b) for b in info.bundles],
        "chains": [dict(c) for c in info.chains],
        "loads": [
            {
                "id": r.id,
                "finished_at": r.finished_at,
                "bundle": r.bundle,
                "version": r.version,
                "source": r.source,
                "checksum": r.checksum,
                "changed": r.changed,
                "rejected": r.rejected,
                "changes": {k: vars(v) for k, v in r.changes.items()},
            }
            for r in info.loads
        ],
    }


def _info_text(info: StoreInfo) -> str:
    lines = [
        f"store:        {info.url}",
        f"file:         {info.location}",
        f"data version: {info.data_version}",
        "rows:         " + ", ".join(f"{k} {v:,}" for k, v in info.counts.items()),
    ]
    if info.bundles:
        lines.append("bundles:")
        for b in info.bundles:
            line = f"  {b['name']} {b.get('version', '')}  {b.get('description', '')}"
            lines.append(line.rstrip())
    if info.chains:
        lines.append("chains:")
        for c in info.chains:
            zh = f" ({c['name_zh']})" if c.get("name_zh") else ""
            lines.append(
                f"  {c['id']:<8} {c['name']}{zh}: {c['components']} components, "
                f"{c['producing_firms']} producing firms"
            )
    if info.loads:
        lines.append("recent loads:")
        for r in info.loads:
            lines.append(
                f"  #{r.id} {r.finished_at} {r.bundle} {r.version}: {r.changed} rows changed, "
                f"{r.rejected} rejected, sha256 {r.checksum[:12]}"
            )
    else:
        lines.append("nothing loaded yet: try  chainrisk load loaders/bundles/ic")
    return "\n".join(lines) + "\n"


def cmd_dump(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Write the store back out as a bundle folder."""
    store = open_store(args.store)
    try:
        written = dump_store(store, Path(args.out_dir))
    finally:
        store.close()
    out.write(
        f"wrote {args.out_dir}: " + ", ".join(f"{k} {v:,}" for k, v in written.items()) + "\n"
    )
    return 0


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


# ---------------------------------------------------------------------- parser

Command = Callable[[argparse.Namespace, TextIO, TextIO], int]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``chainrisk`` command."""
    parser = argparse.ArgumentParser(
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

    p = sub.add_parser(
        "info",
        help="show where the store is and what it holds",
        description="Show the store's location, row counts, bundles, chains and recent loads.",
    )
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    p.add_argument("--loads", type=int, default=10, help="how many recent loads to list")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser(
        "dump",
        help="write the store back out as a bundle folder",
        description="Write every table of the store to OUT_DIR in the canonical bundle "
        "layout (load → dump → load gives the same store).",
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="a new or empty folder")
    p.set_defaults(func=cmd_dump)

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
    except ChainriskError as e:  # pragma: no cover - every error is one of the above
        err.write(f"error: {e}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        err.write("interrupted; nothing half-written was kept\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
