"""Demo data: the published seed figures hold exactly, and everything lies where it should."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from geoapp import create_app
from geoapp.demo.places import AS_OF, COUNTIES
from geoapp.invest.landmarks import KINDS, distances_from
from tests.accounts import signed_in


def started(frame) -> pd.Series:
    return frame["actual_start"].notna()


def test_long_county_188_key_projects_147_started(demo_frames):
    projects = demo_frames["projects"]
    long = projects[projects["county_code"] == "610327"]
    assert len(long) == 188
    assert started(long).sum() == 147
    assert round(100 * started(long).sum() / len(long), 1) == 78.2  # 开工率 published: 78.2%


def test_huludao_500_projects_split_as_published(demo_frames):
    projects = demo_frames["projects"]
    hld = projects[projects["county_code"].str.startswith("2114")]
    new, cont = hld[hld["nature"] == "new"], hld[hld["nature"] == "continuing"]
    assert (len(hld), len(new), len(cont)) == (500, 268, 232)
    assert (started(new).sum(), started(cont).sum()) == (117, 212)
    assert round(100 * started(hld).sum() / len(hld), 1) == 65.8  # 开复工率
    assert round(100 * 212 / len(cont), 1) == 91.4 and round(100 * 117 / len(new), 1) == 43.7
    # Money in 万元 (1 亿 = 10,000 万): 2,619.8 亿 total, 325.1 亿 annual plan.
    assert hld["total_investment"].sum() == 26_198_000
    assert hld["annual_plan"].sum() == 3_251_000
    assert new[started(new)]["total_investment"].sum() == 1_401_600  # 140.16 亿
    assert new[started(new)]["annual_plan"].sum() == 508_000  # 50.80 亿
    assert cont[started(cont)]["total_investment"].sum() == 14_717_300  # 1,471.73 亿
    assert cont[started(cont)]["annual_plan"].sum() == 1_505_800  # 150.58 亿


def test_chenggu_460_projects_provincial_and_city_all_started(demo_frames):
    projects = demo_frames["projects"]
    cg = projects[projects["county_code"] == "610722"]
    assert len(cg) == 460
    assert cg["total_investment"].sum() == 10_809_600  # 1,080.96 亿
    for level, count in (("province", 4), ("city", 48)):
        at_level = cg[cg["level"] == level]
        assert len(at_level) == count and started(at_level).all()


def test_xudabao_nuclear_plant_is_in_xingcheng(demo_frames):
    projects = demo_frames["projects"].set_index("name")
    plant = projects.loc["徐大堡核电站"]
    assert plant["county_code"] == "211481"
    assert (round(plant.geometry.y, 3), round(plant.geometry.x, 3)) == (40.351, 120.546)


def test_every_feature_lies_in_its_county(demo_frames):
    counties = demo_frames["boundaries"].set_index("adcode").geometry
    for table in ("parks", "parcels", "standard_land", "projects"):
        frame = demo_frames[table]
        inside = [
            counties[code].contains(geom)
            for code, geom in zip(frame["county_code"], frame.geometry, strict=True)
        ]
        assert all(inside), f"{table}: {inside.count(False)} outside their county"


def test_parcels_lie_in_their_park_and_parks_do_not_overlap(demo_frames):
    parks = demo_frames["parks"].set_index("park_id").geometry
    parcels = demo_frames["parcels"]
    assert all(
        parks[p].contains(g) for p, g in zip(parcels["park_id"], parcels.geometry, strict=True)
    )
    assert not any(a.intersects(b) for i, a in enumerate(parks) for b in list(parks)[i + 1 :])


def test_long_county_has_its_six_parks(demo_frames):
    parks = demo_frames["parks"]
    assert set(parks[parks["county_code"] == "610327"]["name"]) == {
        "苏陕工业园",
        "食品工业园",
        "新型材料工业园",
        "交通物流园",
        "外贸产业园",
        "电商产业园",
    }
    assert "扎尔墩滩工业集中区" in set(parks["name"])


def test_seats_lie_in_their_real_boundaries(demo_frames):
    counties = demo_frames["boundaries"].set_index("adcode").geometry
    for county in COUNTIES:
        assert counties[county.adcode].contains(Point(county.seat)), county.adcode


def test_boundaries_are_valid_wgs84(demo_frames):
    boundaries = demo_frames["boundaries"]
    assert boundaries.crs.to_epsg() == 4326
    assert shapely.is_valid(boundaries.geometry.values).all()
    assert set(boundaries["adcode"]) >= {"610327", "610722", "140926", "620723", "211400"}


def test_standard_land_carries_its_indicators(demo_frames):
    standard = demo_frames["standard_land"]
    assert len(standard) > 10
    indicators = [
        "invest_intensity",
        "tax_per_mu",
        "output_per_mu",
        "floor_area_ratio",
        "coverage_pct",
        "green_max_pct",
    ]
    assert standard[indicators].notna().all().all()
    assert (standard["green_max_pct"] <= 20).all()  # a maximum for industrial land


def test_parks_carry_their_utilities_and_factories_their_floor_and_prices(demo_frames):
    parks = demo_frames["parks"]
    assert (parks["power_kva"] > 0).all() and (parks["water_t_day"] > 0).all()
    assert set(parks["gas"]) <= {"yes", "no"} and set(parks["steam"]) <= {"yes", "no"}
    parcels = demo_frames["parcels"]
    factory = parcels["land_state"] == "factory"
    offer = ["floor_m2", "rent_yuan_m2_month", "sale_yuan_m2"]
    assert factory.sum() > 5
    assert parcels.loc[factory, offer].notna().all().all()
    assert parcels.loc[~factory, offer].isna().all().all()
    land_m2 = parcels.loc[factory, "area_mu"] * 10000 / 15
    assert (parcels.loc[factory, "floor_m2"] <= 3 * land_m2).all()  # at most 3 storeys
    assert parcels.loc[factory, "rent_yuan_m2_month"].between(5, 20).all()


def test_every_seed_park_has_a_distance_to_every_kind_of_landmark(demo_frames):
    landmarks = demo_frames["landmarks"]
    assert set(landmarks["kind"]) == set(KINDS)
    assert landmarks["landmark_id"].is_unique
    counties = demo_frames["boundaries"].set_index("adcode").geometry
    for kind in ("highway_exit", "railway_station"):  # in the county they name
        mine = landmarks[landmarks["kind"] == kind]
        assert shapely.contains(counties[mine["county_code"]].values, mine.geometry.values).all()
    for _, park in demo_frames["parks"].iterrows():
        point = park.geometry.representative_point()
        found = {d.kind: d.km for d in distances_from(point, park["county_code"], landmarks)}
        assert set(found) == set(KINDS), park["park_id"]
        assert found["highway_exit"] < 60 and found["airport"] < 200, (park["park_id"], found)


def test_warnings_say_why(demo_frames):
    projects = demo_frames["projects"]
    warned = projects[projects["warning"] != "green"]
    assert len(warned) > 0
    assert (warned["warning_reason"].str.len() > 0).all()
    overdue = projects[~started(projects) & (projects["warning"] == "red")]
    assert overdue["warning_reason"].str.contains("未开工").all()
    assert AS_OF.startswith("2026")


def test_same_seed_same_data(demo_frames):
    from geoapp.config import PROJECT_ROOT
    from geoapp.demo.generate import build_demo

    again = build_demo(PROJECT_ROOT / "data" / "boundaries.geojson")
    pd.testing.assert_frame_equal(again["projects"].to_wkt(), demo_frames["projects"].to_wkt())


@pytest.fixture
def demo_client(demo_gpkg):
    return signed_in(create_app({"GEOAPP_DATA": demo_gpkg}))


def test_city_code_selects_all_its_counties(demo_client):
    body = demo_client.get("/api/layers/projects/features?county=211400").get_json()
    assert body["numberMatched"] == 500
    assert body["sums"]["total_investment"] == 26_198_000


def test_demo_map_page_serves(demo_client):
    response = demo_client.get("/?county=610327")
    assert response.status_code == 200
    assert "陇县" in response.get_data(as_text=True)
