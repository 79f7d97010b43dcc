"""Drawn areas kept by the store, so that a filter by a detailed shape fits in any URL.

A polygon of 1,000 vertices is 25 KB of WKT: more than a request line may carry (gunicorn
refuses lines over 8 KB with a 414). The map therefore sends a drawn area once, by POST, and
filters by its id (``within=<id>``) in every URL after that: the page, tiles, points, exports,
OGC items and shared links. The id is a hash of the shape, so the same shape drawn twice, by
two users or two workers at once, is the same record; areas are never changed, only added.
"""

from __future__ import annotations

import hashlib
import re

import shapely
from shapely.geometry.base import BaseGeometry

from geoapp.stores.base import Query, Store
from geoapp.stores.changes import GEOMETRY, Change, ChangeRefused, ChangeSet, FieldSpec, TableSchema

DRAWN_TABLE = "drawn_areas"
AREA_ID = re.compile(r"[0-9a-f]{16}")


def drawn_schema() -> TableSchema:
    return TableSchema(DRAWN_TABLE, ("area_id",), {"area_id": FieldSpec("text")}, "polygon")


def area_id(geom: BaseGeometry) -> str:
    """The same shape (vertex order and start aside) gives the same id."""
    wkb = shapely.to_wkb(shapely.normalize(geom), output_dimension=2, byte_order=1)
    return hashlib.sha256(wkb).hexdigest()[:16]


def is_area_id(text: str) -> bool:
    return AREA_ID.fullmatch(text) is not None


def save_area(store: Store, geom: BaseGeometry, author: str) -> str:
    """Keep a checked drawn area (see ``query.parse_within``) and give its id."""
    key = area_id(geom)
    if load_area(store, key) is not None:
        return key
    values = {"area_id": key, GEOMETRY: geom}
    try:
        store.apply(ChangeSet(author, [Change("insert", DRAWN_TABLE, (key,), values)]))
    except ChangeRefused as refused:  # drawn by someone else at the same moment
        if not all(r.reason == "exists" for r in refused.refusals):
            raise
    return key


def load_area(store: Store, key: str) -> BaseGeometry | None:
    if DRAWN_TABLE not in store.tables():
        return None
    rows = store.read(DRAWN_TABLE, Query(any_of={"area_id": frozenset([key])}))
    return None if rows.empty else rows.geometry.iloc[0]
