"""Importing enterprise supplier lists: messy spreadsheets in, clean graph rows out.

A supplier list says "buyer B buys component C from supplier S (share, volume, …)".
The importer streams each file (CSV in any common Chinese encoding, or every sheet
of a workbook), finds the header row under title rows, maps columns through the
synonym table (plus an optional per-source YAML mapping), resolves names to ids —
firms by unified social credit code, then by normalised name and aliases, else a new
firm; components and regions likewise — and stages the result in the same workspace
as a bundle, so validation, the all-or-nothing load and the report are shared.

Nothing is lost: every row read is loaded, rejected (with sheet, row, column and
reason, and all its cells in rejects.csv) or merged into an earlier row with the same
supplier, buyer and component (shares and volumes added up). Names are never merged
on a guess: near matches are listed as suggestions. How each name was resolved is
stored per source, so the next import of the same source resolves it the same way,
and an officer can edit that table (``chainrisk resolutions``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chainrisk.errors import UsageError, ValidationFailed
from chainrisk.ingest.bundle import META_MAX_BYTES, MetaProblem, Workspace, plain, validate
from chainrisk.ingest.csvfile import FileProblem
from chainrisk.ingest.names import (
    COMPONENT_SUGGEST_SCORE,
    ComponentIndex,
    PlaceIndex,
    SynonymTable,
    header_unit,
    normalise_name,
    slug,
)
from chainrisk.ingest.report import LoadReport, Reason, RejectedRow
from chainrisk.ingest.sheets import HeaderMatch, SheetRow, find_header, iter_table_rows
from chainrisk.ingest.values import (
    ValueProblem,
    parse_date,
    parse_number,
    parse_share,
    parse_uscc,
)
from chainrisk.schema import TABLE_ORDER, TABLES, OnError, StorageValue
from chainrisk.store.base import Store

HEADER_SCAN = 30
NAME_CHARS = 1000
UNKNOWN_REGION = "XX"
SUGGEST_SCORE = 85.0
SUGGEST_LIMIT = 5000
_CJK = re.compile(r"[\u3400-\u9fff]")
_BATCH = 5000

Progress = Callable[[str, int, int | None], None]
Resolution = tuple[str, str, str, str]  # source, kind, written, id


@dataclass
class ImportReport:
    """What an import found and did, beyond the shared load report."""

    load: LoadReport
    read: int = 0
    merged: int = 0
    rejected: int = 0
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet -> header -> field
    ignored: dict[str, list[str]] = field(default_factory=dict)  # sheet -> headers ignored
    created: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # kind -> (id, name)
    suggestions: list[tuple[str, str, str, float]] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        """Return the rows that became a supplies row of their own."""
        return self.read - self.rejected - self.merged

    def to_text(self, limit: int | None = 50) -> str:
        """Return the report for a loading officer: columns, counts, new names, problems."""
        lines = []
        for sheet, mapping in self.columns.items():
            used = ", ".join(f"{h} → {f}" for h, f in mapping.items())
            lines.append(f"{sheet}: columns used: {used}")
            if self.ignored.get(sheet):
                lines.append(f"{sheet}: columns ignored: {', '.join(self.ignored[sheet])}")
        lines.append(
            f"rows read {self.read:,} = loaded {self.loaded:,} + rejected {self.rejected:,} "
            f"+ merged into an earlier row {self.merged:,}"
        )
        for kind, items in self.created.items():
            if items:
                shown = ", ".join(f"{i} ({n})" for i, n in items[:20])
                more = f" … and {len(items) - 20} more" if len(items) > 20 else ""
                lines.append(f"new {kind} ({len(items)}): {shown}{more}")
        for written, kind, candidate, score in self.suggestions[:50]:
            lines.append(
                f"suggestion: {kind} {written!r} was created as new, but looks like "
                f"{candidate} ({score:.0f}%); if it is the same, map it with "
                "'chainrisk resolutions' and import again"
            )
        return "\n".join(lines) + "\n" + self.load.to_text(limit=limit)


@dataclass
class SourceMapping:
    """A per-source YAML mapping: header overrides, default buyer, sheet, header row."""

    columns: dict[str, str] = field(default_factory=dict)
    buyer: str | None = None
    sheet: str | None = None
    header_row: int | None = None

    @classmethod
    def read(cls, path: Path | None) -> SourceMapping:
        """Return the mapping in ``path`` (empty when None)."""
        if path is None:
            return cls()
        try:
            if path.stat().st_size > META_MAX_BYTES:
                raise UsageError(
                    f"the mapping file {path} is over {META_MAX_BYTES:,} bytes; a mapping "
                    "takes a few lines (columns, buyer, sheet, header_row)"
                )
            data = plain(yaml.safe_load(path.read_text(encoding="utf-8-sig")))
        except OSError as e:
            raise UsageError(f"cannot read the mapping file {path}: {e.strerror}") from e
        except UnicodeDecodeError as e:
            raise UsageError(f"the mapping file {path} is not UTF-8 text: re-save it as UTF-8"
                             ) from e
        except (yaml.YAMLError, MetaProblem, RecursionError) as e:
            raise UsageError(f"the mapping file {path} is not valid YAML: {e}") from e
        if not isinstance(data, dict):
            raise UsageError(
                f"{path} must hold 'columns: {{header as written: field}}' and optionally "
                "buyer, sheet, header_row"
            )
        unknown = set(data) - {"columns", "buyer", "sheet", "header_row"}
        if unknown:
            raise UsageError(
                f"{path}: unknown key(s) {', '.join(sorted(unknown))}; "
                "use columns, buyer, sheet, header_row"
            )
        columns = data.get("columns") or {}
        if not isinstance(columns, dict) or not all(
            isinstance(v, str | int | float | bool) for v in columns.values()
        ):
            raise UsageError(f"{path}: columns must map headers to fields (header: supplier)")
        header_row = data.get("header_row")
        if header_row is not None and (
            isinstance(header_row, bool) or not isinstance(header_row, int)
            or not 1 <= header_row <= 1_048_576
        ):
            raise UsageError(f"{path}: header_row must be a row number such as 3")
        for key in ("buyer", "sheet"):
            if isinstance(data.get(key), dict | list):
                raise UsageError(f"{path}: {key} must be a text")
        return cls(
            columns={str(k): str(v) for k, v in columns.items()},
            buyer=str(data["buyer"]) if data.get("buyer") else None,
            sheet=str(data["sheet"]) if data.get("sheet") else None,
            header_row=header_row or None,
        )


def _aliases(value: Any) -> tuple[str, ...]:
    """Return a row's aliases: a list column, or a ``;``-separated extra column.

    >>> _aliases("光模块; Transceiver"), _aliases(None)
    (('光模块', 'Transceiver'), ())
    """
    if isinstance(value, str):
        value = value.split(";")
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(a).strip() for a in value if str(a).strip())


def _hash_id(prefix: str, key: str) -> str:
    return f"{prefix}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:10]}"


def _new_id(kind: str, written: str, taken: set[str]) -> str:
    """Return an id for a new firm or component: an ASCII slug, with a hash when needed.

    A name with Chinese characters keeps its ASCII part (``400g``) and gets a hash of
    the whole normalised name, since the slug alone would lose what distinguishes it.

    >>> _new_id("firm", "Acme Inc.", set()), _new_id("component", "400G光模块", set())
    ('acme', '400g-dc7f9f0326')
    """
    norm = normalise_name(written)
    base = slug(written)
    if base and not _CJK.search(written) and base not in taken:
        return base
    return _hash_id(base or kind, norm)


class Resolver:
    """Resolves names written in a supplier list to firm, component and region ids."""

    def __init__(self, store: Store, source: str, places: PlaceIndex,
                 region_from: str = "store") -> None:
        self.source = source
        self.places = places
        self.region_from = region_from
        # the store's firms: name and region, to compare with what the list says
        self.stored_firm: dict[str, tuple[str, str | None]] = {}
        # firm -> {region id the list gives: (first line, as written)}, in row order
        self.list_regions: dict[str, dict[str, tuple[int | None, str]]] = {}
        self.region_updates: dict[str, dict[str, Any]] = {}
        self.saved = {(k, w): i for s, k, w, i in store.resolutions() if s == source}
        self.saved_any: dict[tuple[str, str], str] = {}
        for _, k, w, i in store.resolutions():
            self.saved_any.setdefault((k, w), i)
        self.firm_uscc: dict[str, str] = {}
        self.firm_keys: dict[str, set[str]] = {}
        self.firm_ids: set[str] = set()
        for row in store.iter_rows("firms"):
            self._index_firm(row["id"], row.get("name"), row.get("name_zh"),
                             row.get("aliases") or (), row.get("uscc"))
            self.stored_firm[row["id"]] = (str(row.get("name") or row["id"]), row.get("region"))
        self.comp_keys: dict[str, set[str]] = {}
        self.comp_ids: set[str] = set()
        # the store's components, for near-match suggestions of new component names
        self.comp_index = ComponentIndex()
        for row in store.iter_rows("components"):
            aliases = _aliases(row.get("aliases"))
            self._index_component(row["id"], row.get("name"), row.get("name_zh"), aliases)
            self.comp_index.add(row["id"], (row.get("name"), row.get("name_zh"), *aliases))
        self.region_ids: set[str] = set()
        self.region_keys: dict[str, str] = {}
        self.region_parent: dict[str, str] = {}
        for row in store.iter_rows("regions"):
            self.region_ids.add(row["id"])
            if row.get("parent"):
                self.region_parent[row["id"]] = row["parent"]
            for text in (row["id"], row.get("name"), row.get("name_zh")):
                if text:
                    self.region_keys.setdefault(normalise_name(text), row["id"])
        # what the store held before this import, for near-match suggestions
        self.firm_keys_before = {k: set(v) for k, v in self.firm_keys.items()}
        self.new_firms: dict[str, dict[str, Any]] = {}
        self.new_components: dict[str, dict[str, Any]] = {}
        self.new_regions: dict[str, dict[str, Any]] = {}
        self.resolutions: dict[tuple[str, str], str] = {}
        self._cache: dict[tuple[str, str, str], str] = {}

    # ---------------------------------------------------------------- indexes

    def _index_firm(
        self, ident: str, name: str | None, name_zh: str | None, aliases: Iterable[str],
        uscc: str | None,
    ) -> None:
        self.firm_ids.add(ident)
        if uscc:
            self.firm_uscc[uscc] = ident
        for text in (ident, name, name_zh, *aliases):
            if text:
                self.firm_keys.setdefault(normalise_name(text), set()).add(ident)

    def _index_component(
        self, ident: str, name: str | None, name_zh: str | None, aliases: Iterable[str] = ()
    ) -> None:
        self.comp_ids.add(ident)
        for text in (ident, name, name_zh, *aliases):
            if text:
                self.comp_keys.setdefault(normalise_name(text), set()).add(ident)

    # ---------------------------------------------------------------- regions

    def region(self, written: str) -> str:
        """Return the region id for free text ('' → the unknown region)."""
        text = written.strip()
        if not text:
            return self._unknown_region()
        saved = self.saved.get(("region", text)) or self.saved_any.get(("region", text))
        if saved:
            return saved
        if text in self.region_ids:
            return text
        found = self.places.resolve(text)
        if found is None:
            found = self.region_keys.get(normalise_name(text))
        if found is not None:
            self._ensure_place(found)
            self.resolutions[("region", text)] = found
            return found
        ident = slug(text) or _hash_id("region", normalise_name(text))
        ident = f"{UNKNOWN_REGION}-{ident}"
        if ident not in self.region_ids:
            self._unknown_region()
            self.new_regions[ident] = {
                "id": ident, "name": text, "name_zh": text if _CJK.search(text) else None,
                "level": "zone", "parent": UNKNOWN_REGION,
            }
            self.region_ids.add(ident)
        self.resolutions[("region", text)] = ident
        return ident

    def _ensure_place(self, ident: str) -> None:
        """Stage a gazetteer region (and its parents) the store does not hold yet."""
        while ident and ident not in self.region_ids:
            entry = self.places.entry(ident)
            self.new_regions[ident] = {
                "id": ident, "name": entry.name, "name_zh": entry.name_zh,
                "level": entry.level, "parent": entry.parent,
            }
            self.region_ids.add(ident)
            ident = entry.parent or ""

    def _within(self, inner: str, outer: str) -> bool:
        """Return whether region ``inner`` is ``outer`` or lies inside it."""
        seen: set[str] = set()
        node: str | None = inner
        while node is not None and node not in seen:
            if node == outer:
                return True
            seen.add(node)
            staged = self.new_regions.get(node)
            node = self.region_parent.get(node) or (staged or {}).get("parent")
        return False

    def _unknown_region(self) -> str:
        if UNKNOWN_REGION not in self.region_ids:
            self.new_regions[UNKNOWN_REGION] = {
                "id": UNKNOWN_REGION, "name": "Unknown region", "name_zh": "未知地区",
                "level": "country", "parent": None,
            }
            self.region_ids.add(UNKNOWN_REGION)
        return UNKNOWN_REGION

    # ---------------------------------------------------------------- firms

    def firm(self, written: str, uscc: str | None, region_text: str,
             line: int | None = None) -> str:
        """Return the firm id for a name as written (and its code); create it if new.

        The region the row gives (``region_text``, on ``line``) is noted for
        :meth:`region_findings`. Raises ValueProblem when the name matches several firms.
        """
        key = (written, uscc or "", region_text)
        if key in self._cache:
            return self._cache[key]
        ident = self._firm(written, uscc, region_text)
        if region_text.strip():
            said = self.list_regions.setdefault(ident, {})
            said.setdefault(self.region(region_text), (line, region_text.strip()))
        self._cache[key] = ident
        return ident

    def region_findings(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Yield (code, message, params) for every firm whose region is in doubt, and
        stage the changes ``region_from`` asks for.

        A firm the list gives several regions keeps the first (a new firm) or the
        store's; a stored firm the list places elsewhere keeps the store's region, or
        takes the list's with ``region_from="list"``. A region the store or a new firm
        lacks (unknown) is filled from the list without a word.
        """
        for ident, said in self.list_regions.items():
            known = [(rid, at, text) for rid, (at, text) in said.items()
                     if not rid.startswith(UNKNOWN_REGION)]
            # 广东 on one row and 深圳 on another are one place, said more or less
            # precisely: only the most precise of nested regions counts
            known = [k for k in known
                     if not any(o[0] != k[0] and self._within(o[0], k[0]) for o in known)]
            if not known:
                continue
            new = self.new_firms.get(ident)
            name = str(new["name"]) if new else self.stored_firm.get(ident, (ident, None))[0]
            first, first_at, first_text = known[0]
            if len(known) > 1:
                listed = "; ".join(f"{text} (line {at})" for _, at, text in known)
                yield ("import.region_conflict",
                       f"{name}: the list gives {len(known)} regions for it: {listed}; "
                       f"{'it keeps the first' if new else 'the store keeps its own'}. Check "
                       "which is right: a list may give where a site is, or where goods go",
                       {"firm": name, "regions": listed})
            if new is not None:
                if str(new["region"]).startswith(UNKNOWN_REGION) or self._within(
                        first, str(new["region"])):
                    new["region"] = first  # a later row said it (more precisely)
                continue
            stored = self.stored_firm.get(ident, (name, None))[1]
            if stored is None or stored.startswith(UNKNOWN_REGION):
                self.region_updates[ident] = {"id": ident, "name": name, "region": first}
                continue
            if self._within(stored, first):
                continue  # the list says it less precisely (深圳 for a district of it)
            if self._within(first, stored):  # more precisely: information, not a conflict
                if self.region_from == "list":
                    self.region_updates[ident] = {"id": ident, "name": name, "region": first}
                continue
            params = {"firm": name, "stored": stored, "listed": first_text,
                      "line": first_at or 0}
            if self.region_from == "list":
                self.region_updates[ident] = {"id": ident, "name": name, "region": first}
                yield ("import.region_taken_from_list",
                       f"{name}: the store placed it in {stored}, the list in {first_text} "
                       f"(line {first_at}); the list's region replaces the store's", params)
            else:
                yield ("import.region_differs",
                       f"{name}: the store places it in {stored}, the list in {first_text} "
                       f"(line {first_at}); the store's region is kept. To take the list's, "
                       "import again with the regions taken from the list", params)

    def _firm(self, written: str, uscc: str | None, region_text: str) -> str:
        by_code = bool(uscc and uscc in self.firm_uscc)
        ident = self._find_firm(written, uscc)
        if ident is None:
            ident = _new_id("firm", written, self.firm_ids)
            self.new_firms[ident] = {
                "id": ident,
                "name": written,
                "name_zh": written if _CJK.search(written) else None,
                "uscc": uscc,
                "region": self.region(region_text),
            }
            self._index_firm(ident, written, None, (), uscc)
        self._remember("firm", written, ident, by_code)
        return ident

    def _remember(self, kind: str, written: str, ident: str, by_code: bool) -> None:
        """Record how ``written`` was resolved, for the next import of this source.

        A row that carries a code (credit code, component code) is resolved by it, and
        will be again; what the name alone resolved to is what a row without a code
        needs next time. So a resolution found by name always wins over one found by
        code: otherwise one name used for two firms (a buyer, and a supplier whose
        credit code says it is another firm) would resolve differently on the next
        import, and importing the same file twice would not give the same result.
        """
        if by_code:
            self.resolutions.setdefault((kind, written), ident)
        else:
            self.resolutions[(kind, written)] = ident

    def _find_firm(self, written: str, uscc: str | None) -> str | None:
        if uscc and uscc in self.firm_uscc:
            return self.firm_uscc[uscc]
        saved = self.saved.get(("firm", written)) or self.saved_any.get(("firm", written))
        if saved and saved in self.firm_ids:
            return saved
        if written in self.firm_ids:
            return written
        matches = self.firm_keys.get(normalise_name(written), set())
        if len(matches) > 1:
            raise ValueProblem(
                f"the name matches several firms ({', '.join(sorted(matches))}); add the "
                "supplier's unified social credit code, or pick one with "
                "'chainrisk resolutions'",
                code="name.ambiguous_firm", params={"matches": ", ".join(sorted(matches))},
            )
        return next(iter(matches)) if matches else None

    # ---------------------------------------------------------------- components

    def component(self, written: str, code: str | None) -> str:
        """Return the component id for a name (or code) as written; create it if new."""
        key = ("component", written, code or "")
        if key in self._cache:
            return self._cache[key]
        ident = None
        saved = self.saved.get(("component", written)) or self.saved_any.get(
            ("component", written)
        )
        # A known component code names the component outright, as a credit code names
        # a firm (see _remember); a saved resolution is for the name alone.
        by_code = bool(code and code in self.comp_ids)
        if by_code:
            ident = code
        elif saved and saved in self.comp_ids:
            ident = saved
        elif written in self.comp_ids:
            ident = written
        else:
            matches = self.comp_keys.get(normalise_name(written), set())
            if len(matches) > 1:
                raise ValueProblem(
                    f"the name matches several components ({', '.join(sorted(matches))}); "
                    "pick one with 'chainrisk resolutions'",
                    code="name.ambiguous_component",
                    params={"matches": ", ".join(sorted(matches))},
                )
            ident = next(iter(matches)) if matches else None
        if ident is None:
            ident = _new_id("component", written, self.comp_ids)
            self.new_components[ident] = {
                "id": ident, "name": written,
                "name_zh": written if _CJK.search(written) else None,
            }
            self._index_component(ident, written, None)
        self._remember("component", written, ident, by_code)
        self._cache[key] = ident
        return ident

    def suggestions(self, limit: int = 3) -> list[tuple[str, str, str, float]]:
        """Return (written, kind, existing id, score) near matches of newly created names.

        New names are compared with the names the store held before this import (at
        most ``SUGGEST_LIMIT`` new names of each kind are checked, so a huge first import
        stays fast). Each existing id is suggested at most once per new name, with its
        best score, best first. Firms: rapidfuzz WRatio of the normalised names, from
        ``SUGGEST_SCORE`` (85) on. Components: the token-aware score of
        :class:`~chainrisk.ingest.names.ComponentIndex` against each component's name,
        Chinese name, id and aliases, from ``COMPONENT_SUGGEST_SCORE`` (75) on, so that
        400G光模块 suggests the 400G transceiver and never the 100G one.
        """
        from rapidfuzz import fuzz, process

        out: list[tuple[str, str, str, float]] = []
        before = self.firm_keys_before
        choices = list(before)
        for ident, row in list(self.new_firms.items())[:SUGGEST_LIMIT] if choices else ():
            norm = normalise_name(row["name"])
            seen: set[str] = set()
            for match, score, _ in process.extract(
                norm, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=SUGGEST_SCORE
            ):
                for other in sorted(before[match] - {ident} - seen):
                    seen.add(other)
                    out.append((row["name"], "firm", other, float(score)))
        for ident, row in list(self.new_components.items())[:SUGGEST_LIMIT]:
            for other, score in self.comp_index.near(
                row["name"], limit=limit, cutoff=COMPONENT_SUGGEST_SCORE
            ):
                if other != ident:
                    out.append((row["name"], "component", other, score))
        return out


# --------------------------------------------------------------------------- rows




def _is_bare(text: str) -> bool:
    """Return whether ``text`` is a number written without a % sign."""
    try:
        parse_number(text)
    except ValueProblem:
        return False
    return True


def _rows(rows: Sequence[int], shown: int = 5) -> str:
    """Return row numbers for a message: the first few, then how many more.

    >>> _rows([3, 4, 9]), _rows(list(range(1, 9)))
    ('3, 4, 9', '1, 2, 3, 4, 5 and 3 more')
    """
    listed = ", ".join(map(str, rows[:shown]))
    return listed if len(rows) <= shown else f"{listed} and {len(rows) - shown} more"


def _bare_percent(text: str) -> bool:
    try:
        return not text.strip().endswith("%") and parse_number(text.rstrip("%")) > 1
    except ValueProblem:
        return False


class _Importer:
    def __init__(
        self,
        store: Store,
        *,
        buyer: str | None,
        mapping: SourceMapping,
        source: str | None,
        encoding: str | None,
        sheet: str | None,
        progress: Progress | None,
        synonyms: SynonymTable,
        places: PlaceIndex,
        region_from: str = "store",
    ) -> None:
        self.store = store
        self.mapping = mapping
        self.buyer_text = buyer or mapping.buyer
        self.source = source
        self.encoding = encoding
        self.sheet = sheet or mapping.sheet
        self.progress = progress
        self.synonyms = synonyms.merged(mapping.columns) if mapping.columns else synonyms
        self.places = places
        self.ws = Workspace()
        self.ws.conn.execute(
            "CREATE TABLE import_supplies (line INTEGER, file TEXT, supplier TEXT, buyer TEXT, "
            "component TEXT, share REAL, volume REAL, since TEXT, source TEXT)"
        )
        # The store's produces pairs, so a supplier gets a produces row only when it has
        # none for what it supplies; kept on disk so memory does not grow with the store.
        self.ws.conn.executemany(
            "INSERT OR IGNORE INTO known_pairs VALUES (?, ?)",
            ((r["firm"], r["component"]) for r in store.iter_rows("produces")),
        )
        self.report = ImportReport(LoadReport(source=""))
        self.line = 0  # a running row number across files, for the workspace
        self.header_cells: tuple[str, ...] = ()
        self.share_percent = False
        self.batch: list[tuple[Any, ...]] = []
        self.pending_resolutions: list[Resolution] = []
        # (sheet, share column) -> {bare value ≤ 1?: rows}, to warn of a mixed column
        self.share_kinds: dict[tuple[str, str], dict[bool, list[int]]] = {}
        self.region_from = region_from

    def run(self, files: Sequence[Path]) -> None:
        sources = []
        for path in files:
            source = self.source or path.name
            sources.append(source)
            self.resolver = Resolver(self.store, source, self.places, self.region_from)
            self._file(path)
            self._stage_resolved(source)
        self.report.load.source = ", ".join(str(p.resolve()) for p in files)
        self.report.load.bundle = "+".join(sources)
        self._warn_mixed_shares()
        self._stage_supplies()

    def _warn_mixed_shares(self) -> None:
        """Warn of a share column that holds bare numbers both ≤ 1 and above 1."""
        for (where, column), kinds in self.share_kinds.items():
            if len(kinds) < 2:
                continue
            small, large = kinds[True], kinds[False]
            unit = ("a percentage (0.25 is 0.25 %)" if self.share_percent
                    else "a fraction (0.25 is 25 %)")
            self.report.load.warn(
                where,
                f"the share column {column!r} mixes bare numbers up to 1 ({len(small)} "
                f"row(s): {_rows(small)}) and above 1 ({len(large)} row(s): {_rows(large)}); "
                f"those up to 1 were read as {unit}, those above 1 as percentages: check "
                "which the sender meant, and write them all one way (61% or 0.61)",
                code="sheet.share_mixed",
                params={"column": column, "small": len(small), "large": len(large),
                        "small_rows": _rows(small), "large_rows": _rows(large)},
                line=min(small[0], large[0]), column=column,
            )

    def _file(self, path: Path) -> None:
        if not path.exists():
            raise UsageError(f"{path} does not exist")
        self.cur_sheet: str | None = None
        self.cur_header: HeaderMatch | None = None
        self.cur_failed = False
        # Sheets without a header (instructions, lookup lists) are skipped when another
        # sheet of the file has one; until one does, their rows count as rejected.
        self.cur_skipped = False
        self.file_has_header = False
        self.headerless: list[tuple[str, str, int]] = []  # (sheet, where looked, rows)
        self.provisional = 0
        pending: list[SheetRow] = []
        try:
            for row in iter_table_rows(
                path, sheet=self.sheet, encoding=self.encoding, progress=self._tick(path)
            ):
                if row.sheet != self.cur_sheet:
                    if self.cur_sheet is not None:
                        self._finish_sheet(path, pending)
                    self.cur_sheet, self.cur_header, self.cur_failed = row.sheet, None, False
                    self.cur_skipped = False
                    pending = []
                pending = self._take(path, row, pending)
        except FileProblem as e:
            self.report.load.error(path.name, str(e), line=e.line, code=e.code, params=e.params)
            self.report.load.unreadable.add(path.name)
            return
        if self.cur_sheet is not None:
            self._finish_sheet(path, pending)
        self._finish_file(path)

    def _finish_file(self, path: Path) -> None:
        """Warn of the sheets skipped for want of a header; an error if no sheet had one."""
        if not self.headerless:
            return
        if self.file_has_header:
            for sheet, looked, _ in self.headerless:
                self.report.load.warn(
                    self._where(path, sheet),
                    f"sheet {sheet!r} was skipped: no header row in {looked} (looked for a "
                    f"row naming a supplier and a component column, such as 供应商名称 and "
                    f"采购物料, or Supplier and Component); if it holds supplier rows, import "
                    f"it with --sheet {sheet!r} and map its columns with --mapping "
                    "(columns: {header as written: supplier})",
                    code="sheet.skipped_no_header", params={"sheet": sheet, "looked": looked},
                )
            return
        if len(self.headerless) == 1:
            sheet, looked, rows = self.headerless[0]
            where = self._where(path, sheet)
            reason = (
                f"no header row found in {looked}: none names a supplier and a component "
                "in a way the synonym table knows (such as 供应商名称 and 采购物料, or "
                "Supplier and Component); map the columns with --mapping "
                "(columns: {header as written: supplier}), or set header_row in it"
            )
            self.report.load.error(where, reason, code="sheet.no_header",
                                   params={"rows": rows, "sheet": sheet, "looked": looked})
        else:
            where = path.name
            tried = ", ".join(repr(sheet) for sheet, _, _ in self.headerless)
            places = ", ".join(f"{sheet!r} ({looked})" for sheet, looked, _ in self.headerless)
            self.report.load.error(
                where,
                f"no sheet has a header row: tried {places} for a row naming a supplier "
                "and a component column (such as 供应商名称 and 采购物料, or Supplier and "
                "Component). Name the sheet that holds the list with --sheet and map its "
                "columns with --mapping (columns: {header as written: supplier})",
                code="sheet.no_header_in_file", params={"sheets": tried, "rows": HEADER_SCAN},
            )
        self.report.load.unreadable.add(where)

    def _withdraw_provisional(self) -> None:
        """Un-count the rows of header-less sheets before the file's first header.

        Those sheets are skipped, with a warning, now that the file has a header: their
        rows were never supplier rows. They are the last rows rejected so far.
        """
        if self.provisional:
            del self.report.load.rejected_rows[-self.provisional:]
            self.report.read -= self.provisional
            self.report.rejected -= self.provisional
            self.provisional = 0

    def _take(self, path: Path, row: SheetRow, pending: list[SheetRow]) -> list[SheetRow]:
        """Handle one row of the current sheet; return the rows still waiting for a header."""
        if self.cur_header is not None:
            self._row(path, self.cur_header, row)
        elif self.cur_failed:
            self._reject_unmapped(path, row)
        else:
            pending.append(row)
            at_header = self.mapping.header_row is not None and row.row >= self.mapping.header_row
            if len(pending) >= HEADER_SCAN or at_header:
                self._decide_header(path, pending)
                return []
        return pending

    def _finish_sheet(self, path: Path, pending: list[SheetRow]) -> None:
        """Decide the header of a sheet shorter than the scan window."""
        if (
            self.cur_header is None
            and not self.cur_failed
            and any(not r.is_blank for r in pending)
        ):
            self._decide_header(path, pending)

    def _decide_header(self, path: Path, rows: list[SheetRow]) -> None:
        """Find the header among ``rows``; then load the rows below it, or reject them all."""
        header = self._header(path, self.cur_sheet or "", rows)
        self.cur_header, self.cur_failed = header, header is None
        for row in rows:
            if header is None:
                self._reject_unmapped(path, row)
            elif row.row > header.row:
                self._row(path, header, row)

    def _reject_unmapped(self, path: Path, row: SheetRow) -> None:
        """Count a row of a sheet whose columns could not be mapped as rejected.

        Rows of a sheet without a header are not counted once another sheet of the file
        has one (the sheet is skipped), and only provisionally before.
        """
        if row.is_blank or (self.cur_skipped and self.file_has_header):
            return
        if self.cur_skipped:
            self.provisional += 1
        self.report.read += 1
        self.report.rejected += 1
        self.report.load.rejected_rows.append(
            RejectedRow(self._where(path, row.sheet), row.row,
                        "the sheet's columns could not be mapped", _cells((), row))
        )

    def _share(self, text: str) -> float:
        """Return a share; a bare number is a percentage under a % header or above 1."""
        return parse_share(text, percent=self.share_percent or _bare_percent(text))

    def _tick(self, path: Path) -> Callable[[int, int | None], None] | None:
        if self.progress is None:
            return None
        progress = self.progress

        def tick(done: int, total: int | None) -> None:
            progress(path.name, done, total)

        return tick

    def _where(self, path: Path, sheet: str | None) -> str:
        suffix = path.suffix.lower()
        return f"{path.name}[{sheet}]" if sheet and suffix in (".xlsx", ".xlsm") else path.name

    def _header(self, path: Path, sheet: str, rows: list[SheetRow]) -> HeaderMatch | None:
        looked = f"its first {len(rows)} rows" if len(rows) > 1 else "its one row"
        if self.mapping.header_row is not None:
            forced = [r for r in rows if r.row == self.mapping.header_row]
            if forced:
                rows, looked = forced, f"row {self.mapping.header_row} (the mapping's header_row)"
        match = find_header(rows, self.synonyms)
        where = self._where(path, sheet)
        # A CSV file's one table is named after the file: --sheet does not name it.
        if match is None and (self.sheet is None or sheet == path.name):
            # Decided at the end of the file: skipped if another sheet has a header.
            self.cur_skipped = True
            self.headerless.append((sheet, looked, len(rows)))
            return None
        if match is None:
            self.report.load.error(
                where,
                f"the sheet {sheet!r} named with --sheet has no header row in {looked}: "
                "none names a supplier and a component in a way the synonym table knows "
                "(such as 供应商名称 and 采购物料, or Supplier and Component); map its "
                "columns with --mapping (columns: {header as written: supplier}), or name "
                "the sheet that holds the list",
                code="sheet.no_header", params={"rows": len(rows), "sheet": sheet,
                                                "looked": looked},
            )
            self.report.load.unreadable.add(where)
            return None
        if not self.file_has_header:
            self.file_has_header = True
            self._withdraw_provisional()
        cells = next(r.cells for r in rows if r.row == match.row)
        self.header_cells = cells
        share_header = next((cells[i] for i, f in match.columns.items() if f == "share"), "")
        self.share_percent = header_unit(share_header) == "%"
        self.report.columns[where] = {cells[i]: f for i, f in sorted(match.columns.items())}
        self.report.ignored[where] = [text for _, text in match.ignored if text]
        fields = set(match.columns.values())
        for i, f in sorted(match.columns.items()):
            if f == "destination":
                self.report.load.warn(
                    where,
                    f"column {cells[i]!r} is read as where the goods go (a destination), "
                    "not where the supplier is, so it does not set any supplier's region; "
                    "if it says where the supplier is, rename its header to 'Supplier "
                    "location' (所在地) and import again, or map it to supplier_region in a "
                    "mapping file",
                    code="sheet.destination_column", params={"column": cells[i]},
                    line=match.row, column=cells[i],
                )
        if "buyer" not in fields and not self.buyer_text:
            self.report.load.error(
                where,
                "no buyer column and no --buyer: name the buyer for the whole file with "
                "--buyer ID_OR_NAME (or add a buyer column)",
                code="sheet.no_buyer",
                line=match.row,
            )
            self.report.load.unreadable.add(where)
            return None
        missing = [f for f in ("supplier", "component") if f not in fields]
        if missing:
            self.report.load.error(
                where,
                f"the header row has no {' or '.join(missing)} column; found "
                f"{', '.join(c for c in cells if c)}. Map it with --mapping "
                "(columns: {header as written: supplier})",
                code="sheet.missing_columns",
                params={"missing": missing, "found": ", ".join(c for c in cells if c)},
                line=match.row,
            )
            self.report.load.unreadable.add(where)
            return None
        return match

    def _row(self, path: Path, header: HeaderMatch, row: SheetRow) -> None:
        if not any(row.cells):
            return
        self.report.read += 1
        where = self._where(path, row.sheet)
        values = {f: row.cells[i].strip() for i, f in header.columns.items() if i < len(row.cells)}
        names = {f: self.header_cells[i] for i, f in header.columns.items()}
        problems: list[tuple[str, str, str | Reason]] = []

        def parse(name: str, parser: Callable[[str], Any]) -> Any:
            text = values.get(name, "")
            if not text:
                return None
            try:
                return parser(text)
            except ValueProblem as e:
                problems.append((names.get(name, name), text, Reason(str(e), e.code, e.params)))
                return None

        share = parse("share", self._share)
        if share is not None and _is_bare(values.get("share", "")):
            # a bare number: ≤ 1 is read as a fraction, above 1 as a percentage
            small = parse_number(values["share"]) <= 1
            self.share_kinds.setdefault((where, names.get("share", "share")), {}).setdefault(
                small, []).append(row.row)
        volume = parse("volume", parse_number)
        since = parse("since", parse_date)
        s_uscc = parse("supplier_uscc", parse_uscc)
        b_uscc = parse("buyer_uscc", parse_uscc)
        supplier_text = values.get("supplier", "")
        component_text = values.get("component", "")
        buyer_text = values.get("buyer", "") or (self.buyer_text or "")
        for name, text in (("supplier", supplier_text), ("component", component_text),
                           ("buyer", buyer_text)):
            if not text:
                problems.append((names.get(name, name), "",
                                 Reason(f"the {name} is missing", "sheet.missing_value",
                                        {"field": name})))
        for name in ("supplier", "component", "buyer", "supplier_region", "component_code"):
            text = buyer_text if name == "buyer" else values.get(name, "")
            if len(text) > NAME_CHARS:
                problems.append((names.get(name, name), text, Reason(
                    f"{len(text):,} characters is not a {name.replace('_', ' ')}: "
                    f"names are at most {NAME_CHARS:,}; check that the column "
                    "mapping is right",
                    "sheet.name_too_long",
                    {"chars": len(text), "field": name, "limit": NAME_CHARS})))
        supplier = buyer = component = None
        if not problems:
            try:
                supplier = self.resolver.firm(supplier_text, s_uscc,
                                              values.get("supplier_region", ""), row.row)
                buyer = self.resolver.firm(buyer_text, b_uscc, "")
                component = self.resolver.component(component_text,
                                                    values.get("component_code") or None)
            except ValueProblem as e:
                problems.append((names.get("supplier", "supplier"), supplier_text,
                                 Reason(str(e), e.code, e.params)))
            if supplier is not None and supplier == buyer:
                problems.append((names.get("buyer", "buyer"), buyer_text,
                                 Reason("the supplier and the buyer are the same firm",
                                        "row.supplies_itself")))
        if problems:
            self.report.rejected += 1
            for column, value, reason in problems:
                self.report.load.error(where, reason, line=row.row, column=column, value=value)
            self.report.load.rejected_rows.append(
                RejectedRow(where, row.row, "; ".join(str(p[2]) for p in problems),
                            _cells(self.header_cells, row))
            )
            return
        assert supplier is not None
        assert buyer is not None
        assert component is not None
        self.line += 1
        self.batch.append((self.line, where, supplier, buyer, component, share, volume, since,
                           f"import:{self.resolver.source}"))
        if len(self.batch) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self.ws.conn.executemany(
            "INSERT INTO import_supplies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.batch
        )
        self.batch.clear()

    def _stage_resolved(self, source: str) -> None:
        r = self.resolver
        created = self.report.created
        for code, message, params in r.region_findings():
            self.report.load.warn(source, message, code=code, params=params)
        if r.region_updates:  # stored firms moved to the list's region (merged, not replaced)
            table = TABLES["firms"]
            batch_updates: list[tuple[StorageValue, ...]] = []
            for row in r.region_updates.values():
                self.line += 1
                batch_updates.append((self.line, 0, *(row.get(c.name) for c in table.columns),
                                      None))
            self.ws.insert(table, batch_updates)
        for kind, rows in (("regions", r.new_regions), ("firms", r.new_firms),
                           ("components", r.new_components)):
            table = TABLES[kind]
            batch: list[tuple[StorageValue, ...]] = []
            for row in rows.values():
                self.line += 1
                batch.append((self.line, 0, *(row.get(c.name) for c in table.columns), None))
                created.setdefault(kind, []).append((row["id"], row["name"]))
            self.ws.insert(table, batch)
        self.pending_resolutions.extend(
            (source, kind, written, ident) for (kind, written), ident in r.resolutions.items()
        )
        self.report.suggestions.extend(r.suggestions())

    def _stage_supplies(self) -> None:
        self._flush()
        conn = self.ws.conn
        # a produces row for each supplier and component it supplies that the store lacks
        conn.execute(
            "INSERT INTO stage_produces (line, rejected, firm, component, source) "
            "SELECT min(line), 0, supplier, component, min(source) FROM import_supplies i "
            "WHERE NOT EXISTS (SELECT 1 FROM known_pairs k WHERE k.firm = i.supplier "
            "AND k.component = i.component) GROUP BY supplier, component ORDER BY min(line)"
        )
        groups = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM import_supplies "
            "GROUP BY supplier, buyer, component)"
        ).fetchone()[0]
        total = conn.execute("SELECT count(*) FROM import_supplies").fetchone()[0]
        self.report.merged = int(total) - int(groups)
        conn.execute(
            "INSERT INTO stage_supplies (line, rejected, supplier, buyer, component, share, "
            "volume, since, source) SELECT min(line), 0, supplier, buyer, component, "
            "CASE WHEN count(share) = count(*) THEN sum(share) END, "
            "CASE WHEN count(volume) > 0 THEN sum(volume) END, min(since), min(source) "
            "FROM import_supplies GROUP BY supplier, buyer, component ORDER BY min(line)"
        )


def _cells(header: Sequence[str], row: SheetRow) -> dict[str, str]:
    """Return a row's cells keyed by header text (``column_N`` where there is none).

    Empty cells outside the header's columns are left out: a row with one value in
    column XFD would otherwise keep 16,384 cells for rejects.csv.
    """
    out: dict[str, str] = {}
    for i, cell in enumerate(row.cells):
        titled = i < len(header) and bool(header[i])
        if not cell and not titled:
            continue
        name = header[i] if titled else f"column_{i + 1}"
        out[name if name not in out else f"{name}_{i + 1}"] = cell
    return out


def import_suppliers(
    store: Store,
    files: Sequence[Path],
    *,
    buyer: str | None = None,
    sheet: str | None = None,
    mapping: Path | None = None,
    on_error: OnError = OnError.RAISE,
    dry_run: bool = False,
    encoding: str | None = None,
    source: str | None = None,
    progress: Progress | None = None,
    synonyms: SynonymTable | None = None,
    places: PlaceIndex | None = None,
    region_from: str = "store",
) -> ImportReport:
    """Return the report of importing supplier lists ``files`` into ``store``.

    ``region_from`` says whose region wins when a stored firm's differs from the
    list's: ``"store"`` (default; a warning names both) or ``"list"``. One transaction
    for all files. With ``on_error=RAISE`` any rejected row loads
    nothing (:class:`ValidationFailed` carries the report); with ``SKIP`` the good rows
    load. ``dry_run`` resolves and validates everything and writes nothing.
    """
    if not files:
        raise UsageError("name at least one supplier list (CSV or XLSX)")
    importer = _Importer(
        store,
        buyer=buyer,
        mapping=SourceMapping.read(mapping),
        source=source,
        encoding=encoding,
        sheet=sheet,
        progress=progress,
        synonyms=synonyms or SynonymTable.load(),
        places=places or PlaceIndex.load(),
        region_from=_region_from(region_from),
    )
    report = importer.report
    try:
        importer.run(files)
        importer.ws.conn.commit()
        known = store.known_ids
        validate(importer.ws, report.load, known)
        importer.ws.conn.commit()
        _count(importer.ws, report.load)
        bad_staging = sum(c.rejected for c in report.load.counts.values())
        if report.load.unreadable or (not report.load.ok and on_error is OnError.RAISE):
            raise ValidationFailed(
                f"{report.read:,} row(s) read, {report.rejected + bad_staging:,} with problems; "
                "nothing was imported. Fix the rows listed below and import again"
                + (" (or import the good rows with --on-error skip)."
                   if on_error is OnError.RAISE and not report.load.unreadable else "."),
                report.load,
                code="import.unreadable" if report.load.unreadable else "import.rows_rejected",
                params={"read": report.read, "bad": report.rejected + bad_staging},
            )
        if dry_run:
            return report
        record = store.load(
            importer.ws.accepted_rows,
            bundle={"name": f"suppliers:{report.load.bundle}",
                    "description": "supplier lists imported with chainrisk import-suppliers"},
            source=report.load.source,
            checksum=_checksum(files),
            rejected=report.rejected + bad_staging,
            on_error=on_error.value,
            resolutions=importer.pending_resolutions,
        )
        report.load.load_id = record.id
        report.load.loaded = True
        report.load.changes = list(record.cell_changes)  # every stored value it changed
        for name, change in record.changes.items():
            counts = report.load.table(name)
            counts.inserted, counts.updated, counts.unchanged = (
                change.inserted, change.updated, change.unchanged
            )
        return report
    finally:
        importer.ws.close()


REGION_FROM = ("store", "list")


def _region_from(value: str) -> str:
    if value not in REGION_FROM:
        raise UsageError(f"regions come from the store or the list, not {value!r}",
                         code="import.region_from", params={"value": value})
    return value


def _count(ws: Workspace, report: LoadReport) -> None:
    for name in TABLE_ORDER:
        counts = report.table(name)
        counts.accepted = ws.count(name, rejected=False)
        counts.rejected = ws.count(name, rejected=True)
        counts.read = counts.accepted + counts.rejected


def _checksum(files: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def write_import_report(report: ImportReport, folder: Path) -> list[Path]:
    """Write the import report (text and JSON) and rejects.csv; return the paths."""
    paths = report.load.write(folder)
    text = folder / "report.txt"
    text.write_text(report.to_text(limit=None), encoding="utf-8")
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    data["import"] = {
        "read": report.read, "loaded": report.loaded, "rejected": report.rejected,
        "merged": report.merged, "columns": report.columns, "ignored": report.ignored,
        "created": report.created,
        "suggestions": [list(s) for s in report.suggestions],
    }
    (folder / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=2),
                                        encoding="utf-8")
    return paths


__all__ = ["ImportReport", "import_suppliers", "write_import_report"]
