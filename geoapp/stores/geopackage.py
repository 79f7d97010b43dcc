"""The embedded default store: one GeoPackage file, read through pyogrio, written row by row.

Reads: each table is read once (through Arrow) into a ``FrameIndex`` — an in-memory table with
an STRtree, feature bounds and categorical columns. It is a cache of the file, never the only
copy: when another process (or thread) writes, the next read asks the history which feature
ids changed and patches just those rows in (``changes_since``), instead of reloading the table.

Writes: ``apply`` runs one change set as one SQLite transaction (``BEGIN IMMEDIATE``) in WAL
mode, so writers in every process are serialised, readers never wait, and a crash leaves the
file as before the change set. The file stays a GeoPackage that GDAL and QGIS read: geometries
are GeoPackage blobs and GDAL's R-tree triggers keep the spatial index in sync.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoapp.errors import StoreError
from geoapp.stores import gpkg_binary
from geoapp.stores.base import Extent, Query
from geoapp.stores.changes import (
    GEOMETRY,
    Applied,
    Change,
    Changed,
    ChangeRefused,
    ChangeSet,
    HistoryEntry,
    Key,
    Refusal,
    TableSchema,
    check,
)
from geoapp.stores.frame_index import FrameIndex
from geoapp.stores.gpkg_reader import read_features
from geoapp.stores.gpkg_writer import (
    HISTORY,
    RowWriter,
    TableInfo,
    create_history,
    feature_tables,
    read_history,
)

_GPKG_MAGIC = b"SQLite format 3\x00"
STALE_SECONDS = 3600
PATCH_MAX_SHARE = 0.2  # more changed rows than this share of a table: read it whole again
BUSY_TIMEOUT_MS = 60_000  # a writer waits this long for another to finish


class GeoPackageStore:
    """A Store over one GeoPackage file; see ``geoapp.stores.base.Store`` for the contract."""

    def __init__(self, path: Path, schemas: Mapping[str, TableSchema] | None = None):
        self.path = Path(path)
        self.schemas: Mapping[str, TableSchema] = schemas or {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._local = threading.local()
        self._cache: dict[str, tuple[tuple[int, int], FrameIndex]] = {}
        self.check()
        self._remove_stale_copies()
        self._use_wal()

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

    def tables(self) -> list[str]:
        return feature_tables(self._conn())

    def version(self, table: str | None = None) -> str:
        inode, number = self._token(table)
        return f"{inode:x}.{table or ''}.{number}"

    def _token(self, table: str | None) -> tuple[int, int]:
        """(the file's inode, the newest history entry of ``table`` or of any table)."""
        inode = self.path.stat().st_ino
        conn = self._conn()
        try:
            if table is None:
                found = conn.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = ?", (HISTORY,)
                ).fetchone()
            else:
                found = conn.execute(
                    f"SELECT max(version) FROM {HISTORY} WHERE table_name = ?", (table,)
                ).fetchone()
        except sqlite3.OperationalError:  # no history yet: a file no one has written to
            found = None
        return inode, int(found[0]) if found and found[0] is not None else 0

    def read(self, table: str, query: Query | None = None) -> gpd.GeoDataFrame:
        query = query or Query()
        index = self._index(table)
        positions = index.positions(query)
        end = None if query.limit is None else query.offset + query.limit
        return index.take(positions[query.offset : end], query.columns)

    def extent(self, table: str, query: Query | None = None) -> Extent:
        return self._index(table).extent(query or Query())

    def _index(self, table: str) -> FrameIndex:
        """The table in memory: loaded on first use, patched with the rows changed since."""
        token = self._token(table)
        cached = self._cache.get(table)
        if cached and cached[0] == token:
            return cached[1]
        with self._lock:
            loading = self._loading.setdefault(table, threading.Lock())
        with loading:  # one thread loads or patches a table; the others wait for it
            cached = self._cache.get(table)
            if cached and cached[0] == token:
                return cached[1]
            index = None
            if cached and cached[0][0] == token[0]:
                index = self._patched(table, cached[1], cached[0][1], token[1])
            if index is None:
                index = self._load(table)
            with self._lock:
                self._cache[table] = (token, index)
            return index

    def _load(self, table: str) -> FrameIndex:
        if table not in self.tables():
            raise StoreError(f"table {table!r} not in {self.path}")
        conn = self._conn()
        frame = read_features(conn, TableInfo.read(conn, table))
        return FrameIndex(_typed(frame, self.schemas.get(table)))

    def _patched(self, table: str, index: FrameIndex, since: int, until: int) -> FrameIndex | None:
        """``index`` brought from history entry ``since`` to ``until`` by the changed rows;
        None when so many changed that reading the table whole is cheaper."""
        found = self._conn().execute(
            f"SELECT DISTINCT feature_id FROM {HISTORY} "
            "WHERE table_name = ? AND version > ? AND version <= ?",
            (table, since, until),
        )
        fids = [row[0] for row in found]
        if len(fids) > PATCH_MAX_SHARE * len(index.frame):
            return None
        conn = self._conn()
        rows = read_features(conn, TableInfo.read(conn, table), fids)
        rows = _typed(rows, self.schemas.get(table))
        return index.patched(rows, set(fids) - set(rows.index))

    def apply(self, change_set: ChangeSet) -> Applied:
        refusals = check(change_set, self.schemas)
        if refusals:
            raise ChangeRefused(refusals)
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            create_history(conn)
            writer = RowWriter(conn, self.schemas)
            applied = writer.apply(change_set)
            if writer.refusals:
                raise ChangeRefused(writer.refusals)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return replace(applied, version=self.version())

    def history(
        self, table: str | None = None, key: Key | None = None, since: int = 0, limit: int = 1000
    ) -> list[HistoryEntry]:
        """Applied changes, newest first: of one row, one table or all, after ``since``."""
        where, params = ["version > ?"], [since]
        if table is not None:
            where.append("table_name = ?")
            params.append(table)
        if key is not None:
            where.append("key = ?")
            params.append(json.dumps(list(key), ensure_ascii=False))
        try:
            rows = (
                self._conn()
                .execute(
                    f"SELECT version, change_set, at, author, table_name, key, feature_id, op, "
                    f"fields, before, after, geom_before, geom_after FROM {HISTORY} "
                    f"WHERE {' AND '.join(where)} ORDER BY version DESC LIMIT ?",
                    (*params, limit),
                )
                .fetchall()
            )
        except sqlite3.OperationalError:
            return []
        return read_history(rows)

    def restore(self, table: str, key: Key, version: int, author: str) -> Applied:
        """Bring a row back as it was at ``version`` (0: as it was before its first change),
        re-inserted under its old feature id if it was deleted; recorded as a change."""
        entries = self.history(table, key, limit=1_000_000)
        state = None
        if version == 0 and entries:
            state = entries[-1].before
        else:
            state = next((e.after for e in entries if e.version == version), None)
        if state is None:
            refusal = Refusal(
                0, None, table, key, None, "no_version", {"key": "/".join(key), "version": version}
            )
            raise ChangeRefused([refusal])
        schema = self.schemas[table]
        values = {
            n: v
            for n, v in state.items()
            if (n in schema.fields or n == GEOMETRY) and n not in schema.key
        }
        op = "insert" if entries and entries[0].op == "delete" else "update"
        return self.apply(ChangeSet(author, [Change(op, table, key, values)]))

    def changes_since(self, token: int) -> Changed:
        """Feature ids changed after history entry ``token``, by table, and the newest entry."""
        try:
            rows = (
                self._conn()
                .execute(
                    f"SELECT table_name, feature_id, version FROM {HISTORY} WHERE version > ?",
                    (token,),
                )
                .fetchall()
            )
        except sqlite3.OperationalError:
            return Changed(token, {})
        by_table: dict[str, set[int]] = {}
        for table, fid, _ in rows:
            by_table.setdefault(table, set()).add(fid)
        newest = max((r[2] for r in rows), default=token)
        return Changed(newest, {t: frozenset(f) for t, f in by_table.items()})

    @classmethod
    def create(
        cls,
        path: Path,
        frames: Mapping[str, gpd.GeoDataFrame],
        schemas: Mapping[str, TableSchema] | None = None,
    ) -> GeoPackageStore:
        """Write a new GeoPackage holding only ``frames`` (atomically replacing any old file,
        whose history goes with it): for demo data and tests, never for edits."""
        _write_atomic(Path(path), frames)
        return cls(path, schemas)


def _typed(frame: gpd.GeoDataFrame, schema: TableSchema | None) -> gpd.GeoDataFrame:
    """Columns as their declaration types them, whatever a file written elsewhere holds:
    text in a number column becomes missing, not a column of text that breaks every sum."""
    if schema is None:
        return frame
    for name, spec in schema.fields.items():
        if name not in frame.columns:
            continue
        column = frame[name]
        if spec.type == "number" and not pd.api.types.is_numeric_dtype(column):
            frame[name] = pd.to_numeric(column, errors="coerce")
        elif spec.type == "date" and not pd.api.types.is_datetime64_any_dtype(column):
            frame[name] = pd.to_datetime(column, errors="coerce")
    return frame


def _write_atomic(path: Path, frames: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Write a new file beside ``path``, fsync it, then swap it in with os.replace."""
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
        for name, frame in frames.items():
            pyogrio.write_dataframe(_with_datetimes(frame), tmp, layer=name, driver="GPKG")
        with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            create_history(conn)
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode=WAL")
        _fsync(tmp)
        _drop_write_ahead_log(path)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
