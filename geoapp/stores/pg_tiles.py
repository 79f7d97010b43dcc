"""Vector tiles made by PostGIS (``ST_AsMVT``), for ``GEOAPP_DATABASE_READS=sql``.

The filters of the map become the same SQL conditions as a page of the API (``pg_reads``), so
a tile shows exactly what the list shows. At low zoom a tile covers tens of thousands of
parcels smaller than a screen pixel; as in the in-memory tiles (``geoapp.tiles``), a feature
smaller than two pixels is kept only if it is the first in its 2×2-pixel cell, and one smaller
than a pixel is drawn as a one-pixel square, so every occupied pixel still shows and the tile
stays small (points are all kept, as in memory). Sizes are measured on the stored longitude/latitude
boxes (a tile spans too little
latitude for the Mercator stretch to vary), so only the kept features are reprojected.
"""

from __future__ import annotations

import math
from typing import Any

from geoapp.stores.base import Query
from geoapp.stores.pg_reads import where
from geoapp.stores.writer import Dialect, TableInfo, quote

EXTENT = 4096
BUFFER = 64  # tile units kept around the tile, as in geoapp.tiles
EARTH = 40_075_016.685_578_5  # metres around the equator in Web Mercator
_CENTRE = "(ST_XMin(geom) + ST_XMax(geom)) / 2, (ST_YMin(geom) + ST_YMax(geom)) / 2"


def tile(
    dialect: Dialect,
    conn: Any,
    info: TableInfo,
    layer: str,
    query: Query,
    zxy: tuple[int, int, int],
) -> bytes:
    """The MVT bytes of one layer's tile: the rows of ``query`` (its bbox: the buffered tile)
    with the columns of ``query.columns`` as properties."""
    z, x, y = zxy
    pixel_deg = 360 / (256 * 2**z)
    stretch = 1 / math.cos(math.radians(_centre_lat(z, y)))  # Mercator y per degree of lon
    pixel_m = EARTH / (256 * 2**z)
    geom = quote(info.geometry)
    condition, params = where(query, info)
    names = [c for c in (query.columns or ()) if c in info.columns]
    props = "".join(f", {_property(info, n)}" for n in names)
    sizes = f"greatest(ST_XMax({geom}) - ST_XMin({geom}), (ST_YMax({geom}) - ST_YMin({geom})) * ?)"
    sql = f"""
        WITH found AS (
            SELECT {quote(info.fid)} AS fid, {geom} AS geom, {sizes} AS size{props}
            FROM {quote(info.name)} WHERE {condition}),
        kept AS (
            SELECT * FROM found WHERE size >= ?
            UNION ALL
            SELECT DISTINCT ON (floor(ST_XMin(geom) / ?), floor(ST_YMin(geom) * ? / ?)) *
            FROM found WHERE size < ?),
        shaped AS (
            SELECT fid{"".join(f", {quote(n)}" for n in names)}, ST_AsMVTGeom(
                CASE WHEN size < ? THEN ST_Expand(ST_Transform(ST_SetSRID(
                    ST_MakePoint({_CENTRE}), 4326), 3857), ?)
                ELSE ST_Transform(geom, 3857) END,
                ST_TileEnvelope(?, ?, ?), {EXTENT}, {BUFFER}, true) AS geom
            FROM kept)
        SELECT ST_AsMVT(shaped.*, ?, {EXTENT}, 'geom', 'fid') FROM shaped WHERE geom IS NOT NULL
    """
    cell = 0.0 if info.geometry_type.endswith("POINT") else 2 * pixel_deg  # points: all kept
    values = [stretch, *params, cell, cell, stretch, cell, cell, pixel_deg, pixel_m / 2, z, x, y]
    found = dialect.execute(conn, sql, [*values, layer]).fetchone()
    return bytes(found[0]) if found and found[0] else b""


def _property(info: TableInfo, name: str) -> str:
    """A column as a tile property: numbers as numbers, anything else as text."""
    column = quote(name)
    if info.columns[name] == "DOUBLE PRECISION":
        return column
    return f"{column}::text AS {column}"


def _centre_lat(z: int, y: int) -> float:
    n = 2**z
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
