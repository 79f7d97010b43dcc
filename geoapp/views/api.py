"""JSON API: the declared layers, their filtered features, one feature, compact points.

Bad parameters get HTTP 400 with an OGC-style exception body naming the parameter.
"""

from __future__ import annotations

import json
from dataclasses import replace

from flask import Blueprint, Response, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from geoapp.drawn import save_area
from geoapp.errors import BadRequest, NotFound
from geoapp.layers import LayerDef
from geoapp.points.arrays import read_points
from geoapp.points.clusters import view_clusters
from geoapp.points.first_view import county_counts
from geoapp.query import MapFilter, parse_within, whole_number
from geoapp.render import clean_for_map, features_json, layer_spec
from geoapp.services import services
from geoapp.stores.base import Query
from geoapp.views import OFFICIAL_AUDIENCE

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_LIMIT = 10_000
PAGE_PARAMS = ("limit", "offset")
MAX_AREA_BYTES = 256 * 1024  # 1,000 vertices of WKT are about 25 KB


@bp.get("/layers")
def layers():
    locale = str(get_locale())
    return jsonify([layer_spec(lyr, locale) for lyr in services().layers_for(OFFICIAL_AUDIENCE)])


@bp.post("/areas")
def areas():
    """Keep a drawn area (``within``: a WKT polygon, in a form or a JSON body) and answer its
    id, which filters every URL by that area (``within=<id>``) without carrying its vertices."""
    if (request.content_length or 0) > MAX_AREA_BYTES:
        raise BadRequest(
            _("The drawn area is larger than %(n)s KB.", n=MAX_AREA_BYTES // 1024), param="within"
        )
    body = request.get_json(silent=True) if request.is_json else request.form
    raw = body.get("within") if isinstance(body, dict | MultiDict) else None
    if not isinstance(raw, str) or not raw.strip():
        raise BadRequest(_("Send the drawn area as within=<WKT polygon>."), param="within")
    key = save_area(services().store, parse_within(raw.strip()), current_user.username)
    return jsonify({"id": key, "within": key}), 201


@bp.get("/layers/<layer_id>/features")
def features(layer_id: str):
    """A page of features (``limit``, ``offset``) matching the filter, with the total."""
    layer, flt = _layer_and_filter(layer_id, PAGE_PARAMS)
    limit = whole_number("limit", request.args.get("limit", "1000"), 1, MAX_LIMIT)
    offset = whole_number("offset", request.args.get("offset", "0"), 0, 10**9)
    store = services().store
    fields = layer.wire_fields(OFFICIAL_AUDIENCE)
    extent = store.extent(layer.table, flt.query_for(layer), tuple(layer.summary))
    page = store.read(
        layer.table, replace(flt.query_for(layer, fields), offset=offset, limit=limit)
    )
    extra = {"numberMatched": extent.count, "numberReturned": len(page)}
    if layer.summary:
        extra["sums"] = dict(extent.sums)
    features = features_json(page, fields, gcj02=False, decimals=None)
    body = '{"type":"FeatureCollection","features":' + features + ","
    body += json.dumps(extra, ensure_ascii=False)[1:]
    return Response(body, mimetype="application/geo+json")


@bp.get("/layers/<layer_id>/features/<fid>")
def feature(layer_id: str, fid: str):
    """One feature by its id (a whole number, stable for ever) or by its code (the layer's
    ``id_field``: ``/features/2026-610327-30-01-000005``), with the fields the audience may see."""
    layer = services().layer(layer_id, OFFICIAL_AUDIENCE)
    if len(fid) > 200:
        raise BadRequest(_("Feature id “%(id)s” must be a whole number.", id=fid[:40]), param="id")
    fields = layer.wire_fields(OFFICIAL_AUDIENCE)
    if fid.isascii() and fid.isdigit():
        query = Query(ids=frozenset([int(fid)]), columns=tuple(fields))
    else:
        query = Query(any_of={layer.id_field: frozenset([fid])}, columns=tuple(fields))
    found = services().store.read(layer.table, services().scoped(layer, query))
    if found.empty:
        raise NotFound(
            _("Feature %(id)s not found in “%(layer)s”.", id=fid, layer=layer.id), param="id"
        )
    return jsonify(clean_for_map(found, fields, gcj02=False, decimals=None)["features"][0])


@bp.get("/layers/<layer_id>/counts")
def counts(layer_id: str):
    """How many features of the filter lie in each county, with a point to label it by: what
    the map shows of a layer seen from too far for its points to be told apart."""
    layer, flt = _layer_and_filter(layer_id, ())
    if "county" not in layer.area:
        raise BadRequest(_("Layer “%(layer)s” has no county.", layer=layer.id), param="layer")
    return jsonify(county_counts(services(), layer, flt))


@bp.get("/layers/<layer_id>/points.bin")
def points(layer_id: str):
    """All matching points in 14 bytes each, for clustering in the browser (the layout:
    ``PointSet.to_bin``)."""
    layer, flt = _point_layer_and_filter(layer_id, ())
    return Response(
        read_points(services(), layer, flt, OFFICIAL_AUDIENCE).to_bin(),
        mimetype="application/octet-stream",
        headers={"Cache-Control": "private, max-age=60"},
    )


@bp.get("/layers/<layer_id>/clusters")
def clusters(layer_id: str):
    """The clusters and lone points of the filter at ``zoom``, in the view ``bbox``: what the
    map draws before its own index of every point is built (a filter with a bbox of its own
    waits for that index)."""
    layer, flt = _point_layer_and_filter(layer_id, ("zoom",))
    zoom = whole_number("zoom", request.args.get("zoom", ""), 0, 22)
    found = read_points(services(), layer, flt, OFFICIAL_AUDIENCE)
    return jsonify({"zoom": zoom, "items": view_clusters(found, zoom, layer)})


def _point_layer_and_filter(layer_id: str, extra: tuple[str, ...]) -> tuple[LayerDef, MapFilter]:
    layer, flt = _layer_and_filter(layer_id, extra)
    if layer.geometry != "point":
        raise BadRequest(_("Layer “%(layer)s” has no points.", layer=layer.id), param="layer")
    return layer, flt


def _layer_and_filter(layer_id: str, extra: tuple[str, ...]) -> tuple[LayerDef, MapFilter]:
    svc = services()
    layer = svc.layer(layer_id, OFFICIAL_AUDIENCE)
    args = request.args.copy()
    for name in extra:
        args.poplist(name)
    flt, errors = svc.parse_filter(args, [layer])
    if errors:
        raise errors[0]
    return layer, flt
