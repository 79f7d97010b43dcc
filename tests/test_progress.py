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


def test_the_first_and_last_day_of_each_start_colour():
    """Planned in March: green through 31 March, yellow from 1 April, red from 1 June."""
    days = [date(2026, 3, 31), date(2026, 4, 1), date(2026, 5, 31), date(2026, 6, 1)]
    colours = [project_warning(date(2026, 3, 15), None, 100, 0, d)[0] for d in days]
    assert colours == ["green", "yellow", "yellow", "red"]


@pytest.mark.parametrize(
    ("behind", "colour"),
    [(9.99, "green"), (10.0, "yellow"), (30.0, "yellow"), (30.01, "red")],
)
def test_each_investment_threshold_at_its_boundary(behind, colour):
    as_of = date(2026, 12, 31)  # time progress 100 %: completed % = 100 − behind
    got, _ = project_warning(date(2026, 1, 1), date(2026, 1, 5), 100, 100 - behind, as_of)
    assert got == colour


def test_a_project_started_after_the_reporting_date_was_late_on_that_date():
    """Replaying June: a project planned for March that started in August was red in June."""
    got = project_warning(date(2026, 3, 1), date(2026, 8, 1), 100, 0, date(2026, 6, 30))
    assert got == ("red", "计划3月开工，逾期3个月未开工")


def test_warnings_at_a_date_for_a_frame_of_projects():
    import pandas as pd

    from geoapp.progress import warnings_at

    projects = pd.DataFrame(
        {
            "planned_start": ["2026-03-01", "2026-03-01", None],
            "actual_start": [None, "2026-02-01", None],
            "annual_plan": [100.0, 100.0, None],
            "completed": [0.0, 10.0, None],
        },
        index=[7, 8, 9],
    )
    found = warnings_at(projects, date(2026, 6, 30), WarningRules())
    assert found.loc[7].tolist() == ["red", "计划3月开工，逾期3个月未开工"]
    assert found.loc[8, "warning"] == "red" and found.loc[8, "warning_reason"].startswith(
        "投资完成率10.0%"
    )
    assert found.loc[9].tolist() == ["green", ""]


def test_a_whole_column_gets_the_warnings_each_project_gets_alone():
    """The dashboard, 红黑榜 and print work a province out at once (``warnings_at``); each row
    must come out as ``project_warning`` says for that project, whatever form its cells take
    (dates as text, timestamps or missing; figures as text, numbers or missing)."""
    import pandas as pd

    from geoapp.progress import warnings_at

    as_of = date(2026, 6, 30)
    rows = [
        ("2026-03-01", None, 1000, 0),  # 3 months late: red
        ("2026-05-15", None, None, None),  # 1 month late: yellow
        (pd.Timestamp("2026-07-01"), None, 1000, 0),  # not due yet: green
        ("2026-01-01", "2026-02-01", 1000, 300),  # 30 % done, 49.6 % of the year: yellow
        ("2026-01-01", date(2026, 2, 1), "1000", "100"),  # 10 % done: red
        ("2026-01-01", "2026-02-01", 0, 100),  # no plan: green
        (None, "2026-08-01", 1000, 0),  # starts after the reporting date, no plan date: green
        ("not a date", None, float("nan"), None),
    ]
    frame = pd.DataFrame(
        rows, columns=["planned_start", "actual_start", "annual_plan", "completed"]
    )
    found = warnings_at(frame, as_of, WarningRules())
    alone = []
    for planned, actual, plan, done in rows:
        day = pd.to_datetime(pd.Series([planned, actual], dtype=object), errors="coerce")
        dates = [None if pd.isna(d) else d.date() for d in day]
        figures = [
            None if pd.isna(v) else float(v) for v in pd.to_numeric([plan, done], errors="coerce")
        ]
        alone.append(project_warning(*dates, *figures, as_of))
    assert list(zip(found["warning"], found["warning_reason"], strict=True)) == alone
    assert list(found["warning"]) == [
        "red",
        "yellow",
        "green",
        "yellow",
        "red",
        "green",
        "green",
        "green",
    ]
    assert found["warning_reason"][0] == "计划3月开工，逾期3个月未开工"
