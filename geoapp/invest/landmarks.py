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
    found = []
    for kind in KINDS:
        candidates = landmarks[landmarks["kind"].astype(str) == kind]
        if kind == "county_seat":
            own = candidates[candidates["county_code"].astype(str) == str(county_code)]
            candidates = own if len(own) else candidates
        if candidates.empty:
            continue
        metres = _metres(point, candidates.geometry)
        nearest = int(np.argmin(metres))
        name = str(candidates["name"].iloc[nearest] or "")
        found.append(Distance(kind, name, round(float(metres[nearest]) / 1000, 1)))
    return found


def _metres(point: Point, others: gpd.GeoSeries) -> np.ndarray:
    xs, ys = others.x.to_numpy(), others.y.to_numpy()
    _, _, metres = _GEOD.inv(np.full(len(xs), point.x), np.full(len(ys), point.y), xs, ys)
    return np.asarray(metres)
