"""The year replayed month by month from the progress history: what was known at each month's
end, on the module and through ``/api/rates/months`` on every backend."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from shapely.geometry import Point

from geoapp.replay import as_known_at, month_ends, replay
from geoapp.stores.changes import Change, ChangeSet
from tests.fixtures import open_store


def projects() -> pd.DataFrame:
    """P1 resumed in January and reports monthly; P2 starts on 10 May and reports from May;
    P3 has no monthly reports at all."""
    return pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3"],
            "nature": ["continuing", "new", "new"],
            "start_state": ["resumed", "started", "not_started"],
            "planned_start": [date(2026, 1, 1), date(2026, 3, 1), date(2026, 9, 1)],
            "actual_start": [date(2026, 1, 5), date(2026, 5, 10), None],
            "status": ["completed", "construction", "preparatory"],
            "total_investment": [1000.0, 500.0, 200.0],
            "annual_plan": [400.0, 200.0, 100.0],
            "completed": [400.0, 90.0, 0.0],
        }
    )


def history() -> pd.DataFrame:
    rows = [("P1", 1, 50.0, "construction"), ("P1", 3, 150.0, "construction")]
    rows += [("P1", 6, 400.0, "completed"), ("P2", 5, 30.0, "construction")]
    rows += [("P2", 6, 90.0, "construction")]
    return pd.DataFrame(
        [
            {"project_id": p, "month": date(2026, m, 1), "completed": c, "status": s}
            for p, m, c, s in rows
        ]
    )


def test_month_ends_run_to_the_reporting_date():
    ends = month_ends(2026, date(2026, 3, 15))
    assert ends == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 15)]
    assert len(month_ends(2025, date(2025, 12, 31))) == 12


def test_what_was_known_at_each_months_end():
    at = {
        m: as_known_at(projects(), history(), date(2026, m, 28)).set_index("project_id")
          for m in (1, 2, 4, 5, 6)}  # fmt: skip
    assert [at[m].loc["P1", "completed"] for m in (1, 2, 4, 6)] == [50, 50, 150, 400]
    assert at[4].loc["P1", "status"] == "construction" and at[6].loc["P1", "status"] == "completed"
    assert pd.isna(at[4].loc["P2", "completed"]) and at[5].loc["P2", "completed"] == 30
    assert at[1].loc["P3", "status"] == "preparatory"  # no reports: as it stands


def test_the_replayed_rates_month_by_month():
    months = replay(projects(), history(), 2026, date(2026, 6, 30))
    assert [m.as_of for m in months][-1] == date(2026, 6, 30) and len(months) == 6
    assert [m.new_started.count for m in months] == [0, 0, 0, 0, 1, 1]  # P2 from 10 May
    assert [m.completed for m in months] == [50, 50, 150, 150, 180, 490]
    assert months[3].start_rate == pytest.approx(1 / 2)  # April: P1 started, P2 due in March
    assert months[5].stages["completed"].count == 1


def report(store, code: str, *months: tuple[int, float]) -> None:
    """Monthly reports of 2026 for one project of tests/fixtures.py: (month, completed)."""
    point = Point(106.815, 34.855)
    store.apply(
        ChangeSet(
            "tests",
            [
                Change(
                    "insert",
                    "progress",
                    (code, f"2026-{month:02}-01"),
                    {
                        "project_id": code,
                        "month": date(2026, month, 1),
                        "completed": completed,
                        "status": "construction",
                        "geometry": point,
                    },
                )
                for month, completed in months
            ],
        )
    )


def test_the_api_replays_the_year_from_the_stored_history(client, where):
    """A1 (陇县) reports 100 in March and 250 in June: the replay shows them month by month."""
    store = open_store(where)
    report(store, "A1", (3, 100.0), (6, 250.0))
    body = client.get("/api/rates/months?county=610327&as_of=2026-07-31").get_json()
    assert [m["as_of"] for m in body["months"]][::6] == ["2026-01-31", "2026-07-31"]
    a1 = store.read("projects").query("project_id == 'A1'").iloc[0]
    others = client.get("/api/rates?county=610327&as_of=2026-07-31").get_json()["completed"]
    others -= a1["completed"]
    completed = [round(m["completed"] - others, 1) for m in body["months"]]
    assert completed == [0, 0, 100, 100, 100, 250, 250]
    bad = client.get("/api/rates/months?year=2030&as_of=2026-07-31")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "year"


def test_a_past_reporting_date_counts_what_was_known_then(client, where):
    """/api/rates and the 红黑榜 of a month's end are that month of the replayed year; an edit
    made after the last report counts from then on, not before."""
    store = open_store(where)
    report(store, "A1", (3, 100.0), (6, 250.0))
    months = client.get("/api/rates/months?county=610327&as_of=2026-07-31").get_json()["months"]
    for month in months:
        day = f"as_of={month['as_of']}&county=610327"
        assert client.get(f"/api/rates?{day}").get_json() == month
        ranked = client.get(f"/api/rankings?{day}").get_json()["places"]
        assert [p["rates"] for p in ranked] == [month["rates"]]
    store.apply(ChangeSet("tests", [Change("update", "projects", ("A1",), {"completed": 400.0})]))
    april = client.get("/api/rates?county=610327&as_of=2026-04-30").get_json()["completed"]
    july = client.get("/api/rates?county=610327&as_of=2026-07-31").get_json()["completed"]
    assert july - april == 400.0 - 100.0
