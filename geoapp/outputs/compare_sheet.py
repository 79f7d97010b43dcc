"""地块对比表: the comparison of up to four sites on one A4 landscape page, for an investor's
board — drawn on the server with matplotlib, offline, in Chinese.

The page: the title (the sites' ids), a map on the left (the sites numbered as the table's
columns, inside their parks' outlines, with scale bar and north arrow: ``mapframe``), the
table on the right (a column per site, a row per property, as ``geoapp.invest.compare``
builds it for the web page), and a footer saying when it was made and where it lives online.
The table is laid out by ``flow`` and drawn by ``sheet``, like the wall map's panels; its type
shrinks until every row fits. The CJK font is taken by path (``fonts``) and embedded, so the
text can be searched and copied.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import matplotlib
import numpy as np
from flask_babel import gettext as _
from matplotlib.figure import Figure

from geoapp.invest.compare import Comparison
from geoapp.invest.compare import Row as CompareRow
from geoapp.outputs import labels, sheet
from geoapp.outputs.drawing import draw_label
from geoapp.outputs.flow import Block, Cell, Column, Row, lay_out, text_ems, wrap
from geoapp.outputs.fonts import cjk_font
from geoapp.outputs.mapframe import (
    WGS84,
    MapBox,
    draw_markers,
    fit_extent,
    north_arrow,
    projection,
    scale_bar,
)
from geoapp.outputs.panels import long_date
from geoapp.outputs.paper import MM, Paper

PAPER = Paper("A4", "landscape")
MAP_SHARE = 0.36  # of the width inside the margins
BODY_MAX, BODY_MIN = 10.0, 5.5  # table type, points: as large as fits
INK, MUTED, BEST, BAND, PARK = "#212121", "#757575", "#1b5e20", "#0b3d6e", "#6a1b9a"
LABEL_EMS = (8.0, 15.0)  # the row labels' column, narrowest and widest
CELL_LINES = 3  # a longer value is cut


@dataclass(frozen=True)
class CompareContent:
    comparison: Comparison
    link: str  # the comparison's page online


@dataclass(frozen=True)
class _Frame:
    title: float  # baseline of the title
    map: labels.Box
    table: labels.Box
    footer: float


def compare_sheet(content: CompareContent, locale: str) -> bytes:
    """The comparison as PDF bytes (one page)."""
    font = cjk_font()
    frame = _frame()
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig = Figure(figsize=PAPER.inches)
        page, pt = sheet.page_axes(fig)
        _title(page, pt, content.comparison, frame, font)
        _map(fig, pt, content.comparison, frame.map, font)
        _table(page, pt, content.comparison, frame.table, font)
        _footer(page, pt, content, frame, font, locale)
        out = io.BytesIO()
        fig.savefig(out, format="pdf", metadata={"Title": _title_text(content.comparison)})
    return out.getvalue()


def _frame() -> _Frame:
    width, height = PAPER.points
    margin = sheet.MARGIN_MM * MM
    top = height - margin - 44
    bottom = margin + 22
    map_right = margin + (width - 2 * margin) * MAP_SHARE
    return _Frame(
        title=height - margin,
        map=(margin, bottom, map_right, top),
        table=(map_right + 18, bottom, width - margin, top),
        footer=margin,
    )


def _title_text(comparison: Comparison) -> str:
    return _("Site comparison") + " · " + "、".join(c.site.key for c in comparison.columns)


def _title(page, pt, comparison: Comparison, frame: _Frame, font) -> None:
    margin = frame.map[0]
    sheet.write(page, pt, margin, frame.title, _title_text(comparison), 17, font,
                va="top", color=BAND)  # fmt: skip
    parks = dict.fromkeys(f"{c.park.name}（{c.county}）" for c in comparison.columns if c.park)
    sheet.write(page, pt, margin, frame.title - 25, "、".join(parks), 9.5, font,
                va="top", color=MUTED)  # fmt: skip


def _map(fig: Figure, pt, comparison: Comparison, page_box: labels.Box, font) -> None:
    """The sites filled with their kind's colour in their parks' outlines, each with its
    column's number; to scale, north up (Gauss-Krüger centred on the sites)."""
    columns = comparison.columns
    sites = gpd.GeoSeries([c.site.geometry for c in columns], crs=WGS84)
    crs = projection(float(np.mean(sites.total_bounds[[0, 2]])))
    sites = sites.to_crs(crs)
    parks = {c.park.park_id: c.park.geometry for c in columns if c.park}
    outlines = gpd.GeoSeries(list(parks.values()), crs=WGS84).to_crs(crs)
    bounds = sites.total_bounds if outlines.empty else _union(sites, outlines)
    box = MapBox(page_box, fit_extent(tuple(bounds), page_box))
    width, height = PAPER.points
    x0, y0, x1, y1 = page_box
    ax = fig.add_axes((x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height))
    ax.set_xlim(box.extent[0], box.extent[2])
    ax.set_ylim(box.extent[1], box.extent[3])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#eef2f5")
    if not outlines.empty:
        outlines.plot(ax=ax, facecolor=(0.81, 0.58, 0.85, 0.25), edgecolor=PARK, linewidth=1)
    sites.plot(ax=ax, facecolor=[c.site.color for c in columns], edgecolor="#0d47a1",
               linewidth=0.8, zorder=2)  # fmt: skip
    ax.set_xlabel("")  # GeoPandas names the axes after the CRS: the sheet shows no axes
    ax.set_ylabel("")
    body = 8.0
    taken = labels.Taken(cell=4 * body)
    taken.add(scale_bar(ax, box, body, font, pt))
    taken.add(north_arrow(ax, box, body, font, pt))
    _numbers(ax, pt, box, sites, taken, body, font)


def _union(*series: gpd.GeoSeries) -> np.ndarray:
    bounds = np.array([s.total_bounds for s in series])
    return np.array([*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0)])


def _numbers(ax, pt, box: MapBox, sites: gpd.GeoSeries, taken, body: float, font) -> None:
    """A dot at each site and its number beside it, the labels kept apart (``labels``)."""
    points = sites.representative_point()
    px, py = box.to_page(points.x.to_numpy(), points.y.to_numpy())
    radius = 0.35 * body
    draw_markers(ax, (points.x.to_numpy(), points.y.to_numpy()), [INK] * len(points),
                 ["white"] * len(points), radius, 0.6, 5)  # fmt: skip
    for x, y in zip(px, py, strict=True):
        taken.add(labels.marker_box(x, y, radius))
    size = 1.1 * body
    anchors = list(zip(px, py, strict=True))
    spots = labels.place(anchors, [(1.4 * size, 1.4 * size)] * len(px), radius, box.page, taken)
    for spot in spots:
        draw_label(ax, pt, spot, anchors[spot.index], str(spot.index + 1), size, font)


def _table(page, pt, comparison: Comparison, table: labels.Box, font) -> None:
    """The comparison's rows in the largest type that lets every row fit."""
    x0, y0, x1, y1 = table
    column = Column(x0, y1, x1 - x0, y0)
    body = BODY_MAX
    while True:
        block = _block(comparison, (x1 - x0) / body)
        needed = sum(row.height(body) for row in block.rows)
        if needed <= y1 - y0 or body <= BODY_MIN:
            break
        body -= 0.25
    sheet.draw_rows(page, pt, lay_out([block], [column], body), body, font)


def _block(comparison: Comparison, width_ems: float) -> Block:
    """Header (number and name of each site), then each group's heading and rows."""
    columns = comparison.columns
    every = [r for g in comparison.groups for r in g.rows]
    label_ems = min(max([text_ems(r.label) + 1 for r in every] + [LABEL_EMS[0]]), LABEL_EMS[1])
    cell_ems = (width_ems - label_ems) / max(len(columns), 1)
    starts = [label_ems + i * cell_ems for i in range(len(columns))]
    titles = [f"{c.number}  {c.site.title}" for c in columns]
    rows = _lines("", titles, label_ems, starts, cell_ems, [BAND] * len(columns))
    rows[-1] = Row(rows[-1].cells, rule=True)
    for group in comparison.groups:
        rows.append(Row((Cell(0, group.title, color=BAND),), size=1.1, space=0.35))
        for row in group.rows:
            rows += _compare_row(row, label_ems, starts, cell_ems)
    return Block(rows, tag="compare")


def _compare_row(row: CompareRow, label_ems, starts, cell_ems) -> list[Row]:
    texts, colours = [], []
    for cell in row.cells:
        texts.append(_("%(value)s (lowest)", value=cell.text) if cell.best else cell.text)
        colours.append(BEST if cell.best else MUTED if row.same else INK)
    return _lines(row.label, texts, label_ems, starts, cell_ems, colours)


def _lines(label: str, texts, label_ems, starts, cell_ems, colours) -> list[Row]:
    """One table row as lines of text: long values wrap under themselves."""
    wrapped = [wrap(label, label_ems - 0.6, CELL_LINES)]
    wrapped += [wrap(t, cell_ems - 0.8, CELL_LINES) for t in texts]
    rows = []
    for i in range(max(len(w) for w in wrapped)):
        cells = [Cell(0, _at(wrapped[0], i), color=MUTED)]
        cells += [
            Cell(start, _at(lines, i), width=cell_ems - 0.6, color=colour)
            for start, lines, colour in zip(starts, wrapped[1:], colours, strict=True)
        ]
        rows.append(Row(tuple(cells), space=0.15 if i == 0 else 0.0))
    return rows


def _at(lines: list[str], i: int) -> str:
    return lines[i] if i < len(lines) else ""


def _footer(page, pt, content: CompareContent, frame: _Frame, font, locale: str) -> None:
    made = _("Compared on %(date)s from the county's published data; the transfer documents "
             "prevail.", date=long_date(date.today(), locale))  # fmt: skip
    left = frame.map[0]
    sheet.write(page, pt, left, frame.footer + 11, made, 7.5, font, va="bottom", color=MUTED)
    sheet.write(page, pt, left, frame.footer, content.link, 7.5, font, va="bottom", color=MUTED)
