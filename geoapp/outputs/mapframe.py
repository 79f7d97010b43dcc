"""The map of a wall map: outlines, projects, scale bar and north arrow, on one sheet.

The map is drawn in a transverse Mercator (Gauss-Krüger, as Chinese survey maps are) centred
on what it shows, so distances on paper are true to scale and the scale bar and the 1:N
ratio hold across the map (within 1 % over 10° of longitude). The extent is stretched to
the map box's proportions, so one page point is the same number of metres both ways, and a
position converts to page points by simple arithmetic (``MapBox.to_page``), for the labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
from matplotlib.axes import Axes
from matplotlib.patches import Polygon as PolygonPatch
from matplotlib.patches import Rectangle
from shapely.geometry import box as shapely_box
from shapely.geometry.base import BaseGeometry

from geoapp.layers import LayerDef
from geoapp.outputs.labels import Box
from geoapp.outputs.sheet import write

PAD = 0.06  # room around what the map shows, as a share of its size
MIN_SPAN_M = 3000.0  # a single project still shows its surroundings
WGS84 = pyproj.CRS.from_epsg(4326)


def projection(lon: float) -> pyproj.CRS:
    """Gauss-Krüger (transverse Mercator, CGCS2000's ellipsoid) centred on ``lon``."""
    return pyproj.CRS.from_proj4(
        f"+proj=tmerc +lat_0=0 +lon_0={lon:.4f} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m"
    )


@dataclass(frozen=True)
class MapBox:
    """Where the map sits on the page (points) and what it shows (projected metres)."""

    page: Box
    extent: Box

    @property
    def metres_per_point(self) -> float:
        return (self.extent[2] - self.extent[0]) / (self.page[2] - self.page[0])

    @property
    def ratio(self) -> float:
        """The scale's denominator: metres on the ground per metre on paper."""
        return self.metres_per_point * 72 / 0.0254

    def to_page(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = 1 / self.metres_per_point
        return (
            self.page[0] + (x - self.extent[0]) * k,
            self.page[1] + (y - self.extent[1]) * k,
        )

    def lonlat_bbox(self, crs: pyproj.CRS) -> tuple[float, float, float, float]:
        """The extent in longitude and latitude (for reading the outlines beneath)."""
        outline = gpd.GeoSeries([shapely_box(*self.extent)], crs=crs).segmentize(
            (self.extent[2] - self.extent[0]) / 16
        )
        return tuple(outline.to_crs(WGS84).total_bounds)


def fit_extent(bounds: Box, page: Box) -> Box:
    """``bounds`` (metres) padded and widened to the page box's proportions, centred."""
    x0, y0, x1, y1 = bounds
    width = max(x1 - x0, MIN_SPAN_M) * (1 + 2 * PAD)
    height = max(y1 - y0, MIN_SPAN_M) * (1 + 2 * PAD)
    aspect = (page[2] - page[0]) / (page[3] - page[1])
    width, height = max(width, height * aspect), max(height, width / aspect)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def enum_colors(layer: LayerDef, name: str | None, values, default: str) -> list[str]:
    """The declared colour of each value of field ``name`` (``default`` where none)."""
    if not name:
        return [default] * len(values)
    declared = {v.key: v.color for v in layer.fields[name].values if v.color}
    return [declared.get(str(v), default) for v in values]


def draw_outlines(ax: Axes, frame: gpd.GeoDataFrame, layer: LayerDef, line: float) -> None:
    """A polygon layer as its declaration styles it (edge colour by field, dash, fill)."""
    if frame.empty:
        return
    style = layer.style
    values = frame[style.stroke] if style.stroke in frame else [None] * len(frame)
    dash = tuple(float(v) * line for v in style.dash.split()) if style.dash else None
    fill = _with_alpha(style.fill_color, style.fill_opacity) if style.fill_opacity > 0 else "none"
    frame.plot(
        ax=ax,
        facecolor=fill,
        edgecolor=enum_colors(layer, style.stroke, values, style.color),
        linewidth=style.weight * line,
        linestyle=(0, dash) if dash else "solid",
        zorder=1,
    )


def _with_alpha(colour: str, alpha: float) -> tuple[float, float, float, float]:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return r, g, b, alpha


def draw_area(ax: Axes, area: BaseGeometry | None, crs: pyproj.CRS, line: float) -> None:
    """The drawn area (or circle) the filter keeps, as a dashed outline."""
    if area is None or area.is_empty:
        return
    shape = gpd.GeoSeries([area], crs=WGS84).to_crs(crs)
    shape.boundary.plot(ax=ax, color="#263238", linewidth=1.2 * line, linestyle="--", zorder=2)


def draw_markers(
    ax: Axes,
    xy: tuple[np.ndarray, np.ndarray],
    fills: list[str],
    rings: list[str],
    radius: float,
    ring: float,
    zorder: int,
) -> None:
    """Circles filled by status and ringed by warning colour; ``radius`` in points."""
    if len(fills) == 0:
        return
    ax.scatter(
        xy[0],
        xy[1],
        s=(2 * radius) ** 2,
        c=fills,
        edgecolors=rings,
        linewidths=ring,
        zorder=zorder,
        clip_on=True,
    )


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ metres not above ``metres``."""
    power = 10 ** math.floor(math.log10(metres))
    return max(step * power for step in (1, 2, 5) if step * power <= metres)


def scale_bar(ax: Axes, box: MapBox, body: float, font, page_transform) -> Box:
    """A bar of four segments (about a fifth of the map's width) with its length and the
    1:N ratio, at the lower left; returns the page box it takes (for the labels)."""
    span = box.extent[2] - box.extent[0]
    length = nice_length(span / 5)
    bar = length / box.metres_per_point
    x0, y0 = box.page[0] + 1.5 * body, box.page[1] + 1.6 * body
    height = 0.45 * body
    ax.add_patch(
        Rectangle(
            (x0 - 0.8 * body, y0 - 1.4 * body),
            bar + 3.6 * body,
            4.2 * body,
            transform=page_transform,
            facecolor=(1, 1, 1, 0.85),
            edgecolor="none",
            zorder=6,
        )
    )
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + i * bar / 4, y0),
                bar / 4,
                height,
                transform=page_transform,
                facecolor="#212121" if i % 2 == 0 else "white",
                edgecolor="#212121",
                linewidth=0.5,
                zorder=7,
            )
        )
    unit, div = ("km", 1000) if length >= 1000 else ("m", 1)
    for i, at in ((0, 0.0), (2, 0.5), (4, 1.0)):
        text = f"{length * at / div:g}" + (f" {unit}" if i == 4 else "")
        write(
            ax,
            page_transform,
            x0 + bar * at,
            y0 - 0.35 * body,
            text,
            0.85 * body,
            font,
            ha="center",
            va="top",
            zorder=8,
        )
    ratio = f"1:{_round_ratio(box.ratio):,}".replace(",", " ")
    write(
        ax,
        page_transform,
        x0,
        y0 + height + 0.35 * body,
        ratio,
        0.9 * body,
        font,
        ha="left",
        va="bottom",
        zorder=8,
    )
    return x0 - 0.8 * body, y0 - 1.4 * body, x0 + bar + 2.8 * body, y0 + 2.8 * body


def _round_ratio(ratio: float) -> int:
    """Three significant figures: 1:253 000, not 1:252 871."""
    power = 10 ** max(math.floor(math.log10(ratio)) - 2, 0)
    return int(round(ratio / power) * power)


def north_arrow(ax: Axes, box: MapBox, body: float, font, page_transform) -> Box:
    """An arrow pointing to grid north (true north at the map's centre), upper right."""
    width, height = 1.6 * body, 3.2 * body
    cx, top = box.page[2] - 2.2 * body, box.page[3] - 2.6 * body
    base = top - height
    halves = (
        ([(cx, top), (cx - width / 2, base), (cx, base + height * 0.28)], "#212121"),
        ([(cx, top), (cx + width / 2, base), (cx, base + height * 0.28)], "white"),
    )
    for points, colour in halves:
        ax.add_patch(
            PolygonPatch(
                points,
                closed=True,
                transform=page_transform,
                facecolor=colour,
                edgecolor="#212121",
                linewidth=0.6,
                zorder=7,
            )
        )
    write(
        ax,
        page_transform,
        cx,
        top + 0.3 * body,
        "N",
        1.2 * body,
        font,
        ha="center",
        va="bottom",
        zorder=8,
    )
    return cx - width, base - 0.5 * body, cx + width, top + 2.0 * body
