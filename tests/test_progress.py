"""Three-colour warnings under the default rules of domain.md, with their reasons."""

from __future__ import annotations

from datetime import date

import pytest

from geoapp.progress import WarningRules, months_between, project_warning, time_progress


def test_time_progress_is_the_share_of_the_year():
    assert time_progress(date(2023, 12, 31)) == 1
    assert time_progress(date(2023, 7, 2)) == pytest.approx(183 / 365)


def test_months_between_counts_calendar_months():
    assert months_between(date(2026, 3, 1), date(2026, 6, 30)) == 3
    assert months_between(date(2025, 11, 1), date(2026, 2, 1)) == 3


@pytest.mark.parametrize(
    ("as_of", "colour", "reason"),
    [
        (date(2026, 3, 31), "green", ""),  # still within the planned month
        (date(2026, 4, 30), "yellow", "计划3月开工，逾期1个月未开工"),
        (date(2026, 5, 31), "yellow", "计划3月开工，逾期2个月未开工"),
        (date(2026, 6, 30), "red", "计划3月开工，逾期3个月未开工"),
    ],
)
def test_start_warning(as_of, colour, reason):
    assert project_warning(date(2026, 3, 1), None, 100, 0, as_of) == (colour, reason)


@pytest.mark.parametrize(
    ("completed", "colour"),
    [(50, "green"), (41, "green"), (39, "yellow"), (21, "yellow"), (20, "red")],
)
def test_investment_warning_against_time_progress(completed, colour):
    as_of = date(2026, 7, 2)  # 183 of 365 days: time progress 50.1 %
    got, reason = project_warning(date(2026, 1, 1), date(2026, 1, 5), 100, completed, as_of)
    assert got == colour
    assert (reason == "") == (colour == "green")
    if reason:
        assert reason.startswith(f"投资完成率{completed:.1f}%")


def test_thresholds_are_configurable():
    strict = WarningRules(start_red_months=1)
    assert project_warning(date(2026, 3, 1), None, 1, 0, date(2026, 4, 30), strict)[0] == "red"
