"""A row's public fields as people read them: the layer's label, the value with its unit.

Values go through the same formatting as the OGC API's HTML pages (enum labels, grouped
numbers, dates), so an investor never meets a raw key such as ``available`` or
``invest_intensity``. Only fields the public may see are ever read here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geoapp.layers import FieldDef, LayerDef
from geoapp.ogc_html import cell
from geoapp.stores.changes import as_date


@dataclass(frozen=True)
class FieldRow:
    name: str
    label: str
    text: str
    value: Any = None  # as stored (None when missing), for comparing sites by number


def value_text(field: FieldDef, value: Any, locale: str) -> str:
    """``250.0`` of a 万元/亩 field → ``250 万元/亩``; ``listed`` → ``挂牌出让中``."""
    value = _stored(value)
    if field.type == "date" and value is not None:
        day = as_date(value)
        value = day.isoformat() if day else value
    text = cell(field, value, locale).text
    if field.unit is None or text == "—":
        return text
    unit = field.unit(locale)
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def field_rows(
    layer: LayerDef, row: Mapping[str, Any], names: Iterable[str], locale: str
) -> list[FieldRow]:
    """Label and text of each named field the public may see, in the order named."""
    public = set(layer.visible_fields("public"))
    return [
        FieldRow(
            name,
            layer.fields[name].label(locale),
            value_text(layer.fields[name], row.get(name), locale),
            _stored(row.get(name)),
        )
        for name in names
        if name in public
    ]


def _stored(value: Any) -> Any:
    """A missing value (None, NaN, NaT) as None."""
    return None if value is not None and not isinstance(value, str) and pd.isna(value) else value
