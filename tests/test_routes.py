"""The map page and the JSON API through the Flask test client, on the tiny fixture."""

from __future__ import annotations

import json
import re

import pytest

from tests.fixtures import LINZE, LONG, XSS_NAME
from tests.pages import layer_data


def figures(html: str) -> dict[str, str]:
    """The summary figures the side panel shows, by name (count, total_investment, …)."""
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))


def test_map_page_draws_every_layer_in_chinese(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    counts = {
        lid: len(layer_data(html, lid)["features"])
        for lid in ("boundaries", "parks", "parcels", "standard_land", "projects")
    }
    assert counts == {"boundaries": 2, "parks": 2, "parcels": 4, "standard_land": 1, "projects": 5}
    assert figures(html) == {
        "count": "5",
        "total_investment": "1.50 亿元",
        "annual_plan": "7,500 万元",
        "completed": "3,750 万元",
    }
    assert "图例" in html and "在建" in html and "标准化厂房" in html


def test_page_loads_nothing_from_the_internet(client):
    html = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(u.endswith("leaflet.js") for u in urls)
    assert not [u for u in urls if re.match(r"(https?:)?//", u)]


def test_assets_are_served_by_the_app(client):
    for path in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/map.js",
        "/static/app.css",
    ):
        assert client.get(path).status_code == 200, path


def test_county_filter_narrows_map_count_and_sum(client):
    html = client.get(f"/?county={LINZE}").get_data(as_text=True)
    assert [f["properties"]["name"] for f in layer_data(html, "projects")["features"]] == [
        "临泽储能电站"
    ]
    assert len(layer_data(html, "boundaries")["features"]) == 1
    assert figures(html)["count"] == "1"
    assert figures(html)["total_investment"] == "5,000 万元"
    assert f'value="{LINZE}" selected' in html  # the form shows the active filter


def test_park_status_category_and_level_filters(client):
    def count(query: str) -> str:
        return figures(client.get(f"/?{query}").get_data(as_text=True))["count"]

    assert count("park=P1") == "1"
    assert count("status=construction") == "3"
    assert count("status=construction&status=completed") == "4"
    assert count("status=construction,completed") == "4"
    assert count(f"county={LONG}&status=construction") == "2"
    assert count("category=energy") == "2"
    assert count("level=province") == "2"
    assert count(f"level=province&county={LONG}&category=energy") == "0"


def test_status_filter_leaves_other_layers_whole(client):
    html = client.get("/?status=completed").get_data(as_text=True)
    assert len(layer_data(html, "parks")["features"]) == 2
    assert len(layer_data(html, "projects")["features"]) == 1


def test_admin_code_missing_from_the_data_is_reported(client):
    # 610300 (宝鸡市) is well formed, but the fixture has no such boundary.
    html = client.get("/?county=610300").get_data(as_text=True)
    assert "610300" in html and "数据中没有" in html


def test_empty_result_says_so_and_offers_to_clear(client):
    html = client.get(f"/?county={LINZE}&status=completed").get_data(as_text=True)
    assert figures(html)["count"] == "0"
    assert "没有符合筛选条件的重点项目" in html
    assert "清除筛选" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("county=12ab", "行政区划代码“12ab”格式不对"),
        ("county=999999", "数据中没有行政区划代码“999999”"),
        ("park=NOPE", "园区“NOPE”不存在"),
        ("status=flying", "筛选条件“status”的值“flying”无效"),
        ("colour=red", "未知的筛选条件“colour”"),
    ],
)
def test_bad_filter_shows_a_notice_not_a_500(client, query, message):
    response = client.get(f"/?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'role="alert"' in html and message in html
    assert len(layer_data(html, "projects")["features"]) == 5  # the rest of the page still works


def test_popup_text_is_never_html(client):
    html = client.get("/").get_data(as_text=True)
    assert "<img src=x" not in html
    names = [f["properties"]["name"] for f in layer_data(html, "projects")["features"]]
    assert XSS_NAME in names  # delivered as data, drawn with textContent by map.js


def test_english_switch_is_remembered(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Legend" in html and "Under construction" in html
    assert figures(html)["total_investment"] == "1.50 × 100M CNY"
    again = client.get("/").get_data(as_text=True)  # the cookie keeps English
    assert "Legend" in again
    assert "图例" in client.get("/?lang=zh").get_data(as_text=True)


def test_api_lists_layers(client):
    layers = client.get("/api/layers").get_json()
    assert [lyr["id"] for lyr in layers] == [
        "boundaries",
        "parks",
        "parcels",
        "standard_land",
        "projects",
    ]


def test_api_features_follow_the_filter(client):
    body = client.get(f"/api/layers/projects/features?county={LONG}&status=construction").get_json()
    assert body["numberMatched"] == 2
    assert sorted(f["properties"]["project_id"] for f in body["features"]) == ["A1", "A4"]
    assert body["sums"]["total_investment"] == 5000


def test_api_missing_dates_are_null(client):
    body = client.get("/api/layers/projects/features?status=preparatory").get_json()
    assert body["features"][0]["properties"]["actual_start"] is None


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/api/layers/projects/features?county=61", 400, "county"),
        ("/api/layers/projects/features?park=../../etc", 400, "park"),
        ("/api/layers/projects/features?status=x", 400, "status"),
        ("/api/layers/parks/features?status=construction", 400, "status"),
        ("/api/layers/nothing/features", 404, "layer"),
    ],
)
def test_api_errors_are_json_naming_the_parameter(client, url, status, parameter):
    response = client.get(url)
    body = response.get_json()
    assert response.status_code == status
    assert body["parameter"] == parameter
    assert body["description"]


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def fitted_bounds(html: str) -> list[list[float]]:
    match = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", html, re.S)
    assert match, "the page does not fit the map"
    return json.loads(match.group(1))


def test_page_fits_the_filtered_features(client):
    # Unfiltered: both test counties. Filtered to 临泽县: its boundary box only.
    assert fitted_bounds(client.get("/").get_data(as_text=True)) == [[34.8, 100.0], [39.3, 107.0]]
    html = client.get(f"/?county={LINZE}").get_data(as_text=True)
    assert fitted_bounds(html) == [[39.0, 100.0], [39.3, 100.3]]
    # A status filter narrows only projects, so the map fits the matching projects.
    html = client.get("/?status=completed").get_data(as_text=True)
    assert fitted_bounds(html) == [[34.95, 106.75], [34.95, 106.75]]
