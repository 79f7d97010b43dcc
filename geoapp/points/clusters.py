"""Clusters of one view, worked out on the server: the first bubbles the map draws.

The browser's own index (cluster-worker.js, Supercluster) needs every point and about half a
second of a core before it can draw anything; at a province's dense view that put the first
bubble at 1.4–1.8 s. The server has the points at hand and clusters the few thousand of one
view in milliseconds, so the page draws these at once and swaps in its own index's clusters
when that is built. A grid, not Supercluster's greedy search: points share a cell of
``CELL_PX`` screen pixels, then cluster centres that a cell border kept apart share a cell of
a grid shifted by half a cell, so two bubbles seldom touch. Each cluster carries its rank
(the most urgent outline value inside it, as the worker's) and the zoom at which it breaks
apart (a click zooms there). A cluster's id is its zoom, place and count, so a view moved a
little keeps the bubbles it shares with the one before (the grid is the world's, not the
view's).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from geoapp.layers import LayerDef
from geoapp.points.arrays import NO_VALUE, PointSet

CELL_PX = 64  # about the worker's 48 px radius: bubbles of up to 44 px do not cover each other
MAX_ZOOM = 15  # as the worker's index: from zoom 16 on every point stands alone
TILE_PX = 256
NO_RANK = 99  # as the worker's: no outline value inside


def mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator in units of the world's width (0–1), as Supercluster projects."""
    sin = np.sin(np.radians(np.clip(lat, -85.0511, 85.0511)))
    y = 0.5 - 0.25 * np.log((1 + sin) / (1 - sin)) / math.pi
    return lon / 360 + 0.5, y


def geographic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of ``mercator``."""
    lat = np.degrees(2 * np.arctan(np.exp((0.5 - y) * 2 * math.pi)) - math.pi / 2)
    return (x - 0.5) * 360, lat


def box_around(lat: float, lon: float, zoom: int, half_width_px: int, half_height_px: int):
    """The lon/lat box of a screen of the given half sizes centred on (lat, lon) at ``zoom``."""
    world = TILE_PX * 2.0**zoom
    x, y = mercator(np.array([lon]), np.array([lat]))
    dx, dy = half_width_px / world, half_height_px / world
    west, north = geographic(x - dx, y - dy)
    east, south = geographic(x + dx, y + dy)
    return (
        max(-180.0, float(west[0])),
        max(-85.0, float(south[0])),
        min(180.0, float(east[0])),
        min(85.0, float(north[0])),
    )


def view_clusters(points: PointSet, zoom: int, layer: LayerDef) -> list[dict[str, Any]]:
    """The clusters and lone points of ``points`` at ``zoom``, as GeoJSON-like features in
    the shape Supercluster's ``getClusters`` gives (cluster-worker.js), so the page draws both
    alike."""
    if not len(points):
        return []
    x, y = mercator(points.lon, points.lat)
    if zoom > MAX_ZOOM:
        groups = np.arange(len(points))
    else:
        world = TILE_PX * 2.0**zoom
        groups = _cells(x * world, y * world, 0.0)
        cx, cy = _means(groups, x * world, y * world)
        groups = _cells(cx, cy, CELL_PX / 2)[groups]  # neighbours across a border join
    return _features(points, groups, x, y, zoom, layer)


def _cells(px: np.ndarray, py: np.ndarray, shift: float) -> np.ndarray:
    """Each point's grid cell, numbered 0…n-1."""
    col = np.floor((px + shift) / CELL_PX).astype(np.int64)
    row = np.floor((py + shift) / CELL_PX).astype(np.int64)
    return np.unique(col * (1 << 32) + row, return_inverse=True)[1].ravel()


def _means(groups: np.ndarray, *values: np.ndarray) -> list[np.ndarray]:
    counts = np.bincount(groups)
    return [np.bincount(groups, weights=v) / counts for v in values]


def _features(points, groups, x, y, zoom, layer) -> list[dict[str, Any]]:
    groups = np.unique(groups, return_inverse=True)[1].ravel()
    counts = np.bincount(groups)
    cx, cy = _means(groups, x, y)
    lon, lat = geographic(cx, cy)
    ranks = np.full(len(counts), NO_RANK, dtype=np.int64)
    np.minimum.at(ranks, groups, np.where(points.stroke == NO_VALUE, NO_RANK, points.stroke))
    first = np.full(len(counts), -1, dtype=np.int64)
    first[groups] = np.arange(len(groups))  # a member of each group: a lone point's own
    breaks = _break_zooms(groups, x, y, zoom, len(counts))
    colours = _colour_keys(layer, points)
    features = []
    for g, count in enumerate(counts.tolist()):
        where = [round(float(lon[g]), 6), round(float(lat[g]), 6)]
        if count == 1:
            i = first[g]
            props = {field: keys[code[i]] for field, keys, code in colours if code[i] != NO_VALUE}
            feature_id = int(points.ids[i])
        else:
            props = {
                "cluster": True,
                "point_count": count,
                "rank": int(ranks[g]),
                "expansion_zoom": int(breaks[g]),
            }
            feature_id = f"{zoom}/{where[0]}/{where[1]}/{count}"  # the same in every view
        geometry = {"type": "Point", "coordinates": where}
        features.append(
            {"type": "Feature", "id": feature_id, "properties": props, "geometry": geometry}
        )
    return features


def _break_zooms(groups, x, y, zoom: int, n: int) -> np.ndarray:
    """The zoom at which each group's members spread over more than a cell (past the
    deepest zoom: members at one place never part)."""
    span = np.zeros(n)
    for values in (x, y):
        low = np.full(n, np.inf)
        high = np.full(n, -np.inf)
        np.minimum.at(low, groups, values)
        np.maximum.at(high, groups, values)
        span = np.maximum(span, high - low)
    with np.errstate(divide="ignore"):
        needed = np.ceil(np.log2(CELL_PX / (span * TILE_PX)))
    return np.clip(np.nan_to_num(needed, posinf=MAX_ZOOM + 1), zoom + 1, MAX_ZOOM + 1)


def _colour_keys(layer: LayerDef, points: PointSet) -> list[tuple[str, list[str], np.ndarray]]:
    """(field, its declared value keys, the points' codes) of the fill and outline fields."""
    found = []
    for name, codes in ((layer.style.fill, points.fill), (layer.style.stroke, points.stroke)):
        if name:
            found.append((name, [v.key for v in layer.fields[name].values], codes))
    return found
