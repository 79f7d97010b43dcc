"""Province-scale synthetic data: a million parcels and 100,000 projects, vectorised.

Same tables and fields as the county demo, spread over the same real boundaries, so every
page and API works on it unchanged. Everything is built with numpy and shapely's array
functions (no per-row Python), deterministically from the seed; ``progress`` is told each step.
Parks carry utilities, factory parcels their floor, rent and price, and each county a seat, a
highway exit and a railway station, each province a few airports (``landmarks``).
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.demo.boundaries import read_boundaries
from geoapp.demo.landmarks import scale_landmarks
from geoapp.demo.offer import FACTORY_DRAWS, UTILITY_DRAWS, add_offer
from geoapp.demo.points import random_points_in
from geoapp.demo.projects import CATEGORIES, CATEGORY_WEIGHTS
from geoapp.demo.sites import KM_PER_DEGREE, LAND_STATE_WEIGHTS, LAND_STATES
from geoapp.geo import area_mu

PARCEL_GRID = (25, 20)  # parcels per park: 500
PARCEL_KM = (0.08, 0.1)  # one parcel: 80 m × 100 m (≈ 12 亩)
STATUSES = ("reserve", "preparatory", "construction", "completed", "production", "output")
STATUS_WEIGHTS = (0.1, 0.15, 0.5, 0.12, 0.1, 0.03)
WARNINGS = ("red", "yellow", "green")
WARNING_WEIGHTS = (0.1, 0.25, 0.65)

Progress = Callable[[str], None]


def build_scale(
    boundaries_path, parcels: int, projects: int, seed: int, progress: Progress = lambda step: None
) -> dict[str, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    boundaries = read_boundaries(boundaries_path)
    counties = boundaries[boundaries["level"] == "county"].reset_index(drop=True)
    progress("parks")
    parks = _parks(counties, -(-parcels // (PARCEL_GRID[0] * PARCEL_GRID[1])), rng)
    progress("parcels")
    parcel_frame = _parcels(parks, parcels, rng)
    progress("standard land")
    standard = _standard_land(parcel_frame, rng)
    progress("projects")
    project_frame = _projects(counties, projects, rng)
    progress("landmarks")  # drawn last: the data before stays as the seed made it
    park_draws = rng.random((len(parks), UTILITY_DRAWS))
    add_offer(parks, parcel_frame, park_draws, rng.random((len(parcel_frame), FACTORY_DRAWS)))
    return {
        "boundaries": boundaries,
        "parks": parks,
        "parcels": parcel_frame,
        "standard_land": standard,
        "projects": project_frame,
        "landmarks": scale_landmarks(counties, rng),
    }


def _inset(counties: gpd.GeoDataFrame, degrees: float) -> gpd.GeoSeries:
    """County shapes shrunk by a margin in degrees (a rough inset is all placement needs)."""
    return gpd.GeoSeries(shapely.buffer(counties.geometry.values, -degrees), crs=4326)


def _parks(counties: gpd.GeoDataFrame, count: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Parks as parcel-grid rectangles whose corner lies inside a county (by area share)."""
    inner = _inset(counties, 0.03)  # keep 2 km parks clear of the border
    weights = shapely.area(inner.values) / shapely.area(inner.values).sum()
    owner = rng.choice(len(counties), size=count, p=weights)
    corners = random_points_in(inner, owner, rng)
    x, y = shapely.get_x(corners), shapely.get_y(corners)
    width = PARCEL_GRID[0] * PARCEL_KM[0] / (KM_PER_DEGREE * np.cos(np.radians(y)))
    height = PARCEL_GRID[1] * PARCEL_KM[1] / KM_PER_DEGREE
    frame = gpd.GeoDataFrame(
        {
            "park_id": [f"S{i:05d}" for i in range(count)],
            "name": [f"产业园区{i:05d}" for i in range(count)],
            "county_code": counties["adcode"].to_numpy()[owner],
            "industries": rng.choice(["装备制造", "新材料", "食品加工", "新能源", "物流"], count),
            "contact": "园区管委会招商局",
            "utilities": "七通一平",
            "phone": [f"0912-{6_000_000 + i}" for i in range(count)],  # as the demo's parks
            "address": [
                f"{counties['name'].iloc[o]}产业园区{i:05d}管委会" for i, o in enumerate(owner)
            ],
        },
        geometry=shapely.box(x, y, x + width, y + height),
        crs=4326,
    )
    frame["area_mu"] = area_mu(frame)
    return frame


def _parcels(parks: gpd.GeoDataFrame, count: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    cols, rows = PARCEL_GRID
    per_park = cols * rows
    park_index = np.repeat(np.arange(len(parks)), per_park)[:count]
    cell = np.tile(np.arange(per_park), len(parks))[:count]
    minx, miny, maxx, maxy = parks.geometry.bounds.to_numpy()[park_index].T
    dx, dy = (maxx - minx) / cols, (maxy - miny) / rows
    x0 = minx + (cell % cols) * dx
    y0 = miny + (cell // cols) * dy
    gap = 0.06  # road share of each cell
    geometry = shapely.box(x0 + dx * gap, y0 + dy * gap, x0 + dx, y0 + dy)
    park_ids = parks["park_id"].to_numpy()[park_index]
    frame = gpd.GeoDataFrame(
        {
            "parcel_id": pd.Series(park_ids).str.cat(
                pd.Series(cell + 1).astype(str).str.zfill(3), sep="-"
            ),
            "park_id": park_ids,
            "county_code": parks["county_code"].to_numpy()[park_index],
            "land_state": rng.choice(LAND_STATES, size=count, p=LAND_STATE_WEIGHTS),
            "land_use": rng.choice(
                ["工业用地", "仓储用地", "物流用地"], size=count, p=(0.8, 0.1, 0.1)
            ),
            "price_wan_per_mu": rng.uniform(12, 30, count).round(1),
        },
        geometry=geometry,
        crs=4326,
    )
    frame["area_mu"] = area_mu(frame)
    return frame


def _standard_land(parcels: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    frame = parcels[parcels["land_state"] == "standard_land"].drop(
        columns=["land_state", "land_use"]
    )
    n = len(frame)
    return frame.assign(
        name=frame["parcel_id"] + "号标准地",
        stage=rng.choice(["assessed", "listed", "transferred", "accepted", "reviewed"], n),
        invest_intensity=rng.choice([120.0, 150.0, 200.0, 250.0, 300.0], n),
        tax_per_mu=rng.choice([8.0, 10.0, 12.0, 15.0, 20.0], n),
        output_per_mu=rng.choice([250.0, 300.0, 350.0], n),
        floor_area_ratio=rng.choice([1.0, 1.1, 1.2], n),
        coverage_pct=rng.choice([30.0, 35.0, 40.0], n),
        green_max_pct=rng.choice([15.0, 20.0], n),
        energy_value=rng.choice([1.5, 2.0, 3.0], n),
    ).reset_index(drop=True)


def _projects(counties: gpd.GeoDataFrame, count: int, rng: np.random.Generator):
    owner = rng.choice(len(counties), size=count)
    geometry = random_points_in(_inset(counties, 0.003), owner, rng)
    serial = np.arange(1, count + 1)
    category = rng.choice(CATEGORIES, size=count, p=CATEGORY_WEIGHTS)
    total = rng.lognormal(9.6, 0.9, count).round()
    plan = (total * rng.uniform(0.15, 0.5, count)).round()
    started = rng.random(count) < 0.7
    planned = pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, count), "D")
    code = pd.Series(serial).astype(str).str.zfill(7)
    nature = rng.choice(["new", "continuing"], count, p=(0.55, 0.45))
    new = nature == "new"
    start_state = np.where(
        new,
        np.where(started, "started", "not_started"),
        np.where(started, "resumed", "not_resumed"),
    )
    return gpd.GeoDataFrame(
        {
            "project_id": "2026-" + counties["adcode"].to_numpy()[owner] + "-" + code,
            "name": "重点项目" + code,
            "owner": "建设单位" + code,
            "category": category,
            "level": rng.choice(["province", "city", "county"], count, p=(0.02, 0.1, 0.88)),
            "nature": nature,
            "status": rng.choice(STATUSES, count, p=STATUS_WEIGHTS),
            "start_state": start_state,
            "total_investment": total,
            "annual_plan": plan,
            "completed": np.where(started, (plan * rng.uniform(0.5, 1.1, count)).round(), 0.0),
            "planned_start": planned,
            "planned_end": planned + pd.to_timedelta(rng.integers(365, 1100, count), "D"),
            "actual_start": planned.where(started),
            "leader": "领导" + pd.Series(rng.integers(1, 500, count)).astype(str),
            "unit": rng.choice(["发改局", "工信局", "住建局", "交通局"], count),
            "warning": rng.choice(WARNINGS, count, p=WARNING_WEIGHTS),
            "warning_reason": "",
            "county_code": counties["adcode"].to_numpy()[owner],
            "location": counties["name"].to_numpy()[owner],
            "placement": "exact",
            "park_id": None,
        },
        geometry=geometry,
        crs=4326,
    )
