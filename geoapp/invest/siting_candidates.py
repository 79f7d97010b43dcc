"""The sites a siting search ranks, as one table of numbers built once per version of the data.

Every site an investor could have — available parcels, standard land ready to transfer and
ready-built factory space — with what the requirements are checked against: its own public
fields (area, price, floor area, rent, land use, the standard-land indicators), its park's
(leading industries, power, gas, steam, water) and its distances to the nearest landmark of each
kind (geodesic km, ``landmarks.nearest_landmarks``). Building it reads the store and measures
distances (seconds at province scale); ranking it is then arithmetic on columns, so it is kept by
``Services.built`` until one of the tables it comes from changes. Only public fields are read.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.geo import area_mu
from geoapp.invest.landmarks import KINDS, LANDMARKS_TABLE, nearest_landmarks, read_landmarks
from geoapp.invest.site_table import SiteTable, site_table
from geoapp.invest.sites import (
    AREA_FIELD,
    INDUSTRIES,
    PARCELS,
    PARKS,
    READY_STAGES,
    STAGE_FIELD,
    STANDARD_LAND,
    STATE_FIELD,
    public_layer,
)
from geoapp.layers import LayerDef
from geoapp.services import Services
from geoapp.stores.base import Query

FACTORY = "factory"
PARCEL_KINDS = ("available", FACTORY)  # a parcel recorded as standard land comes from its layer
# candidate column ← the site layer's field (read when the layer declares it public)
SITE_FIELDS = {
    "area_mu": AREA_FIELD,
    "floor_m2": "floor_m2",
    "price": "price_wan_per_mu",
    "rent": "rent_yuan_m2_month",
    "land_use": "land_use",
    "intensity": "invest_intensity",
    "tax_per_mu": "tax_per_mu",
}
PARK_FIELDS = {  # candidate column ← the park layer's field
    "park_name": "name",
    "industries": INDUSTRIES,
    "power_kva": "power_kva",
    "gas": "gas",
    "steam": "steam",
    "water": "water_t_day",
}
TEXT_COLUMNS = ("land_use", "park_name", "industries")
SITE_COLUMNS = ("layer", "key", "title", "kind", "park_id", "county_code")


@dataclass(frozen=True)
class Candidates:
    """The sites on offer: land (available parcels, standard land) and factory space."""

    land: SiteTable
    factory: SiteTable
    industries: tuple[str, ...] = ()  # what the form offers: parks' industries, land uses

    def of_kind(self, kind: str) -> SiteTable:
        return self.factory if kind == FACTORY else self.land


def candidates(svc: Services) -> Candidates:
    """The sites of the current data, built once per version of the tables they come from."""
    tables = [
        layer.table
        for layer in svc.layers_for("public")
        if layer.id in (PARCELS, STANDARD_LAND, PARKS)
    ]
    return svc.built("siting", [*tables, LANDMARKS_TABLE], lambda: build_candidates(svc))


def build_candidates(svc: Services) -> Candidates:
    layers = svc.layers_for("public")
    parts = []
    parcels = public_layer(layers, PARCELS)
    if parcels is not None:
        parts.append(_sites(svc, parcels, {STATE_FIELD: frozenset(PARCEL_KINDS)}, STATE_FIELD))
    standard = public_layer(layers, STANDARD_LAND)
    if standard is not None:
        parts.append(_sites(svc, standard, {STAGE_FIELD: frozenset(READY_STAGES)}, None))
    frame = pd.concat(parts or [_no_sites()], ignore_index=True)
    outlines = gpd.GeoSeries(frame.pop("geometry").to_numpy(), crs=4326)
    frame = _with_parks(svc, frame, layers)
    frame = _with_distances(svc, frame, outlines)
    factory = (frame["kind"] == FACTORY).to_numpy()
    tables = [
        site_table(frame[mask].reset_index(drop=True), outlines.to_numpy()[mask], industry_names)
        for mask in (~factory, factory)
    ]
    return Candidates(*tables, _industries(frame))


def _industries(frame: pd.DataFrame) -> tuple[str, ...]:
    """Every industry a park names and every land use, the most common first."""
    counts: dict[str, int] = {}
    for text in frame.drop_duplicates("park_id")["industries"]:
        for name in industry_names(text):
            counts[name] = counts.get(name, 0) + 1
    for name in frame["land_use"].unique():
        if name:
            counts.setdefault(str(name), 0)
    return tuple(sorted(counts, key=lambda name: (-counts[name], name)))


def industry_names(text: str | float) -> set[str]:
    """``装备制造、新材料`` → {装备制造, 新材料}: the items of a park's industries field."""
    if not isinstance(text, str):
        return set()
    for mark in "，,；;/／ ":
        text = text.replace(mark, "、")
    return {item.strip() for item in text.split("、") if item.strip()}


def _sites(svc: Services, layer: LayerDef, test: dict, kind_field: str | None) -> pd.DataFrame:
    public = set(layer.visible_fields("public"))
    park, county = layer.area.get("park"), layer.area.get("county")
    wanted = [layer.id_field, layer.label_field, kind_field, park, county, *SITE_FIELDS.values()]
    columns = tuple(dict.fromkeys(n for n in wanted if n and n in public))
    rows = svc.store.read(layer.table, Query(any_of=test, columns=columns))
    frame = pd.DataFrame(
        {
            "layer": layer.id,
            "key": rows[layer.id_field].astype(str).to_numpy(),
            "title": _text(rows, layer.label_field or layer.id_field),
            "kind": _text(rows, kind_field) if kind_field else STANDARD_LAND,
            "park_id": _text(rows, park),
            "county_code": _text(rows, county),
        }
    )
    for column, name in SITE_FIELDS.items():
        if column in TEXT_COLUMNS:
            frame[column] = _text(rows, name if name in columns else None)
        else:
            frame[column] = _number(rows, name if name in columns else None)
    missing = np.isnan(frame["area_mu"].to_numpy())
    if missing.any():  # not stored: measured from the outline, as the park figures do
        frame.loc[missing, "area_mu"] = np.asarray(area_mu(rows[missing]))
    frame["geometry"] = rows.geometry.to_numpy()
    return frame


def _no_sites() -> pd.DataFrame:
    """What ``_sites`` gives when no layer offers any: the same columns, no rows."""
    columns = {name: pd.Series(dtype=object) for name in (*SITE_COLUMNS, "geometry")}
    for column in SITE_FIELDS:
        columns[column] = pd.Series(dtype=object if column in TEXT_COLUMNS else float)
    return pd.DataFrame(columns)


def _with_parks(svc: Services, frame: pd.DataFrame, layers: list[LayerDef]) -> pd.DataFrame:
    """Each site with its park's public name, industries and utilities."""
    parks = public_layer(layers, PARKS)
    names = [n for n in PARK_FIELDS.values() if parks and n in parks.visible_fields("public")]
    if parks is None:
        park_rows = pd.DataFrame({"park_id": pd.Series(dtype=object)})
    else:
        read = svc.store.read(parks.table, Query(columns=(parks.id_field, *names)))
        park_rows = pd.DataFrame({"park_id": read[parks.id_field].astype(str).to_numpy()})
        for column, name in PARK_FIELDS.items():
            numeric = column in ("power_kva", "water")
            present = name if name in names else None
            park_rows[column] = (_number if numeric else _text)(read, present)
    for flag in ("gas", "steam"):
        if flag in park_rows:
            park_rows[flag] = park_rows[flag].map({"yes": 1.0, "no": 0.0})
    joined = frame.merge(park_rows, on="park_id", how="left")
    for column in PARK_FIELDS:
        if column not in joined:
            joined[column] = np.nan
    return joined


def _with_distances(svc: Services, frame: pd.DataFrame, outlines: gpd.GeoSeries) -> pd.DataFrame:
    """Each site's km to the nearest landmark of each kind (NaN where none is recorded)."""
    points = shapely.point_on_surface(outlines.to_numpy())
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    for kind in KINDS:
        frame[f"km_{kind}"] = np.nan
        frame[f"to_{kind}"] = ""
    landmarks = read_landmarks(svc.store)
    if landmarks is None or landmarks.empty:
        return frame
    codes = frame["county_code"].to_numpy()
    for kind, (km, names) in nearest_landmarks(lon, lat, codes, landmarks):
        frame[f"km_{kind}"] = km
        frame[f"to_{kind}"] = names
    return frame


def _text(rows: pd.DataFrame, name: str | None) -> np.ndarray:
    if name is None or name not in rows:
        return np.full(len(rows), "", dtype=object)
    return rows[name].astype(object).where(rows[name].notna(), "").astype(str).to_numpy()


def _number(rows: pd.DataFrame, name: str | None) -> np.ndarray:
    if name is None or name not in rows:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float)
