"""The 红黑榜 as a workbook: one sheet with every place in rank order, its figures and which list
it is on, with the reporting date and the rule above, as a meeting's paper would have them.

Names come from the store (units, leaders): they are written as text cells, never formulas.
"""

from __future__ import annotations

from typing import IO, Any

from flask_babel import gettext as _

from geoapp.export import sheet_title, text_width, xlsx_value

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT = "0.0%"
RATE_KEYS = ("start_resume_rate", "start_rate", "investment_rate", "time_progress")


def write_rankings(body: dict, target: IO[bytes]) -> None:
    """``body`` as ``/api/rankings`` answers it, on one sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(_("Red and black lists"))
    bold = Font(bold=True)
    headers = [_("Rank"), _place(body["by"]), _("Projects"), _("Start-or-resume rate"),
               _("Start rate"), _("Investment completion"), _("Time progress"),
               _("Red warnings"), _("Yellow warnings"), _("List")]  # fmt: skip
    _append(sheet, [_("Red and black lists"), _("Reporting date"), body["as_of"]], bold)
    _append(sheet, [body["rule"]])
    _append(sheet, [])
    _append(sheet, headers, bold)
    lists = {key: _("Red list") for key in body["red_list"]}
    lists |= {key: _("Black list") for key in body["black_list"]}
    for rank, place in enumerate(body["places"], start=1):
        rates = [place["rates"][key] for key in RATE_KEYS]
        row = [rank, place["name"], place["count"], *rates, place["red"], place["yellow"]]
        _append(sheet, [*row, lists.get(place["key"], "")])
        for cell in sheet[sheet.max_row][3:7]:
            cell.number_format = PERCENT
    for column, text in zip("ABCDEFGHIJ", headers, strict=True):
        sheet.column_dimensions[column].width = max(text_width(text), 8)
    sheet.column_dimensions["B"].width = 28
    sheet.freeze_panes = "A5"
    book.save(target)


def _place(by: str) -> str:
    """The heading of the ranked places' column: what they are."""
    return {
        "county": _("County / district"),
        "park": _("Park"),
        "unit": _("Responsible unit"),
        "leader": _("Leader in charge"),
    }[by]


def _append(sheet, values: list[Any], font=None) -> None:
    """A row whose texts stay text (``=SUM(…)`` in a unit's name is words, not a formula)."""
    sheet.append([xlsx_value(v) for v in values])
    for cell in sheet[sheet.max_row] if values else ():
        if isinstance(cell.value, str):
            cell.data_type = "s"
        if font is not None:
            cell.font = font
