"""Layer declarations: every ``layers/*.toml`` loaded and validated into ``LayerDef`` objects.

The map, its legend, the popups, the filter panel and the API are all built from these
declarations, so adding a layer is adding a file. A bad declaration stops start-up with a
message that names the file and the key (``parks.toml: style.fill: ...``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoapp.errors import ConfigError

GEOMETRIES = ("point", "line", "polygon")
AUDIENCES = ("public", "internal")
FIELD_TYPES = ("text", "number", "date", "enum")
AREA_KINDS = ("county", "park")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LAYER_KEYS = {
    "id",
    "title",
    "table",
    "id_field",
    "label_field",
    "geometry",
    "audience",
    "min_zoom",
    "order",
    "popup",
    "filters",
    "summary",
    "tiles_above",
    "cluster",
    "overview_below",
    "labels_from",
    "ranges",
    "search",
    "results",
    "edit",
    "area",
    "style",
    "fields",
}


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def __call__(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


@dataclass(frozen=True)
class EnumValue:
    key: str
    label: Label
    color: str | None


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: Label
    type: str
    unit: Label | None = None
    audience: str = "public"
    values: tuple[EnumValue, ...] = ()

    def value(self, key: str) -> EnumValue | None:
        return next((v for v in self.values if v.key == key), None)


@dataclass(frozen=True)
class StyleDef:
    fill: str | None = None
    stroke: str | None = None
    color: str = "#455a64"
    fill_color: str = "#90a4ae"
    weight: float = 1.5
    fill_opacity: float = 0.5
    radius: float = 6.0
    dash: str | None = None


@dataclass(frozen=True)
class LayerDef:
    id: str
    title: Label
    table: str
    id_field: str
    geometry: str
    audience: str
    fields: dict[str, FieldDef]
    style: StyleDef
    label_field: str | None = None
    min_zoom: int = 0
    order: int = 0
    popup: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()
    search: tuple[str, ...] = ()
    results: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()
    edit: tuple[str, ...] = ()  # fields the edit form changes (none: the layer is not edited)
    area: dict[str, str] = field(default_factory=dict)
    tiles_above: int | None = None
    cluster: bool = False
    overview_below: int = 0  # below this zoom: counts per county instead of points
    labels_from: int | None = None  # from this zoom: names written on the map
    source: Path | None = None

    def mode(self, count: int) -> str:
        """How the browser gets the features: inline in the page, or from tiles / points.

        Above the declared ``tiles_above`` count, polygons and lines come as vector tiles
        and points as a compact binary list, so the page does not grow with the data.
        """
        if self.tiles_above is None or count <= self.tiles_above:
            return "inline"
        return "points" if self.geometry == "point" else "tiles"

    def visible_fields(self, audience: str) -> list[str]:
        """Field names an audience may receive: a public client never gets internal fields."""
        if audience == "internal":
            return list(self.fields)
        return [name for name, f in self.fields.items() if f.audience == "public"]

    def wire_fields(self, audience: str) -> list[str]:
        """Fields sent to the browser inline: id, label, style and popup, within the audience."""
        wanted = [self.id_field, self.label_field, self.style.fill, self.style.stroke, *self.popup]
        return self._allowed(wanted, audience)

    def tile_fields(self, audience: str) -> list[str]:
        """What a tile or point list carries: only the styling fields (popups come on click)."""
        return self._allowed([self.style.fill, self.style.stroke], audience)

    def _allowed(self, wanted: list[str | None], audience: str) -> list[str]:
        allowed = set(self.visible_fields(audience))
        return list(dict.fromkeys(n for n in wanted if n and n in allowed))

    def filter_fields(self) -> list[FieldDef]:
        return [self.fields[name] for name in self.filters]


class _Reader:
    """Typed access to one TOML table that names file and key in every complaint."""

    def __init__(self, path: Path, data: dict[str, Any], prefix: str = ""):
        self.path, self.data, self.prefix = path, data, prefix

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path.name}: {self.prefix}{key}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "is required")
            return default
        value = self.data[key]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(key, f"must be {_kind_name(kind)}, not {value!r}")
        if not isinstance(value, kind):
            raise self.fail(key, f"must be {_kind_name(kind)}, not {value!r}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> str:
        value = self.get(key, str, default)
        if value not in options:
            raise self.fail(key, f"must be one of {', '.join(options)}, not {value!r}")
        return value

    def label(self, key: str, default: Any = ...) -> Label | None:
        value = self.get(key, dict, default)
        if value is None:
            return None
        sub = self.sub(key)
        return Label(zh=sub.get("zh", str), en=sub.get("en", str))

    def color(self, key: str, default: Any = ...) -> str | None:
        value = self.get(key, str, default)
        if value is not None and not _COLOR.match(value):
            raise self.fail(key, f"must be a colour like #1565c0, not {value!r}")
        return value

    def names(self, key: str) -> tuple[str, ...]:
        value = self.get(key, list, [])
        if not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of field names")
        return tuple(value)

    def sub(self, key: str) -> _Reader:
        return _Reader(self.path, self.data[key], f"{self.prefix}{key}.")

    def no_unknown(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.fail(key, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    words = {str: "text", int: "a whole number", float: "a number", list: "a list", dict: "a table"}
    return " or ".join(words.get(k, k.__name__) for k in kinds)


def load_layers(folder: Path) -> list[LayerDef]:
    """Every ``*.toml`` in ``folder``, validated, in drawing order (``order``, then id)."""
    paths = sorted(Path(folder).glob("*.toml"))
    if not paths:
        raise ConfigError(f"no layer declarations (*.toml) in {folder}")
    layers = [load_layer(path) for path in paths]
    seen: dict[str, Path] = {}
    for layer in layers:
        if layer.id in seen:
            raise ConfigError(
                f"{layer.source.name}: id: {layer.id!r} is also declared in {seen[layer.id].name}"
            )
        seen[layer.id] = layer.source
    return sorted(layers, key=lambda layer: (layer.order, layer.id))


def load_layer(path: Path) -> LayerDef:
    """One declaration file → a validated LayerDef (or ConfigError naming file and key)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc
    top = _Reader(path, data)
    top.no_unknown(_LAYER_KEYS)
    fields = _fields(top)
    layer = LayerDef(
        id=_identifier(top, "id"),
        title=top.label("title"),
        table=_identifier(top, "table"),
        id_field=top.get("id_field", str),
        geometry=top.choice("geometry", GEOMETRIES),
        audience=top.choice("audience", AUDIENCES),
        fields=fields,
        style=_style(top, fields),
        label_field=top.get("label_field", str, None),
        min_zoom=_zoom(top),
        order=top.get("order", int, 0),
        popup=top.names("popup"),
        filters=top.names("filters"),
        ranges=top.names("ranges"),
        search=top.names("search"),
        results=top.names("results"),
        summary=top.names("summary"),
        edit=top.names("edit"),
        area=_area(top),
        tiles_above=_threshold(top),
        cluster=_cluster(top),
        overview_below=_overview(top),
        labels_from=_labels_from(top),
        source=path,
    )
    _check_references(top, layer)
    return layer


def _identifier(top: _Reader, key: str) -> str:
    value = top.get(key, str)
    if not _ID.match(value):
        raise top.fail(key, f"must be lower-case letters, digits and _, not {value!r}")
    return value


def _zoom(top: _Reader) -> int:
    zoom = top.get("min_zoom", int, 0)
    if not 0 <= zoom <= 22:
        raise top.fail("min_zoom", f"must be between 0 and 22, not {zoom}")
    return zoom


def _threshold(top: _Reader) -> int | None:
    value = top.get("tiles_above", int, None)
    if value is not None and value < 0:
        raise top.fail("tiles_above", f"must be 0 or more, not {value}")
    return value


def _cluster(top: _Reader) -> bool:
    value = top.get("cluster", bool, False)
    if value and top.data.get("geometry") != "point":
        raise top.fail("cluster", "only point layers can be clustered")
    return value


def _overview(top: _Reader) -> int:
    zoom = top.get("overview_below", int, 0)
    if not 0 <= zoom <= 22:
        raise top.fail("overview_below", f"must be between 0 and 22, not {zoom}")
    if zoom and not top.data.get("cluster"):
        raise top.fail("overview_below", "needs cluster = true (counts replace the clusters)")
    return zoom


def _labels_from(top: _Reader) -> int | None:
    zoom = top.get("labels_from", int, None)
    if zoom is not None and not 0 <= zoom <= 22:
        raise top.fail("labels_from", f"must be between 0 and 22, not {zoom}")
    if zoom is not None and not top.data.get("label_field"):
        raise top.fail("labels_from", "needs a label_field (the text of the labels)")
    return zoom


def _fields(top: _Reader) -> dict[str, FieldDef]:
    top.get("fields", dict)
    table = top.sub("fields")
    return {name: _field(table, name) for name in table.data}


def _field(table: _Reader, name: str) -> FieldDef:
    table.get(name, dict)
    spec = table.sub(name)
    spec.no_unknown({"label", "type", "unit", "audience", "values"})
    kind = spec.choice("type", FIELD_TYPES, "text")
    values: tuple[EnumValue, ...] = ()
    if kind == "enum":
        spec.get("values", dict)
        values = tuple(_enum_value(spec.sub("values"), key) for key in spec.data["values"])
    elif "values" in spec.data:
        raise spec.fail("values", "only enum fields have values")
    return FieldDef(
        name=name,
        label=spec.label("label"),
        type=kind,
        unit=spec.label("unit", None),
        audience=spec.choice("audience", AUDIENCES, "public"),
        values=values,
    )


def _enum_value(values: _Reader, key: str) -> EnumValue:
    values.get(key, dict)
    spec = values.sub(key)
    spec.no_unknown({"label", "color"})
    return EnumValue(key=key, label=spec.label("label"), color=spec.color("color", None))


def _style(top: _Reader, fields: dict[str, FieldDef]) -> StyleDef:
    top.get("style", dict, {})
    if "style" not in top.data:
        return StyleDef()
    spec = top.sub("style")
    spec.no_unknown(
        {"fill", "stroke", "color", "fill_color", "weight", "fill_opacity", "radius", "dash"}
    )
    for key in ("fill", "stroke"):
        name = spec.get(key, str, None)
        if name is not None:
            _check_colored_enum(spec, key, fields.get(name))
    defaults = StyleDef()
    opacity = spec.get("fill_opacity", (int, float), defaults.fill_opacity)
    if not 0 <= opacity <= 1:
        raise spec.fail("fill_opacity", f"must be between 0 and 1, not {opacity}")
    return StyleDef(
        fill=spec.get("fill", str, None),
        stroke=spec.get("stroke", str, None),
        color=spec.color("color", defaults.color),
        fill_color=spec.color("fill_color", defaults.fill_color),
        weight=float(spec.get("weight", (int, float), defaults.weight)),
        fill_opacity=float(opacity),
        radius=float(spec.get("radius", (int, float), defaults.radius)),
        dash=spec.get("dash", str, None),
    )


def _check_colored_enum(spec: _Reader, key: str, field_def: FieldDef | None) -> None:
    if field_def is None:
        raise spec.fail(key, f"names no declared field ({spec.data[key]!r})")
    if field_def.type != "enum":
        raise spec.fail(key, f"field {field_def.name!r} must be an enum to colour by it")
    missing = [v.key for v in field_def.values if v.color is None]
    if missing:
        raise spec.fail(key, f"values of {field_def.name!r} need a color: {', '.join(missing)}")


def _area(top: _Reader) -> dict[str, str]:
    top.get("area", dict, {})
    if "area" not in top.data:
        return {}
    spec = top.sub("area")
    spec.no_unknown(set(AREA_KINDS))
    return {kind: spec.get(kind, str) for kind in AREA_KINDS if kind in spec.data}


def _check_references(top: _Reader, layer: LayerDef) -> None:
    """Every field a layer names in popup, filters, summary, area or ids must be declared."""
    named = [("id_field", layer.id_field), ("label_field", layer.label_field)]
    named += [("popup", n) for n in layer.popup] + [("summary", n) for n in layer.summary]
    named += [("filters", n) for n in layer.filters]
    named += [("ranges", n) for n in layer.ranges] + [("search", n) for n in layer.search]
    named += [("results", n) for n in layer.results] + [("edit", n) for n in layer.edit]
    named += [(f"area.{kind}", n) for kind, n in layer.area.items()]
    for key, name in named:
        if name is not None and name not in layer.fields:
            raise top.fail(key, f"names no declared field ({name!r})")
    for key, names, types in (
        ("filters", layer.filters, ("enum", "text")),
        ("ranges", layer.ranges, ("number", "date")),
        ("search", layer.search, ("text",)),
    ):
        for name in names:
            if layer.fields[name].type not in types:
                raise top.fail(key, f"field {name!r} must be {' or '.join(types)}")
    derived = {layer.id_field, *layer.area.values()}
    for name in layer.edit:
        if name in derived:
            raise top.fail("edit", f"{name!r} is the key or an area code: set from the data")
    for name in layer.summary:
        if layer.fields[name].type != "number":
            raise top.fail("summary", f"field {name!r} must be a number to sum it")
