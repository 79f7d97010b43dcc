"""One filtered selection: the layers' GeoDataFrames for a MapFilter, plus count and sums.

The map page and the API both go through ``select``, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from geoapp.layers import LayerDef
from geoapp.query import MapFilter
from geoapp.render import features_bounds, wire_fields
from geoapp.stores.base import Store


@dataclass(frozen=True)
class Summary:
    layer: LayerDef
    count: int
    sums: dict[str, float]


@dataclass(frozen=True)
class Selection:
    frames: dict[str, gpd.GeoDataFrame]
    summaries: list[Summary]
    bounds: tuple[float, float, float, float] | None

    def count(self, layer_id: str) -> int:
        return len(self.frames[layer_id])


def select(store: Store, layers: list[LayerDef], flt: MapFilter, audience: str) -> Selection:
    frames = {}
    for layer in layers:
        columns = list(
            dict.fromkeys([*wire_fields(layer, audience), *layer.summary, *layer.area.values()])
        )
        frames[layer.id] = store.read(layer.table, flt.query_for(layer, columns))
    summaries = [
        Summary(
            layer,
            len(frames[layer.id]),
            {name: float(frames[layer.id][name].sum()) for name in layer.summary},
        )
        for layer in layers
        if layer.summary
    ]
    return Selection(frames, summaries, _fit_bounds(layers, frames, flt))


def _fit_bounds(layers: list[LayerDef], frames: dict[str, gpd.GeoDataFrame], flt: MapFilter):
    """Fit what the filter narrows: all layers without a filter, else the layers it narrows."""
    fitted = [frames[lyr.id] for lyr in layers if flt.applies_fully(lyr)]
    return features_bounds(fitted) or features_bounds(frames.values())
