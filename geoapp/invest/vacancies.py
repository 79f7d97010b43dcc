"""Sites an investor can have: available parcels, ready-built factory space (标准化厂房, to rent
or buy: every ``factory`` parcel is on offer) and standard land ready to transfer.

A ``Site`` is one row of a site layer (parcels or standard land) as the pages show it: its
kind with the declared label and colour, its area in 亩 and m², and its public detail fields
in the layer's popup order — land use and reserve price of a parcel, the supply stage and the
control indicators (投资强度, 亩均税收 …) of standard land. Fields the layer does not declare
public are never read. A parcel recorded as standard land is shown once, from the standard
land layer, which carries its indicators. Floor area, rent and sale price are a factory
parcel's; other parcels do not list them (they would only say "—").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from geoapp.geo import SQUARE_METRES_PER_MU
from geoapp.invest.fields import FieldRow, field_rows
from geoapp.invest.sites import (
    AREA_FIELD,
    FACTORY,
    FACTORY_FIELDS,
    ON_OFFER,
    PARCELS,
    READY_STAGES,
    SITE_LAYERS,
    STAGE_FIELD,
    STANDARD_LAND,
    STATE_FIELD,
    kind_of,
    public_layer,
)
from geoapp.layers import LayerDef
from geoapp.services import Services
from geoapp.stores.base import Query

MAX_SITES = 2000  # on one page; beyond, the page says so and offers the parks one by one


@dataclass(frozen=True)
class Site:
    layer: LayerDef
    key: str
    title: str
    kind: str  # a land_state value: available, standard_land …
    kind_label: str
    color: str
    park_id: str | None
    county_code: str | None
    area_mu: float | None
    rows: list[FieldRow]
    geometry: BaseGeometry

    @property
    def square_metres(self) -> float | None:
        return None if self.area_mu is None else self.area_mu * SQUARE_METRES_PER_MU

    @property
    def factory_rows(self) -> list[FieldRow]:
        """Floor area, rent and sale price (a factory parcel's; [] for other land)."""
        return [r for r in self.rows if r.name in FACTORY_FIELDS]


Wanted = list[tuple[LayerDef, dict[str, frozenset]]]  # a layer and the values its rows need


def vacant_sites(svc: Services, locale: str, park_id: str | None = None) -> tuple[list[Site], int]:
    """The vacant sites of one park (or of all), at most ``MAX_SITES``, and how many exist."""
    layers = svc.layers_for("public")
    parcels = public_layer(layers, PARCELS)
    if parcels is None:
        return [], 0
    wanted: Wanted = [(parcels, {STATE_FIELD: frozenset(ON_OFFER)})]
    standard = public_layer(layers, STANDARD_LAND)
    if standard is not None:
        wanted.append((standard, {STAGE_FIELD: frozenset(READY_STAGES)}))
    return _read_sites(svc, parcels, wanted, locale, park_id)


def factory_sites(svc: Services, locale: str, park_id: str | None = None) -> tuple[list[Site], int]:
    """The ready-built factory space of one park (or of all), at most ``MAX_SITES``, and how
    many exist."""
    parcels = public_layer(svc.layers_for("public"), PARCELS)
    if parcels is None:
        return [], 0
    wanted: Wanted = [(parcels, {STATE_FIELD: frozenset([FACTORY])})]
    return _read_sites(svc, parcels, wanted, locale, park_id)


def _read_sites(
    svc: Services, parcels: LayerDef, wanted: Wanted, locale: str, park_id: str | None
) -> tuple[list[Site], int]:
    sites, total = [], 0
    for layer, test in wanted:
        if park_id is not None:
            test = {**test, layer.area["park"]: frozenset([park_id])}
        query = Query(any_of=test, columns=_columns(layer))
        total += svc.store.extent(layer.table, query).count
        left = MAX_SITES - len(sites)
        if left > 0:
            frame = svc.store.read(layer.table, replace(query, limit=left))
            sites += _sites(layer, parcels, frame, locale)
    return sites, total


def find_site(svc: Services, layer_id: str, key: str, locale: str) -> Site | None:
    """One parcel or standard-land parcel by its id, whatever its state; None if unknown."""
    layers = svc.layers_for("public")
    parcels = public_layer(layers, PARCELS)
    layer = public_layer(layers, layer_id) if layer_id in SITE_LAYERS else None
    if layer is None or parcels is None:
        return None
    query = Query(any_of={layer.id_field: frozenset([key])}, columns=_columns(layer))
    found = _sites(layer, parcels, svc.store.read(layer.table, query), locale)
    return found[0] if found else None


def _columns(layer: LayerDef) -> tuple[str, ...]:
    wanted = [layer.id_field, layer.label_field, STATE_FIELD, AREA_FIELD, *layer.area.values()]
    public = layer.visible_fields("public")
    return tuple(n for n in dict.fromkeys([*wanted, *layer.popup]) if n and n in public)


def detail_names(layer: LayerDef) -> list[str]:
    """The popup fields a site's table lists (its id, name, kind, area and area codes aside)."""
    shown = {layer.id_field, layer.label_field, STATE_FIELD, AREA_FIELD, *layer.area.values()}
    return [n for n in layer.popup if n not in shown]


def _sites(layer: LayerDef, parcels: LayerDef, frame: gpd.GeoDataFrame, locale: str) -> list[Site]:
    details = detail_names(layer)
    not_factory = [n for n in details if n not in FACTORY_FIELDS]
    park, county = layer.area.get("park"), layer.area.get("county")
    sites = []
    for _, row in frame.iterrows():
        kind = STANDARD_LAND if layer.id == STANDARD_LAND else str(row.get(STATE_FIELD))
        value = kind_of(parcels, kind)
        key = str(row[layer.id_field])
        area = row.get(AREA_FIELD)
        sites.append(
            Site(
                layer=layer,
                key=key,
                title=str(row[layer.label_field]) if layer.label_field else key,
                kind=kind,
                kind_label=value.label(locale) if value else kind,
                color=(value.color if value else None) or layer.style.fill_color,
                park_id=_text(row.get(park)) if park else None,
                county_code=_text(row.get(county)) if county else None,
                area_mu=None if area is None or area != area else float(area),
                rows=field_rows(layer, row, details if kind == FACTORY else not_factory, locale),
                geometry=row.geometry,
            )
        )
    return sites


def _text(value) -> str | None:
    return None if value is None or value != value else str(value)
