"""Vector tiles: ``/tiles/<layer>/<z>/<x>/<y>.pbf`` for officials, ``/public/tiles/…`` for all.

The public route serves public layers only, with public fields only. Tiles honour the same
filters as the map page, carry an ETag (304 when unchanged) and are cached in-process.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _

from geoapp.basemaps import shifts_to_gcj02
from geoapp.errors import BadRequest
from geoapp.services import services
from geoapp.tiles import build_tile
from geoapp.views import OFFICIAL_AUDIENCE

bp = Blueprint("tiles", __name__)
MVT_TYPE = "application/vnd.mapbox-vector-tile"


@bp.get("/tiles/<layer_id>/<z>/<x>/<y>.pbf")
def official_tile(layer_id: str, z: str, x: str, y: str) -> Response:
    return _tile(OFFICIAL_AUDIENCE, layer_id, z, x, y)


@bp.get("/public/tiles/<layer_id>/<z>/<x>/<y>.pbf")
def public_tile(layer_id: str, z: str, x: str, y: str) -> Response:
    return _tile("public", layer_id, z, x, y)


def _tile(audience: str, layer_id: str, z: str, x: str, y: str) -> Response:
    svc = services()
    layer = svc.layer(layer_id, audience)
    zxy = tuple(_whole(name, value) for name, value in (("z", z), ("x", x), ("y", y)))
    flt, errors = svc.parse_filter(request.args, [layer], audience)
    if errors:
        raise errors[0]
    version = svc.store.version(layer.table)
    key = (audience, flt.scope.key(), layer.id, zxy, tuple(flt.to_args().items(multi=True)))
    etag = hashlib.sha1(repr((version, key)).encode()).hexdigest()[:20]
    headers = {"ETag": f'"{etag}"', "Cache-Control": _cache_control(audience)}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    cache = current_app.extensions["geoapp_tiles"]
    data = cache.get(version, key)
    if data is None:
        data = build_tile(svc.store, layer, flt, audience, *zxy, shifts_to_gcj02(svc.config))
        cache.put(version, key, data)
    return Response(data, mimetype=MVT_TYPE, headers=headers)


def _whole(name: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 8:
        raise BadRequest(
            _("Tile %(name)s=%(value)s is not a whole number.", name=name, value=value), param=name
        )
    return int(value)


def _cache_control(audience: str) -> str:
    """Browsers may reuse a tile for a minute, then revalidate it with the ETag."""
    return ("public" if audience == "public" else "private") + ", max-age=60"
