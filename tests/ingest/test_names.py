"""Name keys, slugs, the region gazetteer and the header synonym table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrisk.ingest.csvfile import FileProblem
from chainrisk.ingest.names import (
    SYNONYMS_FILE,
    Field,
    MappingProblem,
    Place,
    PlaceIndex,
    SynonymTable,
    header_key,
    header_unit,
    normalise_name,
    slug,
)
from chainrisk.schema import RegionLevel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def places() -> PlaceIndex:
    return PlaceIndex.load()


@pytest.fixture(scope="module")
def synonyms() -> SynonymTable:
    return SynonymTable.load()


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("written", "known"),
    [
        ("华为技术有限公司", "华为技术"),
        ("ＡＢＣ Co., Ltd.", "abc"),
        ("紫光展锐（上海）科技有限公司", "紫光展锐科技"),
        ("比亚迪股份有限公司", "比亚迪"),
        ("比亚迪集团", "比亚迪"),
        ("比亚迪 股份 有限公司", "比亚迪"),
        ("中芯国际集成电路制造(上海)有限公司", "中芯国际集成电路制造有限公司"),
        ("京东方科技集团股份有限公司", "京东方科技"),
        ("中国电子信息产业集团有限公司", "中国电子信息产业集团总公司"),
        ("富士康（昆山）电脑接插件有限公司", "富士康电脑接插件"),
        ("博世（中国）投资有限公司", "博世投资有限公司"),
        ("有研新材料股份有限公司（原名：有研半导体材料股份有限公司）", "有研新材料"),
        ("深创投红土（有限合伙）", "深创投红土"),
        ("Foxconn (Kunshan) Co., Ltd.", "FOXCONN"),
        ("Taiwan Semiconductor Manufacturing Co., Ltd.", "Taiwan Semiconductor Manufacturing"),
        ("Samsung Electronics Co.,Ltd.", "samsung electronics"),
        ("Infineon Technologies AG", "INFINEON TECHNOLOGIES"),
        ("Texas Instruments Incorporated", "Texas Instruments Inc."),
        ("The Dow Chemical Company", "Dow Chemical"),
        ("ASML Netherlands B.V.", "asml netherlands"),
        ("Robert Bosch GmbH & Co. KG", "Robert Bosch"),
        ("AT&T Inc.", "AT & T"),
        ("株式会社村田製作所", "村田製作所"),
        ("Ｍｕｒａｔａ　Ｍａｎｕｆａｃｔｕｒｉｎｇ", "Murata Manufacturing Co., Ltd."),
    ],
)
def test_names_that_must_match(written: str, known: str) -> None:
    assert normalise_name(written) == normalise_name(known)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("华为技术有限公司", "华为终端有限公司"),
        ("华为技术有限公司", "華為技術有限公司"),  # simplified vs traditional: not folded
        ("华为技术有限公司", "华为技术有限公司深圳分公司"),  # a branch is its own firm
        ("华为投资控股有限公司", "华为技术有限公司"),  # a holding is its own firm
        ("深圳市汇顶科技股份有限公司", "上海汇顶科技股份有限公司"),  # leading places stay
        ("中国移动通信集团有限公司", "中国联合网络通信集团有限公司"),
        ("ASML Holding N.V.", "ASML Netherlands B.V."),
        ("Texas Instruments", "Texas"),
        ("Apple Inc.", "Applied Materials, Inc."),
        ("长江存储科技有限责任公司", "长江存储"),
    ],
)
def test_names_that_must_not_match(one: str, other: str) -> None:
    assert normalise_name(one) != normalise_name(other)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("有限公司", "有限公司"),  # nothing but a legal form: keep it
        ("Co., Ltd.", "co"),
        ("（上海）", "上海"),
        ("（）", "()"),
        ("   ", ""),
        ("", ""),
        ("0402 电容 (10uF)", "0402电容10uf"),
    ],
)
def test_edge_cases_never_empty(written: str, key: str) -> None:
    assert normalise_name(written) == key


_NAME_PARTS = st.sampled_from(
    ["华为", "技术", "有限公司", "股份", "集团", "公司", "分公司", "（上海）", "(Shenzhen)",
     " Co.", ", Ltd.", " Inc", " s.a.", "ＡＢＣ", "abc", " ", "·", "（", "）", "the ", "株式会社",
     "（有限合伙）", "Group", "ß", "ﬁ", "İ", "\u200b", "\u3000", "1", "A/S", "原名"]
)


@given(st.lists(_NAME_PARTS, max_size=8).map("".join) | st.text(max_size=30))
def test_normalise_name_is_idempotent_and_never_empty(text: str) -> None:
    key = normalise_name(text)
    assert normalise_name(key) == key
    assert (key == "") == (text.strip() == "")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Infineon Technologies AG", "infineon-technologies"),
        ("ＡＢＣ Co., Ltd.", "abc"),
        ("Robert Bosch GmbH & Co. KG", "robert-bosch"),
        ("Müller Électronique S.A.", "muller-electronique"),
        ("TCL科技集团股份有限公司", "tcl"),
        ("3M中国有限公司", "3m"),
        ("华为技术有限公司", ""),
        ("360", ""),
        ("Co., Ltd.", "co"),
        ("立讯精密（原名：Luxshare）", ""),
    ],
)
def test_slug(written: str, expected: str) -> None:
    assert slug(written) == expected


@given(st.text(max_size=40))
def test_slugs_are_id_safe(text: str) -> None:
    out = slug(text)
    assert len(out) <= 64
    assert all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in out)
    assert out == out.lower()
    assert not out.startswith("-")
    assert not out.endswith("-")


# --------------------------------------------------------------------------- places


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("广东", "CN-GD"), ("粤", "CN-GD"), ("廣東省", "CN-GD"), ("Guangdong Province", "CN-GD"),
        ("GUANGDONG", "CN-GD"), ("cn-gd", "CN-GD"),
        ("深圳市", "CN-GD-SZ"), ("深圳", "CN-GD-SZ"), ("Shenzhen City", "CN-GD-SZ"),
        ("上海", "CN-SH"), ("沪", "CN-SH"), ("上海市", "CN-SH"),
        ("USA", "US"), ("美國", "US"), ("United States of America", "US"), ("us", "US"),
        ("台湾", "TW"), ("台灣", "TW"), ("中国台湾", "TW"), ("Taiwan", "TW"), ("CN-TW", "TW"),
        ("Holland", "NL"), ("荷兰", "NL"), ("The Netherlands", "NL"),
        ("韩国", "KR"), ("南韩", "KR"), ("Korea", "KR"),
        ("香港", "HK"), ("Hong Kong SAR", "HK"), ("香港特别行政区", "HK"),
        ("日本", "JP"), ("德国", "DE"), ("中國", "CN"), ("CN", "CN"), ("cn", "CN"),
        ("ＵＳＡ", "US"), ("广西壮族自治区", "CN-GX"), ("Tibet", "CN-XZ"), ("新竹", "TW-HSZ"),
        ("Xi'an", "CN-SN-XA"), ("XIAN", "CN-SN-XA"), ("NO", "NO"),
    ],
)
def test_resolve_names_aliases_and_codes(places: PlaceIndex, text: str, region: str) -> None:
    assert places.resolve(text) == region


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("广东省深圳市", "CN-GD-SZ"),
        ("广东深圳", "CN-GD-SZ"),
        ("中国广东", "CN-GD"),
        ("江苏省苏州市昆山市", "CN-JS-KS"),
        ("深圳市南山区科苑路15号", "CN-GD-SZ"),
        ("中国台湾新竹", "TW-HSZ"),
        ("Shenzhen, Guangdong, China", "CN-GD-SZ"),
        ("Suzhou (Jiangsu)", "CN-JS-SZ"),
        ("Taizhou, Zhejiang", "CN-ZJ-TZ"),
        ("泰州", "CN-JS-TZ"),
        ("Hong Kong, China", "HK"),
        ("China / Taiwan", "TW"),
    ],
)
def test_resolve_composite_texts(places: PlaceIndex, text: str, region: str) -> None:
    assert places.resolve(text) == region


@pytest.mark.parametrize(
    "text",
    ["", "   ", "Taizhou", "Suzhou, Anhui", "Hong Kong / Shenzhen", "吉安", "新乡",
     "广东深圳南山", "国外", "Atlantis", "N/A", "蒙古"],
)
def test_unknown_or_ambiguous_regions_give_none(places: PlaceIndex, text: str) -> None:
    assert places.resolve(text) is None


def test_ambiguity_is_visible(places: PlaceIndex) -> None:
    assert places.candidates("Taizhou") == ("CN-JS-TZ", "CN-ZJ-TZ")
    assert places.candidates("Atlantis") == ()


def test_gazetteer_covers_what_the_brief_asks(places: PlaceIndex) -> None:
    entries = list(places.entries())
    countries = [e for e in entries if e.level is RegionLevel.COUNTRY]
    provinces = [e for e in entries if e.level is RegionLevel.PROVINCE and e.parent == "CN"]
    cities = [e for e in entries if e.level is RegionLevel.CITY and e.id.startswith("CN-")]
    assert len(countries) >= 60
    # 31 mainland divisions plus Taiwan, Hong Kong and Macao (TW, HK, MO, part of CN)
    assert len(provinces) == 31
    assert {e.id for e in entries if e.part_of == "CN"} == {"TW", "HK", "MO"}
    assert len(cities) >= 60
    assert places.entry("CN-GD-SZ") == Place(
        "CN-GD-SZ", RegionLevel.CITY, "CN-GD", "Shenzhen", "深圳市", ("深圳", "鹏城", "鵬城")
    )


def test_only_known_spellings_are_ambiguous(places: PlaceIndex) -> None:
    ambiguous = {
        text for e in places.entries() for text in (e.name, e.name_zh, *e.aliases)
        if len(places.candidates(text)) > 1
    }
    assert ambiguous == {"Taizhou"}


def test_every_name_of_an_entry_resolves_to_it(places: PlaceIndex) -> None:
    wrong = [
        (e.id, text, places.candidates(text))
        for e in places.entries() for text in (e.id, e.name, e.name_zh, *e.aliases)
        if text != "Taizhou" and places.resolve(text) != e.id
    ]
    assert wrong == []


@pytest.mark.parametrize("bundle", ["ic", "5g"])
def test_gazetteer_agrees_with_the_bundles(places: PlaceIndex, bundle: str) -> None:
    path = ROOT / "loaders" / "bundles" / bundle / "regions.csv"
    with path.open(encoding="utf-8") as handle:
        regions = [r for r in csv.DictReader(handle) if r["level"] != "zone"]
    differ = [
        r["id"] for r in regions
        if r["id"] not in places
        or (lambda e: (e.name, e.name_zh, e.level.value, e.parent or ""))(places.entry(r["id"]))
        != (r["name"], r["name_zh"], r["level"], r["parent"])
    ]
    assert differ == []


def test_is_place(places: PlaceIndex) -> None:
    assert places.is_place("上海")
    assert places.is_place("Shenzhen")
    assert places.is_place("广东深圳")
    assert not places.is_place("科技")
    assert not places.is_place("深圳南山区")  # strict: no unknown remainder


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "places.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {id: NO, level: country, name: Norway, name_zh: 挪威}", "quote values such as NO"),
        ("- {id: X, level: planet, name: X, name_zh: X}", "level must be one of"),
        ("- {id: CN-XX, level: province, parent: CN, name: X, name_zh: X}",
         "parent CN, which is not an entry"),
        ("- {id: 'a b', level: country, name: X, name_zh: X}", "may not contain"),
        ("- {id: X, level: country, name: X, name_zh: X, zh: Y}", "unknown key"),
        ("- {id: X, level: country, name: X, name_zh: X}\n"
         "- {id: X, level: country, name: Y, name_zh: Y}", "listed twice"),
        ("id: X", "expected a list"),
    ],
)
def test_bad_gazetteer_entries_are_explained(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MappingProblem, match=message):
        PlaceIndex.load(_write(tmp_path, text))


def test_unreadable_gazetteer(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="not valid YAML"):
        PlaceIndex.load(_write(tmp_path, "- {id: [unclosed"))
    with pytest.raises(FileProblem, match="cannot read"):
        PlaceIndex.load(tmp_path / "missing.yaml")


def test_small_explicit_gazetteer(tmp_path: Path) -> None:
    index = PlaceIndex.load(_write(
        tmp_path,
        "- {id: CN, level: country, name: China, name_zh: 中国}\n"
        "- {id: CN-GD, level: province, parent: CN, name: Guangdong, name_zh: 广东省,\n"
        "   aliases: [粤]}\n",
    ))
    assert len(index) == 2
    assert [index.resolve(t) for t in ("粤", "广东省", "中国广东", "Japan")] == [
        "CN-GD", "CN-GD", "CN-GD", None,
    ]


# --------------------------------------------------------------------------- headers


def test_every_field_has_spellings_in_three_scripts(synonyms: SynonymTable) -> None:
    text = SYNONYMS_FILE.read_text(encoding="utf-8")
    for field in Field:
        assert f"\n{field.value}:\n" in text
    samples = {
        Field.SUPPLIER: ("供应商名称", "供應商名稱", "Supplier Name", "供货单位", "Vendor"),
        Field.SUPPLIER_USCC: ("统一社会信用代码", "統一社會信用代碼", "USCC", "Credit Code"),
        Field.SUPPLIER_REGION: ("所在地", "所在省份", "所在國家", "产地", "Supplier Country"),
        # a bare country may be where the goods go: never the supplier's unless mapped
        Field.DESTINATION: ("目的国", "收貨國", "國家/地區", "国家", "Country", "Ship to"),
        Field.BUYER: ("采购方", "需方", "客戶名稱", "Customer"),
        Field.BUYER_USCC: ("采购方统一社会信用代码", "Buyer USCC"),
        Field.COMPONENT: ("采购物料", "物料名称", "採購物料", "零部件名称", "Part Name"),
        Field.COMPONENT_CODE: ("物料编码", "料號", "Part No.", "P/N", "SKU"),
        Field.SHARE: ("采购占比", "採購佔比", "占比（%）", "供货比例", "% of purchases"),
        Field.VOLUME: ("采购金额（万元）", "年采购额/万元", "採購數量", "Amount (USD)", "Qty"),
        Field.SINCE: ("合作开始时间", "起始年份", "Start Year"),
        Field.NOTE: ("备注", "備註", "Remarks"),
    }
    for field, headers in samples.items():
        assert [synonyms.field_of(h) for h in headers] == [field] * len(headers), field


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("采购金额（万元）", "采购金额"),
        ("采购金额(单位：万元)", "采购金额"),
        ("采购额/万元", "采购额"),
        ("1. 供应商名称", "供应商名称"),
        ("一、供应商名称", "供应商名称"),
        ("*供应商名称", "供应商名称"),
        ("供应商\n名称", "供应商名称"),
        ("ＳＵＰＰＬＩＥＲ　ＮＡＭＥ", "suppliername"),
        ("元器件", "元器件"),  # 件 is a unit only after a separator
        ("部件", "部件"),
    ],
)
def test_header_key(header: str, key: str) -> None:
    assert header_key(header) == key


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        ("采购金额（万元）", "万元"), ("采购金额(单位：元)", "元"), ("年采购额/万元", "万元"),
        ("占比(%)", "%"), ("占比%", "%"), ("Amount (USD)", "usd"), ("数量 / 件", "件"),
        ("供应商名称", None), ("供应商名称（必填）", None), ("元器件", None),
    ],
)
def test_header_unit(header: str, unit: str | None) -> None:
    assert header_unit(header) == unit


def test_unknown_headers(synonyms: SynonymTable) -> None:
    assert [synonyms.field_of(h) for h in ("序号", "联系人", "电话", "", "（万元）")] == [
        None, None, None, None, None,
    ]


def test_overrides(synonyms: SynonymTable) -> None:
    table = synonyms.merged({"合作厂商": "Supplier", "采购金额": "ignore", "数量": "volume"})
    assert table.field_of("合作厂商") is Field.SUPPLIER
    assert table.field_of("采购金额（万元）") is None
    assert table.field_of("数量") is Field.VOLUME
    assert synonyms.field_of("采购金额") is Field.VOLUME  # the built-in table is unchanged
    assert synonyms.field_of("合作厂商") is None


def test_bad_overrides_say_what_to_write(synonyms: SynonymTable) -> None:
    with pytest.raises(MappingProblem, match="'amount' is not a field; use one of supplier"):
        synonyms.merged({"采购额": "amount"})
    with pytest.raises(MappingProblem, match="count as one"):
        synonyms.merged({"金额（万元）": "volume", "金额(元)": "ignore"})
    with pytest.raises(MappingProblem, match="no letters"):
        synonyms.merged({"（%）": "share"})


def test_conflicting_synonym_file(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.yaml"
    path.write_text("supplier: [供应商]\nbuyer: [' 供应商 ']\n", encoding="utf-8")
    with pytest.raises(MappingProblem, match="mapped to both supplier and buyer"):
        SynonymTable.load(path)
    path.write_text("vendor: [x]\n", encoding="utf-8")
    with pytest.raises(MappingProblem, match="'vendor' is not a field"):
        SynonymTable.load(path)
