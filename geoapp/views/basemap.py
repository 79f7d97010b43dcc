"""The basemap from a local file: ``/basemap/<z>/<x>/<y>.<ext>`` (GEOAPP_BASEMAP=file).

Tiles come from the MBTiles file named by GEOAPP_BASEMAP_FILE (``geoapp/mbtiles.py``), so the
map needs no tile server at all. A tile the file does not hold is a 204 (an empty, transparent
tile for Leaflet); an impossible address is a 400 naming the coordinate. Browsers and proxies
may keep a tile for a day: the page's tile URL carries the file's version, so a new file is a
new URL.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request
from flask_babel import gettext as _

from geoapp.config import Config
from geoapp.errors import BadRequest, NotFound
from geoapp.mbtiles import APP_KEY, RASTER, MBTiles, sniff
from geoapp.tiles import check_tile

bp = Blueprint("basemap", __name__)
CACHE_CONTROL = "public, max-age=86400"


def init_app(app: Flask, config: Config) -> None:
    """Open the basemap file (when one is configured) and add the route."""
    if config.basemap == "file":
        app.extensions[APP_KEY] = MBTiles(config.basemap_file)
    app.register_blueprint(bp)


def opened() -> MBTiles | None:
    """The current app's basemap file, if it serves one."""
    return current_app.extensions.get(APP_KEY)


@bp.get("/basemap/<z>/<x>/<y>.<ext>")
def tile(z: str, x: str, y: str, ext: str) -> Response:
    source = opened()
    if source is None:
        raise NotFound(_("This server has no basemap file (GEOAPP_BASEMAP=file)."))
    zxy = tuple(_whole(name, value) for name, value in (("z", z), ("x", x), ("y", y)))
    check_tile(*zxy)
    meta = source.metadata
    if ext.lower() not in (meta.extension, "jpeg" if meta.extension == "jpg" else ""):
        raise NotFound(
            _("The basemap's tiles are .%(ext)s files.", ext=meta.extension), param="ext"
        )
    data = source.tile(*zxy)
    headers = {"Cache-Control": CACHE_CONTROL}
    if data is None:
        empty = Response(status=204, headers=headers)
        del empty.headers["Content-Type"]  # no body, so no type
        return empty
    found = sniff(data)
    mimetype = meta.mimetype if found is None else RASTER[found][1]  # a file may mix formats
    response = Response(data, mimetype=mimetype, headers=headers)
    response.add_etag()
    return response.make_conditional(request)


def _whole(name: str, value: str) -> int:
    """ASCII digits only: "²" or "٣" are digits to Python, never a tile address."""
    if not (value.isascii() and value.isdigit()) or len(value) > 8:
        raise BadRequest(
            _("Tile %(name)s=%(value)s is not a whole number.", name=name, value=value), param=name
        )
    return int(value)
