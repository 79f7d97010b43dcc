"""进度看板 (``/dashboard``): the rates, charts, warnings and 红黑榜 of the map's filter at a
reporting date, and a month slider that replays the year.

The page takes the map page's URL (its filters and page state) plus ``as_of`` and ``by``
(what the 红黑榜 ranks), so a link between the two keeps the filter both ways. The page is
written on the server from ``snapshot``; the slider fetches the same answer for another
month's end from ``/api/dashboard`` (the figures and tables written by the same template
macros) and the year month by month from ``/api/rates/months``.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, get_template_attribute, jsonify, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from geoapp import dashboard
from geoapp.errors import BadRequest
from geoapp.layers import LayerDef
from geoapp.page_state import shared_query
from geoapp.query import MapFilter
from geoapp.rates import COLUMNS as RATE_COLUMNS
from geoapp.rates import RANK_BY, rates
from geoapp.services import services
from geoapp.views import OFFICIAL_AUDIENCE
from geoapp.views.map import MAX_PARK_CHOICES
from geoapp.views.rates import (
    dated_filter,
    projects_at,
    rank_by,
    rankings_of,
    rates_layer,
    reporting_date,
    with_warnings,
)

bp = Blueprint("dashboard", __name__)
RANKINGS = ("county", "park", "unit", "leader")  # the 红黑榜's choices, in this order
PARTS = ("figures", "warnings", "rankings", "areas_table", "categories_table")  # re-written


@bp.get("/dashboard")
def page():
    """The dashboard of the URL's filter at ``as_of`` (default today); a bad parameter is
    named at the top of the page (400) and the rest is shown without it."""
    svc = services()
    layer = rates_layer()
    args = request.args.copy()
    errors: list[BadRequest] = []
    as_of = _checked(lambda: reporting_date(args.pop("as_of", None)), date.today(), errors)
    raw_by = args.pop("by", "")
    flt, filter_errors = svc.parse_filter(args, svc.layers_for(OFFICIAL_AUDIENCE))
    errors += filter_errors
    by = _checked(lambda: rank_by(layer, raw_by) if raw_by else None, None, errors)
    snap = snapshot(layer, flt, as_of, by)
    months = dashboard.slider_months(as_of, date.today())
    page = render_template(
        "dashboard.html",
        snap=snap,
        layer=layer,
        flt=flt,
        title=_scope_title(flt),
        areas=svc.areas_in_scope(),
        choices={layer.id: svc.choices(layer)},
        max_park_choices=MAX_PARK_CHOICES,
        kept=_kept_in_form(flt, layer),
        errors=errors,
        locale=str(get_locale()),
        months=[_month(d) for d in months],
        month_index=as_of.month - 1,
        layer_args=_layer_args(flt, layer),
        link_query=shared_query(request.args),
        by=by,
        rankings=[b for b in RANKINGS if RANK_BY[b] in layer.fields],
        warning_colours={v.key: v.color for v in layer.fields["warning"].values},
    )
    return page, (400 if errors else 200)


@bp.get("/api/dashboard")
def at_date():
    """What the page shows for the filter at ``as_of``, its tables written out (``html``):
    the month slider's answer."""
    layer = rates_layer()
    flt, as_of, own = dated_filter(layer, "by")
    snap = snapshot(layer, flt, as_of, rank_by(layer, own["by"]) if own["by"] else None)
    html = {name: get_template_attribute("_dashboard.html", name)(snap) for name in PARTS}
    return jsonify(snap | {"html": html})


def snapshot(layer: LayerDef, flt: MapFilter, as_of: date, by: str | None) -> dict:
    """Figures, rates by area and by category, the red and yellow lists, each project's
    colour for the small map and the 红黑榜 (by ``by``, else by the area chart's places), of
    the filter's projects as known at ``as_of``."""
    projects = with_warnings(projects_at(layer, flt, _columns(layer), as_of), as_of)
    found = rates(projects, as_of)
    area_by = dashboard.area_breakdown(projects, layer)
    by = by or area_by
    ranked = {b: rankings_of(layer, projects, b, as_of) for b in {area_by, "category", by}}
    link_args = _layer_args(flt, layer)
    locale = str(get_locale())
    return {
        "as_of": as_of.isoformat(),
        "date": dashboard.long_date(as_of),
        "figures": dashboard.figures(found),
        "rates": found.to_json(),
        "areas": ranked[area_by],
        "categories": ranked["category"],
        "rankings": ranked[by],
        "warnings": dashboard.warning_list(
            projects, layer, locale, _place_namer(), lambda fid: _map_link(link_args, fid)
        ),
        "colours": {str(fid): colour for fid, colour in projects["warning"].items()},
    }


def _month(day: date) -> dict:
    """A stop of the month slider: its date, its tick (3月) and its label (2026年3月31日)."""
    return {
        "as_of": day.isoformat(),
        "label": format_date(day, "MMM"),
        "date": dashboard.long_date(day),
    }


def _columns(layer: LayerDef) -> list[str]:
    """What the snapshot reads of each project: the rates' columns, the list's, the places'."""
    wanted = [*RATE_COLUMNS, *dashboard.LIST_COLUMNS, *RANK_BY.values()]
    worked_out = ("warning", "warning_reason")  # of the date, by with_warnings
    return [c for c in dict.fromkeys(wanted) if c in layer.fields and c not in worked_out]


def _checked(value, default, errors: list[BadRequest]):
    """``value()``, or ``default`` with its error kept for the page to name."""
    try:
        return value()
    except BadRequest as error:
        errors.append(error)
        return default


def _scope_title(flt: MapFilter) -> str:
    """What the figures are of: the park, the county, or every area the user may see."""
    areas = services().areas()
    return areas.name_of(flt.park) or areas.name_of(flt.county) or _("All areas")


def _place_namer():
    """Where a project is, as people say it: 陇县 · 苏陕工业园."""
    areas = services().areas()

    def place(county: str | None, park: str | None) -> str:
        names = [areas.name_of(county) or county, areas.name_of(park)]
        return " · ".join(n for n in names if n)

    return place


def _layer_args(flt: MapFilter, layer: LayerDef) -> str:
    """The URL query of the filter as the projects' routes take it (no other layer's)."""
    return urlencode(list(flt.for_layer(layer).to_args().items(multi=True)))


def _map_link(layer_args: str, fid: int) -> str:
    """The project on the map page, its popup open, the filter kept."""
    query = "&".join(p for p in (layer_args, urlencode({"sel": f"projects:{fid}"})) if p)
    return f"{url_for('map.index')}?{query}"


def _kept_in_form(flt: MapFilter, layer: LayerDef) -> list[tuple[str, str]]:
    """What the URL says that the dashboard's form does not show — the map's view and hidden
    layers, other layers' filters (a parcel state) — kept in it as hidden fields, so that
    applying the form and going back to the map loses nothing."""
    mine = set(flt.for_layer(layer).to_args())
    state = [(k, v) for k, v in request.args.items(multi=True) if k in ("view", "hide")]
    return state + [(k, v) for k, v in flt.to_args().items(multi=True) if k not in mine]
