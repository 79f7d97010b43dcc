"""The embedded default store: one GeoPackage file read and written with pyogrio.

Each table is read once (through Arrow) into a ``FrameIndex`` — an in-memory table with an
STRtree, feature bounds and categorical columns — and reloaded when the file changes.
Attribute filters run in numpy/pandas, so user text never reaches SQL. Writes go to a copy that
replaces the file in one ``os.replace``: readers see the old file or the new, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoapp.errors import StoreError
from geoapp.stores.base import Extent, Query
from geoapp.stores.frame_index import FrameIndex

_GPKG_MAGIC = b"SQLite format 3\x00"
STALE_SECONDS = 3600


class GeoPackageStore:
    """A Store over one GeoPackage file; see ``geoapp.stores.base.Store`` for the contract."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, FrameIndex]] = {}
        self.check()
        self._remove_stale_copies()

    def _remove_stale_copies(self) -> None:
        """Temporary copies left by a write that was killed (an hour old: no write takes that
        long, so none of them is still being written)."""
        for leftover in self.path.parent.glob(f".{self.path.stem}.*.tmp.gpkg"):
            with contextlib.suppress(OSError):
                if time.time() - leftover.stat().st_mtime > STALE_SECONDS:
                    leftover.unlink()

    def check(self) -> None:
        """Refuse a missing, non-GeoPackage or corrupt file with a message naming the path."""
        if not self.path.is_file():
            raise StoreError(f"GeoPackage not found: {self.path} (run `geoapp demo` to build it)")
        with open(self.path, "rb") as handle:
            if handle.read(16) != _GPKG_MAGIC:
                raise StoreError(f"not a GeoPackage (not an SQLite file): {self.path}")
        try:
            with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as conn:
                conn.execute("SELECT table_name FROM gpkg_contents").fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"corrupt GeoPackage {self.path}: {exc}") from exc

    def tables(self) -> list[str]:
        return [name for name, geom in pyogrio.list_layers(self.path) if geom]

    def version(self) -> str:
        stat = self.path.stat()
        return f"{stat.st_mtime_ns:x}-{stat.st_size:x}"

    def read(self, table: str, query: Query | None = None) -> gpd.GeoDataFrame:
        query = query or Query()
        index = self._index(table)
        positions = index.positions(query)
        end = None if query.limit is None else query.offset + query.limit
        return index.take(positions[query.offset : end], query.columns)

    def extent(self, table: str, query: Query | None = None) -> Extent:
        return self._index(table).extent(query or Query())

    def _index(self, table: str) -> FrameIndex:
        """The table in memory, loaded on first use and again whenever the file changes."""
        version = self.version()
        with self._lock:
            cached = self._cache.get(table)
            if cached and cached[0] == version:
                return cached[1]
        if table not in self.tables():
            raise StoreError(f"table {table!r} not in {self.path}")
        frame = pyogrio.read_dataframe(self.path, layer=table, fid_as_index=True, use_arrow=True)
        frame = frame.to_crs(4326) if frame.crs and frame.crs.to_epsg() != 4326 else frame
        index = FrameIndex(frame)
        with self._lock:
            self._cache[table] = (version, index)
        return index

    def write(self, frames: Mapping[str, gpd.GeoDataFrame]) -> None:
        _write_atomic(self.path, frames, keep_other_tables=True)

    @classmethod
    def create(cls, path: Path, frames: Mapping[str, gpd.GeoDataFrame]) -> GeoPackageStore:
        """Write a new GeoPackage holding only ``frames`` (atomically replacing any old file)."""
        _write_atomic(Path(path), frames, keep_other_tables=False)
        return cls(path)


def _write_atomic(
    path: Path, frames: Mapping[str, gpd.GeoDataFrame], *, keep_other_tables: bool
) -> None:
    """Write into a temporary copy beside ``path``, fsync it, then swap it in with os.replace."""
    for name, frame in frames.items():
        if frame.crs is None or frame.crs.to_epsg() != 4326:
            raise StoreError(f"table {name!r} must be in EPSG:4326 before it is stored")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp.gpkg"
    )
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        if keep_other_tables and path.exists():
            shutil.copyfile(path, tmp)
        else:
            tmp.unlink()
        for name, frame in frames.items():
            pyogrio.write_dataframe(
                _with_datetimes(frame),
                tmp,
                layer=name,
                driver="GPKG",
                layer_options={"OVERWRITE": "YES"},
            )
        _fsync(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _with_datetimes(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns of ``datetime.date`` objects become real date-time fields, not text, and
    categorical columns (from the in-memory index) are stored as plain text."""
    frame = frame.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
        values = frame[column].dropna()
        if (
            frame[column].dtype == object
            and len(values)
            and all(isinstance(v, date) for v in values)
        ):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
