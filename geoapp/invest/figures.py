"""A park's land in figures, counted from its parcels, never typed in.

Per park: all parcels, then the parcels of each declared land state (occupied, available,
reserved, standard land, factory space), each as a count (宗) and an area in 亩 (and m²),
and the standard land still to be had (ready to transfer: see ``sites.READY_STAGES``). The
area is each parcel's stored ``area_mu`` (computed from its outline in its Gauss-Krüger zone
when it was imported); a parcel without one is measured from its outline here. The
ready-built factory space also sums its parcels' floor area (``floor_m2``, in m²) when the
parcels layer publishes it: an investor renting a plant compares floor, not land.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

import geopandas as gpd
import pandas as pd
from flask_babel import gettext as _

from geoapp.geo import SQUARE_METRES_PER_MU, area_mu
from geoapp.invest.sites import (
    AREA_FIELD,
    FACTORY,
    FLOOR_FIELD,
    READY_STAGES,
    STAGE_FIELD,
    STATE_FIELD,
)
from geoapp.layers import LayerDef
from geoapp.stores.base import Query, Store

TOTAL = "total"
STANDARD_READY = "standard_ready"


@dataclass(frozen=True)
class LandFigure:
    key: str  # TOTAL, a land_state value, or STANDARD_READY
    label: str
    count: int
    mu: float
    floor_m2: float | None = None  # the factory space's floor area; None for other land

    @property
    def square_metres(self) -> float:
        return self.mu * SQUARE_METRES_PER_MU


def land_figures(
    store: Store,
    parcels: LayerDef,
    standard: LayerDef | None,
    locale: str,
    park_ids: Collection[str],
) -> dict[str, list[LandFigure]]:
    """Park id → its figures (a park without parcels has zeros)."""
    floor = [FLOOR_FIELD] if FLOOR_FIELD in parcels.visible_fields("public") else []
    frame = _parcels_of(store, parcels, park_ids, [STATE_FIELD], floor)
    park = parcels.area["park"]
    states = parcels.fields[STATE_FIELD].values
    ready = _ready_standard_land(store, standard, park_ids)
    found = {}
    for park_id in park_ids:
        mine = frame[frame[park] == park_id]
        figures = [_figure(TOTAL, _("All parcels"), mine)]
        figures += [
            _figure(v.key, v.label(locale), mine[mine[STATE_FIELD] == v.key]) for v in states
        ]
        if floor:
            figures = [_with_floor(f, mine) if f.key == FACTORY else f for f in figures]
        if ready is not None:
            label = _("Standard land ready to transfer")
            figures.append(_figure(STANDARD_READY, label, ready[ready[park] == park_id]))
        found[park_id] = figures
    return found


def _parcels_of(
    store: Store,
    layer: LayerDef,
    park_ids: Collection[str],
    columns: list[str],
    numbers: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """The parcels of those parks: park, ``columns`` as text, ``numbers`` and the area in 亩."""
    park = layer.area["park"]
    wanted = (park, AREA_FIELD, *columns, *(numbers or []))
    query = Query(any_of={park: frozenset(park_ids)}, columns=wanted)
    frame = store.read(layer.table, query)
    frame[park] = frame[park].astype(object).astype(str)
    for name in columns:
        frame[name] = frame[name].astype(object).astype(str)
    missing = frame[AREA_FIELD].isna()
    if missing.any():
        frame.loc[missing, AREA_FIELD] = area_mu(frame[missing])
    return frame


def _ready_standard_land(
    store: Store, layer: LayerDef | None, park_ids: Collection[str]
) -> gpd.GeoDataFrame | None:
    if layer is None or STAGE_FIELD not in layer.fields or "park" not in layer.area:
        return None
    frame = _parcels_of(store, layer, park_ids, [STAGE_FIELD])
    return frame[frame[STAGE_FIELD].isin(READY_STAGES)]


def _figure(key: str, label: str, rows: pd.DataFrame) -> LandFigure:
    return LandFigure(key, label, len(rows), round(float(rows[AREA_FIELD].sum()), 2))


def _with_floor(figure: LandFigure, parcels: pd.DataFrame) -> LandFigure:
    """The factory figure with its floor area: the sum of the floors recorded (m²)."""
    factories = parcels.loc[parcels[STATE_FIELD] == FACTORY, FLOOR_FIELD]
    floors = pd.to_numeric(factories, errors="coerce")
    return replace(figure, floor_m2=round(float(floors.sum()), 1))
