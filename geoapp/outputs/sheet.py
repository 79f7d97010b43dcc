"""The sheet of a wall map: where the title, the map, the columns of panels and the footer
go, and how the rows laid out by ``flow`` are drawn.

Landscape: the map takes the left two thirds, the panels the right third in as many
columns as fit. Portrait: the map takes the upper three fifths, the panels run in columns
across the bottom. Everything is in page points (y up); ``page_axes`` draws in them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle
from matplotlib.transforms import Affine2D, Transform

from geoapp.outputs.flow import LINE, Column, Flow, Placed, Swatch, fit
from geoapp.outputs.labels import Box
from geoapp.outputs.paper import MM, Paper

MARGIN_MM = 8.0  # on an A4; grows with the sheet
COLUMN_EMS = 34.0  # narrowest panel column, in body ems
MAP_SHARE = {"landscape": 0.68, "portrait": 0.60}


@dataclass(frozen=True)
class Layout:
    paper: Paper
    body: float  # body type, points
    title_top: float
    map: Box
    columns: tuple[Column, ...]
    footer: float  # baseline of the footer line

    @property
    def margin(self) -> float:
        return MARGIN_MM * MM * self.paper.scale


def page_layout(paper: Paper) -> Layout:
    width, height = paper.points
    body = paper.body_pt
    margin = MARGIN_MM * MM * paper.scale
    title_band = (2.4 + 1.2) * LINE * body + body
    top = height - margin - title_band
    bottom = margin + 1.8 * body
    gap = 2.0 * body
    if paper.orientation == "landscape":
        map_right = margin + (width - 2 * margin) * MAP_SHARE["landscape"]
        box = (margin, bottom, map_right, top)
        panel = (map_right + gap, bottom, width - margin, top)
    else:
        map_bottom = top - (top - bottom) * MAP_SHARE["portrait"]
        box = (margin, map_bottom, width - margin, top)
        panel = (margin, bottom, width - margin, map_bottom - gap)
    return Layout(
        paper=paper,
        body=body,
        title_top=height - margin,
        map=box,
        columns=_columns(panel, body, gap),
        footer=margin,
    )


def _columns(panel: Box, body: float, gap: float) -> tuple[Column, ...]:
    x0, y0, x1, y1 = panel
    count = max(1, math.floor((x1 - x0 + gap) / (COLUMN_EMS * body + gap)))
    width = (x1 - x0 - gap * (count - 1)) / count
    return tuple(Column(x0 + i * (width + gap), y1, width, y0) for i in range(count))


def page_axes(fig: Figure) -> tuple[Axes, Transform]:
    """An invisible axes over the whole sheet and the transform of page points into it."""
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return ax, Affine2D().scale(1 / 72) + fig.dpi_scale_trans


def write(ax: Axes, pt: Transform, x: float, y: float, text: str, size: float, font, **kw):
    """Text at page point (x, y), as data: no mathtext, whatever a name holds."""
    return ax.text(
        x, y, text, transform=pt, fontproperties=font, fontsize=size, parse_math=False, **kw
    )


def draw_rows(ax: Axes, pt: Transform, flow: Flow, body: float, font) -> None:
    for placed in flow.placed:
        _draw_row(ax, pt, placed, body, font)


def _draw_row(ax: Axes, pt: Transform, placed: Placed, body: float, font) -> None:
    row = placed.row
    em = body * row.size
    height = row.height(body) - row.space * LINE * body
    middle = placed.top - height / 2
    columns_ems = placed.width / em
    for cell in row.cells:
        start = cell.at if cell.at >= 0 else columns_ems + cell.at
        room = cell.width or (start if cell.align == "right" else columns_ems - start)
        write(
            ax,
            pt,
            placed.x + start * em,
            middle,
            fit(cell.text, room),
            em,
            font,
            ha=cell.align,
            va="center",
            color=cell.color or "#212121",
        )
    for at, swatch in row.swatches:
        start = at if at >= 0 else columns_ems + at
        _draw_swatch(ax, pt, swatch, placed.x + start * em, middle, em)
    if row.rule:
        bottom = placed.top - height
        line = Line2D(
            [placed.x, placed.x + placed.width], [bottom, bottom], transform=pt, lw=0.06 * em
        )
        line.set_color("#424242")
        ax.add_line(line)


def _draw_swatch(ax: Axes, pt: Transform, swatch: Swatch, x: float, y: float, em: float) -> None:
    if swatch.kind == "marker":
        ax.add_patch(
            Circle(
                (x + 0.7 * em, y),
                0.36 * em,
                transform=pt,
                facecolor=swatch.fill,
                edgecolor=swatch.edge,
                linewidth=0.16 * em,
            )
        )
        return
    dash = (0, tuple(float(v) * 0.08 * em for v in swatch.dash.split())) if swatch.dash else "-"
    if swatch.kind == "area":
        ax.add_patch(
            Rectangle(
                (x + 0.1 * em, y - 0.35 * em),
                1.2 * em,
                0.7 * em,
                transform=pt,
                facecolor=swatch.fill + "40",
                edgecolor=swatch.edge,
                linewidth=0.1 * em,
                linestyle=dash,
            )
        )
        return
    line = Line2D([x + 0.1 * em, x + 1.3 * em], [y, y], transform=pt, lw=0.14 * em, ls=dash)
    line.set_color(swatch.edge)
    ax.add_line(line)
