"""The load report: what was read, what was loaded, and every problem with its place.

A report is what a loading officer acts on, so each problem names the file, the line
(1 is the header row), the column, the value and the reason, which says how to fix it.

The reason is English text for the command line and the report files; ``code`` and
``params`` say the same for translation (:func:`chainrisk.words.problem_reason` words
it in Chinese or English with the app's remedy).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from chainrisk.guard import guard
from chainrisk.ingest.values import format_cell
from chainrisk.schema import ColumnKind
from chainrisk.store.base import CellChange

VALUE_CHARS = 1000
"""A problem keeps at most this much of its value; rejects.csv keeps every cell whole."""


WARNING_EXAMPLES = 3  # warnings of one kind listed on the terminal; the files have all


def clip(value: str | None) -> str | None:
    """Return ``value``, or its start and its length when longer than ``VALUE_CHARS``.

    >>> clip("x" * 1001)[-30:]
    'xxxxxxxxxx… (1,001 characters)'
    """
    if value is None or len(value) <= VALUE_CHARS:
        return value
    return f"{value[:VALUE_CHARS]}… ({len(value):,} characters)"


class Severity(StrEnum):
    """Errors reject a row (or a file); warnings only inform."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem found in the input.

    ``code`` names the reason for translation ("" when it has none yet) and ``params``
    holds the values its wording fills in.
    """

    severity: Severity
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f", line {self.line}"
        if self.column:
            place += f", column {self.column!r}"
        shown = ""
        if self.value is not None:
            value = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            shown = f" (value {value!r})"
        return f"{self.severity.value}: {place}{shown}: {self.reason}"


@dataclass(frozen=True)
class Reason:
    """A reason with its code and parameters, for checks that pass reasons around."""

    text: str
    code: str
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return self.text


def _parts(reason: str | Reason, code: str, params: dict[str, Any] | None
           ) -> tuple[str, str, dict[str, Any]]:
    if isinstance(reason, Reason):
        return reason.text, code or reason.code, {**reason.params, **(params or {})}
    return reason, code, dict(params or {})


@dataclass
class TableCounts:
    """Row counts of one table in one load."""

    read: int = 0
    accepted: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not loaded, with the original cells as written."""

    file: str
    line: int
    reasons: str
    cells: dict[str, str]


@dataclass
class LoadReport:
    """Everything one load (or dry run) found and did."""

    source: str
    bundle: str = ""
    counts: dict[str, TableCounts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    # Files that could not be read at all: no load may go ahead while any is listed.
    unreadable: set[str] = field(default_factory=set)
    load_id: int | None = None
    loaded: bool = False
    checksum: str = ""
    # Every value the load changed in rows the store already held, in load order.
    changes: list[CellChange] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Return the problems that rejected a row or a file."""
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """Return the problems that only inform."""
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """Return True when no error was found."""
        return not any(p.severity is Severity.ERROR for p in self.problems)

    def error(
        self,
        file: str,
        reason: str | Reason,
        *,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
        code: str = "",
        params: dict[str, Any] | None = None,
    ) -> None:
        """Record an error (a value longer than ``VALUE_CHARS`` is kept cut short)."""
        text, code, params = _parts(reason, code, params)
        self.problems.append(Problem(Severity.ERROR, file, line, column, clip(value), text,
                                     code, params))

    def warn(
        self,
        file: str,
        reason: str | Reason,
        *,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
        code: str = "",
        params: dict[str, Any] | None = None,
    ) -> None:
        """Record a warning (a value longer than ``VALUE_CHARS`` is kept cut short)."""
        text, code, params = _parts(reason, code, params)
        self.problems.append(Problem(Severity.WARNING, file, line, column, clip(value), text,
                                     code, params))

    def table(self, name: str) -> TableCounts:
        """Return the counts of ``name``, created on first use."""
        return self.counts.setdefault(name, TableCounts())

    def summary_lines(self) -> Iterator[str]:
        """Yield a short human summary: counts per table, then problem totals."""
        header = f"{'table':<11} {'read':>9} {'rejected':>9} {'new':>9} {'changed':>9} {'same':>9}"
        yield header
        for name, c in self.counts.items():
            yield (
                f"{name:<11} {c.read:>9} {c.rejected:>9} {c.inserted:>9} "
                f"{c.updated:>9} {c.unchanged:>9}"
            )
        yield f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"

    def to_text(self, limit: int | None = None) -> str:
        """Return the whole report as text; at most ``limit`` problems listed."""
        lines = [f"source: {self.source}"]
        if self.bundle:
            lines.append(f"bundle: {self.bundle}")
        if self.load_id is not None:
            lines.append(f"load id: {self.load_id}")
        lines.extend(self.summary_lines())
        errors = sorted(self.errors, key=_place)
        shown = errors if limit is None else errors[:limit]
        lines.extend(str(p) for p in shown)
        if len(shown) < len(errors):
            lines.append(f"... and {len(errors) - len(shown)} more error(s) (see the report "
                         "file)")
        lines.extend(self._grouped_warnings(None if limit is None else WARNING_EXAMPLES))
        if self.changes:
            lines.append(f"{len(self.changes)} value(s) changed (old -> new):")
            listed = self.changes if limit is None else self.changes[:limit]
            lines.extend(
                f"  {c.table} {'/'.join(map(str, c.key))} {c.column}: "
                f"{_shown(c.old)} -> {_shown(c.new)}"
                for c in listed
            )
            if len(listed) < len(self.changes):
                lines.append(f"  ... and {len(self.changes) - len(listed)} more "
                             "(load with --report DIR to get them all in changes.csv)")
        return "\n".join(lines) + "\n"

    def _grouped_warnings(self, examples: int | None) -> Iterator[str]:
        """Yield the warnings grouped by kind, the commonest first: a count, then
        ``examples`` of each (None: all of them)."""
        groups: dict[str, list[Problem]] = {}
        for p in sorted(self.warnings, key=_place):
            groups.setdefault(p.code or p.reason, []).append(p)
        for kind, found in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            yield f"{len(found)} warning(s) of kind {kind}:"
            listed = found if examples is None else found[:examples]
            yield from (f"  {p}" for p in listed)
            if len(listed) < len(found):
                yield (f"  ... and {len(found) - len(listed)} more like these (all in the "
                       "report file)")

    def to_json(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        return {
            "source": self.source,
            "bundle": self.bundle,
            "load_id": self.load_id,
            "loaded": self.loaded,
            "checksum": self.checksum,
            "ok": self.ok,
            "unreadable_files": sorted(self.unreadable),
            "counts": {k: asdict(v) for k, v in self.counts.items()},
            "problems": [
                {**asdict(p), "severity": p.severity.value} for p in self.problems
            ],
            "changes": [
                {"table": c.table, "key": list(c.key), "column": c.column,
                 "old": change_text(c.old), "new": change_text(c.new)}
                for c in self.changes
            ],
        }

    def write(self, folder: Path) -> list[Path]:
        """Write report.txt, report.json and (when rows were rejected) rejects.csv.

        Returns the paths written.
        """
        folder.mkdir(parents=True, exist_ok=True)
        text = folder / "report.txt"
        text.write_text(self.to_text(), encoding="utf-8")
        data = folder / "report.json"
        data.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=2), "utf-8")
        written = [text, data]
        if self.rejected_rows:
            rejects = folder / "rejects.csv"
            write_rejects(rejects, self.rejected_rows)
            written.append(rejects)
        if self.changes:
            changes = folder / "changes.csv"
            write_changes(changes, self.changes)
            written.append(changes)
        return written


def _place(problem: Problem) -> tuple[str, int]:
    return (problem.file, problem.line or 0)


def change_text(value: Any) -> str | None:
    """Return a changed value as its CSV text (None: no value).

    >>> change_text(("ic", "5g")), change_text(True), change_text(0.5), change_text(None)
    ('ic;5g', 'true', '0.5', None)
    """
    if value is None:
        return None
    if isinstance(value, list):
        value = tuple(str(v) for v in value)
    return format_cell(ColumnKind.TEXT, value)


def _shown(value: Any) -> str:
    text = change_text(value)
    return "(none)" if text is None else repr(clip(text))


def write_changes(path: Path, changes: Iterable[CellChange]) -> None:
    """Write one row per changed value: table, key, column, old, new (UTF-8 with BOM).

    The key's values are joined with ``/``; an empty old or new cell means no value.
    """
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["table", "key", "column", "old", "new"])
        for c in changes:
            writer.writerow([c.table, guard("/".join(map(str, c.key))), guard(c.column),
                             guard(change_text(c.old) or ""), guard(change_text(c.new) or "")])


def write_rejects(path: Path, rows: Iterable[RejectedRow]) -> None:
    """Write rejected rows with their place and reasons, every original cell kept.

    The file is UTF-8 with a BOM so that Excel shows Chinese text correctly.
    """
    rows = list(rows)
    cell_columns: list[str] = []
    seen: set[str] = set()
    for row in rows:
        for name in row.cells:
            if name not in seen:
                seen.add(name)
                cell_columns.append(name)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "reasons", *(guard(c) for c in cell_columns)])
        for row in rows:
            # the cells are the sender's, hostile ones too: guarded (importers strip it)
            writer.writerow([guard(row.file), row.line, guard(row.reasons),
                             *(guard(str(row.cells.get(c, ""))) for c in cell_columns)])
