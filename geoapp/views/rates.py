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
from flask_babel import gettext as _

from geoapp.errors import BadRequest, NotFound
from geoapp.export import content_disposition
from geoapp.layers import LayerDef
from geoapp.progress import warnings_at
from geoapp.query import whole_number
from geoapp.rankings_xlsx import XLSX_TYPE, write_rankings
from geoapp.rates import COLUMNS as RATE_COLUMNS
from geoapp.rates import RANK_BY, ranking, rates, red_and_black
from geoapp.rates_openapi import rates_openapi
from geoapp.replay import REPLAYED, replay
from geoapp.schemas import PROGRESS_TABLE
from geoapp.services import services
from geoapp.stores.base import Query
from geoapp.views import OFFICIAL_AUDIENCE

bp = Blueprint("rates", __name__, url_prefix="/api")


@bp.get("/rates")
def progress_rates():
    """开工率, 开复工率, 投资完成率… of the projects the map's filter selects, at the end of the
    reporting date ``as_of`` (default today); see ``geoapp.rates``."""
    svc = services()
    layer = _rates_layer()
    args = request.args.copy()
    as_of = reporting_date(args.pop("as_of", None))
    flt, errors = svc.parse_filter(args, [layer])
    if errors:
        raise errors[0]
    frame = svc.store.read(layer.table, flt.query_for(layer, RATE_COLUMNS))
    return jsonify(rates(frame, as_of).to_json())


@bp.get("/rates/openapi.json")
def openapi():
    """OpenAPI 3.0 of these routes, their parameters and answers."""
    layer = _rates_layer()
    rank_by = [k for k, v in RANK_BY.items() if v in layer.fields]
    return jsonify(rates_openapi(layer, rank_by, request.host_url.rstrip("/") + "/api"))


@bp.get("/rates/months")
def monthly_rates():
    """The year replayed: the rates at the end of each month of ``year`` (default: the
    reporting date's) up to ``as_of``, from the monthly progress history."""
    svc = services()
    layer = _rates_layer()
    args = request.args.copy()
    as_of = reporting_date(args.pop("as_of", None))
    year = whole_number("year", args.pop("year", str(as_of.year)), 2000, as_of.year)
    through = min(as_of, date(year, 12, 31))
    flt, errors = svc.parse_filter(args, [layer])
    if errors:
        raise errors[0]
    projects = svc.store.read(layer.table, flt.query_for(layer, [*RATE_COLUMNS, "project_id"]))
    history = _progress_of(frozenset(projects["project_id"].astype(str)))
    months = replay(projects, history, year, through)
    return jsonify({"year": year, "months": [m.to_json() for m in months]})


def _progress_of(codes: frozenset[str]) -> pd.DataFrame:
    """The monthly progress rows of these projects (none when there is no history yet)."""
    store = services().store
    if PROGRESS_TABLE not in store.tables():
        return pd.DataFrame(columns=["project_id", "month", *REPLAYED])
    query = Query(any_of={"project_id": codes}, columns=("project_id", "month", *REPLAYED))
    return store.read(PROGRESS_TABLE, query)


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
    svc = services()
    layer = _rates_layer()
    args = request.args.copy()
    as_of = reporting_date(args.pop("as_of", None))
    by = args.pop("by", "county")
    if by not in RANK_BY or RANK_BY[by] not in layer.fields:
        choices = ", ".join(k for k, v in RANK_BY.items() if v in layer.fields)
        raise BadRequest(_("by must be one of %(choices)s.", choices=choices), param="by")
    flt, errors = svc.parse_filter(args, [layer])
    if errors:
        raise errors[0]
    frame = svc.store.read(layer.table, flt.query_for(layer, [*RATE_COLUMNS, RANK_BY[by]]))
    frame = frame.assign(**warnings_at(frame, as_of, svc.warning_rules))  # of that date
    ranked = ranking(frame, by, as_of)
    names = svc.areas()

    def row(place) -> dict:
        body = place.rates.to_json()
        name = names.name_of(place.key) if by in ("county", "park") else place.key
        return {
            "key": place.key,
            "name": name or place.key,
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


def _rates_layer() -> LayerDef:
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
