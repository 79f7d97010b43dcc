"""Vector tiles of a layer: the features of one z/x/y, clipped, thinned and encoded as MVT.

A database that makes tiles itself (PostGIS with reads in SQL: ``ST_AsMVT``) is asked first.
Otherwise the store's STRtree finds the features of the tile (plus a small buffer); they are
projected to Web Mercator tile coordinates, clipped to the buffered tile, and thinned when
they are smaller than a screen pixel — only one feature per pixel cell is kept, so a z10 tile over a
dense park stays small while every occupied pixel still shows. Nothing outside the layer's
declared fields for the audience ever goes into a tile.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from flask_babel import gettext as _

from geoapp.coords import geometries_wgs84_to_gcj02
from geoapp.errors import BadRequest
from geoapp.layers import LayerDef
from geoapp.mvt import EXTENT, encode_layer
from geoapp.query import MapFilter
from geoapp.stores.base import Query, Store, TileMaker

MAX_ZOOM = 22
BUFFER = 64  # tile units around the tile kept when clipping (avoids seams at tile edges)
PIXEL = EXTENT // 256  # tile units per screen pixel
THIN_CELL = 2 * PIXEL  # below this size, one feature per 2×2-pixel cell is enough
GCJ02_MAX_SHIFT = 0.01  # degrees; GCJ-02 moves points by at most about 700 m


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse impossible tile addresses with a message naming the coordinate."""
    if not 0 <= z <= MAX_ZOOM:
        raise BadRequest(_("Zoom z=%(z)s is outside 0–%(max)s.", z=z, max=MAX_ZOOM), param="z")
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < 2**z:
            raise BadRequest(
                _(
                    "Tile %(name)s=%(value)s is outside 0–%(max)s at zoom %(z)s.",
                    name=name,
                    value=value,
                    max=2**z - 1,
                    z=z,
                ),
                param=name,
            )


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a tile in degrees."""
    n = 2**z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def _projector(z: int, x: int, y: int):
    """A function from longitude/latitude arrays to this tile's units (0…4096, y down)."""
    scale = 2**z * EXTENT

    def project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sin = np.sin(np.radians(np.clip(lat, -85.0511, 85.0511)))
        px = (lon + 180) / 360 * scale - x * EXTENT
        py = (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * np.pi)) * scale - y * EXTENT
        return px, py

    return project


def to_tile_units(geoms: np.ndarray, z: int, x: int, y: int) -> np.ndarray:
    """Longitude/latitude geometries → this tile's coordinates."""
    project = _projector(z, x, y)
    return shapely.transform(geoms, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1])))


def build_tile(
    store: Store,
    layer: LayerDef,
    flt: MapFilter,
    audience: str,
    z: int,
    x: int,
    y: int,
    gcj02: bool = False,
) -> bytes:
    """The MVT bytes of one layer's tile (empty below the layer's min_zoom).

    With ``gcj02`` the tile is cut on AMap's GCJ-02 grid: features are shifted before
    projection, and the search box is widened by the largest shift (about 0.01°).
    """
    check_tile(z, x, y)
    if z < layer.min_zoom:
        return b""
    fields = layer.tile_fields(audience)
    query = _tile_query(layer, flt, fields, z, x, y, gcj02)
    if isinstance(store, TileMaker) and not gcj02:
        made = store.tile(layer.table, layer.id, query, (z, x, y))
        if made is not None:
            return made
    frame = store.read(layer.table, query)
    if frame.empty:
        return b""
    geoms = frame.geometry.values
    if gcj02:
        geoms = geometries_wgs84_to_gcj02(geoms)
    if layer.geometry == "point":
        keep = np.ones(len(geoms), dtype=bool)
        geoms = to_tile_units(geoms, z, x, y)
    else:
        keep, geoms = _thinned_shapes(geoms, z, x, y)
    properties = {name: frame[name].to_numpy(dtype=object)[keep].tolist() for name in fields}
    return encode_layer(layer.id, layer.geometry, geoms, frame.index.to_numpy()[keep], properties)


def _tile_query(
    layer: LayerDef, flt: MapFilter, fields: list[str], z: int, x: int, y: int, gcj02: bool
) -> Query:
    """The layer's filter within the tile and its buffer (widened for the GCJ-02 shift)."""
    west, south, east, north = tile_bounds(z, x, y)
    pad_x, pad_y = (east - west) * BUFFER / EXTENT, (north - south) * BUFFER / EXTENT
    if gcj02:
        pad_x, pad_y = pad_x + GCJ02_MAX_SHIFT, pad_y + GCJ02_MAX_SHIFT
    query = flt.query_for(layer, fields)
    return Query(
        bbox=(west - pad_x, south - pad_y, east + pad_x, north + pad_y),
        any_of=query.any_of,
        prefix=query.prefix,
        columns=query.columns,
    )


def _thinned_shapes(geoms: np.ndarray, z: int, x: int, y: int) -> tuple[np.ndarray, np.ndarray]:
    """Which features to draw and their shapes in tile units.

    Sizes come from the features' projected bounding boxes, so only features that are kept
    and bigger than a pixel are reprojected vertex by vertex; smaller ones are drawn as
    one-pixel squares and only one per 2×2-pixel cell is kept.
    """
    b = shapely.bounds(geoms)
    minx, maxy = _projector(z, x, y)(b[:, 0], b[:, 1])
    maxx, miny = _projector(z, x, y)(b[:, 2], b[:, 3])
    size = np.maximum(maxx - minx, maxy - miny)
    small = size < THIN_CELL
    keep = ~small
    if small.any():
        cell_x = ((minx[small] + maxx[small]) / 2 // THIN_CELL).astype(np.int64)
        cell_y = ((miny[small] + maxy[small]) / 2 // THIN_CELL).astype(np.int64)
        _, first = np.unique(cell_x * 1_000_003 + cell_y, return_index=True)
        keep[np.flatnonzero(small)[first]] = True
    tiny = keep & (size < PIXEL)
    shaped = keep & ~tiny
    out = np.empty(len(geoms), dtype=object)
    projected = to_tile_units(geoms[shaped], z, x, y)
    out[shaped] = shapely.clip_by_rect(
        projected, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER
    )
    cx, cy = (minx[tiny] + maxx[tiny]) / 2, (miny[tiny] + maxy[tiny]) / 2
    half = PIXEL / 2
    out[tiny] = shapely.box(cx - half, cy - half, cx + half, cy + half)
    return keep, out[keep]
