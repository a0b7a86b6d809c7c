"""Where a node-link chart puts its markers and names, in pixels, so that nothing collides.

Streamlit draws Vega-Lite on a canvas and cannot move a label out of another's way,
so the layout is decided here: names are measured with the font the chart uses
(:class:`TextMeasure`), wrapped into at most a few lines (:func:`wrap`), told apart
when two would read the same (:func:`distinct_labels`), and stacked in columns wide
enough for their longest line (:func:`arrange`). A label starts a marker's radius
to the right of its marker centre, so no marker covers text.

Examples
--------
>>> m = TextMeasure(10, files=())  # no font file: the width table (CJK 1 em, Latin 0.62 em)
>>> m.width("AB"), m.width("芯片")
(12.4, 20.0)
>>> wrap("Data-centre AI accelerator", 90, m)
(('Data-centre AI', 'accelerator'), False)
>>> wrap("先进制程逻辑晶圆代工", 50, m, max_lines=1)
(('先进制程…',), True)
>>> d = arrange([Item("a", 0, 0, "Wafer"), Item("b", 0, 1, "Wafer"), Item("c", 1, 0, "Die")],
...             measure=m)
>>> [" ".join(s.lines) for s in d.spots.values()]
['Wafer · a', 'Wafer · b', 'Die']
>>> collisions(d)
[]
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

# The chart's label font: the family written into the chart, and the files measured.
FONT_SIZE = 11.0
HEADER_SIZE = 13.0
FONT_FAMILY = "'DejaVu Sans', 'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif"
LATIN_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)
CJK_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
)
LATIN_EM = 0.62  # width table when no font file: a conservative mean Latin advance
LINE_HEIGHT = 1.25  # of the font size
BOLD_FACTOR = 1.12  # headers are bold; measured as regular text this much wider

# Vega point marks: ``size`` is the area of the symbol's bounding box in px².
POINT_AREA = 110
PICKED_AREA = 240
RING_AREA = 290
RING_STROKE = 2.2
MARKER_RADIUS = math.sqrt(RING_AREA) / 2 + RING_STROKE / 2 + 0.5  # the largest a node draws
LABEL_GAP = 3.0  # between a marker's edge and its label
COLUMN_GAP = 18.0  # between a column's longest label and the next column's markers
MISSING_COLUMN = 28.0  # per missing column key (layered() leaves half a column per key)
ROW_GAP = 3.0
MARGIN = 8.0
HEADER_BAND = 30.0
MIN_LABEL = 80.0
MAX_LABEL = 240.0
MAX_LINES = 3
CUT_COST = 12.0  # px of chart height worth one name shown cut short
BUDGET = 800.0  # px: fits the main column of the wide layout in a 1280 px window (820)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


@lru_cache(maxsize=16)
def _font(path: str, size: float) -> Any:
    from PIL import ImageFont  # Streamlit depends on Pillow; loaded only when measuring

    return ImageFont.truetype(path, size)


class TextMeasure:
    """Widths of text in px at one font size, from the chart's font files when present.

    Wide (CJK) characters are measured with the CJK file, others with the Latin one;
    without a file the width table is used: a wide character one em, others
    ``LATIN_EM`` em, which errs on the wide side for the fonts browsers pick.
    """

    def __init__(self, size: float = FONT_SIZE, files: Sequence[str] | None = None) -> None:
        self.size = size
        latin = LATIN_FILES if files is None else [f for f in files if "wqy" not in f]
        cjk = CJK_FILES if files is None else [f for f in files if "wqy" in f]
        self._latin = _first_font(latin, size)
        self._cjk = _first_font(cjk, size)
        self._known: dict[str, float] = {}

    def width(self, text: str) -> float:
        """Return the advance width of ``text`` in px."""
        known = self._known.get(text)
        if known is not None:
            return known
        total = 0.0
        for wide, run in _runs(text):
            font = self._cjk if wide else self._latin
            if font is not None:
                total += float(font.getlength(run))
            else:
                total += len(run) * self.size * (1.0 if wide else LATIN_EM)
        self._known[text] = round(total, 3)
        return self._known[text]


def _first_font(paths: Iterable[str], size: float) -> Any:
    for p in paths:
        if Path(p).is_file():
            try:
                return _font(p, size)
            except OSError:
                continue
    return None


def _runs(text: str) -> Iterable[tuple[bool, str]]:
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or _wide(text[i]) != _wide(text[start]):
            if text[start:i]:
                yield _wide(text[start]), text[start:i]
            start = i


# A line may not start with these (they stay with the text before them).
_CLOSING = set("）)]】》」』，。、；：！？,.;:!?%·…")
_BREAK_AFTER = set(" /-–—、，；")


def _tokens(text: str) -> list[str]:
    """Split ``text`` into pieces a line may break between."""
    tokens: list[str] = []
    current = ""
    for ch in text:
        cjk_break = bool(current) and (_wide(ch) or _wide(current[-1])) and ch not in _CLOSING
        if current and (cjk_break or (ch in "(（" and current[-1] == " ")):
            tokens.append(current)
            current = ""
        if ch in _CLOSING and not current and tokens:  # no line starts with "·", "）"...
            current = tokens.pop()
        current += ch
        if ch in _BREAK_AFTER:
            tokens.append(current)
            current = ""
    if current:
        tokens.append(current)
    return tokens


def _ellipsis(text: str, width: float, measure: TextMeasure) -> str:
    text = text.rstrip()
    while text and measure.width(text + "…") > width:
        text = text[:-1].rstrip()
    return text + "…"


def wrap(text: str, width: float, measure: TextMeasure, max_lines: int | None = MAX_LINES
         ) -> tuple[tuple[str, ...], bool]:
    """Return ``text`` broken into lines no wider than ``width`` px, and whether it was cut.

    Lines break after spaces, slashes and hyphens and between CJK characters; a
    piece wider than a line is broken by character. Beyond ``max_lines`` (None: no
    limit) the last line ends in an ellipsis.
    """
    lines: list[str] = []
    line = ""
    used = 0.0  # width of ``line``: summed over tokens (kerning across them is noise here)
    for token in _tokens(" ".join(text.split())):
        if used + measure.width(token.rstrip()) <= width:
            line += token
            used += measure.width(token)
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = token.lstrip()
        used = measure.width(line)
        while len(line) > 1 and measure.width(line.rstrip()) > width:  # too long for a line
            cut = len(line) - 1
            while cut > 1 and measure.width(line[:cut] + _hyphen(line, cut)) > width:
                cut -= 1
            lines.append(line[:cut].rstrip() + _hyphen(line, cut))
            line = line[cut:].lstrip()
            used = measure.width(line)
    if line.strip():
        lines.append(line.rstrip())
    if max_lines is not None and len(lines) > max_lines:
        rest = _join(lines[max_lines - 1 :])
        return (*lines[: max_lines - 1], _ellipsis(rest, width, measure)), True
    return tuple(lines) or ("",), False


def _hyphen(text: str, cut: int) -> str:
    """Return '-' when cutting ``text`` at ``cut`` splits a Latin word."""
    a, b = text[cut - 1], text[cut]
    return "-" if a.isalpha() and b.isalpha() and not (_wide(a) or _wide(b)) else ""


def _join(lines: Sequence[str]) -> str:
    out = ""
    for line in lines:
        glue = "" if not out or _wide(out[-1]) or _wide(line[0]) else " "
        out += glue + line
    return out


def _seen_as(lines: Sequence[str]) -> str:
    """Return what a reader takes a label for: its characters, line breaks and hyphens
    ignored."""
    return "".join("".join(lines).split()).replace("-", "").casefold()


@dataclass(frozen=True)
class Item:
    """A node to place: its key, layered column and row, name, and a detail (country,
    stage...) that tells it from another of the same name."""

    id: str
    column: float
    row: float
    name: str
    detail: str = ""
    group: str = ""


def distinct_labels(items: Sequence[Item], widths: Mapping[str, float], measure: TextMeasure,
                    max_lines: int = MAX_LINES, room: float | None = None
                    ) -> dict[str, tuple[str, ...]]:
    """Return each item's label lines, no two items' labels reading the same.

    A label is wrapped to its ``widths``; when two read the same, each is shown
    whole, then with its detail, then with its id's tail (ids are unique), wrapped to
    ``room`` px (default: its width).
    """
    texts = {it.id: it.name for it in items}
    limit: dict[str, int | None] = {it.id: max_lines for it in items}
    lines = {it.id: wrap(texts[it.id], widths[it.id], measure, max_lines)[0] for it in items}
    by_id = {it.id: it for it in items}
    for step in ("whole", "detail", "id"):
        groups: dict[str, list[str]] = defaultdict(list)
        for key, shown in lines.items():
            groups[_seen_as(shown)].append(key)
        clashes = [k for ks in groups.values() if len(ks) > 1 for k in ks]
        if not clashes:
            break
        for key in clashes:
            it = by_id[key]
            if step == "detail" and it.detail:
                texts[key] = f"{it.name} · {it.detail}"
            elif step == "id" or (step == "detail" and not it.detail):
                texts[key] = f"{texts[key]} · {it.id.split(':', 1)[-1]}"
            limit[key] = None
            lines[key] = wrap(texts[key], max(widths[key], room or 0.0), measure,
                              limit[key])[0]
    return lines


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in chart px (y grows downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        """Return whether the two boxes share any area."""
        return (self.x0 < other.x1 and other.x0 < self.x1
                and self.y0 < other.y1 and other.y0 < self.y1)


@dataclass(frozen=True)
class Spot:
    """A placed node: marker centre, label lines (first line's centre ``y``), boxes."""

    id: str
    x: float
    y: float
    lines: tuple[str, ...]
    marker: Box
    label: Box | None


@dataclass(frozen=True)
class Header:
    """A column group's title, centred over its columns."""

    text: str
    x: float
    y: float
    box: Box


@dataclass(frozen=True)
class Drawing:
    """A node-link chart's placement in px: width, height, nodes and headers."""

    width: float
    height: float
    spots: dict[str, Spot] = field(default_factory=dict)
    headers: tuple[Header, ...] = ()
    line_height: float = FONT_SIZE * LINE_HEIGHT

    def text_rows(self) -> list[dict[str, Any]]:
        """Return one record per label line: id, text, x (left), y (middle)."""
        rows = []
        for s in self.spots.values():
            if s.label is None:
                continue
            top = (s.label.y0 + s.label.y1) / 2 - (len(s.lines) - 1) * self.line_height / 2
            for i, text in enumerate(s.lines):
                rows.append({"id": s.id, "text": text, "x": s.label.x0,
                             "y": top + i * self.line_height})
        return rows


def arrange(
    items: Sequence[Item],
    *,
    labels: bool = True,
    measure: TextMeasure | None = None,
    headers: Mapping[str, str] | None = None,
    budget: float = BUDGET,
    max_lines: int = MAX_LINES,
) -> Drawing:
    """Return px positions of ``items``: one column per distinct ``column``, rows stacked.

    Columns are as wide as their longest label line, labels wrapped so that all
    columns fit ``budget`` px when they can (never narrower than ``MIN_LABEL``);
    within a column nodes keep the order of ``row`` and each takes the height of its
    label. ``headers`` maps an item ``group`` to the title written over its columns.
    """
    measure = measure or TextMeasure()
    line_h = measure.size * LINE_HEIGHT
    r = MARKER_RADIUS
    offset = r + LABEL_GAP
    columns = sorted({it.column for it in items})
    members: dict[float, list[Item]] = defaultdict(list)
    for it in items:
        members[it.column].append(it)
    for col in members.values():
        col.sort(key=lambda it: (it.row, it.id))
    gap = COLUMN_GAP if labels else COLUMN_GAP / 3  # unlabelled: many narrow columns
    gaps = [gap + MISSING_COLUMN * max(0.0, b - a - 1.0) for a, b in itertools.pairwise(columns)]
    natural = {c: min(MAX_LABEL, max((measure.width(it.name) for it in members[c]),
                                     default=0.0)) if labels else 0.0 for c in columns}

    room = _share_width(members, natural, budget - 2 * MARGIN - sum(gaps)
                        - len(columns) * (r + offset), measure, max_lines)
    widths = {it.id: room[it.column] + 0.5 for it in items}
    wider = max(MIN_LABEL, *room.values()) if room else MIN_LABEL
    shown = distinct_labels(items, widths, measure, max_lines, wider) if labels else {}
    col_width = {c: max((measure.width(line) for it in members[c] for line in shown[it.id]),
                        default=0.0) if labels else 0.0 for c in columns}
    heights = {it.id: max(2 * r, len(shown.get(it.id, ())) * line_h) + ROW_GAP for it in items}
    stacks = {c: sum(heights[it.id] for it in members[c]) for c in columns}
    body = max(stacks.values(), default=0.0)
    top = MARGIN + (HEADER_BAND if headers else 0.0)
    spots: dict[str, Spot] = {}
    x = MARGIN + r
    right = x
    for i, c in enumerate(columns):
        y = top + (body - stacks[c]) / 2
        for it in members[c]:
            h = heights[it.id]
            cy = y + h / 2
            lines = shown.get(it.id, ())
            label = None
            if lines:
                w = max(measure.width(line) for line in lines)
                half = len(lines) * line_h / 2
                label = Box(x + offset, cy - half, x + offset + w, cy + half)
            spots[it.id] = Spot(it.id, x, cy, lines, Box(x - r, cy - r, x + r, cy + r), label)
            y += h
        right = x + (offset + col_width[c] if labels else r)
        x = right + (gaps[i] if i < len(gaps) else 0.0) + r
    placed_headers = _headers(items, spots, headers or {}, top) if headers else ()
    width = max([right] + [h.box.x1 for h in placed_headers]) + MARGIN
    return Drawing(width=round(width, 1), height=round(top + body + MARGIN, 1), spots=spots,
                   headers=placed_headers, line_height=line_h)


def _share_width(members: Mapping[float, Sequence[Item]], natural: Mapping[float, float],
                 budget: float, measure: TextMeasure, max_lines: int) -> dict[float, float]:
    """Return a label width per column, summing to at most ``budget`` when it can.

    Every column starts at ``MIN_LABEL`` (or less when its names are shorter) and
    the column whose widening most lowers the cost (the tallest column's height plus
    ``CUT_COST`` px per name cut short) is widened a step at a time.
    """
    line_h = measure.size * LINE_HEIGHT
    least = 2 * MARKER_RADIUS
    known: dict[tuple[float, float], tuple[int, float]] = {}

    def fit(c: float, w: float) -> tuple[int, float]:
        if (c, w) not in known:
            wrapped = [wrap(it.name, w + 0.5, measure, max_lines) for it in members[c]]
            known[c, w] = (sum(cut for _, cut in wrapped), sum(
                max(least, len(lines) * line_h) + ROW_GAP for lines, _ in wrapped))
        return known[c, w]

    def cost(fits: Mapping[float, tuple[int, float]]) -> float:
        return max(h for _, h in fits.values()) + CUT_COST * sum(n for n, _ in fits.values())

    room = {c: min(natural[c], MIN_LABEL) for c in members}
    now = {c: fit(c, room[c]) for c in members}
    step = 8.0
    while members and sum(room.values()) + step <= budget:
        best: tuple[float, int, float, float] | None = None
        for c in members:
            if room[c] >= natural[c]:
                continue
            after = fit(c, min(room[c] + step, natural[c]))
            key = (cost(now) - cost({**now, c: after}), now[c][0], now[c][1], -c)
            best = key if best is None or key > best else best
        if best is None:
            break
        c = -best[3]
        room[c] = min(room[c] + step, natural[c])
        now[c] = fit(c, room[c])
    return room


def _headers(items: Sequence[Item], spots: Mapping[str, Spot], titles: Mapping[str, str],
             top: float) -> tuple[Header, ...]:
    measure = TextMeasure(HEADER_SIZE)
    spans: dict[str, list[float]] = {}
    for it in items:
        if it.group not in titles:
            continue
        s = spots[it.id]
        lo, hi = s.marker.x0, s.label.x1 if s.label else s.marker.x1
        span = spans.setdefault(it.group, [lo, hi])
        span[0], span[1] = min(span[0], lo), max(span[1], hi)
    out: list[Header] = []
    y = top - HEADER_BAND / 2
    half = HEADER_SIZE * LINE_HEIGHT / 2
    for group, (lo, hi) in sorted(spans.items(), key=lambda kv: kv[1][0]):
        text = titles[group]
        w = measure.width(text) * BOLD_FACTOR
        x0 = max((lo + hi - w) / 2, MARGIN, out[-1].box.x1 + 8.0 if out else 0.0)
        out.append(Header(text, x0 + w / 2, y, Box(x0, y - half, x0 + w, y + half)))
    return tuple(out)


def collisions(drawing: Drawing) -> list[tuple[str, str]]:
    """Return the pairs that collide: label/label, label/marker, header/header,
    and pairs of different nodes whose labels read the same. Empty when the drawing is
    readable."""
    found: list[tuple[str, str]] = []
    spots = list(drawing.spots.values())
    labelled = [(s, s.label) for s in spots if s.label is not None]
    for i, (a, box) in enumerate(labelled):
        found.extend((a.id, b.id) for b, other in labelled[i + 1 :] if box.overlaps(other))
        # its own marker too: no marker covers a label
        found.extend((a.id, f"marker {b.id}") for b in spots if box.overlaps(b.marker))
    for i, h in enumerate(drawing.headers):
        found.extend((f"header {h.text}", f"header {g.text}") for g in drawing.headers[i + 1 :]
                     if h.box.overlaps(g.box))
        found.extend((f"header {h.text}", s.id) for s, box in labelled
                     if h.box.overlaps(box) or h.box.overlaps(s.marker))
    seen: dict[str, str] = {}
    for s, _ in labelled:
        key = _seen_as(s.lines)
        if key in seen:
            found.append((seen[key], s.id))
        seen.setdefault(key, s.id)
    return found
