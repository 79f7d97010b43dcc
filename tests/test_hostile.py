"""Requests a hostile or careless client sends: each answered with a 4xx in JSON, never a 5xx,
and the costly ones within a bound of time and memory (run in a child process with a memory
limit, so a regression shows as a failure, not as a test run that eats the machine)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from tests.accounts import signed_in
from tests.fixtures import settings_for

ODD = [
    ("/api/layers/projects/features?limit=²", "limit"),
    ("/ogc/collections/projects/items?limit=²", "limit"),
    ("/ogc/collections/projects/items?offset=٣x", "offset"),
    ("/tiles/parcels/²/0/0.pbf", "z"),
    ("/tiles/parcels/12/٣/0.pbf", "x"),
    ("/ogc/collections/projects/items/²", None),
    ("/ogc/collections/projects/items?properties=name,name", "properties"),
    ("/public/ogc/collections/parcels/items?properties=land_state,land_state", "properties"),
    ("/ogc/collections/projects/items?filter=S_INTERSECTS(geometry,POINT(NaN 1))", "filter"),
    ("/ogc/collections/projects/items?filter=S_INTERSECTS(geometry,POINT(1e400 1))", "filter"),
    ("/api/layers/projects/features?q=%00", "q"),  # PostgreSQL text holds no NUL
    ("/ogc/collections/projects/items?filter=name%3D%27%00%27", "filter"),
    ("/api/layers/projects/features?leader=%00", "leader"),
]


@pytest.mark.parametrize(("url", "param"), ODD)
def test_odd_input_is_a_4xx_in_json_naming_the_parameter(client, url, param):
    response = client.get(url)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["code"] and body["description"]
    if param:
        assert body.get("parameter") == param


def test_a_nul_in_the_search_box_is_explained_on_the_page(client):
    response = client.get("/?q=a%00b")
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/ogc/nothing", "/ogc/collections/nothing/items", "/api/x"])
def test_unknown_machine_urls_answer_json(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response.is_json


def test_an_upload_named_with_84_chinese_characters_is_kept(client):
    sheet = "项目代码,项目名称,建设地点,经度,纬度\nL1,长名字项目,陇县,106.85,34.9\n".encode()
    response = client.post(
        "/import",
        data={"kind": "projects", "file": (io.BytesIO(sheet), "项" * 84 + ".csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "项" * 60 + ".csv" in response.get_data(as_text=True)


CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
from geoapp import create_app
from tests.accounts import signed_in
client = signed_in(create_app(json.loads(sys.argv[1])))
started = time.process_time()
status = client.get(sys.argv[2]).status_code
print(json.dumps({"status": status, "cpu": time.process_time() - started}))
"""


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/projects/items?limit=10&properties=" + ",".join(["name"] * 100),
        "/public/ogc/collections/parcels/items?properties=" + ",".join(["land_state"] * 500),
    ],
)
def test_a_short_url_cannot_buy_minutes_of_work(gpkg, url):
    """88 s and 1.5 GB for 100 copies of one property name, before the fix."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(settings_for(gpkg)), url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 400
    assert result["cpu"] < 1.0  # the bound: a second of CPU for a request under 16 KB


def test_a_workbook_that_inflates_to_gigabytes_is_refused_before_it_is_read(client, tmp_path):
    """A sheet of 300 MB of one repeated row compresses to well under a MB: refused from the
    ZIP's own directory, without inflating it."""
    import zipfile

    from tests.test_import_projects import project, write_xlsx

    path = write_xlsx(tmp_path / "bomb.xlsx", [project()])
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info.filename) for info in source.infolist()}
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = members["xl/worksheets/sheet1.xml"]
    sheet = sheet.replace(b"</sheetData>", row * (300 * 2**20 // len(row)) + b"</sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name, data in members.items():
            target.writestr(name, sheet if name == "xl/worksheets/sheet1.xml" else data)
    assert path.stat().st_size < 2 * 2**20
    response = client.post(
        "/import",
        data={"kind": "projects", "file": (path.open("rb"), "bomb.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "疑似 ZIP 炸弹" in response.get_data(as_text=True)


def test_a_report_of_thousands_of_problems_is_paged(client):
    """A sheet of 1,000 bad rows: the page shows 200 problems at a time, the rest behind
    'next'; the XLSX report still has them all."""
    rows = "".join(f"X{i},项目{i},陇县,106.85,34.9,不是日期\n" for i in range(1000))
    sheet = ("项目代码,项目名称,建设地点,经度,纬度,计划开工时间\n" + rows).encode()
    response = client.post(
        "/import",
        data={"kind": "projects", "file": (io.BytesIO(sheet), "坏.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert page.count("不是有效的日期") == 200 and "第 1 / 5 页" in page
    token = page.split("/import/")[1][:24]
    last = client.get(f"/import/{token}?page=5").get_data(as_text=True)
    assert last.count("不是有效的日期") == 200 and "第 5 / 5 页" in last
    assert client.get(f"/import/{token}?page=²").status_code == 400


def test_a_filter_past_the_time_budget_stops_and_the_next_request_is_served(tmp_path):
    """100 LIKE tests over 100,000 projects take seconds; with a 1 s budget the request
    stops after about a second with a 503 in JSON, and the same worker answers the next one."""
    import time

    import geopandas as gpd
    import pandas as pd

    from geoapp import create_app
    from geoapp.stores import GeoPackageStore
    from tests.fixtures import tiny_frames

    frames = tiny_frames()
    one = frames["projects"]
    many = pd.concat([one] * 20_000, ignore_index=True)
    many["project_id"] = [f"P{i}" for i in range(len(many))]
    many["name"] = [f"项目{i}" for i in range(len(many))]
    frames["projects"] = gpd.GeoDataFrame(many, geometry="geometry", crs=one.crs)
    GeoPackageStore.create(tmp_path / "many.gpkg", frames)
    settings = settings_for(tmp_path / "many.gpkg") | {"GEOAPP_REQUEST_SECONDS": "1"}
    client = signed_in(create_app(settings))
    assert client.get("/ogc/collections/projects/items?limit=1").status_code == 200  # loaded
    costly = " OR ".join(f"name LIKE '%{i}x%'" for i in range(100))
    started = time.monotonic()
    response = client.get("/ogc/collections/projects/items", query_string={"filter": costly})
    assert response.status_code == 503
    assert time.monotonic() - started < 3
    body = response.get_json()
    assert body["code"] == "RequestTooCostly" and "1 秒" in body["description"]
    assert client.get("/ogc/collections/projects/items?name=项目7").get_json()["numberMatched"] == 1


def test_a_hundred_and_one_parameters_are_refused(client):
    query = "&".join("status=construction" for _ in range(101))
    response = client.get(f"/api/layers/projects/features?{query}")
    assert response.status_code == 400 and response.get_json()["parameter"] == "query"
