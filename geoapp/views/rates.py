"""Progress for the weekly meeting, as JSON: the rates of any filter at a reporting date
(``/api/rates``) and the 红黑榜 of counties, parks, units or leaders (``/api/rankings``).

The figures come from ``geoapp.rates`` only; these views choose the projects (the map's
filter) and the date.
"""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from flask import Blueprint, Response, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _

from geoapp.errors import BadRequest, NotFound
from geoapp.export import content_disposition
from geoapp.layers import LayerDef
from geoapp.progress import warnings_at
from geoapp.query import MapFilter, whole_number
from geoapp.rankings_xlsx import XLSX_TYPE, write_rankings
from geoapp.rates import COLUMNS as RATE_COLUMNS
from geoapp.rates import RANK_BY, ranking, rates, red_and_black
from geoapp.rates_openapi import rates_openapi
from geoapp.replay import progress_of, read_known_at, replay
from geoapp.services import services
from geoapp.views import OFFICIAL_AUDIENCE

bp = Blueprint("rates", __name__, url_prefix="/api")


@bp.get("/rates")
def progress_rates():
    """开工率, 开复工率, 投资完成率… of the projects the map's filter selects, at the end of the
    reporting date ``as_of`` (default today), as known then; see ``geoapp.rates``."""
    layer = rates_layer()
    flt, as_of, _own = dated_filter(layer)
    return jsonify(rates(projects_at(layer, flt, RATE_COLUMNS, as_of), as_of).to_json())


@bp.get("/rates/openapi.json")
def openapi():
    """OpenAPI 3.0 of these routes, their parameters and answers."""
    layer = rates_layer()
    rank_by = [k for k, v in RANK_BY.items() if v in layer.fields]
    return jsonify(rates_openapi(layer, rank_by, request.host_url.rstrip("/") + "/api"))


@bp.get("/rates/months")
def monthly_rates():
    """The year replayed: the rates at the end of each month of ``year`` (default: the
    reporting date's) up to ``as_of``, from the monthly progress history."""
    layer = rates_layer()
    flt, as_of, own = dated_filter(layer, "year")
    raw_year = own["year"] if own["year"] is not None else str(as_of.year)
    year = whole_number("year", raw_year, 2000, as_of.year)
    through = min(as_of, date(year, 12, 31))
    projects = services().store.read(layer.table, flt.query_for(layer, _with_code(RATE_COLUMNS)))
    months = replay(projects, progress_of(services().store, projects), year, through)
    return jsonify({"year": year, "months": [m.to_json() for m in months]})


def dated_filter(layer: LayerDef, *own: str) -> tuple[MapFilter, date, dict[str, str | None]]:
    """The map's filter and the reporting date ``as_of`` of the request, and the route's
    ``own`` arguments (which are no filter); a bad one is the request's 400."""
    args = request.args.copy()
    as_of = reporting_date(args.pop("as_of", None))
    mine = {name: args.pop(name, None) for name in own}
    flt, errors = services().parse_filter(args, [layer])
    if errors:
        raise errors[0]
    return flt, as_of, mine


def projects_at(layer: LayerDef, flt: MapFilter, columns, as_of: date) -> pd.DataFrame:
    """The filter's projects as known at the end of ``as_of``: a past reporting date counts
    the completed investment and stages reported by then (``geoapp.replay.as_known_at``), so
    a date's figures, warnings and 红黑榜 agree with that month of the replayed year."""
    query = flt.query_for(layer, _with_code(columns))
    return read_known_at(services().store, layer.table, query, as_of)


def _with_code(columns) -> list[str]:
    return [*columns, *(["project_id"] if "project_id" not in columns else [])]


@bp.get("/rankings")
def rankings():
    """红黑榜: counties, parks, responsible units or leaders (``by``) ranked by 开复工率, then
    投资完成率, then fewer red warnings (those of ``as_of``), for the map's filter; the red list
    (best) and the black list (worst)."""
    return jsonify(_rankings())


@bp.get("/rankings.xlsx")
def rankings_xlsx():
    """The same 红黑榜 as a workbook for the meeting's papers."""
    body = _rankings()
    out = io.BytesIO()
    write_rankings(body, out)
    name = _("Rankings") + f"-{body['by']}-{body['as_of']}.xlsx"
    response = Response(out.getvalue(), mimetype=XLSX_TYPE)
    ascii_name = f"rankings-{body['by']}-{body['as_of']}.xlsx"
    response.headers["Content-Disposition"] = content_disposition(name, ascii_name)
    return response


def _rankings() -> dict:
    layer = rates_layer()
    flt, as_of, own = dated_filter(layer, "by")
    by = rank_by(layer, "county" if own["by"] is None else own["by"])
    projects = projects_at(layer, flt, [*RATE_COLUMNS, RANK_BY[by]], as_of)
    return rankings_of(layer, with_warnings(projects, as_of), by, as_of)


def with_warnings(projects: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The projects with their warning and its reason on the reporting date, by the rules
    of ``warnings.toml`` (not the colour stored at the last import or edit)."""
    return projects.assign(**warnings_at(projects, as_of, services().warning_rules))


def rank_by(layer: LayerDef, by: str) -> str:
    """``by``, if the projects have the field it ranks by; else the 400 naming the choices."""
    if by not in RANK_BY or RANK_BY[by] not in layer.fields:
        choices = ", ".join(k for k, v in RANK_BY.items() if v in layer.fields)
        raise BadRequest(_("by must be one of %(choices)s.", choices=choices), param="by")
    return by


def rankings_of(layer: LayerDef, projects: pd.DataFrame, by: str, as_of: date) -> dict:
    """The 红黑榜 of ``projects`` (as known at ``as_of``, with that date's warnings) by ``by``,
    as ``/api/rankings`` answers it: every place with its rates and warnings, the red and
    black lists, the rule."""
    ranked = ranking(projects, by, as_of)
    name_of = _place_names(layer, by)

    def row(place) -> dict:
        body = place.rates.to_json()
        return {
            "key": place.key,
            "name": name_of(place.key) or place.key,
            "red": place.red,
            "yellow": place.yellow,
            "count": body["projects"]["count"],
            "rates": body["rates"],
        }

    red, black = red_and_black(ranked)
    return {
        "as_of": as_of.isoformat(),
        "by": by,
        "rule": _(
            "Ranked by start-or-resume rate, then investment completion, then fewer red warnings."
        ),
        "places": [row(p) for p in ranked],
        "red_list": [p.key for p in red],
        "black_list": [p.key for p in black],
    }


def _place_names(layer: LayerDef, by: str):
    """How a place is called: a county or park by its name, a declared value (a category) by
    its label in the page's language, a unit or leader as written."""
    if by in ("county", "park"):
        return services().areas().name_of
    field = layer.fields[RANK_BY[by]]
    if field.type == "enum":
        locale = str(get_locale())
        return lambda key: field.value(key).label(locale) if field.value(key) else key
    return lambda key: key


def rates_layer() -> LayerDef:
    """The layer of key projects: the one with every column the rates count."""
    layer = next(
        (
            lyr
            for lyr in services().layers_for(OFFICIAL_AUDIENCE)
            if set(RATE_COLUMNS) <= set(lyr.fields)
        ),
        None,
    )
    if layer is None:
        raise NotFound(_("No layer holds projects with start dates and investment."))
    return layer


def reporting_date(raw: str | None) -> date:
    """``as_of=2024-06-30``: a real date from 2000 to 2100; today when not given."""
    if raw is None:
        return date.today()
    try:
        day = date.fromisoformat(raw) if raw.isascii() and len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None or not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        raise BadRequest(
            _("as_of must be a date from 2000-01-01 to 2100-12-31, like 2024-06-30."),
            param="as_of",
        )
    return day
