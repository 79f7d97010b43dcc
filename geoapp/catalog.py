"""The areas a user can choose (counties, parks), read from the layers that define them.

A layer whose id field is also its ``area.county`` field is the source of county choices
(the boundaries); likewise for parks. Nothing here names a table: the declarations do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from geoapp.auth.scope import Scope
from geoapp.layers import LayerDef
from geoapp.query import admin_prefix
from geoapp.stores.base import Query, Store


@dataclass(frozen=True)
class AreaChoice:
    code: str
    name: str
    parent: str | None  # the county of a park; None for counties
    point: tuple[float, float] | None = None  # lon, lat inside the area, for its label


@dataclass(frozen=True, eq=False)
class AreaChoices:
    counties: tuple[AreaChoice, ...]
    parks: tuple[AreaChoice, ...]

    def county_codes(self) -> set[str]:
        return {c.code for c in self.counties}

    def park_ids(self) -> set[str]:
        return {p.code for p in self.parks}

    def parks_in(self, county: str | None) -> tuple[AreaChoice, ...]:
        """The parks of a county (or city: by admin-code prefix); all parks without one."""
        if not county:
            return self.parks
        prefix = admin_prefix(county)
        return tuple(p for p in self.parks if p.parent and p.parent.startswith(prefix))

    def within(self, scope: Scope) -> AreaChoices:
        """Only the counties and parks inside ``scope``."""
        if not scope.bounded:
            return self
        return AreaChoices(
            counties=tuple(c for c in self.counties if scope.allows(c.code)),
            parks=tuple(p for p in self.parks if scope.allows(p.parent)),
        )

    def name_of(self, code: str | None) -> str | None:
        return self._names.get(code) if code else None

    def jurisdiction_name(self, code: str) -> str:
        """A jurisdiction code as people say it: ``2114`` → 葫芦岛市, ``610327`` → 陇县; a
        prefix no boundary names by itself (a province) by the counties it covers."""
        own = self.name_of(code.ljust(6, "0"))
        if own:
            return own
        covered = [c.name for c in self.counties if c.code.startswith(code)]
        return "、".join(covered[:3]) + ("…" if len(covered) > 3 else "")

    @cached_property
    def _names(self) -> dict[str, str]:
        return {c.code: c.name for c in (*self.parks, *self.counties)}


def area_choices(store: Store, layers: list[LayerDef]) -> AreaChoices:
    return AreaChoices(
        counties=_choices(store, layers, "county"), parks=_choices(store, layers, "park")
    )


def _choices(store: Store, layers: list[LayerDef], kind: str) -> tuple[AreaChoice, ...]:
    source = next((lyr for lyr in layers if lyr.area.get(kind) == lyr.id_field), None)
    if source is None:
        return ()
    parent = source.area.get("county") if kind == "park" else None
    name = source.label_field or source.id_field
    columns = tuple(dict.fromkeys(c for c in (source.id_field, name, parent) if c))
    frame = store.read(source.table, Query(columns=columns)).sort_values(source.id_field)
    inside = frame.geometry.representative_point()
    return tuple(
        AreaChoice(
            str(row[source.id_field]),
            str(row[name]),
            str(row[parent]) if parent else None,
            None if point is None or point.is_empty else (point.x, point.y),
        )
        for (_, row), point in zip(frame.iterrows(), inside, strict=True)
    )


MAX_CHOICES = 300


def field_choices(store: Store, layer: LayerDef, name: str, rows: Query) -> tuple[str, ...]:
    """The distinct values of a free-text filter field (leaders, units) among ``rows``, for a
    pick list.

    Beyond ``MAX_CHOICES`` values a pick list stops helping; the page offers a text box then.
    """
    values = store.read(layer.table, replace(rows, columns=(name,)))[name]
    values = values.dropna().astype(str).unique()
    return tuple(sorted(values)) if len(values) <= MAX_CHOICES else ()
