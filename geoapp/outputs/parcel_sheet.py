"""地块说明书: one A4 page about one site, for an investor's board — drawn on the server with
matplotlib, offline, in Chinese.

The page: a title band (the site and its park), a map of the site in its park with a scale
bar and a north arrow, the site's figures and indicators (a factory's floor area, rent and
price) as the layer files label them, the park's utilities and contact beside the distances
to the county seat, highway exit, railway station and airport, the documents attached to
the site (to download from its page), and where to find the page online. matplotlib's
own font has no Chinese, so the CJK font is taken by file path (Debian's fonts-wqy-microhei,
which the Makefile installs) and embedded as TrueType, so the text can be searched and copied.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass
from datetime import date

import matplotlib
from flask_babel import gettext as _
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from geoapp.invest.attachments import Attachment
from geoapp.invest.landmarks import Distance
from geoapp.invest.mapdata import area_text
from geoapp.invest.parks import ParkView
from geoapp.invest.vacancies import Site
from geoapp.outputs.fonts import cjk_font

A4 = (8.27, 11.69)  # inches, portrait
FOOTER_TOP = 0.075  # the documents listed under the distances stop above the footer
CJK_PER_WIDTH = 56  # 10 pt CJK characters across the whole page's width
INK, MUTED, BAND, PARK = "#1f2933", "#52606d", "#0b3d6e", "#6a1b9a"
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class SheetContent:
    site: Site
    park: ParkView | None
    distances: list[Distance]
    link: str  # the site's page online
    documents: tuple[Attachment, ...] = ()  # the PDFs attached to the site


def parcel_sheet(content: SheetContent, locale: str) -> bytes:
    """The sheet as PDF bytes."""
    font = cjk_font()
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig = Figure(figsize=A4)
        _band(fig, content, font)
        _map(fig.add_axes((0.06, 0.50, 0.48, 0.38)), content, font)
        _figures(fig, content, font, locale)
        _section(fig, (0.06, 0.45, 0.48), _("Park"), _park_rows(content), font)
        below = _section(fig, (0.58, 0.45, 0.36), _("Distances"), _distance_rows(content), font)
        if content.documents:
            _documents(fig, (0.58, below - 0.02, 0.36), content.documents, font)
        _footer(fig, content, font, locale)
        out = io.BytesIO()
        fig.savefig(out, format="pdf", metadata={"Title": content.site.title})
    return out.getvalue()


def _band(fig: Figure, content: SheetContent, font: FontProperties) -> None:
    fig.add_artist(Rectangle((0, 0.92), 1, 0.08, transform=fig.transFigure, color=BAND))
    title = _("Parcel sheet") + " · " + content.site.title
    fig.text(0.06, 0.962, title, color="white", fontproperties=font, fontsize=18, va="center")
    park = content.park
    where = " · ".join(p for p in (park.name if park else "", park.county if park else "") if p)
    fig.text(0.06, 0.935, where, color="#dbe7f3", fontproperties=font, fontsize=10, va="center")


def _map(ax, content: SheetContent, font: FontProperties) -> None:
    """The site filled with its kind's colour inside its park's outline, north up, to scale."""
    site = content.site
    if content.park is not None:
        _draw(ax, content.park.geometry, face="#f3e5f5", edge=PARK, width=1.5)
    _draw(ax, site.geometry, face=site.color, edge="#0d47a1", width=1.2)
    focus = content.park.geometry if content.park is not None else site.geometry
    minx, miny, maxx, maxy = focus.buffer(0.002).bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#eef2f5")
    _scale_bar(ax, font)
    ax.annotate("N", xy=(0.93, 0.95), xytext=(0.93, 0.83), xycoords="axes fraction",
                ha="center", fontsize=11, fontproperties=font,
                arrowprops={"arrowstyle": "-|>", "color": INK})  # fmt: skip


def _draw(ax, geometry: BaseGeometry, face: str, edge: str, width: float) -> None:
    for polygon in getattr(geometry, "geoms", [geometry]):
        rings = [polygon.exterior, *polygon.interiors]
        vertices = [xy for ring in rings for xy in ring.coords]
        codes = []
        for ring in rings:
            codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(ring.coords) - 2)
            codes += [MplPath.CLOSEPOLY]
        patch = PathPatch(MplPath(vertices, codes), facecolor=face, edgecolor=edge, lw=width)
        ax.add_patch(patch)


def _scale_bar(ax, font: FontProperties) -> None:
    """A bar of a round length (100 m, 200 m, 500 m, 1 km …) about a quarter of the width."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    lat = y0 + (y1 - y0) * 0.06
    _, _, width_m = _GEOD.inv(x0, lat, x1, lat)
    metres = _round_length(width_m / 4)
    start = x0 + (x1 - x0) * 0.05
    end_lon, _, _ = _GEOD.fwd(start, lat, 90, metres)
    ax.plot([start, end_lon], [lat, lat], color=INK, lw=3, solid_capstyle="butt")
    text = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    ax.text(start, lat + (y1 - y0) * 0.02, text, fontproperties=font, fontsize=8, color=INK)


def _round_length(metres: float) -> float:
    magnitude = 10 ** math.floor(math.log10(max(metres, 1)))
    return max(s * magnitude for s in (1, 2, 5) if s * magnitude <= max(metres, 1))


def _figures(fig: Figure, content: SheetContent, font: FontProperties, locale: str) -> None:
    site = content.site
    rows = [
        (site.layer.fields[site.layer.id_field].label(locale), site.key),
        (_("Kind"), site.kind_label),
        (_("Area"), area_text(site.area_mu)),
        *[(r.label, r.text) for r in site.rows],
    ]
    _rows(fig, 0.57, 0.88, rows, font, label_width=0.235, wrap=12)


def _park_rows(content: SheetContent) -> list[tuple[str, str]]:
    if content.park is None:
        return [(_("Park"), "—")]
    return [(_("Park"), content.park.name), *[(r.label, r.text) for r in content.park.rows]]


def _distance_rows(content: SheetContent) -> list[tuple[str, str]]:
    if not content.distances:
        return [(_("Distances"), _("No landmarks recorded."))]
    return [(d.label, f"{d.km:g} km（{d.name}）") for d in content.distances]


def _section(fig: Figure, box: tuple[float, float, float], title: str, rows, font) -> float:
    """A titled column (x, top, width) of label–value lines: the park's beside the distances,
    so that both fit above the footer however many utilities a park lists."""
    x, top, width = box
    _heading(fig, box, title, font)
    label_width = 0.4 * width
    wrap = int((width - label_width) * 80)  # characters of 10 pt CJK in that width
    return _rows(fig, x, top - 0.03, rows, font, label_width=label_width, wrap=wrap)


def _heading(fig: Figure, box: tuple[float, float, float], title: str, font) -> None:
    x, top, width = box
    fig.text(x, top, title, fontproperties=font, fontsize=13, color=BAND, weight="bold")
    fig.add_artist(Rectangle((x, top - 0.008), width, 0.0015, transform=fig.transFigure,
                             color=BAND))  # fmt: skip


def _documents(fig: Figure, box: tuple[float, float, float], documents, font) -> None:
    """The PDFs attached to the site by caption (two lines at most each), as many as fit
    above the footer; the rest counted. They are downloaded from the site's page."""
    x, top, width = box
    _heading(fig, box, _("Documents on the site's page"), font)
    wrap = int(width * CJK_PER_WIDTH) - 1
    y = top - 0.03
    for shown, document in enumerate(documents):
        lines = textwrap.wrap(document.caption, wrap) or ["—"]
        if len(lines) > 2:
            lines = [lines[0], lines[1][: wrap - 1] + "…"]
        if y - 0.021 * (len(lines) + 1) < FOOTER_TOP:  # room for these and the count
            more = _("%(n)s more", n=len(documents) - shown)
            fig.text(x, y, more, fontproperties=font, fontsize=9.5, color=MUTED, va="top")
            return
        for n, line in enumerate(lines):
            fig.text(x, y, ("· " if n == 0 else "  ") + line, fontproperties=font, fontsize=10,
                     color=INK, va="top")  # fmt: skip
            y -= 0.021
        y -= 0.004


def _rows(fig, x: float, top: float, rows, font, label_width: float, wrap: int) -> float:
    """Label–value lines from ``top`` down; long values wrap. Returns where the next goes."""
    y = top
    for label, value in rows:
        lines = textwrap.wrap(str(value), wrap) or ["—"]
        fig.text(x, y, str(label), fontproperties=font, fontsize=9.5, color=MUTED, va="top")
        for line in lines:
            fig.text(x + label_width, y, line, fontproperties=font, fontsize=10, color=INK,
                     va="top")  # fmt: skip
            y -= 0.021
        y -= 0.004
    return y


def _footer(fig: Figure, content: SheetContent, font: FontProperties, locale: str) -> None:
    day = date.today()
    shown = f"{day.year}年{day.month}月{day.day}日" if locale == "zh" else day.isoformat()
    made = _("Made on %(date)s from the county's published data; the transfer documents prevail.",
             date=shown)  # fmt: skip
    fig.text(0.06, 0.045, made, fontproperties=font, fontsize=8, color=MUTED)
    fig.text(0.06, 0.025, content.link, fontproperties=font, fontsize=8, color=MUTED)
