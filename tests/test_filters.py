"""The one filter model: each filter and the combinations users make, with known answers.

Fixture projects (tests/fixtures.py): A1 1,000 万 (陇县, P1, construction, leader 李卫东),
A2 2,000 (preparatory, not started, named like HTML), A3 3,000 (completed), A4 4,000
(construction), B1 5,000 (临泽, P2, construction).
"""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from geoapp.config import PROJECT_ROOT
from geoapp.layers import load_layers
from geoapp.query import parse_filter
from tests.fixtures import LINZE, LONG

LAYERS = load_layers(PROJECT_ROOT / "layers")
PROJECTS = [lyr for lyr in LAYERS if lyr.id == "projects"]


def ids(client, query: str) -> list[str]:
    body = client.get(f"/api/layers/projects/features?{query}").get_json()
    assert body["numberMatched"] == len(body["features"])
    return sorted(f["properties"]["project_id"] for f in body["features"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("total_investment_min=2000", ["A2", "A3", "A4", "B1"]),
        ("total_investment_max=3000", ["A1", "A2", "A3"]),
        ("total_investment_min=2000&total_investment_max=3000", ["A2", "A3"]),
        ("annual_plan_min=2000", ["A4", "B1"]),
        ("actual_start_max=2026-03-15", ["A1", "A3", "A4", "B1"]),  # A2 has not started
        ("actual_start_min=2026-03-16", []),
        (
            "planned_start_min=2026-03-01&planned_start_max=2026-03-01",
            ["A1", "A2", "A3", "A4", "B1"],
        ),
        ("planned_end_max=2027-12-31", []),
        ("leader=李卫东", ["A1"]),
        ("unit=发改局", ["A2", "A3", "A4", "B1"]),
        ("leader=无此人", []),
        ("q=乳制品", ["A1"]),
        ("q=a3", ["A3"]),  # project code, ignoring case
        ("q=某某", ["A1", "A2", "A3", "A4", "B1"]),  # owner
        ("q=<img", ["A2"]),  # text is data, not markup or SQL
        ("q=' OR '1'='1", []),
        ("warning=red", ["A2"]),
        ("bbox=106.7,34.8,106.85,35.0", ["A1", "A3"]),
        (
            "within=POLYGON((106.7 34.8, 106.85 34.8, 106.85 35, 106.7 35, 106.7 34.8))",
            ["A1", "A3"],
        ),
        ("near=106.805,34.855,1", ["A1"]),
        ("near=106.805,34.855,20", ["A1", "A2", "A3", "A4"]),
        (f"county={LONG}&status=construction&total_investment_min=2000", ["A4"]),
        (f"county={LONG}&q=陇县&level=province", ["A1"]),
        (
            f"county={LINZE}&within=POLYGON((106.7 34.8, 106.85 34.8, 106.85 35, 106.7 35, "
            "106.7 34.8))",
            [],
        ),
    ],
)
def test_each_filter_gives_the_known_projects(client, query, expected):
    assert ids(client, query) == expected


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("total_investment_min=abc", "total_investment_min", "应为数字"),
        ("total_investment_min=5&total_investment_max=1", "total_investment_min", "最小值大于"),
        ("actual_start_min=2026-13-01", "actual_start_min", "应为日期"),
        ("within=POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))", "within", "自相交"),
        ("within=LINESTRING(0 0, 1 1)", "within", "多边形"),
        ("within=POLYGON((0 0" + ", 1 1" * 1001 + ", 0 0))", "within", "顶点"),
        ("within=nonsense", "within", "多边形"),
        ("near=106,34", "near", "经度,纬度,公里数"),
        ("near=106,34,9999", "near", "公里"),
        ("bbox=1,2,3", "bbox", "四个数"),
        ("q=" + "长" * 101, "q", "超过"),
        ("owner=x", "owner", "未知的筛选条件"),
    ],
)
def test_bad_filters_name_the_parameter(client, query, parameter, message):
    response = client.get(f"/api/layers/projects/features?{query}")
    body = response.get_json()
    assert response.status_code == 400
    assert body["parameter"] == parameter and message in body["description"]


def test_page_shows_the_notice_for_a_bad_drawn_area(client):
    response = client.get("/?within=POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))")
    assert response.status_code == 400 and "自相交" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "county=610327&status=construction&status=completed&total_investment_min=1500",
        "q=陇县&actual_start_max=2026-06-30&leader=王建国",
        "near=106.805,34.855,2.5&warning=green",
        "within=POLYGON((106.7 34.8, 106.85 34.8, 106.85 35, 106.7 35, 106.7 34.8))",
    ],
)
def test_filter_round_trips_through_its_url(app, query):
    with app.test_request_context():
        args = MultiDict([pair.split("=", 1) for pair in query.split("&")])
        first, errors = parse_filter(args, PROJECTS, {LONG, LINZE}, {"P1", "P2"})
        assert errors == []
        again, errors = parse_filter(first.to_args(), PROJECTS, {LONG, LINZE}, {"P1", "P2"})
        assert errors == [] and again == first
