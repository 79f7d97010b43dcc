"""GCJ-02 ("Mars coordinates") and BD-09 (Baidu) ⇄ WGS84, vectorised with numpy.

PROJ has no GCJ-02: it is a published obfuscation formula, so we implement the forward
transform (WGS84 → GCJ-02) and invert it by fixed-point iteration, which converges to well
under a millimetre in a few steps. Points outside China are returned unchanged, as AMap does.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the formula
_EE = 0.00669342162296594323  # its first eccentricity squared


def _outside_china(lon: NDArray, lat: NDArray) -> NDArray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta_lat(x: NDArray, y: NDArray) -> NDArray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lon(x: NDArray, y: NDArray) -> NDArray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Forward transform: where AMap/Tencent draw a true WGS84 position."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _delta_lat(lon - 105.0, lat - 35.0)
    dlon = _delta_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def _invert(forward, lon: ArrayLike, lat: ArrayLike, tol: float) -> tuple[NDArray, NDArray]:
    """The point whose ``forward`` image is (lon, lat), by fixed-point iteration."""
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        flon, flat = forward(wlon, wlat)
        dlon, dlat = flon - glon, flat - glat
        wlon, wlat = wlon - dlon, wlat - dlat
        if max(np.max(np.abs(dlon), initial=0), np.max(np.abs(dlat), initial=0)) < tol:
            break
    return wlon, wlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, tol: float = 1e-10) -> tuple[NDArray, NDArray]:
    """Inverse transform by iteration: the WGS84 point whose GCJ-02 image is (lon, lat)."""
    return _invert(wgs84_to_gcj02, lon, lat, tol)


_X_PI = np.pi * 3000.0 / 180.0


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Baidu's further shift of GCJ-02 (the published forward formula)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike, tol: float = 1e-10) -> tuple[NDArray, NDArray]:
    """BD-09 back to WGS84, inverting both shifts by iteration (well under a metre)."""
    return _invert(wgs84_to_bd09, lon, lat, tol)


def _on_geometries(func, geoms: ArrayLike):
    def transform(xy: NDArray) -> NDArray:
        x, y = func(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, transform)


def geometries_gcj02_to_wgs84(geoms: ArrayLike):
    """Shapely geometries (lon/lat) from GCJ-02 to WGS84, vertex by vertex."""
    return _on_geometries(gcj02_to_wgs84, geoms)


def geometries_bd09_to_wgs84(geoms: ArrayLike):
    """Shapely geometries (lon/lat) copied from Baidu (BD-09) back to WGS84."""
    return _on_geometries(bd09_to_wgs84, geoms)


def geometries_wgs84_to_gcj02(geoms: ArrayLike):
    """Shapely geometries (lon/lat) from WGS84 to GCJ-02, for drawing on AMap/Tencent tiles."""
    return _on_geometries(wgs84_to_gcj02, geoms)
