"""Landmarks a site is measured against: the county seat (县城), and where a county records
them, highway exits, railway stations and airports.

They live in the store's ``landmarks`` table (points, public: a county seat is no secret),
written like any record; the demo holds the seats of its counties. The table is optional:
without it the pages simply show no distances. Distances are geodesic on the WGS84
ellipsoid (``pyproj.Geod``), never differences of degrees, which shrink with latitude.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from flask_babel import gettext as _
from pyproj import Geod
from shapely.geometry import Point

from geoapp.stores.base import Store
from geoapp.stores.changes import FieldSpec, TableSchema

LANDMARKS_TABLE = "landmarks"
KINDS = ("county_seat", "highway_exit", "railway_station", "airport")
_GEOD = Geod(ellps="WGS84")


def landmarks_schema() -> TableSchema:
    text = FieldSpec("text")
    fields = {
        "landmark_id": text,
        "name": text,
        "kind": FieldSpec("enum", frozenset(KINDS)),
        "county_code": text,
    }
    return TableSchema(LANDMARKS_TABLE, ("landmark_id",), fields, "point")


def kind_label(kind: str) -> str:
    return {
        "county_seat": _("County seat"),
        "highway_exit": _("Highway exit"),
        "railway_station": _("Railway station"),
        "airport": _("Airport"),
    }.get(kind, kind)


@dataclass(frozen=True)
class Distance:
    kind: str
    name: str  # the landmark's own name: 陇县政府驻地
    km: float

    @property
    def label(self) -> str:
        return kind_label(self.kind)


def read_landmarks(store: Store) -> gpd.GeoDataFrame | None:
    """Every landmark, or None when the store has none."""
    if LANDMARKS_TABLE not in store.tables():
        return None
    return store.read(LANDMARKS_TABLE)


def distances_from(
    point: Point, county_code: str | None, landmarks: gpd.GeoDataFrame | None
) -> list[Distance]:
    """The nearest landmark of each kind recorded; for the county seat, the seat of the
    site's own county when there is one (a neighbour's may be nearer, but is not "the")."""
    if landmarks is None or landmarks.empty or point is None or point.is_empty:
        return []
    found = nearest_landmarks(
        np.array([point.x]), np.array([point.y]), np.array([county_code], dtype=object), landmarks
    )
    return [Distance(kind, str(names[0]), round(float(km[0]), 1)) for kind, (km, names) in found]


def nearest_landmarks(
    lon: np.ndarray, lat: np.ndarray, county_codes: np.ndarray, landmarks: gpd.GeoDataFrame
) -> list[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    """For many points at once: each recorded kind with the km to, and the name of, each
    point's nearest landmark of that kind (its own county's seat for the county seat).

    The nearest is the one of greatest dot product of unit vectors (nearest on the sphere),
    then measured on the WGS84 ellipsoid; in blocks, so 150,000 sites against a province's
    landmarks stay a few arrays of numbers."""
    found = []
    kinds = landmarks["kind"].astype(str).to_numpy()
    for kind in KINDS:
        mine = landmarks[kinds == kind]
        if mine.empty:
            continue
        index = _nearest_index(lon, lat, mine.geometry.x.to_numpy(), mine.geometry.y.to_numpy())
        if kind == "county_seat":
            index = _own_seat(index, county_codes, mine["county_code"].astype(str).to_numpy())
        x, y = mine.geometry.x.to_numpy()[index], mine.geometry.y.to_numpy()[index]
        _, _, metres = _GEOD.inv(lon, lat, x, y)
        names = mine["name"].fillna("").astype(str).to_numpy()[index]
        found.append((kind, (np.asarray(metres) / 1000, names)))
    return found


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _nearest_index(lon, lat, to_lon, to_lat, block: int = 20_000) -> np.ndarray:
    here, there = _unit_vectors(lon, lat), _unit_vectors(to_lon, to_lat).T
    return np.concatenate(
        [np.argmax(here[i : i + block] @ there, axis=1) for i in range(0, len(here), block)]
    ).astype(int)


def _own_seat(index: np.ndarray, county_codes: np.ndarray, seat_counties: np.ndarray):
    """Where a point's own county has a seat, that seat instead of the nearest."""
    position = {code: i for i, code in enumerate(seat_counties)}
    own = np.array([position.get(str(code), -1) for code in county_codes], dtype=int)
    return np.where(own >= 0, own, index)
