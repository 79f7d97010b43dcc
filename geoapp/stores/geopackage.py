"""The embedded default store: one GeoPackage file, written row by row, read into a cache.

Writes (``CachedStore.apply``) run one change set as one SQLite transaction (``BEGIN
IMMEDIATE``) in WAL mode, so writers in every process are serialised, readers never wait, and
a crash leaves the file as before the change set. The file stays a GeoPackage that GDAL and
QGIS read: geometries are GeoPackage blobs and GDAL's R-tree triggers keep the spatial index in
sync. Reads come from the in-memory cache (``cached.py``), patched from the history.

The live file is opened only through Python's ``sqlite3``, never through pyogrio: its wheel
carries its own copy of SQLite inside GDAL. Two SQLite copies in one process do not see each
other's POSIX locks, so GDAL closing the file releases the locks of this process's writer and,
believing itself the last reader, checkpoints and deletes the write-ahead log under it ("disk
I/O error", and a writer no longer serialised). GDAL reads the file from other processes
(ogrinfo, QGIS) as usual.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from geoapp.errors import StoreError
from geoapp.stores import gpkg_binary
from geoapp.stores.cached import CachedStore
from geoapp.stores.changes import TableSchema
from geoapp.stores.gpkg_dialect import (
    GeoPackageDialect,
    create_history,
    create_key_index,
    feature_tables,
    table_info,
)
from geoapp.stores.history import HISTORY
from geoapp.stores.reader import blob_columns, read_blob, read_features
from geoapp.stores.writer import quote

_GPKG_MAGIC = b"SQLite format 3\x00"
STALE_SECONDS = 3600
BUSY_TIMEOUT_MS = 60_000  # a writer waits this long for another to finish


class GeoPackageStore(CachedStore):
    """A Store over one GeoPackage file; see ``geoapp.stores.base.Store`` for the contract."""

    dialect = GeoPackageDialect()

    def __init__(self, path: Path, schemas: Mapping[str, TableSchema] | None = None):
        super().__init__(schemas)
        self.path = Path(path)
        self._local = threading.local()
        self.check()
        self._remove_stale_copies()
        self._use_wal()

    def __str__(self) -> str:
        return str(self.path)

    def _remove_stale_copies(self) -> None:
        """Temporary copies left by a ``create`` that was killed (an hour old: none of them
        is still being written)."""
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
            with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as c:
                c.execute("SELECT table_name FROM gpkg_contents").fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"corrupt GeoPackage {self.path}: {exc}") from exc

    def _use_wal(self) -> None:
        """Write-ahead logging: readers go on reading while one writer writes."""
        with contextlib.suppress(sqlite3.OperationalError):  # another process is switching it
            self._conn().execute("PRAGMA journal_mode=WAL")

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork or when the file was replaced)."""
        identity = (os.getpid(), self.path.stat().st_ino)
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == identity:
            return held[1]
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous=FULL")
        gpkg_binary.register_functions(conn)
        self._local.held = (identity, conn)
        return conn

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")  # the write lock, across processes, for the whole set
        try:
            create_history(conn)
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _identity(self) -> int:
        return self.path.stat().st_ino

    def _query(self, sql: str, params: tuple | list = ()) -> list:
        try:
            return super()._query(sql, params)
        except sqlite3.OperationalError:  # no history yet: a file no one has written to
            return []

    def _newest(self, table: str | None) -> int:
        if table is not None:
            return super()._newest(table)
        found = self._query("SELECT seq FROM sqlite_sequence WHERE name = ?", (HISTORY,))
        return int(found[0][0]) if found else 0

    def _read_rows(
        self, table: str, fids: Sequence[int] | None = None, blobs: bool = False
    ) -> gpd.GeoDataFrame:
        conn = self._conn()
        return read_features(self.dialect, conn, table_info(conn, table), fids, blobs=blobs)

    def _read_blob(self, table: str, key: dict[str, Any], name: str) -> bytes | None:
        conn = self._conn()
        return read_blob(self.dialect, conn, table_info(conn, table), key, name)

    def tables(self) -> list[str]:
        return feature_tables(self._conn())

    @classmethod
    def create(
        cls,
        path: Path,
        frames: Mapping[str, gpd.GeoDataFrame],
        schemas: Mapping[str, TableSchema] | None = None,
    ) -> GeoPackageStore:
        """Write a new GeoPackage holding only ``frames`` (atomically replacing any old file,
        whose history goes with it): for demo data and tests, never for edits."""
        keys = {t: schemas[t].key for t in frames if schemas and t in schemas}
        _write_atomic(Path(path), frames, keys)
        return cls(path, schemas)


def _write_atomic(
    path: Path, frames: Mapping[str, gpd.GeoDataFrame], keys: Mapping[str, tuple[str, ...]]
) -> None:
    """Write a new file beside ``path``, fsync it, then swap it in with os.replace. The key
    indexes are built here, so that the first edit of a big table does not wait for them."""
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
        tmp.unlink()
        blobs = {name: blob_columns(frame) for name, frame in frames.items()}
        for name, frame in frames.items():
            plain = _with_datetimes(frame.drop(columns=blobs[name]))
            pyogrio.write_dataframe(plain, tmp, layer=name, driver="GPKG")
        with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as conn:
            gpkg_binary.register_functions(conn)  # GDAL's triggers call them on an update
            conn.execute("BEGIN IMMEDIATE")
            create_history(conn)
            for table, key in keys.items():
                create_key_index(conn, table, key)
            for name, frame in frames.items():
                _write_blobs(conn, name, frame, blobs[name])
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode=WAL")
        _fsync(tmp)
        _drop_write_ahead_log(path)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_blobs(
    conn: sqlite3.Connection, table: str, frame: gpd.GeoDataFrame, columns: list[str]
) -> None:
    """Bytes columns as BLOBs, by feature id: pyogrio would write them as their text."""
    fids = frame["fid"].tolist() if "fid" in frame.columns else range(1, len(frame) + 1)
    for column in columns:
        conn.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column)} BLOB")
        values = [v if isinstance(v, bytes) else None for v in frame[column]]
        conn.executemany(
            f"UPDATE {quote(table)} SET {quote(column)} = ? WHERE fid = ?",
            zip(values, map(int, fids), strict=True),
        )


def _drop_write_ahead_log(path: Path) -> None:
    """An old file's -wal and -shm must not outlive it: SQLite would replay them into the
    new file. Checkpoint what they hold into the old file, then remove them."""
    if path.exists():
        with (
            contextlib.suppress(sqlite3.DatabaseError),
            contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn,
        ):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


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
