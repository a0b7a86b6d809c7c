"""Names as supplier lists write them: matching keys, id slugs, regions and headers.

- :func:`normalise_name` turns a firm (or component) name into the key used to match
  it against known names: width, case, punctuation, legal forms and place qualifiers
  removed.
- :func:`slug` turns a name into an id for a new firm or component.
- :class:`ComponentIndex` finds the known components a new component name may mean,
  token by token (sizes such as 400G must agree; Chinese compared by bigrams).
- :class:`PlaceIndex` resolves free-text regions (广东, 粤, "Guangdong Province",
  深圳市, USA, 美國, 台湾 …) to region ids, from the gazetteer
  ``chainrisk/ingest/data/places.yaml``.
- :class:`SynonymTable` maps column headers (供应商名称, 供應商名稱, "Supplier name" …)
  to the importer's fields, from ``chainrisk/ingest/data/synonyms.yaml`` plus per-source
  overrides.

Traditional and simplified Chinese are not folded into each other anywhere: NFKC does
not relate them, and a general conversion table would merge distinct names. The data
files list both spellings instead; known firms carry both as aliases.

Examples
--------
>>> normalise_name("紫光展锐（上海）科技有限公司")
'紫光展锐科技'
>>> PlaceIndex.load().resolve("广东省深圳市")
'CN-GD-SZ'
>>> SynonymTable.load().field_of("采购金额（万元）")
<Field.VOLUME: 'volume'>
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from chainrisk.errors import InputError
from chainrisk.ingest.csvfile import FileProblem
from chainrisk.ingest.values import ValueProblem, normalise_text, parse_id, parse_level
from chainrisk.schema import RegionLevel

# Shipped inside the package (package data of the wheel), so that an installed chainrisk
# finds them wherever it runs from.
DATA = Path(__file__).resolve().parent / "data"
PLACES_FILE = DATA / "places.yaml"
SYNONYMS_FILE = DATA / "synonyms.yaml"

IGNORE = "ignore"


class MappingProblem(InputError):
    """A header mapping or gazetteer entry that cannot be used; the message says why."""


class Field(StrEnum):
    """A column of a supplier list, as the importer understands it."""

    SUPPLIER = "supplier"
    SUPPLIER_USCC = "supplier_uscc"
    SUPPLIER_REGION = "supplier_region"
    # a place that may be the shipment's destination (Country, 目的国): read, never taken
    # for the supplier's location unless a mapping says so
    DESTINATION = "destination"
    BUYER = "buyer"
    BUYER_USCC = "buyer_uscc"
    COMPONENT = "component"
    COMPONENT_CODE = "component_code"
    SHARE = "share"
    VOLUME = "volume"
    SINCE = "since"
    NOTE = "note"


# --------------------------------------------------------------------------- folding


def _fold(text: str) -> str:
    """Return ``text`` in NFKC, case-folded, stable under both (casefold can denormalise)."""
    folded = unicodedata.normalize("NFKC", text)
    for _ in range(3):
        again = unicodedata.normalize("NFKC", folded.casefold())
        if again == folded:
            break
        folded = again
    return folded


def _is_separator(ch: str) -> bool:
    # Punctuation, symbols, spaces and control/format characters carry no name.
    return unicodedata.category(ch)[0] in "PSZC"


def _compact(text: str) -> str:
    return "".join(ch for ch in text if not _is_separator(ch))


# Full-width brackets are ASCII after NFKC; the CJK ones stay as they are.
_OPEN = "([{【〔「『〈《"
_CLOSE = ")]}】〕」』〉》"
_BRACKETED = re.compile(
    f"[{re.escape(_OPEN)}]([^{re.escape(_OPEN + _CLOSE)}]*)[{re.escape(_CLOSE)}]"
)

# --------------------------------------------------------------------------- firm names

# Chinese legal forms, longest first. 分公司 (a branch) is deliberately absent: a branch
# is registered on its own and must not silently become its parent firm. 控股 and
# "holdings" stay too: a holding company is a different firm from its subsidiary.
_CN_LEGAL = tuple(
    sorted(
        (
            "股份有限公司", "有限责任公司", "有限責任公司", "责任有限公司", "責任有限公司",
            "有限公司", "股份公司", "总公司", "總公司", "公司", "集团", "集團",
            "株式会社", "有限会社",
        ),
        key=len,
        reverse=True,
    )
)
_CN_BRANCH = ("分公司", "子公司")
_CN_PREFIXES = ("株式会社", "有限会社")
_EN_LEGAL = frozenset(
    {
        "co", "coltd", "company", "corp", "corporation", "inc", "incorporated", "ltd",
        "limited", "liability", "llc", "llp", "lp", "plc", "gmbh", "mbh", "ag", "kg",
        "kgaa", "sa", "nv", "bv", "kk", "pte", "pty", "pvt", "private", "sdn", "bhd",
        "srl", "spa", "sas", "sarl", "oy", "oyj", "ab", "asa", "as", "se", "group",
    }
)
# Bracketed parts that only qualify a name: partnership forms, 集团, former names.
_QUALIFIERS = frozenset(
    {"有限合伙", "普通合伙", "特殊普通合伙", "有限合夥", "普通合夥", "特殊普通合夥",
     "集团", "集團", "group"}
)
_FORMER = ("原", "曾用名", "formerly", "former")
_JOINERS = str.maketrans("", "", ".'’‘`´")
_TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]+")


def normalise_name(text: str) -> str:
    """Return the matching key of a firm or component name (``""`` only for blank text).

    The key is the name in NFKC (full-width forms folded), case-folded, without spaces
    or punctuation, without legal forms at its end (有限公司, 股份有限公司, 集团,
    Co., Ltd., Inc., GmbH …, removed repeatedly) and without bracketed qualifiers that
    name a place, a partnership form or a former name (（上海）, (Shenzhen),
    （有限合伙）). Branches (分公司) and holdings (控股, Holdings) are kept: they are
    firms of their own. Place names at the start (深圳市…) are kept: without them
    many names would collapse into generic words. When stripping would leave nothing,
    the key falls back to the folded text. Traditional and simplified characters are
    not converted (华为 and 華為 give different keys): record both as aliases.

    The function is idempotent: ``normalise_name(normalise_name(x)) == normalise_name(x)``.

    Parameters
    ----------
    text : str
        A name as written.

    Returns
    -------
    str
        The key; equal keys mean "the same name".

    Examples
    --------
    >>> normalise_name("ＡＢＣ Co., Ltd.") == normalise_name("abc")
    True
    >>> normalise_name("紫光展锐（上海）科技有限公司") == normalise_name("紫光展锐科技")
    True
    >>> normalise_name("华为技术有限公司") == normalise_name("華為技術有限公司")
    False
    >>> normalise_name("Infineon Technologies AG")
    'infineontechnologies'
    >>> normalise_name("有限公司")
    '有限公司'
    """
    if not text.strip():
        return ""
    if len(text) > NAME_KEY_CHARS:
        # No firm is named in a thousand characters; the full rules on such a text
        # cost time that grows with the square of its length (nested brackets, legal
        # forms repeated), so it is only folded and compacted.
        return _compact(_fold(text)) or text.strip()
    key = _name_step(text)
    # One pass can expose more to strip ("华为 S.A." → "华为sa" → "华为"); a fixpoint
    # makes the key idempotent. Every further pass only removes characters.
    for _ in range(len(key) + 1):
        again = _name_step(key)
        if again == key:
            break
        key = again
    return key


NAME_KEY_CHARS = 1000
"""Names longer than this are keyed by folding alone (see :func:`normalise_name`)."""
_PLACE_CHARS = 200
_HEADER_CHARS = 200


def _name_step(text: str) -> str:
    folded = _fold(text)
    tokens = _strip_legal(_name_tokens(_drop_qualifiers(folded)))
    return (
        "".join(tokens)
        or _compact(folded)
        or "".join(folded.split())
        or text.strip()
        or text
    )


def _drop_qualifiers(folded: str) -> str:
    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        return " " if _is_qualifier(inner) else f" {inner} "

    previous = None
    while previous != folded:  # nested brackets: innermost first
        previous, folded = folded, _BRACKETED.sub(replace, folded)
    return folded


def _is_qualifier(inner: str) -> bool:
    compact = _compact(inner)
    if not compact or compact in _QUALIFIERS:
        return True
    if compact.startswith(_FORMER):
        return True
    return _default_places().is_place(inner)


def _name_tokens(folded: str) -> list[str]:
    """Return ASCII words and runs of other characters; spaces between CJK mean nothing."""
    text = folded.replace("a/s", "as").translate(_JOINERS)
    text = "".join(" " if _is_separator(ch) else ch for ch in text)
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        if tokens and not token.isascii() and not tokens[-1].isascii():
            tokens[-1] += token
        else:
            tokens.append(token)
    return tokens


def _strip_legal(tokens: list[str]) -> list[str]:
    tokens = list(tokens)
    changed = True
    while changed and tokens:
        changed = False
        last = tokens[-1]
        if last.isascii():
            if last in _EN_LEGAL and len(tokens) > 1:
                tokens.pop()
                changed = True
            continue
        if last.endswith(_CN_BRANCH):
            break
        for suffix in _CN_LEGAL:
            if last.endswith(suffix):
                rest = last[: -len(suffix)]
                if rest:
                    tokens[-1] = rest
                    changed = True
                elif len(tokens) > 1:
                    tokens.pop()
                    changed = True
                break
    if len(tokens) > 1 and tokens[0] == "the":
        tokens.pop(0)
    if tokens and not tokens[0].isascii():
        for prefix in _CN_PREFIXES:
            if tokens[0].startswith(prefix) and len(tokens[0]) > len(prefix):
                tokens[0] = tokens[0][len(prefix):]
    return tokens


_SLUG_MAX = 64


def slug(text: str) -> str:
    """Return an id-safe slug of a name: ASCII lowercase words joined by ``-``.

    Accents are transliterated (Müller → muller), legal forms at the end and former
    names in brackets dropped (Co., Ltd., AG, （原名：…）), other characters ignored.
    Names without ASCII letters give ``""``: the caller derives an id another way
    (e.g. from a hash of the key). Two different names can give the same slug; the
    caller keeps ids unique.

    Parameters
    ----------
    text : str
        A name as written.

    Returns
    -------
    str
        At most 64 characters of ``[a-z0-9-]``, or ``""``.

    Examples
    --------
    >>> slug("Infineon Technologies AG")
    'infineon-technologies'
    >>> slug("ＡＢＣ Co., Ltd.")
    'abc'
    >>> slug("TCL科技集团股份有限公司")
    'tcl'
    >>> slug("华为技术有限公司")
    ''
    """
    # A former name in brackets ("（原名：XX）") is not this name.
    named = _BRACKETED.sub(
        lambda m: " " if _compact(m.group(1)).startswith(_FORMER) else m.group(0), _fold(text)
    )
    decomposed = unicodedata.normalize("NFKD", named)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    ascii_text = ascii_text.replace("a/s", "as").translate(_JOINERS)
    words = re.findall(r"[a-z0-9]+", ascii_text)
    if not any(ch.isalpha() for word in words for ch in word):
        return ""
    while len(words) > 1 and words[-1] in _EN_LEGAL:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    out = "-".join(words)
    if len(out) > _SLUG_MAX:
        out = out[:_SLUG_MAX].rsplit("-", 1)[0] if "-" in out[:_SLUG_MAX] else out[:_SLUG_MAX]
    return out


# --------------------------------------------------------------------------- component names

COMPONENT_SUGGEST_SCORE = 75.0
"""A known component whose near-match score (0–100) reaches this is suggested."""
SIZE_CONFLICT = 0.5
"""The score is multiplied by this when both names state a size in one unit and no size
in that unit agrees (400G against 100G, 5 nm against 7 nm, 12英寸 against 8英寸)."""
_ONE_SIDED_SIZE = 2.0  # weight of a size the other name states in no unit of its kind
_QUERY_EXPONENT = 0.75  # share of the written name's coverage in the score
_MIN_IDF = 0.1

# Size units as written → one spelling; 寸 and 吋 are how wafers are sized (12寸).
_SIZE_UNITS = {"纳米": "nm", "奈米": "nm", "毫米": "mm", "微米": "um", "μm": "um",
               "英寸": "inch", "英吋": "inch", "吋": "inch", "寸": "inch", "in": "inch",
               "inches": "inch"}
_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LETTERS = "a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
# A number with its unit: letters right after it (400g, 5nm, 2.5d), a Chinese unit
# (12英寸, 7纳米), or a known unit word after a space (5 nm).
_MATCH_TOKEN = re.compile(
    rf"(?P<num>\d+(?:\.\d+)?)(?P<unit>[a-zμ]+|\s*(?:纳米|奈米|毫米|微米|英寸|英吋|吋|寸)"
    r"|\s+(?:nm|mm|um|μm|cm|inch|inches|in|g|gb|gbps|ghz|mhz|w|kw|v)(?![a-z]))?"
    rf"|(?P<word>[{_LETTERS}][{_LETTERS}0-9]*)"
    rf"|(?P<cjk>[{_CJK_RANGES}]+)"
)
_STOP_WORDS = frozenset(
    {"a", "an", "and", "as", "by", "etc", "for", "incl", "including", "of", "or", "per",
     "the", "to", "with"}
)
# Joining characters (A及B, A与B, 含…) split a Chinese run into words of their own.
_CJK_JOINERS = re.compile("[及与和的或含]")

_Key = tuple[str, str]


class _Tokens:
    """The tokens of one component name, for :class:`ComponentIndex`.

    ``words``: Latin (and Greek, Cyrillic) words, folded, a plural ``s`` dropped, stop
    words left out; ``sizes``: (number, unit) pairs; ``runs``: runs of Chinese (and
    kana) characters; ``bigrams``, ``chars`` and ``lone``: the two-character pieces,
    the characters and the one-character runs. A character of a run is shared when a
    bigram it is part of is in the other text, or when either text has it as a run of
    its own (镓 against 高纯镓).
    """

    __slots__ = ("bigrams", "chars", "keys", "lone", "probes", "runs", "size_units",
                 "sizes", "words")

    def __init__(self, text: str) -> None:
        words: set[str] = set()
        sizes: set[tuple[str, str]] = set()
        runs: list[str] = []
        for match in _MATCH_TOKEN.finditer(_fold(text[:NAME_KEY_CHARS])):
            if match["num"]:
                whole, _, fraction = match["num"].partition(".")
                fraction = fraction.rstrip("0")  # 12.0 is 12, 0.50 is 0.5, 007 is 7
                number = (whole.lstrip("0") or "0") + (f".{fraction}" if fraction else "")
                unit = (match["unit"] or "").strip()
                sizes.add((number, _SIZE_UNITS.get(unit, unit)))
            elif match["word"]:
                word = match["word"]
                if word in _STOP_WORDS:
                    continue
                if len(word) > 4 and word.endswith("ies"):
                    word = word[:-3] + "y"
                elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
                    word = word[:-1]
                words.add(word)
            else:
                runs.extend(r for r in _CJK_JOINERS.split(match["cjk"]) if r)
        self.words = frozenset(words)
        self.sizes = frozenset(sizes)
        self.size_units = frozenset(unit for _, unit in sizes)
        self.runs = tuple(runs)
        self.bigrams = frozenset(r[i:i + 2] for r in runs for i in range(len(r) - 1))
        self.chars = frozenset(ch for r in runs for ch in r)
        self.lone = frozenset(r for r in runs if len(r) == 1)
        # what weights are counted on, and what finds the names sharing something
        self.keys: frozenset[_Key] = frozenset(
            {("w", w) for w in words} | {("s", n + u) for n, u in sizes}
            | {("c", ch) for ch in self.chars}
        )
        self.probes: frozenset[_Key] = frozenset(
            {("w", w) for w in words} | {("s", n + u) for n, u in sizes}
            | {("b", b) for b in self.bigrams}
            | {("l", r) for r in self.lone}
        )

    def lookups(self) -> set[_Key]:
        """Return the probes of the names that may share something with this one."""
        found = {k for k in self.probes if k[0] != "l"}
        found |= {("l", ch) for ch in self.chars}  # their one-character runs
        found |= {("a", r) for r in self.lone}  # my one-character runs
        return found


class ComponentIndex:
    """Known components, searched for the ones a component name as written may mean.

    Each component is known by its id read as words (``optical-transceiver-400g`` →
    optical transceiver 400g), its name, its Chinese name and its aliases. A written
    name is compared with each of these texts token by token:

    - Latin words (``gan``, ``power``, ``amplifier``; a plural ``s`` dropped, ``and``,
      ``of``… left out) and sizes, a number with its unit (``400g``, ``5nm`` from
      ``5 nm``, ``12inch`` from ``12英寸`` or ``12寸``, ``7nm`` from ``7纳米``);
    - Chinese text as character bigrams: a character counts as shared when one of the
      two bigrams it belongs to occurs in the other text, so ``基带芯片`` shares all
      four characters with ``基站基带处理芯片`` (基带, 芯片) although 带芯 is not in it.
      及, 与, 和, 的, 或, 含 split a run. No dictionary is needed, and a word made of
      two shared words still matches.

    Every token weighs the square of its inverse document frequency over the known
    components, ``ln((n + 1) / (df + 0.5))²``: words most components have (设备,
    芯片, equipment) weigh little, the words that tell components apart (刻蚀, GaN,
    400G) weigh much. The coverage of a text is the weight of its shared tokens over
    the weight of all its tokens; the score is ``100 · cw^0.75 · ck^0.25``, ``cw`` the
    coverage of the written name, ``ck`` that of the known name. What was written
    weighs more: a known name that says more (基站基带处理芯片 for 基带芯片) is a
    likely match, one that explains only part of what was written (设备 for 刻蚀设备)
    is not. Sizes: when both texts state sizes in one unit and none agrees, the score
    is multiplied by :data:`SIZE_CONFLICT` (400G光模块 is not 100G光模块); a size the
    other text states in no unit of its kind weighs as little as a common character.

    A component's score is the best over its texts; it is a near match from
    :data:`COMPONENT_SUGGEST_SCORE` (75) on.

    Examples
    --------
    >>> index = ComponentIndex()
    >>> index.add("optical-transceiver-100g", ["100G optical transceiver", "100G光模块"])
    >>> index.add("optical-transceiver-400g", ["400G/800G optical transceiver",
    ...                                         "400G/800G光模块"])
    >>> index.add("equipment", ["Equipment", "设备"])
    >>> index.add("etch-equipment", ["Plasma etch equipment", "等离子体刻蚀设备"])
    >>> [i for i, _ in index.near("400G光模块")]
    ['optical-transceiver-400g']
    >>> [i for i, _ in index.near("刻蚀设备")]
    ['etch-equipment']
    >>> index.score("400G光模块", "optical-transceiver-100g") < 50
    True
    """

    def __init__(self, components: Iterable[tuple[str, Iterable[str | None]]] = ()) -> None:
        self._ids: list[str] = []
        self._texts: list[tuple[_Tokens, ...]] = []
        self._where: dict[str, int] = {}
        self._df: dict[_Key, int] = {}
        self._postings: dict[_Key, set[int]] = {}
        for ident, texts in components:
            self.add(ident, texts)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ident: str, texts: Iterable[str | None]) -> None:
        """Add a component by id and names (None and blank texts are skipped).

        Adding an id again adds the texts to that component.
        """
        fresh = tuple(_Tokens(t) for t in (ident.replace("-", " "), *texts) if t and t.strip())
        if ident in self._where:
            at = self._where[ident]
            old = self._texts[at]
        else:
            at = self._where[ident] = len(self._ids)
            self._ids.append(ident)
            self._texts.append(())
            old = ()
        known = frozenset().union(*(t.keys for t in old))
        for key in frozenset().union(*(t.keys for t in fresh)) - known:
            self._df[key] = self._df.get(key, 0) + 1
        for tokens in fresh:
            for key in tokens.probes | {("a", ch) for ch in tokens.chars}:
                self._postings.setdefault(key, set()).add(at)
        self._texts[at] = old + fresh

    def score(self, text: str, ident: str) -> float:
        """Return how well ``text`` matches the component ``ident`` (0–100; 0 if unknown)."""
        at = self._where.get(ident)
        if at is None:
            return 0.0
        return self._best(_Tokens(text), at)

    def near(
        self, text: str, *, limit: int = 3, cutoff: float = COMPONENT_SUGGEST_SCORE
    ) -> list[tuple[str, float]]:
        """Return up to ``limit`` (id, score) pairs scoring ``cutoff`` or more, best first.

        Each component appears once, with the score of its best text; ties are in id
        order.
        """
        tokens = _Tokens(text)
        candidates: set[int] = set()
        for key in tokens.lookups():
            candidates |= self._postings.get(key, set())
        scored = [(self._best(tokens, at), self._ids[at]) for at in candidates]
        found = sorted(((i, s) for s, i in scored if s >= cutoff), key=lambda p: (-p[1], p[0]))
        return found[:limit]

    def _best(self, tokens: _Tokens, at: int) -> float:
        return max((self._pair(tokens, other) for other in self._texts[at]), default=0.0)

    def _weight(self, key: _Key) -> float:
        idf = math.log((len(self._ids) + 1) / (self._df.get(key, 0) + 0.5))
        return max(idf, _MIN_IDF) ** 2

    def _pair(self, written: _Tokens, known: _Tokens) -> float:
        mine, theirs = self._coverage(written, known), self._coverage(known, written)
        if not mine or not theirs:
            return 0.0
        score = 100 * math.pow(mine, _QUERY_EXPONENT) * math.pow(theirs, 1 - _QUERY_EXPONENT)
        if _sizes_conflict(written, known):
            score *= SIZE_CONFLICT
        return round(score, 1)

    def _coverage(self, one: _Tokens, other: _Tokens) -> float:
        """Return the weight of what ``one`` shares with ``other`` over all of its weight."""
        total = shared = 0.0
        for word in one.words:
            weight = self._weight(("w", word))
            total += weight
            shared += weight if word in other.words else 0.0
        for number, unit in one.sizes:
            if unit in other.size_units:
                weight = self._weight(("s", number + unit))
                total += weight
                shared += weight if (number, unit) in other.sizes else 0.0
            else:
                total += _ONE_SIDED_SIZE
        for run in one.runs:
            for i, ch in enumerate(run):
                weight = self._weight(("c", ch))
                total += weight
                if (
                    (i > 0 and run[i - 1:i + 1] in other.bigrams)
                    or (i + 1 < len(run) and run[i:i + 2] in other.bigrams)
                    or (len(run) == 1 and ch in other.chars)
                    or ch in other.lone
                ):
                    shared += weight
        return shared / total if total else 0.0


def _sizes_conflict(one: _Tokens, other: _Tokens) -> bool:
    """Return whether the texts state sizes in a common unit and none of them agrees."""
    for unit in one.size_units & other.size_units:
        if not {s for s in one.sizes if s[1] == unit} & other.sizes:
            return True
    return False


# --------------------------------------------------------------------------- YAML files


# A safe loader (no Python objects), libyaml's when PyYAML has it: ten times faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise FileProblem(f"cannot read {path}: {e.strerror or e}") from e
    try:
        return yaml.load(text, Loader=_YAML_LOADER)  # a safe loader, see above
    except yaml.YAMLError as e:
        raise FileProblem(f"{path} is not valid YAML: {e}") from e


# --------------------------------------------------------------------------- places


class Place(NamedTuple):
    """One gazetteer entry."""

    id: str
    level: RegionLevel
    parent: str | None
    name: str
    name_zh: str
    aliases: tuple[str, ...] = ()
    part_of: str | None = None


_PLACE_SUFFIXES = tuple(
    sorted(
        (
            "特别行政区", "特別行政區", "壮族自治区", "壯族自治區", "回族自治区", "回族自治區",
            "维吾尔自治区", "維吾爾自治區", "自治区", "自治區", "省", "市",
            "specialadministrativeregion", "sar", "zhuangautonomousregion",
            "huiautonomousregion", "uygurautonomousregion", "uyghurautonomousregion",
            "autonomousregion", "province", "prefecture", "municipality", "city", "state",
        ),
        key=len,
        reverse=True,
    )
)
# Suffixes consumed after a place inside a longer Chinese text (广东省深圳市…).
_ADMIN_SUFFIXES = tuple(s for s in _PLACE_SUFFIXES if not s.isascii())
# A tail after the last place may be a district or an address (…南山区, …科苑路15号).
_TAIL_ENDS = ("区", "區", "县", "縣", "镇", "鎮", "乡", "鄉", "街道", "路", "号", "號",
              "村", "园", "園", "楼", "樓", "室", "厦", "廈")
_PART_SEPARATORS = re.compile(r"[,;/|·•、()\[\]{}\n\r\t]+")


def _place_key(text: str) -> str:
    key = _compact(_fold(text))
    if len(key) > _PLACE_CHARS:
        return key  # no place is named so long; see NAME_KEY_CHARS
    stripped = True
    while stripped:
        stripped = False
        for suffix in _PLACE_SUFFIXES:
            if key.endswith(suffix) and len(key) - len(suffix) >= 2:
                key = key[: -len(suffix)]
                stripped = True
                break
    return key


def _is_cjk_key(key: str) -> bool:
    return len(key) >= 2 and not key.isascii()


class PlaceIndex:
    """The gazetteer: region ids found from names, aliases and codes as written.

    Parameters
    ----------
    places : iterable of Place
        The entries; ids unique, every ``parent`` and ``part_of`` among them.

    Examples
    --------
    >>> index = PlaceIndex.load()
    >>> [index.resolve(t) for t in ("粤", "Guangdong Province", "深圳市", "美國", "Holland")]
    ['CN-GD', 'CN-GD', 'CN-GD-SZ', 'US', 'NL']
    >>> index.resolve("Taizhou") is None, index.candidates("Taizhou")
    (True, ('CN-JS-TZ', 'CN-ZJ-TZ'))
    >>> index.resolve("Taizhou, Zhejiang")
    'CN-ZJ-TZ'
    """

    def __init__(self, places: Iterable[Place]) -> None:
        self._places: dict[str, Place] = {}
        for place in places:
            if place.id in self._places:
                raise MappingProblem(f"gazetteer: the id {place.id} is listed twice")
            self._places[place.id] = place
        for place in self._places.values():
            for ref, what in ((place.parent, "parent"), (place.part_of, "part_of")):
                if ref is not None and ref not in self._places:
                    raise MappingProblem(
                        f"gazetteer: {place.id} has {what} {ref}, which is not an entry; "
                        "add it or correct the id"
                    )
        self._lineage = {ident: self._ancestors(ident) for ident in self._places}
        keys: dict[str, list[str]] = {}
        for place in self._places.values():
            for text in (place.id, place.name, place.name_zh, *place.aliases):
                key = _place_key(text)
                if key and place.id not in keys.setdefault(key, []):
                    keys[key].append(place.id)
        self._keys = {k: tuple(v) for k, v in keys.items()}
        self._cjk_keys = frozenset(k for k in self._keys if _is_cjk_key(k))
        self._longest = max((len(k) for k in self._cjk_keys), default=0)

    @classmethod
    def load(cls, path: Path | None = None) -> PlaceIndex:
        """Return the gazetteer read from ``path`` (default :data:`PLACES_FILE`).

        Raises FileProblem when the file cannot be read, MappingProblem when an entry
        is malformed (the message names the entry and the fix).
        """
        path = path or PLACES_FILE
        data = _read_yaml(path)
        if not isinstance(data, list):
            raise MappingProblem(f"{path}: expected a list of entries (- {{id: …, level: …}})")
        return cls(_place_entry(path, n, item) for n, item in enumerate(data, start=1))

    def _ancestors(self, ident: str) -> frozenset[str]:
        seen: set[str] = set()
        todo = [ident]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            place = self._places[current]
            todo.extend(r for r in (place.parent, place.part_of) if r is not None)
        return frozenset(seen)

    def entries(self) -> Iterator[Place]:
        """Return an iterator over the entries, in file order."""
        return iter(self._places.values())

    def entry(self, ident: str) -> Place:
        """Return the entry with id ``ident``; KeyError if there is none."""
        return self._places[ident]

    def __contains__(self, ident: object) -> bool:
        return ident in self._places

    def __len__(self) -> int:
        return len(self._places)

    def resolve(self, text: str) -> str | None:
        """Return the region id ``text`` names, or None when unknown or ambiguous.

        Accepts ids (``cn``, ``CN-GD``), English and Chinese names and aliases, with or
        without 省/市/自治区/特别行政区, Province/City/SAR; and composite texts whose
        parts lie on one line of the region tree: ``广东省深圳市``, ``中国台湾新竹``,
        ``Shenzhen, Guangdong, China``, ``深圳市南山区科苑路15号`` (the most specific
        known part wins; unknown districts and street addresses after it are ignored).

        >>> PlaceIndex.load().resolve("Shenzhen, China")
        'CN-GD-SZ'
        """
        found = self.candidates(text)
        return found[0] if len(found) == 1 else None

    def candidates(self, text: str) -> tuple[str, ...]:
        """Return every region id ``text`` may name (several when it is ambiguous)."""
        key = _place_key(text)
        if not key or len(key) > _PLACE_CHARS:
            return ()
        if key in self._keys:
            return self._keys[key]
        parts = [p for p in _PART_SEPARATORS.split(_fold(text)) if _place_key(p)]
        if len(parts) > 1:
            found = [f for f in (self.candidates(p) for p in parts) if f]
            return self._deepest(found) if found else ()
        tokens = self._segment(_compact(_fold(text)), strict=False)
        return self._deepest(tokens) if tokens else ()

    def is_place(self, text: str) -> bool:
        """Return whether the whole of ``text`` names places (no unknown remainder).

        >>> PlaceIndex.load().is_place("上海"), PlaceIndex.load().is_place("科技")
        (True, False)
        """
        key = _place_key(text)
        if not key or len(key) > _PLACE_CHARS:
            return False
        if key in self._keys:
            return True
        tokens = self._segment(_compact(_fold(text)), strict=True)
        return bool(tokens and self._deepest(tokens))

    def _segment(self, text: str, *, strict: bool) -> list[tuple[str, ...]]:
        """Return the candidates of the places ``text`` starts with, longest match first.

        Only Chinese keys of two or more characters take part: one-character
        abbreviations (粤) would match inside unrelated words. With ``strict`` the
        whole text must be places; else a district or address may follow.
        """
        if not self._cjk_keys or text.isascii():
            return []
        tokens: list[tuple[str, ...]] = []
        i, had_suffix = 0, False
        while i < len(text):
            for j in range(min(len(text), i + self._longest), i + 1, -1):
                if text[i:j] in self._cjk_keys:
                    tokens.append(self._keys[text[i:j]])
                    i = j
                    break
            else:
                break
            had_suffix = False
            for suffix in _ADMIN_SUFFIXES:
                if text.startswith(suffix, i):
                    i += len(suffix)
                    had_suffix = True
                    break
        if i == len(text):
            return tokens
        if strict or not tokens:
            return []
        tail = text[i:]
        return tokens if had_suffix or tail.endswith(_TAIL_ENDS) else []

    def _deepest(self, found: list[tuple[str, ...]]) -> tuple[str, ...]:
        """Return the most specific ids consistent with every part's candidates."""
        pool = dict.fromkeys(ident for options in found for ident in options)
        valid = [
            ident for ident in pool
            if all(any(o in self._lineage[ident] for o in options) for options in found)
        ]
        return tuple(
            ident for ident in valid
            if not any(other != ident and ident in self._lineage[other] for other in valid)
        )


def _place_entry(path: Path, number: int, item: Any) -> Place:
    where = f"{path}: entry {number}"
    if not isinstance(item, dict):
        raise MappingProblem(f"{where}: expected a mapping {{id: …, level: …, name: …}}")
    where = f"{path}: entry {number} ({item.get('id')})"
    unknown = set(item) - set(Place._fields)
    if unknown:
        raise MappingProblem(
            f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"use {', '.join(Place._fields)}"
        )
    for key in ("id", "level", "name", "name_zh"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise MappingProblem(
                f"{where}: {key} must be a non-empty text (quote values such as NO, "
                "which YAML reads as false)"
            )
    for key in ("parent", "part_of"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise MappingProblem(f"{where}: {key} must be a region id")
    aliases = item.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise MappingProblem(f"{where}: aliases must be a list of texts (quote numbers)")
    try:
        ident = parse_id(item["id"].strip())
        level = RegionLevel(parse_level(item["level"]))
    except ValueProblem as e:
        raise MappingProblem(f"{where}: {e}") from e
    return Place(
        id=ident,
        level=level,
        parent=item.get("parent"),
        name=item["name"].strip(),
        name_zh=item["name_zh"].strip(),
        aliases=tuple(a.strip() for a in aliases if a.strip()),
        part_of=item.get("part_of"),
    )


@functools.cache
def _default_places() -> PlaceIndex:
    return PlaceIndex.load()


# --------------------------------------------------------------------------- headers

# "1." "一、" "(1)" before a header: item numbers of a form.
_ITEM_NUMBER = re.compile(r"^\s*(?:\d+|[一二三四五六七八九十]+)\s*[.、:)]\s*|^\s*\(\d+\)\s*")
# Units written as a trailing word; single characters only after a separator
# ("采购额/元"), since 部件, 元器件 … end in unit characters themselves.
_UNIT_WORDS = tuple(
    sorted(
        ("百万元", "万美元", "万元", "千元", "亿元", "美元", "美金", "人民币", "欧元", "日元",
         "萬元", "億元", "人民幣", "歐元", "rmb", "cny", "usd", "eur", "jpy", "pcs", "kg",
         "千克", "万件", "萬件", "万个", "吨", "噸"),
        key=len,
        reverse=True,
    )
)
# The one-character units, and what may separate them from the header word.
_UNIT_CHARS = frozenset("元件个個台套片只吨噸万萬千k%‰")
_UNIT_SEPARATORS = frozenset("/\\_:-")


def _unit_after_separator(text: str) -> tuple[int, str] | None:
    """Return (where the separators start, unit) for text ending ``<separators><unit>``.

    The same as matching ``[\\s/\\\\_:\\-]+(unit)\\s*$``, in one pass from the end:
    the regular expression took time quadratic in the length of a run of separators.

    >>> _unit_after_separator("采购额 / 元 "), _unit_after_separator("部件")
    ((3, '元'), None)
    """
    end = len(text.rstrip())
    if end < 2 or text[end - 1] not in _UNIT_CHARS:
        return None
    start = end - 1
    while start > 0 and (text[start - 1].isspace() or text[start - 1] in _UNIT_SEPARATORS):
        start -= 1
    return (start, text[end - 1]) if start < end - 1 else None


_UNIT_LABEL = re.compile(r"^(?:单位|單位|unit|units|in)\s*[:]?\s*")


def header_key(text: str) -> str:
    """Return the matching key of a column header: folded, without numbering or units.

    >>> header_key(" 1. 采购金额（万元）") == header_key("采购 金额") == "采购金额"
    True
    >>> header_key("% of purchases")
    'ofpurchases'
    """
    if len(text) > _HEADER_CHARS:
        # Not a header: no need to look for numbering and units.
        return _compact(_fold(text))
    folded = _ITEM_NUMBER.sub("", _fold(text))
    folded = _BRACKETED.sub(" ", folded)
    after_separator = _unit_after_separator(folded)
    if after_separator is not None:
        folded = folded[: after_separator[0]]
    key = _compact(folded)
    for unit in _UNIT_WORDS:
        if key.endswith(unit) and len(key) - len(unit) >= 2:
            key = key[: -len(unit)]
            break
    return key


def header_unit(text: str) -> str | None:
    """Return the unit a header states (folded: ``万元``, ``%``, ``usd``), else None.

    >>> header_unit("采购金额（万元）"), header_unit("占比%"), header_unit("Amount USD")
    ('万元', '%', 'usd')
    >>> header_unit("供应商名称（必填）") is None
    True
    """
    if len(text) > _HEADER_CHARS:
        return None
    folded = _fold(text).strip()
    for inner in reversed(_BRACKETED.findall(folded)):
        unit = _UNIT_LABEL.sub("", inner.strip()).strip()
        if unit in _UNIT_WORDS or unit in ("%", "‰", "元", "件", "个", "個", "台", "套", "吨"):
            return unit
    found = _unit_after_separator(folded)
    if found is not None:
        return found[1]
    if folded.endswith(("%", "‰")):
        return folded[-1]
    key = _compact(folded)
    for unit in _UNIT_WORDS:
        if key.endswith(unit) and len(key) - len(unit) >= 2:
            return unit
    return None


class SynonymTable:
    """Column headers as written → importer fields.

    Parameters
    ----------
    headers : mapping of str to Field or None
        Header spellings and their field; None means "ignore this column".

    Examples
    --------
    >>> table = SynonymTable.load()
    >>> [table.field_of(h) for h in ("供應商名稱", "Supplier Name", "占比(%)", "序号")]
    [<Field.SUPPLIER: 'supplier'>, <Field.SUPPLIER: 'supplier'>, <Field.SHARE: 'share'>, None]
    >>> table.merged({"合作厂商": "supplier", "占比": "ignore"}).field_of("占比（%）") is None
    True
    """

    def __init__(self, headers: Mapping[str, Field | None]) -> None:
        self._fields = _header_fields(headers.items(), "column mapping")

    @classmethod
    def load(cls, path: Path | None = None) -> SynonymTable:
        """Return the table read from ``path`` (default :data:`SYNONYMS_FILE`).

        The file maps each field (or ``ignore``) to a list of header spellings.
        """
        path = path or SYNONYMS_FILE
        data = _read_yaml(path)
        if not isinstance(data, dict):
            raise MappingProblem(f"{path}: expected a mapping 'field: [header, …]'")
        pairs: list[tuple[str, Field | None]] = []
        for name, spellings in data.items():
            target = _target(str(name), f"{path}: {name!r}")
            if not isinstance(spellings, list) or not all(
                isinstance(s, str) for s in spellings
            ):
                raise MappingProblem(f"{path}: {name} must hold a list of header texts")
            pairs.extend((spelling, target) for spelling in spellings)
        table = cls({})
        table._fields = _header_fields(pairs, str(path))
        return table

    def field_of(self, header: str) -> Field | None:
        """Return the field a column header names, or None (unknown or ignored)."""
        return self._fields.get(header_key(header))

    def merged(self, overrides: Mapping[str, str]) -> SynonymTable:
        """Return this table with ``overrides`` (header as written → field or ``ignore``).

        Overrides win over the built-in spellings. Raises MappingProblem for a field
        name that does not exist, naming the valid ones.
        """
        mine = _header_fields(
            ((str(h), _target(str(t), f"column mapping {h!r}")) for h, t in overrides.items()),
            "column mapping",
        )
        table = SynonymTable({})
        table._fields = {**self._fields, **mine}
        return table


def _header_fields(
    pairs: Iterable[tuple[str, Field | None]], where: str
) -> dict[str, Field | None]:
    fields: dict[str, Field | None] = {}
    for header, target in pairs:
        key = header_key(header)
        if not key:
            raise MappingProblem(
                f"{where}: the header {header!r} has no letters or digits once units and "
                "punctuation are removed; map a header that names the column"
            )
        if key in fields and fields[key] != target:
            raise MappingProblem(
                f"{where}: the header {header!r} is mapped to both "
                f"{fields[key] or IGNORE} and {target or IGNORE} (headers differing only "
                "in case, spaces, punctuation or units count as one); keep one of them"
            )
        fields[key] = target
    return fields


def _target(name: str, where: str) -> Field | None:
    folded = normalise_text(name).lower()
    if folded == IGNORE:
        return None
    try:
        return Field(folded)
    except ValueError:
        raise MappingProblem(
            f"{where}: {name!r} is not a field; use one of "
            f"{', '.join(f.value for f in Field)}, or {IGNORE}"
        ) from None


__all__ = [
    "COMPONENT_SUGGEST_SCORE",
    "IGNORE",
    "SIZE_CONFLICT",
    "ComponentIndex",
    "Field",
    "MappingProblem",
    "Place",
    "PlaceIndex",
    "SynonymTable",
    "header_key",
    "header_unit",
    "normalise_name",
    "slug",
]
