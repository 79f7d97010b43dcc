"""Monthly progress sheets (月报): project code, month, completed investment, stage, remarks.

Each row becomes one entry of the ``progress`` table (the project's history, updated by code
and month), and the newest month of each project updates its ``completed`` and ``status``
(and so its warning). Codes must already exist: progress never creates a project.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoapp.imports.problems import Problem, message
from geoapp.imports.projects import _Invalid, _to_date, _to_money
from geoapp.imports.sheets import (
    HeaderMap,
    load_header_map,
    map_headers,
    normalise_header,
    read_table,
)
from geoapp.layers import LayerDef

PROGRESS_FIELDS = {
    "month": ("月份", "报告月份", "填报月份", "统计月份", "month"),
    "remarks": ("备注", "进展情况", "形象进度", "存在问题", "remarks"),
}


def progress_header_map(main: HeaderMap) -> HeaderMap:
    """The project sheet's headers for code, completed investment and stage, plus month and
    remarks: one header map to maintain, not two."""
    fields = {name: main.fields[name] for name in ("project_id", "completed", "status")}
    remarks = {normalise_header(h)[0] for h in PROGRESS_FIELDS["remarks"]}
    return HeaderMap(
        fields=fields | PROGRESS_FIELDS,
        required=("project_id", "month"),
        ignore=main.ignore - remarks,
        values=main.values,
    )


def read_progress(
    path: Path,
    layer: LayerDef,
    projects: gpd.GeoDataFrame,
    *,
    sheet: str | None = None,
    locale: str = "zh",
):
    """(progress rows as a GeoDataFrame at each project's point, problems, rows read)."""
    main = load_header_map()
    header_map = progress_header_map(main)
    table = read_table(path, sheet, locale, header_map)
    columns = {
        match.field: (header, match)
        for header, match in map_headers(table.headers, header_map).items()
    }
    known = projects.set_index("project_id").geometry
    statuses = _status_words(layer, main)
    problems, rows = list(table.problems), []
    for number, cells in table.rows:
        row = _row(number, cells, columns, known, statuses, table, locale, problems)
        if row is not None:
            rows.append(row)
    frame = gpd.GeoDataFrame(
        pd.DataFrame(
            rows, columns=["project_id", "month", "completed", "status", "remarks", "geometry"]
        ),
        geometry="geometry",
        crs=4326,
    )
    return frame, problems, len(table.rows)


def _row(
    number: int,
    cells: dict,
    columns: dict,
    known: gpd.GeoSeries,
    statuses: dict,
    table,
    locale: str,
    problems: list[Problem],
) -> dict[str, Any] | None:
    def cell(name: str) -> Any:
        return cells.get(columns[name][0]) if name in columns else None

    def fail(name: str, reason: str) -> None:
        header = columns[name][0] if name in columns else None
        problems.append(Problem(table.sheet, number, header, reason))

    def _converted(name: str, convert) -> Any:
        try:
            return convert(cell(name))
        except _Invalid as invalid:
            params = {"value": cell(name), "column": columns.get(name, (name,))[0]}
            fail(name, message(invalid.key, locale, **(params | invalid.params)))
            return None

    code = str(cell("project_id") or "").strip()
    if code not in known.index:
        fail(
            "project_id",
            _say(
                locale,
                f"项目代码“{code}”不在项目库中，请先导入该项目",
                f"project code “{code}” is not in the store: import it first",
            ),
        )
        return None
    month = _converted("month", lambda v: _to_date(v, table.date1904).replace(day=1))
    completed = cell("completed")
    if completed is not None:
        completed = _converted("completed", lambda v: _to_money(v, columns["completed"][1].factor))
    if month is None or (completed is None and cell("completed") is not None):
        return None
    status = cell("status")
    if status is not None:
        key = statuses.get(_fold(str(status)))
        if key is None:
            fail(
                "status",
                message(
                    "enum_unknown",
                    locale,
                    choices="、".join(v for v in statuses if not v.isascii())[:80],
                ),
            )
            return None
        status = key
    return {
        "project_id": code,
        "month": month,
        "completed": completed,
        "status": status,
        "remarks": cell("remarks"),
        "geometry": known.loc[code],
    }


def _status_words(layer: LayerDef, main: HeaderMap) -> dict[str, str]:
    words = {}
    for value in layer.fields["status"].values:
        for word in (
            value.key,
            value.label.zh,
            value.label.en,
            *main.values.get("status", {}).get(value.key, ()),
        ):
            words[_fold(word)] = value.key
    return words


def _fold(text: str) -> str:
    return "".join(text.split()).lower()


def _say(locale: str, zh: str, en: str) -> str:
    return en if locale == "en" else zh


def latest_by_project(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The newest month of each project in a progress frame."""
    return frame.sort_values("month").groupby("project_id").tail(1).set_index("project_id")


def as_of_month(month: date) -> date:
    """The last day of a month: the date a monthly report speaks for."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - pd.Timedelta(days=1).to_pytimedelta()
