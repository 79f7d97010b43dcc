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
    rules = rules or WarningRules()
    if actual_start is None or actual_start > as_of:  # not started yet on the reporting date
        return _start_warning(planned_start, as_of, rules)
    return _investment_warning(annual_plan, completed, as_of, rules)


WARNING_INPUTS = ("planned_start", "actual_start", "annual_plan", "completed")


def warnings_at(projects: pd.DataFrame, as_of: date, rules: WarningRules) -> pd.DataFrame:
    """Each project's warning (``warning``) and its reason (``warning_reason``) on the
    reporting date, from its dates and figures (columns ``WARNING_INPUTS``)."""
    inputs = (
        _days(projects["planned_start"]),
        _days(projects["actual_start"]),
        _numbers(projects["annual_plan"]),
        _numbers(projects["completed"]),
    )
    found = [project_warning(*row, as_of, rules) for row in zip(*inputs, strict=True)]
    return pd.DataFrame(found or None, index=projects.index, columns=["warning", "warning_reason"])


def _days(column: pd.Series) -> list[date | None]:
    days = pd.to_datetime(column, errors="coerce")
    return [None if pd.isna(d) else d.date() for d in days]


def _numbers(column: pd.Series) -> list[float | None]:
    numbers = pd.to_numeric(column, errors="coerce")
    return [None if pd.isna(n) else float(n) for n in numbers]


def _start_warning(planned: date | None, as_of: date, rules: WarningRules) -> tuple[str, str]:
    late = None if planned is None else months_between(planned, as_of)
    if late is None or late < rules.start_yellow_months:
        return "green", ""
    colour = "red" if late >= rules.start_red_months else "yellow"
    return colour, f"计划{planned.month}月开工，逾期{late}个月未开工"


def _investment_warning(
    plan: float | None, completed: float | None, as_of: date, rules: WarningRules
) -> tuple[str, str]:
    if not plan or completed is None:
        return "green", ""
    done = 100 * completed / plan
    expected = 100 * time_progress(as_of)
    behind = expected - done
    if behind < rules.invest_yellow_points:
        return "green", ""
    colour = "red" if behind > rules.invest_red_points else "yellow"
    return colour, f"投资完成率{done:.1f}%，落后时间进度{behind:.1f}个百分点"
