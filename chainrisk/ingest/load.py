"""Loading a bundle into a store: read → validate → (all rows or good rows) → one transaction."""

from __future__ import annotations

from pathlib import Path

from chainrisk.errors import ValidationFailed
from chainrisk.ingest.bundle import Progress, read_bundle
from chainrisk.ingest.csvfile import DEFAULT_ENCODING
from chainrisk.ingest.report import LoadReport
from chainrisk.schema import OnError
from chainrisk.store.base import Store


def load_bundle(
    store: Store,
    folder: Path,
    *,
    on_error: OnError = OnError.RAISE,
    dry_run: bool = False,
    encoding: str = DEFAULT_ENCODING,
    progress: Progress | None = None,
) -> LoadReport:
    """Return the report of loading the bundle in ``folder`` into ``store``.

    With ``on_error=RAISE`` (the default) a bundle with any error loads nothing and
    :class:`~chainrisk.errors.ValidationFailed` carries the report. With ``SKIP`` the
    rows that passed load and the report lists the rejected ones. File-level errors (a
    missing or unreadable file) always stop the load: skipping them would lose rows.
    ``dry_run`` validates against the store and changes nothing.
    """
    pairs = ((r["firm"], r["component"]) for r in store.iter_rows("produces"))
    with read_bundle(
        folder, encoding=encoding, known=store.known_ids, known_pairs=pairs, progress=progress
    ) as staged:
        report = staged.report
        file_errors = bool(report.unreadable) or any(
            p.line is None for p in report.errors
        )
        if file_errors or (not report.ok and on_error is OnError.RAISE):
            raise ValidationFailed(
                _failure_message(report, on_error, file_errors), report,
                code="load.unreadable" if file_errors else "load.rows_rejected",
                params={"bundle": report.bundle or report.source, "problems": len(report.errors),
                        "rows": sum(c.rejected for c in report.counts.values())},
            )
        if dry_run:
            return report
        rejected = sum(c.rejected for c in report.counts.values())
        record = store.load(
            staged.accepted_rows,
            bundle=staged.meta.to_json(),
            source=report.source,
            checksum=report.checksum,
            rejected=rejected,
            on_error=on_error.value,
        )
        report.load_id = record.id
        report.loaded = True
        report.changes = list(record.cell_changes)
        for name, change in record.changes.items():
            counts = report.table(name)
            counts.inserted = change.inserted
            counts.updated = change.updated
            counts.unchanged = change.unchanged
        return report


def _failure_message(report: LoadReport, on_error: OnError, file_level: bool) -> str:
    n = len(report.errors)
    rows = sum(c.rejected for c in report.counts.values())
    if file_level:
        return (
            f"{report.bundle or report.source}: {n} problem(s), including files that cannot "
            "be read; nothing was loaded. Fix the files listed below and load again."
        )
    hint = " (or load the good rows with --on-error skip)" if on_error is OnError.RAISE else ""
    return (
        f"{report.bundle or report.source}: {n} problem(s) in {rows} row(s); nothing was "
        f"loaded. Fix the rows listed below and load again{hint}."
    )
