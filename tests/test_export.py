"""Exports (CSV, XLSX, GeoJSON, GeoPackage) opened back and compared with the API, tiny data."""

from __future__ import annotations

import io
import json
import re
import tempfile
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest

import geoapp.export
from geoapp import create_app
from geoapp.config import PROJECT_ROOT
from geoapp.layers import load_layers
from geoapp.query import MapFilter
from geoapp.stores import GeoPackageStore
from tests.accounts import signed_in
from tests.fixtures import LINZE, LONG, XSS_NAME, tiny_frames

FILTER = f"county={LONG}&status=construction"
NOTHING = "q=没有这个项目"
FORMULA = '=HYPERLINK("http://x","y")'
ZH_HEADERS = {
    "project_id": "项目代码",
    "status": "建设阶段",
    "total_investment": "总投资（万元）",
    "annual_plan": "年度计划投资（万元）",
    "planned_start": "计划开（复）工时间",
    "actual_start": "实际开（复）工时间",
}
ALL_FIELDS = [
    "project_id",
    "name",
    "owner",
    "location",
    "placement",
    "county_code",
    "park_id",
    "status",
    "start_state",
    "warning",
    "warning_reason",
    "category",
    "level",
    "nature",
    "total_investment",
    "annual_plan",
    "completed",
    "planned_start",
    "planned_end",
    "actual_start",
    "leader",
    "unit",
]


def api_rows(client, query: str) -> dict[str, dict]:
    """The API's features for the same filter, by project code."""
    body = client.get(f"/api/layers/projects/features?{query}&limit=10000").get_json()
    return {f["properties"]["project_id"]: f for f in body["features"]}


def download_name(response) -> tuple[str, str]:
    """(the UTF-8 file name, the ASCII fallback) from Content-Disposition."""
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment;")
    fallback = re.search(r'filename="([^"]+)"', header).group(1)
    full = unquote(re.search(r"filename\*=UTF-8''(\S+)", header).group(1))
    return full, fallback


def read_csv(response) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(response.data), encoding="utf-8-sig", dtype=str).fillna("")


# --- CSV ---


def test_csv_has_the_api_rows_with_chinese_headers_labels_and_bom(client):
    expected = api_rows(client, FILTER)
    response = client.get(f"/export/projects.csv?{FILTER}")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    frame = read_csv(response)
    assert list(frame.columns) == [*_zh_headers(), "经度", "纬度"]
    assert sorted(frame["项目代码"]) == sorted(expected) == ["A1", "A4"]
    for _, row in frame.iterrows():
        api = expected[row["项目代码"]]["properties"]
        assert float(row["总投资（万元）"]) == api["total_investment"]
        assert float(row["年度计划投资（万元）"]) == api["annual_plan"]
        assert row["计划开（复）工时间"] == api["planned_start"] == "2026-03-01"
        assert row["实际开（复）工时间"] == api["actual_start"] == "2026-03-15"
        assert row["建设阶段"] == "在建" and row["预警"] == "正常"
        lon, lat = expected[row["项目代码"]]["geometry"]["coordinates"]
        assert (float(row["经度"]), float(row["纬度"])) == pytest.approx((lon, lat), abs=1e-6)
    assert frame.set_index("项目代码").loc["A1", "总投资（万元）"] == "1000"  # no "1000.0"


def _zh_headers() -> list[str]:
    layer = next(lyr for lyr in load_layers(PROJECT_ROOT / "layers") if lyr.id == "projects")
    return [geoapp.export.header(layer.fields[name], "zh") for name in ALL_FIELDS]


def test_csv_columns_are_the_visible_fields_in_declaration_order(app):
    svc = app.extensions["geoapp"]
    layer = svc.layer("projects", "internal")
    assert layer.visible_fields("internal") == ALL_FIELDS
    headers = _zh_headers()
    for name, text in ZH_HEADERS.items():
        assert headers[ALL_FIELDS.index(name)] == text


def test_csv_missing_values_are_empty_and_text_is_text(client):
    frame = read_csv(client.get(f"/export/projects.csv?county={LONG}")).set_index("项目代码")
    assert frame.loc["A2", "实际开（复）工时间"] == ""  # not started: no date
    assert frame.loc["A2", "项目名称"] == XSS_NAME  # exactly the characters
    assert frame.loc["A2", "建设阶段"] == "前期推进"
    assert frame.loc["A2", "预警"] == "红色预警"


def test_csv_headers_in_english(client):
    response = client.get(f"/export/projects.csv?{FILTER}&lang=en")
    frame = read_csv(response)
    assert "Total investment (10k CNY)" in frame.columns
    assert "Planned start" in frame.columns
    assert frame.columns[-2:].tolist() == ["Longitude", "Latitude"]
    assert set(frame["Status"]) == {"Under construction"}
    full, _fallback = download_name(response)
    assert full.startswith("Key_projects_county-610327_status-construction_")


def test_csv_is_streamed_page_by_page(client, monkeypatch):
    monkeypatch.setattr(geoapp.export, "PAGE_SIZE", 2)
    response = client.get("/export/projects.csv")
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) == 1 + 3  # header, then pages of 2, 2 and 1 rows
    frame = pd.read_csv(io.BytesIO(b"".join(chunks)), encoding="utf-8-sig", dtype=str)
    assert frame["项目代码"].tolist() == ["A1", "A2", "A3", "A4", "B1"]


def test_csv_file_name_carries_title_filter_and_date(client):
    full, fallback = download_name(client.get(f"/export/projects.csv?{FILTER}"))
    today = date.today().strftime("%Y%m%d")
    assert full == f"重点项目_county-{LONG}_status-construction_{today}.csv"
    assert fallback == f"projects_county-{LONG}_status-construction_{today}.csv"


def test_csv_of_polygons_has_wkt(client):
    frame = read_csv(client.get("/export/parks.csv"))
    assert frame.columns[-1] == "几何（WKT）"
    assert frame["几何（WKT）"].str.startswith("POLYGON ((").all()
    assert float(frame.set_index("园区编号").loc["P1", "面积（亩）"]) > 0


# --- XLSX ---


def test_xlsx_has_typed_cells_bold_frozen_header_and_a_filter_sheet(client):
    expected = api_rows(client, FILTER)
    response = client.get(f"/export/projects.xlsx?{FILTER}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["重点项目", "筛选条件"]
    sheet = book["重点项目"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == [*_zh_headers(), "经度", "纬度"]
    assert all(c.font.b for c in sheet[1])
    *body, total = list(sheet.iter_rows(2))
    rows = {row[0].value: dict(zip(header, row, strict=True)) for row in body}
    assert sorted(rows) == sorted(expected)
    # a 合计 row under the rows: the sums of the money columns, in bold
    totals = dict(zip(header, total, strict=True))
    assert total[0].value == "合计" and total[0].font.b
    for name in ("总投资（万元）", "年度计划投资（万元）"):
        assert totals[name].number_format == "#,##0"
    invested = sum(r["properties"]["total_investment"] for r in expected.values())
    assert totals["总投资（万元）"].value == pytest.approx(invested)
    for code, cells in rows.items():
        api = expected[code]["properties"]
        assert cells["所在县区代码"].value == f"陇县（{LONG}）"  # the name beside the code
        money = cells["总投资（万元）"]
        assert money.value == api["total_investment"] and money.number_format == "#,##0"
        started = cells["实际开（复）工时间"]
        assert isinstance(started.value, datetime) and started.number_format == "yyyy-mm-dd"
        assert started.value.date().isoformat() == api["actual_start"]
        assert cells["建设阶段"].value == "在建"
    filters = [[c.value for c in row] for row in book["筛选条件"].iter_rows()]
    assert filters[0] == ["参数", "值", "含义"]
    assert ["county", LONG, "所在县区代码：陇县"] in filters
    assert ["status", "construction", "建设阶段：在建"] in filters
    assert filters[-1][:2] == ["记录数", 2]
    exported = next(row for row in filters if row[0] == "导出时间")
    assert isinstance(exported[1], datetime)
    assert download_name(response)[0].startswith(f"重点项目_county-{LONG}_status-construction_")


def test_xlsx_without_filter_says_so(client):
    book = openpyxl.load_workbook(io.BytesIO(client.get("/export/projects.xlsx?lang=en").data))
    assert book.sheetnames == ["Key projects", "Filter conditions"]
    rows = [[c.value for c in row] for row in book["Filter conditions"].iter_rows()]
    assert rows[0] == ["Parameter", "Value", "Meaning"]
    assert rows[1][0].startswith("(none")
    assert rows[-1][:2] == ["Rows", 5]


# --- GeoJSON ---


def test_geojson_has_raw_values_under_field_names(client):
    expected = api_rows(client, FILTER)
    response = client.get(f"/export/projects.geojson?{FILTER}")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/geo+json"
    body = json.loads(response.data.decode("utf-8"))
    assert body["type"] == "FeatureCollection"
    features = {f["properties"]["project_id"]: f for f in body["features"]}
    assert sorted(features) == sorted(expected)
    for code, feature in features.items():
        props, api = feature["properties"], expected[code]
        assert list(props) == ALL_FIELDS
        assert {k: props[k] for k in api["properties"]} == api["properties"]
        assert props["status"] == "construction" and props["planned_end"] == "2028-06-30"
        assert feature["geometry"]["coordinates"] == pytest.approx(api["geometry"]["coordinates"])
    frame = gpd.read_file(io.BytesIO(response.data))
    assert sorted(frame["project_id"]) == ["A1", "A4"]


def test_geojson_pages_join_into_one_collection(client, monkeypatch):
    monkeypatch.setattr(geoapp.export, "PAGE_SIZE", 2)
    body = json.loads(client.get("/export/projects.geojson").data)
    assert [f["properties"]["project_id"] for f in body["features"]] == [
        "A1",
        "A2",
        "A3",
        "A4",
        "B1",
    ]
    assert body["features"][1]["properties"]["actual_start"] is None


# --- GeoPackage ---


def test_gpkg_keeps_field_names_and_types(client, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    expected = api_rows(client, FILTER)
    response = client.get(f"/export/projects.gpkg?{FILTER}")
    assert response.status_code == 200
    assert response.mimetype == "application/geopackage+sqlite3"
    path = tmp_path / "out.gpkg"
    path.write_bytes(response.data)
    response.close()
    assert list(scratch.iterdir()) == []  # the temporary file is gone
    info = pyogrio.read_info(path, layer="projects")
    types = dict(zip(info["fields"], info["ogr_types"], strict=True))
    assert list(info["fields"]) == ALL_FIELDS
    assert types["planned_start"] == types["actual_start"] == "OFTDate"
    assert types["total_investment"] == "OFTReal" and types["status"] == "OFTString"
    frame = gpd.read_file(path, layer="projects").set_index("project_id")
    assert sorted(frame.index) == sorted(expected)
    for code, feature in expected.items():
        api = feature["properties"]
        assert frame.loc[code, "total_investment"] == api["total_investment"]
        assert frame.loc[code, "status"] == api["status"]
        assert pd.Timestamp(frame.loc[code, "planned_start"]).date().isoformat() == "2026-03-01"
    assert frame.crs.to_epsg() == 4326
    assert download_name(response)[0].endswith(".gpkg")


def test_gpkg_of_polygons(client, tmp_path):
    path = tmp_path / "parks.gpkg"
    path.write_bytes(client.get(f"/export/parks.gpkg?county={LINZE}").data)
    frame = gpd.read_file(path, layer="parks")
    assert frame["park_id"].tolist() == ["P2"]
    assert frame.geometry.iloc[0].area > 0


# --- empty selections and errors ---


def test_a_filter_that_matches_nothing_gives_header_only_files(client, tmp_path):
    csv = client.get(f"/export/projects.csv?{NOTHING}")
    assert csv.status_code == 200
    assert read_csv(csv).empty and len(read_csv(csv).columns) == len(ALL_FIELDS) + 2
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/export/projects.xlsx?{NOTHING}").data))
    assert book["重点项目"].max_row == 1
    assert [c.value for c in book["筛选条件"]["A"]][-1] == "记录数"
    body = json.loads(client.get(f"/export/projects.geojson?{NOTHING}").data)
    assert body == {"type": "FeatureCollection", "name": "projects", "features": []}
    path = tmp_path / "empty.gpkg"
    path.write_bytes(client.get(f"/export/projects.gpkg?{NOTHING}").data)
    info = pyogrio.read_info(path, layer="projects")
    assert info["features"] == 0 and list(info["fields"]) == ALL_FIELDS
    assert dict(zip(info["fields"], info["ogr_types"], strict=True))["planned_end"] == "OFTDate"


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/export/projects.pdf", 400, "format"),
        ("/export/projects.csv?county=12", 400, "county"),
        ("/export/projects.xlsx?status=unknown", 400, "status"),
        ("/export/projects.geojson?total_investment_min=lots", 400, "total_investment_min"),
        ("/export/projects.gpkg?colour=red", 400, "colour"),
        ("/export/nowhere.csv", 404, "layer"),
    ],
)
def test_errors_are_json_naming_the_parameter(client, url, status, parameter):
    response = client.get(url)
    assert response.status_code == status
    assert response.is_json and response.get_json()["parameter"] == parameter
    assert "Content-Disposition" not in response.headers


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    frames = tiny_frames()
    frames["projects"].loc[0, "name"] = FORMULA
    path = tmp_path / "formula.gpkg"
    GeoPackageStore.create(path, frames)
    client = signed_in(create_app({"GEOAPP_DATA": path}))
    frame = read_csv(client.get("/export/projects.csv")).set_index("项目代码")
    assert frame.loc["A1", "项目名称"] == "'" + FORMULA  # quoted: Excel shows it, runs nothing
    book = openpyxl.load_workbook(io.BytesIO(client.get("/export/projects.xlsx").data))
    cell = book["重点项目"]["B2"]
    assert cell.value == FORMULA and cell.data_type == "s"  # the value unchanged, typed as text


def test_file_names_are_safe_and_short(app):
    with app.test_request_context("/export/projects.csv"):
        svc = app.extensions["geoapp"]
        layer = svc.layer("projects", "internal")
        text = 'a/b\\c:d*e?f"g<h>i|j ' + "长" * 200
        job = geoapp.export.make_job(
            svc.store, layer, MapFilter(text=text), "internal", "zh", svc.areas()
        )
        full, fallback = geoapp.export.file_names(job, "xlsx", date(2026, 11, 25))
    assert len(full) <= 120 and full.endswith("_20261125.xlsx")
    assert full.startswith("重点项目_q-abcdefghij_长长")
    assert not re.search(r'[\\/:*?"<>|]', full)
    assert fallback == "projects_q-abcdefghij_20261125.xlsx"
    assert Path(fallback).name == fallback and fallback.isascii()


def test_an_export_link_token_comes_back_as_a_cookie(client):
    response = client.get("/export/projects.xlsx?download=k3x9&status=construction")
    assert response.status_code == 200
    assert "geoapp_download=k3x9" in response.headers["Set-Cookie"]
    bad = client.get("/export/projects.csv?download=%3Cscript%3E")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "download"
