"""Importing end to end: dry run, report, apply (atomic, updates instead of duplicates), the
command line and the upload page, on the tiny fixture."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pyproj import Transformer

from geoapp.cli import main
from geoapp.config import PROJECT_ROOT
from geoapp.imports.problems import FileRefused
from geoapp.imports.service import ImportRefused, apply, prepare_parcels, prepare_projects
from geoapp.layers import load_layers
from tests.accounts import signed_in
from tests.fixtures import (
    LONG,
    open_store,
    settings_for,
    snapshot,
    writer_is_inside_its_transaction,
)

LAYERS = load_layers(PROJECT_ROOT / "layers")
TO_GK = Transformer.from_crs(4326, 4545, always_xy=True)  # CGCS2000 GK zone 36, no prefix


def survey_text(name: str, corners: list[tuple[float, float]], close: bool = True) -> str:
    """A 界址点 file (报部格式) for one parcel whose corners are given in lon/lat."""
    points = [TO_GK.transform(lon, lat) for lon, lat in corners]
    if close:
        points.append(points[0])
    lines = [
        "[属性描述]",
        "坐标系=2000国家大地坐标系",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
        "[地块坐标]",
        f"{len(points)},0.5,{name},{name},面,,工业用地,,@",
    ]
    lines += [f"J{i + 1},1,{y:.3f},{x:.3f}" for i, (x, y) in enumerate(points)]
    return "\n".join(lines) + "\n"


SQUARE = [(106.835, 34.870), (106.838, 34.870), (106.838, 34.873), (106.835, 34.873)]


@pytest.fixture
def survey(tmp_path) -> Path:
    path = tmp_path / "新地块.txt"
    path.write_text(survey_text("XD-01", SQUARE), encoding="gb18030")
    return path


def test_parcel_lands_in_its_park_and_county(gpkg, survey):
    store = open_store(gpkg)
    before = gpkg.read_bytes()
    prepared = prepare_parcels(store, LAYERS, survey, land_state="standard_land", county=LONG)
    assert prepared.errors == []
    row = prepared.frame.iloc[0]
    assert (row["parcel_id"], row["park_id"], row["county_code"]) == ("XD-01", "P1", LONG)
    assert row["land_state"] == "standard_land"
    assert 130 < row["area_mu"] < 145  # 0.003° × 0.003° at 34.87° N ≈ 274 m × 333 m
    assert (prepared.added, prepared.updated) == (1, 0)
    assert gpkg.read_bytes() == before  # preparing is a dry run


def test_applying_twice_updates_instead_of_duplicating(gpkg, survey):
    store = open_store(gpkg)
    apply(store, prepare_parcels(store, LAYERS, survey, county=LONG))
    assert len(store.read("parcels")) == 5
    again = prepare_parcels(store, LAYERS, survey, land_state="reserved", county=LONG)
    assert (again.added, again.updated) == (0, 1)
    apply(store, again)
    parcels = store.read("parcels").set_index("parcel_id")
    assert len(parcels) == 5 and parcels.loc["XD-01", "land_state"] == "reserved"


def test_a_file_with_errors_is_refused_whole(gpkg, tmp_path):
    path = tmp_path / "open.txt"
    path.write_text(survey_text("XD-02", SQUARE, close=False), encoding="utf-8")
    store = open_store(gpkg)
    before = gpkg.read_bytes()
    prepared = prepare_parcels(store, LAYERS, path, county=LONG)
    assert prepared.errors and prepared.errors[0].row is not None
    with pytest.raises(ImportRefused):
        apply(store, prepared)
    assert gpkg.read_bytes() == before


def test_command_line_dry_run_then_apply(gpkg, survey, monkeypatch):
    monkeypatch.setenv("GEOAPP_DATA", str(gpkg))
    before = gpkg.read_bytes()
    dry = CliRunner().invoke(main, ["import", "parcels", str(survey), "--county", LONG])
    assert dry.exit_code == 0, dry.output
    assert "有效 1 行（新增 1，更新 0）" in dry.output and "试运行：未写入任何数据" in dry.output
    english = CliRunner().invoke(
        main, ["import", "parcels", str(survey), "--county", LONG, "--lang", "en"]
    )
    assert "1 valid (1 new, 0 updated)" in english.output and "dry run" in english.output
    assert "试运行" not in english.output and "导入" not in english.output
    assert gpkg.read_bytes() == before
    done = CliRunner().invoke(main, ["import", "parcels", str(survey), "--county", LONG, "--apply"])
    assert done.exit_code == 0, done.output
    assert len(open_store(gpkg).read("parcels")) == 5
    again = CliRunner().invoke(
        main, ["import", "parcels", str(survey), "--county", LONG, "--apply", "--lang", "en"]
    )
    assert "0 new, 0 updated, 1 unchanged" in again.output
    assert "only the file's columns, last writer wins" in again.output


def test_command_line_refuses_a_corrupt_file(gpkg, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOAPP_DATA", str(gpkg))
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"\x00garbage" * 100)
    result = CliRunner().invoke(main, ["import", "parcels", str(bad), "--apply"])
    assert result.exit_code == 1 and "✗" in result.output


def test_upload_page_reports_then_applies(client, where, survey):
    page = client.get("/import")
    assert page.status_code == 200 and "数据导入" in page.get_data(as_text=True)
    response = client.post(
        "/import",
        data={
            "kind": "parcels",
            "county": LONG,
            "file": (io.BytesIO(survey.read_bytes()), "新地块.txt"),
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-figure="valid">1<' in html
    token = re.search(r"/import/([0-9a-f]{24})/apply", html).group(1)
    done = client.post(f"/import/{token}/apply")
    assert done.status_code == 200 and "新增 1 条" in done.get_data(as_text=True)
    assert len(open_store(where).read("parcels")) == 5


def test_upload_of_an_open_ring_shows_the_report_and_its_download(client, tmp_path):
    content = survey_text("XD-03", SQUARE, close=False).encode("utf-8")
    response = client.post(
        "/import",
        data={"kind": "parcels", "county": LONG, "file": (io.BytesIO(content), "open.txt")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert 'class="error"' in html
    token = re.search(r"/import/([0-9a-f]{24})/report", html).group(1)
    report = client.get(f"/import/{token}/report.xlsx")
    assert report.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(report.data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("级别", "工作表", "行", "列", "原因") and rows[1][0] == "错误"


@pytest.mark.parametrize(
    ("kind", "name"), [("parcels", "x.exe"), ("projects", "x.txt"), ("nothing", "x.csv")]
)
def test_upload_refuses_wrong_types(client, kind, name):
    response = client.post(
        "/import",
        data={"kind": kind, "file": (io.BytesIO(b"x"), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_upload_size_is_limited(gpkg):
    from geoapp import create_app

    client = signed_in(create_app({"GEOAPP_DATA": gpkg, "GEOAPP_MAX_UPLOAD_MB": "1"}))
    big = io.BytesIO(b"0" * (1024 * 1024 + 10))
    response = client.post(
        "/import",
        data={"kind": "projects", "file": (big, "big.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_unknown_upload_token_is_404(client):
    assert client.get("/import/" + "a" * 24).status_code == 404
    assert client.get("/import/../etc").status_code == 404


def test_killed_import_leaves_the_store_as_it_was(where, tmp_path):
    """The import process is killed (SIGKILL) inside its write transaction: every table, the
    history and the version are what they were, and the store still opens."""
    import time

    survey = tmp_path / "many.txt"
    lines = ["[地块坐标]"]
    for n in range(3000):
        dx, dy = (n % 60) * 0.0004, (n // 60) * 0.0004
        corners = [
            (106.71 + dx, 34.81 + dy),
            (106.7103 + dx, 34.81 + dy),
            (106.7103 + dx, 34.8103 + dy),
            (106.71 + dx, 34.8103 + dy),
        ]
        lines.append(survey_text(f"K{n}", corners).split("[地块坐标]\n")[1].rstrip("\n"))
    survey.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = snapshot(open_store(where))
    env = {"PATH": "/usr/bin:/bin", **settings_for(where)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "geoapp.cli",
            "import",
            "parcels",
            str(survey),
            "--county",
            LONG,
            "--apply",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if writer_is_inside_its_transaction(where):
            proc.kill()  # SIGKILL in the middle of the change set
            break
        time.sleep(0.002)
    proc.wait()
    assert proc.returncode < 0, "the import finished before its write could be interrupted"
    assert snapshot(open_store(where)) == before
    assert len(open_store(where).read("parcels")) == 4
    assert open_store(where).history() == []


def project_sheet(path: Path) -> Path:
    """This month's sheet as officials send it: a title row, Chinese headers, 亿元, 2026年3月."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "项目"
    sheet.append(["2026年重点项目调度表"])
    sheet.append(
        [
            "项目代码",
            "项目名称",
            "建设单位",
            "建设地点",
            "项目类别",
            "级别",
            "建设性质",
            "建设阶段",
            "总投资（亿元）",
            "年度计划投资（万元）",
            "计划开工时间",
            "经度",
            "纬度",
        ]
    )
    sheet.append(
        [
            "N1",
            "新材料项目",
            "甲公司",
            "陇县",
            "产业",
            "县级",
            "新建",
            "在建",
            1.5,
            3000,
            "2026年3月",
            106.8,
            34.9,
        ]
    )
    sheet.append(
        [
            "N2",
            "食品项目",
            "乙公司",
            "陇县苏陕工业园",
            "产业",
            "市级",
            "新建",
            "前期推进",
            0.8,
            2000,
            "2026-05-01",
            None,
            None,
        ]
    )
    sheet.append(
        [
            "N3",
            "坏项目",
            "丙公司",
            "陇县",
            "产业",
            "县级",
            "新建",
            "飞行中",
            1,
            100,
            "2026-13-01",
            None,
            None,
        ]
    )
    sheet.append(
        [
            "A1",
            "陇县乳制品项目（更新）",
            "某某",
            "陇县",
            "产业",
            "省级",
            "新建",
            "竣工",
            0.2,
            500,
            "2026-03-01",
            106.805,
            34.855,
        ]
    )
    sheet.append(
        [
            "N4",
            "另一项目",
            "丁公司",
            "陇县",
            "产业",
            "县级",
            "新建",
            "在建",
            1,
            100,
            "2026-03-01",
            106.9,
            34.9,
        ]
    )
    book.save(path)
    return path


def test_project_sheet_dry_run_reports_each_problem(gpkg, tmp_path):
    from geoapp.imports.service import prepare_projects

    store = open_store(gpkg)
    prepared = prepare_projects(store, LAYERS, project_sheet(tmp_path / "m.xlsx"))
    places = {(p.row, p.column) for p in prepared.errors}
    assert (5, "建设阶段") in places and (5, "计划开工时间") in places
    frame = prepared.frame.set_index("project_id")
    assert sorted(frame.index) == ["A1", "N1", "N2", "N4"]
    assert frame.loc["N1", "total_investment"] == 15000  # 1.5 亿元 = 15,000 万元
    assert str(frame.loc["N1", "planned_start"])[:10] == "2026-03-01"  # 2026年3月
    assert frame.loc["N2", "placement"] == "approximate"  # placed at 苏陕工业园 (P1)
    assert frame.loc["N2"].geometry.within(store.read("parks").iloc[0].geometry)
    assert (prepared.added, prepared.updated) == (3, 1)


def test_project_sheet_applies_valid_rows_and_updates_by_code(gpkg, tmp_path):
    from geoapp.imports.service import prepare_projects

    store = open_store(gpkg)
    sheet = project_sheet(tmp_path / "m.xlsx")
    with pytest.raises(ImportRefused):
        apply(store, prepare_projects(store, LAYERS, sheet))
    apply(store, prepare_projects(store, LAYERS, sheet), only_valid=True)
    projects = store.read("projects").set_index("project_id")
    assert len(projects) == 5 + 3
    assert projects.loc["A1", "name"] == "陇县乳制品项目（更新）"
    again = prepare_projects(store, LAYERS, sheet)
    assert (again.added, again.updated) == (0, 4)
    apply(store, again, only_valid=True)
    assert len(store.read("projects")) == 8


def test_point_outside_its_stated_county_is_refused(gpkg, tmp_path):
    from geoapp.imports.service import prepare_projects

    path = tmp_path / "c.csv"
    path.write_text(
        "项目代码,项目名称,建设阶段,行政区划代码,经度,纬度\nX1,错位项目,在建,620723,106.9,34.9\n",
        encoding="utf-8-sig",
    )
    prepared = prepare_projects(open_store(gpkg), LAYERS, path)
    assert [p.row for p in prepared.errors] == [2]
    assert "620723" in prepared.errors[0].reason and prepared.frame.empty


def test_parks_from_geojson_copied_from_baidu(gpkg, tmp_path):
    """A park outline digitised on Baidu's map (BD-09) comes back to WGS84 within a metre."""
    import json

    from shapely.geometry import Point, shape

    from geoapp.coords import gcj02_to_bd09, geometries_wgs84_to_gcj02

    truth = [(106.72, 34.82), (106.74, 34.82), (106.74, 34.84), (106.72, 34.84), (106.72, 34.82)]
    gcj = geometries_wgs84_to_gcj02(shapely_polygon(truth))
    ring = [tuple(float(v) for v in gcj02_to_bd09(x, y)) for x, y in gcj.exterior.coords]
    path = tmp_path / "新园区.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"park_id": "P9", "name": "新材料产业园"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    store = open_store(gpkg)
    prepared = prepare_parcels(store, LAYERS, path, table="parks", coords="bd09")
    row = prepared.frame.iloc[0]
    assert (row["park_id"], row["name"], row["county_code"]) == ("P9", "新材料产业园", LONG)
    corner = shape(row.geometry.__geo_interface__).exterior.coords[0]
    from pyproj import Geod

    assert Geod(ellps="WGS84").inv(*truth[0], *corner)[2] < 1.0
    apply(store, prepared)
    assert "P9" in set(store.read("parks")["park_id"])
    assert Point(106.73, 34.83).within(store.read("parks").set_index("park_id").loc["P9"].geometry)


def shapely_polygon(coords):
    from shapely.geometry import Polygon

    return Polygon(coords)


def test_project_coordinates_copied_from_amap(gpkg, tmp_path):
    from geoapp.coords import wgs84_to_gcj02
    from geoapp.imports.service import prepare_projects

    lon, lat = (float(v) for v in wgs84_to_gcj02(106.9, 34.9))
    path = tmp_path / "amap.csv"
    path.write_text(
        f"项目代码,项目名称,建设阶段,经度,纬度\nG1,高德取点项目,在建,{lon},{lat}\n",
        encoding="utf-8",
    )
    prepared = prepare_projects(open_store(gpkg), LAYERS, path, coords="gcj02")
    point = prepared.frame.iloc[0].geometry
    from pyproj import Geod

    assert Geod(ellps="WGS84").inv(106.9, 34.9, point.x, point.y)[2] < 1.0


def progress_sheet(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "10月"
    sheet.append(["项目代码", "月份", "累计完成投资（万元）", "建设阶段", "备注"])
    sheet.append(["A1", "2026年9月", 300, "在建", "主体施工"])
    sheet.append(["A1", "2026年10月", 480, "竣工", "已竣工验收"])
    sheet.append(["A4", "2026-10", 1500, None, None])
    sheet.append(["ZZ9", "2026年10月", 10, "在建", None])
    sheet.append(["A3", "十月", 10, "在建", None])
    book.save(path)
    return path


def test_progress_sheet_updates_projects_and_keeps_history(gpkg, tmp_path):
    from geoapp.imports.service import prepare_progress

    store = open_store(gpkg)
    prepared = prepare_progress(store, LAYERS, progress_sheet(tmp_path / "p.xlsx"))
    assert sorted((p.row, p.column) for p in prepared.errors) == [(5, "项目代码"), (6, "月份")]
    assert (prepared.added, prepared.updated) == (3, 0)
    apply(store, prepared, only_valid=True)
    projects = store.read("projects").set_index("project_id")
    assert projects.loc["A1", "completed"] == 480 and projects.loc["A1", "status"] == "completed"
    assert projects.loc["A4", "completed"] == 1500
    assert projects.loc["A4", "status"] == "construction"  # a blank stage keeps the old one
    history = store.read("progress")
    assert sorted(
        zip(history["project_id"], history["month"].dt.strftime("%Y-%m"), strict=True)
    ) == [("A1", "2026-09"), ("A1", "2026-10"), ("A4", "2026-10")]
    again = prepare_progress(store, LAYERS, progress_sheet(tmp_path / "p.xlsx"))
    assert (again.added, again.updated) == (0, 3)
    apply(store, again, only_valid=True)
    assert len(store.read("progress")) == 3  # updated by code and month, not duplicated


def test_project_placed_from_gauss_kruger_metres(gpkg, tmp_path):
    """A sheet with survey X/Y (CGCS2000 GK zone 36, no zone prefix) and a county code."""
    from pyproj import Geod

    from geoapp.imports.service import prepare_projects

    easting, northing = TO_GK.transform(106.9, 34.9)
    path = tmp_path / "gk.csv"
    path.write_text(
        "项目代码,项目名称,建设阶段,行政区划代码,X坐标,Y坐标\n"
        f"K1,测绘定位项目,在建,{LONG},{northing:.3f},{easting:.3f}\n",
        encoding="utf-8",
    )
    prepared = prepare_projects(open_store(gpkg), LAYERS, path)
    assert prepared.errors == []
    point = prepared.frame.iloc[0].geometry
    assert Geod(ellps="WGS84").inv(106.9, 34.9, point.x, point.y)[2] < 0.01
    assert prepared.frame.iloc[0]["placement"] == "exact"


def test_project_placed_on_its_parcel_code(gpkg, tmp_path):
    from geoapp.imports.service import prepare_projects

    path = tmp_path / "parcel.csv"
    path.write_text(
        "项目代码,项目名称,建设阶段,地块编号\nP9,地块上的项目,在建,P1-002\n", encoding="utf-8"
    )
    store = open_store(gpkg)
    prepared = prepare_projects(store, LAYERS, path)
    parcel = store.read("parcels").set_index("parcel_id").loc["P1-002"].geometry
    assert prepared.frame.iloc[0].geometry.within(parcel)
    assert prepared.frame.iloc[0]["county_code"] == LONG


def test_points_picked_on_amap_are_flagged(gpkg, tmp_path):
    """Points near P1's east edge, written in GCJ-02: shifted ~0.4 km east, out of the park."""
    from geoapp.coords import wgs84_to_gcj02
    from geoapp.imports.service import prepare_projects

    lines = ["项目代码,项目名称,建设阶段,园区编号,经度,纬度"]
    for i, (lon, lat) in enumerate([(106.838, 34.86), (106.839, 34.87), (106.8375, 34.875)]):
        glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))
        lines.append(f"G{i},园区项目{i},在建,P1,{glon:.6f},{glat:.6f}")
    path = tmp_path / "amap.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = open_store(gpkg)
    flagged = prepare_projects(store, LAYERS, path)
    assert any("GCJ-02" in p.reason for p in flagged.warnings)
    fixed = prepare_projects(store, LAYERS, path, coords="gcj02")
    assert not any("GCJ-02" in p.reason for p in fixed.warnings)


def test_a_new_code_needs_a_name_an_existing_one_does_not(gpkg, tmp_path):
    sheet = tmp_path / "本月.csv"
    sheet.write_text(
        "项目代码,累计完成投资（万元）,经度,纬度\nA1,88,,\nNEW-9,5,106.8,34.9\n", encoding="utf-8"
    )
    store = open_store(gpkg)
    prepared = prepare_projects(store, LAYERS, sheet)
    assert [(p.row, "NEW-9" in p.reason and "项目名称" in p.reason) for p in prepared.errors] == [
        (3, True)
    ]
    apply(store, prepared, only_valid=True)
    a1 = store.read("projects").set_index("project_id").loc["A1"]
    assert a1["completed"] == 88 and a1["name"] == "陇县乳制品项目"


def test_upload_page_says_what_an_update_keeps_and_who_wins(client, where, tmp_path):
    """A sheet that updates stored projects: the report says that only its columns change
    and that its values win, before anything is written; after, what was updated."""
    sheet = "项目代码,项目名称,累计完成投资（万元）\nA1,陇县乳制品项目,321\n".encode()
    response = client.post(
        "/import",
        data={"kind": "projects", "file": (io.BytesIO(sheet), "本月.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert "已有的记录只更新本文件中有的列，空白单元格保留原值" in html
    assert "以本文件为准" in html
    token = re.search(r"/import/([0-9a-f]{24})/apply", html).group(1)
    done = client.post(f"/import/{token}/apply").get_data(as_text=True)
    assert "新增 0 条，更新 1 条，0 条无变化" in done
    a1 = open_store(where).read("projects").set_index("project_id").loc["A1"]
    assert a1["completed"] == 321 and a1["owner"] == "某某有限公司"


def test_standard_land_from_a_survey_file_goes_to_its_layer_with_name_and_indicators(where, survey):
    store = open_store(where)
    prepared = prepare_parcels(
        store,
        LAYERS,
        survey,
        table="standard_land",
        county=LONG,
        values={"stage": "listed", "invest_intensity": "300", "tax_per_mu": "25"},
    )
    assert prepared.errors == [] and prepared.added == 1
    apply(store, prepared)
    row = open_store(where).read("standard_land").set_index("parcel_id").loc["XD-01"]
    assert (row["name"], row["park_id"], row["county_code"]) == ("XD-01", "P1", LONG)
    assert (row["stage"], row["invest_intensity"], row["tax_per_mu"]) == ("listed", 300.0, 25.0)
    assert "XD-01" not in set(open_store(where).read("parcels")["parcel_id"])


def test_standard_land_values_that_do_not_fit_are_refused_naming_the_choices(gpkg, survey):
    with pytest.raises(FileRefused) as refused:
        prepare_parcels(
            open_store(gpkg), LAYERS, survey, table="standard_land", values={"stage": "sold"}
        )
    assert "stage=sold" in refused.value.problem.reason
    assert "listed" in refused.value.problem.reason


def test_command_line_imports_standard_land(gpkg, survey, monkeypatch):
    monkeypatch.setenv("GEOAPP_DATA", str(gpkg))
    done = CliRunner().invoke(
        main,
        ["import", "parcels", str(survey), "--standard-land", "--county", LONG,
         "--set", "stage=assessed", "--apply"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    stored = open_store(gpkg).read("standard_land").set_index("parcel_id")
    assert stored.loc["XD-01", "stage"] == "assessed"


def test_an_import_keeps_the_store_file_mode(gpkg, survey):
    gpkg.chmod(0o664)
    store = open_store(gpkg)
    apply(store, prepare_parcels(store, LAYERS, survey, county=LONG))
    assert gpkg.stat().st_mode & 0o777 == 0o664


def test_uploads_left_unapplied_expire(app, client, survey, monkeypatch):
    response = client.post(
        "/import",
        data={"kind": "parcels", "county": LONG, "file": (survey.open("rb"), survey.name)},
        content_type="multipart/form-data",
    )
    token = re.search(r"/import/([0-9a-f]{24})/apply", response.get_data(as_text=True)).group(1)
    assert client.get(f"/import/{token}").status_code == 200
    with app.app_context():
        from geoapp.views.imports import _uploads

        folder = _uploads().root / token
    old = time.time() - 25 * 3600
    os.utime(folder, (old, old))
    assert client.get(f"/import/{token}").status_code == 404  # past GEOAPP_UPLOAD_HOURS (24)
    assert not folder.exists()
    abandoned = folder.parent / ("a" * 24)  # an upload nobody ever looked at again
    (abandoned / "file").mkdir(parents=True)
    os.utime(abandoned, (old, old))
    client.post(
        "/import",
        data={"kind": "parcels", "county": LONG, "file": (survey.open("rb"), survey.name)},
        content_type="multipart/form-data",
    )
    assert not abandoned.exists()  # removed when the next upload came in
