"""A feature's beginning and end from the web: added with its code, fields and place;
retired (a deletion in the history, which an admin can undo).

Both are change sets like every other write, so an addition whose code exists already, or a
retirement based on an older version than the stored one, is refused by the store and nothing
is written. The county of an added feature is found from where it lies, and a place outside
the editor's jurisdiction is refused beside the map, as when moving one.
"""

from __future__ import annotations

from datetime import date

from geoapp.auth.scope import Scope
from geoapp.editing import Edit, Stored, county_of, read_form
from geoapp.imports.changes import warning_values
from geoapp.layers import LayerDef
from geoapp.progress import WarningRules
from geoapp.stores.base import Store
from geoapp.stores.changes import GEOMETRY, Change, ChangeRefused, ChangeSet

MAX_CODE = 64


def read_new(layer: LayerDef, form: dict[str, str], locale: str) -> Edit:
    """The form of a new feature: its code (the layer's ``id_field``), fields and place, all
    required where the store would need them."""
    edit = read_form(layer, form, locale)
    code = form.get(layer.id_field, "").strip()
    problem = _code_problem(code, locale)
    if problem:
        edit.errors[layer.id_field] = problem
    edit.values[layer.id_field] = code
    if GEOMETRY not in edit.errors and edit.geometry is None:
        edit.errors[GEOMETRY] = (
            "请在地图上标出位置" if locale != "en" else "mark the place on the map"
        )
    return edit


def _code_problem(code: str, locale: str) -> str | None:
    zh = locale != "en"
    if not code:
        return "请填写编号" if zh else "the code is required"
    if len(code) > MAX_CODE or not code.isprintable():
        return (
            f"编号最多 {MAX_CODE} 个字符，且不能含控制字符"
            if zh
            else f"at most {MAX_CODE} printable characters"
        )
    return None


def add(
    store: Store,
    layers: list[LayerDef],
    layer: LayerDef,
    edit: Edit,
    author: str,
    scope: Scope,
    locale: str,
    rules: WarningRules,
) -> int | None:
    """Insert the feature; its feature id, or None with the reasons in ``edit.errors``."""
    if edit.errors:
        return None
    values = {n: v for n, v in edit.values.items() if v is not None}
    values[GEOMETRY] = edit.geometry
    values |= county_of(store, layers, layer, edit.geometry, scope, edit, locale)
    if edit.errors:
        return None
    if layer.table == "projects":
        values |= warning_values({}, values, date.today(), rules)
    key = (edit.values[layer.id_field],)
    try:
        applied = store.apply(ChangeSet(author, [Change("insert", layer.table, key, values)]))
    except ChangeRefused as refused:
        for refusal in refused.refusals:  # "exists" is about the code the editor typed
            name = layer.id_field if refusal.reason == "exists" else refusal.field or GEOMETRY
            edit.errors[name] = refusal.message(locale)
        return None
    return applied.ids[key]


def retire(
    store: Store, layer: LayerDef, stored: Stored, base_version: int, author: str, locale: str
) -> list[str]:
    """Delete the feature as of the version the editor read; the reasons it was refused."""
    change = Change("delete", layer.table, stored.key, base_version=base_version)
    try:
        store.apply(ChangeSet(author, [change]))
    except ChangeRefused as refused:
        return refused.messages(locale)
    return []
