"""挂图作战图: ``/print/wallmap.pdf`` and ``/print/wallmap.png`` with the map's filter.

The same filter model and scope as the map page (``parse_filter``: an official gets the
jurisdiction's projects only), plus the sheet: ``size`` (A4, A3, A1, A0; default A3),
``orientation`` (landscape, portrait), ``as_of`` (reporting date, default today),
``title`` (at most ``TITLE_MAX`` characters, one line) and ``lists=1`` (the red/yellow
list). A bad value is a 400 naming the parameter, in JSON. The rendering is
``geoapp.outputs.wallmap``.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from geoapp.errors import BadRequest
from geoapp.export import content_disposition
from geoapp.outputs.paper import ORIENTATIONS, SIZES_MM, Paper
from geoapp.outputs.wallmap import Options, default_title, describe, gather, render
from geoapp.services import services
from geoapp.views import OFFICIAL_AUDIENCE
from geoapp.views.export import DOWNLOAD_COOKIE, DOWNLOAD_TOKEN
from geoapp.views.rates import rates_layer as projects_layer
from geoapp.views.rates import reporting_date

bp = Blueprint("prints", __name__, url_prefix="/print")
TITLE_MAX = 60
MIMETYPES = {"pdf": "application/pdf", "png": "image/png"}


@bp.get("/wallmap.pdf")
def wallmap_pdf() -> Response:
    return _wallmap("pdf")


@bp.get("/wallmap.png")
def wallmap_png() -> Response:
    return _wallmap("png")


def _wallmap(fmt: str) -> Response:
    svc = services()
    args = request.args.copy()
    options = print_options(args)
    token = _one(args, "download", None)
    if token is not None and not DOWNLOAD_TOKEN.fullmatch(token):
        raise BadRequest(_("download must be letters and digits."), param="download")
    layers = svc.layers_for(OFFICIAL_AUDIENCE)
    layer = projects_layer()
    flt, errors = svc.parse_filter(args, layers)
    if errors:
        raise errors[0]
    names = svc.areas_in_scope().name_of  # another county's name is not the user's to see
    locale = str(get_locale())
    area_name = names(flt.park) if flt.park else names(flt.county) if flt.county else None
    wall = gather(
        svc,
        layers,
        layer,
        flt,
        options,
        locale=locale,
        title=options.title or default_title(area_name),
        subtitle=describe(flt, layer, locale, names),
        approval=svc.config.map_approval,
    )
    response = Response(render(wall, fmt), mimetype=MIMETYPES[fmt])
    stem = f"{options.as_of.isoformat()}-{options.paper.size}-{options.paper.orientation}"
    response.headers["Content-Disposition"] = content_disposition(
        f"{_('Wall map')}-{area_name or ''}-{stem}.{fmt}".replace("--", "-"),
        f"wallmap-{stem}.{fmt}",
    )
    response.headers["Cache-Control"] = "private, no-store"
    if token:  # the page's notice waits for this cookie: the print has started to arrive
        response.set_cookie(DOWNLOAD_COOKIE, token, max_age=120, samesite="Lax")
    return response


def print_options(args: MultiDict) -> Options:
    """The sheet's parameters, taken out of ``args`` (the rest is the map's filter)."""
    size = _one(args, "size", "A3").upper()
    if size not in SIZES_MM:
        raise BadRequest(
            _("size must be one of %(choices)s.", choices=", ".join(SIZES_MM)), param="size"
        )
    orientation = _one(args, "orientation", "landscape").lower()
    if orientation not in ORIENTATIONS:
        raise BadRequest(_("orientation must be landscape or portrait."), param="orientation")
    as_of = reporting_date(_one(args, "as_of", None))
    title = _one(args, "title", "").strip()
    if len(title) > TITLE_MAX or not title.isprintable():
        raise BadRequest(
            _("title must be one line of at most %(n)s characters.", n=TITLE_MAX), param="title"
        )
    lists = _one(args, "lists", "0")
    if lists not in ("0", "1"):
        raise BadRequest(_("lists must be 0 or 1."), param="lists")
    return Options(Paper(size, orientation), as_of, title or None, lists == "1")


def _one(args: MultiDict, name: str, default: str | None) -> str | None:
    """A parameter that takes one value, removed from ``args``; given twice: a 400."""
    values = args.poplist(name)
    if len(values) > 1:
        raise BadRequest(_("Parameter “%(name)s” is given more than once.", name=name), param=name)
    return values[0] if values else default
