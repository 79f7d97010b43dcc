"""The demo's landmarks (``landmarks`` table): what an investor measures a site against.

The county demo: each seed county's seat (县城, 政府驻地) and the highway exits, railway
stations and airports of ``places.TRANSPORT`` (approximate real places). The province-scale
demo, synthetic like the rest of it: per county its seat at the boundary's inner point, a
highway exit and a railway station within about 9 km of it, and ``AIRPORTS_PER_PROVINCE``
airports per province (the first two digits of the county code) somewhere in its counties.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geoapp.demo import places
from geoapp.demo.points import random_points_in

AIRPORTS_PER_PROVINCE = 2
NEAR_SEAT_DEGREES = 0.08  # a highway exit or station of the scale demo: this near its seat


def seed_landmarks(shapes: dict[str, BaseGeometry], names: dict[str, str]) -> gpd.GeoDataFrame:
    """The seed counties' seats and the transport of ``places.TRANSPORT``."""
    seats = {c.adcode: c.seat for c in places.COUNTIES if c.seat} | places.HULUDAO_SEATS
    seats = {adcode: lon_lat for adcode, lon_lat in seats.items() if adcode in shapes}
    transport = places.TRANSPORT
    frames = [
        _frame(
            [f"seat-{adcode}" for adcode in seats],
            [f"{names[adcode]}政府驻地" for adcode in seats],
            "county_seat",
            list(seats),
            [Point(lon_lat) for lon_lat in seats.values()],
        ),
        _frame(
            [f"{kind}-{i + 1:02d}" for i, (kind, *_rest) in enumerate(transport)],
            [name for _kind, name, *_rest in transport],
            [kind for kind, *_rest in transport],
            [county for _kind, _name, county, *_rest in transport],
            [Point(lon, lat) for *_rest, lon, lat in transport],
        ),
    ]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=4326)


def scale_landmarks(counties: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Synthetic landmarks for the province-scale demo's counties (see the module's note)."""
    codes = counties["adcode"].to_numpy().astype(str)
    names = counties["name"].to_numpy().astype(str)
    shapes = counties.geometry.values
    seats = shapely.point_on_surface(shapes)
    near = gpd.GeoSeries(shapely.intersection(shapely.buffer(seats, NEAR_SEAT_DEGREES), shapes))
    every = np.arange(len(counties))
    frames = [
        _frame("seat-" + codes, names + "政府驻地", "county_seat", codes, seats),
        _frame("exit-" + codes, names + "高速出口", "highway_exit", codes, _in(near, every, rng)),
        _frame("rail-" + codes, names + "火车站", "railway_station", codes, _in(near, every, rng)),
    ]
    provinces = np.array([c[:2] for c in codes])
    for province in sorted(set(provinces)):
        mine = np.flatnonzero(provinces == province)
        chosen = rng.choice(mine, size=min(AIRPORTS_PER_PROVINCE, len(mine)), replace=False)
        ids = np.array([f"airport-{province}-{i + 1}" for i in range(len(chosen))])
        points = _in(counties.geometry, chosen, rng)
        frames.append(_frame(ids, names[chosen] + "机场", "airport", None, points))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=4326)


def _in(polygons: gpd.GeoSeries, owner: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return random_points_in(polygons.reset_index(drop=True), owner, rng)


def _frame(ids, names, kinds, counties, points) -> pd.DataFrame:
    """Landmark rows; ``kinds`` and ``counties`` one value for all, or one per landmark."""
    columns = {"landmark_id": ids, "name": names, "kind": kinds, "county_code": counties}
    return pd.DataFrame(columns | {"geometry": list(points)})
