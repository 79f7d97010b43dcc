"""From a checked import to one change set: what each row adds or changes, and nothing more.

A row whose code is new becomes an insert with every value it has. A row whose code exists
becomes an update of only the fields the file carries: officials send partial sheets every
month (a code and this month's figures), and a column the sheet leaves out — or a blank cell,
unless the user asks that blanks clear — keeps its stored value. A project placed only from
its 建设地点 text keeps its stored position. Warnings are worked out from the stored row with
the sheet's values laid over it, never from the sheet alone.

Imports write with "last writer wins" (no base versions): the report says so.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import pandas as pd

from geoapp.imports.progress import as_of_month, latest_by_project
from geoapp.progress import WARNING_INPUTS, WarningRules, warnings_at
from geoapp.schemas import PROGRESS_TABLE
from geoapp.stores.base import Query, Store
from geoapp.stores.changes import GEOMETRY, Change

WARNING_FIELDS = ("warning", "warning_reason")


def row_changes(
    store: Store,
    prepared,
    *,
    blank_clears: bool = False,
) -> list[Change]:
    """Inserts and updates for a project, parcel or park file (one per valid row)."""
    layer, key = prepared.layer, prepared.layer.id_field
    frame = prepared.frame
    codes = frozenset(frame[key].astype(str))
    stored = store.read(layer.table, Query(any_of={key: codes}))
    stored = {str(code): row for code, row in zip(stored[key], _records(stored), strict=True)}
    fields = [name for name in layer.fields if name in frame.columns and name != key]
    rows = []
    for record in _records(frame):
        code = str(record[key])
        values = {name: record[name] for name in fields}
        values[GEOMETRY] = record[GEOMETRY]
        before = stored.get(code)
        if before is None:
            values = {name: v for name, v in values.items() if v is not None}
        else:
            values = _updated(values, record, prepared.carried, blank_clears)
        rows.append((code, before, values, record.get("_row")))
    if layer.table == "projects" and WARNING_FIELDS[0] not in prepared.carried:
        merged = [(before or {}) | values for _code, before, values, _row in rows]
        for (_code, _before, values, _row), found in zip(
            rows, warnings_for(merged, prepared.as_of, prepared.rules), strict=True
        ):
            values |= found
    return [
        Change("insert" if before is None else "update", layer.table, (code,), values, row=row)
        for code, before, values, row in rows
    ]


def _updated(values: dict, record: dict, carried: frozenset[str], blank_clears: bool) -> dict:
    """The fields an update writes: those the file carries (blanks only when they clear),
    and the position only when the row gave one (not estimated from its location text)."""
    kept = {
        name: value
        for name, value in values.items()
        if name in carried and name != GEOMETRY and (value is not None or blank_clears)
    }
    if record.get("placement", "exact") == "exact" and values[GEOMETRY] is not None:
        kept[GEOMETRY] = values[GEOMETRY]
        for derived in ("placement", "county_code"):
            if values.get(derived) is not None:
                kept[derived] = values[derived]
    return kept


def warning_values(before: dict, values: dict, as_of: date, rules: WarningRules) -> dict[str, Any]:
    """A project's warning and its reason once ``values`` are written over ``before``."""
    return warnings_for([before | values], as_of, rules)[0]


def warnings_for(merged: list[dict], as_of: date, rules: WarningRules) -> list[dict[str, Any]]:
    """The warning and reason of each project row (stored values with the new laid over),
    worked out for all of them at once: an import of 100,000 rows is one computation."""
    if not merged:
        return []
    inputs = pd.DataFrame(
        [[_day_or_value(row.get(n)) for n in WARNING_INPUTS] for row in merged],
        columns=list(WARNING_INPUTS),
    )
    found = warnings_at(inputs, as_of, rules)
    return [
        {"warning": colour, "warning_reason": reason}
        for colour, reason in zip(found["warning"], found["warning_reason"], strict=True)
    ]


def progress_changes(store: Store, prepared) -> list[Change]:
    """History rows by project code and month, and each project brought to its newest month
    (never back to an older one that arrives late)."""
    frame = prepared.frame
    codes = frozenset(frame["project_id"].astype(str))
    stored = _stored_progress(store, codes)
    changes = []
    for record in _records(frame):
        month = _day_or_value(record["month"])
        key = (str(record["project_id"]), month.isoformat())
        values = {n: record[n] for n in ("completed", "status", "remarks")}
        if key in stored:
            values = {n: v for n, v in values.items() if v is not None}
            changes.append(Change("update", PROGRESS_TABLE, key, values, row=record.get("_row")))
        else:
            values = {"project_id": key[0], "month": month, GEOMETRY: record[GEOMETRY]} | {
                n: v for n, v in values.items() if v is not None
            }
            changes.append(Change("insert", PROGRESS_TABLE, key, values, row=record.get("_row")))
    return changes + _projects_at_newest_month(store, prepared, stored)


def _stored_progress(store: Store, codes: frozenset[str]) -> dict[tuple[str, str], None]:
    if PROGRESS_TABLE not in store.tables():
        return {}
    old = store.read(
        PROGRESS_TABLE, Query(any_of={"project_id": codes}, columns=("project_id", "month"))
    )
    months = pd.to_datetime(old["month"]).dt.date
    return {(str(c), m.isoformat()): None for c, m in zip(old["project_id"], months, strict=True)}


# What a month's row brings to its project: its figures and, when given (the monthly form),
# the start state (开复工) and its date.
PROJECT_MONTH_FIELDS = ("completed", "status", "start_state", "actual_start")


def _projects_at_newest_month(store: Store, prepared, stored: dict) -> list[Change]:
    layer = prepared.layer
    newest_stored: dict[str, str] = {}
    for code, month in stored:
        newest_stored[code] = max(month, newest_stored.get(code, ""))
    latest = latest_by_project(prepared.frame)
    projects = store.read(layer.table, Query(any_of={"project_id": frozenset(latest.index)}))
    by_code = {str(r["project_id"]): r for r in _records(projects)}
    by_month: dict[date, list[tuple[str, dict]]] = {}
    for code, row in latest.iterrows():
        month = _day_or_value(row["month"])
        if month.isoformat() < newest_stored.get(str(code), "") or str(code) not in by_code:
            continue
        given = [n for n in PROJECT_MONTH_FIELDS if n in row.index]
        values = {n: _plain(row[n]) for n in given if _plain(row[n]) is not None}
        by_month.setdefault(as_of_month(month), []).append((str(code), values))
    changes = []
    for as_of, rows in by_month.items():  # warnings as of each report's month, a month at once
        merged = [by_code[code] | values for code, values in rows]
        found = warnings_for(merged, as_of, prepared.rules)
        for (code, values), warning in zip(rows, found, strict=True):
            changes.append(Change("update", layer.table, (code,), values | warning))
    return changes


def _records(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values (None for every kind of missing)."""
    columns = list(frame.columns)
    return [
        {name: _plain(value) for name, value in zip(columns, values, strict=True)}
        for values in frame.itertuples(index=False, name=None)
    ]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if hasattr(value, "item") and not hasattr(value, "geom_type"):  # numpy scalars
        return _plain(value.item())
    return value


def _day_or_value(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-":
        return date.fromisoformat(value[:10])
    return _plain(value)
