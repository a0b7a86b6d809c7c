"""The words chainrisk shows people, in simplified Chinese and English: one catalogue.

The app (:mod:`chainrisk.ui.i18n` reads this catalogue) and the exports
(:mod:`chainrisk.report.writers`) take their words from here, so a stage, a band or a
load problem reads the same on a page and in a workbook. ``WORDS`` maps a key to its
(Chinese, English) pair; ``{name}`` fields are filled in by :func:`text`.

Keys by prefix:

- value words, ``<domain>.<value>``: the domains in ``DOMAINS`` (stage, level, band,
  kind, severity, bool, on_error, source, table, field, member_role, quality_kind, part);
  their English side is the value as the data, the command line and an English export
  write it;
- ``reason.<code>``: why a load report's problem was found
  (:attr:`chainrisk.ingest.report.Problem.code`), worded for the app;
- ``message.<code>``: a library error (:attr:`chainrisk.errors.ChainriskError.code`);
- ``remedy.<name>``: what to do, worded with the app's own buttons and fields, never a
  command-line flag or a repository document (the command line keeps the English
  message of the error, whose remedy names its flags);
- ``quality.*``, ``group.*``, ``part.*``, ``howto.*``, ``method.*``, ``summary.*``:
  the data-quality findings, the export's reading notes and the load report's words.

Examples
--------
>>> text("stage.upstream", "zh"), value("band", "high", "zh"), value("bool", True, "zh")
('上游', '高度集中', '是')
>>> value("stage", "sideways", "zh")  # not a word of the catalogue: shown as it is
'sideways'
>>> text("reason.ref.unknown", "zh", kind="firm", id="acme", file="firms.csv")
'未知的企业“acme”：请在 firms.csv 中添加，或改正拼写。'
>>> translate("3 of 4 shares assumed (buys component:wafer)", "zh")
'4 个份额中有 3 个为推定（采购 component:wafer）'
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, Protocol

LANGS = ("zh", "en")

Pair = tuple[str, str]

# Parameters whose values are themselves words of a domain, translated before filling in.
PARAM_DOMAINS = {"kind": "kind", "level": "level", "stage": "stage", "field": "field",
                 "missing": "field"}

WORDS: dict[str, Pair] = {
    # ------------------------------------------------------------------ values
    "link_class.no_data": ("无数据", "no_data"),
    "link_class.missing": ("缺链", "missing"),
    "link_class.weak": ("弱链", "weak"),
    "link_class.strong": ("强链", "strong"),
    "gap.cut": ("断链", "cut"),
    "gap.weak": ("弱链", "weak"),
    "stage.upstream": ("上游", "upstream"),
    "stage.midstream": ("中游", "midstream"),
    "stage.downstream": ("下游", "downstream"),
    "level.country": ("国家/地区", "country"),
    "level.province": ("省级", "province"),
    "level.city": ("城市", "city"),
    "level.zone": ("园区", "zone"),
    "band.high": ("高度集中", "high"),
    "band.moderate": ("中度集中", "moderate"),
    "band.unconcentrated": ("不集中", "unconcentrated"),
    "kind.firm": ("企业", "firm"),
    "kind.component": ("环节", "component"),
    "kind.region": ("地区", "region"),
    "kind.chain": ("产业链", "chain"),
    "severity.error": ("错误", "error"),
    "severity.warning": ("警告", "warning"),
    "bool.true": ("是", "yes"),
    "bool.false": ("否", "no"),
    "on_error.raise": ("全部不载入", "Load nothing"),
    "on_error.skip": ("载入正确的行，拒绝错误行", "Load the good rows, reject the rest"),
    "source.bundle": ("数据包", "bundle"),
    "source.suppliers": ("供应商名单", "supplier list"),
    "source.copy": ("数据库复制", "store copy"),
    "table.regions": ("地区", "regions"),
    "table.firms": ("企业", "firms"),
    "table.chains": ("产业链", "chains"),
    "table.components": ("环节", "components"),
    "table.requires": ("物料清单关系", "BOM links"),
    "table.produces": ("生产关系", "producer links"),
    "table.supplies": ("供货关系", "supply links"),
    "table.sites": ("生产基地", "sites"),
    "field.supplier": ("供应方", "supplier"),
    "field.supplier_uscc": ("供应方统一社会信用代码", "supplier credit code"),
    "field.supplier_region": ("供应方所在地", "supplier region"),
    "field.destination": ("货物去向（目的地）", "destination"),
    "field.buyer": ("采购方", "buyer"),
    "field.buyer_uscc": ("采购方统一社会信用代码", "buyer credit code"),
    "field.component": ("采购物料", "component"),
    "field.component_code": ("物料编码", "component code"),
    "field.share": ("份额", "share"),
    "field.volume": ("采购量", "volume"),
    "field.since": ("起始时间", "since"),
    "field.note": ("备注", "note"),
    "member_role.component": ("本链环节", "component"),
    "member_role.leader": ("链主企业", "leader"),
    "member_role.producer": ("生产企业", "producer"),
    "member_role.distributor": ("贸易商", "distributor"),
    "member_role.region": ("所在地区", "region"),
    "member_role.customer": ("下游客户（本链外）", "customer"),
    "member_role.outside": ("本链外", "outside"),
    "quality_kind.component": ("环节", "component"),
    "quality_kind.shares": ("份额", "shares"),
    "quality_kind.region": ("地区", "region"),
    # ------------------------------------------------------------------ the app's labels
    # that remedies name (the Data page shows these same texts)
    "label.on_error": ("有错误行时", "When rows have errors"),
    "label.buyer": ("采购方企业（名称或编号）", "Buyer (name or id)"),
    "label.bundle_tab": ("数据包", "Bundle"),
    "label.suppliers_tab": ("供应商名单", "Supplier list"),
    # ------------------------------------------------------------------ remedies (app)
    "remedy.skip_rows": (
        "请修改下列各行后重新上传；或在“{on_error}”处选择“{skip}”，只载入正确的行。",
        "Fix the rows listed below and upload again, or under '{on_error}' choose "
        "'{skip}' to load only the good rows.",
    ),
    "remedy.skip_rows_import": (
        "请修改下列各行后重新上传；或在“{on_error}”处选择“{skip}”，只导入正确的行。",
        "Fix the rows listed below and upload again, or under '{on_error}' choose "
        "'{skip}' to import only the good rows.",
    ),
    "remedy.fix_files": ("请修改下列文件后重新上传。",
                         "Fix the files listed below and upload again."),
    "remedy.resave_utf8": (
        "请在 Excel 中“另存为”，选择“CSV UTF-8”格式后重新上传。",
        "Re-save it as UTF-8 (in Excel: Save As, 'CSV UTF-8') and upload it again.",
    ),
    "remedy.rename_headers": (
        "请把表头改为常用名称（如“供应商名称”“采购物料”“份额”）后重新上传。",
        "Rename the header cells to usual names (such as 供应商名称, 采购物料, 份额) and "
        "upload again.",
    ),
    "remedy.name_buyer": (
        "请在上方“{buyer}”中填写采购方，或在名单中加一列采购方。",
        "Fill in '{buyer}' above, or add a buyer column to the list.",
    ),
    "remedy.add_uscc": (
        "请在名单中填写其统一社会信用代码，或写出全称，然后重新上传。",
        "Add its unified social credit code, or its full name, to the list and upload "
        "again.",
    ),
    "remedy.workbook_tab": (
        "Excel 工作簿请在“{tab}”页上传；数据包中的表须另存为“CSV UTF-8”。",
        "Upload workbooks under '{tab}'; the tables of a bundle must be saved as "
        "'CSV UTF-8'.",
    ),
    "remedy.one_sheet": ("网页上传会读取全部工作表；请删去多余的工作表后重新上传。",
                         "Uploads read every sheet; remove the other sheets and upload again."),
    # ------------------------------------------------------------------ load reports
    "reason.uncoded": ("数据有误：{reason}", "{reason}"),
    # files
    "reason.file.unreadable": (
        "文件无法读取：请在 Excel 中另存为 .xlsx 或“CSV UTF-8”后重新上传。",
        "The file cannot be read: save it again as .xlsx or 'CSV UTF-8' and upload it again.",
    ),
    "reason.file.cannot_open": ("无法打开文件 {file}。", "{file} cannot be opened."),
    "reason.file.unknown_encoding": ("“{encoding}”不是可识别的文本编码。",
                                     "'{encoding}' is not a known text encoding."),
    "reason.file.empty": ("文件是空的：需要一行表头和若干数据行。",
                          "The file is empty: it needs a header row and data rows."),
    "reason.file.is_workbook": ("这是 Excel 工作簿或 zip 压缩包，不是 CSV 文件。",
                                "This is an Excel workbook or a zip archive, not a CSV file."),
    "reason.file.is_xls": (
        "这是旧版 Excel（.xls）文件，无法读取：请另存为 .xlsx 或“CSV UTF-8”。",
        "This is an old Excel (.xls) file, which cannot be read: save it as .xlsx or "
        "'CSV UTF-8'.",
    ),
    "reason.file.utf16": ("这是 UTF-16 文本（Excel 的“Unicode 文本”）。",
                          "This is UTF-16 text (Excel's 'Unicode Text')."),
    "reason.file.pdf": ("这是 PDF 文件，不是表格：请向报送单位索取 .xlsx 或 CSV 格式的名单。",
                        "This is a PDF, not a table: ask for the list as .xlsx or CSV."),
    "reason.file.nul": (
        "第 {line} 行含有空字符（NUL），文件已损坏或由特殊程序保存：请删除该字符，或另存为“CSV UTF-"
        "8”。",
        "Line {line} holds a NUL character: the file is damaged or was saved by a program "
        "that pads text; remove it, or re-save the file as 'CSV UTF-8'.",
    ),
    "reason.file.binary": ("文件含有二进制数据，不是 CSV 文本。",
                           "The file holds binary data, not CSV text."),
    "reason.file.not_text": ("文件不是有效的 {encoding} 文本。",
                             "The file is not valid {encoding} text."),
    "reason.file.not_text_line": ("第 {line} 行不是有效的 {encoding} 文本。",
                                  "Line {line} is not valid {encoding} text."),
    "reason.file.too_wide": (
        "第 {line} 行有 {cells:,} 个单元格，超过表格上限（{limit:,}）：该文件不是表格，或分隔符不是"
        "逗号。",
        "Line {line} has {cells:,} cells, more than a sheet holds ({limit:,}): the file is "
        "not a table, or its separator is not a comma.",
    ),
    "reason.file.csv_syntax": ("第 {line} 行的 CSV 格式有误，请检查引号是否成对。",
                               "Line {line} is not valid CSV: check that its quotes pair up."),
    "reason.file.required_missing": (
        "缺少必需的文件：数据包须包含 regions.csv、firms.csv 和 components.csv（本文件表头：{header"
        "}）。",
        "A required file is missing: a bundle needs regions.csv, firms.csv and "
        "components.csv (header for this one: {header}).",
    ),
    "reason.file.no_header": ("文件是空的：需要一行表头（{header}）。",
                              "The file is empty: it needs a header row ({header})."),
    "reason.file.not_in_layout": ("不属于数据包格式，已忽略。",
                                  "Not part of the bundle layout; ignored."),
    "reason.file.not_in_layout_close": ("不属于数据包格式，已忽略（是否应为 {close}？）。",
                                        "Not part of the bundle layout; ignored (did you mean "
                                        "{close}?)."),
    "reason.archive.damaged": ("压缩包或工作簿已损坏，无法读取：请重新压缩或重新保存后上传。",
                               "The archive or workbook is damaged: zip or save it again and "
                               "upload it again."),
    # bundle.toml
    "reason.meta.missing": (
        "没有 bundle.toml：数据包按文件夹命名为“{name}”。请添加 bundle.toml，写明名称、版本和数据来"
        "源。",
        "No bundle.toml: the bundle is named '{name}' after its folder; add a bundle.toml "
        "with its name, version and sources.",
    ),
    "reason.meta.too_big": ("文件有 {size:,} 字节；元数据只需几行（至多 {limit:,} 字节）。",
                            "It is {size:,} bytes; metadata takes a few lines (at most {limit:,} "
                            "bytes)."),
    "reason.meta.syntax": ("无法读取（{detail}）：请修正语法，文件须为 UTF-8 编码。",
                           "It cannot be read ({detail}): fix the syntax (it must be UTF-8)."),
    "reason.meta.unplain": ("无法保存（{detail}）：请只写文字、数字、列表和表。",
                            "It cannot be kept ({detail}): write plain text, numbers, lists "
                            "and tables."),
    "reason.meta.deep": ("嵌套过深，无法读取：请保持元数据扁平。",
                         "It is nested too deeply to read: keep the metadata flat."),
    "reason.meta.not_table": ("须写成键值，如 name = \"ic\"。",
                              "It must hold keys such as name = \"ic\"."),
    "reason.meta.no_name": ("没有 name，使用文件夹名“{name}”。",
                            "It has no name; using the folder name '{name}'."),
    "reason.meta.home_country": ("home_country 须为 ISO 3166-1 二位字母代码，如 CN。",
                                 "home_country must be an ISO 3166-1 alpha-2 code such as CN."),
    "reason.meta.sources": ("sources 须为列表。", "sources must be a list."),
    "reason.meta.percent_columns": ("percent_columns 的各项须为份额列，如 \"produces.share\"。",
                                    "percent_columns entries name share columns, e.g. "
                                    "\"produces.share\"."),
    "reason.meta.shares": ("shares 说明本数据包市场份额的准确程度：写 shares = "
                           "\"approximate\"（近似）或 shares = \"reported\"（企业申报），"
                           "或不写。",
                           "shares says how exact the bundle's market shares are: write "
                           "shares = \"approximate\" or shares = \"reported\", or leave it "
                           "out."),
    # headers and rows
    "reason.header.duplicate": ("表头中 {columns} 出现不止一次：每列只写一次。",
                                "The header names {columns} more than once: each column once."),
    "reason.header.missing": (
        "缺少必需的列：{missing}；表头现有 {found}。必需的列：{required}。",
        "Required column(s) missing: {missing}; the header has {found}. Required: "
        "{required}.",
    ),
    "reason.header.extra": ("列 {columns} 不属于数据包格式，作为附加属性保留。",
                            "Column(s) {columns} are not part of the layout; kept as extra "
                            "properties."),
    "reason.row.too_many_cells": (
        "该行有 {cells} 个单元格，但表头只有 {columns} 列；含逗号的单元格须加引号。",
        "The row has {cells} cells but the header has {columns} columns; a cell holding a "
        "comma must be quoted.",
    ),
    "reason.row.country_parent": ("国家没有上级地区：请留空。",
                                  "A country has no parent region: leave it empty."),
    "reason.row.country_id": ("国家的编号为 ISO 3166-1 二位字母代码，如 CN、JP、NL。",
                              "A country id is its ISO 3166-1 alpha-2 code, e.g. CN, JP, NL."),
    "reason.row.needs_parent": ("{level}须填写上级地区（如省份的上级为 CN）。",
                                "A {level} needs its parent region (e.g. CN for a province)."),
    "reason.row.own_parent": ("地区不能以自身为上级。", "A region cannot be its own parent."),
    "reason.row.requires_itself": ("环节不能以自身为投入。", "A component cannot require itself."),
    "reason.row.supplies_itself": ("企业不能向自身供货。", "A firm cannot supply itself."),
    "reason.row.duplicate": ("{key} 重复：第 {line} 行已给出；请保留其中一行。",
                             "Duplicate {key}: already given on line {line}; keep one of the "
                             "two rows."),
    "reason.row.region_cycle": ("地区的上级关系形成循环：请打断循环。",
                                "The regions' parents form a cycle: break it."),
    "reason.ref.unknown": ("未知的{kind}“{id}”：请在 {file} 中添加，或改正拼写。",
                           "Unknown {kind} '{id}': add it to {file}, or fix the spelling."),
    "reason.ref.rejected": ("{kind}“{id}”已被拒绝（{file} 第 {line} 行）：请先改正该行。",
                            "The {kind} '{id}' was rejected ({file} line {line}): fix it there."),
    # values
    "reason.value.required": ("此处必须填写。", "A value is required here."),
    "reason.value.required_cleared": (
        "\\N 会清空已存的值，但此列不能为空：请填写它的值。",
        "\\N clears a stored value, but this column cannot be empty: write its value.",
    ),
    "reason.value.invalid": ("此值无法使用。", "This value cannot be used."),
    "reason.value.id_empty": ("编号不能为空。", "An id may not be empty."),
    "reason.value.id_chars": ("编号不能含有“:”或空格：请改用“-”或“_”。",
                              "An id may not contain ':' or spaces: use '-' or '_' instead."),
    "reason.value.bool": ("是否值请写 是/否、true/false、yes/no 或 1/0。",
                          "Write a yes/no value as 是/否, true/false, yes/no or 1/0."),
    "reason.value.number_long": ("应为数字，而不是 {chars:,} 个字符的文字。",
                                 "Expected a number, not {chars:,} characters of text."),
    "reason.value.number": ("应为数字，如 1234.5 或 1,234.5。",
                            "Expected a number such as 1234.5 or 1,234.5."),
    "reason.value.number_finite": ("应为有限的数字。", "Expected a finite number."),
    "reason.value.integer": ("应为整数，如 1200 或 1,200。",
                             "Expected a whole number such as 1200 or 1,200."),
    "reason.value.integer_big": ("整数至多为 {max}；此数有 {digits} 位。",
                                 "A whole number here is at most {max}; this one has {digits} "
                                 "digits."),
    "reason.value.share": ("应为份额，如 0.61 或 61%。", "Expected a share such as 0.61 or 61%."),
    "reason.value.share_percent_range": ("份额须大于 0% 且不超过 100%。",
                                         "A share must be above 0 % and at most 100 %."),
    "reason.value.share_zero": ("份额须大于 0；不知道时请留空。",
                                "A share must be above 0; leave the cell empty when unknown."),
    "reason.value.share_ambiguous": (
        "大于 1 的份额有歧义：请写成百分数（如 61%），或在 bundle.toml 中把该列声明为百分数"
        "（percent_columns = [\"<文件>.share\"]）。",
        "A share above 1 is ambiguous: write it as a percentage (e.g. 61%), or declare the "
        "column as percent in bundle.toml (percent_columns = [\"<file>.share\"]).",
    ),
    "reason.value.share_range": ("份额至多为 1（100%）。", "A share must be at most 1 (100%)."),
    "reason.value.date": ("应为年份（2019）或日期（2019-05-01）。",
                          "Expected a year (2019) or a date (2019-05-01)."),
    "reason.value.date_unreal": ("不是真实存在的日期。", "Not a real calendar date."),
    "reason.value.uscc_length": ("统一社会信用代码为 18 位，此代码为 {n} 位。",
                                 "A unified social credit code has 18 characters; this one has "
                                 "{n}."),
    "reason.value.uscc_chars": ("统一社会信用代码只含数字和字母 {letters}；发现“{found}”。",
                                "A unified social credit code uses digits and the letters "
                                "{letters} only; found '{found}'."),
    "reason.value.uscc_check": ("校验码不符（GB 32100-2015）：代码有误。",
                                "The check digit does not match (GB 32100-2015): the code is "
                                "mistyped."),
    "reason.value.id_twice": ("同一编号列了两次。", "The same id is listed twice."),
    "reason.value.level_choice": ("层级须为以下代码之一：{choices}。",
                                  "The level must be one of {choices}."),
    "reason.value.stage_choice": ("环节位置须为以下代码之一：{choices}。",
                                  "The stage must be one of {choices}."),
    # data quality warnings of a load
    "reason.quality.shares_over": ("{group} 的份额合计 {total}%，将按比例缩放到 100%。",
                                   "The shares of {group} add up to {total} %; they will be "
                                   "rescaled to 100 %."),
    "reason.quality.supplier_not_producer": (
        "{supplier} 供应 {component}，但生产关系表中没有它生产该环节的记录：请在 produces.csv 中补"
        "上，集中度才会计入（如果它只是转售，请改为补上它从谁那里采购的供应关系）。",
        "{supplier} supplies {component} but no produces row says it makes it; add one to "
        "produces.csv so that concentration counts it (if it only resells, add the supplies "
        "row of whom it buys from instead).",
    ),
    "reason.quality.distributor": (
        "{supplier} 转售其采购的 {component}（采购自 {source}）：按经销商处理，不算生产商；"
        "请勿为它补生产关系，集中度只计生产商。",
        "{supplier} sells {component} it buys (from {source}): it is taken as a distributor, "
        "not a maker; add no produces row for it, concentration counts the makers.",
    ),
    # supplier lists
    "reason.sheet.destination_column": (
        "“{column}”列按货物去向（目的地）读取，不是供应商所在地，因此不用于任何供应商的地区；"
        "如果它写的是供应商所在地，请把该列的表头改为“所在地”后重新导入。",
        "Column {column!r} is read as where the goods go (a destination), not where the "
        "supplier is, so it does not set any supplier's region; if it says where the "
        "supplier is, rename its header to 'Supplier location' (所在地) and import again.",
    ),
    "reason.sheet.share_mixed": (
        "份额列“{column}”中不带百分号的数字有的不大于 1（{small} 行：{small_rows}），有的大于 1"
        "（{large} 行：{large_rows}）：不大于 1 的按小数读取，大于 1 的按百分数读取。请向填报单位"
        "核实本意，并统一写法（61% 或 0.61）。",
        "The share column {column!r} mixes bare numbers up to 1 ({small} row(s): "
        "{small_rows}) and above 1 ({large} row(s): {large_rows}); those up to 1 were read "
        "as fractions, those above 1 as percentages: check which the sender meant, and "
        "write them all one way (61% or 0.61).",
    ),
    "reason.import.region_conflict": (
        "{firm}：清单给出了多个地区：{regions}。请核实哪个正确——清单可能写的是生产基地所在地，"
        "或货物去向。",
        "{firm}: the list gives several regions for it: {regions}. Check which is right: a "
        "list may give where a site is, or where goods go.",
    ),
    "reason.import.region_differs": (
        "{firm}：数据库中位于 {stored}，清单写的是 {listed}（第 {line} 行）；已保留数据库中的"
        "地区。如需采用清单的地区，请重新导入并选择“地区以清单为准”。",
        "{firm}: the store places it in {stored}, the list in {listed} (line {line}); the "
        "store's region is kept. To take the list's, import again with the regions taken "
        "from the list.",
    ),
    "reason.import.region_taken_from_list": (
        "{firm}：数据库中位于 {stored}，清单写的是 {listed}（第 {line} 行）；已按清单更新。",
        "{firm}: the store placed it in {stored}, the list in {listed} (line {line}); the "
        "list's region replaces the store's.",
    ),
    "message.import.region_from": (
        "地区只能以数据库或清单为准，不能是“{value}”。",
        "Regions come from the store or the list, not {value!r}.",
    ),
    "reason.sheet.no_header": (
        "前 {rows} 行中找不到表头：没有一行同时写明供应商和采购物料。",
        "No header row in the first {rows} rows: none names a supplier and a component.",
    ),
    "reason.sheet.skipped_no_header": (
        "工作表“{sheet}”已跳过：其中没有一行同时写明供应商和采购物料，找不到表头。",
        "Sheet '{sheet}' was skipped: no row in it names a supplier and a component, so it "
        "has no header row.",
    ),
    "reason.sheet.no_header_in_file": (
        "没有任何工作表有表头（已查看 {sheets}）：没有一行同时写明供应商和采购物料。",
        "No sheet has a header row (tried {sheets}): no row names a supplier and a "
        "component.",
    ),
    "reason.sheet.no_buyer": ("名单中没有采购方列，也没有填写采购方。",
                              "The list has no buyer column and no buyer was named."),
    "reason.sheet.missing_columns": ("表头缺少{missing}列；现有的列：{found}。",
                                     "The header row has no {missing} column; found {found}."),
    "reason.sheet.missing_value": ("缺少{field}。", "The {field} is missing."),
    "reason.sheet.name_too_long": (
        "{chars:,} 个字符不像是{field}：名称至多 {limit:,} 个字符；请检查各列是否对应正确。",
        "{chars:,} characters is not a {field}: names are at most {limit:,}; check that the "
        "columns are read right.",
    ),
    "reason.sheet.damaged": (
        "工作表“{sheet}”在第 {row} 行之后已损坏：请在 Excel 中另存为 .xlsx 后重新上传。",
        "Sheet '{sheet}' is damaged after row {row}: save it again as .xlsx and upload it "
        "again.",
    ),
    "reason.sheet.chart": ("工作表“{sheet}”是图表，不是表格。",
                           "Sheet '{sheet}' is a chart, not a table."),
    "message.limit.sheet_cell_chars": (
        "{file} 工作表“{sheet}”的单元格 {cell} 超过 {limit:,} 个字符，未载入任何数据。请缩短，或请"
        "管理员调高"
        "环境变量 {setting}（0 = 不限）。",
        "{file}: sheet '{sheet}' cell {cell} holds more than {limit:,} characters; nothing "
        "was loaded. Shorten it, or ask an administrator to raise {setting} (0 = no limit).",
    ),
    "reason.sheet.unknown": ("没有名为“{sheet}”的工作表；现有工作表：{sheets}。",
                             "There is no sheet '{sheet}'; the sheets are {sheets}."),
    "reason.name.ambiguous_firm": ("该名称对应多家企业（{matches}）。",
                                   "The name matches several firms ({matches})."),
    "reason.name.ambiguous_component": ("该名称对应多个环节（{matches}）。",
                                        "The name matches several components ({matches})."),
    # ------------------------------------------------------------------ library errors
    "message.usage.unknown_chain": ("没有名为“{chain}”的产业链；数据库中的产业链：{known}。",
                                    "There is no chain '{chain}'; the chains in the store: "
                                    "{known}."),
    "message.usage.scope_not_region": ("“{node}”不是地区：范围应为国家、省份或城市，例如广东省。",
                                       "'{node}' is not a region: a scope is a country, a "
                                       "province or a city, e.g. Guangdong."),
    "message.usage.scope_no_country": ("“{node}”不属于任何国家，无法按控制方分析："
                                       "请选择一个国家以内的范围。",
                                       "{node} lies in no country, so control cannot be "
                                       "asked: pick a scope inside a country."),
    "message.usage.not_a_firm": ("“{node}”不是企业：请选择要替代的供应企业。",
                                 "'{node}' is not a firm: pick the supplier to replace."),
    "message.usage.unknown_node": ("“{node}”不是数据库中任何地区、企业或环节的编号、名称或别名。",
                                   "'{node}' is not the id, name or alias of a region, firm or "
                                   "component of the store."),
    "message.usage.ambiguous_node": ("“{node}”对应多个节点，请从列表中选择。",
                                     "'{node}' names more than one node; pick it from the list."),
    "message.usage.ambiguous_chain": ("“{chain}”对应多条产业链（{matches}），请从列表中选择。",
                                      "'{chain}' names several chains ({matches}); pick one "
                                      "from the list."),
    "message.usage.nothing_disrupted": ("请至少选择一个要中断的企业、地区或环节。",
                                        "Pick at least one firm, region or component to "
                                        "disrupt."),
    "message.timeout.analysis": (
        "分析未能在 {seconds} 秒的时限内完成，已停止，未保留任何结果。请管理员调高环境变量 {setting"
        "}"
        "（0 = 不限），或分析较小的数据库。",
        "The analysis did not finish within the time limit of {seconds} s, so it was stopped "
        "and nothing was kept. An administrator can raise {setting} (0 = no limit), or "
        "analyse a smaller store.",
    ),
    "message.denied.out_of_scope": (
        "这部分内容不在你的账号可查看的产业链范围内。",
        "That is outside the chains your account may see.",
    ),
    "message.denied.sign_in": ("用户名或密码错误。", "Wrong user name or password."),
    "message.denied.throttled": (
        "该用户名登录失败次数过多，请在 {seconds} 秒后再试。",
        "Too many failed sign-ins for this user name: try again in {seconds} s.",
    ),
    "message.store.busy": ("另一项载入正在进行（已等待 {seconds} 秒）：请在其完成后重试。",
                           "Another load is running on the store (waited {seconds} s): try "
                           "again when it is done."),
    "message.store.not_database": ("所配置的数据库文件不是 chainrisk 数据库：请管理员检查 "
                                   "CHAINRISK_STORE。",
                                   "The store file is not a chainrisk store: an administrator "
                                   "should check CHAINRISK_STORE."),
    "message.store.damaged": (
        "数据库文件已损坏，未做任何更改：请管理员从备份恢复，或将数据包重新载入新的数据库。",
        "The store is damaged; nothing was changed. An administrator should restore it from "
        "a backup, or load the bundles again into a new store.",
    ),
    "message.store.full": (
        "存放数据库的磁盘已满：本次载入已回滚，未写入任何数据。请管理员释放磁盘空间后重试。",
        "The disk holding the store is full: the load was rolled back and nothing was "
        "written. An administrator should free some space, then try again.",
    ),
    "message.store.read_only": (
        "数据库为只读：可以查看，但不能载入。请管理员为 chainrisk 开放该文件及其所在文件夹的"
        "写权限。",
        "The store is read-only: it can be read, but nothing can be loaded into it. An "
        "administrator should give chainrisk write access to the file and its folder.",
    ),
    "message.store.unavailable": (
        "暂时无法连接数据库：请稍后重试；如果问题持续，请管理员查看服务器日志。",
        "The store cannot be reached now: try again later; if it persists, an administrator "
        "should read the server's log.",
    ),
    "message.store.schema": (
        "数据库的结构无法使用：请管理员查看服务器日志。",
        "The store's structure cannot be used: an administrator should read the server's "
        "log.",
    ),
    "message.store": (
        "数据库出错，未做任何更改：请管理员查看服务器日志。",
        "The store failed; nothing was changed. An administrator should read the server's "
        "log.",
    ),
    "message.store.version": (
        "数据库的格式版本为 {found}，本程序需要 {expected}：请管理员迁移数据库。",
        "The store has schema version {found}, this chainrisk expects {expected}: an "
        "administrator must move the data to a new store.",
    ),
    "message.limit.max_file_bytes": (
        "{file} 超过 {limit:,} 字节（实际 {found:,}），未载入任何数据。请拆分文件，或请管理员调高环"
        "境变量 "
        "{setting}（0 = 不限）。",
        "{file} is over {limit:,} bytes (found {found:,}); nothing was loaded. Split the "
        "file, or ask an administrator to raise {setting} (0 = no limit).",
    ),
    "message.limit.max_rows": (
        "{file} 超过 {limit:,} 个数据行（实际 {found:,}），未载入任何数据。请拆分文件，或请管理员调"
        "高环境变量 "
        "{setting}（0 = 不限）。",
        "{file} has more than {limit:,} data rows (found {found:,}); nothing was loaded. "
        "Split the file, or ask an administrator to raise {setting} (0 = no limit).",
    ),
    "message.limit.row_chars": (
        "{file} 第 {line} 行超过 {limit:,} 个字符，未载入任何数据。请检查该行的引号（未闭合的引号会"
        "吞掉后面的行），"
        "或请管理员调高环境变量 {setting}（0 = 不限）。",
        "{file} line {line}: the row holds more than {limit:,} characters; nothing was "
        "loaded. Check the quoting of that row (an unclosed \" swallows the lines after "
        "it), or ask an administrator to raise {setting} (0 = no limit).",
    ),
    "message.limit.max_cell_chars": (
        "{file} 第 {line} 行有单元格超过 {limit:,} 个字符，未载入任何数据。请检查该行的引号，"
        "或请管理员调高环境变量 {setting}（0 = 不限）。",
        "{file} line {line}: a cell holds more than {limit:,} characters; nothing was "
        "loaded. Check the quoting of that row, or ask an administrator to raise {setting} "
        "(0 = no limit).",
    ),
    "message.limit.max_unpacked_bytes": (
        "{file} 解压后超过 {limit:,} 字节，未载入任何数据。请拆分，或请管理员调高环境变量 {setting}"
        "（0 = 不限）。",
        "{file} unpacks to more than {limit:,} bytes; nothing was loaded. Split it, or ask "
        "an administrator to raise {setting} (0 = no limit).",
    ),
    "message.limit.archive_parts": (
        "压缩包含有 {found:,} 个部分，正常文件至多 {limit:,} 个：请重新压缩或重新保存后上传。",
        "The archive holds {found:,} parts; a normal one has at most {limit:,}: zip or save "
        "it again and upload it again.",
    ),
    "message.limit.archive_ratio": (
        "压缩包中有部分解压后膨胀 {ratio:,} 倍，可能是压缩炸弹或损坏的文件：请重新压缩后上传。",
        "A part of the archive unpacks {ratio:,} times larger than it is stored: a zip bomb "
        "or a damaged file; zip it again and upload it again.",
    ),
    "message.bundle.missing": ("数据包文件夹不存在。", "The bundle folder does not exist."),
    "message.bundle.not_folder": ("数据包应为文件夹，含 regions.csv、firms.csv、components.csv "
                                  "和 bundle.toml。",
                                  "A bundle is a folder holding regions.csv, firms.csv, "
                                  "components.csv and bundle.toml."),
    "message.load.rows_rejected": (
        "{bundle}：{rows} 行中有 {problems} 个问题，未载入任何数据。",
        "{bundle}: {problems} problem(s) in {rows} row(s); nothing was loaded.",
    ),
    "message.load.unreadable": (
        "{bundle}：{problems} 个问题，其中有无法读取的文件，未载入任何数据。",
        "{bundle}: {problems} problem(s), including files that cannot be read; nothing was "
        "loaded.",
    ),
    "message.import.rows_rejected": (
        "读取 {read:,} 行，其中 {bad:,} 行有问题，未导入任何数据。",
        "{read:,} row(s) read, {bad:,} with problems; nothing was imported.",
    ),
    "message.import.unreadable": (
        "读取 {read:,} 行；有无法读取的文件或工作表，未导入任何数据。",
        "{read:,} row(s) read; some files or sheets cannot be read, so nothing was imported.",
    ),
    "message.upload.not_zip": ("该文件不是 zip 压缩包：请把数据包文件夹压缩为 .zip 后上传。",
                               "The file is not a zip archive: zip the bundle folder and upload "
                               "the .zip."),
    "message.upload.symlink": (
        "压缩包中的“{entry}”是符号链接：请直接压缩数据包的文件本身（不含链接）后重新上传。",
        "The zip entry {entry!r} is a symbolic link: zip the bundle's files themselves "
        "(without links) and upload again.",
    ),
    "message.upload.too_deep": (
        "压缩包中的文件夹嵌套了 {depth} 层（最多 {limit} 层）：请直接压缩数据包文件夹后重新上传。",
        "The zip nests folders {depth} deep (at most {limit}): zip the bundle folder itself "
        "and upload again.",
    ),
    "message.upload.long_name": (
        "压缩包中有一个名称长达 {chars} 个字符（最多 {limit} 个）：请改短后重新压缩。",
        "A name in the zip is {chars} characters long (at most {limit}): shorten it and zip "
        "again.",
    ),
    "message.upload.duplicate": (
        "压缩包中“{entry}”出现了两次：请只保留一个后重新压缩（系统不会替你猜测该用哪一个）。",
        "The zip holds {entry!r} twice: keep one of them and zip again (chainrisk does not "
        "guess which one is meant).",
    ),
    "message.upload.file_and_folder": (
        "压缩包中同时有名为“{entry}”的文件和文件夹：请重命名其中一个后重新压缩。",
        "The zip holds a file and a folder both called {entry!r}: rename one of them and "
        "zip again.",
    ),
    "message.upload.unpack_failed": (
        "压缩包无法解压（{reason}），其中内容均未载入：请重新压缩数据包文件夹后上传。",
        "The zip could not be unpacked ({reason}); nothing of it was loaded: zip the bundle "
        "folder again and upload it.",
    ),
    "message.upload.outside": ("压缩包中的条目“{entry}”指向数据包之外：请重新压缩数据包文件夹。",
                               "The zip entry '{entry}' points outside the bundle: zip the "
                               "bundle folder again."),
    "message.upload.damaged": ("压缩包已损坏或使用了无法读取的压缩方式：请重新压缩数据包文件夹"
                               "后上传。",
                               "The zip is damaged or uses a compression it cannot read: zip the "
                               "bundle folder again and upload it."),
    "message.upload.no_bundle_toml": (
        "压缩包中没有 bundle.toml：请压缩数据包文件夹本身（含 bundle.toml 和各 CSV 文件）。",
        "The zip holds no bundle.toml: zip the bundle folder itself (bundle.toml and the CSV "
        "files).",
    ),
    # ------------------------------------------------------------------ data quality (exports)
    "quality.no_producers": ("无生产企业数据", "no producer data"),
    "quality.leaf": ("无数据的末端环节（无生产企业、无投入）",
                     "leaf without data (no producers, no inputs)"),
    "quality.shares_assumed": ("{total} 个份额中有 {missing} 个为推定（{about}）",
                               "{missing} of {total} shares assumed ({about})"),
    "quality.given": ("数据给出 {share}", "{share} given"),
    "quality.unresolved_region": ("导入时未能识别的地区", "unresolved region from an import"),
    "group.producers": ("生产企业", "producers"),
    "group.buys": ("采购 {component}", "buys {component}"),
    "group.required_input": ("必需投入", "required input"),
    "group.input_group": ("投入组 {label}", "input group {label}"),
    "group.parent": ("上级地区", "parent region"),
    "group.hq": ("总部所在地区", "HQ region"),
    "group.site_firm": ("生产基地的运营企业", "operator of the site"),
    "group.site_region": ("生产基地所在地区", "site region"),
    # ------------------------------------------------------------------ export notes
    "part.targets_lost_share": ("停摆目标占比", "targets_lost_share"),
    "part.output_lost": ("目标产出损失", "output_lost"),
    "part.nodes_lost": ("连带失效节点数", "nodes_lost"),
    "part.sole_source_links": ("独家供应关系数", "sole_source_links"),
    "part.concentration": ("最高国别集中度", "concentration"),
    "part.betweenness": ("中介中心性", "betweenness"),
    "summary.none": ("无", "none"),
    "summary.sheet": ("工作表：{title}", "Sheet: {title}"),
    "howto.coverage": (
        "本链每个环节一行：范围内生产的份额（按份额规则折算后的生产份额；生产基地按其所在地计），"
        "范围内的生产企业数，由本国控制的企业所占份额，以及环节类别：缺链（范围内无生产）、"
        "弱链（范围内不足30%，或仅一家企业）、强链，或无数据（无任何生产企业记录）。",
        "One row per component of the chain: the share of its production made inside the "
        "scope (producer shares after the share rule; a site counts where it stands), the "
        "firms making it there, the share made by firms controlled from the scope's "
        "country, and the link class: missing (nothing inside), weak (under 30 % inside, "
        "or one firm), strong, or no data (nobody is recorded making it)."),
    "howto.reliance": (
        "假如范围外的投入全部中断（采购方转向范围内的生产企业），本链每个目标能否仍可生产？"
        "若不能：列出卡脖子环节（范围内无人能供应、且位于通向该目标的失效路径上的环节）及补链方案——"
        "同时补齐即可生产、且无一多余的一组环节（不一定最少）。",
        "If every input from outside the scope stopped (buyers turning to whoever makes a "
        "part inside), could each chain target still be made? If not: the blocking links "
        "(parts nobody inside can supply, on a failure path to it) and a fill plan — "
        "links whose filling together makes it, none of them superfluous (not "
        "necessarily the fewest)."),
    "howto.gaps": (
        "按作用大小排列的待补环节：先列断链（范围内无人能供应），按单独补齐后可生产的目标数、"
        "再按其阻断的目标数排序；后列弱链，按其作为单点失效的目标数排序。"
        "每家生产该环节、但在范围内尚无生产的企业（招商对象）占一行，按全球份额排序。",
        "Links to fill, most useful first: cut links (nobody inside can supply them) by "
        "how many chain targets filling the link alone would make makeable, then by how "
        "many it blocks; then weak links by how many targets they are a single point of "
        "failure of. One row per firm that makes the link and has nothing inside the "
        "scope yet (a firm to attract), by world share."),
    "howto.substitutes": (
        "本链环节的每一项独家采购（仅一家供应商），以及该环节的其他生产企业："
        "范围内的排在前面，再按全球份额排序；“已向采购方供货”表示采购方已向其采购其他产品。"
        "无人可替代的采购只有一行，不列替代企业。",
        "Every purchase of a chain component from one supplier only, with the component's "
        "other makers: those inside the scope first, then by world share; 'already "
        "supplies the buyer' marks a maker the buyer buys something else from. A purchase "
        "nobody else could supply has one row with no substitute."),
    "howto.summary": ("本工作簿的数据来源、参数及阅读方法。",
                      "What produced this workbook and how to read it."),
    "howto.firms": (
        "每行一家本链企业（本链环节的生产企业、链主企业、贸易商），以及单独失去即可使链上目标停摆的"
        "本链外企业，"
        "最关键的在前。风险评分 = 各分项加权求和（权重见“概要”表）；受影响目标数 = 单独失去该企业时"
        "停摆的"
        "终端产品和链主企业数；目标产出损失 = 各目标平均损失的产出；中介中心性和割点为结构性指标。",
        "One row per firm of the chain (makers of its components, leader firms, traders) "
        "and per firm outside it whose loss alone stops a chain target, most critical "
        "first. score = weighted sum of the parts (weights on the Summary sheet); "
        "targets_lost = chain end products and leader firms that stop if this firm alone "
        "is lost; output_lost = mean output the targets lose; betweenness and articulation "
        "point are structural views.",
    ),
    "howto.components": (
        "每行一个有生产企业数据的本链环节：供应集中度（按企业和按国家计算的 HHI，0–10,000；高于 2,5"
        "00 "
        "为高度集中）、最大生产企业和最大生产国、是否有单一国家超过 65%、境外生产份额，以及失去该环"
        "节时"
        "停摆的目标数。",
        "One row per component of the chain with producer data: supply concentration (HHI "
        "0–10,000 by firm and by country; above 2,500 is high), the top producer and "
        "country, whether one country holds more than 65 %, the share made abroad, and how "
        "many chain targets stop if the component is lost.",
    ),
    "howto.regions": (
        "每行一个本链的国家、省份、城市或园区，以及单独失去即可使链上目标停摆的本链外地区：被切断时"
        "停摆的"
        "目标和节点数、损失的产出；对国家另列本链环节供应中该国的平均份额、居首的环节数及份额超过 6"
        "5% 的"
        "环节数。",
        "One row per country, province, city or zone of the chain, and per region outside "
        "it whose loss alone stops a chain target: what stops if it is cut off (targets, "
        "nodes, output), and for countries the average share of the chain's component "
        "supply made there, how many components it leads and in how many it holds more "
        "than 65 %.",
    ),
    "howto.spof": (
        "对每个链上目标（终端产品或链主企业），列出单独失去即可使其停摆的每个节点，以及一条从该节点"
        "到目标的"
        "失效路径。按物料清单规则精确计算：产品需要全部投入，每项投入任一供应商即可。“本链外”表示该"
        "节点"
        "不属于本链，但本链依赖它。",
        "For each chain target (end product or chain-leader firm), every node whose loss "
        "alone stops it, with one failure path from the lost node to the target. Exact "
        "under bill-of-materials rules: a product needs all its inputs, an input any one "
        "of its suppliers. 'Outside the chain' marks a node that is none of the chain's "
        "members but that the chain depends on.",
    ),
    "howto.scenario": (
        "“概要”表所列中断发生后各节点保留的产出：扰动前（均为 100%）、扰动后、损失，以及是否完全停"
        "摆。"
        "在供应环路中，产出可能降为 0 而节点在“是否停摆”的判断中仍算运转。",
        "Output each node keeps after the disruption on the Summary sheet: before "
        "(always 100 %), after, loss, and whether it stops outright. Around supply "
        "loops output can fall to 0 while the node still works in the yes/no view.",
    ),
    "howto.data_quality": (
        "分析本链时不得不推定的部分：没有生产企业数据的环节、缺少份额的生产企业组或供应商组（按份额"
        "规则"
        "分摊）、导入时未能识别的地区。在数据中补齐这些可使结论更准确。",
        "What the analysis of this chain had to assume: its components without producer "
        "data, groups of producers or suppliers with shares missing (split by the share "
        "rule), regions an import could not resolve. Fix these in the data to sharpen the "
        "answers.",
    ),
    "method.spof": (
        "单点失效按物料清单规则精确计算：产品需要全部投入，每项投入任一供应商即可；企业需要其所在地"
        "区，"
        "以及所采购的每种部件中的任一供应商。",
        "Single points of failure are exact under bill-of-materials rules: a product needs "
        "all its inputs, each input any one of its suppliers; a firm needs its region and, "
        "for each part it buys, one of its suppliers.",
    ),
    "method.score": (
        "风险评分对“企业”“环节”“地区”各表所列分项加权；每个分项在同类节点中缩放到 0–1。",
        "The score weighs the parts shown on the Firms, Components and Regions sheets; each "
        "part is scaled to 0–1 within its kind.",
    ),
    "method.concentration": (
        "集中度使用按份额规则处理后的市场份额（缺失的份额分摊剩余部分）；生产基地优先于总部计入。",
        "Concentration uses market shares after the share rule (missing shares split the "
        "remainder); production sites count before headquarters.",
    ),
    "method.shares.approximate": ("{bundles} 的份额为近似值（其 bundle.toml 如此声明）。",
                                  "Shares from {bundles} are approximate, as their "
                                  "bundle.toml says."),
    "method.shares.reported": ("{bundles} 的份额为企业申报值（其 bundle.toml 如此声明）。",
                               "Shares from {bundles} are as the firms reported them, as "
                               "their bundle.toml says."),
    "method.shares.unsaid": ("{bundles} 的份额按数据所给使用；其 bundle.toml 未说明准确程度。",
                             "Shares from {bundles} are used as the data gives them; their "
                             "bundle.toml does not say how exact they are."),
    "method.shares_hidden.approximate": ("本产业链数据中有近似份额（数据包如此声明）。",
                                         "Some shares of this chain's data are approximate, "
                                         "as their bundles say."),
    "method.shares_hidden.reported": ("本产业链数据中有企业申报的份额（数据包如此声明）。",
                                      "Some shares of this chain's data are as the firms "
                                      "reported them, as their bundles say."),
    "method.shares_hidden.unsaid": ("本产业链数据中有未说明准确程度的份额。",
                                    "Some shares of this chain's data come from bundles "
                                    "that do not say how exact they are."),
    "export.continued_item": ("续表", "Continued"),
    "export.continued": ("{sheet} 共 {rows:,} 行，超过一张工作表可容纳的 {limit:,} 行，"
                         "续于 {more}。",
                         "{sheet} has {rows:,} rows, more than the {limit:,} a sheet holds: it "
                         "continues on {more}."),
    "export.long_texts": ("长文本", "Long texts"),
    "export.long_texts_said": (
        "{cells} 个单元格的文本超过一个单元格可容纳的 {limit:,} 个字符：单元格中保留开头并注明"
        "截断处，完整文本见工作表 {sheet}。",
        "{cells} cell(s) held more text than a cell allows ({limit:,} characters): each "
        "keeps its beginning and says where it was cut; the whole texts are on the sheet "
        "{sheet}.",
    ),
    "export.cut_note": (" …［此处截断：完整文本见工作表 {sheet} 第 {number} 条］",
                        " … [cut here: the whole text is no. {number} on the sheet {sheet}]"),
    "summary.formula_guard": (
        "以 = + - @、制表符或回车开头的文本单元格前加 '，任何电子表格都不会把它当作公式执行",
        "text cells starting with = + - @ tab or carriage return are prefixed with ' so "
        "that no spreadsheet runs them",
    ),
}

# Which remedy the app adds to a problem or an error with this code, and the words it
# fills in (labels of the app's own controls).
REMEDIES: dict[str, tuple[str, dict[str, str]]] = {
    "load.rows_rejected": ("remedy.skip_rows", {"on_error": "label.on_error",
                                                "skip": "on_error.skip"}),
    "import.rows_rejected": ("remedy.skip_rows_import", {"on_error": "label.on_error",
                                                         "skip": "on_error.skip"}),
    "load.unreadable": ("remedy.fix_files", {}),
    "import.unreadable": ("remedy.fix_files", {}),
    "file.not_text": ("remedy.resave_utf8", {}),
    "file.not_text_line": ("remedy.resave_utf8", {}),
    "file.utf16": ("remedy.resave_utf8", {}),
    "file.binary": ("remedy.resave_utf8", {}),
    "file.is_workbook": ("remedy.workbook_tab", {"tab": "label.suppliers_tab"}),
    "sheet.no_header": ("remedy.rename_headers", {}),
    "sheet.no_header_in_file": ("remedy.rename_headers", {}),
    "sheet.skipped_no_header": ("remedy.rename_headers", {}),
    "sheet.missing_columns": ("remedy.rename_headers", {}),
    "sheet.no_buyer": ("remedy.name_buyer", {"buyer": "label.buyer"}),
    "sheet.unknown": ("remedy.one_sheet", {}),
    "name.ambiguous_firm": ("remedy.add_uscc", {}),
    "name.ambiguous_component": ("remedy.add_uscc", {}),
}

DOMAINS = ("stage", "level", "band", "kind", "severity", "bool", "on_error", "source", "table",
           "field", "member_role", "quality_kind", "part", "link_class", "gap")


def _index(lang: str) -> int:
    return 0 if lang == "zh" else 1


def fields(template: str) -> set[str]:
    """Return the ``{names}`` a template fills in.

    >>> sorted(fields("{a} of {b:,}"))
    ['a', 'b']
    """
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def text(key: str, lang: str, /, **values: Any) -> str:
    """Return the words of ``key`` in ``lang`` (zh, or en for anything else), filled in.

    Values of parameters that are words themselves (kind, level, stage, field) are
    translated first.
    """
    template = WORDS[key][_index(lang)]
    if not values:
        return template
    return template.format(**{k: _param(k, v, lang) for k, v in values.items()})


def _param(name: str, raw: Any, lang: str) -> Any:
    domain = PARAM_DOMAINS.get(name)
    separator = "、" if lang == "zh" else ", "
    if isinstance(raw, list | tuple):
        return separator.join(str(_param(name, item, lang)) for item in raw)
    if domain is not None and isinstance(raw, str):
        return value(domain, raw, lang)
    return raw


def value(domain: str, raw: Any, lang: str) -> str:
    """Return the value ``raw`` of ``domain`` in ``lang``; a value not in the catalogue as is.

    Booleans are the ``bool`` domain whatever ``domain`` says; None and "" are "".
    """
    if isinstance(raw, bool):
        return WORDS[f"bool.{str(raw).lower()}"][_index(lang)]
    if raw is None or raw == "":
        return ""
    pair = WORDS.get(f"{domain}.{raw}")
    return pair[_index(lang)] if pair else str(raw)


def english_values(domains: Iterable[str] = DOMAINS) -> set[str]:
    """Return the English side of every value word of ``domains`` (what Chinese must not show)."""
    prefixes = tuple(f"{d}." for d in domains)
    return {en for key, (_, en) in WORDS.items() if key.startswith(prefixes)}


def remedy(code: str, lang: str) -> str:
    """Return what the app tells the user to do about ``code`` ("" when it says nothing more)."""
    entry = REMEDIES.get(code)
    if entry is None:
        return ""
    key, labels = entry
    return text(key, lang, **{name: text(label, lang) for name, label in labels.items()})


def _join(first: str, then: str, lang: str) -> str:
    if not then:
        return first
    return first + then if lang == "zh" else f"{first} {then}"


def _wording(prefixes: tuple[str, ...], code: str, params: Mapping[str, Any], lang: str
             ) -> str | None:
    for prefix in prefixes:
        key = f"{prefix}.{code}"
        if key in WORDS and fields(WORDS[key][0]) <= set(params):
            return _join(text(key, lang, **params), remedy(code, lang), lang)
    return None


class _Reasoned(Protocol):
    """A load problem as :func:`problem_reason` reads it."""

    @property
    def code(self) -> str: ...

    @property
    def params(self) -> dict[str, Any]: ...

    @property
    def reason(self) -> str: ...


def problem_reason(problem: _Reasoned, lang: str) -> str:
    """Return the reason of a load problem in ``lang``, with the app's remedy.

    A problem without a code (or with parameters its wording lacks) keeps its English
    reason, marked as such in Chinese.
    """
    said = _wording(("reason", "message"), problem.code, problem.params, lang)
    return said if said is not None else text("reason.uncoded", lang, reason=problem.reason)


def error_message(error: BaseException, lang: str, fallback: str | None = None) -> str:
    """Return a library error in ``lang`` with the app's remedy; when its code has no
    words, the words of ``fallback`` (a key) if given, else ``str(error)``.

    The command line prints ``str(error)`` instead: English, with its own flags.
    """
    code = getattr(error, "code", "")
    params = getattr(error, "params", {})
    said = _wording(("message", "reason"), code, params, lang) if code else None
    if said is None and fallback is not None:
        said = _wording(("message",), fallback, {}, lang)
    return said if said is not None else str(error)


@cache
def _pattern(key: str) -> re.Pattern[str]:
    english = WORDS[key][1]
    parts = []
    for literal, name, _, _ in string.Formatter().parse(english):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts) + r"\Z")


# The English texts an export writes whole, matched back to their keys (fields first).
_EXPORT_TEXTS = ("quality.shares_assumed", "quality.given", "group.buys", "group.input_group",
                 "summary.sheet", "method.shares.approximate", "method.shares.reported",
                 "method.shares.unsaid")


def translate(english: str, lang: str) -> str:
    """Return an English text the exports write, in ``lang``; text not in the catalogue as is.

    The text is either the English side of an entry without fields, or one of the
    export's filled-in texts (shares assumed, a group, a sheet line), whose fields are
    translated in turn.
    """
    if lang != "zh" or not english:
        return english
    key = _whole().get(english)
    if key is not None:
        return WORDS[key][0]
    for key in _EXPORT_TEXTS:
        match = _pattern(key).match(english)
        if match:
            filled = {k: translate(v, lang) for k, v in match.groupdict().items()}
            return WORDS[key][0].format(**filled)
    return english


@cache
def _whole() -> dict[str, str]:
    """Return the English text of each entry without fields (values excepted) -> key."""
    out: dict[str, str] = {}
    for key, (_, en) in WORDS.items():
        if not fields(en) and not key.startswith(tuple(f"{d}." for d in DOMAINS)):
            out.setdefault(en, key)
    return out


__all__ = ["DOMAINS", "LANGS", "REMEDIES", "WORDS", "english_values", "error_message",
           "fields", "problem_reason", "remedy", "text", "translate", "value"]
