"""One feature edited in a form: its fields typed as imports type cells, its place checked, and
the save written as a change set based on the version the editor read.

A save based on an older version than the stored one is refused by the store (a conflict):
``Conflict`` then carries what the others changed since, field by field, so the form can show
it beside the editor's own values and the editor can merge and save again. Nothing is ever
overwritten silently. The county of a moved feature is found from where it now lies; a place
outside the editor's jurisdiction is refused like a bad field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geoapp.auth.scope import Scope
from geoapp.imports.areas import Areas
from geoapp.imports.changes import PROJECT_MONTH_FIELDS, progress_changes, warning_values
from geoapp.imports.projects import typed_value
from geoapp.layers import LayerDef
from geoapp.photos import Photo, photo_changes
from geoapp.progress import WarningRules
from geoapp.stores.base import Query, Store
from geoapp.stores.changes import GEOMETRY, Change, ChangeRefused, ChangeSet, HistoryEntry

MAX_VERTICES = 10_000
MAX_REMARKS = 500
CHINA = shapely.box(73.0, 3.0, 136.0, 54.0)  # lon/lat a feature of ours may take
GEOMETRY_KINDS = {"point": ("Point",), "polygon": ("Polygon", "MultiPolygon")}


@dataclass(frozen=True)
class Stored:
    """A feature as the form shows it: its key, fields, geometry and row version."""

    fid: int
    key: tuple[str, ...]
    values: dict[str, Any]
    geometry: BaseGeometry | None
    version: int


@dataclass
class Edit:
    """What the editor sent, typed; ``errors`` by field name (``geometry`` for the place)."""

    values: dict[str, Any] = field(default_factory=dict)
    geometry: BaseGeometry | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """Saves by others since the version the editor read, newest first."""

    entries: list[HistoryEntry]

    @property
    def version(self) -> int:
        """The version to base the merged save on: the newest."""
        return self.entries[0].version


def load(store: Store, layer: LayerDef, fid: int, scope: Scope) -> Stored | None:
    """The feature ``fid`` if it exists and lies inside ``scope``."""
    query = scope.narrow(layer, Query(ids=frozenset([fid])))
    rows = store.read(layer.table, query)
    if rows.empty:
        return None
    row = rows.iloc[0]
    key = (str(row[layer.id_field]),)
    history = store.history(layer.table, key, limit=1)
    values = {name: _plain(row.get(name)) for name in layer.fields}
    return Stored(fid, key, values, row.geometry, history[0].version if history else 0)


def read_form(layer: LayerDef, form: dict[str, str], locale: str) -> Edit:
    """The edited fields and place, each typed or explained."""
    edit = Edit()
    for name in layer.edit:
        try:
            edit.values[name] = typed_value(layer, name, form.get(name, ""), locale)
        except ValueError as bad:
            edit.errors[name] = str(bad)
    raw = form.get(GEOMETRY, "").strip()
    if raw:
        try:
            edit.geometry = checked_geometry(layer, raw, locale)
        except ValueError as bad:
            edit.errors[GEOMETRY] = str(bad)
    return edit


def checked_geometry(layer: LayerDef, raw: str, locale: str) -> BaseGeometry:
    """A GeoJSON geometry of the layer's kind, valid, within China, of bounded size."""
    zh = locale != "en"
    if len(raw) > 1_000_000:
        raise ValueError("图形过大" if zh else "the shape is too large")
    try:
        geom = shapely.from_geojson(raw)
    except (shapely.errors.GEOSException, ValueError, TypeError):
        raise ValueError("图形无法识别" if zh else "the shape cannot be read") from None
    kinds = GEOMETRY_KINDS.get(layer.geometry, (geom.geom_type,))
    if geom.geom_type not in kinds:
        want = "点" if layer.geometry == "point" else "面"
        raise ValueError(f"应为{want}" if zh else f"must be a {layer.geometry}")
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        raise ValueError(
            f"顶点超过 {MAX_VERTICES} 个" if zh else f"more than {MAX_VERTICES} vertices"
        )
    if not geom.is_valid:
        why = shapely.is_valid_reason(geom)
        raise ValueError(f"图形无效（{why}）" if zh else f"the shape is not valid ({why})")
    if not CHINA.contains(geom):
        raise ValueError("位置不在中国境内" if zh else "the place is outside China")
    return geom


def save(
    store: Store,
    layers: list[LayerDef],
    layer: LayerDef,
    stored: Stored,
    edit: Edit,
    base_version: int,
    author: str,
    scope: Scope,
    locale: str,
    rules: WarningRules,
) -> Conflict | None:
    """Write the edit based on ``base_version``; a place outside ``scope`` becomes an error
    of the edit (nothing written); a newer stored version comes back as a Conflict."""
    values = {n: v for n, v in edit.values.items() if v != stored.values.get(n)}
    if edit.geometry is not None and not edit.geometry.equals(stored.geometry):
        values[GEOMETRY] = edit.geometry
        values |= county_of(store, layers, layer, edit.geometry, scope, edit, locale)
    if edit.errors:
        return None
    if not values:  # nothing changed: nothing to write, not even a warning worked out anew
        return None
    if layer.table == "projects":
        values |= warning_values(stored.values, values, date.today(), rules)
    change = Change("update", layer.table, stored.key, values, base_version=base_version)
    try:
        store.apply(ChangeSet(author, [change]))
    except ChangeRefused as refused:
        if not refused.conflict:
            edit.errors.update(_by_field(refused, locale))
            return None
        newer = store.history(layer.table, stored.key, limit=50)
        return Conflict([e for e in newer if e.version > base_version])
    return None


def merged(
    layer: LayerDef, stored: Stored, sent: Edit, conflict: Conflict, form: dict[str, str]
) -> dict[str, Any]:
    """The form after a conflict: what is stored now, with the fields this editor changed
    since the version they read, in their own words. A field both changed shows the editor's
    value in the form and the other's in the conflict table: the editor decides."""
    read = dict(stored.values)
    for entry in conflict.entries:  # newest first: the oldest one's ``before`` was read
        for name in entry.fields:
            if name in layer.fields:
                read[name] = (entry.before or {}).get(name)
    mine = {n: form.get(n, "") for n in layer.edit if not _same(sent.values.get(n), read.get(n))}
    return stored.values | mine


def _same(a: Any, b: Any) -> bool:
    """Equal as a reader would judge: blanks alike, numbers by value, dates by day."""
    a, b = (None if v in ("", None) else v for v in (a, b))
    if a is None or b is None:
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    text = [v.isoformat() if hasattr(v, "isoformat") else str(v) for v in (a, b)]
    if isinstance(a, date) or isinstance(b, date):
        return text[0][:10] == text[1][:10]
    return text[0] == text[1]


def county_of(
    store: Store,
    layers: list[LayerDef],
    layer: LayerDef,
    geom: BaseGeometry,
    scope: Scope,
    edit: Edit,
    locale: str,
) -> dict[str, str]:
    """The county field of a moved feature, or an error when it left the jurisdiction."""
    column = layer.area.get("county")
    if column is None:
        return {}
    codes, _ = Areas.of(store, layers).located(np.array([geom.representative_point()]))
    code = codes[0]
    if code is None or not scope.allows(code):
        where = "、".join(scope.prefixes or ())
        edit.errors[GEOMETRY] = (
            f"新位置不在您的管辖范围（{where}）内"
            if locale != "en"
            else f"the new place is outside your jurisdiction ({where})"
        )
        return {}
    return {column: code}


def _by_field(refused: ChangeRefused, locale: str) -> dict[str, str]:
    return {(r.field or GEOMETRY): r.message(locale) for r in refused.refusals}


def _plain(value: Any) -> Any:
    """A stored value as the form shows it (no NaN, no pandas timestamps)."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return None
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return value.item() if hasattr(value, "item") else value


def form_text(value: Any) -> str:
    """A value as the form's text box shows it: ``1000.0`` → ``1000``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.isoformat()[:10] if isinstance(value, date) else str(value)


def as_geojson(geom: BaseGeometry | None) -> str:
    return "" if geom is None else json.dumps(shapely.geometry.mapping(geom))


@dataclass(frozen=True)
class MonthReport:
    """One project's figures for a month, as a progress sheet's row would give them."""

    layer: LayerDef
    frame: gpd.GeoDataFrame
    rules: WarningRules


def read_month(layer: LayerDef, stored: Stored, form: dict[str, str], locale: str) -> Edit:
    """The monthly progress form: month (YYYY-MM), cumulative completed investment, stage,
    开复工 state and date, and a note, typed by the import's rules."""
    edit = Edit()
    month = form.get("month", "").strip()
    try:
        edit.values["month"] = date.fromisoformat(month + "-01").replace(day=1)
    except ValueError:
        edit.errors["month"] = (
            f"“{month}”不是月份，例如 2024-06"
            if locale != "en"
            else f"“{month}” is not a month, e.g. 2024-06"
        )
    for name in PROJECT_MONTH_FIELDS:  # typed as a sheet's cells; the project takes them
        try:
            edit.values[name] = typed_value(layer, name, form.get(name, ""), locale)
        except ValueError as bad:
            edit.errors[name] = str(bad)
    remarks = form.get("remarks", "").strip()
    if len(remarks) > MAX_REMARKS:
        edit.errors["remarks"] = (
            f"备注最多 {MAX_REMARKS} 字" if locale != "en" else f"at most {MAX_REMARKS} characters"
        )
    edit.values["remarks"] = remarks or None
    return edit


def save_month(
    store: Store,
    layer: LayerDef,
    stored: Stored,
    edit: Edit,
    author: str,
    rules: WarningRules,
    photos: Sequence[Photo] = (),
) -> None:
    """The month's row of ``progress`` and the project brought to its newest month, written
    the way a progress sheet's row is, with the month's new site photos: one change set (in
    the history), so the figures and the photos land together or not at all."""
    row = {"project_id": stored.key[0], GEOMETRY: stored.geometry} | edit.values
    frame = gpd.GeoDataFrame([row], geometry=GEOMETRY, crs=4326)
    changes = progress_changes(store, MonthReport(layer, frame, rules))
    changes += photo_changes(store, stored.key[0], edit.values["month"], photos, author)
    store.apply(ChangeSet(author, changes))
