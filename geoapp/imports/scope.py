"""What an import of a whole list means for the projects it leaves out.

A city that sends "the 2024 list of 葫芦岛市" means: these are the city's projects. Stored
projects of that area the sheet lacks are either kept (the default: the sheet may be partial)
or retired (soft-deleted through the history, so they can be restored). The dry run says how
many there are, which, and how the area's total investment changes either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geoapp.query import admin_prefix
from geoapp.stores.base import Query, Store
from geoapp.stores.changes import Change


@dataclass(frozen=True)
class Scope:
    """The area an import covers (an admin code: a county, or a city's prefix) and what the
    sheet leaves out of it."""

    code: str
    stored: int  # projects of the area before the import
    missing: gpd.GeoDataFrame  # stored projects of the area the sheet lacks
    total_before: float  # total investment of the area now (万元)
    total_kept: float  # … after the import, keeping the missing ones
    total_retired: float  # … after the import, retiring them


def scope_of(store: Store, frame: gpd.GeoDataFrame, code: str) -> Scope:
    """The area's stored projects against the sheet's (``frame``: the prepared rows)."""
    columns = ("project_id", "name", "county_code", "total_investment")
    stored = store.read(
        "projects", Query(prefix={"county_code": admin_prefix(code)}, columns=columns)
    )
    in_sheet = set(frame["project_id"].astype(str))
    missing = stored[~stored["project_id"].astype(str).isin(in_sheet)]
    before = _money(stored["total_investment"])
    sheet = frame.set_index(frame["project_id"].astype(str))["total_investment"]
    old = stored.set_index(stored["project_id"].astype(str))["total_investment"]
    after_sheet = _money(sheet.where(sheet.notna(), old.reindex(sheet.index)))
    return Scope(
        code=code,
        stored=len(stored),
        missing=missing,
        total_before=before,
        total_kept=after_sheet + _money(missing["total_investment"]),
        total_retired=after_sheet,
    )


def retire_changes(scope: Scope) -> list[Change]:
    """Deletes (kept in the history, restorable) of the stored projects the sheet lacks."""
    return [Change("delete", "projects", (str(code),), {}) for code in scope.missing["project_id"]]


def _money(values: pd.Series) -> float:
    return float(pd.to_numeric(values, errors="coerce").fillna(0).sum())
