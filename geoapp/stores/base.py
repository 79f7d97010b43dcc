"""The Store contract (version 2): everything a view or a writer may ask of storage, typed.

Reads take a ``Query`` that a backend pushes down; writes are change sets (``changes.py``).
A PostGIS backend implements the same methods; views never see SQL or files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import geopandas as gpd
import numpy as np
from shapely.geometry.base import BaseGeometry

from geoapp.stores.changes import Applied, Changed, ChangeSet, HistoryEntry, Key

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

    def sql(self, column: Callable[[str], str | None], geometry: str) -> tuple[str, list]:
        """The test as an SQL condition with ``?`` parameters; ``column`` quotes a field's
        name and ``geometry`` is the quoted geometry column."""
        ...


@dataclass(frozen=True)
class Query:
    """What to read from one table. Values are data, never spliced into SQL.

    - ``bbox``: (minx, miny, maxx, maxy) in EPSG:4326; keeps features that intersect it.
    - ``any_of``: field → allowed values (a feature passes if its value is one of them).
    - ``prefix``: field → text prefix (admin codes: ``2114`` selects every county of 葫芦岛市),
      or a tuple of prefixes (any of them; an empty tuple matches nothing).
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
    prefix: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
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
    """How many features a query matches, the box around them (None when there are none) and
    the sums of the number fields asked for (missing values count as 0)."""

    count: int
    bbox: BBox | None
    sums: Mapping[str, float] = field(default_factory=dict)


class Store(Protocol):
    """The store of record: features by table name (geometry always EPSG:4326), written only
    through change sets, every change kept in the history.

    Feature ids (the index of ``read``'s frames) are stable: assigned once when a row is first
    inserted, never changed by an edit, never reused, and given back when a deleted row is
    restored or inserted again under the same key.
    """

    def tables(self) -> list[str]:
        """Names of the tables that hold features."""
        ...

    def read(self, table: str, query: Query | None = None) -> gpd.GeoDataFrame:
        """Rows of ``table`` that match ``query``, in stored order, indexed by feature id."""
        ...

    def extent(self, table: str, query: Query | None = None, sums: tuple[str, ...] = ()) -> Extent:
        """Count, bounding box and the sums of ``sums`` fields of the matching rows, without
        materialising them."""
        ...

    def blob(self, table: str, key: Key, name: str) -> bytes | None:
        """The value of the binary field ``name`` (a photo) of the row with ``key``; None when
        there is no such row. Binary fields are never in ``read``'s frames."""
        ...

    def apply(self, change_set: ChangeSet) -> Applied:
        """Write a change set all or nothing, with one history entry per changed row.

        Raises ``ChangeRefused`` (nothing written) naming every change that does not fit the
        declared schema, addresses a missing key (update, delete) or an existing one (insert),
        or is based on an older version of its row than the stored one (a conflict).
        """
        ...

    def history(
        self, table: str | None = None, key: Key | None = None, since: int = 0, limit: int = 1000
    ) -> list[HistoryEntry]:
        """Applied changes after entry ``since``, newest first: of one row, a table or all."""
        ...

    def retired(self, table: str, fid: int | None = None, limit: int = 1000) -> list[HistoryEntry]:
        """The deletion entries of the rows of ``table`` that are deleted now (not inserted or
        restored since), newest first; of feature ``fid`` only, when given. What an admin
        lists to bring a retired record back: the live tables no longer hold these rows."""
        ...

    def restore(self, table: str, key: Key, version: int, author: str) -> Applied:
        """Bring a row back as it was at ``version`` (0: before its first recorded change)."""
        ...

    def changes_since(self, token: int) -> Changed:
        """Feature ids changed after history entry ``token``, by table: for caches."""
        ...

    def version(self, table: str | None = None) -> str:
        """A token that changes whenever the data (of ``table``, or any) changes."""
        ...


@runtime_checkable
class TileMaker(Protocol):
    """A store that can encode a layer's vector tile itself (in the database)."""

    def tile(self, table: str, layer: str, query: Query, zxy: tuple[int, int, int]) -> bytes | None:
        """The MVT bytes of the rows of ``query`` (its bbox: the buffered tile), with
        ``query.columns`` as properties, in a layer named ``layer``; None: not this time."""
        ...


def restore_retired(store: Store, table: str, key: Key, author: str) -> Applied:
    """Bring a deleted row back as it was when deleted: at the entry before its deletion, or
    at 0 (the state before its first recorded change) when the deletion is its only entry,
    as for a row that came with the data. The caller knows the row is deleted now."""
    entries = store.history(table, key, limit=2)
    version = entries[1].version if len(entries) > 1 else 0
    return store.restore(table, key, version, author)
