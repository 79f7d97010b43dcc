"""The header search's suggestions: counties, parks and the features of the searchable layers.

Counties and parks come from the area choices (by name or code); a choice of one filters the
map by it (``county=<code>``, ``park=<id>``). Features come from every layer that is not itself
the source of areas, through the store's ``Query(contains=…)``: the same case-insensitive
text test as the ``q`` filter, on the layer's ``search`` fields, or else on its label and id.
The text is only ever data: compared in memory or passed to SQL as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoapp.auth.scope import Scope
from geoapp.catalog import AreaChoice, AreaChoices
from geoapp.coords import wgs84_to_gcj02
from geoapp.layers import LayerDef
from geoapp.stores.base import Query, Store

DEFAULT_LIMIT = 8
MAX_LIMIT = 20
READ_FACTOR = 4  # rows read per suggestion shown, so the best matches can be put first


@dataclass(frozen=True)
class Suggestion:
    label: str
    detail: str | None
    lon: float | None
    lat: float | None
    layer: str | None = None  # a feature: its layer and feature id
    id: int | None = None
    param: str | None = None  # an area: the filter it sets (county, park) and its value
    value: str | None = None
    county: str | None = None  # a park's county

    def to_json(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Group:
    id: str  # "counties", "parks" or a layer id
    kind: str  # "area" or "feature"
    title: str
    items: list[Suggestion] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "items": [item.to_json() for item in self.items],
        }


def searched_layers(layers: list[LayerDef], audience: str) -> list[tuple[LayerDef, tuple]]:
    """The layers whose features are suggested, with the fields their text is looked for in:
    the declared ``search`` fields, else the label and id. Layers that are the source of the
    county or park choices are suggested as areas instead."""
    found = []
    for layer in layers:
        if layer.id_field in layer.area.values():
            continue
        allowed = set(layer.visible_fields(audience))
        wanted = layer.search or (layer.label_field, layer.id_field)
        fields = tuple(dict.fromkeys(n for n in wanted if n and n in allowed))
        if fields:
            found.append((layer, fields))
    return found


def area_suggestions(
    areas: AreaChoices, text: str, limit: int, titles: dict[str, str], shift: bool
) -> list[Group]:
    groups = []
    for kind, param, choices in (
        ("counties", "county", areas.counties),
        ("parks", "park", areas.parks),
    ):
        matched = _ranked(
            [c for c in choices if _has(c.name, text) or _has(c.code, text)],
            lambda c: (c.name, c.code),
            text,
        )[:limit]
        if matched:
            items = [_area_item(areas, c, param, shift) for c in matched]
            groups.append(Group(kind, "area", titles[kind], items))
    return groups


def _area_item(areas: AreaChoices, choice: AreaChoice, param: str, shift: bool) -> Suggestion:
    lon, lat = _shifted(choice.point, shift) if choice.point else (None, None)
    detail = areas.name_of(choice.parent) or choice.parent if param == "park" else choice.code
    return Suggestion(
        label=choice.name,
        detail=detail,
        lon=lon,
        lat=lat,
        param=param,
        value=choice.code,
        county=choice.parent,
    )


def feature_suggestions(
    store: Store,
    layer: LayerDef,
    fields: tuple[str, ...],
    text: str,
    limit: int,
    title: str,
    areas: AreaChoices,
    shift: bool,
    scope: Scope,
) -> Group | None:
    label = layer.label_field or layer.id_field
    places = (layer.area.get("county"), layer.area.get("park"))  # named in the detail
    columns = tuple(dict.fromkeys(n for n in (label, layer.id_field, *fields, *places) if n))
    query = Query(contains=(fields, text), columns=columns, limit=limit * READ_FACTOR)
    query = scope.narrow(layer, query)  # only rows the user may see
    frame = store.read(layer.table, query)
    frame = frame[~(frame.geometry.is_empty | frame.geometry.isna())]
    if frame.empty:
        return None
    points = frame.geometry.representative_point()
    rows = [
        (int(fid), row, point) for (fid, row), point in zip(frame.iterrows(), points, strict=True)
    ]
    rows = _ranked(rows, lambda r: tuple(_text(r[1][n]) for n in (label, *fields)), text)
    items = []
    for fid, row, point in rows[:limit]:
        name = _text(row[label])
        parts = [_text(row[layer.id_field]) if label != layer.id_field else ""]
        parts += [areas.name_of(_text(row[n])) or "" for n in places if n]
        lon, lat = _shifted((point.x, point.y), shift)
        items.append(
            Suggestion(
                label=name or _text(row[layer.id_field]),
                detail=" · ".join(p for p in parts if p) or None,
                lon=lon,
                lat=lat,
                layer=layer.id,
                id=fid,
            )
        )
    return Group(layer.id, "feature", title, items)


def _ranked(items: list, texts, text: str) -> list:
    """Exact matches first, then those that start with the text, then the rest (stable)."""
    needle = text.casefold()

    def rank(item) -> int:
        values = [v.casefold() for v in texts(item) if v]
        if needle in values:
            return 0
        if any(v.startswith(needle) for v in values):
            return 1
        return 2

    return sorted(items, key=rank)


def _has(value: str | None, text: str) -> bool:
    return bool(value) and text.casefold() in value.casefold()


def _text(value: object) -> str:
    """A cell as text; missing values (None, NaN, NA) as nothing."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return ""
    return str(value)


def _shifted(point: tuple[float, float], shift: bool) -> tuple[float, float]:
    """A lon/lat as the map draws it: moved to GCJ-02 on an AMap basemap."""
    lon, lat = point
    if shift:
        x, y = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
        lon, lat = float(x[0]), float(y[0])
    return round(lon, 6), round(lat, 6)
