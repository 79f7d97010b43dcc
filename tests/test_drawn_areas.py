"""Filters too detailed for a URL: drawn areas kept by the server (``within=<id>``) and OGC
items searched by POST. The README promises drawn areas of 1,000 vertices; a URL carrying one
is 25 KB, three times what gunicorn takes in a request line."""

from __future__ import annotations

import json
import math
import multiprocessing
import urllib.error
import urllib.parse
import urllib.request

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from geoapp import create_app
from geoapp.drawn import DRAWN_TABLE
from tests.accounts import as_admin, signed_in
from tests.fixtures import gunicorn_serving, settings_for

VERTICES = 999  # a closed ring of 1,000 positions


def circle_ring(lon: float, lat: float, radius: float, n: int = VERTICES) -> Polygon:
    """A many-sided polygon around (lon, lat), with coordinates written as a browser does."""
    ring = [
        (
            round(lon + radius * math.cos(2 * math.pi * i / n), 6),
            round(lat + radius * math.sin(2 * math.pi * i / n), 6),
        )
        for i in range(n)
    ]
    return Polygon(ring)


AREA = circle_ring(106.78, 34.9, 0.1)  # around the tiny data's 陇县 projects


def projects_inside(app, area) -> list[str]:
    """What the area holds, computed here from the store's rows, not by the app's filter."""
    with app.app_context():
        frame = app.extensions["geoapp"].store.read("projects")
    return sorted(frame.loc[frame.intersects(area), "project_id"])


def kept_id(client, area=AREA) -> str:
    response = client.post("/api/areas", data={"within": area.wkt})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def test_a_kept_area_filters_every_route_like_its_vertices(app, client):
    expected = projects_inside(app, AREA)
    assert expected  # the area holds some projects and leaves others out
    key = kept_id(client)
    assert len(key) == 16
    body = client.get(f"/api/layers/projects/features?within={key}").get_json()
    assert sorted(f["properties"]["project_id"] for f in body["features"]) == expected
    ogc = client.get(f"/ogc/collections/projects/items?within={key}&limit=100").get_json()
    assert sorted(f["properties"]["project_id"] for f in ogc["features"]) == expected
    points = client.get(f"/api/layers/projects/points.bin?within={key}").get_data()
    assert int.from_bytes(points[:4], "little") == len(expected)
    page = client.get(f"/?within={key}")
    assert page.status_code == 200
    assert "已按绘制的区域筛选" in page.get_data(as_text=True)
    csv = client.get(f"/export/projects.csv?within={key}").get_data(as_text=True)
    assert sum(code in csv for code in expected) == len(expected)
    assert client.get(f"/tiles/projects/10/815/408.pbf?within={key}").status_code in (200, 204)


def test_the_same_shape_is_one_record_whatever_its_start_or_direction(app, client):
    first = kept_id(client)
    coords = list(AREA.exterior.coords)[:-1]
    turned = Polygon(coords[300:] + coords[:300])
    assert kept_id(client, turned) == first
    assert kept_id(client, Polygon(coords[::-1])) == first
    with app.app_context():
        rows = app.extensions["geoapp"].store.read(DRAWN_TABLE)
    assert len(rows) == 1
    assert rows.geometry.iloc[0].equals(AREA)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"within": circle_ring(106.8, 34.9, 0.1, 1001).wkt}, "1000"),
        ({"within": "POLYGON((nan 1, 2 2, 3 1, nan 1))"}, "WKT"),
        ({"within": "POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))"}, "自相交"),
        ({"within": "LINESTRING(0 0, 1 1)"}, "多边形"),
        ({}, "within="),
        ({"within": "POLYGON((0 0" + ", 1 1" * 60_000 + ", 0 0))"}, "KB"),
    ],
)
def test_a_bad_drawn_area_is_refused_and_nothing_is_kept(app, client, body, message):
    response = client.post("/api/areas", data=body)
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["parameter"] == "within" and message in answer["description"]
    with app.app_context():
        store = app.extensions["geoapp"].store
        assert DRAWN_TABLE not in store.tables() or store.read(DRAWN_TABLE).empty
    assert client.get("/").status_code == 200


def test_an_unknown_area_id_is_a_400_naming_within(client):
    response = client.get("/api/layers/projects/features?within=0123456789abcdef")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "within"
    page = client.get("/?within=0123456789abcdef")
    assert page.status_code == 400 and "0123456789abcdef" in page.get_data(as_text=True)


def _keep_in_child(settings: dict, wkt: str, results) -> None:
    client = signed_in(create_app(settings))
    results.put(client.post("/api/areas", data={"within": wkt}).get_json()["id"])


def test_two_processes_keeping_the_same_area_at_once_agree(gpkg):
    settings = settings_for(gpkg)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(target=_keep_in_child, args=(settings, AREA.wkt, results)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    keys = {results.get(timeout=5) for _ in workers}
    assert len(keys) == 1
    app = create_app(settings)
    with app.app_context():
        assert len(app.extensions["geoapp"].store.read(DRAWN_TABLE)) == 1


def test_ogc_items_take_a_large_filter_by_post(app, client):
    expected = projects_inside(app, AREA)
    text = f"S_INTERSECTS(geometry, {AREA.wkt})"
    form = client.post(
        "/ogc/collections/projects/items",
        data={"filter": text, "limit": "1", "properties": "project_id"},
    )
    assert form.status_code == 200, form.get_data(as_text=True)[:300]
    first = form.get_json()
    assert first["numberMatched"] == len(expected)
    following = next(link for link in first["links"] if link["rel"] == "next")
    assert following["method"] == "POST" and following["body"]["offset"] == "1"
    second = client.post(following["href"], data=following["body"]).get_json()
    assert second["features"][0]["id"] != first["features"][0]["id"]
    cql_json = {
        "op": "s_intersects",
        "args": [
            {"property": "geometry"},
            json.loads(gpd.GeoSeries([AREA]).to_json())["features"][0]["geometry"],
        ],
    }
    answer = client.post(
        "/ogc/collections/projects/items?limit=100",
        data=json.dumps(cql_json),
        content_type="application/query-cql-json",
    ).get_json()
    assert sorted(f["properties"]["project_id"] for f in answer["features"]) == expected


def test_a_bad_posted_filter_is_a_400_naming_it(client):
    response = client.post("/ogc/collections/projects/items", data={"filter": "name = "})
    assert response.status_code == 400 and response.get_json()["parameter"] == "filter"
    response = client.post(
        "/ogc/collections/projects/items", data="{", content_type="application/json"
    )
    assert response.status_code == 400 and response.get_json()["parameter"] == "filter"


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(as_admin(url), timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_under_gunicorn_a_thousand_vertices_reach_every_route(gpkg):
    """What `make run` serves: the 25 KB WKT cannot go in a URL, its id can."""
    with gunicorn_serving(gpkg) as base:
        wkt = AREA.wkt
        status, _body = _get(
            f"{base}/api/layers/projects/features?within={urllib.parse.quote(wkt)}"
        )
        assert status == 414  # what the id is for
        request = urllib.request.Request(
            f"{base}/api/areas", data=urllib.parse.urlencode({"within": wkt}).encode()
        )
        with urllib.request.urlopen(as_admin(request), timeout=30) as answer:
            key = json.loads(answer.read())["id"]
        for path in (
            f"/?within={key}",
            f"/api/layers/projects/features?within={key}",
            f"/api/layers/projects/points.bin?within={key}",
            f"/ogc/collections/projects/items?within={key}",
            f"/export/projects.xlsx?within={key}",
        ):
            status, _body = _get(base + path)
            assert status == 200, path
        posted = urllib.request.Request(
            f"{base}/ogc/collections/projects/items",
            data=urllib.parse.urlencode({"filter": f"S_INTERSECTS(geometry,{wkt})"}).encode(),
        )
        with urllib.request.urlopen(as_admin(posted), timeout=30) as answer:
            assert json.loads(answer.read())["type"] == "FeatureCollection"
