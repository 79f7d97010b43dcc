"""A table held in memory with what makes queries on a million rows fast.

- an STRtree (shapely) for bbox queries, shared by the snapshots that writes patch in;
- each feature's bounds as one numpy array, for extents without touching geometries;
- low-cardinality text columns as pandas categoricals, so an ``isin`` compares small
  integer codes (11 ms instead of 85 ms on a million rows);
- a small cache of attribute masks, so every tile of one filtered view reuses one mask.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from geoapp.stores.base import Bound, Extent, Query

MASK_CACHE_SIZE = 32
MASKS_CARRIED = 8  # the most recently used masks are updated through a write, not dropped
REBUILD_MIN = 5000  # rows moved or deleted since the tree was built, before a fresh build
REBUILD_SHARE = 0.05
POSITIONS_CACHE_SIZE = 16  # a page's count and rows ask for the same positions twice
CATEGORY_MAX_SHARE = 0.05  # a text column becomes categorical when ≤ 5 % of values are distinct


class FrameIndex:
    """One table's rows (index = feature id) and the indexes that answer a ``Query``.

    An index is never changed once built: ``patched`` returns a new one that shares the
    STRtree and every unchanged column, so a request that is reading keeps a consistent
    snapshot while a write lands. Rows whose geometry changed after the tree was built are
    kept in ``extra`` and always tested; deleted rows are masked out by ``alive``. When those
    grow past ``REBUILD_SHARE`` of the table, the next patch builds a fresh, compact index.
    """

    def __init__(self, frame: gpd.GeoDataFrame):
        self.frame = _with_categories(frame)
        self.bounds = shapely.bounds(self.frame.geometry.values)
        self.tree = shapely.STRtree(self.frame.geometry.values)
        self.alive: np.ndarray | None = None  # None: every row is alive
        self.extra = np.empty(0, dtype=np.intp)
        self._caches()

    def _caches(self) -> None:
        self._masks: OrderedDict[tuple, tuple[Query, np.ndarray]] = OrderedDict()
        self._positions: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def patched(self, rows: gpd.GeoDataFrame, gone: Collection[int]) -> FrameIndex:
        """A new index with ``rows`` (indexed by feature id) updated or added and the feature
        ids in ``gone`` removed; this one is left as it was. Arrays that do not change (the
        bounds when no geometry moved, the live-row mask when nothing was deleted) are shared,
        so a one-row edit of a million-row table copies only the columns it changed."""
        if list(rows.columns) != list(self.frame.columns):
            rows = rows.reindex(columns=self.frame.columns)
        at = self.frame.index.get_indexer(rows.index)
        old = at >= 0
        shapes = rows.geometry.values[old]
        moved = at[old][~shapely.equals_exact(self.frame.geometry.values[at[old]], shapes, 0)]
        frame = _set_rows(self.frame, at[old], rows[old], geometry_changed=len(moved) > 0)
        bounds = self.bounds
        if len(moved):
            bounds = bounds.copy()
            bounds[at[old]] = shapely.bounds(shapes)
        alive = self._alive_after(at[old], gone)
        added = rows[~old]
        if len(added):
            frame = _append(frame, added)
            bounds = np.vstack([bounds, shapely.bounds(added.geometry.values)])
            if alive is not None:
                alive = np.concatenate([alive, np.ones(len(added), dtype=bool)])
            moved = np.concatenate([moved, np.arange(len(self.frame), len(frame))])
        extra = np.union1d(self.extra, moved).astype(np.intp)
        dead = 0 if alive is None else int((~alive).sum())
        if len(extra) + dead > max(REBUILD_MIN, REBUILD_SHARE * len(frame)):
            return FrameIndex(frame if alive is None else frame[alive])
        index = self._sharing_tree(frame, bounds, alive, extra)
        gone_at = self.frame.index.get_indexer(list(gone))
        changed = np.concatenate(
            [at[old], gone_at[gone_at >= 0], np.arange(len(self.frame), len(frame))]
        )
        index._carry_masks(self, np.unique(changed).astype(np.intp))
        return index

    def _alive_after(self, updated: np.ndarray, gone: Collection[int]) -> np.ndarray | None:
        """The live-row mask after a patch (None: every row alive, no array needed)."""
        gone_at = self.frame.index.get_indexer(list(gone))
        gone_at = gone_at[gone_at >= 0]
        if self.alive is None and not len(gone_at):
            return None
        alive = np.ones(len(self.frame), dtype=bool) if self.alive is None else self.alive.copy()
        alive[updated] = True
        alive[gone_at] = False
        return alive

    def _sharing_tree(self, frame, bounds, alive, extra) -> FrameIndex:
        index = FrameIndex.__new__(FrameIndex)
        index.frame, index.bounds, index.tree = frame, bounds, self.tree
        index.alive = None if alive is None or alive.all() else alive
        index.extra = extra
        index._caches()
        return index

    def positions(self, query: Query) -> np.ndarray:
        """Row positions matching ``query``, in stored order.

        Areas (bbox, shape) go through the STRtree; attribute tests through a cached mask,
        so panning a map or paging through a bbox reuses the attribute work.
        """
        if query.ids is not None:  # a feature by id: looked up, not scanned or cached
            return self._find(query)
        key = (query.attribute_key(), query.bbox, query.shape.wkb if query.shape else None)
        with self._lock:
            if key in self._positions:
                self._positions.move_to_end(key)
                return self._positions[key]
        found = self._find(query)
        with self._lock:
            self._positions[key] = found
            if len(self._positions) > POSITIONS_CACHE_SIZE:
                self._positions.popitem(last=False)
        return found

    def _find(self, query: Query) -> np.ndarray:
        mask = self._mask(replace(query, ids=None))
        areas = [a for a in (box(*query.bbox) if query.bbox else None, query.shape) if a]
        if query.ids is not None:
            hits = self.frame.index.get_indexer(list(query.ids))
            hits = np.sort(hits[hits >= 0])
        elif not areas:
            return np.flatnonzero(mask)
        else:
            hits = self._candidates(areas[0])
        hits = hits[mask[hits]]
        for area in areas:
            hits = self._intersecting(hits, area)
        return hits

    def _candidates(self, area) -> np.ndarray:
        """Sorted positions whose bounding boxes may overlap ``area``: the tree's, and every
        row added or moved since the tree was built (marked in one boolean array: sorting
        or a hash-based union of half a million hits would cost 50–100× more)."""
        hits = self.tree.query(area)
        if not len(self.extra):
            return np.sort(hits)
        marked = np.zeros(len(self.frame), dtype=bool)
        marked[hits] = True
        marked[self.extra] = True
        return np.flatnonzero(marked)

    def _intersecting(self, candidates: np.ndarray, area) -> np.ndarray:
        """Candidates that really intersect ``area``; exact tests only where bounds can't tell.

        A feature whose bounds lie inside a rectangle intersects it, so for a bbox only the
        features across its edge are tested against their geometry.
        """
        b = self.bounds[candidates]
        minx, miny, maxx, maxy = area.bounds
        overlaps = (b[:, 0] <= maxx) & (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny)
        candidates, b = candidates[overlaps], b[overlaps]
        inside = np.zeros(len(candidates), dtype=bool)
        if area.equals(box(minx, miny, maxx, maxy)):
            inside = (b[:, 0] >= minx) & (b[:, 2] <= maxx) & (b[:, 1] >= miny) & (b[:, 3] <= maxy)
        unsure = candidates[~inside]
        shapely.prepare(area)
        sure = shapely.intersects(area, self.frame.geometry.values[unsure])
        return np.sort(np.concatenate([candidates[inside], unsure[sure]]))

    def take(self, positions: np.ndarray, columns: tuple[str, ...] | None) -> gpd.GeoDataFrame:
        geometry = self.frame.geometry.name
        names = list(self.frame.columns) if columns is None else [*columns, geometry]
        return self.frame[names].take(positions)

    def extent(self, query: Query, sums: tuple[str, ...] = ()) -> Extent:
        positions = self.positions(query)
        totals = {name: float(self.frame[name].iloc[positions].sum()) for name in sums}
        b = self.bounds[positions]
        if np.isnan(b[:, 0]).all():  # no row, or no row with a geometry (an accounts table)
            return Extent(len(positions), None, totals)
        return Extent(
            len(positions),
            (
                float(np.nanmin(b[:, 0])),
                float(np.nanmin(b[:, 1])),
                float(np.nanmax(b[:, 2])),
                float(np.nanmax(b[:, 3])),
            ),
            totals,
        )

    def _mask(self, query: Query) -> np.ndarray:
        key = query.attribute_key()
        with self._lock:
            if key in self._masks:
                self._masks.move_to_end(key)
                return self._masks[key][1]
        mask = self._compute_mask(query)
        with self._lock:
            self._masks[key] = (query, mask)
            if len(self._masks) > MASK_CACHE_SIZE:
                self._masks.popitem(last=False)
        return mask

    def _compute_mask(self, query: Query) -> np.ndarray:
        mask = _attribute_mask(query, self.frame)
        if self.alive is not None:
            mask &= self.alive
        return mask

    def _carry_masks(self, old: FrameIndex, changed: np.ndarray) -> None:
        """The newest masks of ``old``, brought up to date at the changed positions only:
        after a write, the filters people are using need not be computed again in full."""
        for key, (query, mask) in list(old._masks.items())[-MASKS_CARRIED:]:
            mask = np.concatenate([mask, np.zeros(len(self.frame) - len(mask), dtype=bool)])
            if len(changed):
                fresh = _attribute_mask(query, self.frame.iloc[changed])
                if self.alive is not None:
                    fresh &= self.alive[changed]
                mask[changed] = fresh
            self._masks[key] = (query, mask)


def _attribute_mask(query: Query, frame: gpd.GeoDataFrame) -> np.ndarray:
    """One boolean per row of ``frame``: its attribute tests (not areas, not deletions)."""
    mask = np.ones(len(frame), dtype=bool)
    for column, allowed in query.any_of.items():
        mask &= _matches(frame[column], lambda values, allowed=allowed: values.isin(allowed))
    for column, prefix in query.prefix.items():
        starts = (prefix,) if isinstance(prefix, str) else prefix
        mask &= _matches(frame[column], lambda values, starts=starts: values.str.startswith(starts))
    for column, (low, high) in query.ranges.items():
        mask &= _in_range(frame[column], low, high)
    if query.contains is not None:
        columns, text = query.contains
        found = np.zeros(len(frame), dtype=bool)
        for column in columns:
            found |= _matches(
                frame[column], lambda values: values.str.contains(text, case=False, regex=False)
            )
        mask &= found
    if query.where is not None:
        mask &= query.where.mask(frame)
    return mask


def _in_range(column: pd.Series, low: Bound, high: Bound) -> np.ndarray:
    """Inclusive range test on numbers or dates; missing values never match."""
    if pd.api.types.is_datetime64_any_dtype(column):
        low = pd.Timestamp(low) if low is not None else None
        high = pd.Timestamp(high) if high is not None else None
    result = column.notna().to_numpy(dtype=bool, copy=True)
    if low is not None:
        result &= (column >= low).fillna(False).to_numpy(dtype=bool)
    if high is not None:
        result &= (column <= high).fillna(False).to_numpy(dtype=bool)
    return result


def _matches(column: pd.Series, test) -> np.ndarray:
    """``test`` applied to text values; on a categorical only to its categories."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = pd.Series(column.cat.categories.astype(str))
        good = np.flatnonzero(test(categories).fillna(False).to_numpy(dtype=bool))
        return np.isin(column.cat.codes.to_numpy(), good)
    return test(column.astype("string")).fillna(False).to_numpy(dtype=bool)


def _with_categories(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.copy()
    limit = max(1, int(len(frame) * CATEGORY_MAX_SHARE))
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        values = frame[column]
        if pd.api.types.is_string_dtype(values) and values.nunique() <= limit:
            frame[column] = values.astype("category")
    return frame


def _set_rows(
    frame: gpd.GeoDataFrame, at: np.ndarray, rows: gpd.GeoDataFrame, *, geometry_changed: bool
) -> gpd.GeoDataFrame:
    """A shallow copy of ``frame`` with the rows at positions ``at`` replaced; only the
    columns whose values change are copied."""
    result = frame.copy(deep=False)
    if not len(at):
        return result
    geometry = frame.geometry.name
    for column in frame.columns:
        new = rows[column]
        if column == geometry:
            if not geometry_changed:
                continue
            values = frame.geometry.values.copy()
            values[at] = new.values
            result[column] = gpd.GeoSeries(values, index=frame.index, crs=frame.crs)
            continue
        current = frame[column]
        stored = pd.Series(current.iloc[at].to_numpy(dtype=object))
        if stored.equals(pd.Series(new.to_numpy(dtype=object))):  # the values, not the dtypes
            continue
        result[column] = _with_values(current, at, new)
    return result


def _with_values(column: pd.Series, at: np.ndarray, new: pd.Series) -> pd.Series:
    column = column.copy()
    if isinstance(column.dtype, pd.CategoricalDtype):
        fresh = set(new.dropna().astype(str)) - set(column.cat.categories.astype(str))
        if fresh:
            column = column.cat.add_categories(sorted(fresh))
        new = new.astype(object).where(new.notna(), None)
    column.iloc[at] = new.to_numpy()
    return column


def _append(frame: gpd.GeoDataFrame, rows: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``rows`` after ``frame``; categorical columns take the union of both categories."""
    rows = rows.copy()
    frame = frame.copy(deep=False)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            fresh = set(rows[column].dropna().astype(str)) - set(
                frame[column].cat.categories.astype(str)
            )
            if fresh:
                frame[column] = frame[column].cat.add_categories(sorted(fresh))
            rows[column] = pd.Categorical(
                rows[column].astype(object).where(rows[column].notna(), None),
                categories=frame[column].cat.categories,
            )
    joined = pd.concat([frame, rows])
    return gpd.GeoDataFrame(joined, geometry=frame.geometry.name, crs=frame.crs)
