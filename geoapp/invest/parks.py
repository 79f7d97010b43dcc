"""The parks as an investor sees them: the park layer's public fields, its land figures and
its distances, one ``ParkView`` each.

Read through the store like every page (store → GeoDataFrame → layer → page): the park layer's
public popup fields in its declared order, the county's name from the boundaries, the figures
from the parcels (``figures``), the distances from the landmarks (``landmarks``).
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from geoapp.invest.fields import FieldRow, field_rows
from geoapp.invest.figures import LandFigure, land_figures
from geoapp.invest.landmarks import Distance, distances_from, read_landmarks
from geoapp.invest.sites import PARCELS, PARKS, STANDARD_LAND, UTILITY_FIELDS, public_layer
from geoapp.layers import LayerDef
from geoapp.services import Services
from geoapp.stores.base import Query


@dataclass(frozen=True)
class ParkView:
    park_id: str
    name: str
    county_code: str | None
    county: str
    rows: list[FieldRow]  # industries, area, utilities, contact, phone, address …
    figures: list[LandFigure]
    distances: list[Distance]
    geometry: BaseGeometry

    def figure(self, key: str) -> LandFigure | None:
        return next((f for f in self.figures if f.key == key), None)

    def row(self, name: str) -> FieldRow | None:
        return next((r for r in self.rows if r.name == name), None)

    @property
    def utility_rows(self) -> list[FieldRow]:
        """Power, water, gas and steam: what a card shows at once (a plant needs them)."""
        return [r for r in self.rows if r.name in UTILITY_FIELDS]


def park_views(svc: Services, locale: str, park_id: str | None = None) -> list[ParkView]:
    """Every park (or the one asked), by county code (so a province's parks stay together),
    then name; [] when parks are not public."""
    layers = svc.layers_for("public")
    parks, parcels = public_layer(layers, PARKS), public_layer(layers, PARCELS)
    if parks is None or parcels is None:
        return []
    any_of = {parks.id_field: frozenset([park_id])} if park_id is not None else {}
    columns = tuple(dict.fromkeys([parks.id_field, *parks.visible_fields("public")]))
    frame = svc.store.read(parks.table, Query(any_of=any_of, columns=columns))
    ids = [str(i) for i in frame[parks.id_field]]
    figures = land_figures(svc.store, parcels, public_layer(layers, STANDARD_LAND), locale, ids)
    landmarks = read_landmarks(svc.store)
    views = [
        _view(parks, row, figures[pid], landmarks, svc, locale)
        for pid, (_, row) in zip(ids, frame.iterrows(), strict=True)
    ]
    return sorted(views, key=lambda v: (v.county_code or "", v.name))


def _view(parks: LayerDef, row, figures, landmarks, svc: Services, locale: str) -> ParkView:
    county_field = parks.area.get("county")
    county = str(row[county_field]) if county_field else None
    shown = [n for n in parks.popup if n not in (parks.id_field, parks.label_field)]
    return ParkView(
        park_id=str(row[parks.id_field]),
        name=str(row[parks.label_field or parks.id_field]),
        county_code=county,
        county=svc.areas().name_of(county) or "",
        rows=field_rows(parks, row, shown, locale),
        figures=figures,
        distances=distances_from(row.geometry.representative_point(), county, landmarks),
        geometry=row.geometry,
    )
