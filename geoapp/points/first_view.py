"""What a clustered point layer shows before the browser has its own index: counts per county
and the clusters of the view the page opens on.

Both go into the map page itself, so the first symbols are drawn as soon as the page's
scripts run, without waiting for a request that queues behind the map's tiles (at the
province's default view the counts' request waited up to 0.6 s for them). The same answers
are served on their own (``/api/layers/<id>/counts``, ``/clusters``) for views the server
cannot know in advance: a view fitted to the data is chosen by the browser for its screen.
"""

from __future__ import annotations

from typing import Any

from geoapp.layers import LayerDef
from geoapp.page_state import PageState
from geoapp.points.arrays import read_points
from geoapp.points.clusters import box_around, view_clusters
from geoapp.query import MapFilter
from geoapp.services import Services

# The widest screen served whole (2560 × 1600) with the quarter of padding the page asks for.
HALF_WIDTH_PX = 1600
HALF_HEIGHT_PX = 1000


def county_counts(svc: Services, layer: LayerDef, flt: MapFilter) -> dict[str, Any]:
    """How many features of the filter lie in each county, with a point to label it by."""
    field = layer.area["county"]
    codes = svc.store.read(layer.table, flt.query_for(layer, [field]))[field]
    # counted as stored (categorical: fast), then named as text
    found = {str(k): int(v) for k, v in codes.value_counts().items() if v}
    areas = []
    for county in svc.areas().counties:
        count = int(found.get(county.code, 0))
        if count and county.point:
            lon, lat = county.point
            areas.append(
                {"code": county.code, "name": county.name, "count": count, "lon": lon, "lat": lat}
            )
    return {"areas": areas, "total": len(codes)}


def first_view(
    svc: Services, layer: LayerDef, flt: MapFilter, state: PageState, audience: str
) -> dict[str, Any]:
    """A clustered point layer's first symbols: counts per county (when the layer has them),
    and the clusters around the URL's view when that view is close enough for points; nothing
    for a layer the URL hides."""
    first: dict[str, Any] = {}
    if layer.id in state.hidden:  # drawn only when switched on: it asks then
        return first
    if layer.overview_below and "county" in layer.area:
        first["counts"] = county_counts(svc, layer, flt)
    if state.view is not None and state.view[0] >= layer.overview_below:
        zoom, lat, lon = state.view
        box = box_around(lat, lon, zoom, HALF_WIDTH_PX, HALF_HEIGHT_PX)
        points = read_points(svc, layer, flt, audience, box)
        first["clusters"] = {"zoom": zoom, "items": view_clusters(points, zoom, layer)}
    return first
