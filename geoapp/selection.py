"""One filtered selection: per layer its extent, its mode, and (when inline) its features.

The map page and the API both go through ``select``, so they can never disagree. Layers whose
match count is above their declared ``tiles_above`` are not read at all: the browser fetches
them as tiles or compact points, and the page stays the same size whatever the data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd

from geoapp.layers import LayerDef
from geoapp.query import MapFilter
from geoapp.stores.base import BBox, Extent, Store


@dataclass(frozen=True)
class LayerView:
    layer: LayerDef
    extent: Extent
    mode: str  # inline | tiles | points
    frame: gpd.GeoDataFrame | None  # the features, when inline


@dataclass(frozen=True)
class Summary:
    layer: LayerDef
    count: int
    sums: dict[str, float]


@dataclass(frozen=True)
class Selection:
    views: dict[str, LayerView]
    summaries: list[Summary]
    bounds: BBox | None

    def count(self, layer_id: str) -> int:
        return self.views[layer_id].extent.count


def select(store: Store, layers: list[LayerDef], flt: MapFilter, audience: str) -> Selection:
    views = {layer.id: _view(store, layer, flt, audience) for layer in layers}
    summaries = [
        Summary(lyr, views[lyr.id].extent.count, dict(views[lyr.id].extent.sums))
        for lyr in layers
        if lyr.summary
    ]
    return Selection(views, summaries, _fit_bounds(layers, views, flt))


def _view(store: Store, layer: LayerDef, flt: MapFilter, audience: str) -> LayerView:
    extent = store.extent(layer.table, flt.query_for(layer), tuple(layer.summary))
    mode = layer.mode(extent.count)
    frame = None
    if mode == "inline":
        columns = list(dict.fromkeys([*layer.wire_fields(audience), *layer.area.values()]))
        frame = store.read(layer.table, flt.query_for(layer, columns))
    return LayerView(layer, extent, mode, frame)


def _fit_bounds(layers: list[LayerDef], views: dict[str, LayerView], flt: MapFilter):
    """Fit what the filter narrows: all layers without a filter, else the layers it narrows."""
    narrowed = [views[lyr.id].extent.bbox for lyr in layers if flt.applies_fully(lyr)]
    return _union([b for b in narrowed if b]) or _union(
        [v.extent.bbox for v in views.values() if v.extent.bbox]
    )


def _union(boxes: list[BBox]) -> BBox | None:
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def class_counts(store: Store, layer: LayerDef, flt: MapFilter) -> dict[str, dict[str, int]]:
    """How many features of the filter have each value of the layer's colouring fields (the
    legend's counts); only those columns are read."""
    names = [n for n in dict.fromkeys((layer.style.fill, layer.style.stroke)) if n]
    if not names:
        return {}
    frame = store.read(layer.table, flt.query_for(layer, names))
    # counted on the column as stored (categorical: fast) and only then named as text
    return {n: {str(k): int(v) for k, v in frame[n].value_counts().items() if v} for n in names}


MAX_ROWS = 200  # rows in the side panel's results list; the export has all of them


def result_rows(store: Store, layer: LayerDef, flt: MapFilter) -> gpd.GeoDataFrame:
    """The first rows of a layer's selection for its results list, with a point to zoom to."""
    frame = store.read(layer.table, replace(flt.query_for(layer, layer.results), limit=MAX_ROWS))
    points = frame.geometry.representative_point()
    return frame.assign(_lon=points.x, _lat=points.y)
