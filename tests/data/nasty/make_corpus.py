"""Write the nasty-input corpus of this folder (reproducibly: same bytes on every run).

    .venv/bin/python tests/data/nasty/make_corpus.py

Every file is small (under 50 KB); the big monsters (100 MB cells, zip bombs, oversized
files) are generated at test time in tests/fuzz/test_monsters.py instead. README.md
lists what each file exercises; tests/fuzz/test_corpus.py runs each one through the
``chainrisk load`` and ``chainrisk import-suppliers`` commands. Workbooks are written
part by part with fixed zip timestamps (not with openpyxl, which stamps the time).
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_BYTES = 50_000

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

SUPPLIERS = (
    "供应商名称,采购物料,采购占比,所在地\n"
    "ASML,EUV scanner,60%,Netherlands\n"
    "深圳市汇顶科技股份有限公司,指纹芯片,0.3,广东深圳\n"
)
CYPHER = "x'}) DETACH DELETE n //"


def _parts(sheet: str, shared: str | None, styles: bool, name: str) -> dict[str, str]:
    overrides = (
        f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>'
    )
    rels = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    parts = {}
    if shared is not None:
        overrides += (f'<Override PartName="/xl/sharedStrings.xml" '
                      f'ContentType="{CT}.sharedStrings+xml"/>')
        rels += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        parts["xl/sharedStrings.xml"] = shared
    if styles:
        overrides += f'<Override PartName="/xl/styles.xml" ContentType="{CT}.styles+xml"/>'
        rels += f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
        parts["xl/styles.xml"] = (
            f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="3">'
            '<xf numFmtId="0"/><xf numFmtId="9" applyNumberFormat="1"/>'
            '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
        )
    return {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            f'<sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">{rels}</Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
        **parts,
    }


def xlsx(sheet: str, *, shared: str | None = None, styles: bool = True,
         name: str = "Sheet1") -> bytes:
    """Return a minimal workbook around the sheet XML ``sheet``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for part, text in _parts(sheet, shared, styles, name).items():
            info = zipfile.ZipInfo(part, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def _cell(ref: str, value: object, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    if isinstance(value, str):
        text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{ref}"{s}><v>{value}</v></c>'


def sheet(rows: Sequence[tuple[int, Sequence[tuple[str, object]]]], *, dimension: str = "",
          merges: str = "", before_data: str = "") -> str:
    """Return sheet XML: rows as (row number, [(column letters, value)])."""
    body = "".join(
        f'<row r="{n}">' + "".join(_cell(f"{col}{n}", v) for col, v in cells) + "</row>"
        for n, cells in rows
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<worksheet xmlns="{MAIN}">{dim}{before_data}<sheetData>{body}</sheetData>'
            f"{merges}</worksheet>")


HEADER: list[tuple[str, object]] = [("A", "供应商名称"), ("B", "采购物料"), ("C", "采购占比")]
GOOD_ROWS: list[tuple[int, Sequence[tuple[str, object]]]] = [
    (1, HEADER), (2, [("A", "ASML"), ("B", "EUV scanner"), ("C", 0.6)])]


def _corpus() -> dict[str, bytes]:
    rnd = random.Random(20261130)
    files: dict[str, bytes] = {}

    # ---- bytes that are not text, or not this text
    files["random-bytes.csv"] = bytes(rnd.randrange(256) for _ in range(4096))
    files["all-nuls.csv"] = b"\x00" * 4096
    files["empty.csv"] = b""
    files["bom-only.csv"] = b"\xef\xbb\xbf"
    files["whitespace-only.csv"] = b" \t\r\n" * 100
    files["utf16-bom.csv"] = SUPPLIERS.encode("utf-16")
    files["gb18030.csv"] = SUPPLIERS.encode("gb18030")
    files["big5.csv"] = SUPPLIERS.replace("深圳市汇顶科技股份有限公司", "台積電").replace(
        "广东深圳", "台灣新竹").encode("big5", errors="replace")
    files["utf8-then-gbk.csv"] = (SUPPLIERS.encode("utf-8")
                                  + "华为技术有限公司,芯片,0.1,深圳\n".encode("gbk"))
    files["broken-utf8-tail.csv"] = SUPPLIERS.encode("utf-8") + b"\xe4\xbe"
    files["pdf.csv"] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
    files["old-excel.xls"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    files["zip-not-xlsx.csv"] = _plain_zip({"readme.txt": b"hello"})

    # ---- CSV structure
    files["embedded-newlines.csv"] = (
        b'supplier,component,share\n"ASML\nHolding","EUV\r\nscanner",0.6\n'
        b'"Fab\rCo.","chip\n\n\n",40%\n'
    )
    files["nul-in-cells.csv"] = b'supplier,component,share\n"AS\x00ML",EUV\x00,0.6\n'
    files["unclosed-quote.csv"] = b'supplier,component,share\n"ASML,EUV,0.6\nFab,chip,0.4\n' * 20
    files["quotes-everywhere.csv"] = ('"' * 3000 + "," + '""' * 2000 + "\n").encode()
    files["ragged-rows.csv"] = (
        b"id,name,region\nasml,ASML,NL,extra,cells,here\nfab\n,,\nx,y,z,,,,,,,,,,,\n"
    )
    files["duplicate-headers.csv"] = b"id,name,ID,Name,region,region\na,b,c,d,e,f\n"
    files["wide-header.csv"] = (",".join(["a"] * 16_385) + "\n").encode()
    files["long-cell.csv"] = ("supplier,component\n" + "A" * 40_000 + ",chip\n").encode()
    files["header-only.csv"] = b"supplier,component,share\n"
    files["crlf-and-cr.csv"] = b"id,name,region\r\nasml,ASML,NL\rfab,Fab,CN\r\n"

    # ---- values: formulas, numbers, ids and names full of syntax
    files["formulas.csv"] = (
        b"supplier,component,share,note\n"
        b"=cmd|' /C calc'!A0,=1+1,0.5,@SUM(A1:A2)\n"
        b"-2+3,=HYPERLINK(\"http://example.com\"),30%,=cmd|' /C calc'!A0\n"
    )
    files["huge-numbers.csv"] = (
        "id,name,region,employees,revenue_musd,listed\n"
        f"big,Big,NL,{'9' * 30},1e999,true\n"
        f"nan,NaN Co,NL,1e300,NaN,yes\n"
        f"neg,Neg,NL,-{'9' * 5000},-inf,maybe\n"
    ).encode()
    files["cypher-ids.csv"] = (
        "id,name,region\n"
        f"\"{CYPHER.replace(chr(34), chr(34) * 2)}\",Cypher,NL\n"
        "x'})-DETACH-DELETE-n-//,Cypher no spaces,NL\n"
        "`n`,Backticks,NL\n"
        "{id},Braces,NL\n"
        "a:b,Colon,NL\n"
        "$param,Param,NL\n"
        "\"\"\"q\"\"\",Quotes,NL\n"
    ).encode()
    files["cypher-names.csv"] = (
        "供应商名称,采购物料,采购占比\n"
        f"\"{CYPHER}\",\"{{id: 1}}\",10%\n"
        "`n` MATCH (m) DETACH DELETE m,$param,10%\n"
        "\"a:b\",\"'; DROP TABLE firms; --\",10%\n"
        "((((((((((((((((((((x)))))))))))))))))))),有限公司有限公司有限公司有限公司,10%\n"
    ).encode()
    files["control-chars.csv"] = (
        "supplier,component,share\n\x1b[31mred\x1b[0m,\u202eevil,\u200b10%\n"
    ).encode()

    # ---- metadata and mapping files
    files["bundle-billion-laughs.yaml"] = (
        "name: laughs\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10)
                  + "]\n" for i in range(9))
    ).encode()
    files["bundle-self-alias.yaml"] = b"name: loop\nsources: &s [1, *s]\n"
    files["bundle-binary.yaml"] = b"name: bin\nlogo: !!binary aGVsbG8=\n"
    files["bundle-deep.toml"] = b'name = "deep"\nx = ' + b"[" * 2000 + b"]" * 2000 + b"\n"
    files["bundle-dates.toml"] = (
        b'name = "dates"\nversion = 1979-05-27\nsources = [1979-05-27T07:32:00Z]\n'
        b"x = inf\ny = nan\n"
    )
    files["mapping-bad-header-row.yaml"] = b"header_row: abc\ncolumns: {Vendor: supplier}\n"
    files["mapping-laughs.yaml"] = (
        b"columns: &a {x: supplier}\nbuyer: &b [*a, *a, *a]\nsheet: [*b, *b, *b]\n"
    )
    files["mapping-not-utf8.yaml"] = "columns: {供应商: supplier}\n".encode("gb18030")

    # ---- workbooks
    good = xlsx(sheet(GOOD_ROWS, dimension="A1:C2"))
    files["good.xlsx"] = good
    files["truncated.xlsx"] = good[: len(good) // 2]
    files["truncated-tail.xlsx"] = good[:-10]
    files["flipped.xlsx"] = _flip(good, rnd)
    files["encrypted-flag.xlsx"] = _set_encrypted(good)
    merges = "".join(f'<mergeCell ref="A{i}:XFD{i + 1}"/>' for i in range(3, 4003, 2))
    files["deeply-merged.xlsx"] = xlsx(sheet(
        GOOD_ROWS, dimension="A1:XFD1048576",
        merges=f'<mergeCells count="2001"><mergeCell ref="A1:XFD1048576"/>{merges}</mergeCells>',
    ))
    files["huge-dimension.xlsx"] = xlsx(sheet(
        [*GOOD_ROWS, (1_048_576, [("XFD", "last cell")])], dimension="A1:XFD1048576"))
    files["row-beyond-excel.xlsx"] = xlsx(sheet([*GOOD_ROWS, (2_000_000_000, [("A", "x")])]))
    files["row-zero.xlsx"] = xlsx(sheet([(0, HEADER)]))
    files["rows-backwards.xlsx"] = xlsx(sheet([(5, HEADER), (2, [("A", "a"), ("B", "b")])]))
    files["column-beyond-excel.xlsx"] = xlsx(sheet([*GOOD_ROWS, (3, [("ZZZZ", "x")])]))
    wide_rows = [(n, [("XFD", f"v{n}")]) for n in range(3, 1500)]
    files["cells-at-xfd.xlsx"] = xlsx(sheet([*GOOD_ROWS, *wide_rows]))
    files["bad-shared-index.xlsx"] = xlsx(
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>99</v></c>'
        '<c r="B1" t="s"><v>abc</v></c></row></sheetData></worksheet>',
        shared=f'<sst xmlns="{MAIN}"><si><t>only</t></si></sst>',
    )
    files["bad-number.xlsx"] = xlsx(
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>1e99999</v></c>'
        '<c r="B1"><v>not a number</v></c><c r="C1" t="b"><v>7</v></c>'
        '<c r="D1" t="d"><v>yesterday</v></c><c r="E1" s="2"><v>1e12</v></c>'
        '</row></sheetData></worksheet>'
    )
    files["xml-entity-bomb.xlsx"] = xlsx(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, 10))
        .replace("&lol0;", "&lol;")
        + f']><worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
        "<is><t>&lol9;</t></is></c></row></sheetData></worksheet>"
    )
    files["xml-external-entity.xlsx"] = xlsx(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
        "<is><t>&xxe;</t></is></c></row></sheetData></worksheet>"
    )
    files["not-xml-sheet.xlsx"] = xlsx("this is not XML <<<")
    files["cypher-names.xlsx"] = xlsx(
        sheet([(1, HEADER), (2, [("A", CYPHER), ("B", "`n`{x:1}$p"), ("C", 0.5)])]),
        name="x&apos;}) DETACH",
    )
    files["formulas.xlsx"] = xlsx(
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'
        + "".join(_cell(c, v) for c, v in HEADER)
        + '</row><row r="2"><c r="A2" t="str"><f>CMD|\' /C calc\'!A0</f><v>=cmd</v></c>'
        '<c r="B2"><f>1+1</f></c><c r="C2" t="e"><v>#REF!</v></c></row></sheetData></worksheet>'
    )
    files["nested-rows.xlsx"] = xlsx(
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><row r="2"><c r="A2"><v>1</v></c>'
        "</row></row></sheetData></worksheet>"
    )
    files["no-sheets.xlsx"] = _no_sheets()
    return files


def _plain_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def _flip(data: bytes, rnd: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(8):
        at = rnd.randrange(len(out))
        out[at] ^= 0xFF
    return bytes(out)


def _set_encrypted(data: bytes) -> bytes:
    """Return the zip with the 'encrypted' flag set on every entry (local and central)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        while at >= 0:
            (flags,) = struct.unpack_from("<H", out, at + offset)
            struct.pack_into("<H", out, at + offset, flags | 1)
            at = out.find(signature, at + 4)
    return bytes(out)


def _no_sheets() -> bytes:
    parts = _parts(sheet(GOOD_ROWS), None, False, "Sheet1")
    parts["xl/workbook.xml"] = f'<workbook xmlns="{MAIN}"><sheets/></workbook>'
    return _plain_zip({k: v.encode() for k, v in parts.items()})


def main() -> None:
    files = _corpus()
    for name, data in sorted(files.items()):
        if len(data) >= MAX_BYTES:
            raise SystemExit(f"{name} is {len(data)} bytes; corpus files stay under {MAX_BYTES}")
        (HERE / name).write_bytes(data)
    print(f"wrote {len(files)} files to {HERE}")


if __name__ == "__main__":
    main()
