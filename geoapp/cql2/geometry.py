"""Geometry literals of a filter (GeoJSON objects or BBOX numbers in CRS84) as shapely shapes.

The ``cql2`` library hands WKT over already converted to GeoJSON, so text and JSON filters
meet here. It does not check what GeoJSON requires of coordinates, so this module does:
finite numbers (a NaN or infinite coordinate is the user's mistake, never a 500), closed
polygon rings of four positions or more, and at least two positions in a line.
"""

from __future__ import annotations

import math

import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape as geojson_shape

from geoapp.cql2.tree import MAX_DEPTH, MAX_VERTICES, CQL2Error, Geometry

_TYPES = {
    "Point",
    "LineString",
    "Polygon",
    "MultiPoint",
    "MultiLineString",
    "MultiPolygon",
    "GeometryCollection",
}


def from_geojson(obj: dict) -> Geometry:
    """A GeoJSON geometry object as a Geometry literal, or a CQL2Error saying what is wrong."""
    _check(obj, depth=1)
    if _positions(obj) > MAX_VERTICES:
        raise CQL2Error(None, f"geometry with more than {MAX_VERTICES} positions")
    try:
        shape = geojson_shape(obj)
    except (GEOSException, ValueError, TypeError, IndexError, KeyError) as error:
        raise CQL2Error(None, f"invalid geometry: {error}") from None
    if not shape.is_valid:
        shape = shapely.make_valid(shape)  # e.g. a bow-tie polygon drawn by hand
    return Geometry(shape.wkt, shape)


def from_bbox(numbers: list) -> Geometry:
    """``BBOX(west, south, east, north)`` (or six numbers with heights) as a box."""
    if len(numbers) not in (4, 6):
        raise CQL2Error(None, "BBOX needs 4 or 6 numbers")
    _check_numbers(numbers)
    half = len(numbers) // 2
    west, south, east, north = numbers[0], numbers[1], numbers[half], numbers[half + 1]
    if west > east or south > north:
        raise CQL2Error(None, "BBOX corners are out of order")
    shape = shapely.box(west, south, east, north)
    return Geometry(shape.wkt, shape)


def _check(obj: dict, depth: int) -> None:
    kind = obj.get("type")
    if kind not in _TYPES:
        raise CQL2Error(None, f"unknown geometry type {str(kind)[:40]!r}")
    if depth > MAX_DEPTH:
        raise CQL2Error(None, f"geometry nested deeper than {MAX_DEPTH} levels")
    if kind == "GeometryCollection":
        members = obj.get("geometries")
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            raise CQL2Error(None, "invalid geometry: a GeometryCollection needs 'geometries'")
        for member in members:
            _check(member, depth + 1)
        return
    coordinates = obj.get("coordinates")
    if not isinstance(coordinates, list):
        raise CQL2Error(None, f"invalid geometry: a {kind} needs 'coordinates'")
    _check_numbers(_flatten(coordinates))
    rings = {"Polygon": [coordinates], "MultiPolygon": coordinates}.get(kind, [])
    for ring in (ring for polygon in rings for ring in polygon):
        if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
            raise CQL2Error(None, "invalid geometry: a polygon ring must be closed (4+ positions)")


def _positions(obj: dict) -> int:
    """Positions in a checked geometry (members of a collection included)."""
    if obj["type"] == "GeometryCollection":
        return sum(_positions(member) for member in obj["geometries"])
    return len(_flatten(obj["coordinates"])) // 2


def _flatten(coordinates: list) -> list:
    """Every number of a coordinates array; the nesting is at most 4 deep in valid GeoJSON."""
    numbers, stack = [], [(coordinates, 1)]
    while stack:
        items, depth = stack.pop()
        if depth > 4:
            raise CQL2Error(None, "invalid geometry: coordinates nested too deeply")
        for item in items:
            if isinstance(item, list):
                stack.append((item, depth + 1))
            else:
                numbers.append(item)
    return numbers


def _check_numbers(numbers: list) -> None:
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise CQL2Error(None, f"invalid geometry: {str(number)[:40]!r} is not a number")
        if not math.isfinite(number):
            raise CQL2Error(None, f"invalid geometry: coordinate {number} is not a finite number")
