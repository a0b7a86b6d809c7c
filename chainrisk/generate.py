"""Synthetic chain bundles: a deterministic generator for benchmarks and tests.

:func:`generate_bundle` writes a complete chain bundle (see data-format.md) whose shape
resembles a real key industrial chain: a few dozen countries with very uneven weight,
Chinese provinces and cities where much of the chain sits, components in tiers from raw
materials and tools up to a handful of end products, producers per component from one
(a real chokepoint) to hundreds, bills of materials with OR groups and a few cross-tier
cycles, and firm-to-firm supply links with heavy-tailed supplier preference.

Supply links are shaped so that single points of failure look like a real chain's at
any size: most links have two or three suppliers, big buyers rarely sole-source, a sole
source always sits in a lower tier than its buyer (chains of sole sources are short and
never loop), and firms supply each other in loops only around the few cross-tier cycles
of the bill of materials, which are always multi-sourced.

The same ``(firms, seed)`` always gives byte-identical files. Memory holds only compact
numpy arrays (producers per component, components per firm, inputs per component); the
supplies table, by far the largest, is drawn and written chunk by chunk of buyers.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     summary = generate_bundle(Path(tmp) / "bundle", firms=20, seed=1)
...     again = generate_bundle(Path(tmp) / "again", firms=20, seed=1)
...     names = sorted(p.name for p in summary.out_dir.iterdir())
>>> summary.rows["firms"], summary.rows == again.rows
(20, True)
>>> names[:3]
['bundle.toml', 'chains.csv', 'components.csv']
"""

from __future__ import annotations

import csv
import json
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from chainrisk.ingest.values import uscc_check_char
from chainrisk.schema import BUNDLE_KEYS, TABLES, RegionLevel, Stage

__all__ = ["MIN_FIRMS", "GenerateSummary", "generate_bundle"]

Progress = Callable[[str, int, int], None]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]

MIN_FIRMS = 10
GENERATOR_VERSION = "1.1"

# Buyers per chunk when drawing supplies: bounds memory, and fixed so that output
# does not depend on anything but (firms, seed).
_CHUNK = 50_000
# Shares are written in units of 1/10,000, floored, so the written shares of one
# group never add up to more than 1.
_SHARE_UNITS = 10_000
# Relative weight of the suppliers of one link, in the order they were drawn.
_FIRST_WEIGHT = np.array([3.0, 1.5, 1, 1, 1, 1, 1, 1])

# (id, name, name_zh, weight of firms located there, weight as the home of a
# concentrated component, legal suffix of its firms)
_COUNTRIES: tuple[tuple[str, str, str, float, float, str], ...] = (
    ("CN", "China", "中国", 0.46, 0.20, ""),
    ("US", "United States", "美国", 0.10, 0.20, "Inc."),
    ("JP", "Japan", "日本", 0.08, 0.20, "Corporation"),
    ("TW", "Taiwan", "中国台湾", 0.06, 0.10, "Corp."),
    ("KR", "South Korea", "韩国", 0.05, 0.07, "Co., Ltd."),
    ("DE", "Germany", "德国", 0.04, 0.07, "GmbH"),
    ("NL", "Netherlands", "荷兰", 0.015, 0.06, "B.V."),
    ("FR", "France", "法国", 0.015, 0.01, "SAS"),
    ("GB", "United Kingdom", "英国", 0.015, 0.02, "Ltd"),
    ("SG", "Singapore", "新加坡", 0.015, 0.01, "Pte. Ltd."),
    ("MY", "Malaysia", "马来西亚", 0.015, 0.005, "Sdn. Bhd."),
    ("VN", "Viet Nam", "越南", 0.02, 0.0, "JSC"),
    ("IN", "India", "印度", 0.015, 0.0, "Pvt. Ltd."),
    ("TH", "Thailand", "泰国", 0.01, 0.0, "Co., Ltd."),
    ("IL", "Israel", "以色列", 0.008, 0.01, "Ltd."),
    ("IE", "Ireland", "爱尔兰", 0.005, 0.0, "Ltd"),
    ("IT", "Italy", "意大利", 0.008, 0.0, "S.p.A."),
    ("CH", "Switzerland", "瑞士", 0.008, 0.02, "AG"),
    ("SE", "Sweden", "瑞典", 0.006, 0.0, "AB"),
    ("FI", "Finland", "芬兰", 0.004, 0.0, "Oy"),
    ("CA", "Canada", "加拿大", 0.006, 0.0, "Inc."),
    ("MX", "Mexico", "墨西哥", 0.008, 0.0, "S.A. de C.V."),
    ("PH", "Philippines", "菲律宾", 0.008, 0.0, "Inc."),
    ("BE", "Belgium", "比利时", 0.004, 0.005, "NV"),
    ("AT", "Austria", "奥地利", 0.004, 0.005, "AG"),
)
_CN = 0  # index of China in _COUNTRIES

# (ISO 3166-2 suffix, name, name_zh, GB/T 2260 code, weight of Chinese firms there)
_PROVINCES: tuple[tuple[str, str, str, str, float], ...] = (
    ("GD", "Guangdong", "广东", "44", 0.22),
    ("JS", "Jiangsu", "江苏", "32", 0.17),
    ("SH", "Shanghai", "上海", "31", 0.12),
    ("ZJ", "Zhejiang", "浙江", "33", 0.09),
    ("BJ", "Beijing", "北京", "11", 0.07),
    ("SC", "Sichuan", "四川", "51", 0.04),
    ("HB", "Hubei", "湖北", "42", 0.04),
    ("AH", "Anhui", "安徽", "34", 0.04),
    ("FJ", "Fujian", "福建", "35", 0.03),
    ("SD", "Shandong", "山东", "37", 0.03),
    ("SN", "Shaanxi", "陕西", "61", 0.025),
    ("TJ", "Tianjin", "天津", "12", 0.02),
    ("CQ", "Chongqing", "重庆", "50", 0.02),
    ("HN", "Hunan", "湖南", "43", 0.015),
    ("LN", "Liaoning", "辽宁", "21", 0.015),
    ("HA", "Henan", "河南", "41", 0.01),
    ("JX", "Jiangxi", "江西", "36", 0.01),
    ("HE", "Hebei", "河北", "13", 0.006),
    ("SX", "Shanxi", "山西", "14", 0.004),
    ("NM", "Inner Mongolia", "内蒙古", "15", 0.004),
    ("JL", "Jilin", "吉林", "22", 0.004),
    ("HL", "Heilongjiang", "黑龙江", "23", 0.004),
    ("GX", "Guangxi", "广西", "45", 0.004),
    ("HI", "Hainan", "海南", "46", 0.003),
    ("GZ", "Guizhou", "贵州", "52", 0.004),
    ("YN", "Yunnan", "云南", "53", 0.003),
    ("XZ", "Tibet", "西藏", "54", 0.001),
    ("GS", "Gansu", "甘肃", "62", 0.003),
    ("QH", "Qinghai", "青海", "63", 0.001),
    ("NX", "Ningxia", "宁夏", "64", 0.002),
    ("XJ", "Xinjiang", "新疆", "65", 0.002),
)

# (id, name, name_zh, chief, end products as (name, name_zh))
_CHAINS: tuple[tuple[str, str, str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "ic",
        "Integrated circuits",
        "集成电路",
        "Chain chief office, integrated circuits (synthetic)",
        (("Smartphone", "智能手机"), ("Server", "服务器"), ("Laptop", "笔记本电脑"),
         ("Tablet", "平板电脑")),
    ),
    (
        "nev",
        "New energy vehicles",
        "新能源汽车",
        "Chain chief office, new energy vehicles (synthetic)",
        (("Electric car", "电动汽车"), ("Electric bus", "电动客车"),
         ("Energy storage system", "储能系统")),
    ),
    (
        "5g",
        "5G communications",
        "5G通信",
        "Chain chief office, 5G communications (synthetic)",
        (("5G base station", "5G基站"), ("Core router", "核心路由器"),
         ("Optical transport system", "光传输设备")),
    ),
)

# Tiers below the end products: (stage, share of the non-end components, categories as
# (category, share of the tier, base names as (name, name_zh))).
_Vocab = tuple[tuple[str, float, tuple[tuple[str, str], ...]], ...]
_TIERS: tuple[tuple[Stage, float, _Vocab], ...] = (
    (
        Stage.UPSTREAM,
        0.28,
        (
            ("raw material", 0.55, (
                ("High-purity silicon", "高纯硅"), ("Quartz sand", "石英砂"),
                ("Rare earth oxide", "稀土氧化物"), ("Gallium", "镓"), ("Germanium", "锗"),
                ("Lithium carbonate", "碳酸锂"), ("Cobalt", "钴"), ("Copper", "铜"),
                ("Specialty gas", "特种气体"), ("Photoresist", "光刻胶"),
                ("Wet chemical", "湿电子化学品"), ("Polysilicon", "多晶硅"),
            )),
            ("equipment", 0.3, (
                ("Lithography scanner", "光刻机"), ("Etcher", "刻蚀机"),
                ("Deposition tool", "薄膜沉积设备"), ("Ion implanter", "离子注入机"),
                ("CMP tool", "化学机械抛光设备"), ("Wafer inspection tool", "晶圆检测设备"),
                ("Test handler", "测试分选机"), ("Coating line", "涂布设备"),
            )),
            ("software", 0.15, (
                ("EDA suite", "EDA软件"), ("IP core", "IP核"),
                ("Industrial software", "工业软件"), ("Firmware toolchain", "固件工具链"),
            )),
        ),
    ),
    (
        Stage.UPSTREAM,
        0.24,
        (
            ("material", 1.0, (
                ("Silicon wafer", "硅片"), ("Photomask", "光掩模"),
                ("Sputtering target", "溅射靶材"), ("Package substrate", "封装基板"),
                ("Cathode material", "正极材料"), ("Anode material", "负极材料"),
                ("Electrolyte", "电解液"), ("Separator", "隔膜"), ("Copper foil", "铜箔"),
                ("Glass substrate", "玻璃基板"), ("Fiber preform", "光纤预制棒"),
                ("Copper clad laminate", "覆铜板"),
            )),
        ),
    ),
    (
        Stage.MIDSTREAM,
        0.2,
        (
            ("device", 1.0, (
                ("Logic chip", "逻辑芯片"), ("Memory chip", "存储芯片"),
                ("Power semiconductor", "功率半导体"), ("Analog chip", "模拟芯片"),
                ("Microcontroller", "微控制器"), ("RF front-end chip", "射频前端芯片"),
                ("Image sensor", "图像传感器"), ("Optical chip", "光芯片"),
                ("Battery cell", "电芯"), ("Passive component", "被动元件"),
            )),
        ),
    ),
    (
        Stage.MIDSTREAM,
        0.16,
        (
            ("module", 1.0, (
                ("Display panel", "显示面板"), ("Camera module", "摄像头模组"),
                ("Battery module", "电池模组"), ("Power module", "电源模块"),
                ("Optical module", "光模块"), ("Circuit board assembly", "电路板组件"),
                ("Antenna module", "天线模组"), ("Motor", "电机"),
                ("Memory module", "内存模组"),
            )),
        ),
    ),
    (
        Stage.DOWNSTREAM,
        0.12,
        (
            ("subsystem", 1.0, (
                ("Battery pack", "电池包"), ("Mainboard", "主板"),
                ("Baseband unit", "基带单元"), ("Radio unit", "射频单元"),
                ("Electric drive system", "电驱系统"), ("Vehicle controller", "整车控制器"),
                ("Server chassis", "服务器机箱"), ("Touch display assembly", "触控显示总成"),
            )),
        ),
    ),
)
_END_STAGE = Stage.DOWNSTREAM
_CHIP_TIERS = (2, 3)  # tiers whose components a tool may require (cross-tier cycles)

# Firm names: pinyin syllables for Chinese firms, made-up Latin ones for the rest.
_SYLLABLES_ZH: tuple[tuple[str, str], ...] = (
    ("Hua", "华"), ("Xin", "芯"), ("Jing", "晶"), ("Wei", "微"), ("Zhong", "中"),
    ("Tian", "天"), ("Long", "龙"), ("Guang", "光"), ("Rui", "瑞"), ("Hong", "宏"),
    ("Sheng", "盛"), ("Tai", "泰"), ("Xing", "星"), ("Hai", "海"), ("Feng", "丰"),
    ("Yuan", "源"), ("Kang", "康"), ("Da", "达"), ("Heng", "恒"), ("Xun", "讯"),
    ("Chuang", "创"), ("Ke", "科"), ("Jia", "嘉"), ("Cheng", "诚"), ("Ming", "明"),
    ("An", "安"), ("Fu", "福"), ("Yi", "亿"), ("Bo", "博"), ("Tong", "通"),
)
_INDUSTRIES_ZH: tuple[tuple[str, str], ...] = (
    ("Semiconductor", "半导体"), ("Electronics", "电子"), ("Microelectronics", "微电子"),
    ("Materials", "材料"), ("Technology", "科技"), ("Precision", "精密"),
    ("Optoelectronics", "光电"), ("Equipment", "装备"), ("Chemical", "化工"),
    ("Communication", "通信"), ("Intelligent", "智能"), ("New Energy", "新能源"),
)
_SYLLABLES_LATIN: tuple[str, ...] = (
    "Ar", "Bel", "Cor", "Dex", "El", "Fen", "Gal", "Hel", "Ix", "Jor", "Kel", "Lum",
    "Mar", "Nor", "Or", "Pra", "Quin", "Ros", "Sol", "Tav", "Ul", "Ven", "Wex", "Xan",
    "Yor", "Zel", "Cal", "Ter", "Vor", "Nym",
)
_INDUSTRIES_LATIN: tuple[str, ...] = (
    "Semiconductor", "Materials", "Systems", "Devices", "Photonics", "Instruments",
    "Technologies", "Electronics", "Microsystems", "Chemicals", "Precision", "Networks",
)
_SOURCES_PRODUCES: tuple[str, ...] = (
    "annual report (synthetic)", "industry survey (synthetic)",
    "analyst estimate (synthetic)",
)
_SOURCES_SUPPLIES: tuple[str, ...] = (
    "supplier list (synthetic)", "customs records (synthetic)",
    "annual report (synthetic)", "site visit (synthetic)",
)


@dataclass(frozen=True)
class GenerateSummary:
    """What :func:`generate_bundle` wrote: the folder, its size and the rows per table."""

    out_dir: Path
    firms: int
    seed: int
    rows: Mapping[str, int] = field(hash=False)


@dataclass(frozen=True)
class _Regions:
    ids: list[str]
    country_ids: list[str]  # region index of every country is its index in _COUNTRIES
    province_index: IntArray  # region index of every province, in _PROVINCES order
    province_of: IntArray  # per region: province position, or -1 (countries)
    city_ptr: IntArray  # cities of province p: region indices city_ptr[p]:city_ptr[p+1]
    city_number: IntArray  # per region: number of the city within its province, or 0


@dataclass(frozen=True)
class _Firms:
    n: int
    country: IntArray
    region: IntArray
    size: FloatArray  # heavy-tailed; drives breadth, market share and supplier preference


@dataclass(frozen=True)
class _Components:
    n: int
    tier: IntArray
    category: list[str]
    name: list[str]
    name_zh: list[str]
    end_chain: IntArray  # chain of an end product, else -1
    req_ptr: IntArray  # inputs of c: req_input[req_ptr[c]:req_ptr[c+1]]
    req_input: IntArray
    req_group: list[str]  # per requires row
    chains: IntArray  # bit mask of the chains each component serves


@dataclass(frozen=True)
class _Produces:
    comp_ptr: IntArray  # producers of c: firm[comp_ptr[c]:comp_ptr[c+1]]
    firm: IntArray  # rows sorted by (component, firm)
    comp: IntArray
    by_firm: IntArray  # row order sorted by (firm, component)
    firm_ptr: IntArray  # rows of firm f: by_firm[firm_ptr[f]:firm_ptr[f+1]]


def generate_bundle(
    out_dir: Path,
    firms: int,
    seed: int = 0,
    *,
    progress: Progress | None = None,
) -> GenerateSummary:
    """Return the summary of a synthetic chain bundle written to out_dir.

    Parameters
    ----------
    out_dir : Path
        Folder to write; created if missing, and it must be empty if it exists.
    firms : int
        Number of firms, at least :data:`MIN_FIRMS`. Components grow sub-linearly with it
        (about ``0.8 * firms ** 0.8``, at least 30); supplies are about 3 to 6 per firm.
    seed : int
        Seed of ``numpy.random.default_rng``; the same ``(firms, seed)`` gives
        byte-identical files.
    progress : callable, optional
        Called as ``progress(stage, done, total)`` as work advances. ``stage`` is a table
        name; ``done`` and ``total`` count rows, except for ``supplies`` where they count
        buyer firms (its row count is not known before it is drawn).

    Returns
    -------
    GenerateSummary
        The folder, the firm count, the seed and the rows written per table.

    Raises
    ------
    TypeError
        If ``firms`` is not an integer.
    ValueError
        If ``firms`` is below :data:`MIN_FIRMS` or ``seed`` is negative.
    FileExistsError
        If ``out_dir`` exists and is not an empty folder.

    Examples
    --------
    >>> import csv, tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     summary = generate_bundle(Path(tmp) / "b", firms=20, seed=7)
    ...     with open(summary.out_dir / "firms.csv", encoding="utf-8") as fh:
    ...         header = next(csv.reader(fh))
    >>> header[:3], summary.rows["regions"] >= 25 + 31
    (['id', 'name', 'name_zh'], True)
    """
    if isinstance(firms, bool) or not hasattr(firms, "__index__"):
        raise TypeError(f"firms must be an integer, got {type(firms).__name__}")
    firms = operator.index(firms)
    if firms < MIN_FIRMS:
        raise ValueError(f"firms must be at least {MIN_FIRMS} to build a chain, got {firms}")
    if isinstance(seed, bool) or not hasattr(seed, "__index__") or operator.index(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = operator.index(seed)
    out_dir = Path(out_dir)
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir} exists and is a file; give a new or empty folder")
        if any(out_dir.iterdir()):
            raise FileExistsError(
                f"{out_dir} is not empty; give a new or empty folder so no file is overwritten"
            )
    out_dir.mkdir(parents=True, exist_ok=True)

    report: Progress = progress if progress is not None else _no_progress
    # One independent stream per stage, so that changing one stage leaves the others as
    # they were.
    (
        r_firms, r_comps, r_requires, r_produces, r_chains, r_columns, r_supplies,
    ) = np.random.default_rng(seed).spawn(7)

    n_cities = min(300, max(3, firms // 150))
    regions = _make_regions(n_cities)
    firm_data = _make_firms(r_firms, firms, regions)
    n_comp = max(30, round(0.8 * firms**0.8))
    n_chains = 1 if firms < 500 else 2 if firms < 10_000 else 3
    # Who makes what does not depend on the bill of materials, and the cross-tier
    # cycles of the bill of materials are placed where the makers allow a supply cycle.
    produces = _make_produces(r_produces, firm_data, n_comp)
    comps = _make_components(r_comps, r_requires, n_comp, n_chains, produces)
    leaders = _chain_leaders(r_chains, n_chains, firm_data, comps, produces)

    rows: dict[str, int] = {}
    rows["regions"] = _write_regions(out_dir, regions, report)
    firm_ids = _ids("f", firms)
    comp_ids = _ids("c", comps.n)
    rows["firms"] = _write_firms(out_dir, r_columns, firm_data, regions, firm_ids, leaders,
                                 report)
    rows["chains"] = _write_chains(out_dir, n_chains, firm_ids, leaders, report)
    rows["components"] = _write_components(out_dir, comps, comp_ids, report)
    rows["requires"] = _write_requires(out_dir, r_columns, comps, comp_ids, report)
    rows["produces"] = _write_produces(out_dir, r_columns, firm_data, regions, comps, produces,
                                       firm_ids, comp_ids, report)
    rows["supplies"] = _write_supplies(out_dir, r_supplies, firm_data, comps, produces,
                                       firm_ids, comp_ids, report)
    _write_meta(out_dir, firms, seed)
    return GenerateSummary(out_dir, firms, seed, MappingProxyType(rows))


def _no_progress(stage: str, done: int, total: int) -> None:
    """Return None; the progress callback used when the caller gives none."""


# ----------------------------------------------------------------------------- drawing


def _ids(prefix: str, n: int) -> ObjArray:
    """Return ``n`` zero-padded ids such as ``f00042`` as an object array of str."""
    width = max(4, len(str(n - 1)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(n)], dtype=object)


def _weights(values: Sequence[float]) -> FloatArray:
    """Return ``values`` as probabilities summing to 1."""
    arr = np.asarray(values, dtype=np.float64)
    out: FloatArray = arr / arr.sum()
    return out


def _zipf(n: int, exponent: float) -> FloatArray:
    """Return Zipf-like probabilities for ranks ``1..n``."""
    return _weights((1.0 / np.arange(1, n + 1) ** exponent).tolist())


def _segment_cdf(ptr: IntArray, weights: FloatArray) -> FloatArray:
    """Return per-row ``segment + cumulative weight within its segment`` (last = seg + 1).

    Every segment must be non-empty. Drawing row ``i`` of segment ``s`` with probability
    ``weights[i] / sum(segment)`` is then one ``searchsorted(cdf, s + u, "right")``.
    """
    counts = np.diff(ptr)
    seg = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    cum = np.cumsum(weights)
    before = np.concatenate(([0.0], cum))[ptr[:-1]]
    totals = cum[ptr[1:] - 1] - before
    within = (cum - before[seg]) / totals[seg]
    within[ptr[1:] - 1] = 1.0
    out: FloatArray = seg.astype(np.float64) + np.minimum(within, 1.0)
    return out


def _draw_in_segments(
    rng: np.random.Generator, cdf: FloatArray, segments: IntArray
) -> IntArray:
    """Return one row index per entry of ``segments``, drawn by the weights of ``cdf``."""
    # below 1 by a margin, so that ``s + u`` never rounds up into the next segment
    u = np.minimum(rng.random(segments.shape), 1.0 - 1e-9)
    picked = np.searchsorted(cdf, segments + u, side="right")
    return np.minimum(picked, len(cdf) - 1).astype(np.int64)


def _block_sizes(total: int, shares: Sequence[float], minimum: int) -> list[int]:
    """Return ``total`` split by ``shares`` (largest remainder), each part ≥ ``minimum``."""
    raw = np.asarray(shares, dtype=np.float64) / sum(shares) * (total - minimum * len(shares))
    sizes = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - sizes), kind="stable")
    sizes[order[: total - minimum * len(shares) - int(sizes.sum())]] += 1
    return [int(s) + minimum for s in sizes]


def _make_regions(n_cities: int) -> _Regions:
    """Return countries, then Chinese provinces, then a few cities per busy province."""
    ids = [c[0] for c in _COUNTRIES]
    n_prov = len(_PROVINCES)
    province_index = np.arange(len(ids), len(ids) + n_prov, dtype=np.int64)
    ids += [f"CN-{p[0]}" for p in _PROVINCES]
    # Busy provinces get more cities; the smallest may get none.
    per_prov = np.floor(_weights([p[4] for p in _PROVINCES]) * n_cities).astype(np.int64)
    per_prov[0] += n_cities - int(per_prov.sum())
    city_ptr = np.concatenate(([len(ids)], len(ids) + np.cumsum(per_prov))).astype(np.int64)
    province_of = np.full(len(ids) + n_cities, -1, dtype=np.int64)
    province_of[province_index] = np.arange(n_prov)
    city_number = np.zeros(len(ids) + n_cities, dtype=np.int64)
    for p, count in enumerate(per_prov.tolist()):
        for k in range(count):
            index = int(city_ptr[p]) + k
            ids.append(f"CN-{_PROVINCES[p][0]}-C{k + 1:04d}")
            province_of[index] = p
            city_number[index] = k + 1
    return _Regions(ids, [c[0] for c in _COUNTRIES], province_index, province_of, city_ptr,
                    city_number)


def _make_firms(rng: np.random.Generator, n: int, regions: _Regions) -> _Firms:
    """Return firm countries, HQ regions (heavy-tailed by province and city) and sizes."""
    country = rng.choice(len(_COUNTRIES), size=n, p=_weights([c[3] for c in _COUNTRIES]))
    country = country.astype(np.int64)
    country[0] = _CN  # the home country always has firms
    region = country.copy()  # a country's region index is its index in _COUNTRIES
    chinese = np.flatnonzero(country == _CN)
    prov = rng.choice(len(_PROVINCES), size=len(chinese),
                      p=_weights([p[4] for p in _PROVINCES]))
    in_city = rng.random(len(chinese)) < 0.75
    hq = regions.province_index[prov]
    for p in range(len(_PROVINCES)):
        lo, hi = int(regions.city_ptr[p]), int(regions.city_ptr[p + 1])
        sel = np.flatnonzero((prov == p) & in_city)
        if hi > lo and len(sel):
            hq[sel] = lo + rng.choice(hi - lo, size=len(sel), p=_zipf(hi - lo, 1.1))
    region[chinese] = hq
    size = rng.pareto(1.3, size=n) + 1.0
    return _Firms(n, country, region, size)


def _make_components(
    rng: np.random.Generator, rng_req: np.random.Generator, n: int, n_chains: int,
    produces: _Produces,
) -> _Components:
    """Return the components by tier with their bill of materials (requires rows)."""
    n_end = min(12, max(3, n_chains, round(n**0.5 / 20)))
    tier_sizes = [*_block_sizes(n - n_end, [t[1] for t in _TIERS], 3), n_end]
    tier = np.repeat(np.arange(len(tier_sizes), dtype=np.int64), tier_sizes)
    tier_ptr = np.concatenate(([0], np.cumsum(tier_sizes))).astype(np.int64)
    category: list[str] = []
    name: list[str] = []
    name_zh: list[str] = []
    for t, (_stage, _share, vocab) in enumerate(_TIERS):
        cat_sizes = _block_sizes(tier_sizes[t], [v[1] for v in vocab], 1)
        for (cat, _cshare, bases), size in zip(vocab, cat_sizes, strict=True):
            for k in range(size):
                base, base_zh = bases[k % len(bases)]
                variant = k // len(bases) + 1
                category.append(cat)
                name.append(f"{base} {variant}")
                name_zh.append(f"{base_zh}{variant}")
    end_chain = np.full(n, -1, dtype=np.int64)
    for j in range(n_end):
        chain = j % n_chains
        products = _CHAINS[chain][4]
        base, base_zh = products[(j // n_chains) % len(products)]
        variant = j // (n_chains * len(products))
        category.append("end product")
        name.append(base if variant == 0 else f"{base} {variant + 1}")
        name_zh.append(base_zh if variant == 0 else f"{base_zh}{variant + 1}")
        end_chain[int(tier_ptr[-2]) + j] = chain

    inputs, groups = _make_requires(rng_req, tier, tier_ptr, category,
                                    _base_makers(tier, produces))
    counts = np.array([len(x) for x in inputs], dtype=np.int64)
    req_ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    req_input = np.array([i for x in inputs for i in x], dtype=np.int64)
    req_group = [g for x in groups for g in x]

    # Chains: an end product serves its chain and so does everything it needs; the
    # cycle rows (a tool needing a higher-tier chip) point upwards and are skipped.
    chains = np.zeros(n, dtype=np.int64)
    chains[end_chain >= 0] = 1 << end_chain[end_chain >= 0]
    fallback = rng.integers(0, n_chains, size=n)
    for c in range(n - 1, -1, -1):
        if chains[c] == 0:
            chains[c] = 1 << int(fallback[c])
        for i in inputs[c]:
            if i < c:
                chains[i] |= chains[c]
    return _Components(n, tier, category, name, name_zh, end_chain, req_ptr, req_input,
                       req_group, chains)


def _base_makers(tier: IntArray, produces: _Produces) -> IntArray:
    """Return a ``2 × components`` array: row 0 counts the producers of each component,
    row 1 those of them that make nothing in a tier above it."""
    top = np.zeros(len(produces.firm_ptr) - 1, dtype=np.int64)
    np.maximum.at(top, produces.firm, tier[produces.comp])
    makers = np.diff(produces.comp_ptr)
    flat = top[produces.firm] == tier[produces.comp]
    base = np.bincount(produces.comp[flat], minlength=len(tier))
    out: IntArray = np.stack((makers, base)).astype(np.int64)
    return out


def _make_requires(
    rng: np.random.Generator, tier: IntArray, tier_ptr: IntArray, category: list[str],
    makers: IntArray,
) -> tuple[list[list[int]], list[list[str]]]:
    """Return per component its inputs and their groups ("" = needed, "gN" = OR group).

    ``makers`` is the output of :func:`_base_makers`; it steers where the cross-tier
    cycles go (see below).
    """
    n = len(tier)
    n_tiers = len(tier_ptr) - 1
    # Popularity inside each tier: a few inputs (a key chip, a wafer) are used by many.
    popular: list[FloatArray] = []
    for t in range(n_tiers):
        size = int(tier_ptr[t + 1] - tier_ptr[t])
        cdf = np.cumsum(_zipf(size, 0.9)[rng.permutation(size)])
        cdf[-1] = 1.0
        popular.append(cdf)
    inputs: list[list[int]] = [[] for _ in range(n)]
    groups: list[list[str]] = [[] for _ in range(n)]
    n_rows = rng.choice([2, 3, 4, 5, 6], size=n, p=[0.15, 0.25, 0.25, 0.2, 0.15])
    n_groups = rng.choice([0, 1, 2], size=n, p=[0.62, 0.3, 0.08])
    draws = rng.random((n, 24))

    def pick(t: int, u: float, v: float, used: dict[int, str]) -> int:
        # source tier: mostly the tier just below, sometimes any lower one
        src = t - 1 if t == 1 or v < 0.65 else int(v * 1000) % (t - 1)
        lo = int(tier_ptr[src])
        size = int(tier_ptr[src + 1]) - lo
        k = int(np.searchsorted(popular[src], u, side="right"))
        for step in range(size):
            cand = lo + (k + step) % size
            if cand not in used:
                return cand
        return -1

    for c in range(int(tier_ptr[1]), n):
        t = int(tier[c])
        used: dict[int, str] = {}
        d = draws[c]
        pos = 0
        rows = int(n_rows[c])  # 2 to 6 rows, an OR group's members included
        for g in range(int(n_groups[c])):
            # an OR group leaves room for at least one needed input besides it
            want = min(2 if d[pos] < 0.7 else 3, rows - len(used) - 1)
            if want < 2:
                break
            # alternatives are neighbours in one tier: similar parts of one category
            first = pick(t, d[pos + 1], d[pos + 2], used)
            pos += 3
            if first < 0:
                break
            src = int(tier[first])
            lo, size = int(tier_ptr[src]), int(tier_ptr[src + 1] - tier_ptr[src])
            members = [first]
            for step in range(1, size):
                cand = lo + (first - lo + step) % size
                if len(members) == want:
                    break
                if cand not in used and cand not in members:
                    members.append(cand)
            if len(members) < 2:
                break
            for m in members:
                used[m] = f"g{g + 1}"
        for _ in range(rows - len(used)):
            cand = pick(t, d[pos % 24], d[(pos + 1) % 24], used)
            pos += 2
            if cand >= 0:
                used[cand] = ""
        inputs[c] = sorted(used)
        groups[c] = [used[i] for i in inputs[c]]

    # A few cross-tier cycles: a tool (or a raw material) that needs a chip which is
    # itself made, some tiers down, with that tool. The firms close the loop too (the
    # tool's makers buy the chip; see _write_supplies), and the loop stays small: the
    # chip preferably has two to four makers, and the tool, among those the chip is
    # made with, preferably has two or more makers that make nothing above the bottom
    # tier (so every tier can buy it from them); of these, the one fewest components
    # use, then with the fewest makers, then equipment, then nearest to the chip.
    n_cycles = 1 + min(5, n // 400)
    users = np.bincount(np.array([i for x in inputs for i in x], dtype=np.int64), minlength=n)
    chips = np.concatenate([np.arange(tier_ptr[t], tier_ptr[t + 1]) for t in _CHIP_TIERS])
    chips = rng.permutation(chips)
    few = (makers[0, chips] >= 2) & (makers[0, chips] <= 4)
    flat = few & (makers[1, chips] == makers[0, chips])
    suits = np.zeros(n, dtype=np.int64)  # 2: few makers, none above the tier; 1: few
    suits[chips] = few.astype(np.int64) + flat
    for chip in np.concatenate((chips[flat], chips[few & ~flat], chips[~few])).tolist():
        if n_cycles == 0:
            break
        depth = {chip: 0}
        queue = [chip]
        for x in queue:
            for i in inputs[x]:
                if i not in depth:
                    depth[i] = depth[x] + 1
                    queue.append(i)
        roots = sorted(i for i in depth if tier[i] == 0 and not inputs[i])
        roots = [i for i in roots if makers[1, i] >= 2] or roots
        if not roots:
            continue
        score = {i: (int(users[i]), int(makers[0, i]), category[i] != "equipment", depth[i])
                 for i in roots}
        best = min(score.values())
        tools = [i for i in roots if score[i] == best]
        tool = tools[int(rng.integers(len(tools)))]
        t = int(tier[chip])
        lo, size = int(tier_ptr[t]), int(tier_ptr[t + 1] - tier_ptr[t])
        if rng.random() < 0.5:
            # an alternative chip: the next one of the tier that suits a loop as well
            nearby = [lo + (chip - lo + k) % size for k in range(1, size)]
            alt = next((a for a in nearby if suits[a] >= suits[chip]), nearby[0])
            inputs[tool], groups[tool] = sorted([chip, alt]), ["g1", "g1"]
        else:
            inputs[tool], groups[tool] = [chip], [""]
        n_cycles -= 1
    return inputs, groups


def _make_produces(rng: np.random.Generator, firms: _Firms, n_c: int) -> _Produces:
    """Return who makes what: heavy-tailed producers per component, every firm making one.

    About one component in ten has exactly one producer (a chokepoint); one in seven of
    the others is made in a single country only.
    """
    n_f = firms.n
    target = 1.4 * n_f  # produces rows aimed at
    n_single = max(2, round(0.1 * n_c))
    order = rng.permutation(n_c)
    single = np.zeros(n_c, dtype=bool)
    single[order[:n_single]] = True
    mean_multi = max(2.0, (target - n_single) / (n_c - n_single))
    sigma = 1.1
    extra = (mean_multi - 2.0) * rng.lognormal(-sigma * sigma / 2, sigma, size=n_c)
    k = np.where(single, 1, 2 + np.floor(extra)).astype(np.int64)
    k = np.minimum(k, max(2, n_f // 2))

    # Single-country components, drawn from that country's firms by size.
    by_country = [np.flatnonzero(firms.country == c) for c in range(len(_COUNTRIES))]
    country_cdf = [np.cumsum(np.sqrt(firms.size[pool])) for pool in by_country]
    conc_p = _weights([c[4] for c in _COUNTRIES])
    concentrated = (~single) & (rng.random(n_c) < 0.15)
    pairs_c: list[IntArray] = []
    pairs_f: list[IntArray] = []
    for c in np.flatnonzero(concentrated).tolist():
        country = int(rng.choice(len(_COUNTRIES), p=conc_p))
        pool = by_country[country]
        if len(pool) < 2:
            concentrated[c] = False
            continue
        cdf = country_cdf[country]
        picked = np.searchsorted(cdf, rng.random(int(k[c])) * cdf[-1], side="right")
        pairs_f.append(pool[np.minimum(picked, len(pool) - 1)])
        pairs_c.append(np.full(int(k[c]), c, dtype=np.int64))
    covered = np.zeros(n_f, dtype=bool)
    for f in pairs_f:
        covered[f] = True

    # Every other firm makes at least one component; bigger firms make more.
    general = np.flatnonzero(~concentrated)
    slots = np.repeat(general, k[general])
    rng.shuffle(slots)
    uncovered = rng.permutation(np.flatnonzero(~covered))
    if len(uncovered) > len(slots):
        multi = general[k[general] >= 2]
        pool_c = multi if len(multi) else general
        cdf = np.cumsum(k[pool_c]).astype(np.float64)
        more = np.searchsorted(cdf, rng.random(len(uncovered) - len(slots)) * cdf[-1],
                               side="right")
        slots = np.concatenate((slots, pool_c[np.minimum(more, len(pool_c) - 1)]))
        slot_firms = uncovered
    else:
        cdf = np.cumsum(np.sqrt(firms.size))
        rest = np.searchsorted(cdf, rng.random(len(slots) - len(uncovered)) * cdf[-1],
                               side="right")
        slot_firms = np.concatenate((uncovered, np.minimum(rest, n_f - 1)))
    pairs_c.append(slots.astype(np.int64))
    pairs_f.append(slot_firms.astype(np.int64))

    key = np.unique(np.concatenate(pairs_c) * n_f + np.concatenate(pairs_f))
    comp = key // n_f
    firm = key % n_f
    comp_ptr = np.searchsorted(comp, np.arange(n_c + 1)).astype(np.int64)
    by_firm = np.argsort(firm * n_c + comp, kind="stable").astype(np.int64)
    firm_ptr = np.searchsorted(firm[by_firm], np.arange(n_f + 1)).astype(np.int64)
    return _Produces(comp_ptr, firm.astype(np.int64), comp.astype(np.int64), by_firm,
                     firm_ptr)


def _chain_leaders(
    rng: np.random.Generator, n_chains: int, firms: _Firms, comps: _Components,
    produces: _Produces,
) -> list[list[int]]:
    """Return per chain its leader firms: the largest Chinese makers of its end products."""
    leaders: list[list[int]] = []
    taken: set[int] = set()
    for chain in range(n_chains):
        makers: set[int] = set()
        for c in np.flatnonzero(comps.end_chain == chain).tolist():
            makers.update(produces.firm[produces.comp_ptr[c]:produces.comp_ptr[c + 1]].tolist())
        pool = sorted(makers - taken) or sorted(makers) or list(range(firms.n))
        home = [f for f in pool if firms.country[f] == _CN] or pool
        home.sort(key=lambda f: (-firms.size[f], f))
        chosen = home[: 1 + int(rng.random() < 0.5)]
        taken.update(chosen)
        leaders.append(sorted(chosen))
    return leaders


# ----------------------------------------------------------------------------- writing


@contextmanager
def _table(out_dir: Path, name: str) -> Iterator[Any]:
    """Yield a csv writer for table ``name`` whose header row is already written."""
    handle: TextIO
    with open(out_dir / TABLES[name].filename, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TABLES[name].column_names)
        yield writer


def _columns(table: str, values: Mapping[str, Sequence[Any]], n: int) -> Iterator[tuple[Any, ...]]:
    """Return rows in the table's column order; a column not in ``values`` is left empty."""
    empty = [""] * n
    cols = [values.get(c, empty) for c in TABLES[table].column_names]
    return zip(*cols, strict=True)


def _optional(mask: BoolArray, text: Sequence[str] | ObjArray) -> list[str]:
    """Return ``text`` where ``mask`` holds and "" elsewhere (missing values)."""
    out = np.full(len(mask), "", dtype=object)
    out[mask] = np.asarray(text, dtype=object)[mask]
    return list(out.tolist())


_SHARE_TEXT: ObjArray = np.array(
    [""] + [f"{k / _SHARE_UNITS:.4f}".rstrip("0") for k in range(1, _SHARE_UNITS)] + ["1"],
    dtype=object,
)


def _share_units(fractions: FloatArray, cover: FloatArray) -> IntArray:
    """Return shares floored to units of 1/10,000 (0 = too small to write, left empty)."""
    return np.floor(fractions * cover * _SHARE_UNITS).astype(np.int64)


def _write_regions(out_dir: Path, regions: _Regions, report: Progress) -> int:
    """Return the number of regions written to regions.csv."""
    rows: list[tuple[str, ...]] = []
    for cid, cname, czh, *_ in _COUNTRIES:
        rows.append((cid, cname, czh, RegionLevel.COUNTRY.value, ""))
    for code, pname, pzh, *_ in _PROVINCES:
        rows.append((f"CN-{code}", pname, pzh, RegionLevel.PROVINCE.value, "CN"))
    for index in range(len(rows), len(regions.ids)):
        code, pname, pzh, *_ = _PROVINCES[int(regions.province_of[index])]
        k = int(regions.city_number[index])
        rows.append((regions.ids[index], f"{pname} city {k}", f"{pzh}第{k}市",
                     RegionLevel.CITY.value, f"CN-{code}"))
    with _table(out_dir, "regions") as writer:
        cols = {c: [r[i] for r in rows] for i, c in
                enumerate(("id", "name", "name_zh", "level", "parent"))}
        writer.writerows(_columns("regions", cols, len(rows)))
    report("regions", len(rows), len(rows))
    return len(rows)


def _mixed_radix(value: int, base: int, digits: int) -> list[int]:
    """Return ``value`` in ``base``, least significant first, at least ``digits`` long."""
    out: list[int] = []
    while value or len(out) < digits:
        out.append(value % base)
        value //= base
    return out


def _firm_name(index: int, country: int, province: int) -> tuple[str, str, str]:
    """Return the (name, name_zh, short alias) of the firm with unique name ``index``.

    ``index`` is unique among firms of the same naming scheme (Chinese or foreign), so
    names never collide, not even after legal suffixes are stripped.
    """
    if country == _CN:
        ind_en, ind_zh = _INDUSTRIES_ZH[index % len(_INDUSTRIES_ZH)]
        syl = [_SYLLABLES_ZH[d] for d in _mixed_radix(index // len(_INDUSTRIES_ZH),
                                                      len(_SYLLABLES_ZH), 2)]
        brand = "".join(s[0] for s in syl).capitalize()
        brand_zh = "".join(s[1] for s in syl)
        _code, pname, pzh, *_ = _PROVINCES[province]
        return (f"{pname} {brand} {ind_en} Co., Ltd.", f"{pzh}{brand_zh}{ind_zh}有限公司",
                f"{brand} {ind_en};{brand_zh}{ind_zh}")
    ind = _INDUSTRIES_LATIN[index % len(_INDUSTRIES_LATIN)]
    digits = _mixed_radix(index // len(_INDUSTRIES_LATIN), len(_SYLLABLES_LATIN), 2)
    brand = "".join(_SYLLABLES_LATIN[d] for d in digits).capitalize()
    suffix = _COUNTRIES[country][5]
    return f"{brand} {ind} {suffix}", "", f"{brand} {ind}"


def _uscc(body: int, province: int, city: int) -> str:
    """Return a valid 18-character unified social credit code for a Chinese firm.

    ``91`` (an enterprise registered with market regulation), the six-digit division
    code of its province and city, a nine-character organisation code (eight digits and
    its GB 11714 check character), then the GB 32100-2015 check character.
    """
    division = f"{_PROVINCES[province][3]}{city % 100:02d}{(body // 7) % 20:02d}"
    org = f"{body:08d}"
    total = sum(int(ch) * w for ch, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    org += "X" if check == 10 else "0" if check == 11 else str(check)
    first17 = f"91{division}{org}"
    return first17 + uscc_check_char(first17)


def _write_firms(
    out_dir: Path, rng: np.random.Generator, firms: _Firms, regions: _Regions,
    firm_ids: ObjArray, leaders: list[list[int]], report: Progress,
) -> int:
    """Return the number of firms written to firms.csv, chunk by chunk."""
    n = firms.n
    region_ids = np.array(regions.ids, dtype=object)
    province = regions.province_of[firms.region]
    # Unique name numbers per naming scheme, in shuffled order so that neighbouring ids
    # do not get neighbouring names.
    chinese = firms.country == _CN
    name_no = np.empty(n, dtype=np.int64)
    for mask in (chinese, ~chinese):
        idx = np.flatnonzero(mask)
        name_no[idx] = rng.permutation(len(idx))
    leader = np.zeros(n, dtype=bool)
    for chain_leaders in leaders:
        leader[chain_leaders] = True
    # USCC bodies: an affine bijection of the firm index, so no two firms share one.
    offset = int(rng.integers(10**7))
    has_uscc = chinese & (rng.random(n) < 0.3)
    has_alias = rng.random(n) < 0.12
    listed_p = np.minimum(0.9, 0.02 * firms.size)
    listed_draw = rng.random(n)
    listed = np.where(listed_draw < listed_p, "true",
                      np.where(listed_draw < listed_p + 0.4, "false", "")).astype(object)
    employees = np.maximum(3, np.round(firms.size * 40 * rng.lognormal(0, 0.6, n)))
    has_employees = rng.random(n) < 0.6
    revenue = firms.size * 6 * rng.lognormal(0, 0.7, n)
    has_revenue = rng.random(n) < 0.5
    with _table(out_dir, "firms") as writer:
        for lo in range(0, n, _CHUNK):
            hi = min(n, lo + _CHUNK)
            names = [
                _firm_name(int(name_no[f]), int(firms.country[f]), int(province[f]))
                for f in range(lo, hi)
            ]
            uscc = [
                _uscc((f * 7_654_321 + offset) % 10**8, int(province[f]),
                      int(regions.city_number[firms.region[f]]))
                if has_uscc[f] else ""
                for f in range(lo, hi)
            ]
            sl = slice(lo, hi)
            cols: dict[str, Sequence[Any]] = {
                "id": firm_ids[sl].tolist(),
                "name": [x[0] for x in names],
                "name_zh": [x[1] for x in names],
                "aliases": [x[2] if a else "" for x, a in zip(names, has_alias[sl], strict=True)],
                "uscc": uscc,
                "region": region_ids[firms.region[sl]].tolist(),
                "chain_leader": np.where(leader[sl], "true", "false").tolist(),
                "listed": listed[sl].tolist(),
                "employees": _optional(has_employees[sl],
                                       [str(int(e)) for e in employees[sl].tolist()]),
                "revenue_musd": _optional(has_revenue[sl],
                                          [f"{r:.1f}" for r in revenue[sl].tolist()]),
            }
            writer.writerows(_columns("firms", cols, hi - lo))
            report("firms", hi, n)
    return n


def _write_chains(
    out_dir: Path, n_chains: int, firm_ids: ObjArray, leaders: list[list[int]],
    report: Progress,
) -> int:
    """Return the number of chains written to chains.csv."""
    with _table(out_dir, "chains") as writer:
        cols: dict[str, Sequence[Any]] = {
            "id": [c[0] for c in _CHAINS[:n_chains]],
            "name": [c[1] for c in _CHAINS[:n_chains]],
            "name_zh": [c[2] for c in _CHAINS[:n_chains]],
            "chief": [c[3] for c in _CHAINS[:n_chains]],
            "leader_firms": [";".join(firm_ids[f] for f in fs) for fs in leaders],
        }
        writer.writerows(_columns("chains", cols, n_chains))
    report("chains", n_chains, n_chains)
    return n_chains


def _write_components(
    out_dir: Path, comps: _Components, comp_ids: ObjArray, report: Progress
) -> int:
    """Return the number of components written to components.csv."""
    stages = [t[0].value for t in _TIERS] + [_END_STAGE.value]
    chain_text = [
        ";".join(c[0] for j, c in enumerate(_CHAINS) if mask >> j & 1)
        for mask in range(1 << len(_CHAINS))
    ]
    n = comps.n
    with _table(out_dir, "components") as writer:
        cols: dict[str, Sequence[Any]] = {
            "id": comp_ids.tolist(),
            "name": comps.name,
            "name_zh": comps.name_zh,
            "chains": [chain_text[m] for m in comps.chains.tolist()],
            "stage": [stages[t] for t in comps.tier.tolist()],
            "category": comps.category,
            "end_product": np.where(comps.end_chain >= 0, "true", "false").tolist(),
        }
        writer.writerows(_columns("components", cols, n))
    report("components", n, n)
    return n


def _write_requires(
    out_dir: Path, rng: np.random.Generator, comps: _Components, comp_ids: ObjArray,
    report: Progress,
) -> int:
    """Return the number of bill-of-materials rows written to requires.csv."""
    n = len(comps.req_input)
    product = np.repeat(np.arange(comps.n), np.diff(comps.req_ptr))
    quantity = rng.integers(1, 9, size=n)
    kind = rng.random(n)
    qty_text = [str(q) if k < 0.4 else f"{q / 4:g}" for q, k in
                zip(quantity.tolist(), kind.tolist(), strict=True)]
    with _table(out_dir, "requires") as writer:
        cols: dict[str, Sequence[Any]] = {
            "product": comp_ids[product].tolist(),
            "input": comp_ids[comps.req_input].tolist(),
            "group": comps.req_group,
            "quantity": _optional(kind < 0.5, qty_text),
        }
        writer.writerows(_columns("requires", cols, n))
    report("requires", n, n)
    return n


def _write_produces(
    out_dir: Path, rng: np.random.Generator, firms: _Firms, regions: _Regions,
    comps: _Components, produces: _Produces, firm_ids: ObjArray, comp_ids: ObjArray,
    report: Progress,
) -> int:
    """Return the number of rows written to produces.csv (market shares, sites)."""
    n = len(produces.firm)
    firm = produces.firm
    # Market shares follow firm size with noise; the given shares of a component cover
    # 80-100 % of its market, and some are not given at all.
    weight = firms.size[firm] * rng.lognormal(0.0, 0.5, n)
    seg = produces.comp
    totals = np.bincount(seg, weights=weight, minlength=comps.n)
    cover = rng.uniform(0.8, 1.0, comps.n)
    cover[rng.random(comps.n) < 0.3] = 1.0
    units = _share_units(weight / totals[seg], cover[seg])
    has_share = (units > 0) & (rng.random(n) < 0.88)
    capacity = np.round(firms.size[firm] * 1000 * rng.lognormal(0, 1.0, n))
    has_capacity = rng.random(n) < 0.35
    # Some production happens away from the HQ: Chinese firms in other provinces,
    # foreign firms in China or in another country.
    n_prov = len(_PROVINCES)
    abroad = rng.random(n) < 0.12
    hq = firms.region[firm]
    to_china = (firms.country[firm] == _CN) | (rng.random(n) < 0.5)
    site_prov = rng.choice(n_prov, size=n, p=_weights([p[4] for p in _PROVINCES]))
    site_country = rng.choice(len(_COUNTRIES), size=n, p=_weights([c[3] for c in _COUNTRIES]))
    site = np.where(to_china, regions.province_index[site_prov], site_country)
    hq_prov = regions.province_of[hq]
    clash = (site == hq) | ((hq_prov >= 0) & (regions.province_of[site] == hq_prov))
    fallback = np.where(hq_prov >= 0, regions.province_index[(hq_prov + 1) % n_prov],
                        regions.province_index[1])
    site = np.where(clash, fallback, site)
    region_ids = np.array(regions.ids, dtype=object)
    source = np.array(_SOURCES_PRODUCES, dtype=object)[rng.integers(0, 3, n)]
    has_source = rng.random(n) < 0.3
    done = 0
    with _table(out_dir, "produces") as writer:
        for lo in range(0, n, 4 * _CHUNK):
            rows = produces.by_firm[lo: lo + 4 * _CHUNK]
            m = len(rows)
            cols: dict[str, Sequence[Any]] = {
                "firm": firm_ids[firm[rows]].tolist(),
                "component": comp_ids[produces.comp[rows]].tolist(),
                "share": _optional(has_share[rows], _SHARE_TEXT[units[rows].clip(0, _SHARE_UNITS)]),
                "capacity": _optional(has_capacity[rows],
                                      [str(int(c)) for c in capacity[rows].tolist()]),
                "site_region": _optional(abroad[rows], region_ids[site[rows]]),
                "source": _optional(has_source[rows], source[rows]),
            }
            writer.writerows(_columns("produces", cols, m))
            done += m
            report("produces", done, n)
    return n


@dataclass(frozen=True)
class _SupplierIndex:
    """Producers of every component ordered by supplier rank, for drawing suppliers.

    A firm's rank is its top tier (the highest tier it makes a component in) plus a
    random fraction, scaled into ``[0, 1)``. Rows of a component are sorted by the
    rank of their firm, so the producers ranked below a buyer are a prefix of the
    component's rows, found with one ``searchsorted`` on ``key``.
    """

    top: IntArray  # per firm: highest tier it makes a component in
    rank: FloatArray  # per firm: (top + fraction) / number of tiers
    firm: IntArray  # produces rows sorted by (component, rank of the firm)
    key: FloatArray  # per sorted row: component + rank of its firm (ascending)
    cum: FloatArray  # size of the firms of sorted rows before row i (len rows + 1)
    n_tiers: int


def _supplier_index(
    rng: np.random.Generator, firms: _Firms, comps: _Components, produces: _Produces
) -> _SupplierIndex:
    """Return the producers of every component sorted by supplier rank (see the class)."""
    n_tiers = int(comps.tier.max()) + 1
    top = np.zeros(firms.n, dtype=np.int64)
    np.maximum.at(top, produces.firm, comps.tier[produces.comp])
    rank = (top + rng.random(firms.n)) / n_tiers
    order = np.lexsort((rank[produces.firm], produces.comp))
    firm = produces.firm[order]
    key = produces.comp[order] + rank[firm]
    cum = np.concatenate(([0.0], np.cumsum(firms.size[firm])))
    return _SupplierIndex(top, rank, firm, key, cum, n_tiers)


def _write_supplies(
    out_dir: Path, rng: np.random.Generator, firms: _Firms, comps: _Components,
    produces: _Produces, firm_ids: ObjArray, comp_ids: ObjArray, report: Progress,
) -> int:
    """Return the number of supply links written to supplies.csv, drawn per buyer chunk.

    A firm making a component buys some of that component's inputs, each from one to
    three makers of the input, chosen in proportion to their size (so a few suppliers
    have very many customers); it never buys from itself. The links are shaped so that
    single points of failure stay realistic at any size:

    - Suppliers come from firms ranked below the buyer (a lower top tier, or the same
      top tier and a lower random fraction), so the supply network is acyclic except
      where the buyer needs something only higher-ranked firms make: the cross-tier
      cycles of the bill of materials (a tool that needs a chip). Such upward links
      always have two or more suppliers; when fewer can be found the link is left out.
    - Few links are sole-sourced by choice, and the bigger the buyer the fewer (big
      firms dual-source); a sole source always has a strictly lower top tier than its
      buyer, so chains of sole sources are short (at most one step per tier) and never
      loop. Components with a single producer (chokepoints) stay sole-sourced.
    """
    n_f, n_c = firms.n, comps.n
    index = _supplier_index(rng, firms, comps, produces)
    source_text = np.array(_SOURCES_SUPPLIES, dtype=object)
    years = np.array([str(y) for y in range(2005, 2026)], dtype=object)
    draws = 6  # candidate suppliers drawn per link, duplicates and self removed
    written = 0
    with _table(out_dir, "supplies") as writer:
        for lo in range(0, n_f, _CHUNK):
            hi = min(n_f, lo + _CHUNK)
            rows = produces.by_firm[produces.firm_ptr[lo]:produces.firm_ptr[hi]]
            made = produces.comp[rows]
            buyer_of_row = produces.firm[rows]
            n_in = comps.req_ptr[made + 1] - comps.req_ptr[made]
            total = int(n_in.sum())
            start = np.repeat(comps.req_ptr[made] - (np.cumsum(n_in) - n_in), n_in)
            inputs = comps.req_input[start + np.arange(total)]
            buyers = np.repeat(buyer_of_row, n_in)
            # Some inputs are bought from other firms; an input from the same tier or
            # above (a cross-tier cycle: a tool that needs a chip) always is.
            upward_row = comps.tier[inputs] >= comps.tier[np.repeat(made, n_in)]
            bought = (rng.random(total) < 0.65) | upward_row
            key = np.unique(buyers[bought] * n_c + inputs[bought])
            buyer = key // n_c
            comp = key % n_c
            links = len(key)
            # Where each link may draw from: rows [first, last) of the sorted producers.
            first = produces.comp_ptr[comp]
            end = produces.comp_ptr[comp + 1]
            below = np.clip(np.searchsorted(index.key, comp + index.rank[buyer], side="left"),
                            first, end)
            lower_tier = np.clip(np.searchsorted(index.key,
                                                 comp + index.top[buyer] / index.n_tiers,
                                                 side="left"), first, below)
            # Sole sourcing by choice: rarer the bigger the buyer, and only from a
            # lower tier; otherwise two or three suppliers are wanted.
            size = firms.size[buyer]
            sole = (rng.random(links) < np.minimum(0.06, 0.06 / size)) & (lower_tier > first)
            want = np.where(sole, 1, np.where(rng.random(links) < 0.64, 2, 3))
            upward = below == first  # nobody ranked below the buyer makes it
            # Buying upwards happens only for an input from the buyer's top tier or above
            # (the cross-tier cycles of the bill of materials); otherwise the buyer's
            # link to that input is left out.
            upward_ok = upward & (comps.tier[comp] >= index.top[buyer])
            last = np.where(sole, lower_tier, np.where(upward, end, below))
            weight_lo = index.cum[first]
            span = index.cum[last] - weight_lo
            u = rng.random((links, draws))
            pos = np.searchsorted(index.cum, weight_lo[:, None] + u * span[:, None],
                                  side="right") - 1
            pos = np.clip(pos, first[:, None], last[:, None] - 1)
            # Two fallback candidates, the next rows after the first draw, so that one
            # big producer drawn again and again does not leave a link sole-sourced.
            n_rows = last - first
            step = np.arange(1, 3)
            nxt = first[:, None] + (pos[:, :1] - first[:, None] + step) % n_rows[:, None]
            cand = index.firm[np.concatenate((pos, nxt), axis=1)]
            ok = cand != buyer[:, None]
            for j in range(1, draws + 2):
                for i in range(j):
                    ok[:, j] &= cand[:, j] != cand[:, i]
            kept = ok & (np.cumsum(ok, axis=1) <= want[:, None])
            # A lone supplier must sit in a lower tier than its buyer: an upward link (a
            # cross-tier cycle) or one within a tier is left out rather than sole-sourced.
            lone = kept.sum(axis=1) == 1
            only = cand[np.arange(links), np.argmax(kept, axis=1)]
            kept[lone & (index.top[only] >= index.top[buyer])] = False
            kept[upward & ~upward_ok] = False
            # Shares of one (buyer, component): the first supplier tends to get most.
            weight = rng.exponential(1.0, cand.shape) * _FIRST_WEIGHT[: cand.shape[1]]
            weight = np.where(kept, weight, 0.0)
            row_total = weight.sum(axis=1)
            row_total[row_total == 0] = 1.0
            cover = np.where(rng.random(links) < 0.4, 1.0, rng.uniform(0.6, 1.0, links))
            units = _share_units(weight / row_total[:, None], cover[:, None])
            li, dj = np.nonzero(kept)
            m = len(li)
            units_k = units[li, dj]
            has_share = (units_k > 0) & (rng.random(m) < 0.88)
            volume = np.round(firms.size[cand[li, dj]] * 200 * rng.lognormal(0, 1.0, m))
            has_volume = rng.random(m) < 0.4
            since = years[rng.integers(0, len(years), m)]
            has_since = rng.random(m) < 0.5
            source = source_text[rng.integers(0, len(source_text), m)]
            has_source = rng.random(m) < 0.25
            cols: dict[str, Sequence[Any]] = {
                "supplier": firm_ids[cand[li, dj]].tolist(),
                "buyer": firm_ids[buyer[li]].tolist(),
                "component": comp_ids[comp[li]].tolist(),
                "share": _optional(has_share, _SHARE_TEXT[units_k.clip(0, _SHARE_UNITS)]),
                "volume": _optional(has_volume, [str(int(v)) for v in volume.tolist()]),
                "since": _optional(has_since, since),
                "source": _optional(has_source, source),
            }
            writer.writerows(_columns("supplies", cols, m))
            written += m
            report("supplies", hi, n_f)
    return written


def _toml(value: str | list[str]) -> str:
    """Return ``value`` as a TOML basic string or array of them."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _write_meta(out_dir: Path, firms: int, seed: int) -> None:
    """Return None; writes bundle.toml with the bundle's name, note and licence."""
    meta: dict[str, str | list[str]] = {
        "name": f"synthetic-{firms}-s{seed}",
        "version": GENERATOR_VERSION,
        "description": (
            f"Synthetic supply-chain bundle: {firms} firms, seed {seed}, written by "
            "chainrisk.generate for benchmarks and tests"
        ),
        "home_country": "CN",
        "home_region": "CN-GD",
        "sources": [],
        "license": "CC0-1.0",
        "note": (
            "Synthetic data: every firm, code, share and link is made up by a random "
            "generator and describes no real company"
        ),
    }
    assert set(meta) <= set(BUNDLE_KEYS)
    text = "".join(f"{key} = {_toml(value)}\n" for key, value in meta.items())
    (out_dir / "bundle.toml").write_text(text, encoding="utf-8")
