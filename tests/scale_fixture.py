"""A generated fixture big enough for the map's large-data mode, and the answers tests need.

6,000 parcels and 6,000 projects are above their layers' ``tiles_above`` (5,000), so the map
page leaves them out: parcels come as vector tiles, projects as ``points.bin``, clustered.
Built with ``geoapp.demo.scale`` from the real boundaries, deterministically (seed 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from geoapp.config import PROJECT_ROOT
from geoapp.demo.scale import build_scale
from geoapp.stores import GeoPackageStore
from tests.fixtures import open_store

PARCELS = 6000
PROJECTS = 6000
SEED = 1
# Every land state but this one still leaves more than 5,000 parcels: still tiled.
LEFT_OUT_STATE = "factory"


@dataclass(frozen=True)
class Parcel:
    fid: int  # the feature id in tiles and in /api/layers/parcels/features/<fid>
    parcel_id: str
    land_state: str
    lat: float  # its centre
    lng: float


@dataclass(frozen=True)
class Scale:
    """The fixture's GeoPackage and the figures a user would see or look for."""

    path: Path
    counts: dict[str, int]  # features per layer
    park_name: str
    park_centre: tuple[float, float]  # lat, lng
    parcels: dict[str, Parcel]  # per land state: the parcel nearest the park's centre
    absent_ids: tuple[str, ...]  # ids that would be in the page if parcels/projects were inline
    counties: dict[str, tuple[float, float, float, float]]  # adcode → bounds of its projects
    project_counts: dict[str, int]  # adcode → projects
    kept_parcels: int  # parcels left when LEFT_OUT_STATE is filtered out
    project_on_land: tuple[str, float, float]  # name, lat, lng of a project inside a parcel


def build(path: Path) -> Scale:
    frames = build_scale(
        PROJECT_ROOT / "data" / "boundaries.geojson", parcels=PARCELS, projects=PROJECTS, seed=SEED
    )
    GeoPackageStore.create(path, frames)
    store = open_store(path)
    park = store.read("parks").iloc[0]
    parcels = store.read("parcels")
    projects = store.read("projects")
    centre = shapely.centroid(park.geometry)
    in_park = parcels[parcels["park_id"] == park["park_id"]]
    centres = shapely.centroid(in_park.geometry.values)
    distance = shapely.distance(centres, centre)
    states = in_park["land_state"].to_numpy()
    nearest = {}
    for state in sorted(set(states)):
        i = np.flatnonzero(states == state)[np.argmin(distance[states == state])]
        nearest[state] = Parcel(
            int(in_park.index[i]), in_park["parcel_id"].iloc[i], state, centres[i].y, centres[i].x
        )
    not_standard = parcels[parcels["land_state"] != "standard_land"]  # standard land is inline
    point, _within = shapely.STRtree(not_standard.geometry.values).query(
        projects.geometry.values, predicate="within"
    )
    on_land = projects.iloc[point[0]]
    by_county = projects.groupby("county_code")
    return Scale(
        path=path,
        counts={name: len(frame) for name, frame in frames.items() if name != "landmarks"},
        park_name=park["name"],
        park_centre=(centre.y, centre.x),
        parcels=nearest,
        absent_ids=(
            *not_standard["parcel_id"].iloc[:3],
            *projects["project_id"].iloc[:3],
            *projects["name"].iloc[:3],
        ),
        counties={code: tuple(group.total_bounds) for code, group in by_county},
        project_counts=by_county.size().to_dict(),
        kept_parcels=int((parcels["land_state"] != LEFT_OUT_STATE).sum()),
        project_on_land=(on_land["name"], on_land.geometry.y, on_land.geometry.x),
    )
