"""Project sheets laid out the way county and city offices publish them, to import in tests.

Not the parser's own idea of a sheet: a title row and a "填报单位/单位：万元" line above a
two-row header whose money columns sit under a merged group heading; year- and period-named
columns (``2024年计划投资``, ``1-10月完成投资``); notes in brackets (``经度(度)``,
``项目业主（建设单位）``); the county as a name (``所属区县``) and the park as a name
(``所在园区``); the 开复工 words; a 合计 row and group headings (``一、产业项目``); no 项目代码
column (a county's own list). The same rows are written as .xlsx (openpyxl), .xls (xlwt) and
.ods (odfpy), and a city's list as a GBK CSV with Gauss-Krüger coordinates.

Each fixture comes with what importing it must give (tests/test_import_office_sheets.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from pyproj import Transformer

TITLE = "陇县2024年重点项目建设进度表"
UNIT_LINE = "填报单位：陇县发展和改革局（盖章）                单位：万元"
TOP = [
    "序号", "项目名称", "项目业主（建设单位）", "所属区县", "所在园区", "建设性质",
    "开复工状态", "投资情况（万元）", None, None, "经度(度)", "纬度(度)", "备注",
]  # fmt: skip
SUB = [None, None, None, None, None, None, None, "总投资", "2024年计划投资", "1-10月完成投资"]
# (序号, name, owner, county, park, nature, start state, total, plan, done, lon, lat, note)
COUNTY_ROWS: list[tuple] = [
    ("合计", None, None, None, None, None, None, 26500, 10600, None, None, None, None),
    ("一、产业项目", None, None, None, None, None, None, None, None, None, None, None, None),
    (1, "陇县年产8万吨乳制品项目（二期）", "陇县秦川乳业有限公司", "陇县", "苏陕工业园", "新建",
     "已开工", 12000, 5000, 3800, 106.825, 34.865, None),
    (2, "陇县新型建材项目", "陇县建材有限公司", "陇县", "陇县苏陕工业园", "续建", "已复工",
     8000, 3000, 2500.5, 106.832, 34.872, "2023年续建"),
    ("二、基础设施项目", None, None, None, None, None, None, None, None, None, None, None, None),
    (3, "陇县城区供热管网改造", "陇县城投公司", "陇县", None, "续建", "未复工", 5000, 2000,
     "约三千", 106.86, 34.9, None),
    (4, "陇县 乳制品项目", "陇县某某乳业", "陇县", "苏陕工业园", "续建", "已复工", 1500, 600,
     450, None, None, "即库中 A1"),
    (5, "陇县物流园项目", "陇县物流公司", "陇县", "陇县物流港", "新建", "未开工", 2000, 0, 0,
     106.9, 34.95, None),
]  # fmt: skip
# What the county sheet must give (rows by their 序号): 1 and 2 new, 4 updates stored A1,
# 3 refused at its 1-10月完成投资 cell, 5 refused at its 所在园区 cell.
EXPECTED_NEW = {
    "陇县年产8万吨乳制品项目（二期）": {
        "park_id": "P1", "nature": "new", "start_state": "started", "total_investment": 12000.0,
        "annual_plan": 5000.0, "completed": 3800.0, "owner": "陇县秦川乳业有限公司",
    },
    "陇县新型建材项目": {
        "park_id": "P1", "nature": "continuing", "start_state": "resumed",
        "total_investment": 8000.0, "annual_plan": 3000.0, "completed": 2500.5,
    },
}  # fmt: skip
EXPECTED_A1 = {"start_state": "resumed", "total_investment": 1500.0, "annual_plan": 600.0,
               "completed": 450.0, "nature": "continuing"}  # fmt: skip


def county_xlsx(path: Path) -> Path:
    """The county list as its office's Excel saves it: title, unit line, two-row header."""
    book = Workbook()
    sheet = book.active
    sheet.title = "2024年重点项目"
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(TOP))
    sheet.append([UNIT_LINE])
    sheet.append(TOP)
    sheet.append(SUB)
    for column, text in enumerate(TOP, start=1):
        if text and column not in (8, 9, 10):
            sheet.merge_cells(start_row=3, start_column=column, end_row=4, end_column=column)
    sheet.merge_cells("H3:J3")
    for row in COUNTY_ROWS:
        sheet.append(list(row))
    book.save(path)
    return path


def county_xls(path: Path) -> Path:
    """The same list as an old .xls (BIFF8), merged cells and all."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("2024年重点项目")
    sheet.write_merge(0, 0, 0, len(TOP) - 1, TITLE)
    sheet.write(1, 0, UNIT_LINE)
    for column, text in enumerate(TOP):
        if text is None:
            continue
        if column in (7,):
            sheet.write_merge(2, 2, 7, 9, text)
        else:
            sheet.write_merge(2, 3, column, column, text)
    for column, text in enumerate(SUB):
        if text:
            sheet.write(3, column, text)
    for r, row in enumerate(COUNTY_ROWS, start=4):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def county_ods(path: Path) -> Path:
    """The same rows as an OpenDocument sheet (LibreOffice, WPS), one header row."""
    header = [t if t else s for t, s in zip(TOP, SUB + [None] * 3, strict=True)]
    header[7:10] = ["总投资（万元）", "2024年计划投资（万元）", "1-10月完成投资（万元）"]
    frame = pd.DataFrame([list(r) for r in COUNTY_ROWS], columns=header)
    frame.to_excel(path, engine="odf", index=False, sheet_name="2024年重点项目")
    return path


# A city's list: codes given, the county as 县市区, 开工情况, year-named columns, coordinates as
# Gauss-Krüger X/Y (CGCS2000, 3° zone 33 with the zone number in the easting), GBK-encoded.
TO_GK_33 = Transformer.from_crs(4326, 4521, always_xy=True)
CITY_POINTS = {"C1": (100.12, 39.12), "C2": (100.2, 39.2)}


def city_csv(path: Path) -> Path:
    lines = ["张掖市2024年市级重点项目清单", "项目代码,项目名称,县市区,开工情况,2024年度计划投资,"
             "截至10月底累计完成投资,总投资（亿元）,北坐标X（米）,东坐标Y（含带号）"]  # fmt: skip
    rows = [("C1", "临泽县光伏制氢项目", "临泽", "已开工", 3000, 1200, 1.5),
            ("C2", "临泽县枣业深加工项目", "临泽县", "未开工", 800, 0, 0.32)]  # fmt: skip
    for code, name, county, state, plan, done, total in rows:
        east, north = TO_GK_33.transform(*CITY_POINTS[code])
        lines.append(f"{code},{name},{county},{state},{plan},{done},{total},{north:.3f},{east:.3f}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path
