"""Feature tables read straight from SQLite into GeoDataFrames, typed as GDAL would type them.

Why not pyogrio here: its wheel carries its own copy of SQLite inside GDAL. Two SQLite copies
in one process do not see each other's POSIX locks, so GDAL closing the file releases the
locks of this process's writer and, believing itself the last reader, checkpoints and deletes
the write-ahead log under it ("disk I/O error", and a writer no longer serialised). The live
GeoPackage is therefore only ever opened through Python's ``sqlite3``; GDAL reads it from
other processes (ogrinfo, QGIS) as usual.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geoapp.stores.gpkg_dialect import wkb_sql
from geoapp.stores.writer import TableInfo, quote

_NUMBER = ("REAL", "DOUBLE", "FLOAT", "NUMERIC")
_INTEGER = ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT")
_FIDS_PER_QUERY = 900  # below SQLite's limit of bound parameters


def read_features(
    conn: sqlite3.Connection, info: TableInfo, fids: Sequence[int] | None = None
) -> gpd.GeoDataFrame:
    """The table's rows (or those with the given feature ids), indexed by fid, in fid order."""
    names = list(info.columns)
    select = ", ".join([quote(info.fid), wkb_sql(info.geometry), *map(quote, names)])
    sql = f"SELECT {select} FROM {quote(info.name)}"
    if fids is None:
        rows = conn.execute(f"{sql} ORDER BY {quote(info.fid)}").fetchall()
    else:
        rows = []
        wanted = sorted(set(fids))
        for start in range(0, len(wanted), _FIDS_PER_QUERY):
            part = wanted[start : start + _FIDS_PER_QUERY]
            marks = ", ".join("?" for _ in part)
            rows += conn.execute(
                f"{sql} WHERE {quote(info.fid)} IN ({marks}) ORDER BY {quote(info.fid)}", part
            ).fetchall()
    table = np.empty((len(rows), len(names) + 2), dtype=object)
    if rows:
        table[:] = rows  # one C-level copy, much faster than zip(*rows)
    index = pd.Index(table[:, 0].astype(np.int64), name=info.fid)
    data = {name: _typed(table[:, i + 2], info.columns[name]) for i, name in enumerate(names)}
    frame = pd.DataFrame(data, index=index, columns=names)
    geometry = gpd.GeoSeries(shapely.from_wkb(table[:, 1]), index=index)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)


def _typed(values: np.ndarray, kind: str) -> np.ndarray:
    base = kind.split("(")[0].strip()
    if base in _NUMBER or base in _INTEGER:
        try:
            numbers = pa.array(values, type=pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # text in a number column (old files)
            numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        whole = base in _INTEGER and not np.isnan(numbers).any()
        return numbers.astype(np.int64) if whole else numbers
    if base in ("DATETIME", "DATE"):
        text = pd.Series(values, dtype=object).str.removesuffix("Z")
        return pd.to_datetime(text, format="ISO8601", errors="coerce").to_numpy()
    if base == "BOOLEAN":
        return pd.Series(values, dtype=object).astype("boolean").to_numpy()
    return values
