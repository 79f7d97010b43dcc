"""The import report as an XLSX: every problem with sheet, row, column and reason, and the
rows of the file with the cells at fault filled red, so the user can fix them in place."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from geoapp.imports.service import Prepared

RED = PatternFill("solid", fgColor="FFC7CE")
YELLOW = PatternFill("solid", fgColor="FFEB9C")
HEADERS = {
    "zh": ("级别", "工作表", "行", "列", "原因"),
    "en": ("Severity", "Sheet", "Row", "Column", "Reason"),
}
SEVERITY = {
    "zh": {"error": "错误", "warning": "提示"},
    "en": {"error": "error", "warning": "warning"},
}


def report_xlsx(prepared: Prepared, locale: str) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.title = "问题" if locale != "en" else "Problems"
    sheet.append(list(HEADERS.get(locale, HEADERS["zh"])))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    words = SEVERITY.get(locale, SEVERITY["zh"])
    for problem in prepared.problems:
        sheet.append(
            [words[problem.severity], problem.sheet, problem.row, problem.column, problem.reason]
        )
        fill = RED if problem.severity == "error" else YELLOW
        for cell in sheet[sheet.max_row]:
            cell.fill = fill
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDE", (8, 14, 6, 18, 80), strict=True):
        sheet.column_dimensions[column].width = width
    _marked_rows(book, prepared, locale)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return data


def _marked_rows(book: Workbook, prepared: Prepared, locale: str) -> None:
    """The imported rows again, with a red fill on each cell a problem names."""
    table = getattr(prepared, "table", None)
    if table is None:
        return
    sheet = book.create_sheet("数据" if locale != "en" else "Data")
    headers = table.headers
    sheet.append(["行" if locale != "en" else "Row", *headers])
    bad = {(p.row, p.column): p for p in prepared.problems if p.row}
    for number, cells in table.rows:
        sheet.append([number, *[_plain(cells.get(h)) for h in headers]])
        for i, header in enumerate(headers, start=2):
            problem = bad.get((number, header)) or (bad.get((number, None)) if i == 2 else None)
            if problem:
                cell = sheet.cell(row=sheet.max_row, column=i)
                cell.fill = RED if problem.severity == "error" else YELLOW


def _plain(value: object) -> object:
    return value if isinstance(value, int | float | str) or value is None else str(value)
