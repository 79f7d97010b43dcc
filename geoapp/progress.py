"""Three-colour warnings (三色预警) from the published default rules of ``domain.md``.

- Start: yellow when a project has not started by the end of its planned month; red when it is
  still not started three months later.
- Investment: completed ÷ annual plan against time progress; yellow when 10–30 percentage points
  behind, red when more than 30 behind.
Thresholds live in ``WarningRules`` so a county's own rule set is configuration, not code.
Every warning carries its reason, because a colour alone tells an official nothing to do.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class WarningRules:
    """Thresholds of ``warnings.toml`` (``geoapp.warning_rules`` reads and checks the file)."""

    start_yellow_months: int = 1
    start_red_months: int = 3
    invest_yellow_points: float = 10.0
    invest_red_points: float = 30.0


def time_progress(as_of: date) -> float:
    """Share of the year elapsed at the end of ``as_of`` (0–1)."""
    days = 366 if calendar.isleap(as_of.year) else 365
    return as_of.timetuple().tm_yday / days


def months_between(start: date, end: date) -> int:
    """Whole calendar months from start's month to end's month (March → June is 3)."""
    return (end.year - start.year) * 12 + end.month - start.month


def project_warning(
    planned_start: date | None,
    actual_start: date | None,
    annual_plan: float | None,
    completed: float | None,
    as_of: date,
    rules: WarningRules | None = None,
) -> tuple[str, str]:
    """(colour, reason in Chinese) for one project; colour is red, yellow or green."""
    colours, reasons = warning_arrays(
        _day(planned_start),
        _day(actual_start),
        np.array([np.nan if annual_plan is None else annual_plan], dtype=float),
        np.array([np.nan if completed is None else completed], dtype=float),
        as_of,
        rules or WarningRules(),
    )
    return str(colours[0]), str(reasons[0])


WARNING_INPUTS = ("planned_start", "actual_start", "annual_plan", "completed")


def warnings_at(projects: pd.DataFrame, as_of: date, rules: WarningRules) -> pd.DataFrame:
    """Each project's warning (``warning``) and its reason (``warning_reason``) on the
    reporting date, from its dates and figures (columns ``WARNING_INPUTS``)."""
    colours, reasons = warning_arrays(
        _dates(projects["planned_start"]),
        _dates(projects["actual_start"]),
        pd.to_numeric(projects["annual_plan"], errors="coerce").to_numpy(dtype=float),
        pd.to_numeric(projects["completed"], errors="coerce").to_numpy(dtype=float),
        as_of,
        rules,
    )
    return pd.DataFrame({"warning": colours, "warning_reason": reasons}, index=projects.index)


def warning_arrays(
    planned: np.ndarray,
    actual: np.ndarray,
    plan: np.ndarray,
    completed: np.ndarray,
    as_of: date,
    rules: WarningRules,
) -> tuple[np.ndarray, np.ndarray]:
    """The rules over whole columns (dates as datetime64[D], NaT when missing; figures as
    floats, NaN when missing): a province's 100,000 projects in milliseconds.

    A project not started on the reporting date (no start, or a start after it) is judged by
    its planned start: months late from the planned month, yellow from ``start_yellow_months``,
    red from ``start_red_months``. A started one by its investment: completed ÷ annual plan
    against the share of the year elapsed, yellow from ``invest_yellow_points`` behind, red
    beyond ``invest_red_points``; without a plan or a completed figure it is green."""
    day = np.datetime64(as_of, "D")
    waiting = np.isnat(actual) | (actual > day)
    months = _months_late(planned, as_of)
    start_red = waiting & (months >= rules.start_red_months)
    start_yellow = waiting & ~start_red & (months >= rules.start_yellow_months)
    with np.errstate(invalid="ignore", divide="ignore"):
        done = 100 * completed / plan
    behind = 100 * time_progress(as_of) - done
    judged = ~waiting & (plan != 0) & ~np.isnan(behind)
    invest_red = judged & (behind > rules.invest_red_points)
    invest_yellow = judged & ~invest_red & (behind >= rules.invest_yellow_points)
    colours = np.full(len(planned), "green", dtype=object)
    colours[start_yellow | invest_yellow] = "yellow"
    colours[start_red | invest_red] = "red"
    reasons = np.full(len(planned), "", dtype=object)
    late = np.flatnonzero(start_red | start_yellow)
    planned_month = planned.astype("datetime64[M]").astype(int) % 12 + 1
    reasons[late] = [
        f"计划{m}月开工，逾期{int(n)}个月未开工"
        for m, n in zip(planned_month[late], months[late], strict=True)
    ]
    slow = np.flatnonzero(invest_red | invest_yellow)
    reasons[slow] = [
        f"投资完成率{d:.1f}%，落后时间进度{b:.1f}个百分点"
        for d, b in zip(done[slow], behind[slow], strict=True)
    ]
    return colours, reasons


def _months_late(planned: np.ndarray, as_of: date) -> np.ndarray:
    """Whole calendar months from each planned month to ``as_of``'s (NaN when no plan)."""
    month = planned.astype("datetime64[M]").astype("int64")
    late = (as_of.year - 1970) * 12 + as_of.month - 1 - month
    return np.where(np.isnat(planned), np.nan, late.astype(float))


def _dates(values: pd.Series) -> np.ndarray:
    """A column of dates, texts or timestamps as datetime64[D] (NaT for what is not a date)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values.astype(object), errors="coerce")
    return values.to_numpy(dtype="datetime64[D]")


def _day(value: date | None) -> np.ndarray:
    return np.array([np.datetime64("NaT") if value is None else np.datetime64(value, "D")])
