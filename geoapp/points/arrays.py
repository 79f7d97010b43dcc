"""A point layer's matching features as plain arrays: where, which, and their colour classes.

The one reading behind ``points.bin`` (every point, for the browser's cluster index) and the
server's clusters of one view (``geoapp.points.clusters``): both must show the same points, in the
same coordinates (GCJ-02 when the basemap needs it), with the same colour codes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from geoapp.basemaps import shifts_to_gcj02
from geoapp.coords import geometries_wgs84_to_gcj02
from geoapp.layers import LayerDef
from geoapp.query import MapFilter
from geoapp.stores.base import BBox

if TYPE_CHECKING:
    from geoapp.services import Services

NO_VALUE = 255  # a colour code for "no value"


@dataclass(frozen=True)
class PointSet:
    lon: np.ndarray  # float64
    lat: np.ndarray
    ids: np.ndarray  # int64, the features' ids
    fill: np.ndarray  # uint8: index into the fill field's declared values (NO_VALUE: none)
    stroke: np.ndarray  # uint8, the same for the outline field

    def __len__(self) -> int:
        return len(self.ids)

    def to_bin(self) -> bytes:
        """Little-endian: uint32 n; float32 lon[n]; float32 lat[n]; int32 id[n]; uint8
        fill[n]; uint8 stroke[n] (the layout cluster-worker.js decodes)."""
        return b"".join(
            [
                np.array([len(self)], dtype="<u4").tobytes(),
                self.lon.astype("<f4").tobytes(),
                self.lat.astype("<f4").tobytes(),
                self.ids.astype("<i4").tobytes(),
                self.fill.tobytes(),
                self.stroke.tobytes(),
            ]
        )


def read_points(
    svc: Services, layer: LayerDef, flt: MapFilter, audience: str, bbox: BBox | None = None
) -> PointSet:
    """The points of ``layer`` matching ``flt`` (and lying in ``bbox``, if given: in the
    stored coordinates, so a GCJ-02 view box is off by its few hundred metres, well inside the
    padding views are asked with)."""
    fields = layer.tile_fields(audience)
    query = flt.query_for(layer, fields)
    if bbox is not None:  # a filter's own bbox is a shape (``MapFilter.area``): both apply
        query = replace(query, bbox=bbox)
    frame = svc.store.read(layer.table, query)
    geoms = frame.geometry.values
    if shifts_to_gcj02(svc.config):
        geoms = geometries_wgs84_to_gcj02(geoms)
    return PointSet(
        lon=shapely.get_x(geoms),
        lat=shapely.get_y(geoms),
        ids=frame.index.to_numpy().astype(np.int64),
        fill=_value_codes(layer, layer.style.fill, frame, fields),
        stroke=_value_codes(layer, layer.style.stroke, frame, fields),
    )


def _value_codes(layer: LayerDef, name: str | None, frame, fields: list[str]) -> np.ndarray:
    """Each row's value of field ``name`` as its index among the declared values."""
    if not name or name not in fields:
        return np.full(len(frame), NO_VALUE, dtype=np.uint8)
    lookup = {v.key: i for i, v in enumerate(layer.fields[name].values)}
    column = frame[name]
    if isinstance(column.dtype, pd.CategoricalDtype):  # as the store keeps them: by category
        named = [lookup.get(str(c), NO_VALUE) for c in column.cat.categories]
        return np.array([*named, NO_VALUE], dtype=np.uint8)[column.cat.codes.to_numpy()]
    codes = column.astype("string").map(lookup)
    return codes.fillna(NO_VALUE).to_numpy(dtype=np.uint8)
