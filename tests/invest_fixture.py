"""The tiny fixture as the investors' pages need it: parks with a phone and an address, and
the county seats of 陇县 (610327) and 临泽 (620723) as landmarks."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import Point

from tests.fixtures import LINZE, LONG, tiny_frames

LONG_SEAT = (106.855, 34.895)  # shared/domain.md
LINZE_SEAT = (100.165, 39.153)


def invest_frames() -> dict[str, gpd.GeoDataFrame]:
    frames = tiny_frames()
    parks = frames["parks"]
    parks["phone"] = ["0917-4612345", "0936-5551234"]
    parks["address"] = ["陕西省宝鸡市陇县苏陕工业园管委会", "甘肃省张掖市临泽县扎尔墩滩管委会"]
    frames["landmarks"] = gpd.GeoDataFrame(
        [
            _seat("seat-610327", "陇县政府驻地", LONG, LONG_SEAT),
            _seat("seat-620723", "临泽县政府驻地", LINZE, LINZE_SEAT),
        ],
        geometry="geometry",
        crs=4326,
    )
    return frames


def _seat(key: str, name: str, county: str, lon_lat: tuple[float, float]) -> dict:
    return {
        "landmark_id": key,
        "name": name,
        "kind": "county_seat",
        "county_code": county,
        "geometry": Point(lon_lat),
    }
