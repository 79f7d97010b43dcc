"""GCJ-02 ⇄ WGS84 and areas in 亩, checked against known values."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Point, box

from geoapp.coords import (
    gcj02_to_wgs84,
    geometries_gcj02_to_wgs84,
    geometries_wgs84_to_gcj02,
    wgs84_to_gcj02,
)
from geoapp.geo import SQUARE_METRES_PER_MU, area_mu, gk_epsg

GEOD = Geod(ellps="WGS84")
SEATS = {  # the five seed places of domain.md, WGS84 (lon, lat)
    "陇县": (106.855, 34.895),
    "城固县": (107.333, 33.157),
    "静乐县": (111.94, 38.36),
    "徐大堡": (120.546, 40.351),
    "临泽县": (100.165, 39.153),
}


def test_forward_matches_the_published_formula_at_long_county():
    # Reference value from prcoords (public domain) for WGS84 (34.895 N, 106.855 E).
    lon, lat = wgs84_to_gcj02(106.855, 34.895)
    assert (round(float(lon), 9), round(float(lat), 9)) == (106.859272565, 34.893875946)


@pytest.mark.parametrize("place", SEATS)
def test_shift_at_seed_places_is_in_the_published_range(place):
    lon, lat = SEATS[place]
    glon, glat = wgs84_to_gcj02(lon, lat)
    metres = GEOD.inv(lon, lat, float(glon), float(glat))[2]
    assert 164 <= metres <= 561  # domain.md: 164–561 m at the five seed sites


@pytest.mark.parametrize("place", SEATS)
def test_inverse_recovers_wgs84_within_a_millimetre(place):
    lon, lat = SEATS[place]
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert GEOD.inv(lon, lat, float(back[0]), float(back[1]))[2] < 0.001


def test_outside_china_is_unchanged():
    lon, lat = wgs84_to_gcj02([2.35, 139.0], [48.85, 60.0])
    assert np.allclose(lon, [2.35, 139.0]) and np.allclose(lat, [48.85, 60.0])


def test_geometries_round_trip():
    square = box(106.8, 34.8, 106.9, 34.9)
    back = geometries_gcj02_to_wgs84(geometries_wgs84_to_gcj02(square))
    assert back.equals_exact(square, 1e-9)


def test_gk_zone_of_long_county():
    assert gk_epsg(106.855) == 4545  # zone 36, central meridian 108°E
    assert gk_epsg(100.165) == 4542  # 临泽: zone 33, 99°E
    with pytest.raises(ValueError):
        gk_epsg(10.0)


def test_area_of_one_square_kilometre_is_1500_mu():
    # A 1 km × 1 km square drawn in the local GK zone, then stored in WGS84.
    projected = gpd.GeoSeries([box(500_000, 3_860_000, 501_000, 3_861_000)], crs=4545)
    frame = gpd.GeoDataFrame(geometry=projected.to_crs(4326))
    assert area_mu(frame).iloc[0] == pytest.approx(1_000_000 / SQUARE_METRES_PER_MU, abs=0.05)
    assert round(area_mu(frame).iloc[0]) == 1500


def test_area_uses_each_features_own_zone():
    near = gpd.GeoSeries([Point(500_000, 4_300_000).buffer(100)], crs=4545).to_crs(4326)
    far = gpd.GeoSeries([Point(500_000, 4_300_000).buffer(100)], crs=4549).to_crs(4326)
    frame = gpd.GeoDataFrame(geometry=list(near) + list(far), crs=4326)
    areas = area_mu(frame)
    assert areas.iloc[0] == pytest.approx(areas.iloc[1], rel=1e-3)


def test_bd09_matches_the_published_formula_and_inverts():
    from geoapp.coords import bd09_to_wgs84, wgs84_to_bd09

    lon, lat = wgs84_to_bd09(106.855, 34.895)  # reference: prcoords.wgs_bd (public domain)
    assert (round(float(lon), 9), round(float(lat), 9)) == (106.865858548, 34.89954952)
    back = bd09_to_wgs84(lon, lat)
    assert GEOD.inv(106.855, 34.895, float(back[0]), float(back[1]))[2] < 0.001
