"""The year replayed month by month: each month's rates as they stood at its end, from the
monthly progress history (``progress`` table, one row per project and month).

What was known at a month's end is the newest progress row of that month or before: its
cumulative completed investment and its stage. A project with no progress row after that day
is taken as it stands (nothing later is known, and an edit or a project sheet may have brought
its figures past its last monthly report); one whose first row comes later had completed
nothing reported yet. Starts count by date as the rates do (an actual start after the month's
end had not happened then). A month that has not ended yet is the reporting date itself.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from geoapp.imports.progress import as_of_month
from geoapp.rates import Rates, rates
from geoapp.schemas import PROGRESS_TABLE
from geoapp.stores.base import Query, Store

REPLAYED = ("completed", "status")


def month_ends(year: int, through: date) -> list[date]:
    """The reporting dates of ``year`` up to ``through``: each month's last day, and
    ``through`` itself for the month it falls in."""
    ends = [as_of_month(date(year, m, 1)) for m in range(1, 13)]
    return [min(end, through) for end in ends if date(year, end.month, 1) <= through]


def as_known_at(projects: pd.DataFrame, progress: pd.DataFrame, day: date) -> pd.DataFrame:
    """``projects`` (indexed by any id, with ``project_id``) with their completed investment
    and stage as the progress reports up to ``day`` gave them, where a later report shows
    that they have changed since."""
    months = pd.to_datetime(progress["month"])
    known = progress[months <= pd.Timestamp(day)].assign(_month=months)
    newest = known.sort_values("_month").groupby("project_id").tail(1).set_index("project_id")
    reported_later = set(progress.loc[months > pd.Timestamp(day), "project_id"])
    changed_since = projects["project_id"].isin(reported_later)
    codes = projects["project_id"]
    replayed = projects.copy()
    for name in REPLAYED:
        at_day = codes.map(newest[name]) if name in newest else pd.Series(None, index=codes.index)
        replayed[name] = replayed[name].where(~changed_since, at_day.to_numpy())
    return replayed


def progress_of(store: Store, projects: pd.DataFrame) -> pd.DataFrame:
    """The monthly progress rows of these projects (none when there is no history yet)."""
    if PROGRESS_TABLE not in store.tables():
        return pd.DataFrame(columns=["project_id", "month", *REPLAYED])
    codes = frozenset(projects["project_id"].astype(str))
    query = Query(any_of={"project_id": codes}, columns=("project_id", "month", *REPLAYED))
    return store.read(PROGRESS_TABLE, query)


def read_known_at(store: Store, table: str, query: Query, as_of: date) -> pd.DataFrame:
    """The projects ``query`` selects as known at the end of ``as_of`` (``as_known_at``):
    what pages, the API and prints count for a reporting date. ``query`` must ask for
    ``project_id`` among its columns."""
    projects = store.read(table, query)
    return as_known_at(projects, progress_of(store, projects), as_of)


def replay(projects: pd.DataFrame, progress: pd.DataFrame, year: int, through: date) -> list[Rates]:
    """The rates at the end of every month of ``year`` up to ``through``."""
    return [rates(as_known_at(projects, progress, day), day) for day in month_ends(year, through)]
