"""Build the whole demo data set, deterministically from one seed, as GeoDataFrames.

``build_demo(boundaries_path, seed)`` returns the tables the layer declarations read:
boundaries, parks, parcels, standard_land and projects (and the full-resolution county
outlines beside the boundaries file), and landmarks: the county seats and approximate highway
exits, railway stations and airports (the investors' pages measure distances to them). Parks
carry their utilities and factory parcels their floor, rent and price (``offer``). The same
seed gives the same data.
"""

from __future__ import annotations

import zlib
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geoapp.demo import places
from geoapp.demo.boundaries import read_boundaries
from geoapp.demo.landmarks import seed_landmarks
from geoapp.demo.offer import FACTORY_DRAWS, UTILITY_DRAWS, add_offer, hashed_draws
from geoapp.demo.progress import monthly_progress
from geoapp.demo.projects import add_warnings, project_rows, scale_money
from geoapp.demo.sites import (
    cut_parcels,
    parcels_frame,
    parks_frame,
    place_park,
    standard_land_frame,
)

DEFAULT_SEED = 20261125
IN_PARK_SHARE = 0.35


def build_demo(boundaries_path: Path, seed: int = DEFAULT_SEED) -> dict[str, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    as_of = date.fromisoformat(places.AS_OF)
    boundaries = read_boundaries(boundaries_path)
    shapes = dict(zip(boundaries["adcode"], boundaries.geometry, strict=True))
    names = dict(zip(boundaries["adcode"], boundaries["name"], strict=True))
    parks = _parks(shapes, rng)
    parcels = parcels_frame([p for _, row in parks.iterrows() for p in cut_parcels(row, rng)])
    projects = _projects(shapes, names, parcels, as_of, rng)
    standard = standard_land_frame(parcels, rng)
    add_offer(  # from the ids, not the generator: the rest stays as the seed makes it
        parks,
        parcels,
        hashed_draws(parks["park_id"].tolist(), UTILITY_DRAWS),
        hashed_draws(parcels["parcel_id"].tolist(), FACTORY_DRAWS),
    )
    frames = {
        "boundaries": boundaries,
        "parks": parks,
        "parcels": parcels,
        "standard_land": standard,
        "projects": projects,
        "progress": monthly_progress(projects, as_of),
        "landmarks": seed_landmarks(shapes, names),
    }
    outlines = boundaries_path.with_name("outlines.geojson")
    if outlines.exists():  # every vertex, for containment (see geoapp.demo.boundaries)
        frames["outlines"] = read_boundaries(outlines)
    return frames


def _seats(shapes: dict[str, BaseGeometry]) -> dict[str, Point]:
    seats = {c.adcode: Point(c.seat) for c in places.COUNTIES if c.seat}
    for adcode in places.HULUDAO_COUNTIES:
        seats[adcode] = shapes[adcode].representative_point()
    return seats


def _parks(shapes: dict[str, BaseGeometry], rng: np.random.Generator) -> gpd.GeoDataFrame:
    seats = _seats(shapes)
    by_county = {c.adcode: c.parks for c in places.COUNTIES} | places.HULUDAO_PARKS
    rows, taken = [], []
    for adcode, parks in by_county.items():
        for park in parks:
            shape = place_park(park, seats[adcode], shapes[adcode], taken, rng)
            taken.append(shape)
            rows.append(
                {
                    "park_id": park.park_id,
                    "name": park.name,
                    "county_code": adcode,
                    "industries": park.industries,
                    "contact": f"{park.name}管委会招商局",
                    **_committee(park, adcode),
                    "utilities": "七通一平（水、电、气、热、路、通信、排水、场地平整）",
                    "geometry": shape,
                }
            )
    return parks_frame(rows)


def _committee(park: places.Park, adcode: str) -> dict[str, str]:
    """A plausible phone (the county's area code, digits from the park id: no random draw, so
    the rest of the data stays as the seed makes it) and the committee's address."""
    area, address = places.CONTACTS[adcode]
    digits = 6_000_000 + zlib.crc32(park.park_id.encode()) % 4_000_000
    return {"phone": f"{area}-{digits}", "address": f"{address}{park.name}管委会"}


def _projects(
    shapes: dict[str, BaseGeometry],
    names: dict[str, str],
    parcels: gpd.GeoDataFrame,
    as_of: date,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    frames = [_county_projects(c, shapes, names, parcels, as_of, rng) for c in places.COUNTIES]
    frames.append(_huludao_projects(shapes, names, parcels, as_of, rng))
    projects = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(projects.drop(columns=["group"]), geometry="geometry", crs=4326)


def _county_projects(
    county: places.SeedCounty,
    shapes: dict[str, BaseGeometry],
    names: dict[str, str],
    parcels: gpd.GeoDataFrame,
    as_of: date,
    rng: np.random.Generator,
) -> pd.DataFrame:
    rows = project_rows(county.adcode, names[county.adcode], county.projects, as_of, rng)
    _set_levels(rows, *county.provincial_city_started)
    if county.projects.total_investment_wan:
        scale_money(rows, county.projects.total_investment_wan)
    add_warnings(rows, as_of)
    frame = pd.DataFrame(rows)
    frame["county_code"] = county.adcode
    frame["location"] = names[county.adcode]
    frame["placement"] = "exact"
    _place(frame, shapes[county.adcode], parcels[parcels["county_code"] == county.adcode], rng)
    _landmarks(frame, county.landmarks, shapes)
    return frame


def _huludao_projects(
    shapes: dict[str, BaseGeometry],
    names: dict[str, str],
    parcels: gpd.GeoDataFrame,
    as_of: date,
    rng: np.random.Generator,
) -> pd.DataFrame:
    rows = project_rows("211400", "葫芦岛", places.HULUDAO, as_of, rng)
    money = places.HULUDAO_MONEY_WAN
    new_started = [r for r in rows if r["group"] == "new_started"]
    resumed = [r for r in rows if r["group"] == "resumed"]
    rest = [r for r in rows if r["group"] in ("new_waiting", "not_resumed")]
    scale_money(new_started, *money["new_started"])
    scale_money(resumed, *money["resumed"])
    rest_total = money["all"][0] - money["new_started"][0] - money["resumed"][0]
    rest_plan = money["all"][1] - money["new_started"][1] - money["resumed"][1]
    scale_money(rest, rest_total, rest_plan)
    add_warnings(rows, as_of)
    frame = pd.DataFrame(rows)
    frame["county_code"] = rng.choice(places.HULUDAO_COUNTIES, size=len(frame))
    frame["geometry"] = None
    frame["park_id"] = None
    for adcode in places.HULUDAO_COUNTIES:
        part = frame[frame["county_code"] == adcode].copy()
        _place(part, shapes[adcode], parcels[parcels["county_code"] == adcode], rng)
        frame.loc[part.index, ["geometry", "park_id"]] = part[["geometry", "park_id"]]
    _landmarks(frame, places.HULUDAO_LANDMARKS, shapes)
    frame["location"] = [names[c] for c in frame["county_code"]]
    frame["placement"] = "exact"
    frame["project_id"] = [
        pid.replace("-211400-", f"-{c}-")
        for pid, c in zip(frame["project_id"], frame["county_code"], strict=True)
    ]
    return frame


def _set_levels(rows: list[dict], provincial: int, city: int) -> None:
    """Give exactly ``provincial`` + ``city`` started projects those levels (城固: 4 + 48)."""
    if not provincial and not city:
        return
    started = [r for r in rows if r["actual_start"] is not None]
    for row in rows:
        row["level"] = "county"
    for i, row in enumerate(started[: provincial + city]):
        row["level"] = "province" if i < provincial else "city"


def _place(
    frame: pd.DataFrame, county: BaseGeometry, parcels: gpd.GeoDataFrame, rng: np.random.Generator
) -> None:
    """A share of projects on occupied parcels of the county's parks, the rest anywhere in it."""
    occupied = parcels[parcels["land_state"] == "occupied"]
    in_park = rng.random(len(frame)) < (IN_PARK_SHARE if len(occupied) else 0)
    points = _random_points(county, len(frame), rng)
    park_ids: list[str | None] = [None] * len(frame)
    for i in np.flatnonzero(in_park):
        parcel = occupied.iloc[int(rng.integers(len(occupied)))]
        points[i] = parcel.geometry.representative_point()
        park_ids[i] = parcel["park_id"]
    frame["geometry"] = points
    frame["park_id"] = park_ids


def _random_points(polygon: BaseGeometry, n: int, rng: np.random.Generator) -> list[Point]:
    """``n`` uniform points inside ``polygon`` by rejection sampling from its bounds."""
    inner = polygon.buffer(-0.003)
    shapely.prepare(inner)
    minx, miny, maxx, maxy = inner.bounds
    found: list[Point] = []
    while len(found) < n:
        xs = rng.uniform(minx, maxx, 4 * n + 16)
        ys = rng.uniform(miny, maxy, 4 * n + 16)
        candidates = shapely.points(xs, ys)
        found.extend(candidates[shapely.contains(inner, candidates)][: n - len(found)])
    return found


def _landmarks(
    frame: pd.DataFrame,
    landmarks: tuple[tuple[str, float, float, str], ...],
    shapes: dict[str, BaseGeometry],
) -> None:
    """Put the named real projects (徐大堡核电站 …) at their published places and counties."""
    started = frame.index[(frame["category"] == "energy") & frame["actual_start"].notna()]
    counties = set(frame["county_code"])
    for (name, lon, lat, _), index in zip(landmarks, started, strict=False):
        point = Point(lon, lat)
        adcode = next(code for code in counties if shapes[code].contains(point))
        frame.loc[index, ["name", "geometry", "park_id", "level", "county_code"]] = [
            name,
            point,
            None,
            "province",
            adcode,
        ]
