"""Optional basemaps. The default is none: government intranets reach no tile server.

AMap/Tencent tiles are drawn in GCJ-02, so when one is chosen the map shifts WGS84 data
forward to GCJ-02 (``shifts_to_gcj02``); otherwise data would land hundreds of metres off.
"""

from __future__ import annotations

import folium

from geoapp.config import Config

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
    if config.basemap == "custom":
        return [folium.TileLayer(config.tile_url, attr="", name="底图")]
    return []


def shifts_to_gcj02(config: Config) -> bool:
    return config.basemap == "amap"
