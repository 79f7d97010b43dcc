"""Areas in 亩, computed in the CGCS2000 3-degree Gauss-Krüger zone of each feature.

Degrees are never areas: each geometry is projected to the zone whose central meridian is
nearest its centroid (EPSG:4534–4554, no zone prefix in the easting), then measured.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod
from shapely.geometry import Point, Polygon

SQUARE_METRES_PER_MU = 10000 / 15  # 1 亩 = 666.67 m²; 1 公顷 = 15 亩
_GEOD = Geod(ellps="WGS84")


def gk_zone(lon: float) -> int:
    """3-degree zone number: the central meridian is 3 × zone degrees east."""
    return round(lon / 3)


def gk_epsg(lon: float) -> int:
    """CGCS2000 3-degree GK CRS without zone prefix (zone 25 → 4534 … zone 45 → 4554)."""
    zone = gk_zone(lon)
    if not 25 <= zone <= 45:
        raise ValueError(f"longitude {lon} is outside China's GK zones 25–45")
    return 4534 + zone - 25


def area_mu(frame: gpd.GeoDataFrame) -> pd.Series:
    """Area of each geometry in 亩, measured in its own GK zone (rounded to 0.01 亩)."""
    geographic = frame.to_crs(4326)
    bounds = geographic.geometry.bounds
    zones = ((bounds["minx"] + bounds["maxx"]) / 2).map(gk_epsg)
    result = pd.Series(np.nan, index=frame.index, dtype=float)
    for epsg, index in zones.groupby(zones).groups.items():
        projected = geographic.loc[index].to_crs(epsg)
        result.loc[index] = projected.geometry.area / SQUARE_METRES_PER_MU
    return result.round(2)


def circle(center: Point, km: float, segments: int = 64) -> Polygon:
    """The geodesic circle of radius ``km`` around a point, as a lon/lat polygon."""
    lons = np.full(segments, center.x)
    lats = np.full(segments, center.y)
    azimuths = np.linspace(0, 360, segments, endpoint=False)
    x, y, _ = _GEOD.fwd(lons, lats, azimuths, np.full(segments, km * 1000))
    return Polygon(np.column_stack([x, y]))
