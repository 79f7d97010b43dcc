"""``geoapp db copy``: every table and the whole history from one store to another, either
way between a GeoPackage and PostGIS, feature ids and history numbers kept, then verified.

The destination must be empty (a new GeoPackage file, or a database with no geoapp rows): a
copy never merges into data it would silently overwrite. Verification reads both sides back
through the same reader and compares, per table, the number of rows and a SHA-256 over every
row (feature id, geometry as WKB, each value in a canonical form, photos' bytes included), and
the same for the history and change sets.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geoapp.errors import StoreError
from geoapp.stores.cached import CachedStore
from geoapp.stores.changes import TableSchema
from geoapp.stores.geopackage import GeoPackageStore
from geoapp.stores.history import CHANGE_SETS, HISTORY, HISTORY_COLUMNS

RECORD_TABLES = {CHANGE_SETS: "id, at, author", HISTORY: HISTORY_COLUMNS}


@dataclass(frozen=True)
class Checked:
    """One table on both sides: rows and checksum (equal when the copy is faithful)."""

    table: str
    rows: int
    source: str
    target: str

    @property
    def same(self) -> bool:
        return self.source == self.target


def copy_store(
    source: CachedStore, target: str, schemas: Mapping[str, TableSchema]
) -> list[Checked]:
    """Copy ``source`` into the empty store at ``target`` (a path or a URL); the checks."""
    frames = {table: _with_ids(source._read_rows(table, blobs=True)) for table in source.tables()}
    records = {name: source._query(_select(name)) for name in RECORD_TABLES}
    if target.startswith(("postgresql://", "postgres://")):
        copied = _into_postgis(target, frames, records, schemas)
    else:
        copied = _into_geopackage(Path(target), frames, records, schemas)
    return verify(source, copied)


def verify(source: CachedStore, target: CachedStore) -> list[Checked]:
    checks = []
    for table in source.tables():
        mine = source._read_rows(table, blobs=True)
        theirs = target._read_rows(table, blobs=True)
        columns = [c for c in mine.columns if c != mine.geometry.name]
        checks.append(Checked(table, len(mine), _digest(mine, columns), _digest(theirs, columns)))
    for name in RECORD_TABLES:
        rows = source._query(_select(name))
        checks.append(
            Checked(name, len(rows), _rows_digest(rows), _rows_digest(target._query(_select(name))))
        )
    return checks


def _select(name: str) -> str:
    return f"SELECT {RECORD_TABLES[name]} FROM {name} ORDER BY 1"


def _with_ids(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.copy()
    frame.insert(0, "fid", frame.index.to_numpy())
    return frame.reset_index(drop=True)


def _into_geopackage(path: Path, frames, records, schemas) -> CachedStore:
    if path.exists():
        raise StoreError(f"{path} exists: a copy goes into a new file (remove it first)")
    store = GeoPackageStore.create(path, frames, schemas)
    with store._writing() as conn:
        for name, rows in records.items():
            _insert(store, conn, name, rows)
    return store


def _into_postgis(url: str, frames, records, schemas) -> CachedStore:
    from geoapp.stores.postgis import PostGISStore, copy_frame

    store = PostGISStore(url, schemas)
    if store._newest(None) or any(len(store._read_rows(t)) for t in store.tables()):
        raise StoreError(f"{store} already holds geoapp data: a copy goes into an empty database")
    with store._writing() as conn:
        for table, frame in frames.items():
            copy_frame(conn, table, frame)
        for name, rows in records.items():
            _insert(store, conn, name, rows)
            column = RECORD_TABLES[name].split(",")[0]
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                f"greatest((SELECT max({column}) FROM {name}), 1))",
                (name, column),
            )
    return store


def _insert(store: CachedStore, conn, name: str, rows: list) -> None:
    columns = RECORD_TABLES[name]
    marks = ", ".join("?" for _ in columns.split(","))
    for row in rows:
        store.dialect.execute(conn, f"INSERT INTO {name} ({columns}) VALUES ({marks})", row)


def _digest(frame: gpd.GeoDataFrame, columns: list[str]) -> str:
    """SHA-256 over the rows in feature-id order: id, geometry WKB, canonical values."""
    digest = hashlib.sha256()
    frame = frame.sort_index()
    wkb = shapely.to_wkb(frame.geometry.values, byte_order=1, flavor="iso")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        return f"missing columns {', '.join(missing)}"
    values = frame[columns].astype(object).to_numpy()
    for fid, shape, row in zip(frame.index, wkb, values, strict=True):
        digest.update(repr((int(fid), shape, [_canonical(v) for v in row])).encode())
    return digest.hexdigest()


def _rows_digest(rows: list) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr([_canonical(v) for v in row]).encode())
    return digest.hexdigest()


def _canonical(value):
    """The same value whichever backend it came from (dates as days, numbers as floats)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value
