"""The header search's suggestions (``GET /api/search``) on the tiny fixture, every backend.

tests/fixtures.py: counties 陇县 (610327) and 临泽县 (620723); parks 苏陕工业园 (P1, in 陇县)
and 扎尔墩滩工业集中区 (P2, in 临泽县); projects A1, A3, A4 named 陇县…, A2 named like HTML,
B1 临泽储能电站, all owned by 某某有限公司; parcels P1-001..P1-003 and P2-001; standard land
1号标准地 (P1-003).
"""

from __future__ import annotations

import pytest
from shapely.geometry import Point, box, shape

from tests.fixtures import LINZE, LONG, XSS_NAME

P1_BOX = box(106.80, 34.85, 106.84, 34.88)
LONG_BOX = box(106.7, 34.8, 107.0, 35.0)


def search(client, q: str, **args) -> dict:
    response = client.get("/api/search", query_string={"q": q, **args})
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    return response.get_json()


def groups(body: dict) -> dict[str, dict]:
    return {g["id"]: g for g in body["groups"]}


def labels(group: dict) -> list[str]:
    return [item["label"] for item in group["items"]]


def test_a_park_is_found_by_part_of_its_name(client):
    body = search(client, "苏陕")
    assert [g["id"] for g in body["groups"]] == ["parks"]
    (park,) = body["groups"][0]["items"]
    assert park["label"] == "苏陕工业园" and park["param"] == "park" and park["value"] == "P1"
    assert park["county"] == LONG and park["detail"] == "陇县"
    assert P1_BOX.contains(Point(park["lon"], park["lat"]))
    assert body["groups"][0]["kind"] == "area" and body["groups"][0]["title"] == "园区"


def test_a_county_and_the_projects_named_after_it(client):
    found = groups(search(client, "陇县"))
    assert list(found) == ["counties", "projects"]
    (county,) = found["counties"]["items"]
    assert (county["label"], county["param"], county["value"]) == ("陇县", "county", LONG)
    assert LONG_BOX.contains(Point(county["lon"], county["lat"]))
    assert found["counties"]["title"] == "县区" and found["projects"]["title"] == "重点项目"
    assert sorted(labels(found["projects"])) == ["陇县乳制品项目", "陇县医院项目", "陇县风电项目"]


def test_a_county_by_its_code(client):
    (county,) = groups(search(client, LINZE))["counties"]["items"]
    assert county["label"] == "临泽县" and county["value"] == LINZE


def test_features_carry_the_store_id_and_a_point_to_zoom_to(client):
    """Each suggested feature is the one ``/api/layers/<layer>/features/<id>`` answers, and
    its lon/lat lies on it."""
    found = groups(search(client, "陇县", limit=20))
    for item in found["projects"]["items"]:
        assert item["layer"] == "projects" and isinstance(item["id"], int)
        feature = client.get(f"/api/layers/projects/features/{item['id']}").get_json()
        assert feature["properties"]["name"] == item["label"]
        point = shape(feature["geometry"])
        assert (item["lon"], item["lat"]) == pytest.approx((point.x, point.y), abs=1e-6)


def test_projects_by_code_and_by_owner_ignoring_case(client):
    (a1,) = groups(search(client, "a1"))["projects"]["items"]
    assert a1["label"] == "陇县乳制品项目" and a1["detail"].startswith("A1")
    owners = groups(search(client, "某某有限"))["projects"]
    assert len(owners["items"]) == 5


def test_the_limit_holds_per_group(client):
    found = groups(search(client, "某某", limit=2))
    assert len(found["projects"]["items"]) == 2
    found = groups(search(client, "P", limit=1))
    assert all(len(g["items"]) == 1 for g in found.values())
    assert {"parks", "parcels", "standard_land"} <= set(found)


def test_parcels_and_standard_land(client):
    found = groups(search(client, "p1-00"))
    assert labels(found["parcels"]) == ["P1-001", "P1-002", "P1-003"]
    assert found["parcels"]["title"] == "土地地块"
    assert all("苏陕工业园" in item["detail"] for item in found["parcels"]["items"])
    (standard,) = groups(search(client, "1号"))["standard_land"]["items"]
    assert standard["label"] == "1号标准地" and standard["layer"] == "standard_land"
    feature = client.get(f"/api/layers/standard_land/features/{standard['id']}").get_json()
    assert feature["properties"]["name"] == "1号标准地"
    assert shape(feature["geometry"]).contains(Point(standard["lon"], standard["lat"]))


def test_exact_matches_come_first(client):
    items = groups(search(client, "P1-003"))["parcels"]["items"]
    assert labels({"items": items}) == ["P1-003"]
    items = groups(search(client, "P1"))["parcels"]["items"]
    assert len(items) == 3


def test_titles_in_english(client):
    found = groups(search(client, "陇县", lang="en"))
    assert found["counties"]["title"] == "Counties"
    assert found["projects"]["title"] == "Key projects"
    assert groups(search(client, "苏陕", lang="en"))["parks"]["title"] == "Parks"


@pytest.mark.parametrize("q", ["", "   ", "\t\n"])
def test_no_text_no_suggestions(client, q):
    assert search(client, q)["groups"] == []


def test_text_up_to_100_characters(client):
    assert search(client, "陇" * 100)["groups"] == []
    response = client.get("/api/search", query_string={"q": "陇" * 101})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue" and body["parameter"] == "q"
    assert "100" in body["description"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("q=a&q=b", "q"),
        ("q=a&limit=0", "limit"),
        ("q=a&limit=21", "limit"),
        ("q=a&limit=x", "limit"),
        ("q=%00", "q"),  # no text holds a NUL (PostgreSQL's cannot): refused, named
    ],
)
def test_bad_parameters_answer_ogc_exceptions(client, query, param):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue" and body["parameter"] == param


@pytest.mark.parametrize(
    "q",
    ["%", "_", "\\", "'", "' OR '1'='1", "'; DROP TABLE projects; --", "%_%", "[", "(.*)"],
)
def test_hostile_text_is_data(client, q):
    """Wildcards, quotes, regex and SQL find only what contains them literally: nothing."""
    assert search(client, q)["groups"] == []
    assert client.get("/api/search?q=%E9%99%87%E5%8E%BF").status_code == 200  # still answers


def test_a_name_like_html_comes_back_as_json_text(client):
    response = client.get("/api/search", query_string={"q": "<img"})
    assert response.mimetype == "application/json"
    (item,) = groups(response.get_json())["projects"]["items"]
    assert item["label"] == XSS_NAME


def test_the_map_page_loads_the_search_script_with_its_texts(client):
    html = client.get("/").get_data(as_text=True)
    assert '<script src="/static/search.js" data-url="/api/search"' in html
    assert 'data-none="无匹配结果"' in html and 'data-count="{n} 条建议"' in html
    assert client.get("/static/search.js").status_code == 200
    html = client.get("/?lang=en").get_data(as_text=True)
    assert 'data-none="No match"' in html and 'data-count="{n} suggestions"' in html
