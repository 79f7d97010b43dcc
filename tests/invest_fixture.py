"""The tiny fixture as the investors' pages need it: parks with a phone, an address and their
utilities; ready-built factory space; landmarks of every kind.

Known answers (tests/fixtures.py has the rest):
- P1 (陇县) has 8,000 kVA, 6,000 t/day, natural gas and steam; P2 (临泽) 2,500 kVA,
  3,000 t/day, neither gas nor steam;
- factory parcels (0.01° boxes like the others): P1-004 (6,000 m², 12.5 元/m²·月,
  2,400 元/m²) and P1-005 (4,500 m², 10 元, 2,100 元) in P1 — 10,500 m² in all — and P2-002
  (3,200 m², 9 元, 1,800 元) in P2;
- landmarks: the county seats of 陇县 and 临泽, and due north or south of P1-002's middle
  (``P1_002``, on its meridian, so the distance is a meridian arc) a highway exit 0.1° north,
  a railway station 0.05° south and an airport 1° north; 张掖甘州机场 near 临泽.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from geoapp.geo import area_mu
from tests.fixtures import LINZE, LONG, tiny_frames

LONG_SEAT = (106.855, 34.895)  # shared/domain.md
LINZE_SEAT = (100.165, 39.153)
P1_002 = (106.815, 34.855)  # the middle of parcel P1-002
NORTH_OF_P1_002 = {"highway_exit": 0.1, "railway_station": -0.05, "airport": 1.0}  # degrees
FACTORIES = {  # parcel → (park, county, box, floor m², rent 元/m²·月, sale 元/m²)
    "P1-004": ("P1", LONG, (106.83, 34.85, 106.84, 34.86), 6000.0, 12.5, 2400.0),
    "P1-005": ("P1", LONG, (106.80, 34.87, 106.81, 34.88), 4500.0, 10.0, 2100.0),
    "P2-002": ("P2", LINZE, (100.12, 39.10, 100.13, 39.11), 3200.0, 9.0, 1800.0),
}


def invest_frames() -> dict[str, gpd.GeoDataFrame]:
    frames = tiny_frames()
    parks = frames["parks"]
    parks["phone"] = ["0917-4612345", "0936-5551234"]
    parks["address"] = ["陕西省宝鸡市陇县苏陕工业园管委会", "甘肃省张掖市临泽县扎尔墩滩管委会"]
    parks["power_kva"] = [8000.0, 2500.0]
    parks["water_t_day"] = [6000.0, 3000.0]
    parks["gas"] = ["yes", "no"]
    parks["steam"] = ["yes", "no"]
    frames["parcels"] = _with_factories(frames["parcels"])
    frames["landmarks"] = gpd.GeoDataFrame(_landmarks(), geometry="geometry", crs=4326)
    return frames


def _with_factories(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows = [
        {
            "parcel_id": key,
            "park_id": park,
            "county_code": county,
            "land_state": "factory",
            "land_use": "工业用地",
            "price_wan_per_mu": 20.0,
            "floor_m2": floor,
            "rent_yuan_m2_month": rent,
            "sale_yuan_m2": sale,
            "geometry": box(*bounds),
        }
        for key, (park, county, bounds, floor, rent, sale) in FACTORIES.items()
    ]
    factories = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    parcels = parcels.assign(floor_m2=np.nan, rent_yuan_m2_month=np.nan, sale_yuan_m2=np.nan)
    both = gpd.GeoDataFrame(pd.concat([parcels, factories], ignore_index=True), crs=4326)
    both["area_mu"] = area_mu(both)
    return both


def _landmarks() -> list[dict]:
    lon, lat = P1_002
    found = [
        _landmark("seat-610327", "陇县政府驻地", "county_seat", LONG, LONG_SEAT),
        _landmark("seat-620723", "临泽县政府驻地", "county_seat", LINZE, LINZE_SEAT),
        _landmark("airport-zy", "张掖甘州机场", "airport", None, (100.68, 38.80)),
    ]
    names = {"highway_exit": "陇县东收费站", "railway_station": "陇县站", "airport": "测试机场"}
    found += [
        _landmark(f"{kind}-p1", names[kind], kind, LONG, (lon, lat + north))
        for kind, north in NORTH_OF_P1_002.items()
    ]
    return found


def _landmark(key: str, name: str, kind: str, county: str | None, lon_lat) -> dict:
    return {
        "landmark_id": key,
        "name": name,
        "kind": kind,
        "county_code": county,
        "geometry": Point(lon_lat),
    }
