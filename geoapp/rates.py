"""Progress rates of a filtered set of projects at a reporting date: 开工率, 开复工率, 新项目开工率,
续建项目复工率 and 投资完成率 beside 时间进度, with counts and sums per stage.

The definitions are those of ``shared/domain.md``, checked in ``tests/test_rates.py`` against
the published figures (葫芦岛 2022: 329 of 500 started or resumed = 65.8 %, 212 of 232
continuing resumed = 91.4 %, 117 of 268 new started = 43.7 %; 陇县 April 2023: 147 of 188
started = 78.2 %):

- a project has *started* by the reporting date when its actual start date is on or before
  it; without a date, when its start state says so (a new project 已开工, a continuing one
  已复工): a sheet for a month says what was known at that month's end;
- 开工率 = started ÷ planned to start (planned start on or before the date);
- 开复工率 = (new projects started + continuing projects resumed) ÷ all projects;
- 新项目开工率 = new started ÷ new; 续建项目复工率 = continuing resumed ÷ continuing;
- 投资完成率 = completed ÷ annual plan, read against 时间进度 (share of the year elapsed).

Pages, the API, exports and prints take their figures from here; nothing else counts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import numpy as np
import pandas as pd

from geoapp.progress import time_progress

COLUMNS = (
    "nature",
    "start_state",
    "planned_start",
    "actual_start",
    "status",
    "total_investment",
    "annual_plan",
    "completed",
)
STARTED_STATES = ("started", "resumed")
# 三个一批 as one seed report groups projects: each batch is the projects of one stage.
BATCHES = {
    "start_batch": "construction",
    "preparatory_batch": "preparatory",
    "reserve_batch": "reserve",
}


@dataclass(frozen=True)
class Group:
    """How many projects, and their total investment and annual plan (万元)."""

    count: int
    total_investment: float
    annual_plan: float


@dataclass(frozen=True)
class Rates:
    as_of: date
    projects: Group
    new: Group
    continuing: Group
    new_started: Group
    resumed: Group
    planned_to_start: int
    started_of_planned: int
    completed: float  # 万元, completed investment of the year
    time_progress: float  # 0–1
    by_status: dict[str, int]
    stages: dict[str, Group]  # per stage (status): count and money

    @property
    def start_rate(self) -> float | None:
        """开工率: started ÷ planned to start by the date."""
        return _share(self.started_of_planned, self.planned_to_start)

    @property
    def start_resume_rate(self) -> float | None:
        """开复工率: (new started + continuing resumed) ÷ all."""
        return _share(self.new_started.count + self.resumed.count, self.projects.count)

    @property
    def new_start_rate(self) -> float | None:
        return _share(self.new_started.count, self.new.count)

    @property
    def resume_rate(self) -> float | None:
        return _share(self.resumed.count, self.continuing.count)

    @property
    def investment_rate(self) -> float | None:
        """投资完成率: completed ÷ annual plan."""
        return _share(self.completed, self.projects.annual_plan)

    def to_json(self) -> dict:
        body = asdict(self)
        body["as_of"] = self.as_of.isoformat()
        body["rates"] = {
            "start_rate": self.start_rate,
            "start_resume_rate": self.start_resume_rate,
            "new_start_rate": self.new_start_rate,
            "resume_rate": self.resume_rate,
            "investment_rate": self.investment_rate,
            "time_progress": self.time_progress,
        }
        body["batches"] = {
            name: body["stages"].get(stage, asdict(Group(0, 0.0, 0.0)))
            for name, stage in BATCHES.items()
        }
        return body


def rates(projects: pd.DataFrame, as_of: date) -> Rates:
    """The rates of ``projects`` (rows with ``COLUMNS``) at the end of ``as_of``."""
    started = _started_by(projects, as_of)
    new = projects["nature"].astype("string") == "new"
    continuing = projects["nature"].astype("string") == "continuing"
    planned = _dates(projects["planned_start"]) <= pd.Timestamp(as_of)
    statuses = projects["status"].dropna().astype(str).value_counts()
    return Rates(
        as_of=as_of,
        projects=_group(projects, np.ones(len(projects), dtype=bool)),
        new=_group(projects, new),
        continuing=_group(projects, continuing),
        new_started=_group(projects, new & started),
        resumed=_group(projects, continuing & started),
        planned_to_start=int(planned.sum()),
        started_of_planned=int((planned & started).sum()),
        completed=float(pd.to_numeric(projects["completed"], errors="coerce").sum()),
        time_progress=time_progress(as_of),
        by_status={str(k): int(v) for k, v in statuses.items()},
        stages={
            str(k): _group(projects, (projects["status"].astype("string") == k).fillna(False))
            for k in statuses.index
        },
    )


def _started_by(projects: pd.DataFrame, as_of: date) -> np.ndarray:
    """Started (or resumed) by the end of ``as_of``: by the actual start date where there is
    one, else by the start state the sheet gave."""
    actual = _dates(projects["actual_start"])
    dated = actual.notna().to_numpy()
    by_date = (actual <= pd.Timestamp(as_of)).to_numpy()
    by_state = projects["start_state"].astype("string").isin(STARTED_STATES).fillna(False)
    return np.where(dated, by_date, by_state.to_numpy(dtype=bool))


def _group(projects: pd.DataFrame, mask) -> Group:
    mask = np.asarray(mask, dtype=bool)
    chosen = projects.loc[mask]
    return Group(
        count=int(mask.sum()),
        total_investment=_sum(chosen["total_investment"]),
        annual_plan=_sum(chosen["annual_plan"]),
    )


def _sum(column: pd.Series) -> float:
    return round(float(pd.to_numeric(column, errors="coerce").sum()), 2)


def _dates(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, errors="coerce")


def _share(part: float, whole: float) -> float | None:
    return None if not whole else part / whole


RANK_BY = {  # what places are ranked (and the dashboard's charts are broken down) by
    "county": "county_code",
    "park": "park_id",
    "category": "category",
    "unit": "unit",
    "leader": "leader",
}
LIST_SIZE = 3  # places on the red list (best) and on the black list (worst)


@dataclass(frozen=True)
class Ranked:
    """One place of a 红黑榜: its key, its rates and how many of its projects warn red/yellow."""

    key: str
    rates: Rates
    red: int
    yellow: int


def ranking(projects: pd.DataFrame, by: str, as_of: date) -> list[Ranked]:
    """Places (counties, parks, units or leaders) best first: by 开复工率, then 投资完成率,
    then fewer red warnings; places without projects are not ranked."""
    column = RANK_BY[by]
    places = []
    for key, rows in projects.groupby(projects[column].astype("string"), dropna=True):
        warnings = (
            rows["warning"].astype("string") if "warning" in rows else pd.Series([], dtype="string")
        )
        places.append(
            Ranked(
                str(key),
                rates(rows, as_of),
                int((warnings == "red").sum()),
                int((warnings == "yellow").sum()),
            )
        )
    return sorted(
        places,
        key=lambda p: (
            -(p.rates.start_resume_rate or 0),
            -(p.rates.investment_rate or 0),
            p.red,
            p.key,
        ),
    )


def red_and_black(ranked: list[Ranked]) -> tuple[list[Ranked], list[Ranked]]:
    """The red list (the best ``LIST_SIZE``) and the black list (the worst, worst first); with
    fewer than two lists' worth of places, each list takes a third of them."""
    size = min(LIST_SIZE, len(ranked) // 3) if len(ranked) < 2 * LIST_SIZE else LIST_SIZE
    return ranked[:size], ranked[::-1][:size]
