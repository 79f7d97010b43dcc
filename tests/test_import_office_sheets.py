"""Sheets as offices publish them (tests/office_sheets.py) import with the right figures and
positions, or fail at the cell; afterwards every page still answers 200."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from click.testing import CliRunner

from geoapp.cli import main
from geoapp.config import PROJECT_ROOT
from geoapp.imports.matching import new_code
from geoapp.imports.service import apply, prepare_projects
from geoapp.layers import load_layers
from tests import office_sheets as office
from tests.accounts import signed_in
from tests.fixtures import LINZE, LONG, open_store, settings_for
from tests.test_import_projects import write_csv

LAYERS = load_layers(PROJECT_ROOT / "layers")
WRITERS = {"xlsx": office.county_xlsx, "xls": office.county_xls, "ods": office.county_ods}
PAGES = [
    "/",
    "/import",
    "/api/layers/projects/features",
    "/api/layers/projects/points.bin",
    "/tiles/projects/12/3305/1628.pbf",
    "/ogc/collections/projects/items",
    "/export/projects.csv",
]


def problems_at(prepared) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.reason) for p in prepared.errors]


@pytest.mark.parametrize("kind", WRITERS)
def test_county_list_without_codes_imports_with_the_right_figures(where, tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"陇县2024年重点项目.{kind}")
    store = open_store(where)
    prepared = prepare_projects(store, LAYERS, path)
    errors = problems_at(prepared)
    completed = "1-10月完成投资（万元）" if kind == "ods" else "1-10月完成投资"
    rows = (7, 9) if kind == "ods" else (10, 12)  # the .ods has one header row and no title
    assert [(row, column) for row, column, _ in errors] == [
        (rows[0], completed),
        (rows[1], "所在园区"),
    ]
    assert "约三千" in errors[0][2]
    assert "陇县物流港" in errors[1][2] and "苏陕工业园" in errors[1][2]  # the choices listed
    assert (prepared.added, prepared.updated) == (2, 1)
    apply(store, prepared, only_valid=True)

    stored = open_store(where).read("projects").set_index("name")
    for name, values in office.EXPECTED_NEW.items():
        row = stored.loc[name]
        assert row["project_id"] == new_code(LONG, name)
        assert row["county_code"] == LONG
        for field, value in values.items():
            assert row[field] == value, (name, field)
    a1 = stored.loc["陇县 乳制品项目"]  # the sheet's spelling of the name is written …
    assert a1["project_id"] == "A1"  # … into A1, matched by county and name, not added again
    for field, value in office.EXPECTED_A1.items():
        assert a1[field] == value, field
    assert shapely.equals_exact(a1.geometry, shapely.Point(106.805, 34.855), 1e-9)  # kept
    first = stored.loc["陇县年产8万吨乳制品项目（二期）"].geometry
    assert (first.x, first.y) == (106.825, 34.865)
    assert "陇县城区供热管网改造" not in stored.index and "陇县物流园项目" not in stored.index


def test_the_same_sheet_again_updates_instead_of_doubling(where, tmp_path):
    path = office.county_xlsx(tmp_path / "陇县.xlsx")
    store = open_store(where)
    apply(store, prepare_projects(store, LAYERS, path), only_valid=True)
    count = len(open_store(where).read("projects"))
    again = prepare_projects(open_store(where), LAYERS, path)
    assert (again.added, again.updated) == (0, 3)
    apply(open_store(where), again, only_valid=True)
    assert len(open_store(where).read("projects")) == count


def test_city_csv_in_gbk_with_gauss_krueger_coordinates(where, tmp_path):
    path = office.city_csv(tmp_path / "张掖市2024年市级重点项目.csv")
    store = open_store(where)
    prepared = prepare_projects(store, LAYERS, path)
    assert prepared.errors == []
    apply(store, prepared)
    stored = open_store(where).read("projects").set_index("project_id")
    for code, (lon, lat) in office.CITY_POINTS.items():
        point = stored.loc[code].geometry
        assert abs(point.x - lon) < 1e-5 and abs(point.y - lat) < 1e-5  # within a metre
        assert stored.loc[code, "county_code"] == LINZE
    assert stored.loc["C1", "total_investment"] == 15000.0  # 1.5 亿元
    assert stored.loc["C1", "annual_plan"] == 3000.0
    assert stored.loc["C1", "completed"] == 1200.0
    assert stored.loc["C1", "start_state"] == "started"
    assert stored.loc["C2", "start_state"] == "not_started"


def test_every_page_answers_after_the_imports(where, tmp_path):
    from geoapp import create_app

    store = open_store(where)
    apply(store, prepare_projects(store, LAYERS, office.county_xlsx(tmp_path / "a.xlsx")),
          only_valid=True)  # fmt: skip
    apply(store, prepare_projects(store, LAYERS, office.city_csv(tmp_path / "b.csv")))
    client = signed_in(create_app(settings_for(where)))
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    body = client.get("/api/layers/projects/features?park=P1").get_json()
    names = {f["properties"]["name"] for f in body["features"]}
    assert {"陇县年产8万吨乳制品项目（二期）", "陇县新型建材项目"} <= names  # park by name → id
    started = client.get("/api/layers/projects/features?start_state=started").get_json()
    assert {f["properties"]["project_id"] for f in started["features"]} >= {"C1"}


def test_scope_lists_what_the_sheet_lacks_and_retires_only_when_asked(where, tmp_path):
    path = office.county_xlsx(tmp_path / "陇县.xlsx")
    store = open_store(where)
    prepared = prepare_projects(store, LAYERS, path, scope=LONG)
    scope = prepared.scope
    assert scope.stored == 4  # A1–A4 of the tiny data
    assert sorted(scope.missing["project_id"]) == ["A2", "A3", "A4"]
    assert scope.total_before == 1000 + 2000 + 3000 + 4000
    assert scope.total_kept == 12000 + 8000 + 1500 + 2000 + 3000 + 4000
    assert scope.total_retired == 12000 + 8000 + 1500
    apply(store, prepared, only_valid=True)  # default: keep
    assert {"A2", "A3", "A4"} <= set(open_store(where).read("projects")["project_id"])
    again = prepare_projects(open_store(where), LAYERS, path, scope=LONG)
    done = apply(open_store(where), again, only_valid=True, retire=True)
    assert done.retired == 3
    left = set(open_store(where).read("projects")["project_id"])
    assert not {"A2", "A3", "A4"} & left and "B1" in left  # 临泽's project untouched
    history = open_store(where).history(table="projects", key=("A3",))
    assert history[0].op == "delete"  # kept in the history: it can be restored


def test_points_outside_every_county_fail_and_near_the_border_get_the_nearest(where, tmp_path):
    rows = [
        ["项目代码", "项目名称", "经度", "纬度"],
        ["N1", "边界外 45 米", "106.6995", "34.9"],  # 陇县 is box(106.7, 34.8, 107.0, 35.0)
        ["N2", "远在县外", "110", "30"],
    ]
    prepared = prepare_projects(open_store(where), LAYERS, write_csv(tmp_path / "n.csv", rows))
    assert [(p.row, "不在本系统任何县区内" in p.reason) for p in prepared.errors] == [(3, True)]
    near = next(p for p in prepared.warnings if p.row == 2)
    assert "已归入最近的县区 610327" in near.reason
    assert list(prepared.frame["county_code"]) == [LONG]


def test_command_line_dry_run_with_errors_exits_1(gpkg, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOAPP_DATA", str(gpkg))
    path = office.county_xlsx(tmp_path / "陇县.xlsx")
    dry = CliRunner().invoke(main, ["import", "projects", str(path), "--scope", LONG])
    assert dry.exit_code == 1
    assert "约三千" in dry.output and "表中缺少 3 个" in dry.output
    bad_scope = CliRunner().invoke(main, ["import", "projects", str(path), "--scope", "999999"])
    assert bad_scope.exit_code == 1 and "不是本系统的县区或市的代码" in bad_scope.output


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("2024年计划投资（万元）", "annual_plan"),
        ("2024年度计划投资", "annual_plan"),
        ("1-10月完成投资", "completed"),
        ("2024年1-10月完成投资", "completed"),
        ("截至10月底累计完成投资", "completed"),
        ("经度(度)", "lon"),
        ("北坐标X（米）", "gk_x"),
        ("东坐标Y（含带号）", "gk_y"),
        ("项目业主（建设单位）", "owner"),
        ("所属区县", "county_name"),
        ("县市区", "county_name"),
        ("县（市、区）", "county_name"),
        ("开复工状态", "start_state"),
        ("开工情况", "start_state"),
        ("计划开（复）工时间", "planned_start"),
        ("计 划 总 投 资", "total_investment"),
    ],
)
def test_headers_as_offices_write_them(header, field):
    from geoapp.imports.sheets import load_header_map

    assert load_header_map().match(header).field == field


def _typo_sheet(tmp_path: Path, code: str = "M1") -> Path:
    rows = [["项目代码", "项目名称", "建设地点", "经度", "纬度", "计划总技资"],
            [code, "手工对应项目", "陇县", "106.85", "34.9", "2500"]]  # fmt: skip
    return write_csv(tmp_path / "typo.csv", rows)


def test_a_look_alike_column_must_be_answered_before_applying(where, tmp_path):
    from geoapp.imports.mapping import save_overrides
    from geoapp.imports.service import ImportRefused

    store = open_store(where)
    prepared = prepare_projects(store, LAYERS, _typo_sheet(tmp_path))
    plan = {c.header: c for c in prepared.columns}
    assert plan["计划总技资"].looks_like == "total_investment" and plan["计划总技资"].unanswered
    assert plan["计划总技资"].samples == ("2500",)
    assert plan["经度"].field == "lon" and plan["项目代码"].field == "project_id"
    with pytest.raises(ImportRefused) as refused:
        apply(store, prepared)
    assert refused.value.reason == "unmapped"
    assert "M1" not in set(open_store(where).read("projects")["project_id"])

    marked = prepare_projects(store, LAYERS, _typo_sheet(tmp_path), overrides={"计划总技资": ""})
    assert marked.unanswered == []  # "not used", said out loud: may be applied

    save_overrides(store, prepared.layout, {"计划总技资": "total_investment"}, "test")
    mapped = prepare_projects(open_store(where), LAYERS, _typo_sheet(tmp_path, "M2"))
    assert mapped.unanswered == []
    apply(open_store(where), mapped)
    stored = open_store(where).read("projects").set_index("project_id")
    assert stored.loc["M2", "total_investment"] == 2500.0


def test_command_line_maps_a_column(gpkg, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOAPP_DATA", str(gpkg))
    path = _typo_sheet(tmp_path)
    refused = CliRunner().invoke(main, ["import", "projects", str(path), "--apply"])
    assert refused.exit_code == 1 and "像是“总投资”" in refused.output
    done = CliRunner().invoke(
        main, ["import", "projects", str(path), "--apply", "--map", "计划总技资=total_investment"]
    )
    assert done.exit_code == 0, done.output
    stored = open_store(gpkg).read("projects").set_index("project_id")
    assert stored.loc["M1", "total_investment"] == 2500.0


def test_a_point_just_inside_a_county_border_gets_that_county(demo_gpkg, tmp_path):
    """The drawn boundaries are simplified to ~50 m; containment uses every vertex
    (data/outlines.geojson): a point the simplified lines put into the neighbouring county
    (葫芦岛's districts share long borders) still gets the county it lies in."""
    import numpy as np

    from geoapp.demo.boundaries import read_boundaries

    exact = read_boundaries(PROJECT_ROOT / "data" / "outlines.geojson")
    drawn = read_boundaries(PROJECT_ROOT / "data" / "boundaries.geojson")
    exact, drawn = (f[f["level"] == "county"].set_index("adcode").geometry for f in (exact, drawn))
    rng = np.random.default_rng(1)
    found = None
    for code, shape in exact.items():
        band = shape.difference(shape.buffer(-0.0005))  # the 50 m inside its border
        minx, miny, maxx, maxy = band.bounds
        points = shapely.points(rng.uniform(minx, maxx, 4000), rng.uniform(miny, maxy, 4000))
        for point in points[shapely.contains(band, points)]:
            neighbours = [c for c, g in drawn.items() if c != code and g.contains(point)]
            if neighbours:  # the drawn line gives this corner to the neighbour
                found = (code, point)
                break
        if found:
            break
    assert found, "no point where the drawn and the exact outlines disagree"
    code, point = found
    rows = [
        ["项目代码", "项目名称", "经度", "纬度"],
        ["E1", "边界附近", str(point.x), str(point.y)],
    ]
    prepared = prepare_projects(open_store(demo_gpkg), LAYERS, write_csv(tmp_path / "e.csv", rows))
    assert prepared.errors == [] and not [w for w in prepared.warnings if "边界" in w.reason]
    assert list(prepared.frame["county_code"]) == [code]


def test_gauss_krueger_without_zone_takes_it_from_the_county_name(where, tmp_path):
    """X/Y without the zone number in the easting: the zone comes from the row's county,
    here given only by its name."""
    from pyproj import Transformer

    east, north = Transformer.from_crs(4326, 4542, always_xy=True).transform(100.12, 39.12)
    rows = [["项目代码", "项目名称", "县市区", "X坐标", "Y坐标"],
            ["G1", "无带号项目", "临泽", f"{north:.3f}", f"{east:.3f}"]]  # fmt: skip
    prepared = prepare_projects(open_store(where), LAYERS, write_csv(tmp_path / "gk.csv", rows))
    point = prepared.frame.set_index("project_id").loc["G1"].geometry
    assert abs(point.x - 100.12) < 1e-5 and abs(point.y - 39.12) < 1e-5
    assert prepared.errors == []
