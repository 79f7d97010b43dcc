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
import shapely

from geoapp.stores.gpkg_binary import header_size
from geoapp.stores.gpkg_writer import TableInfo, quote

_NUMBER = ("REAL", "DOUBLE", "FLOAT", "NUMERIC")
_INTEGER = ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT")
_FIDS_PER_QUERY = 900  # below SQLite's limit of bound parameters


def read_features(
    conn: sqlite3.Connection, info: TableInfo, fids: Sequence[int] | None = None
) -> gpd.GeoDataFrame:
    """The table's rows (or those with the given feature ids), indexed by fid, in fid order."""
    names = list(info.columns)
    select = ", ".join(quote(c) for c in [info.fid, info.geometry, *names])
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
    columns = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 2)
    index = pd.Index(np.asarray(columns[0], dtype=np.int64), name=info.fid)
    data = {
        name: _typed(values, info.columns[name])
        for name, values in zip(names, columns[2:], strict=True)
    }
    frame = pd.DataFrame(data, index=index, columns=names)
    geometry = _geometries(columns[1])
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=index), crs=4326)


def _geometries(blobs: Sequence[bytes | None]) -> np.ndarray:
    wkb = [None if b is None else b[header_size(b) :] for b in blobs]
    return shapely.from_wkb(np.array(wkb, dtype=object))


def _typed(values: Sequence, kind: str) -> pd.Series | np.ndarray:
    base = kind.split("(")[0].strip()
    if base in _NUMBER or base in _INTEGER:
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        if base in _INTEGER and not numbers.isna().any():
            return numbers.astype(np.int64).to_numpy()
        return numbers.astype(float).to_numpy()
    if base in ("DATETIME", "DATE"):
        text = pd.Series(values, dtype=object).str.removesuffix("Z")
        return pd.to_datetime(text, format="ISO8601", errors="coerce").to_numpy()
    if base == "BOOLEAN":
        return pd.Series(values, dtype=object).astype("boolean").to_numpy()
    return np.array(values, dtype=object)
