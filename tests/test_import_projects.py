"""Reading a month's project sheet: XLSX and CSV in, typed rows and located problems out.

Fixture files are built in tmp_path the way county offices make them: a title row above the
header, Chinese headers with units (总投资（亿元）), dates as Excel dates and as 2023年4月 text,
labels instead of keys (在建, 续建, 省级), a totals row at the bottom, CSV in UTF-8, UTF-8 with
BOM and GB18030. Every problem is checked for its sheet, row, column and exact reason.
"""

from __future__ import annotations

import csv
import io
import random
import re
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from shapely.geometry import Point

from geoapp.config import PROJECT_ROOT
from geoapp.errors import ConfigError
from geoapp.imports.problems import FileRefused, Problem, message
from geoapp.imports.projects import ParsedProjects, parse_projects
from geoapp.imports.sheets import (
    RawTable,
    _open_workbook,
    _stream_sheet,
    load_header_map,
    normalise_header,
    read_table,
)
from geoapp.layers import load_layer

LAYER = load_layer(PROJECT_ROOT / "layers" / "projects.toml")
HEADERS = [
    "序号", "项目代码", "项目名称", "建设单位", "建设地点", "行业类别", "级别", "建设性质",
    "建设阶段", "总投资（亿元）", "年度计划投资（万元）", "累计完成投资", "计划开（复）工时间",
    "计划竣工时间", "实际开（复）工时间", "包抓领导", "责任单位", "行政区划代码", "经度", "纬度",
]  # fmt: skip
COLUMN = {header: index for index, header in enumerate(HEADERS)}
TITLE = "陇县2023年重点项目计划表（截至4月底）"


def project(**cells: object) -> list[object]:
    """One data row in HEADERS order; a good, complete project unless cells say otherwise."""
    row: list[object] = [None] * len(HEADERS)
    good = {
        "序号": 1,
        "项目代码": "2303-610327-04-01-000001",
        "项目名称": "苏陕工业园标准化厂房",
        "建设单位": "陇县城市建设投资有限公司",
        "建设地点": "东风镇",
        "行业类别": "产业",
        "级别": "省级",
        "建设性质": "新建",
        "建设阶段": "在建",
        "总投资（亿元）": 1.2,
        "年度计划投资（万元）": 3000,
        "累计完成投资": 1500.5,
        "计划开（复）工时间": datetime(2023, 4, 1),
        "计划竣工时间": "2024年12月",
        "包抓领导": "张三",
        "责任单位": "县发改局",
        "行政区划代码": 610327,
        "经度": 106.855,
        "纬度": 34.895,
    }
    good.update({k: v for k, v in cells.items()})
    for header, value in good.items():
        row[COLUMN[header]] = value
    return row


def write_xlsx(
    path: Path,
    rows: list[list[object]],
    *,
    headers: list[str] = HEADERS,
    title: str | None = TITLE,
    merges: tuple[str, ...] = (),
    sheet: str = "项目表",
    more_sheets: tuple[str, ...] = (),
) -> Path:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(f"A1:{openpyxl.utils.get_column_letter(len(headers))}1")
    ws.append(headers)
    for row in rows:
        ws.append(row)
    for cells in merges:
        ws.merge_cells(cells)
    for name in more_sheets:
        workbook.create_sheet(name).append(["说明"])
    workbook.save(path)
    return path


def write_csv(
    path: Path, rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def parse(path: Path, locale: str = "zh", sheet: str | None = None) -> ParsedProjects:
    return parse_projects(read_table(path, sheet, locale), LAYER, locale)


def located(problems: list[Problem]) -> list[tuple[str, int | None, str | None, str]]:
    return [(p.sheet, p.row, p.column, p.reason) for p in problems]


def refusal(path: Path, locale: str = "zh", sheet: str | None = None) -> Problem:
    with pytest.raises(FileRefused) as caught:
        read_table(path, sheet, locale)
    return caught.value.problem


def without_geometry(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "geometry"}


# --- a real-looking sheet ----------------------------------------------------------------------


def test_real_sheet_is_read_typed_and_converted(tmp_path: Path):
    second = project(
        序号=2,
        项目代码="2303-610327-04-01-000002",
        项目名称="城关镇至东风镇道路改建",
        建设单位="陇县交通运输局",
        建设地点="城关镇",
        行业类别="基础设施",
        级别="市级重点",
        建设性质="续建",
        建设阶段="复工",
        **{
            "总投资（亿元）": "0.35",
            "年度计划投资（万元）": "1,200",
            "累计完成投资": "800万",
            "计划开（复）工时间": "2023年4月",
            "计划竣工时间": "2023.12.31",
        },
        包抓领导="李四",
        责任单位=None,  # merged with the cell above: the same unit
        行政区划代码="610327",
        经度=None,
        纬度=None,
    )
    totals = [None] * len(HEADERS)
    totals[0], totals[COLUMN["总投资（亿元）"]] = "合计", 1.55
    path = write_xlsx(tmp_path / "陇县.xlsx", [project(), second, totals], merges=("Q3:Q4",))

    table = read_table(path, None, "zh")
    assert (table.sheet, table.header_row, table.headers) == ("项目表", 2, HEADERS)
    result = parse_projects(table, LAYER, "zh")

    first, roads = result.rows
    assert without_geometry(first) == {
        "project_id": "2303-610327-04-01-000001",
        "name": "苏陕工业园标准化厂房",
        "owner": "陇县城市建设投资有限公司",
        "location": "东风镇",
        "category": "industry",
        "level": "province",
        "nature": "new",
        "status": "construction",
        "total_investment": 12000.0,  # 1.2 亿元
        "annual_plan": 3000.0,
        "completed": 1500.5,
        "planned_start": date(2023, 4, 1),
        "planned_end": date(2024, 12, 1),
        "actual_start": None,
        "leader": "张三",
        "unit": "县发改局",
        "county_code": "610327",
        "_row": 3,
        "_approximate": False,
    }
    assert first["geometry"].equals(Point(106.855, 34.895))
    assert without_geometry(roads) == {
        "project_id": "2303-610327-04-01-000002",
        "name": "城关镇至东风镇道路改建",
        "owner": "陇县交通运输局",
        "location": "城关镇",
        "category": "infrastructure",
        "level": "city",
        "nature": "continuing",
        "status": "construction",
        "total_investment": 3500.0,  # "0.35" 亿元
        "annual_plan": 1200.0,
        "completed": 800.0,
        "planned_start": date(2023, 4, 1),
        "planned_end": date(2023, 12, 31),
        "actual_start": None,
        "leader": "李四",
        "unit": "县发改局",  # filled from the merged cell
        "county_code": "610327",
        "_row": 4,
        "_approximate": True,
    }
    assert roads["geometry"] is None
    assert located(result.problems) == [
        (
            "项目表",
            3,
            "责任单位",
            "合并单元格 Q3:Q4 只有首格有值，已把首格的值用于合并区域的每一行",
        ),
        ("项目表", 5, "序号", "合计行，已跳过"),
    ]
    assert [p.severity for p in result.problems] == ["warning", "warning"]
    assert (result.read, result.skipped, result.errors) == (3, [5], [])


def test_streamed_cells_equal_openpyxl_read_only_values(tmp_path: Path):
    """The one-pass reader gives exactly what openpyxl's read-only, data-only cells give."""
    path = write_xlsx(tmp_path / "same.xlsx", [project(), project(序号=2, 经度="106°51′18″")])
    workbook = openpyxl.load_workbook(path)
    ws = workbook.active
    ws["U3"] = True
    ws["V3"] = "#DIV/0!"
    ws["V3"].data_type = "e"
    ws["W3"] = date(2023, 5, 6)
    ws["Y3"] = CellRichText(["普通", TextBlock(InlineFont(b=True), "加粗")])
    ws["X5"] = 2.5  # a row of its own, after a gap
    ws["Z9"] = "末行"
    workbook.save(path)

    expected = openpyxl.load_workbook(path, read_only=True, data_only=True).active
    wanted = {
        number: [v for v in values]
        for number, values in enumerate(expected.iter_rows(values_only=True), start=1)
    }
    with path.open("rb") as source:
        book = _open_workbook(source)
        streamed = _stream_sheet(book, book.sheets[0][1])
        book.archive.close()
    for number, values in streamed.rows:
        assert values == list(wanted[number][: len(values)]), number
        assert not any(wanted[number][len(values) :]), number
    assert {n for n, _ in streamed.rows} == {n for n, v in wanted.items() if any(v)}
    assert streamed.merges == [(1, 1, 20, 1)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_every_encoding(tmp_path: Path, encoding: str):
    headers = ["项目代码", "项目名称", "建设阶段", "级别", "建设性质", "行业类别", "总投资（万元）",
               "年度计划", "累计完成投资", "计划开工时间", "计划竣工时间", "实际开工时间",
               "经度", "纬度"]  # fmt: skip
    rows = [
        ["县重点项目汇总表"],
        headers,
        ["P1", "食品工业园冷链物流", "Under construction", "province", "续建", "新能源",
         "12,345.5", "1.2亿", "3000万", "2023/4/1", "2023.4.1", "2023年4月1日",
         "106.9", "34.9"],
        ["P2", "新型材料产业园", "construction", "省级重点", "New", "Ecology",
         "5000元", "—", "", "45017", "2023-04", "20230401", "", ""],
    ]  # fmt: skip
    result = parse(write_csv(tmp_path / f"{encoding}.csv", rows, encoding))
    assert result.problems == []
    first, second = (without_geometry(row) for row in result.rows)
    assert first == {
        "project_id": "P1",
        "name": "食品工业园冷链物流",
        "status": "construction",
        "level": "province",
        "nature": "continuing",
        "category": "energy",
        "total_investment": 12345.5,
        "annual_plan": 12000.0,
        "completed": 3000.0,
        "planned_start": date(2023, 4, 1),
        "planned_end": date(2023, 4, 1),
        "actual_start": date(2023, 4, 1),
        "_row": 3,
        "_approximate": False,
    }
    assert second == {
        "project_id": "P2",
        "name": "新型材料产业园",
        "status": "construction",
        "level": "province",
        "nature": "new",
        "category": "ecology",
        "total_investment": 0.5,  # 5000 元
        "annual_plan": None,  # "—" is blank
        "completed": None,
        "planned_start": date(2023, 4, 1),  # an Excel serial number
        "planned_end": date(2023, 4, 1),
        "actual_start": date(2023, 4, 1),
        "_row": 4,
        "_approximate": True,
    }


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_delimiter_is_sniffed_and_rows_count_records(tmp_path: Path, delimiter: str):
    rows = [
        ["项目代码", "项目名称", "建设单位", "建设阶段"],
        ["P1", "厂房\n（一期）", "城投", "在建"],  # a line break inside a quoted cell
        ["P2", "道路", "交通局", "停工"],
    ]
    result = parse(write_csv(tmp_path / "d.csv", rows, delimiter=delimiter))
    assert [(r["_row"], r["name"]) for r in result.rows] == [(2, "厂房\n（一期）")]
    assert located(result.problems) == [
        (
            "d.csv",
            3,
            "建设阶段",
            "“停工”不是有效的“建设阶段”；可填：谋划储备、前期推进、在建、竣工、投产、达效",
        )
    ]


# --- bad cells ---------------------------------------------------------------------------------


def bad_sheet(tmp_path: Path) -> Path:
    rows = [
        project(序号=1, 项目代码=None, 项目名称=None),  # nothing to match the row by
        project(序号=2, 项目代码="P2", 建设阶段="停工"),
        project(序号=3, 项目代码="P3", **{"计划开（复）工时间": "2023-13-01"}),
        project(序号=4, 项目代码="P4", **{"总投资（亿元）": -5}),
        project(序号=5, 项目代码="P2"),
        project(序号=6, 项目代码="P6", 经度=200),
        project(序号=7, 项目代码="P7", 经度=34.9, 纬度=106.8),
        project(序号=8, 项目代码="P8", 行政区划代码="61032"),
        project(序号=9, 项目代码="P9", 项目名称="—", 级别="乡级"),
        project(序号=10, 项目代码="P10"),
    ]
    return write_xlsx(tmp_path / "bad.xlsx", rows)


def test_bad_cells_are_located_with_reasons_in_chinese(tmp_path: Path):
    result = parse(bad_sheet(tmp_path))
    assert located(result.problems) == [
        ("项目表", 3, "项目名称", "这一行既没有项目代码也没有项目名称，无法对应到项目"),
        ("项目表", 4, "项目代码", "项目代码“P2”与第 7 行重复"),  # both rows: which one is right?
        (
            "项目表",
            4,
            "建设阶段",
            "“停工”不是有效的“建设阶段”；可填：谋划储备、前期推进、在建、竣工、投产、达效",
        ),
        (
            "项目表",
            5,
            "计划开（复）工时间",
            "“2023-13-01”不是有效的日期（示例：2023-04-01、2023/4/1、2023年4月1日、2023年4月）",
        ),
        ("项目表", 6, "总投资（亿元）", "金额不能为负数：-5"),
        ("项目表", 7, "项目代码", "项目代码“P2”与第 4 行重复"),
        ("项目表", 8, "经度", "经度 200 不在中国范围内（东经 73–136 度）"),
        ("项目表", 9, "经度", "经度 34.9 不在中国范围内（东经 73–136 度）；经度和纬度可能填反了"),
        ("项目表", 9, "纬度", "纬度 106.8 不在中国范围内（北纬 3–54 度）；经度和纬度可能填反了"),
        ("项目表", 10, "行政区划代码", "“61032”不是 6 位行政区划代码（例如 610327）"),
        ("项目表", 11, "级别", "“乡级”不是有效的“级别”；可填：省级重点、市级重点、县级重点"),
    ]
    assert all(p.severity == "error" for p in result.problems)
    assert [row["_row"] for row in result.rows] == [12]
    assert result.rejected == [3, 4, 5, 6, 7, 8, 9, 10, 11]


def test_bad_cells_have_english_reasons(tmp_path: Path):
    result = parse(bad_sheet(tmp_path), locale="en")
    assert [(p.row, p.column, p.reason) for p in result.problems] == [
        (3, "项目名称", "This row has neither a project code nor a name to match it by"),
        (4, "项目代码", 'The project code "P2" is also on row 7'),
        (
            4,
            "建设阶段",
            '"停工" is not a valid "建设阶段"; use one of: In reserve, Preparatory, '
            "Under construction, Completed, In production, At design output",
        ),
        (
            5,
            "计划开（复）工时间",
            '"2023-13-01" is not a valid date (examples: 2023-04-01, 2023/4/1, 2023年4月1日, '
            "2023年4月)",
        ),
        (6, "总投资（亿元）", "An amount cannot be negative: -5"),
        (7, "项目代码", 'The project code "P2" is also on row 4'),
        (8, "经度", "Longitude 200 is outside China (73–136° E)"),
        (9, "经度", "Longitude 34.9 is outside China (73–136° E); longitude and latitude may "
         "be swapped"),
        (9, "纬度", "Latitude 106.8 is outside China (3–54° N); longitude and latitude may "
         "be swapped"),
        (10, "行政区划代码", '"61032" is not a 6-digit administrative code (such as 610327)'),
        (11, "级别", '"乡级" is not a valid "级别"; use one of: Provincial, City, County'),
    ]  # fmt: skip
    assert result.problems[1].describe("en") == (
        'sheet "项目表", row 4, column "项目代码": The project code "P2" is also on row 7'
    )
    chinese = parse(bad_sheet(tmp_path), locale="zh").problems[1]
    assert chinese.describe("zh") == "工作表“项目表”第 4 行“项目代码”列：项目代码“P2”与第 7 行重复"


def _set_cached_value(path: Path, formula: str, value: str) -> None:
    """Give one formula the cached value Excel would have saved (openpyxl writes none)."""
    with zipfile.ZipFile(path) as source:
        members = {info: source.read(info.filename) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members.items():
            if info.filename == "xl/worksheets/sheet1.xml":
                old = f"<f>{formula}</f><v></v>".encode()
                assert old in data
                data = data.replace(old, f"<f>{formula}</f><v>{value}</v>".encode())
            target.writestr(info, data)


def test_formula_without_cached_value_is_an_error_of_its_cell(tmp_path: Path):
    rows = [
        project(序号=1, 项目代码="P1", **{"年度计划投资（万元）": "=L3*2"}),
        project(序号=2, 项目代码="P2", **{"年度计划投资（万元）": "=L4*2"}),
        project(序号=3, 项目代码="P3"),
    ]
    path = write_xlsx(tmp_path / "formulas.xlsx", rows)
    _set_cached_value(path, "L4*2", "3001")
    result = parse(path)
    assert located(result.problems) == [
        (
            "项目表",
            3,
            "年度计划投资（万元）",
            "公式没有已计算的结果（文件可能由程序生成、未在 Excel 中保存过）；"
            "请在 Excel 中打开并保存后重新导入",
        )
    ]
    assert [(r["_row"], r["annual_plan"]) for r in result.rows] == [(4, 3001.0), (5, 3000.0)]


def test_excel_error_values_and_placeholders(tmp_path: Path):
    path = write_xlsx(tmp_path / "errors.xlsx", [project(项目代码="P1"), project(项目代码="P2")])
    workbook = openpyxl.load_workbook(path)
    ws = workbook.active
    ws["L3"] = "#DIV/0!"
    ws["L3"].data_type = "e"
    ws["P4"] = "暂无"
    workbook.save(path)
    result = parse(path)
    assert located(result.problems) == [
        ("项目表", 3, "累计完成投资", "单元格是 Excel 错误值 #DIV/0!（公式出错）")
    ]
    assert [(r["_row"], r["leader"]) for r in result.rows] == [(4, None)]


# --- refused files -----------------------------------------------------------------------------


def test_merged_header_cells_are_refused(tmp_path: Path):
    path = write_xlsx(tmp_path / "merged.xlsx", [project()], merges=("J2:K2",))
    assert refusal(path) == Problem(
        "项目表",
        2,
        None,
        "表头行（第 2 行）有合并单元格 J2:K2；请取消合并，让每一列都有自己的列名",
    )
    assert refusal(path, "en").reason == (
        "The header row (row 2) has merged cells J2:K2; unmerge them so that every column has "
        "its own name"
    )


def test_unknown_sheet_is_refused_listing_the_sheets(tmp_path: Path):
    path = write_xlsx(tmp_path / "sheets.xlsx", [project()], more_sheets=("填报说明",))
    assert refusal(path, sheet="汇总").reason == (
        "工作簿中没有名为“汇总”的工作表；现有工作表：“项目表”、“填报说明”"
    )
    assert refusal(path, "en", sheet="汇总").reason == (
        'The workbook has no sheet named "汇总"; its sheets are: "项目表", "填报说明"'
    )
    assert parse(path, sheet="项目表").rows[0]["project_id"] == "2303-610327-04-01-000001"
    assert refusal(path, sheet="填报说明").reason.startswith("前 10 行中找不到表头")


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.csv", b""), ("blank.csv", b"\r\n,,,\r\n  \r\n"), ("bom.csv", b"\xef\xbb\xbf")],
)
def test_empty_csv_is_refused(tmp_path: Path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    assert refusal(path) == Problem(name, None, None, f"“{name}”是空的，没有可导入的内容")


def test_empty_workbook_is_refused(tmp_path: Path):
    path = tmp_path / "empty.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Sheet1"
    workbook.save(path)
    assert refusal(path) == Problem("Sheet1", None, None, "“Sheet1”是空的，没有可导入的内容")
    assert refusal(path, "en").reason == '"Sheet1" is empty: there is nothing to import'


@pytest.mark.parametrize(
    "content",
    [
        bytes(random.Random(7).randrange(256) for _ in range(4096)),
        b"PK\x03\x04" + bytes(random.Random(8).randrange(256) for _ in range(4096)),
        "<html><table><tr><td>项目代码</td></tr></table></html>".encode(),  # a web "export"
    ],
    ids=["random", "broken-zip", "html"],
)
def test_a_file_that_is_not_excel_is_refused(tmp_path: Path, content: bytes):
    path = tmp_path / "projects.xlsx"
    path.write_bytes(content)
    assert refusal(path) == Problem(
        "projects.xlsx",
        None,
        None,
        "文件“projects.xlsx”不是有效的 Excel 工作簿（.xlsx），可能已损坏",
    )


def test_old_xls_or_password_protected_is_refused(tmp_path: Path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    assert refusal(path, "en").reason == (
        'The file "old.xls" is password-protected or damaged; remove the password and save it '
        'from Excel as .xlsx or "CSV UTF-8"'
    )


@pytest.mark.parametrize(
    "content",
    [
        "项目代码,项目名称,建设阶段\nP1,厂房,在建\n".encode("utf-16-le"),  # no BOM
        b"\xc1\xfa\xcf\xd8,\x80\x80\xff,\xfe\xfe\n",  # invalid in UTF-8 and GB18030 alike
    ],
    ids=["utf-16-without-bom", "bytes-valid-in-none"],
)
def test_csv_in_an_unknown_encoding_is_refused(tmp_path: Path, content: bytes):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    assert refusal(path).reason == (
        "无法识别文件编码（已尝试 UTF-8、带 BOM 的 UTF-8 和 GB18030/GBK）；"
        "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”"
    )
    assert refusal(path, "en").reason == (
        "The file's text encoding is not recognised (tried UTF-8, UTF-8 with BOM and "
        'GB18030/GBK); save it from Excel as "CSV UTF-8 (comma delimited)"'
    )


def test_utf16_with_bom_is_read(tmp_path: Path):
    path = tmp_path / "unicode.txt"
    rows = [["项目代码", "项目名称", "建设阶段"], ["P1", "厂房", "投产"]]
    write_csv(path, rows, "utf-16", delimiter="\t")
    assert [(r["project_id"], r["status"]) for r in parse(path).rows] == [("P1", "production")]


def test_a_sheet_without_code_and_name_columns_is_refused_naming_both(tmp_path: Path):
    path = write_csv(
        tmp_path / "m.csv", [["建设单位", "总投资", "建设阶段"], ["城投", "1", "在建"]]
    )
    with pytest.raises(FileRefused) as caught:
        parse(path)
    assert caught.value.problem.reason == (
        "表中既没有项目代码列也没有项目名称列，至少要有其中一列："
        "项目代码（或：项目编码、项目编号、代码、code、project code）、"
        "项目名称（或：名称、project、project name、name）"
    )


def test_a_sheet_without_a_header_row_is_refused(tmp_path: Path):
    path = write_csv(tmp_path / "h.csv", [["甲", "乙", "丙"], ["1", "2", "3"]])
    assert refusal(path).reason == (
        "前 10 行中找不到表头：表头行至少要有 3 个可识别的列名，"
        "例如 项目代码、项目名称、建设单位、建设地点"
    )
    assert refusal(path, "en").reason == (
        "No header row in the first 10 rows: the header row needs at least 3 known column "
        "names, such as code, project, owner, location"
    )


def test_unreadable_path_is_refused(tmp_path: Path):
    assert refusal(tmp_path / "gone.csv").reason == "无法读取文件“gone.csv”"


# --- columns -----------------------------------------------------------------------------------


def test_unknown_and_odd_columns_are_warned_about_once(tmp_path: Path):
    rows = [
        ["项目代码", "项目名称", "建设阶段", "备用字段", "名称", "备注", "", "建设阶段"],
        ["P1", "厂房", "在建", "x", "别名", "说明", "无名", "竣工"],
        ["P2", "道路", "竣工", "y", "别名", "", "无名", "在建"],
    ]
    result = parse(write_csv(tmp_path / "c.csv", rows))
    assert located(result.problems) == [
        ("c.csv", 1, None, "G 列有数据但没有列名，已忽略"),
        ("c.csv", 1, "建设阶段", "列名“建设阶段”出现了不止一次，只使用第一列（C 列）"),
        ("c.csv", 1, "备用字段", "无法识别的列“备用字段”，该列已忽略"),
        ("c.csv", 1, "名称", "列“名称”与列“项目名称”都表示“项目名称”，只使用“项目名称”"),
    ]
    assert [(r["name"], r["status"]) for r in result.rows] == [
        ("厂房", "construction"),
        ("道路", "completed"),
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("总投资（亿元）", ("总投资", "亿元")),
        (" 总投资 (万元) ", ("总投资", "万元")),
        ("总投资/亿元", ("总投资", "亿元")),
        ("总投资（元）", ("总投资", "元")),
        ("Total investment (10k CNY)", ("totalinvestment", "万元")),
        ("计划开（复）工时间", ("计划开复工时间", None)),
        ("计划开(复)工时间", ("计划开复工时间", None)),
        ("*项目名称", ("项目名称", None)),
        ("万元", ("万元", None)),
    ],
)
def test_header_normalisation(header: str, expected: tuple[str, str | None]):
    assert normalise_header(header) == expected


def test_header_map_matches_and_units():
    header_map = load_header_map()
    assert header_map.match("项目 代码").field == "project_id"
    assert header_map.match("CODE").field == "project_id"
    assert header_map.match("计划开复工时间").field == "planned_start"
    found = header_map.match("总投资（亿元）")
    assert (found.field, found.unit, found.factor) == ("total_investment", "亿元", 10_000.0)
    assert header_map.match("总投资").factor == 1.0
    assert header_map.match("行政区划代码").field == "county_code"
    assert header_map.match("建设规模及内容") is None and header_map.ignored("建设规模及内容")


def test_header_map_path_is_configurable_and_validated(tmp_path: Path):
    custom = tmp_path / "map.toml"
    custom.write_text(
        'required = ["project_id", "name"]\n[fields]\nproject_id = ["编码"]\nname = ["工程"]\n'
        'status = ["进度"]\n',
        encoding="utf-8",
    )
    header_map = load_header_map(custom)
    path = write_csv(tmp_path / "own.csv", [["编码", "工程", "进度"], ["A1", "桥", "竣工"]])
    table = read_table(path, None, "zh", header_map)
    result = parse_projects(table, LAYER, "zh", header_map)
    assert [(r["project_id"], r["name"], r["status"]) for r in result.rows] == [
        ("A1", "桥", "completed")
    ]
    clash = tmp_path / "clash.toml"
    clash.write_text('[fields]\nname = ["名称"]\nowner = ["名 称"]\n', encoding="utf-8")
    with pytest.raises(
        ConfigError, match=re.escape("clash.toml: fields.owner: '名 称' is also a header")
    ):
        load_header_map(clash)
    bad_value = tmp_path / "values.toml"
    bad_value.write_text(
        '[fields]\nproject_id = ["编码"]\nname = ["工程"]\nstatus = ["进度"]\n'
        '[values.status]\nstopped = ["停工"]\n',
        encoding="utf-8",
    )
    with pytest.raises(
        ConfigError, match=re.escape("values.status.stopped: not a value of 'status'")
    ):
        parse_projects(table, LAYER, "zh", load_header_map(bad_value))


# --- cells -------------------------------------------------------------------------------------


def typed(cells: dict[str, object], locale: str = "zh") -> ParsedProjects:
    """Parse one row built in memory: {"项目代码": "P1", "项目名称": "x"} plus ``cells``."""
    row = {"项目代码": "P1", "项目名称": "项目", **cells}
    table = RawTable("t", list(row), [(2, {k: v for k, v in row.items() if v is not None})])
    return parse_projects(table, LAYER, locale)


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("总投资", 1234.5, 1234.5),
        ("总投资", "1,234.5", 1234.5),
        ("总投资", "１２３４．５", 1234.5),  # full-width digits
        ("总投资", "1.2亿", 12000.0),
        ("总投资", "1.2 亿元", 12000.0),
        ("总投资", "3000万", 3000.0),
        ("总投资", "￥5000元", 0.5),
        ("总投资（亿元）", 12, 120000.0),
        ("总投资（亿元）", "0.35", 3500.0),
        ("总投资（亿元）", "3000万", 3000.0),  # the cell's unit wins
        ("总投资（元）", 50_000_000, 5000.0),
        ("总投资", 0, 0.0),
    ],
)
def test_money(header: str, value: object, expected: float):
    result = typed({header: value})
    assert result.problems == []
    assert result.rows[0]["total_investment"] == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("一千万", "“一千万”不是有效的金额（示例：1234.5、1.2亿、3000万）"),
        ("1.2.3", "“1.2.3”不是有效的金额（示例：1234.5、1.2亿、3000万）"),
        ("nan", "“nan”不是有效的金额（示例：1234.5、1.2亿、3000万）"),
        (-0.5, "金额不能为负数：-0.5"),
        ("-1亿", "金额不能为负数：-1亿"),
    ],
)
def test_bad_money(value: object, reason: str):
    result = typed({"总投资": value})
    assert located(result.problems) == [("t", 2, "总投资", reason)]
    assert result.rows == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2023, 4, 1, 8, 30), date(2023, 4, 1)),
        ("2023-04-01", date(2023, 4, 1)),
        ("2023-04-01 00:00:00", date(2023, 4, 1)),
        ("2023/4/1", date(2023, 4, 1)),
        ("2023.4.1", date(2023, 4, 1)),
        ("2023年4月1日", date(2023, 4, 1)),
        ("2023 年 4 月 1 日", date(2023, 4, 1)),
        ("2023年4月", date(2023, 4, 1)),
        ("2023-04", date(2023, 4, 1)),
        ("2023.10", date(2023, 10, 1)),
        ("20230401", date(2023, 4, 1)),
        (20230401, date(2023, 4, 1)),
        ("202304", date(2023, 4, 1)),
        (45017, date(2023, 4, 1)),  # an Excel serial number
        (45017.75, date(2023, 4, 1)),
        ("45017", date(2023, 4, 1)),
        (2023.4, date(2023, 4, 1)),  # "2023.4" typed into a number cell
        (2023.12, date(2023, 12, 1)),
    ],
)
def test_dates(value: object, expected: date):
    result = typed({"计划开工时间": value})
    assert result.problems == []
    assert result.rows[0]["planned_start"] == expected


DATE_EXAMPLES = "（示例：2023-04-01、2023/4/1、2023年4月1日、2023年4月）"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2023-02-30", "“2023-02-30”不是有效的日期" + DATE_EXAMPLES),
        ("下月", "“下月”不是有效的日期" + DATE_EXAMPLES),
        (12, "“12”不是有效的日期" + DATE_EXAMPLES),
        (2023.1, "“2023.1”有歧义：可能是 2023 年 1 月，也可能是 10 月；请写成 2023-01 或 2023-10"),
    ],
)
def test_bad_dates(value: object, reason: str):
    result = typed({"计划开工时间": value})
    assert located(result.problems) == [("t", 2, "计划开工时间", reason)]


@pytest.mark.parametrize(
    ("header", "value", "key"),
    [
        ("建设阶段", "在建", "construction"),
        ("建设阶段", "construction", "construction"),
        ("建设阶段", "Under construction", "construction"),
        ("建设阶段", "under  CONSTRUCTION", "construction"),
        ("建设阶段", "新开工", "construction"),
        ("建设阶段", "复工", "construction"),
        ("建设阶段", "已竣工", "completed"),
        ("建设阶段", "谋划储备", "reserve"),
        ("级别", "省级", "province"),
        ("级别", "省级重点", "province"),
        ("级别", "县级", "county"),
        ("建设性质", "续建", "continuing"),
        ("建设性质", "新开工", "new"),
        ("行业类别", "基础设施", "infrastructure"),
    ],
)
def test_enum_values(header: str, value: str, key: str):
    field = {"建设阶段": "status", "级别": "level", "建设性质": "nature", "行业类别": "category"}
    result = typed({header: value})
    assert result.problems == []
    assert result.rows[0][field[header]] == key


def test_coordinates_and_approximate_rows():
    assert (
        typed({"经度": "106°51′18″", "纬度": "34°53′42″N"})
        .rows[0]["geometry"]
        .equals(Point(106.855, 34.895))
    )
    assert typed({"经度": "106.855", "纬度": 34.895}).rows[0]["_approximate"] is False
    half = typed({"经度": 106.855, "纬度": None})
    assert located(half.problems) == [
        ("t", 2, "经度", "只填了“经度”，缺少“纬度”；该项目将按建设地点大致定位")
    ]
    assert (half.rows[0]["geometry"], half.rows[0]["_approximate"]) == (None, True)
    assert located(typed({"经度": "东经106度", "纬度": 34.9}).problems) == [
        ("t", 2, "经度", "“东经106度”不是有效的坐标（示例：106.855 或 106°51′18″）")
    ]
    assert located(typed({"纬度": 2.5, "经度": 106.8}).problems) == [
        ("t", 2, "纬度", "纬度 2.5 不在中国范围内（北纬 3–54 度）")
    ]


def test_text_fields_and_county_code():
    row = typed({"建设单位": 12345.0, "行政区划代码": 610327.0, "包抓领导": "'=张三"}).rows[0]
    assert (row["owner"], row["county_code"], row["leader"]) == ("12345", "610327", "=张三")
    assert located(typed({"行政区划代码": "610327000000"}).problems) == [
        ("t", 2, "行政区划代码", "“610327000000”不是 6 位行政区划代码（例如 610327）")
    ]


def test_consistency_warnings_do_not_reject_the_row():
    result = typed(
        {
            "总投资": 100,
            "累计完成投资": 150,
            "计划开工时间": "2024-05-01",
            "计划竣工时间": "2024-01-01",
        }
    )
    assert located(result.problems) == [
        ("t", 2, "累计完成投资", "累计完成投资 150 万元大于总投资 100 万元"),
        ("t", 2, "计划竣工时间", "计划竣工时间 2024-01-01 早于计划开工时间 2024-05-01"),
    ]
    assert [p.severity for p in result.problems] == ["warning", "warning"]
    assert len(result.rows) == 1


def test_group_heading_and_totals_rows_are_skipped(tmp_path: Path):
    rows = [
        ["序号", "项目代码", "项目名称", "总投资"],
        ["一、产业项目（2个）", "", "", "300"],
        ["1", "P1", "厂房", "100"],
        ["（二）", "", "基础设施项目", ""],
        ["2", "P2", "道路", "200"],
        ["", "", "合 计", "300"],
    ]
    result = parse(write_csv(tmp_path / "g.csv", rows))
    assert [r["project_id"] for r in result.rows] == ["P1", "P2"]
    assert located(result.problems) == [
        ("g.csv", 2, "序号", "分组标题行“一、产业项目（2个）”，已跳过"),
        ("g.csv", 4, "序号", "分组标题行“（二）”，已跳过"),
        ("g.csv", 6, "项目名称", "合计行，已跳过"),
    ]
    assert result.skipped == [2, 4, 6]


def test_problem_messages_exist_in_both_languages():
    from geoapp.imports.problems import MESSAGES

    assert all(set(texts) == {"zh", "en"} for texts in MESSAGES.values())
    assert message("required", "en_GB", column="x") == '"x" must not be empty'
    assert message("required", None, column="x") == "“x”不能为空"


# --- scale -------------------------------------------------------------------------------------


def test_100k_row_csv_parse_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """Timing printed for the record, not asserted (the benchmark owns the threshold)."""
    rng = random.Random(1)
    statuses, levels = ["在建", "前期推进", "竣工", "复工"], ["省级", "市级重点", "县级"]
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for i in range(1, 100_001):
            writer.writerow(
                [i, f"P{i:07d}", f"项目{i}", "城投公司", "东风镇", "产业", rng.choice(levels),
                 "新建", rng.choice(statuses), f"{rng.uniform(0.1, 50):.2f}",
                 f"{rng.uniform(100, 50_000):,.1f}", f"{rng.uniform(0, 100):.1f}",
                 f"2023-{rng.randint(1, 12):02d}-01", f"2025年{rng.randint(1, 12)}月",
                 "" if i % 3 else f"2023/{rng.randint(1, 12)}/{rng.randint(1, 28)}", "张三",
                 "发改局", "610327", f"{rng.uniform(106, 107):.6f}",
                 f"{rng.uniform(34, 35):.6f}"]
            )  # fmt: skip
    started = time.perf_counter()
    table = read_table(path, None, "zh")
    read = time.perf_counter()
    result = parse_projects(table, LAYER, "zh")
    done = time.perf_counter()
    assert len(result.rows) == 100_000 and result.errors == []
    with capsys.disabled():
        print(
            f"\n100,000-row CSV: read {read - started:.2f} s, parse {done - read:.2f} s, "
            f"total {done - started:.2f} s"
        )
