"""GeoPackage geometry blobs and the SQL functions its R-tree triggers call.

A GeoPackage stores a geometry as a small header (magic ``GP``, flags, SRS id, an optional
envelope) followed by standard WKB. GDAL's R-tree triggers call ``ST_IsEmpty`` and
``ST_MinX`` … ``ST_MaxY`` on every insert and update; plain ``sqlite3`` has no such functions,
so ``register_functions`` adds them, and rows written here keep the spatial index in sync
exactly as GDAL's own writes do.
"""

from __future__ import annotations

import sqlite3
import struct

import shapely
from shapely.geometry.base import BaseGeometry

ENVELOPE_DOUBLES = {0: 0, 1: 4, 2: 6, 3: 6, 4: 8}
_EMPTY_FLAG = 0x10


def encode(geometry: BaseGeometry, srs_id: int) -> bytes:
    """A GeoPackage blob, little-endian; points carry no envelope (as GDAL writes them)."""
    wkb = shapely.to_wkb(geometry, byte_order=1, flavor="iso")
    if geometry.geom_type == "Point":
        return struct.pack("<2sBBi", b"GP", 0, 0x01, srs_id) + wkb
    minx, miny, maxx, maxy = geometry.bounds
    header = struct.pack("<2sBBi4d", b"GP", 0, 0x01 | (1 << 1), srs_id, minx, maxx, miny, maxy)
    return header + wkb


def decode(blob: bytes | None) -> BaseGeometry | None:
    if blob is None:
        return None
    return shapely.from_wkb(bytes(blob[header_size(blob) :]))


def header_size(blob: bytes) -> int:
    flags = blob[3]
    return 8 + 8 * ENVELOPE_DOUBLES.get((flags >> 1) & 0x07, 0)


def _is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return int(bool(blob[3] & _EMPTY_FLAG))


def _bounds(blob: bytes) -> tuple[float, float, float, float]:
    """(minx, maxx, miny, maxy) from the envelope, or from the geometry when there is none."""
    flags = blob[3]
    if (flags >> 1) & 0x07:
        order = "<" if flags & 0x01 else ">"
        return struct.unpack(order + "4d", blob[8:40])
    minx, miny, maxx, maxy = decode(blob).bounds
    return minx, maxx, miny, maxy


def register_functions(conn: sqlite3.Connection) -> None:
    """The ST_ functions that GDAL's GeoPackage R-tree triggers need."""
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for index, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(
            name,
            1,
            lambda blob, index=index: None if blob is None else _bounds(blob)[index],
            deterministic=True,
        )
