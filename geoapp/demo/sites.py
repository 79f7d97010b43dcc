"""Parks and their parcels: polygons placed inside the real county boundaries.

Parks are slightly rotated rectangles near the county seat, moved outwards on a spiral until
they lie wholly inside the county and clear of other parks. Each park is cut into a grid of
parcels separated by 12 m roads, and each parcel gets a land state.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import affinity
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from geoapp.demo.places import Park
from geoapp.geo import area_mu

LAND_STATES = ("occupied", "available", "reserved", "standard_land", "factory")
LAND_STATE_WEIGHTS = (0.45, 0.2, 0.1, 0.15, 0.1)
LAND_USES = ("工业用地", "仓储用地", "物流用地")
KM_PER_DEGREE = 111.32
ROAD_M = 12


def km_box(lon: float, lat: float, width_km: float, height_km: float) -> BaseGeometry:
    """A rectangle of the given size in km centred on (lon, lat)."""
    dx = width_km / (KM_PER_DEGREE * math.cos(math.radians(lat))) / 2
    dy = height_km / KM_PER_DEGREE / 2
    return box(lon - dx, lat - dy, lon + dx, lat + dy)


def place_park(
    park: Park,
    seat: Point,
    county: BaseGeometry,
    taken: list[BaseGeometry],
    rng: np.random.Generator,
) -> BaseGeometry:
    """The first spiral position near the seat where the park fits inside the county."""
    inner = county.buffer(-0.002)
    for step in range(400):
        angle, radius_km = step * 2.4, 2.0 + step * 0.35
        lon = seat.x + radius_km * math.cos(angle) / (
            KM_PER_DEGREE * math.cos(math.radians(seat.y))
        )
        lat = seat.y + radius_km * math.sin(angle) / KM_PER_DEGREE
        aspect = rng.uniform(0.7, 1.4)
        shape = km_box(lon, lat, park.size_km * aspect, park.size_km / aspect)
        shape = affinity.rotate(shape, rng.uniform(-20, 20))
        if inner.contains(shape) and not any(shape.intersects(t) for t in taken):
            return shape
    raise RuntimeError(f"no room for park {park.name} in its county")


def parks_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    frame["area_mu"] = area_mu(frame)
    return frame


def cut_parcels(park_row: pd.Series, rng: np.random.Generator) -> list[dict]:
    """Grid cells of a park (roads between them), each with a land state and a price."""
    geometry = park_row.geometry
    minx, miny, maxx, maxy = geometry.bounds
    cols, rows = int(rng.integers(4, 7)), int(rng.integers(4, 7))
    xs, ys = np.linspace(minx, maxx, cols + 1), np.linspace(miny, maxy, rows + 1)
    road = ROAD_M / 2 / (KM_PER_DEGREE * 1000)
    parcels = []
    for i in range(cols):
        for j in range(rows):
            cell = box(xs[i], ys[j], xs[i + 1], ys[j + 1]).intersection(geometry).buffer(-road)
            if cell.is_empty or cell.area < 1e-7:
                continue
            state = str(rng.choice(LAND_STATES, p=LAND_STATE_WEIGHTS))
            parcels.append(
                {
                    "parcel_id": f"{park_row.park_id}-{len(parcels) + 1:03d}",
                    "park_id": park_row.park_id,
                    "county_code": park_row.county_code,
                    "land_state": state,
                    "land_use": str(rng.choice(LAND_USES, p=(0.8, 0.1, 0.1))),
                    "price_wan_per_mu": float(round(rng.uniform(12, 30), 1)),
                    "geometry": shapely.normalize(cell),
                }
            )
    return parcels


def parcels_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    frame["area_mu"] = area_mu(frame)
    return frame


STANDARD_LAND_STAGES = ("assessed", "listed", "transferred", "accepted", "reviewed")


def standard_land_frame(parcels: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Standard-land parcels with control indicators fixed before transfer (标准地指标)."""
    chosen = parcels[parcels["land_state"] == "standard_land"].copy()
    n = len(chosen)
    chosen["name"] = [f"{pid}号标准地" for pid in chosen["parcel_id"]]
    chosen["stage"] = rng.choice(STANDARD_LAND_STAGES, size=n, p=(0.2, 0.3, 0.3, 0.1, 0.1))
    chosen["invest_intensity"] = rng.choice([120, 150, 200, 250, 300], size=n).astype(float)
    chosen["tax_per_mu"] = rng.choice([8, 10, 12, 15, 20], size=n).astype(float)
    chosen["output_per_mu"] = rng.choice([250, 300, 350], size=n).astype(float)
    chosen["floor_area_ratio"] = rng.choice([1.0, 1.1, 1.2], size=n)
    chosen["coverage_pct"] = rng.choice([30.0, 35.0, 40.0], size=n)
    chosen["green_max_pct"] = rng.choice([15.0, 20.0], size=n)
    chosen["energy_value"] = rng.choice([1.5, 2.0, 3.0], size=n)
    return chosen.drop(columns=["land_state", "land_use"]).reset_index(drop=True)
