"""The OGC API's HTML pages as people read them: fields by their labels (with units), enum
values by theirs, numbers grouped, dates as dates. The JSON answers are left as they are; this
only prepares what ``templates/ogc.html`` shows. Every text here is plain text: the template
escapes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from geoapp.export import header
from geoapp.layers import FieldDef, LayerDef


@dataclass(frozen=True)
class Cell:
    text: str  # what a reader sees
    raw: str | None = None  # the value in the JSON, when it differs (an enum key, a number)
    kind: str = "text"  # text, number, date, enum, missing


@dataclass(frozen=True)
class Column:
    name: str  # the property in the JSON
    label: str  # its label in the page's language, with the unit


def number(value: float | int) -> str:
    """``26874.0`` → ``26,874``; ``12.345`` → ``12.35``: grouped, at most two decimals."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def cell(field: FieldDef | None, value: Any, locale: str) -> Cell:
    if value is None or value == "":
        return Cell("—", None, "missing")
    if isinstance(value, bool):
        return Cell(str(value))
    if isinstance(value, int | float):
        return Cell(number(value), repr(value), "number")
    text = value if isinstance(value, str) else str(value)
    if field is not None and field.type == "enum":
        known = field.value(text)
        return Cell(known.label(locale) if known else text, text, "enum")
    if field is not None and field.type == "date":
        return Cell(text[:10], text[:10], "date")
    return Cell(text)


def columns(layer: LayerDef | None, names: list[str], locale: str) -> list[Column]:
    fields = layer.fields if layer else {}
    return [
        Column(name, header(fields[name], locale) if name in fields else name) for name in names
    ]


def items_view(layer: LayerDef | None, doc: dict, locale: str) -> dict:
    """Columns and rows of an items page (a FeatureCollection)."""
    features = doc.get("features") or []
    names = list(features[0].get("properties", {})) if features else []
    fields = layer.fields if layer else {}
    rows = []
    for feature in features:
        props = feature.get("properties") or {}
        rows.append((feature.get("id"), [cell(fields.get(n), props.get(n), locale) for n in names]))
    return {
        "title": layer.title(locale) if layer else "",
        "columns": columns(layer, names, locale),
        "rows": rows,
    }


def item_view(layer: LayerDef | None, doc: dict, locale: str) -> dict:
    """Label–value rows of one feature, and its name when the layer has a label field."""
    props = doc.get("properties") or {}
    fields = layer.fields if layer else {}
    names = list(props)
    rows = list(
        zip(
            columns(layer, names, locale),
            [cell(fields.get(n), props[n], locale) for n in names],
            strict=True,
        )
    )
    name = props.get(layer.label_field) if layer and layer.label_field else None
    return {
        "title": layer.title(locale) if layer else "",
        "rows": rows,
        "name": name if isinstance(name, str) and name else None,
    }


def type_name(field: FieldDef | None, schema: dict) -> str:
    if field is None:
        return _("Geometry") if "$ref" in schema else schema.get("type", "")
    return {
        "text": _("Text"),
        "number": _("Number"),
        "date": _("Date"),
        "enum": _("One of a list"),
    }.get(field.type, field.type)


def schema_view(layer: LayerDef | None, doc: dict, locale: str) -> list[dict]:
    """One row per queryable or sortable: label (with unit), type, the values' labels."""
    fields = layer.fields if layer else {}
    rows = []
    for name, schema in (doc.get("properties") or {}).items():
        field = fields.get(name)
        rows.append(
            {
                "name": name,
                "label": header(field, locale) if field else _("Geometry"),
                "type": type_name(field, schema),
                "values": [v.label(locale) for v in field.values] if field else [],
            }
        )
    return rows


def link_label(rel: str) -> str:
    """A link relation in words (the relation itself stays in the page as a tooltip)."""
    words = {
        "self": _("This document"),
        "alternate": _("This page in another format"),
        "next": _("Next page"),
        "prev": _("Previous page"),
        "items": _("Features"),
        "collection": _("Collection"),
        "data": _("Collections"),
        "conformance": _("Conformance"),
        "service-desc": _("API description"),
        "http://www.opengis.net/def/rel/ogc/1.0/queryables": _("Queryables"),
    }
    return words.get(rel, rel)


def view(kind: str, layer: LayerDef | None, doc: dict, locale: str) -> dict | list | None:
    """What ``ogc.html`` shows for one kind of document, besides the document itself."""
    if kind == "items":
        return items_view(layer, doc, locale)
    if kind == "item":
        return item_view(layer, doc, locale)
    if kind == "queryables":
        return schema_view(layer, doc, locale)
    return None
