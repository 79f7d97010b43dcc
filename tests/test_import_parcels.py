"""Importing parcels: 界址点 files and GIS files, checked against GK coordinates of known truth.

The truth is a 100 m square whose south-west corner is the seat of 陇县 (106.855 E, 34.895 N):
its CGCS2000 Gauss-Krüger coordinates come from pyproj for zone 36 without prefix (EPSG:4545)
and with prefix (EPSG:4524, x = 36,xxx,xxx); 100 m × 100 m = 15 亩 exactly.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geoapp.coords import wgs84_to_gcj02
from geoapp.imports import archives
from geoapp.imports.crs import detect_gk, from_gcj02, orient_axes, to_wgs84
from geoapp.imports.gis import read_gis
from geoapp.imports.problems import FileRefused
from geoapp.imports.survey import parse_survey

LON, LAT = 106.855, 34.895  # 陇县
HINT = 106.855
GEOD = Geod(ellps="WGS84")
PLAIN, PREFIXED = 4545, 4524  # CGCS2000 3-degree GK zone 36 (CM 108 E) without / with prefix


def gk(epsg: int, lon: float = LON, lat: float = LAT) -> tuple[float, float]:
    """(easting, northing) of a WGS84 point."""
    return Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def square(east: float, north: float, side: float = 100.0) -> list[tuple[float, float]]:
    """A closed ring (easting, northing) from the south-west corner, counter-clockwise."""
    return [
        (east, north),
        (east + side, north),
        (east + side, north + side),
        (east, north + side),
        (east, north),
    ]


HEADER = """[属性描述]
格式版本号=1.01版本
数据产生单位=自然资源局
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
{zone}精度=0.01
转换参数=,,,,,,
[地块坐标]
"""


def survey_text(
    parcels: list[tuple[str, float, list[list[tuple[float, float]]]]],
    *,
    zone_line: str = "",
    swapped: bool = False,
) -> str:
    """A 报部格式 file: per parcel (id, area in 公顷, rings of (easting, northing))."""
    lines = [HEADER.format(zone=zone_line).rstrip("\n")]
    for parcel_id, hectares, rings in parcels:
        count = sum(len(ring) for ring in rings)
        lines.append(
            f"{count},{hectares},{parcel_id},苏陕工业园{parcel_id}号地,面,H48G001001,工业用地,,@"
        )
        number = 0
        for ring_no, ring in enumerate(rings, start=1):
            for i, (east, north) in enumerate(ring):
                number += 1
                point = "J1" if i == len(ring) - 1 and ring[0] == ring[-1] else f"J{number}"
                first, second = (east, north) if swapped else (north, east)
                lines.append(f"{point},{ring_no},{first:.4f},{second:.4f}")
    return "\n".join(lines) + "\n"


def write(path: Path, text: str, encoding: str = "gbk") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def line_of(path: Path, needle: str, occurrence: int = -1) -> int:
    lines = path.read_bytes().decode("gb18030").splitlines()
    return [i for i, line in enumerate(lines, start=1) if needle in line][occurrence]


# --- crs --------------------------------------------------------------------------------------


def test_detect_gk_from_zone_prefix_or_county_longitude():
    east, north = gk(PLAIN)
    assert detect_gk([east + 36_000_000], [north], None) == PREFIXED
    assert detect_gk([east], [north], HINT) == PLAIN
    assert detect_gk([east], [north], None, zone=36) == PLAIN
    six = detect_gk([18_500_000.0], [north], None)  # 6-degree zone 18 (CM 105 E)
    assert CRS.from_epsg(six).name == "CGCS2000 / Gauss-Kruger zone 18"


@pytest.mark.parametrize(
    ("locale", "reason"),
    [
        ("zh", "坐标不带带号，请指定中央经线或所在县"),
        ("en", "the eastings carry no zone number; please give the central meridian or the county"),
    ],
)
def test_detect_gk_without_prefix_or_hint_is_refused(locale, reason):
    east, north = gk(PLAIN)
    with pytest.raises(FileRefused) as refused:
        detect_gk([east], [north], None, locale=locale)
    assert refused.value.problem.reason == reason
    assert refused.value.problem.severity == "error"


@pytest.mark.parametrize("epsg", [PLAIN, PREFIXED])
def test_gk_coordinates_of_known_truth_round_trip(epsg):
    east, north = gk(epsg)
    assert (east > 36_000_000) == (epsg == PREFIXED)
    (point,) = to_wgs84([Point(east, north)], epsg)
    assert metres_apart((point.x, point.y), (LON, LAT)) < 0.01
    back = gk(epsg, point.x, point.y)
    assert np.hypot(back[0] - east, back[1] - north) < 0.01


def test_swapped_axes_are_detected_and_swapped_back():
    east, north = gk(PLAIN)
    eastings, northings, problems = orient_axes([north], [east])
    assert (eastings[0], northings[0], problems) == (east, north, [])
    eastings, northings, problems = orient_axes([east], [north])
    assert (eastings[0], northings[0]) == (east, north)
    assert [p.severity for p in problems] == ["warning"]


def test_gcj02_points_are_shifted_back_to_wgs84():
    lons = np.array([LON, 107.333, 111.94, 120.546, 100.165])
    lats = np.array([LAT, 33.157, 38.36, 40.351, 39.153])
    glon, glat = wgs84_to_gcj02(lons, lats)
    assert min(GEOD.inv(lons, lats, glon, glat)[2]) > 50  # the shift is real
    back = from_gcj02(shapely.points(glon, glat))
    assert back.crs.to_epsg() == 4326
    assert max(GEOD.inv(lons, lats, back.x.values, back.y.values)[2]) < 1.0


# --- 界址点 files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("epsg", "hint"),
    [(PLAIN, HINT), (PREFIXED, None)],
    ids=["no-prefix-with-county-hint", "zone-prefix"],
)
def test_survey_file_in_gbk_lands_on_the_truth(tmp_path, epsg, hint):
    east, north = gk(epsg)
    path = write(tmp_path / "界址点.txt", survey_text([("1", 1.0, [square(east, north)])]))
    frame, problems = parse_survey(path, hint_lon=hint)
    assert problems == []
    assert frame.crs.to_epsg() == 4326
    assert list(frame.columns) == [
        "parcel_id",
        "name",
        "land_use",
        "declared_area_mu",
        "area_mu",
        "geometry",
    ]
    row = frame.iloc[0]
    assert (row.parcel_id, row["name"], row.land_use) == ("1", "苏陕工业园1号地", "工业用地")
    assert row.declared_area_mu == 15.0
    assert row.area_mu == 15.0
    corner = row.geometry.exterior.coords[0]
    assert metres_apart(corner, (LON, LAT)) < 0.01
    far = row.geometry.exterior.coords[2]
    back = gk(epsg, *far)
    assert np.hypot(back[0] - (east + 100), back[1] - (north + 100)) < 0.01


def test_zone_from_the_file_header(tmp_path):
    east, north = gk(PLAIN)
    text = survey_text([("1", 1.0, [square(east, north)])], zone_line="带号=36\n")
    frame, problems = parse_survey(write(tmp_path / "a.txt", text))
    assert problems == []
    assert metres_apart(frame.geometry.iloc[0].exterior.coords[0], (LON, LAT)) < 0.01


def test_no_prefix_without_hint_is_refused(tmp_path):
    east, north = gk(PLAIN)
    path = write(tmp_path / "a.txt", survey_text([("1", 1.0, [square(east, north)])]))
    with pytest.raises(FileRefused) as refused:
        parse_survey(path)
    assert refused.value.problem.reason == "坐标不带带号，请指定中央经线或所在县"
    assert refused.value.problem.sheet == "a.txt"


def test_ring_two_is_a_hole(tmp_path):
    east, north = gk(PLAIN)
    rings = [square(east, north), square(east + 40, north + 40, side=20)]
    frame, problems = parse_survey(
        write(tmp_path / "a.txt", survey_text([("1", 0.96, rings)])), hint_lon=HINT
    )
    assert problems == []
    geom = frame.geometry.iloc[0]
    assert isinstance(geom, Polygon) and len(geom.interiors) == 1
    assert frame.area_mu.iloc[0] == 14.4  # 15 − 0.6 亩


def test_a_second_outer_ring_makes_a_multipolygon(tmp_path):
    east, north = gk(PLAIN)
    rings = [square(east, north), square(east + 200, north, side=50)]
    frame, problems = parse_survey(
        write(tmp_path / "a.txt", survey_text([("1", 1.25, rings)])), hint_lon=HINT
    )
    assert problems == []
    geom = frame.geometry.iloc[0]
    assert isinstance(geom, MultiPolygon) and len(geom.geoms) == 2
    assert frame.area_mu.iloc[0] == 18.75  # 15 + 3.75 亩


def test_unclosed_ring_refuses_that_parcel_naming_its_line(tmp_path):
    east, north = gk(PLAIN)
    open_ring = square(east + 300, north)[:-1]
    text = survey_text([("1", 1.0, [square(east, north)]), ("2", 1.0, [open_ring])])
    path = write(tmp_path / "a.txt", text)
    frame, problems = parse_survey(path, hint_lon=HINT)
    assert list(frame.parcel_id) == ["1"]  # parcel 2 refused, not silently closed
    (problem,) = problems
    last_line = len(path.read_bytes().decode("gbk").splitlines())
    assert (problem.row, problem.severity, problem.sheet) == (last_line, "error", "a.txt")
    assert f"第 {last_line} 行" in problem.reason and "未闭合" in problem.reason
    _frame, problems = parse_survey(path, hint_lon=HINT, locale="en")
    assert f"line {last_line}" in problems[0].reason and "not closed" in problems[0].reason


def test_ring_with_fewer_than_four_points_is_refused(tmp_path):
    east, north = gk(PLAIN)
    triangle = [(east, north), (east + 10, north), (east, north)]
    path = write(tmp_path / "a.txt", survey_text([("1", 0.1, [triangle])]))
    frame, problems = parse_survey(path, hint_lon=HINT)
    assert frame.empty
    assert [(p.row, p.severity) for p in problems] == [(line_of(path, "J1,1", -1), "error")]
    assert "至少需要 4 个" in problems[0].reason


def test_declared_area_mismatch_is_a_warning_naming_both_areas(tmp_path):
    east, north = gk(PLAIN)
    path = write(tmp_path / "a.txt", survey_text([("1", 1.2, [square(east, north)])]))
    frame, problems = parse_survey(path, hint_lon=HINT)
    assert len(frame) == 1
    (problem,) = problems
    assert (problem.severity, problem.row, problem.column) == (
        "warning",
        line_of(path, ",@"),
        "地块面积",
    )
    assert "18.00 亩" in problem.reason and "15.00 亩" in problem.reason
    # within the tolerance nothing is said
    path = write(tmp_path / "b.txt", survey_text([("1", 1.005, [square(east, north)])]))
    assert parse_survey(path, hint_lon=HINT)[1] == []


def test_swapped_axes_in_a_file_are_read_with_a_warning(tmp_path):
    east, north = gk(PREFIXED)
    path = write(tmp_path / "a.txt", survey_text([("1", 1.0, [square(east, north)])], swapped=True))
    frame, problems = parse_survey(path)
    assert [p.severity for p in problems] == ["warning"]
    assert "颠倒" in problems[0].reason
    assert metres_apart(frame.geometry.iloc[0].exterior.coords[0], (LON, LAT)) < 0.01


def test_self_intersection_is_reported_and_repaired_only_on_request(tmp_path):
    east, north = gk(PLAIN)
    bowtie = [
        (east, north),
        (east + 100, north + 100),
        (east + 100, north),
        (east, north + 100),
        (east, north),
    ]
    path = write(tmp_path / "a.txt", survey_text([("1", 0.5, [bowtie])]))
    frame, problems = parse_survey(path, hint_lon=HINT)
    assert [(p.severity, p.row) for p in problems] == [("warning", line_of(path, ",@"))]
    assert "自相交" in problems[0].reason and "make_valid" in problems[0].reason
    assert not frame.geometry.iloc[0].is_valid  # the original is kept
    frame, problems = parse_survey(path, hint_lon=HINT, repair=True)
    assert frame.geometry.iloc[0].is_valid
    assert frame.area_mu.iloc[0] == 7.5
    assert "已用 make_valid 修复" in problems[0].reason


def test_points_outside_china_are_an_error(tmp_path):
    ring = square(150_000.0, 2_000_000.0)  # 350 km west of 75 E: about 71.7 E
    path = write(tmp_path / "a.txt", survey_text([("1", 1.0, [ring])]))
    frame, problems = parse_survey(path, hint_lon=75.0)
    assert frame.empty
    assert [(p.severity, p.row) for p in problems] == [("error", line_of(path, ",@"))]
    assert "不在中国范围内" in problems[0].reason


def test_bare_point_list_in_utf8(tmp_path):
    east, north = gk(PLAIN)
    lines = ["点号,X,Y"] + [
        f"J{i},{n:.4f},{e:.4f}" for i, (e, n) in enumerate(square(east, north), start=1)
    ]
    path = write(tmp_path / "苏陕工业园.csv", "\n".join(lines), encoding="utf-8-sig")
    frame, problems = parse_survey(path, hint_lon=HINT)
    assert problems == []
    assert (frame.parcel_id.iloc[0], frame.area_mu.iloc[0]) == ("苏陕工业园", 15.0)
    assert np.isnan(frame.declared_area_mu.iloc[0])


def test_bare_point_list_with_ring_numbers_and_spaces(tmp_path):
    east, north = gk(PREFIXED)
    lines = [f"{i} 1 {n:.3f} {e:.3f}" for i, (e, n) in enumerate(square(east, north), start=1)]
    frame, problems = parse_survey(write(tmp_path / "a.txt", "\n".join(lines)))
    assert problems == []
    assert frame.area_mu.iloc[0] == 15.0


def test_a_coordinate_typo_names_its_line(tmp_path):
    east, north = gk(PLAIN)
    text = survey_text([("1", 1.0, [square(east, north)]), ("2", 1.0, [square(east, north)])])
    lines = text.splitlines()
    bad = len(lines) - 2
    lines[bad - 1] = lines[bad - 1].replace(",3", ",93", 1)  # a northing of 93,xxx,xxx
    path = write(tmp_path / "a.txt", "\n".join(lines))
    frame, problems = parse_survey(path, hint_lon=HINT)
    assert list(frame.parcel_id) == ["1"]
    assert [(p.row, p.severity) for p in problems] == [(bad, "error")]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "是空的"),
        (b"  \r\n\n", "是空的"),
        (b"\x80\x81\xff\xfe\x00binary", "无法识别文件编码"),
    ],
    ids=["empty", "blank", "undecodable"],
)
def test_empty_or_undecodable_files_are_refused(tmp_path, content, reason):
    path = tmp_path / "a.txt"
    path.write_bytes(content)
    with pytest.raises(FileRefused) as refused:
        parse_survey(path, hint_lon=HINT)
    assert reason in refused.value.problem.reason


def test_other_geodetic_systems_are_refused(tmp_path):
    east, north = gk(PLAIN)
    text = survey_text([("1", 1.0, [square(east, north)])]).replace(
        "2000国家大地坐标系", "1980西安坐标系"
    )
    with pytest.raises(FileRefused) as refused:
        parse_survey(write(tmp_path / "a.txt", text), hint_lon=HINT)
    assert "1980西安坐标系" in refused.value.problem.reason


def test_survey_reasons_in_english(tmp_path):
    east, north = gk(PLAIN)
    path = write(tmp_path / "a.txt", survey_text([("1", 1.2, [square(east, north)])]))
    _frame, problems = parse_survey(path, hint_lon=HINT, locale="en")
    assert "declared area 18.00 mu" in problems[0].reason


# --- GIS files --------------------------------------------------------------------------------


def parcels_frame(epsg: int = PLAIN) -> gpd.GeoDataFrame:
    east, north = gk(epsg)
    return gpd.GeoDataFrame(
        {"名称": ["苏陕工业园1号地", "2号地"], "面积": [15.0, 3.75]},
        geometry=[
            box(east, north, east + 100, north + 100),
            box(east + 200, north, east + 250, north + 50),
        ],
        crs=epsg,
    )


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, file.name)
    return target


def assert_on_truth(frame: gpd.GeoDataFrame) -> None:
    assert frame.crs.to_epsg() == 4326
    corner = frame.geometry.iloc[0].exterior.coords
    south_west = min(corner, key=lambda xy: xy[0] + xy[1])
    assert metres_apart(south_west, (LON, LAT)) < 0.01


def shapefile_zip(tmp_path: Path, frame: gpd.GeoDataFrame, drop: tuple[str, ...] = ()) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "地块.shp", encoding="UTF-8")
    for suffix in drop:
        (folder / f"地块{suffix}").unlink()
    return zip_folder(folder, tmp_path / "地块.zip")


def test_shapefile_zip_in_gk_zone_36_lands_on_the_truth(tmp_path):
    frame, problems = read_gis(shapefile_zip(tmp_path, parcels_frame()))
    assert problems == []
    assert list(frame["名称"]) == ["苏陕工业园1号地", "2号地"]
    assert_on_truth(frame)


def test_shapefile_path_directly(tmp_path):
    pyogrio.write_dataframe(parcels_frame(), tmp_path / "a.shp")
    frame, problems = read_gis(tmp_path / "a.shp")
    assert problems == []
    assert_on_truth(frame)


def test_shapefile_without_prj_needs_a_source_crs(tmp_path):
    path = shapefile_zip(tmp_path, parcels_frame(), drop=(".prj",))
    with pytest.raises(FileRefused) as refused:
        read_gis(path)
    assert "请指定坐标系" in refused.value.problem.reason
    frame, problems = read_gis(path, source_crs=4545)
    assert problems == []
    assert_on_truth(frame)


def test_shapefile_zip_without_dbf_is_refused(tmp_path):
    with pytest.raises(FileRefused) as refused:
        read_gis(shapefile_zip(tmp_path, parcels_frame(), drop=(".dbf",)))
    assert ".dbf" in refused.value.problem.reason


@pytest.mark.parametrize("encoding", ["GBK", "UTF-8"])
def test_dbf_without_cpg_is_decoded(tmp_path, encoding):
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(parcels_frame(), folder / "a.shp", encoding=encoding)
    (folder / "a.cpg").unlink()  # as many Chinese desktop GIS exports arrive
    assert (folder / "a.dbf").read_bytes()[29] == 0  # no code page byte either
    frame, _problems = read_gis(zip_folder(folder, tmp_path / "a.zip"))
    assert list(frame.columns) == ["名称", "面积", "geometry"]
    assert list(frame["名称"]) == ["苏陕工业园1号地", "2号地"]


def test_prj_without_zone_prefix_but_prefixed_eastings(tmp_path):
    prefixed = parcels_frame(PREFIXED).set_crs(PLAIN, allow_override=True)
    pyogrio.write_dataframe(prefixed, tmp_path / "a.gpkg")
    frame, problems = read_gis(tmp_path / "a.gpkg")
    assert [p.severity for p in problems] == ["warning"]
    assert "EPSG:4524" in problems[0].reason
    assert_on_truth(frame)


def test_geopackage_first_or_named_layer(tmp_path):
    path = tmp_path / "a.gpkg"
    pyogrio.write_dataframe(parcels_frame(), path, layer="parcels")
    pyogrio.write_dataframe(parcels_frame().iloc[[1]], path, layer="others")
    frame, problems = read_gis(path)
    assert len(frame) == 2
    assert [(p.sheet, p.severity) for p in problems] == [("parcels", "warning")]
    assert_on_truth(frame)
    frame, problems = read_gis(path, layer="others")
    assert (len(frame), problems) == (1, [])
    with pytest.raises(FileRefused) as refused:
        read_gis(path, layer="missing")
    assert "parcels、others" in refused.value.problem.reason


def test_kml(tmp_path):
    path = tmp_path / "a.kml"
    pyogrio.write_dataframe(parcels_frame().to_crs(4326), path, driver="KML")
    frame, problems = read_gis(path)
    assert problems == []
    assert len(frame) == 2
    assert_on_truth(frame)


def test_kmz(tmp_path):
    pyogrio.write_dataframe(parcels_frame().to_crs(4326), tmp_path / "doc.kml", driver="KML")
    with zipfile.ZipFile(tmp_path / "a.kmz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(tmp_path / "doc.kml", "doc.kml")
    frame, problems = read_gis(tmp_path / "a.kmz")
    assert (len(frame), problems) == (2, [])
    assert_on_truth(frame)


def test_source_crs_does_not_override_the_files_crs(tmp_path):
    pyogrio.write_dataframe(parcels_frame(), tmp_path / "a.gpkg")
    frame, problems = read_gis(tmp_path / "a.gpkg", source_crs="EPSG:4546", locale="en")
    assert [p.severity for p in problems] == ["warning"]
    assert_on_truth(frame)
    with pytest.raises(FileRefused):
        read_gis(tmp_path / "a.gpkg", source_crs="not a crs")


def test_gcj02_option_shifts_points_back(tmp_path):
    lons, lats = np.array([LON, LON + 0.01]), np.array([LAT, LAT + 0.01])
    glon, glat = wgs84_to_gcj02(lons, lats)
    path = tmp_path / "amap.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=shapely.points(glon, glat), crs=4326), path)
    frame, _problems = read_gis(path, gcj02=True)
    assert max(GEOD.inv(lons, lats, frame.geometry.x, frame.geometry.y)[2]) < 1.0
    frame, _problems = read_gis(path)
    assert min(GEOD.inv(lons, lats, frame.geometry.x, frame.geometry.y)[2]) > 50


def test_invalid_and_empty_geometries_are_reported_per_feature(tmp_path):
    east, north = gk(PLAIN)
    bowtie = Polygon(
        [(east, north), (east + 100, north + 100), (east + 100, north), (east, north + 100)]
    )
    frame = gpd.GeoDataFrame(
        {"id": [1, 2, 3]},
        geometry=[box(east, north, east + 10, north + 10), bowtie, None],
        crs=PLAIN,
    )
    pyogrio.write_dataframe(frame, tmp_path / "a.gpkg", layer="parcels")
    read, problems = read_gis(tmp_path / "a.gpkg")
    assert list(read["id"]) == [1, 2]
    assert list(read.index + 1) == [1, 2]
    assert [(p.sheet, p.row, p.severity) for p in problems] == [
        ("parcels", 2, "warning"),
        ("parcels", 3, "error"),
    ]
    assert "自相交" in problems[0].reason
    _read, problems = read_gis(tmp_path / "a.gpkg", locale="en")
    assert problems[0].reason.startswith("feature 2 is not a valid geometry: Self-intersection")


def test_corrupt_geopackage_is_refused_without_a_gdal_message(tmp_path):
    path = tmp_path / "a.gpkg"
    pyogrio.write_dataframe(parcels_frame(), path)
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(FileRefused) as refused:
        read_gis(path)
    assert refused.value.problem.reason == "无法读取“a.gpkg”：文件已损坏或不是有效的 GIS 文件"
    (tmp_path / "b.gpkg").write_bytes(b"not a geopackage at all")
    with pytest.raises(FileRefused):
        read_gis(tmp_path / "b.gpkg", locale="en")


def test_corrupt_zip_is_refused(tmp_path):
    path = tmp_path / "a.zip"
    path.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(FileRefused) as refused:
        read_gis(path)
    assert "不是有效的 ZIP" in refused.value.problem.reason


def test_zip_bomb_is_refused_before_extracting(tmp_path):
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("a.shp", "w") as member,
    ):
        for _ in range(50):
            member.write(bytes(1024 * 1024))  # 50 MB of zeros, about 50 KB compressed
    with pytest.raises(FileRefused) as refused:
        read_gis(path)
    assert "压缩比" in refused.value.problem.reason and "ZIP 炸弹" in refused.value.problem.reason


def test_zip_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 1000)
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.kml", bytes(600))
        archive.writestr("b.kml", bytes(600))
    with pytest.raises(FileRefused) as refused:
        read_gis(path)
    assert "超过 0 MB 的上限" in refused.value.problem.reason


def test_zip_with_too_many_members_is_refused(tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(1001):
            archive.writestr(f"{i}.txt", b"")
    with pytest.raises(FileRefused) as refused:
        read_gis(path, locale="en")
    assert "1001 files" in refused.value.problem.reason


@pytest.mark.parametrize(
    "name", ["../evil.shp", "a/../../evil.shp", "/tmp/evil.shp", "C:/evil.shp", "..\\evil.shp"]
)
def test_path_traversal_is_refused(tmp_path, name):
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ok.txt", b"fine")
        archive.writestr(zipfile.ZipInfo(name), b"evil")
    with pytest.raises(FileRefused) as refused:
        read_gis(path)
    assert "路径穿越" in refused.value.problem.reason
    assert not (tmp_path / "evil.shp").exists()


def test_unsupported_file_type_is_refused(tmp_path):
    path = tmp_path / "a.dwg"
    path.write_bytes(b"AC1032")
    with pytest.raises(FileRefused) as refused:
        read_gis(path, locale="en")
    assert refused.value.problem.reason.startswith('unsupported file type ".dwg"')


def test_lonlat_crs_with_metre_coordinates_is_refused(tmp_path):
    wrong = parcels_frame().set_crs(4490, allow_override=True)
    pyogrio.write_dataframe(wrong, tmp_path / "a.gpkg")
    with pytest.raises(FileRefused) as refused:
        read_gis(tmp_path / "a.gpkg")
    assert "经纬度" in refused.value.problem.reason
