"""Data: upload a bundle (zip) or a supplier list, read the check, confirm to load; history.

Every upload is first checked without writing (a dry run against the store); the
officer reads the report and confirms, and only then is anything written — in one
transaction, as with ``chainrisk load`` and ``chainrisk import-suppliers``.

Admins only (the page is not in a viewer's menu, and refuses anyone else who reaches
it). Uploads above the upload limit are refused with their size, the limit and the
setting that raises it, before anything reads them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from chainrisk import limits
from chainrisk.errors import ChainriskError, LimitExceeded, ValidationFailed
from chainrisk.results import UNKNOWN_REGION, ImportReport, LoadReport
from chainrisk.schema import OnError
from chainrisk.ui import shell, state, uploads
from chainrisk.ui.i18n import Tr
from chainrisk.ui.text import md, md_join
from chainrisk.ui.widgets import data_table

DONE = "data_done"  # session state: the message of the last load, shown after the rerun


@dataclass(frozen=True)
class Check:
    """The outcome of a dry run or a load: the report, and whether it may (or did) load."""

    key: tuple[Any, ...]
    ok: bool
    message: str
    report: LoadReport
    imported: ImportReport | None = None


def render() -> None:
    """Draw the three tabs: bundle upload, supplier list, load history."""
    ctx = shell.context()
    tr = ctx.tr
    st.title(tr("data.title"))
    if not ctx.grant.can_load:
        st.error(tr("access.admins_only"))
        st.stop()
    st.caption(tr("data.lead"))
    done = st.session_state.pop(DONE, None)
    if done:
        st.success(done)
    t1, t2, t3 = st.tabs([tr("data.tab_bundle"), tr("data.tab_suppliers"),
                          tr("data.tab_history")])
    with t1:
        _bundle(ctx)
    with t2:
        _suppliers(ctx)
    with t3:
        _history(ctx)


def _on_error(tr: Tr, key: str) -> OnError:
    choice = st.radio(
        tr("data.on_error"), [OnError.RAISE.value, OnError.SKIP.value], key=key,
        format_func=lambda v: tr(f"data.on_error_{v}"), horizontal=True,
    )
    return OnError(choice or OnError.RAISE.value)


class _Progress:
    """A progress callback for both loaders (bundles pass no total, imports may)."""

    def __init__(self, bar: Any, tr: Tr) -> None:
        self.bar = bar
        self.tr = tr

    def __call__(self, stage: str, done: int, total: int | None = None) -> None:
        fraction = min(done / total, 1.0) if total else 0.0
        # a bundle's stages are its tables, an import's its files (shown as named)
        self.bar.progress(fraction, text=self.tr("data.progress", stage=self.tr.value(
            "table", stage), done=done))


def _too_big(tr: Tr, files: list[tuple[str, int]]) -> bool:
    """Show why each file over the upload limit is refused; return whether any was."""
    limit = limits.current().max_upload_bytes
    for name, size in uploads.oversized(files, limit):
        st.error(tr("data.too_big", name=md(name), size=uploads.size_text(size),
                    limit=uploads.size_text(limit), env=limits.ENV["max_upload_bytes"]))
    return bool(uploads.oversized(files, limit))


def _limit_caption(tr: Tr) -> None:
    limit = limits.current().max_upload_bytes
    if limit:
        st.caption(tr("data.upload_limit", limit=uploads.size_text(limit),
                      env=limits.ENV["max_upload_bytes"]))


def _failed(tr: Tr, e: ChainriskError) -> str:
    """Return a library error in the page's language, worded with the app's remedy."""
    message = md(tr.error(e))  # errors quote file names and values: shown as text
    return tr("error.limit", message=message) if isinstance(e, LimitExceeded) else message


# ---------------------------------------------------------------------- bundle


def _uploader_words(tr: Tr) -> None:
    """Word Streamlit's own upload box in the page's language.

    Streamlit draws the box's button ("Upload") and its size line ("200MB per file •
    ZIP") in English with no option to change them: a style rule replaces the button's
    text with ours and hides the size line, which the caption under the box says in the
    page's language (with the setting that changes it).
    """
    if tr.lang == "en":
        return
    label = tr("data.upload_button").replace("\\", "").replace('"', "")
    st.html(
        "<style>"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p'
        "{font-size:0}"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] '
        f'p::after{{content:"{label}";font-size:0.875rem}}'
        '[data-testid="stFileUploaderDropzoneInstructions"]{display:none}'
        "</style>"
    )


def _bundle(ctx: shell.Context) -> None:
    tr = ctx.tr
    st.markdown(tr("data.bundle_help"))
    _uploader_words(tr)
    upload = st.file_uploader(tr("data.bundle_file"), type=["zip"], key="data_bundle_zip",
                              help=tr("data.bundle_file_help"),
                              max_upload_size=uploads.upload_limit_mb())
    _limit_caption(tr)
    on_error = _on_error(tr, "data_bundle_on_error")
    if upload is None or _too_big(tr, [(upload.name, upload.size)]):
        return
    data = upload.getvalue()
    key = ("bundle", upload.file_id, on_error.value, ctx.version)
    check: Check | None = st.session_state.get("data_bundle_check")
    if check is None or check.key != key:
        with st.spinner(tr("data.checking")):
            check = _run_bundle(ctx, data, on_error, key, dry_run=True)
        st.session_state["data_bundle_check"] = check
    _show(tr, check, dry_run=True)
    if st.button(tr("data.confirm"), key="data_bundle_confirm", type="primary",
                 disabled=not check.ok, icon=":material/upload:"):
        bar = st.progress(0.0, text=tr("data.loading"))
        result = _run_bundle(ctx, data, on_error, key, dry_run=False, progress=_Progress(bar, tr))
        bar.empty()
        if result.ok:
            st.session_state[DONE] = result.message
            shell.saw_own_load(ctx.url)  # the success message says it; no other notice
            st.session_state.pop("data_bundle_check", None)
            st.rerun()
        _show(tr, result, dry_run=False)


def _run_bundle(ctx: shell.Context, data: bytes, on_error: OnError, key: tuple[Any, ...], *,
                dry_run: bool, progress: _Progress | None = None
                ) -> Check:
    tr = ctx.tr
    shared = state.shared(ctx.url)
    with tempfile.TemporaryDirectory(prefix="chainrisk-upload-") as tmp:
        try:
            folder = uploads.unpack_bundle(data, Path(tmp))
            with shared.lock:
                report = shared.service.load_bundle(folder, on_error=on_error,
                                                    dry_run=dry_run, progress=progress)
        except ValidationFailed as e:
            return Check(key, False, md(tr.error(e)), e.report)
        except ChainriskError as e:
            return Check(key, False, _failed(tr, e), LoadReport(source="upload"))
    if dry_run:
        message = tr("data.check_ok", bundle=report.bundle, errors=len(report.errors),
                     warnings=len(report.warnings))
    else:
        changed = sum(c.inserted + c.updated for c in report.counts.values())
        message = tr("data.loaded", bundle=report.bundle, changed=changed,
                     load=report.load_id or "—")
    return Check(key, True, message, report)


# ---------------------------------------------------------------------- supplier lists


def _suppliers(ctx: shell.Context) -> None:
    tr = ctx.tr
    st.markdown(tr("data.suppliers_help"))
    _uploader_words(tr)
    files = st.file_uploader(tr("data.suppliers_file"), type=["csv", "xlsx"],
                             accept_multiple_files=True, key="data_suppliers_files",
                             help=tr("data.suppliers_file_help"),
                             max_upload_size=uploads.upload_limit_mb())
    _limit_caption(tr)
    buyer = st.text_input(tr("data.buyer"), key="data_suppliers_buyer",
                          help=tr("data.buyer_help"))
    on_error = _on_error(tr, "data_suppliers_on_error")
    region_from = st.radio(tr("data.region_from"), ["store", "list"], horizontal=True,
                           key="data_suppliers_region_from",
                           format_func=lambda v: tr(f"data.region_from.{v}"),
                           help=tr("data.region_from_help"))
    if not files or _too_big(tr, [(f.name, f.size) for f in files]):
        return
    named = [(f.name, f.getvalue()) for f in files]
    key = ("suppliers", tuple(f.file_id for f in files), buyer.strip(), on_error.value,
           region_from, ctx.version)
    check: Check | None = st.session_state.get("data_suppliers_check")
    if check is None or check.key != key:
        with st.spinner(tr("data.checking")):
            check = _run_suppliers(ctx, named, buyer.strip() or None, on_error, key,
                                   dry_run=True, region_from=region_from)
        st.session_state["data_suppliers_check"] = check
    _show(tr, check, dry_run=True)
    if st.button(tr("data.confirm_suppliers"), key="data_suppliers_confirm", type="primary",
                 disabled=not check.ok, icon=":material/upload:"):
        bar = st.progress(0.0, text=tr("data.loading"))
        result = _run_suppliers(ctx, named, buyer.strip() or None, on_error, key,
                                dry_run=False, progress=_Progress(bar, tr),
                                region_from=region_from)
        bar.empty()
        if result.ok:
            st.session_state[DONE] = result.message
            shell.saw_own_load(ctx.url)  # the success message says it; no other notice
            st.session_state.pop("data_suppliers_check", None)
            st.rerun()
        _show(tr, result, dry_run=False)


def _run_suppliers(ctx: shell.Context, files: list[tuple[str, bytes]], buyer: str | None,
                   on_error: OnError, key: tuple[Any, ...], *, dry_run: bool,
                   progress: _Progress | None = None, region_from: str = "store") -> Check:
    tr = ctx.tr
    shared = state.shared(ctx.url)
    with tempfile.TemporaryDirectory(prefix="chainrisk-upload-") as tmp:
        paths = uploads.write_uploads(files, Path(tmp))
        try:
            with shared.lock:
                report = shared.service.import_suppliers(paths, buyer=buyer,
                                                         on_error=on_error, dry_run=dry_run,
                                                         progress=progress,
                                                         region_from=region_from)
        except ValidationFailed as e:
            return Check(key, False, md(tr.error(e)), e.report)
        except ChainriskError as e:
            return Check(key, False, _failed(tr, e), LoadReport(source="upload"))
    counts = tr("data.import_counts", read=report.read, loaded=report.loaded,
                rejected=report.rejected, merged=report.merged)
    if dry_run:
        message = tr("data.import_ok", counts=counts)
    else:
        message = tr("data.imported", counts=counts, load=report.load.load_id or "—")
    return Check(key, True, message, report.load, report)


# ---------------------------------------------------------------------- shared


def _show(tr: Tr, check: Check, *, dry_run: bool) -> None:
    if check.ok:
        (st.info if dry_run else st.success)(check.message)
    else:
        st.error(check.message)
    report = check.report
    if check.imported is not None:
        _import_details(tr, check.imported)
    counts = uploads.counts_frame(report, tr.lang)
    if not counts.empty:
        data_table(counts, hide_index=True, key=f"data_counts_{dry_run}", column_config={
            "table": tr("data.col_table"), "read": tr("data.col_read"),
            "rejected": tr("data.col_rejected"), "inserted": tr("data.col_inserted"),
            "updated": tr("data.col_updated"), "unchanged": tr("data.col_unchanged"),
        })
    problems = uploads.problems_frame(report, lang=tr.lang)
    if not problems.empty:
        heading = tr("data.problems", errors=len(report.errors), warnings=len(report.warnings))
        st.markdown(f"**{heading}**")
        data_table(problems, hide_index=True, key=f"data_problems_{dry_run}", column_config={
            "severity": tr("data.col_severity"), "file": tr("data.col_file"),
            "line": tr("data.col_line"), "column": tr("data.col_column"),
            "value": tr("data.col_value"), "reason": st.column_config.TextColumn(
                tr("data.col_reason"), width="large"),
        })
        if len(report.problems) > len(problems):
            st.caption(tr("data.more_problems", n=len(report.problems) - len(problems)))


def _import_details(tr: Tr, imported: ImportReport) -> None:
    colon, comma = ("：", "，") if tr.lang == "zh" else (": ", ", ")
    lines = []
    for sheet, mapping in imported.columns.items():
        used = comma.join(f"{md(h)} → {tr.value('field', f)}" for h, f in mapping.items())
        lines.append(f"- {tr('data.columns_used', sheet=md(sheet))}{colon}{used}")
        if imported.ignored.get(sheet):
            lines.append(f"- {tr('data.columns_ignored', sheet=md(sheet))}{colon}"
                         + md_join(comma, imported.ignored[sheet]))
    for kind, items in imported.created.items():
        if items:
            shown = comma.join(f"{tr('data.unknown_region') if i == UNKNOWN_REGION else md(n)} "
                               f"({md(i)})" for i, n in items[:20])
            more = " …" if len(items) > 20 else ""
            lines.append(f"- {tr('data.created', kind=_noun(tr, kind), n=len(items))}{colon}"
                         f"{shown}{more}")
    for written, kind, candidate, score in imported.suggestions[:20]:
        text = tr("data.suggestion", written=md(written), kind=_noun(tr, kind),
                  candidate=md(candidate), score=f"{score:.0f}")
        lines.append(f"- {text}")
    if lines:
        st.markdown("\n".join(lines))


def _noun(tr: Tr, kind: str) -> str:
    """Return a kind of node ("firm") or a table of them ("firms") in the page's language."""
    return tr.value("table", kind) if kind.endswith("s") else tr.value("kind", kind)


def _history(ctx: shell.Context) -> None:
    tr = ctx.tr
    with shell.guard(tr):
        info = state.fresh_info(ctx.url)  # loads from elsewhere too, even unchanged ones
    st.markdown(tr("data.store_line", url=md(info.url), version=info.data_version))
    comma = "，" if tr.lang == "zh" else ", "
    st.markdown(comma.join(f"{tr.value('table', k)} {v:,}" for k, v in info.counts.items()))
    frame = uploads.history_frame(info.loads, tr.lang)
    if frame.empty:
        st.info(tr("data.no_loads"))
        return
    data_table(frame, hide_index=True, key="data_history", column_config={
        "id": tr("data.col_id"), "finished_at": tr("data.col_time"), "kind": tr("data.col_kind"),
        "bundle": tr("data.col_bundle"), "version": tr("data.col_version"),
        "changed": tr("data.col_changed"), "rejected": tr("data.col_rejected"),
        "on_error": tr("data.col_on_error"), "source": tr("data.col_source"),
        "checksum": tr("data.col_checksum"),
    })


if __name__ == "__main__":  # run by st.navigation as a page script
    render()
