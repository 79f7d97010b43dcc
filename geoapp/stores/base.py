"""The Store contract: everything a view may ask of storage, with every argument typed.

A PostGIS backend will implement the same methods; views never see SQL or files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import geopandas as gpd
import numpy as np
from shapely.geometry.base import BaseGeometry

BBox = tuple[float, float, float, float]
Bound = float | str | None  # a number, or an ISO date for date fields; None: open


class RowFilter(Protocol):
    """An extra row test (a parsed CQL2 filter): evaluated in memory, or translated to SQL."""

    def key(self) -> str:
        """A stable text that identifies the filter (for caches)."""
        ...

    def mask(self, frame: gpd.GeoDataFrame) -> np.ndarray:
        """One boolean per row of ``frame``."""
        ...


@dataclass(frozen=True)
class Query:
    """What to read from one table. Values are data, never spliced into SQL.

    - ``bbox``: (minx, miny, maxx, maxy) in EPSG:4326; keeps features that intersect it.
    - ``any_of``: field → allowed values (a feature passes if its value is one of them).
    - ``prefix``: field → text prefix (admin codes: ``2114`` selects every county of 葫芦岛市).
    - ``shape``: keeps features that intersect it (a drawn area, a circle around a point).
    - ``ranges``: field → (low, high), both inclusive; numbers or ISO dates; None is open.
    - ``contains``: (fields, text): keeps rows where any of the fields contains the text,
      ignoring case.
    - ``where``: a further row test (CQL2).
    - ``ids``: feature ids to keep (``None``: any).
    - ``columns``: attribute columns to return (``None``: all); the geometry always comes back.
    - ``offset``, ``limit``: the page of matching rows to return (``read`` only).
    """

    bbox: BBox | None = None
    any_of: Mapping[str, frozenset[str]] = field(default_factory=dict)
    prefix: Mapping[str, str] = field(default_factory=dict)
    shape: BaseGeometry | None = None
    ranges: Mapping[str, tuple[Bound, Bound]] = field(default_factory=dict)
    contains: tuple[tuple[str, ...], str] | None = None
    where: RowFilter | None = None
    ids: frozenset[int] | None = None
    columns: tuple[str, ...] | None = None
    offset: int = 0
    limit: int | None = None

    def attribute_key(self) -> tuple:
        """The attribute tests (not bbox, shape or columns), hashable, to cache their result."""
        return (
            frozenset(self.any_of.items()),
            frozenset(self.prefix.items()),
            frozenset(self.ranges.items()),
            self.contains,
            self.where.key() if self.where is not None else None,
            self.ids,
        )


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
