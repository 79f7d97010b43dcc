"""What the demo parks offer besides land: utilities as data (power, water, gas, steam) and
ready-built factory space (标准化厂房: floor area, rent, sale price).

Both demos turn uniform draws in [0, 1) into values here, so their figures agree. The county
demo derives its draws from each park's or parcel's id (``hashed_draws``), not from the seeded
generator: a draw more there would change every project after it, and the tests check the
published figures. The province-scale demo draws from its generator after everything else.
The ranges are plausible for county parks, not published figures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import geopandas as gpd
import numpy as np

from geoapp.geo import SQUARE_METRES_PER_MU

POWER_KVA = (2_000.0, 5_000.0, 10_000.0, 20_000.0, 40_000.0)  # spare capacity for a new plant
WATER_T_DAY = (2_000.0, 5_000.0, 10_000.0, 20_000.0, 50_000.0)
GAS_SHARE, STEAM_SHARE = 0.8, 0.4  # parks with natural gas; with central steam supply
FOOTPRINT_M2 = (2_000.0, 12_000.0)  # one standard factory building (a 栋) per factory parcel
MAX_COVERAGE = 0.55  # of its parcel: a small parcel has a smaller building
MAX_STOREYS = 3
RENT = (6.0, 18.0)  # 元/平方米·月
SALE = (1_600.0, 3_200.0)  # 元/平方米
UTILITY_DRAWS, FACTORY_DRAWS = 4, 4


def hashed_draws(keys: Sequence[str], count: int) -> np.ndarray:
    """``count`` draws in [0, 1) for each key, from the key alone (a BLAKE2 hash of key and
    index, not CRC-32, whose values for ids one character apart are alike): the same id gives
    the same values whatever else the demo holds."""
    values = [_hashed(f"{key}:{i}") for key in keys for i in range(count)]
    return np.asarray(values, dtype=float).reshape(len(keys), count)


def add_offer(
    parks: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame,
    park_draws: np.ndarray,
    parcel_draws: np.ndarray,
) -> None:
    """Give ``parks`` their utilities and ``parcels`` their factory space, in place (one row of
    ``UTILITY_DRAWS`` draws a park, of ``FACTORY_DRAWS`` a parcel)."""
    for name, values in park_utilities(park_draws).items():
        parks[name] = values
    is_factory = (parcels["land_state"] == "factory").to_numpy()
    space = factory_space(parcels["area_mu"].to_numpy(), is_factory, parcel_draws)
    for name, values in space.items():
        parcels[name] = values


def park_utilities(draws: np.ndarray) -> dict[str, np.ndarray]:
    """``power_kva``, ``water_t_day``, ``gas`` and ``steam`` of each park (one row of
    ``UTILITY_DRAWS`` draws each)."""
    return {
        "power_kva": _pick(POWER_KVA, draws[:, 0]),
        "water_t_day": _pick(WATER_T_DAY, draws[:, 1]),
        "gas": np.where(draws[:, 2] < GAS_SHARE, "yes", "no"),
        "steam": np.where(draws[:, 3] < STEAM_SHARE, "yes", "no"),
    }


def factory_space(
    area_mu: np.ndarray, is_factory: np.ndarray, draws: np.ndarray
) -> dict[str, np.ndarray]:
    """``floor_m2``, ``rent_yuan_m2_month`` and ``sale_yuan_m2`` of each parcel (one row of
    ``FACTORY_DRAWS`` draws each); missing (NaN) for parcels that are not factory space. The
    floor is one building's footprint (at most ``MAX_COVERAGE`` of its parcel) times 1–3
    storeys, to 10 m²."""
    land_m2 = np.asarray(area_mu, dtype=float) * SQUARE_METRES_PER_MU
    footprint = FOOTPRINT_M2[0] + draws[:, 0] * (FOOTPRINT_M2[1] - FOOTPRINT_M2[0])
    storeys = 1 + np.floor(draws[:, 1] * MAX_STOREYS)
    floor = np.round(np.minimum(footprint, land_m2 * MAX_COVERAGE) * storeys, -1)
    rent = np.round((RENT[0] + draws[:, 2] * (RENT[1] - RENT[0])) * 2) / 2  # to 0.5 元
    sale = np.round(SALE[0] + draws[:, 3] * (SALE[1] - SALE[0]), -2)  # to 100 元
    factory = np.asarray(is_factory, dtype=bool)
    return {
        "floor_m2": np.where(factory, floor, np.nan),
        "rent_yuan_m2_month": np.where(factory, rent, np.nan),
        "sale_yuan_m2": np.where(factory, sale, np.nan),
    }


def _hashed(text: str) -> float:
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64


def _pick(choices: Sequence[float], draws: np.ndarray) -> np.ndarray:
    index = np.minimum((draws * len(choices)).astype(int), len(choices) - 1)
    return np.asarray(choices, dtype=float)[index]
