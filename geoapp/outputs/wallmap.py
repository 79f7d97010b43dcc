"""挂图作战图: the printed wall map of the filtered projects, as PDF or PNG, A4 to A0.

Renderer: GeoPandas + matplotlib (Agg canvas, PDF and PNG backends), inside the app's own
worker. Chosen over printing the map page with headless Chromium because it needs no
browser process per print (Chromium is 200+ MB of memory and seconds to start, and the
page would have to wait for tiles and clusters), no tile server (the intranet may have
none: the outlines are drawn from the store, as vectors), and gives a true vector PDF
whose sheet size, scale bar and type are exact at any size; the same figure is written as
PNG. Chinese is drawn with a CJK font found by its file path (``fonts``), embedded in the
PDF as TrueType (``pdf.fonttype`` 42), so the text can be searched and extracted.

The data path: the map's filter (``parse_filter``, the user's jurisdiction included) →
the projects with their warnings worked out for the reporting date → ``geoapp.rates``
(the only place that counts) → the sheet: title, map with numbered labels, legend with
counts, figures, red/yellow list, index table, 审图号.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import geopandas as gpd
import matplotlib
import numpy as np
import pyproj
from flask_babel import gettext as _
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from shapely.geometry.base import BaseGeometry

from geoapp.layers import LayerDef
from geoapp.outputs import sheet
from geoapp.outputs.drawing import draw
from geoapp.outputs.fonts import cjk_font
from geoapp.outputs.mapframe import MapBox, fit_extent, projection
from geoapp.outputs.paper import Paper
from geoapp.progress import warnings_at
from geoapp.query import MapFilter
from geoapp.rates import COLUMNS as RATE_COLUMNS
from geoapp.rates import Rates, rates
from geoapp.replay import read_known_at
from geoapp.stores.base import Query

if TYPE_CHECKING:
    from geoapp.services import Services

# matplotlib's settings (rc_context changes them for the whole process), font cache and text
# layout are not made for threads: one print at a time per worker process (gunicorn's
# threads wait here for another print; other requests do not).
RENDER_LOCK = threading.Lock()


@dataclass(frozen=True)
class Options:
    paper: Paper
    as_of: date
    title: str | None = None
    lists: bool = False


@dataclass
class WallMap:
    """Everything one wall map shows, read for one request."""

    options: Options
    locale: str
    layer: LayerDef  # the projects
    projects: gpd.GeoDataFrame  # filtered, with ``warning`` and ``warning_reason`` of as_of
    figures: Rates
    box: MapBox
    crs: pyproj.CRS
    title: str
    subtitle: str
    approval: str = ""
    outlines: list[tuple[LayerDef, gpd.GeoDataFrame]] = field(default_factory=list)
    area: BaseGeometry | None = None


def outline_layers(layers: list[LayerDef]) -> list[LayerDef]:
    """The layers whose features are the areas (county outlines, parks): the background."""
    return [
        lyr for lyr in layers if lyr.geometry == "polygon" and lyr.id_field in lyr.area.values()
    ]


def project_columns(layer: LayerDef) -> list[str]:
    wanted = [*RATE_COLUMNS, layer.label_field, layer.style.fill, layer.style.stroke]
    return [c for c in dict.fromkeys(wanted) if c and c in layer.fields]


def gather(
    svc: Services,
    layers: list[LayerDef],
    layer: LayerDef,
    flt: MapFilter,
    options: Options,
    **text: str,
) -> WallMap:
    """Read what the wall map shows: ``layer``'s projects of the filter (with the warnings of
    the reporting date), their figures, and the outlines around them. ``text``: locale,
    title (default), subtitle, approval."""
    store = svc.store
    query = flt.query_for(layer, [*project_columns(layer), "project_id"])
    frame = read_known_at(store, layer.table, query, options.as_of)  # as /api/rates counts
    frame = frame.assign(**warnings_at(frame, options.as_of, svc.warning_rules))
    outlines = outline_layers(layers)
    focus = _focus_bounds(svc, outlines, flt, frame)
    crs = projection((focus[0] + focus[2]) / 2)
    layout = sheet.page_layout(options.paper)
    bounds = gpd.GeoSeries.from_xy([focus[0], focus[2]], [focus[1], focus[3]], crs=4326)
    box = MapBox(layout.map, fit_extent(tuple(bounds.to_crs(crs).total_bounds), layout.map))
    bbox = box.lonlat_bbox(crs)
    drawn = [(lyr, store.read(lyr.table, svc.scoped(lyr, Query(bbox=bbox)))) for lyr in outlines]
    return WallMap(
        options=options,
        layer=layer,
        projects=frame,
        figures=rates(frame, options.as_of),
        box=box,
        crs=crs,
        outlines=drawn,
        area=flt.area(),
        **text,
    )


def _focus_bounds(
    svc: Services, outlines: list[LayerDef], flt: MapFilter, frame: gpd.GeoDataFrame
) -> tuple[float, float, float, float]:
    """What the map must show (lon/lat): the projects, the drawn area, and the county or
    park filtered by; with none of these, every outline the user may see."""
    parts = [frame.geometry]
    if flt.area() is not None:
        parts.append(gpd.GeoSeries([flt.area()], crs=4326))
    for lyr in outlines:
        if any(getattr(flt, kind) and col == lyr.id_field for kind, col in lyr.area.items()):
            parts.append(svc.store.read(lyr.table, flt.query_for(lyr, [])).geometry)
    found = _bounds(parts)
    if found is None:
        scoped = [svc.store.read(lyr.table, svc.scoped(lyr, Query(columns=()))) for lyr in outlines]
        found = _bounds([f.geometry for f in scoped])
    return found or (106.8, 34.85, 106.9, 34.95)  # nothing at all: a small empty map


def _bounds(parts: list[gpd.GeoSeries]) -> tuple[float, float, float, float] | None:
    boxes = [p[p.notna() & ~p.is_empty].total_bounds for p in parts if len(p)]
    boxes = np.array([b for b in boxes if np.isfinite(b).all()])
    if not len(boxes):
        return None
    return (*boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0))


def render(wall: WallMap, fmt: str) -> bytes:
    """The wall map as ``pdf`` or ``png`` bytes."""
    paper = wall.options.paper
    with RENDER_LOCK, matplotlib.rc_context({"pdf.fonttype": 42, "pdf.compression": 6}):
        fig = Figure(figsize=paper.inches)
        FigureCanvasAgg(fig)
        draw(fig, wall, cjk_font())
        out = io.BytesIO()
        fig.savefig(out, format=fmt, dpi=paper.png_dpi() if fmt == "png" else 72)
        fig.clear()
    return out.getvalue()


def default_title(area_name: str | None) -> str:
    if area_name:
        return _("%(area)s key projects wall map", area=area_name)
    return _("Key projects wall map")


def describe(
    flt: MapFilter, layer: LayerDef, locale: str, names: Callable[[str], str | None]
) -> str:
    """The filter in words for the subtitle: areas, chosen values, ranges, text."""
    colon = ": " if locale == "en" else "："
    parts = [names(code) or code for code in (flt.county, flt.park) if code]
    for name in sorted(flt.values):
        field_def = layer.fields.get(name)
        if field_def is None:
            continue
        labels = [
            (field_def.value(v).label(locale) if field_def.value(v) else v)
            for v in sorted(flt.values[name])
        ]
        parts.append(field_def.label(locale) + colon + "、".join(labels))
    for name, (low, high) in sorted(flt.ranges.items()):
        if name in layer.fields:
            parts.append(f"{layer.fields[name].label(locale)}{colon}{low or ''}–{high or ''}")
    if flt.text:
        parts.append(f"“{flt.text}”")
    if flt.shapes:
        parts.append(_("drawn area"))
    return " · ".join(parts)
