"""CGCS2000 Gauss-Krüger coordinates from survey files: which zone, which axis, and to WGS84.

Chinese survey files give X = northing first, Y = easting; the easting may carry the zone
number in front (zone 36 → 36,500,000 m, EPSG:4513–4533) or not (500,000 m, EPSG:4534–4554,
the zone then comes from the county's longitude). Geometries here are always built as
(easting, northing) and transformed with ``always_xy=True``: EPSG:45xx declare northing first.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from geoapp.coords import geometries_gcj02_to_wgs84
from geoapp.imports.problems import FileRefused, Problem, language

ERROR, WARNING = "error", "warning"

# Northings of China (≈ 18–54 °N) and false-easting ranges of a GK zone (±1.5° wide at most).
NORTHING_RANGE = (1_500_000.0, 6_200_000.0)
EASTING_RANGE = (100_000.0, 900_000.0)
ZONES_3_DEGREE = range(25, 46)  # central meridians 75–135 °E
ZONES_6_DEGREE = range(13, 24)  # central meridians 75–135 °E
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)  # lon/lat box around China and its seas


def say(locale: str, zh: str, en: str) -> str:
    """The message in the user's language (``locale`` 'zh' or 'en')."""
    return en if language(locale) == "en" else zh


def _zone_prefix(values: NDArray) -> NDArray:
    return np.floor(values / 1_000_000).astype(int)


def _easting(values: NDArray) -> NDArray:
    """Per value: looks like a GK easting (100–900 km, optionally behind a zone prefix)."""
    plain = (values >= EASTING_RANGE[0]) & (values <= EASTING_RANGE[1])
    zones = _zone_prefix(values)
    rest = values - zones * 1_000_000
    prefixed = (
        np.isin(zones, [*ZONES_3_DEGREE, *ZONES_6_DEGREE])
        & (rest >= EASTING_RANGE[0])
        & (rest <= EASTING_RANGE[1])
    )
    return plain | prefixed


def _northing(values: NDArray) -> NDArray:
    return (values >= NORTHING_RANGE[0]) & (values <= NORTHING_RANGE[1])


def axis_order(first: ArrayLike, second: ArrayLike) -> NDArray:
    """Per point: 1 if (first, second) is (northing, easting), −1 if swapped, 0 if neither."""
    x, y = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    return np.where(
        _northing(x) & _easting(y), 1, np.where(_easting(x) & _northing(y), -1, 0)
    ).astype(int)


def orient_axes(
    first: ArrayLike, second: ArrayLike, *, sheet: str = "", locale: str = "zh"
) -> tuple[NDArray, NDArray, list[Problem]]:
    """(eastings, northings, problems) from a file's first (X) and second (Y) coordinate columns.

    The Chinese convention is X = northing first. If the columns are the other way round they
    are swapped back with a warning; if neither order looks like GK metres the file is refused.
    """
    x, y = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    order = axis_order(x, y)
    if len(order) and np.all(order == 1):
        return y, x, []
    if len(order) and np.all(order == -1):
        reason = say(
            locale,
            "X、Y 列顺序颠倒（第一列是东坐标）：已按 X=北坐标、Y=东坐标交换后读取，请核对",
            "X and Y are swapped (the first column holds eastings): read as X = northing, "
            "Y = easting; please check",
        )
        return x, y, [Problem(sheet, None, "X", reason, WARNING)]
    raise FileRefused(
        Problem(
            sheet,
            None,
            "X",
            say(
                locale,
                "坐标不像 2000 国家大地坐标系高斯-克吕格平面坐标（X 北坐标约 200 万–600 万米，"
                "Y 东坐标约 50 万米或带带号），请检查坐标系和单位",
                "the coordinates do not look like CGCS2000 Gauss-Krüger metres (X northing "
                "about 2,000,000–6,000,000 m, Y easting about 500,000 m or with a zone prefix); "
                "please check the coordinate system and unit",
            ),
            ERROR,
        )
    )


def detect_gk(
    eastings: ArrayLike,
    northings: ArrayLike,
    hint_lon: float | None = None,
    *,
    zone: int | None = None,
    band_width: int = 3,
    sheet: str = "",
    locale: str = "zh",
) -> int:
    """EPSG code of the CGCS2000 Gauss-Krüger CRS the (easting, northing) points are in.

    With a zone prefix in the eastings (36,512,345 m): 3-degree zone 25–45 → EPSG 4513 + zone − 25
    (6-degree zones 13–23 → 4491 + zone − 13). Without it (512,345 m) the zone comes from
    ``zone`` (a file header's 带号) or ``hint_lon`` (the county's longitude) → 4534 + zone − 25;
    with neither the points cannot be placed and :class:`FileRefused` is raised.
    """
    x = np.asarray(eastings, dtype=float)  # northings carry no zone: see orient_axes

    def refuse(zh: str, en: str) -> FileRefused:
        return FileRefused(Problem(sheet, None, "Y", say(locale, zh, en), ERROR))

    if len(x) == 0:
        raise refuse("没有坐标", "no coordinates")
    if np.all(x >= 10_000_000):
        prefixes = np.unique(_zone_prefix(x))
        if len(prefixes) > 1:
            listed = ", ".join(str(p) for p in prefixes)
            raise refuse(f"坐标的带号不一致（{listed}）", f"the coordinates mix zones {listed}")
        prefix = int(prefixes[0])
        if prefix in ZONES_3_DEGREE:
            return 4513 + prefix - 25
        if prefix in ZONES_6_DEGREE:
            return 4491 + prefix - 13
        raise refuse(
            f"带号 {prefix} 不在中国范围（3 度带 25–45，6 度带 13–23）",
            f"zone {prefix} is not a zone of China (3-degree 25–45, 6-degree 13–23)",
        )
    if np.any(x >= 10_000_000):
        raise refuse("部分坐标带带号、部分不带", "some eastings carry a zone prefix, others not")
    if band_width == 6:
        if zone is None and hint_lon is not None:
            zone = int(np.floor(hint_lon / 6)) + 1
        if zone is not None and zone in ZONES_6_DEGREE:
            return 4502 + zone - 13
    else:
        if zone is None and hint_lon is not None:
            zone = round(hint_lon / 3)
        if zone is not None and zone in ZONES_3_DEGREE:
            return 4534 + zone - 25
    if zone is not None:
        raise refuse(
            f"带号 {zone} 不在中国范围，请检查中央经线或所在县",
            f"zone {zone} is not a zone of China; please check the central meridian or county",
        )
    raise refuse(
        "坐标不带带号，请指定中央经线或所在县",
        "the eastings carry no zone number; please give the central meridian or the county",
    )


def to_wgs84(geoms: ArrayLike, epsg: int) -> gpd.GeoSeries:
    """Geometries built as (easting, northing) in ``epsg`` → lon/lat in EPSG:4326."""
    transformer = Transformer.from_crs(epsg, 4326, always_xy=True)

    def transform(xy: NDArray) -> NDArray:
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    index = geoms.index if isinstance(geoms, pd.Series) else None
    values = np.asarray(geoms, dtype=object)
    return gpd.GeoSeries(shapely.transform(values, transform), index=index, crs=4326)


def from_gcj02(geoms: ArrayLike) -> gpd.GeoSeries:
    """Lon/lat geometries copied from AMap/Tencent (GCJ-02) → WGS84 (under 1 m)."""
    index = geoms.index if isinstance(geoms, pd.Series) else None
    values = np.asarray(geoms, dtype=object)
    return gpd.GeoSeries(geometries_gcj02_to_wgs84(values), index=index, crs=4326)


def outside_china(geoms: ArrayLike) -> NDArray:
    """True for each lon/lat geometry whose bounds leave the box around China."""
    bounds = shapely.bounds(np.asarray(geoms, dtype=object))
    west, south, east, north = CHINA_BOUNDS
    return ~(
        (bounds[:, 0] >= west)
        & (bounds[:, 1] >= south)
        & (bounds[:, 2] <= east)
        & (bounds[:, 3] <= north)
    )


_GEOS_REASONS = {  # GEOS IsValidOp messages → 中文
    "Self-intersection": "自相交",
    "Ring Self-intersection": "边界环自相交",
    "Hole lies outside shell": "内环（洞）在外环之外",
    "Holes are nested": "内环互相嵌套",
    "Interior is disconnected": "内部被内环分割成不连通的部分",
    "Nested shells": "外环互相嵌套",
    "Duplicate Rings": "有重复的环",
    "Too few distinct points in geometry component": "图形的不同点太少",
    "Too few points in geometry component": "图形的点太少",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
}


def invalid_reason(geom: shapely.Geometry, locale: str = "zh") -> str | None:
    """Why a geometry is invalid (shapely.is_valid_reason) in the user's language, or None."""
    if geom is None or shapely.is_valid(geom):
        return None
    raw = shapely.is_valid_reason(geom)
    kind, _, where = raw.partition("[")
    if language(locale) == "en":
        return raw
    where = f"（位置 {where.rstrip(']')}）" if where else ""
    return f"{_GEOS_REASONS.get(kind.strip(), kind.strip())}{where}"
