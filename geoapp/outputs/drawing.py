"""One wall map drawn onto a matplotlib figure: outlines and projects, numbered labels
placed without overlap, place names, the panels beside the map, title and footer.

The order matters: the markers of the projects to be numbered and the map furniture are
taken first, then the numbers are placed (most urgent first), then the place names where
room is left, so a name never hides a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from flask_babel import gettext as _
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.transforms import Transform

from geoapp.outputs import labels, panels, sheet
from geoapp.outputs.flow import LINE, Block, Row, lay_out, text_ems
from geoapp.outputs.mapframe import (
    draw_area,
    draw_markers,
    draw_outlines,
    enum_colors,
    north_arrow,
    scale_bar,
)

if TYPE_CHECKING:
    from geoapp.outputs.wallmap import WallMap

WARNING_RANK = {"red": 0, "yellow": 1}
MAX_NUMBERED = 2000  # an A0 holds a few hundred index rows; never lay out more than this
SMALL = 0.5  # an unnumbered project's marker against a numbered one's


@dataclass
class Ink:
    """Sizes of one sheet, in points."""

    body: float
    line: float  # one screen pixel of the layer styles
    radius: float  # a numbered project's marker
    ring: float


def draw(fig: Figure, wall: WallMap, font) -> None:
    layout = sheet.page_layout(wall.options.paper)
    page, pt = sheet.page_axes(fig)
    scale = wall.options.paper.scale**0.5
    style = wall.layer.style
    ink = Ink(layout.body, 0.5 * scale, 0.5 * scale * style.radius, 0.35 * scale * style.weight)
    ax = _map_axes(fig, wall)
    for layer, frame in wall.outlines:
        draw_outlines(ax, frame.to_crs(wall.crs), layer, ink.line)
    draw_area(ax, wall.area, wall.crs, ink.line)
    ax.set_xlabel("")  # GeoPandas names the axes after the CRS: a wall map shows no axes
    ax.set_ylabel("")
    taken = labels.Taken(cell=4 * ink.body)
    taken.add(scale_bar(ax, wall.box, ink.body, font, pt))
    taken.add(north_arrow(ax, wall.box, ink.body, font, pt))
    fixed = _fixed_blocks(wall, {}, layout)
    numbers = _numbers(ax, pt, wall, ink, taken, _capacity(fixed, layout, wall), font)
    _place_names(ax, pt, wall, ink, taken, font)
    entries = _entries(wall, numbers)
    index = panels.index_block(entries, layout.columns[0].width / ink.body, wall.layer, wall.locale)
    if len(entries) < len(wall.projects):
        note = _(
            "%(n)s more projects are small dots, not numbered.", n=len(wall.projects) - len(entries)
        )
        index.rows.append(Row((panels.Cell(0, note),), size=0.85))
    blocks = [*_fixed_blocks(wall, numbers, layout), index]
    sheet.draw_rows(page, pt, lay_out(blocks, layout.columns, ink.body), ink.body, font)
    _title_and_footer(page, pt, wall, layout, font)


def _map_axes(fig: Figure, wall: WallMap) -> Axes:
    width, height = wall.options.paper.points
    x0, y0, x1, y1 = wall.box.page
    ax = fig.add_axes((x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height))
    ax.set_xlim(wall.box.extent[0], wall.box.extent[2])
    ax.set_ylim(wall.box.extent[1], wall.box.extent[3])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("white")
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
    return ax


def _fixed_blocks(wall: WallMap, numbers: dict[int, int], layout) -> list[Block]:
    """Legend, figures and (when asked) the red/yellow list: what comes before the index."""
    frame, layer, locale = wall.projects, wall.layer, wall.locale
    counts = {
        name: {str(k): int(v) for k, v in frame[name].astype("string").value_counts().items()}
        for name in (layer.style.fill, layer.style.stroke)
        if name
    }
    outlines = [lyr for lyr, _frame in wall.outlines]
    blocks = [
        panels.legend_block(layer, outlines, counts, layout.columns[0].width / layout.body, locale),
        panels.stats_block(wall.figures, layer, locale),
    ]
    if wall.options.lists:
        blocks.append(_lists(wall, numbers, layout))
    return blocks


def _lists(wall: WallMap, numbers: dict[int, int], layout) -> Block:
    frame = wall.projects
    order = priority(frame)
    warned = order[_rank(frame)[order] < 2]  # red, then yellow
    rows = sum(c.top - c.bottom for c in layout.columns) / (LINE * layout.body)
    shown = warned[: max(4, int(rows) // 8)]
    items = [
        panels.Warned(
            numbers.get(i),
            str(frame[wall.layer.label_field].iloc[i]),
            str(frame["warning"].iloc[i]),
            str(frame["warning_reason"].iloc[i] or ""),
        )
        for i in shown
    ]
    return panels.lists_block(items, len(warned) - len(shown), wall.layer, wall.locale)


def _capacity(fixed: list[Block], layout, wall: WallMap) -> int:
    """How many index rows fit after the fixed blocks (one kept for the note on the rest)."""
    count = min(len(wall.projects), MAX_NUMBERED)
    dummy = [panels.Entry(0, "", None, None, None)] * count
    width = layout.columns[0].width / layout.body
    index = panels.index_block(dummy, width, wall.layer, wall.locale)
    placed = lay_out([*fixed, index], layout.columns, layout.body).counts.get("index", 0)
    room = max(placed - 2, 0)  # the heading and the header are not entries
    return room if room >= len(wall.projects) else max(room - 1, 0)


def _numbers(ax, pt, wall: WallMap, ink: Ink, taken, capacity: int, font) -> dict[int, int]:
    """Draw the projects and number those with room for a label: row position → number."""
    frame = wall.projects
    has_place = (frame.geometry.notna() & ~frame.geometry.is_empty).to_numpy()
    where = frame.geometry[has_place].to_crs(wall.crs)
    xy = np.full((len(frame), 2), np.nan)
    xy[has_place] = np.column_stack([where.x, where.y])
    px, py = wall.box.to_page(xy[:, 0], xy[:, 1])
    order = priority(frame)
    chosen = [int(i) for i in order[has_place[order]][:capacity]]
    for i in chosen:
        taken.add(labels.marker_box(px[i], py[i], ink.radius))
    size = 0.9 * ink.body
    box = ((0.6 * len(str(max(len(chosen), 1))) + 0.7) * size, 1.35 * size)
    spots = labels.place(
        [(px[i], py[i]) for i in chosen],
        [box] * len(chosen),
        ink.radius + 0.1 * size,
        wall.box.page,
        taken,
    )
    order = labels.reading_order(
        [(px[chosen[s.index]], py[chosen[s.index]]) for s in spots], 6 * size
    )
    numbers = {chosen[spots[k].index]: n for n, k in enumerate(order, start=1)}
    _draw_projects(ax, wall, xy, (px, py), numbers, ink)
    for n, k in enumerate(order, start=1):
        spot = spots[k]
        i = chosen[spot.index]
        draw_label(ax, pt, spot, (px[i], py[i]), str(n), size, font)
    return numbers


def _draw_projects(ax, wall: WallMap, xy, page, numbers: dict[int, int], ink: Ink) -> None:
    """Unnumbered projects as small dots, numbered ones as full markers above them; the more
    urgent drawn last, on top. A dot within a quarter of its width of a more urgent one
    would be all but hidden under it and is left out: a province's 100,000 projects become
    the few thousand dots an A0 can show, which keeps the PDF small and quick to write."""
    frame, layer = wall.projects, wall.layer
    style = layer.style
    values = {
        n: frame[n] if n in frame else [None] * len(frame) for n in (style.fill, style.stroke)
    }
    fills = enum_colors(layer, style.fill, values[style.fill], style.fill_color)
    rings = enum_colors(layer, style.stroke, values[style.stroke], style.color)
    rank = _rank(frame)
    numbered = np.zeros(len(frame), dtype=bool)
    numbered[list(numbers)] = True
    placed = ~np.isnan(xy[:, 0])
    for mask, share, z in ((placed & ~numbered, SMALL, 3), (numbered, 1.0, 4)):
        rows = np.flatnonzero(mask)
        rows = rows[np.argsort(rank[rows], kind="stable")]  # most urgent first
        if share < 1:
            rows = _one_per_spot(rows, page, share * ink.radius / 2)
        rows = rows[::-1]
        draw_markers(
            ax,
            (xy[rows, 0], xy[rows, 1]),
            [fills[i] for i in rows],
            [rings[i] for i in rows],
            share * ink.radius,
            share * ink.ring,
            z,
        )


def _one_per_spot(rows: np.ndarray, page, cell: float) -> np.ndarray:
    """The first of ``rows`` in each ``cell``-sized square of the page, in their order."""
    if len(rows) == 0:
        return rows
    keys = np.column_stack([np.floor(page[0][rows] / cell), np.floor(page[1][rows] / cell)])
    _keys, first = np.unique(keys, axis=0, return_index=True)
    return rows[np.sort(first)]


def _rank(frame: pd.DataFrame) -> np.ndarray:
    """0 red, 1 yellow, 2 any other warning."""
    return frame["warning"].map(WARNING_RANK).fillna(2).to_numpy()


def priority(frame: pd.DataFrame, money: str = "total_investment") -> np.ndarray:
    """Row positions, most urgent first: red, yellow, the rest; then by investment."""
    amount = pd.to_numeric(frame[money], errors="coerce").fillna(0).to_numpy()
    return np.lexsort((-amount, _rank(frame)))


def draw_label(ax: Axes, pt: Transform, spot, anchor, text: str, size: float, font) -> None:
    """A number in a white box at ``spot`` (``labels.place``), a leader to its marker when
    it had to move away (the wall map's projects, the comparison's sites)."""
    x0, y0, x1, y1 = spot.box
    if spot.leader:
        line = Line2D([anchor[0], (x0 + x1) / 2], [anchor[1], (y0 + y1) / 2], transform=pt)
        line.set(color="#616161", linewidth=0.06 * size, zorder=5)
        ax.add_line(line)
    ax.add_patch(
        Rectangle(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            transform=pt,
            facecolor="white",
            edgecolor="#424242",
            linewidth=0.05 * size,
            zorder=6,
        )
    )
    sheet.write(
        ax, pt, (x0 + x1) / 2, (y0 + y1) / 2, text, size, font, ha="center", va="center", zorder=7
    )


def _place_names(ax, pt, wall: WallMap, ink: Ink, taken, font) -> None:
    """County and park names where there is room; a park is named only if it is wider on
    paper than its name (as the map page names parks from zoom 11)."""
    for layer, frame in wall.outlines:
        if not layer.label_field or frame.empty:
            continue
        size = ink.body * (0.85 if "park" in layer.area else 1.3)  # parks, or counties
        colour = layer.style.color
        shapes = frame.to_crs(wall.crs).clip_by_rect(*wall.box.extent)
        k = 1 / wall.box.metres_per_point
        for name, shape in zip(frame[layer.label_field].astype(str), shapes, strict=True):
            if shape is None or shape.is_empty:
                continue
            w, h = text_ems(name) * size, 1.2 * size
            if (shape.bounds[2] - shape.bounds[0]) * k < w:
                continue
            point = shape.representative_point()
            x, y = wall.box.to_page(np.array([point.x]), np.array([point.y]))
            for shift in (0.0, 1.6, -1.6):
                spot = (
                    x[0] - w / 2,
                    y[0] - h / 2 + shift * h,
                    x[0] + w / 2,
                    y[0] + h / 2 + shift * h,
                )
                if labels.inside(spot, wall.box.page) and not taken.hits(spot):
                    taken.add(spot)
                    _halo_text(ax, pt, spot, name, size, colour, font)
                    break


def _halo_text(ax, pt, spot, text: str, size: float, colour: str, font) -> None:
    from matplotlib import patheffects

    label = sheet.write(
        ax,
        pt,
        (spot[0] + spot[2]) / 2,
        (spot[1] + spot[3]) / 2,
        text,
        size,
        font,
        ha="center",
        va="center",
        color=colour,
        zorder=5,
    )
    label.set_path_effects([patheffects.withStroke(linewidth=0.25 * size, foreground="white")])


def _entries(wall: WallMap, numbers: dict[int, int]) -> list[panels.Entry]:
    frame, layer = wall.projects, wall.layer
    style = layer.style

    def value(i: int, name: str | None):
        if not name or name not in frame:
            return None
        v = frame[name].iloc[i]
        return None if v is None or v != v else v

    return [
        panels.Entry(
            n,
            str(frame[layer.label_field].iloc[i]),
            value(i, style.fill),
            value(i, "total_investment"),
            value(i, style.stroke),
        )
        for i, n in sorted(numbers.items(), key=lambda item: item[1])
    ]


def _title_and_footer(page, pt, wall: WallMap, layout, font) -> None:
    width, _height = wall.options.paper.points
    body = layout.body
    sheet.write(
        page, pt, width / 2, layout.title_top, wall.title, 2.4 * body, font, ha="center", va="top"
    )
    sub = [_("As of %(date)s", date=panels.long_date(wall.options.as_of, wall.locale))]
    sub += [wall.subtitle] if wall.subtitle else []
    sheet.write(
        page,
        pt,
        width / 2,
        layout.title_top - 2.4 * 1.45 * body,
        " · ".join(sub),
        1.2 * body,
        font,
        ha="center",
        va="top",
        color="#424242",
    )
    if wall.approval:
        sheet.write(
            page,
            pt,
            layout.margin,
            layout.footer,
            _("Map approval number: %(number)s", number=wall.approval),
            0.9 * body,
            font,
            va="bottom",
        )
    printed = _("Printed on %(date)s by geoapp", date=panels.long_date(date.today(), wall.locale))
    sheet.write(
        page,
        pt,
        width - layout.margin,
        layout.footer,
        printed,
        0.9 * body,
        font,
        ha="right",
        va="bottom",
        color="#616161",
    )
