"""A siting fixture whose right order is known by hand (tests/test_siting.py works it out).

On the investors' fixture (tests/invest_fixture.py) the parks and sites are replaced by:
- park P1 in 陇县 leads with 新材料 and 装备制造; park P2 in 临泽 with 食品加工;
- standard land S1 and S2 in P1, 50 亩 each, 投资强度 150 and 200 万元/亩, price 20 万元/亩;
- available parcel A3 in P1, 80 亩, price 15; available parcel B1 in P2, 50 亩, price 15;
- an occupied parcel (never offered) and a factory building F1 in P1;
- a highway exit 0.05° (about 5.5 km) due north of S1's centre, and the two county seats.
Areas are stored as written, as an import stores the area it measured.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from tests.fixtures import LINZE, LONG, parcel_row
from tests.invest_fixture import invest_frames

S1_CENTRE = (106.805, 34.855)
HIGHWAY_EXIT = (106.805, 34.905)  # S1's centre + 0.05° of latitude


def siting_frames() -> dict[str, gpd.GeoDataFrame]:
    frames = invest_frames()
    frames["parks"]["industries"] = ["新材料、装备制造", "食品加工"]
    frames["parcels"] = _frame(
        [
            _parcel("A3", "P1", LONG, "available", 80, 15, box(106.82, 34.85, 106.83, 34.86)),
            _parcel("B1", "P2", LINZE, "available", 50, 15, box(100.1, 39.1, 100.11, 39.11)),
            _parcel("O1", "P1", LONG, "occupied", 50, 15, box(106.83, 34.85, 106.84, 34.86)),
            _parcel("F1", "P1", LONG, "factory", 10, None, box(106.80, 34.87, 106.805, 34.875)),
        ]
    )
    frames["standard_land"] = _frame(
        [
            _standard("S1", 150, box(106.80, 34.85, 106.81, 34.86)),
            _standard("S2", 200, box(106.81, 34.85, 106.82, 34.86)),
        ]
    )
    exit_row = {
        "landmark_id": "exit-1",
        "name": "陇县收费站",
        "kind": "highway_exit",
        "county_code": LONG,
        "geometry": Point(HIGHWAY_EXIT),
    }
    landmarks = frames["landmarks"]
    frames["landmarks"] = _frame([*landmarks.to_dict("records"), exit_row])
    return frames


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=4326)


def _parcel(pid, park, county, state, mu, price, geometry) -> dict:
    return parcel_row(pid, park, county, state, geometry) | {
        "area_mu": float(mu),
        "price_wan_per_mu": price,
    }


def _standard(pid: str, intensity: float, geometry) -> dict:
    return {
        "parcel_id": pid,
        "name": f"{pid}号标准地",
        "park_id": "P1",
        "county_code": LONG,
        "stage": "listed",
        "area_mu": 50.0,
        "price_wan_per_mu": 20.0,
        "invest_intensity": float(intensity),
        "tax_per_mu": 10.0,
        "output_per_mu": 300.0,
        "floor_area_ratio": 1.2,
        "coverage_pct": 40.0,
        "green_max_pct": 15.0,
        "energy_value": 2.0,
        "geometry": geometry,
    }
