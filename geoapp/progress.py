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


@dataclass(frozen=True)
class WarningRules:
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
    if actual_start is None:
        return _start_warning(planned_start, as_of, rules)
    return _investment_warning(annual_plan, completed, as_of, rules)


def _start_warning(planned: date | None, as_of: date, rules: WarningRules) -> tuple[str, str]:
    if planned is None or months_between(planned, as_of) < 1:
        return "green", ""
    late = months_between(planned, as_of)
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
