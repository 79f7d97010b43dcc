"""Feature tables read from SQL into GeoDataFrames, each column typed by its SQL type.

One query for the table (or the given feature ids), geometry as WKB (the dialect says how to
get it), rows copied once into an object array, numbers through Arrow: at a million parcels
the cost is SQLite's or the network's, not Python's. Binary columns (photos) stay out of
frames unless asked for (a copy of the store): caches would hold every photo; ``read_blob``
reads one value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geoapp.stores.writer import Dialect, TableInfo, quote

_NUMBER = ("REAL", "DOUBLE", "DOUBLE PRECISION", "FLOAT", "NUMERIC")
_INTEGER = ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT")
_DATES = ("DATETIME", "DATE", "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE")
BINARY = ("BLOB", "BYTEA")
_FIDS_PER_QUERY = 900  # below SQLite's limit of bound parameters


def read_features(
    dialect: Dialect,
    conn: Any,
    info: TableInfo,
    fids: Sequence[int] | None = None,
    *,
    where: tuple[str, list] | None = None,
    columns: Sequence[str] | None = None,
    page: tuple[int, int | None] = (0, None),
    blobs: bool = False,
) -> gpd.GeoDataFrame:
    """The table's rows (all; those with the given feature ids; or those meeting an SQL
    ``where`` condition, one ``page`` of (offset, limit) of them), indexed by fid, in fid
    order, with ``columns`` (default: all but binary ones, unless ``blobs``) and the
    geometry."""
    if columns is None:
        columns = [n for n, kind in info.columns.items() if blobs or kind not in BINARY]
    names = list(columns)
    select = ", ".join([quote(info.fid), dialect.geometry_sql(info)[0], *map(quote, names)])
    sql = f"SELECT {select} FROM {quote(info.name)}"
    order = f" ORDER BY {quote(info.fid)}"
    if where is not None:
        offset, limit = page
        paging = (f" LIMIT {int(limit)}" if limit is not None else "") + f" OFFSET {int(offset)}"
        rows = dialect.execute(conn, f"{sql} WHERE {where[0]}{order}{paging}", where[1]).fetchall()
    elif fids is None:
        rows = dialect.execute(conn, sql + order).fetchall()
    else:
        rows = []
        wanted = sorted(set(fids))
        for start in range(0, len(wanted), _FIDS_PER_QUERY):
            part = wanted[start : start + _FIDS_PER_QUERY]
            marks = ", ".join("?" for _ in part)
            rows += dialect.execute(
                conn, f"{sql} WHERE {quote(info.fid)} IN ({marks}){order}", part
            ).fetchall()
    table = np.empty((len(rows), len(names) + 2), dtype=object)
    if rows:
        table[:] = rows  # one C-level copy, much faster than zip(*rows)
    index = pd.Index(table[:, 0].astype(np.int64), name=info.fid)
    data = {name: _typed(table[:, i + 2], info.columns[name]) for i, name in enumerate(names)}
    frame = pd.DataFrame(data, index=index, columns=names)
    wkb = [None if b is None else bytes(b) for b in table[:, 1]]  # bytea arrives as memoryview
    geometry = gpd.GeoSeries(shapely.from_wkb(np.array(wkb, dtype=object)), index=index)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)


def read_blob(
    dialect: Dialect, conn: Any, info: TableInfo, key: dict[str, Any], name: str
) -> bytes | None:
    """The binary value ``name`` of the row whose key fields hold ``key``; None if no row."""
    where = " AND ".join(f"{quote(k)} = ?" for k in key)
    params = [dialect.stored(info, k, v) for k, v in key.items()]
    found = dialect.execute(
        conn, f"SELECT {quote(name)} FROM {quote(info.name)} WHERE {where}", params
    ).fetchone()
    return None if found is None or found[0] is None else bytes(found[0])


def blob_columns(frame: gpd.GeoDataFrame) -> list[str]:
    """Columns of bytes (photos, in a copy of a store), told by their first value."""
    found = []
    for column in frame.columns:
        values = frame[column].dropna() if frame[column].dtype == object else ()
        if len(values) and isinstance(values.iloc[0], bytes):
            found.append(column)
    return found


def _typed(values: np.ndarray, kind: str) -> np.ndarray:
    base = kind.split("(")[0].strip()
    if base in _NUMBER or base in _INTEGER:
        try:
            numbers = pa.array(values, type=pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # text in a number column (old files)
            numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        whole = base in _INTEGER and not np.isnan(numbers).any()
        return numbers.astype(np.int64) if whole else numbers
    if base in _DATES:
        first = next((v for v in values if v is not None), None)
        if first is not None and not isinstance(first, str):  # dates from a driver
            return pd.to_datetime(pd.Series(values, dtype=object), errors="coerce").to_numpy()
        text = pd.Series(values, dtype=object).str.removesuffix("Z")
        return pd.to_datetime(text, format="ISO8601", errors="coerce").to_numpy()
    if base == "BOOLEAN":
        return pd.Series(values, dtype=object).astype("boolean").to_numpy()
    return values
