"""Vector tiles of a layer: the features of one z/x/y, clipped, thinned and encoded as MVT.

The store's STRtree finds the features of the tile (plus a small buffer); they are projected
to Web Mercator tile coordinates, clipped to the buffered tile, and thinned when they are
smaller than a screen pixel — only one feature per pixel cell is kept, so a z10 tile over a
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
from geoapp.stores.base import Store

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


def to_tile_units(geoms: np.ndarray, z: int, x: int, y: int) -> np.ndarray:
    """Longitude/latitude geometries → this tile's coordinates (0…4096, y down)."""
    scale = 2**z * EXTENT

    def project(xy: np.ndarray) -> np.ndarray:
        lon, lat = xy[:, 0], np.clip(xy[:, 1], -85.0511, 85.0511)
        px = (lon + 180) / 360 * scale - x * EXTENT
        sin = np.sin(np.radians(lat))
        py = (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * np.pi)) * scale - y * EXTENT
        return np.column_stack([px, py])

    return shapely.transform(geoms, project)


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
    west, south, east, north = tile_bounds(z, x, y)
    pad_x, pad_y = (east - west) * BUFFER / EXTENT, (north - south) * BUFFER / EXTENT
    if gcj02:
        pad_x, pad_y = pad_x + GCJ02_MAX_SHIFT, pad_y + GCJ02_MAX_SHIFT
    fields = layer.tile_fields(audience)
    query = flt.query_for(layer, fields)
    frame = store.read(
        layer.table,
        type(query)(
            bbox=(west - pad_x, south - pad_y, east + pad_x, north + pad_y),
            any_of=query.any_of,
            prefix=query.prefix,
            columns=query.columns,
        ),
    )
    if frame.empty:
        return b""
    geoms = frame.geometry.values
    if gcj02:
        geoms = geometries_wgs84_to_gcj02(geoms)
    geoms = to_tile_units(geoms, z, x, y)
    keep = _thin(geoms) if layer.geometry != "point" else np.ones(len(geoms), dtype=bool)
    geoms = geoms[keep]
    if layer.geometry != "point":
        geoms = shapely.clip_by_rect(geoms, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
        geoms = _at_least_a_pixel(geoms, layer.geometry)
    properties = {name: frame[name].to_numpy(dtype=object)[keep].tolist() for name in fields}
    return encode_layer(layer.id, layer.geometry, geoms, frame.index.to_numpy()[keep], properties)


def _thin(geoms: np.ndarray) -> np.ndarray:
    """Keep every feature bigger than a thinning cell, and one small feature per cell."""
    bounds = shapely.bounds(geoms)
    size = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    small = size < THIN_CELL
    keep = ~small
    if small.any():
        cx = ((bounds[small, 0] + bounds[small, 2]) / 2 // THIN_CELL).astype(np.int64)
        cy = ((bounds[small, 1] + bounds[small, 3]) / 2 // THIN_CELL).astype(np.int64)
        _, first = np.unique(cx * 1_000_003 + cy, return_index=True)
        chosen = np.flatnonzero(small)[first]
        keep[chosen] = True
    return keep


def _at_least_a_pixel(geoms: np.ndarray, geometry: str) -> np.ndarray:
    """Features that would round to nothing are drawn as one-pixel squares, so they show."""
    if geometry != "polygon":
        return geoms
    bounds = shapely.bounds(geoms)
    tiny = (bounds[:, 2] - bounds[:, 0] < PIXEL) | (bounds[:, 3] - bounds[:, 1] < PIXEL)
    tiny &= ~shapely.is_empty(geoms)
    if tiny.any():
        cx = (bounds[tiny, 0] + bounds[tiny, 2]) / 2
        cy = (bounds[tiny, 1] + bounds[tiny, 3]) / 2
        half = PIXEL / 2
        geoms = geoms.copy()
        geoms[tiny] = shapely.box(cx - half, cy - half, cx + half, cy + half)
    return geoms
