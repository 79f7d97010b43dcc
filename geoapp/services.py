"""What one app instance holds: config, the Store and the layer registry.

Built by ``create_app`` (never at import time) and reached through ``services()``.
Area choices and pick lists are cached per version of the tables they come from, so a write
shows up at the next request and a write to other tables costs them nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from flask import current_app
from flask_babel import gettext as _
from shapely.geometry.base import BaseGeometry
from werkzeug.datastructures import MultiDict

from geoapp.auth.access import current_scope
from geoapp.auth.scope import Scope
from geoapp.catalog import AreaChoices, area_choices, field_choices
from geoapp.config import Config
from geoapp.drawn import load_area
from geoapp.errors import BadRequest, NotFound
from geoapp.invest.siting_settings import SitingSettings
from geoapp.layers import LayerDef
from geoapp.progress import WarningRules
from geoapp.query import MapFilter
from geoapp.query import parse_filter as parse_args
from geoapp.stores.base import Query, Store

MAX_DRAWN_CACHED = 256
T = TypeVar("T")


@dataclass
class Services:
    config: Config
    store: Store
    layers: list[LayerDef]
    warning_rules: WarningRules = field(default_factory=WarningRules)  # GEOAPP_WARNINGS's
    siting: SitingSettings = field(default_factory=SitingSettings)  # GEOAPP_SITING's
    _areas: tuple[str, AreaChoices] | None = field(default=None, repr=False)
    _choices: dict = field(default_factory=dict, repr=False)
    _drawn: dict[str, BaseGeometry] = field(default_factory=dict, repr=False)
    _built: dict[str, tuple[str, Any]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _building: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def warm_up(self) -> None:
        """Load every table now (layers, landmarks, accounts and tokens): before gunicorn
        forks (``--preload``), so that the workers share one copy of the data instead of each
        reading its own, and no worker's first visitor waits for it."""
        for layer in self.layers:
            self.store.extent(layer.table)
            self._choices_in(layer, Scope.everything())  # the map page's pick lists (admins')
        for table in set(self.store.tables()) - {layer.table for layer in self.layers}:
            self.store.read(table, Query(limit=1))  # landmarks, accounts: loaded whole
        self.areas()

    def layers_for(self, audience: str) -> list[LayerDef]:
        """Layers an audience may see: the public never gets an internal layer."""
        if audience == "internal":
            return list(self.layers)
        return [lyr for lyr in self.layers if lyr.audience == "public"]

    def layer(self, layer_id: str, audience: str) -> LayerDef:
        for lyr in self.layers_for(audience):
            if lyr.id == layer_id:
                return lyr
        raise NotFound(_("Unknown layer “%(id)s”.", id=layer_id), param="layer")

    def choices(self, layer: LayerDef) -> dict[str, tuple[str, ...]]:
        """Pick lists for a layer's free-text filters, of the rows the user may see; cached
        per store version and scope."""
        return self._choices_in(layer, current_scope())

    def _choices_in(self, layer: LayerDef, scope: Scope) -> dict[str, tuple[str, ...]]:
        version = self.store.version(layer.table)
        key = (version, layer.id, scope.key())
        with self._lock:
            if key in self._choices:
                return self._choices[key]
        found = {
            name: field_choices(self.store, layer, name, scope.narrow(layer, Query()))
            for name in layer.filters
            if layer.fields[name].type == "text"
        }
        with self._lock:
            # the same layer's older versions go; other layers' lists have versions of their own
            self._choices = {
                k: v for k, v in self._choices.items() if k[1] != layer.id or k[0] == version
            }
            self._choices[key] = found
        return found

    def areas(self) -> AreaChoices:
        """Counties and parks to choose from; rebuilt only when their own tables change."""
        version = "|".join(
            self.store.version(layer.table)
            for layer in self.layers
            if layer.id_field in layer.area.values()  # a layer whose features are the areas
        )
        with self._lock:
            if self._areas and self._areas[0] == version:
                return self._areas[1]
        choices = area_choices(self.store, self.layers)
        with self._lock:
            self._areas = (version, choices)
        return choices

    def built(self, name: str, tables: Iterable[str], build: Callable[[], T]) -> T:
        """What ``build`` makes from ``tables``, kept until one of them changes: a cache that
        can always be rebuilt from the store. Concurrent first requests build it once."""
        version = "|".join(self.store.version(table) for table in tables)
        kept = self._built.get(name)
        if kept and kept[0] == version:
            return kept[1]
        with self._building:
            kept = self._built.get(name)
            if kept and kept[0] == version:
                return kept[1]
            value = build()
            self._built[name] = (version, value)
            return value

    def areas_in_scope(self) -> AreaChoices:
        """The counties and parks the user may choose (an official: their jurisdiction's)."""
        return self.areas().within(current_scope())

    def parse_filter(
        self, args: MultiDict, layers: list[LayerDef], audience: str = "internal"
    ) -> tuple[MapFilter, list[BadRequest]]:
        """The map's filter model from request arguments, checked against what the store
        holds (counties, parks, kept drawn areas), bounded to what the user may see."""
        areas = self.areas()
        flt, errors = parse_args(
            args, layers, areas.county_codes(), areas.park_ids(), self.drawn_area
        )
        return replace(flt, scope=current_scope(audience)), errors

    def scoped(self, layer: LayerDef, query: Query, audience: str = "internal") -> Query:
        """A query of the request's own (a feature by id, a search) bounded to what the user
        may see, as ``parse_filter`` bounds the map's filters."""
        return current_scope(audience).narrow(layer, query)

    def drawn_area(self, key: str) -> BaseGeometry | None:
        """A kept drawn area; cached, as areas never change once kept."""
        with self._lock:
            if key in self._drawn:
                return self._drawn[key]
        geom = load_area(self.store, key)
        if geom is not None:
            with self._lock:
                if len(self._drawn) >= MAX_DRAWN_CACHED:
                    self._drawn.pop(next(iter(self._drawn)))
                self._drawn[key] = geom
        return geom


def services() -> Services:
    return current_app.extensions["geoapp"]
