"""The Store contract: everything a view may ask of storage, with every argument typed.

A PostGIS backend will implement the same four methods; views never see SQL or files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import geopandas as gpd

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Query:
    """What to read from one table. Values are data, never spliced into SQL.

    - ``bbox``: (minx, miny, maxx, maxy) in EPSG:4326; keeps features that intersect it.
    - ``any_of``: field → allowed values (a feature passes if its value is one of them).
    - ``prefix``: field → text prefix (admin codes: ``2114`` selects every county of 葫芦岛市).
    - ``ids``: feature ids to keep (``None``: any).
    - ``columns``: attribute columns to return (``None``: all); the geometry always comes back.
    """

    bbox: BBox | None = None
    any_of: Mapping[str, frozenset[str]] = field(default_factory=dict)
    prefix: Mapping[str, str] = field(default_factory=dict)
    ids: frozenset[int] | None = None
    columns: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Extent:
    """How many features a query matches and the box around them (None when there are none)."""

    count: int
    bbox: BBox | None


class Store(Protocol):
    """Read and write GeoDataFrames by table name; geometry is always EPSG:4326."""

    def tables(self) -> list[str]:
        """Names of the tables that hold features."""
        ...

    def read(self, table: str, query: Query | None = None) -> gpd.GeoDataFrame:
        """Rows of ``table`` that match ``query``, in stored order, indexed by feature id."""
        ...

    def extent(self, table: str, query: Query | None = None) -> Extent:
        """Count and bounding box of the matching rows, without materialising them."""
        ...

    def write(self, frames: Mapping[str, gpd.GeoDataFrame]) -> None:
        """Replace the given tables, all or nothing: a crash leaves the old data intact."""
        ...

    def version(self) -> str:
        """A token that changes whenever the data changes (for caches and ETags)."""
        ...
