"""``GET /api/search?q=<text>&limit=8``: suggestions for the header search, grouped.

Counties and parks (choosing one filters the map by it), then the features of each searchable
layer (choosing one zooms to it and opens its popup). Errors answer in the OGC exception shape
like the rest of ``/api/`` (``{"code", "description", "parameter"}``).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _

from geoapp.auth.access import current_scope
from geoapp.basemaps import shifts_to_gcj02
from geoapp.errors import BadRequest
from geoapp.query import MAX_TEXT, whole_number
from geoapp.search import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    area_suggestions,
    feature_suggestions,
    searched_layers,
)
from geoapp.services import services
from geoapp.views import OFFICIAL_AUDIENCE

bp = Blueprint("search", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    """``groups``: ``{id, kind, title, items}``; an area item has ``param`` and ``value`` (the
    filter it sets), a feature item ``layer`` and ``id``; each a ``label``, maybe a ``detail``,
    and a ``lon``/``lat`` to zoom to, as the map draws it."""
    raw = request.args.get("q", "")
    if len(request.args.getlist("q")) > 1:
        raise BadRequest(_("Parameter “%(name)s” is given more than once.", name="q"), param="q")
    # Control characters (NUL, which PostgreSQL text cannot hold, tabs, newlines) and runs
    # of spaces as one space.
    text = " ".join("".join(c if c.isprintable() else " " for c in raw).split())
    if len(text) > MAX_TEXT:
        raise BadRequest(_("Search text is longer than %(n)s characters.", n=MAX_TEXT), param="q")
    limit = whole_number("limit", request.args.get("limit", str(DEFAULT_LIMIT)), 1, MAX_LIMIT)
    if not text:
        return jsonify({"q": "", "groups": []})
    svc = services()
    locale = str(get_locale())
    shift = shifts_to_gcj02(svc.config)
    areas = svc.areas_in_scope()
    titles = {"counties": _("Counties"), "parks": _("Parks")}
    groups = area_suggestions(areas, text, limit, titles, shift)
    for layer, fields in searched_layers(svc.layers_for(OFFICIAL_AUDIENCE), OFFICIAL_AUDIENCE):
        title = layer.title(locale)
        group = feature_suggestions(
            svc.store, layer, fields, text, limit, title, areas, shift, current_scope()
        )
        if group is not None:
            groups.append(group)
    return jsonify({"q": text, "groups": [g.to_json() for g in groups]})
