"""Optional basemaps. The default is none: government intranets reach no tile server.

``file`` serves the tiles of a local MBTiles file from the app itself (``/basemap/…``, see
``views/basemap.py``), so a county gets imagery or a street map without any tile server.

AMap/Tencent tiles are drawn in GCJ-02, so when one is chosen the map shifts WGS84 data
forward to GCJ-02 (``shifts_to_gcj02``); otherwise data would land hundreds of metres off.
"""

from __future__ import annotations

import folium
from flask import current_app, has_app_context, has_request_context, request
from flask_babel import gettext as _

from geoapp.config import Config
from geoapp.mbtiles import APP_KEY, MBTiles

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
    "&VERSION=1.0.0&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s"
)
AMAP_URL = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
    "&style=8&x={x}&y={y}&z={z}"
)


def basemap_layers(config: Config) -> list[folium.TileLayer]:
    """Tile layers for the configured basemap (empty for ``none``)."""
    if config.basemap == "osm":
        return [folium.TileLayer(OSM_URL, attr="© OpenStreetMap contributors", name="OSM")]
    if config.basemap == "tianditu":
        key = config.tianditu_key
        return [
            folium.TileLayer(
                TIANDITU_URL % ("vec", "vec", key),
                attr="天地图",
                name="天地图",
                subdomains="01234567",
            ),
            folium.TileLayer(
                TIANDITU_URL % ("cva", "cva", key),
                attr="天地图",
                name="天地图注记",
                subdomains="01234567",
                overlay=True,
            ),
        ]
    if config.basemap == "amap":
        return [folium.TileLayer(AMAP_URL, attr="© 高德地图", name="高德", subdomains="1234")]
    if config.basemap == "custom":  # folium refuses an empty attribution
        return [folium.TileLayer(config.tile_url, attr="底图", name="底图")]
    if config.basemap == "file":
        return [file_layer(config)]
    return []


FILE_MAX_ZOOM = 22  # as the tile routes; past the file's deepest level its tiles are enlarged


def file_layer(config: Config) -> folium.TileLayer:
    """The app's own ``/basemap/{z}/{x}/{y}.<ext>`` route as the map's tile layer.

    The layer keeps the map's zoom free (a tile layer's minZoom/maxZoom would bound the whole
    map): the file's zoom levels become maxNativeZoom, so Leaflet enlarges the deepest tiles
    when zoomed in further, and its bounds keep Leaflet from asking for tiles outside them.
    """
    source = _opened(config)
    meta = source.metadata
    root = request.script_root if has_request_context() else ""
    url = f"{root}/basemap/{{z}}/{{x}}/{{y}}.{meta.extension}?v={meta.version}"
    extra = {}
    if meta.bounds is not None:
        west, south, east, north = meta.bounds
        extra["bounds"] = [[south, west], [north, east]]
    layer = folium.TileLayer(
        url,
        attr=meta.attribution or "-",  # folium refuses an empty one: removed below
        name=meta.name or _("Basemap"),
        min_zoom=0,
        max_zoom=max(FILE_MAX_ZOOM, meta.max_zoom),
        **extra,
    )
    layer.options["max_native_zoom"] = meta.max_zoom  # folium reads a 0 as "not given"
    if not meta.attribution:
        del layer.options["attribution"]
    return layer


def _opened(config: Config) -> MBTiles:
    """The app's open basemap file (``views/basemap.py``), or the configured one."""
    if has_app_context():
        source = current_app.extensions.get(APP_KEY)
        if source is not None:
            return source
    return MBTiles(config.basemap_file)


def shifts_to_gcj02(config: Config) -> bool:
    return config.basemap == "amap"
