"""LayerDef + GeoDataFrame → folium elements: the map, its layers, popups and legend.

Each declared layer becomes one ``DeclaredLayer`` element whose template calls
``geoapp.layer()`` in ``static/map.js``; popups and tooltips are built there with DOM text
nodes, so no value from the data is ever parsed as HTML. Data is cleaned before folium sees
it: EPSG:4326, no empty geometries, only the fields the layer needs, 6-decimal coordinates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template
from flask_babel import gettext as _
from folium.map import Layer
from shapely.geometry.base import BaseGeometry

from geoapp.basemaps import basemap_layers, shifts_to_gcj02
from geoapp.config import Config
from geoapp.coords import geometries_wgs84_to_gcj02
from geoapp.layers import FieldDef, LayerDef

if TYPE_CHECKING:
    from geoapp.page_state import PageState
    from geoapp.selection import LayerView
    from geoapp.stores.base import BBox

CHINA_CENTER = (35.0, 105.0)
SCRIPTS = (  # served from geoapp/static, installed from npm by `make assets`
    ("leaflet", "vendor/leaflet/leaflet.js"),
    ("vectorgrid", "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"),
    ("leaflet_draw", "vendor/leaflet-draw/leaflet.draw.js"),
    ("geoapp_map", "map.js"),
    ("geoapp_page", "page.js"),
)
STYLESHEETS = (
    ("leaflet_css", "vendor/leaflet/leaflet.css"),
    ("leaflet_draw_css", "vendor/leaflet-draw/leaflet.draw.css"),
)
COORD_DECIMALS = 6  # ≈ 0.1 m


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: readable Chinese, no way to close the tag."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


class DeclaredLayer(Layer):
    """One declared layer drawn by ``geoapp.layer(map, spec, data)`` (see static/map.js)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoapp.layer(
            {{ this._parent.get_name() }}, {{ this.spec_json }}, {{ this.data_json }});
        {% endmacro %}
        """
    )

    def __init__(self, spec: dict[str, Any], data: dict[str, Any] | None, name: str):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "DeclaredLayer"
        self.spec_json = script_json(spec)
        self.data_json = script_json(data)


@dataclass(frozen=True)
class LegendEntry:
    label: str
    color: str
    kind: str  # "fill" or "stroke"
    count: int | None = None  # features of the filter in this class


def legend(
    layer: LayerDef, locale: str, counts: dict[str, dict[str, int]] | None = None
) -> list[LegendEntry]:
    """Legend rows derived from the style: one per value of each colouring field, with how
    many features of the filter have it (``counts``: field → value → count)."""
    entries = []
    for kind in ("fill", "stroke"):
        name = getattr(layer.style, kind)
        if name:
            found = (counts or {}).get(name)
            entries += [
                LegendEntry(
                    v.label(locale),
                    v.color or "",
                    kind,
                    None if found is None else found.get(v.key, 0),
                )
                for v in layer.fields[name].values
            ]
    if not entries:
        entries.append(LegendEntry(layer.title(locale), layer.style.fill_color, "plain"))
    return entries


def layer_spec(layer: LayerDef, locale: str) -> dict[str, Any]:
    """What the browser needs to style a layer and write its popups (labels in one language)."""
    style = layer.style
    return {
        "id": layer.id,
        "title": layer.title(locale),
        "geometry": layer.geometry,
        "minZoom": layer.min_zoom,
        "idField": layer.id_field,
        "labelField": layer.label_field,
        "locale": locale,
        "style": {
            "color": style.color,
            "fillColor": style.fill_color,
            "weight": style.weight,
            "fillOpacity": style.fill_opacity,
            "radius": style.radius,
            "dashArray": style.dash,
            "fill": _color_channel(layer, style.fill),
            "stroke": _color_channel(layer, style.stroke),
        },
        "popup": [_popup_field(layer.fields[name], locale) for name in layer.popup],
        "cluster": layer.cluster,
        "overviewBelow": layer.overview_below if "county" in layer.area else 0,
        "labelsFrom": layer.labels_from,
        "order": layer.order,
        "texts": {
            "loading": _("Loading…"),
            "failed": _("Could not load this feature."),
            "edit": _("Edit"),
            "history": _("History"),
        },
    }


def _color_channel(layer: LayerDef, name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    return {"field": name, "colors": {v.key: v.color for v in layer.fields[name].values}}


def _popup_field(field_def: FieldDef, locale: str) -> dict[str, Any]:
    return {
        "field": field_def.name,
        "label": field_def.label(locale),
        "type": field_def.type,
        "unit": field_def.unit(locale) if field_def.unit else None,
        "values": {v.key: v.label(locale) for v in field_def.values},
    }


def features_json(
    frame: gpd.GeoDataFrame,
    fields: Iterable[str],
    gcj02: bool,
    decimals: int | None = COORD_DECIMALS,
) -> str:
    """The GeoJSON array of features (just ``fields``; id = feature id), as JSON text, the
    coordinates rounded to ``decimals`` (None: as stored, for the APIs).

    Built from pandas' and shapely's C writers, one JSON text per row and per geometry, then
    joined: no per-value Python and no parse/serialise round trip for big pages.
    """
    frame = frame.to_crs(4326) if frame.crs and frame.crs.to_epsg() != 4326 else frame
    frame = frame[~(frame.geometry.is_empty | frame.geometry.isna())]
    if frame.empty:
        return "[]"
    columns = [c for c in fields if c in frame.columns]
    props = frame[columns].copy()
    for column in columns:
        if pd.api.types.is_datetime64_any_dtype(props[column]):
            props[column] = props[column].dt.strftime("%Y-%m-%d")
    records = (
        props.to_json(orient="records", lines=True, force_ascii=False).splitlines()
        if columns
        else ["{}"] * len(frame)
    )
    geoms = frame.geometry.values
    if gcj02:
        geoms = geometries_wgs84_to_gcj02(geoms)
    if decimals is not None:
        geoms = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    shapes = shapely.to_geojson(geoms)
    ids = [json.dumps(_plain(fid)) for fid in frame.index]
    return (
        "["
        + ",".join(
            f'{{"type":"Feature","id":{fid},"properties":{record},"geometry":{shape}}}'
            for fid, record, shape in zip(ids, records, shapes, strict=True)
        )
        + "]"
    )


def clean_for_map(
    frame: gpd.GeoDataFrame,
    fields: Iterable[str],
    gcj02: bool,
    decimals: int | None = COORD_DECIMALS,
) -> dict:
    """A GeoJSON FeatureCollection of just ``fields``, in 4326 (or GCJ-02 for AMap tiles)."""
    return {
        "type": "FeatureCollection",
        "features": json.loads(features_json(frame, fields, gcj02, decimals)),
    }


def _plain(value: Any) -> Any:
    """Missing values as None (JSON null), numpy scalars as Python numbers, dates as text."""
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return value.item() if hasattr(value, "item") else value


@dataclass(frozen=True)
class MapContext:
    """What a map needs besides its data: language, audience, settings and URLs.

    ``data_urls(layer)`` gives the URLs the browser uses for layers not inlined in the page
    (``tiles``, ``points``) and for a feature's popup (``feature``, with ``{id}``).
    """

    locale: str
    audience: str
    config: Config
    asset_url: Callable[[str], str]
    data_urls: Callable[[LayerDef], dict[str, str]]


class PageControls(MacroElement):
    """Drawing an area, keeping the view/layers/selection in the URL, the results list."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        geoapp.page({{ this._parent.get_name() }}, {{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(self, options: dict[str, Any]):
        super().__init__()
        self._name = "PageControls"
        self.options_json = script_json(options)


def build_map(
    views: Iterable[LayerView],
    context: MapContext,
    *,
    bounds: BBox | None,
    state: PageState,
    area: BaseGeometry | None,
    first_views: Mapping[str, dict[str, Any]] | None = None,
) -> folium.Map:
    """A folium map of the declared layers, loading only assets served by the app itself.

    The URL's view wins over fitting the filtered features; hidden layers start switched off.
    A layer fetched as points starts from its ``first_views`` entry (``geoapp.points.first_view``).
    """
    zoom, lat, lon = state.view or (5, *CHINA_CENTER)
    fmap = folium.Map(location=(lat, lon), zoom_start=zoom, tiles=None)  # page.js: metric scale
    fmap.default_js = [(name, context.asset_url(path)) for name, path in SCRIPTS]
    fmap.default_css = [(name, context.asset_url(path)) for name, path in STYLESHEETS]
    for tiles in basemap_layers(context.config):
        tiles.add_to(fmap)
    gcj02 = shifts_to_gcj02(context.config)
    for view in views:
        layer = view.layer
        spec = layer_spec(layer, context.locale) | {
            "mode": view.mode,
            "urls": context.data_urls(layer),
        }
        data = (first_views or {}).get(layer.id)
        if view.frame is not None:
            data = clean_for_map(view.frame, layer.wire_fields(context.audience), gcj02)
        element = DeclaredLayer(spec, data, layer.title(context.locale))
        element.show = layer.id not in state.hidden
        element.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    PageControls(
        {
            "area": json.loads(shapely.to_geojson(area)) if area is not None else None,
            "selected": list(state.selected) if state.selected else None,
            "texts": chrome_texts(),
        }
    ).add_to(fmap)
    if bounds is not None and state.view is None:
        minx, miny, maxx, maxy = bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]], max_zoom=15)
    return fmap


def chrome_texts() -> dict[str, str]:
    """Leaflet's and Leaflet.draw's controls, hints and tooltips in the page's language."""
    return {
        "zoomIn": _("Zoom in"),
        "zoomOut": _("Zoom out"),
        "layers": _("Layers"),
        "drawPolygon": _("Draw an area to filter by it"),
        "drawRectangle": _("Draw a rectangle to filter by it"),
        "finish": _("Finish"),
        "finishTitle": _("Finish drawing"),
        "undo": _("Delete last point"),
        "undoTitle": _("Delete the last point drawn"),
        "cancel": _("Cancel"),
        "cancelTitle": _("Cancel drawing"),
        "polygonStart": _("Click to start drawing the area."),
        "polygonCont": _("Click to continue drawing the area."),
        "polygonEnd": _("Click the first point to close the area."),
        "rectangleStart": _("Click and drag to draw a rectangle."),
        "release": _("Release the mouse to finish drawing."),
        "crossing": _("The edges of an area cannot cross."),
        "lon": _("Lon"),
        "lat": _("Lat"),
        "measureLength": _("Measure a distance"),
        "measureArea": _("Measure an area"),
        "length": _("Length"),
        "area": _("Area"),
        "mu": _("mu"),
    }


def page_parts(fmap: folium.Map) -> tuple[str, str, str]:
    """The map's header, body and script for a Flask template (folium's Flask recipe).

    folium's own viewport tag forbids pinch-zoom; the page template sets an accessible one.
    """
    root = fmap.get_root()
    root.render()
    header = re.sub(r'<meta name="viewport"[^>]*>', "", root.header.render())
    return header, root.html.render(), root.script.render()
