"""Uniform random points inside polygons, vectorised: the province-scale demo places parks,
projects and landmarks with it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def random_points_in(polygons: gpd.GeoSeries, owner: np.ndarray, rng: np.random.Generator):
    """One uniform point inside ``polygons[owner[i]]`` for every i, by vectorised rejection."""
    points = np.empty(len(owner), dtype=object)
    todo = np.arange(len(owner))
    bounds = polygons.bounds.to_numpy()
    shapely.prepare(polygons.values)
    while len(todo):
        b = bounds[owner[todo]]
        xs, ys = rng.uniform(b[:, 0], b[:, 2]), rng.uniform(b[:, 1], b[:, 3])
        candidates = shapely.points(xs, ys)
        inside = shapely.contains(polygons.values[owner[todo]], candidates)
        points[todo[inside]] = candidates[inside]
        todo = todo[~inside]
    return points
