"""JSON API: the declared layers and their filtered features as GeoJSON.

Bad parameters get HTTP 400 with an OGC-style exception body naming the parameter.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import get_locale

from geoapp.query import parse_filter
from geoapp.render import clean_for_map, layer_spec, wire_fields
from geoapp.selection import select
from geoapp.services import services
from geoapp.views import OFFICIAL_AUDIENCE

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/layers")
def layers():
    locale = str(get_locale())
    return jsonify([layer_spec(lyr, locale) for lyr in services().layers_for(OFFICIAL_AUDIENCE)])


@bp.get("/layers/<layer_id>/features")
def features(layer_id: str):
    svc = services()
    layer = svc.layer(layer_id, OFFICIAL_AUDIENCE)
    areas = svc.areas()
    flt, errors = parse_filter(request.args, [layer], areas.county_codes(), areas.park_ids())
    if errors:
        raise errors[0]
    selection = select(svc.store, [layer], flt, OFFICIAL_AUDIENCE)
    body = clean_for_map(
        selection.frames[layer.id], wire_fields(layer, OFFICIAL_AUDIENCE), gcj02=False
    )
    body["numberMatched"] = selection.count(layer.id)
    for summary in selection.summaries:
        body["sums"] = summary.sums
    return jsonify(body)
