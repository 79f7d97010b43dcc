"""The store on a PostGIS server, for a city or province with many editors.

Selected by ``GEOAPP_DATABASE_URL=postgresql://…``; reads may go to a streaming replica
(``GEOAPP_DATABASE_READ_URL``) while every write goes to the primary. The driver is psycopg 3
(binary protocol, server-side parameters — user text is never put into SQL): the Store speaks
change sets and a ``Query`` of its own, so an ORM would add a layer and take nothing away.

Like the GeoPackage, each app process answers reads from its in-memory cache (``cached.py``),
kept in step with the history table: a write through one app server is visible through every
other on its next request, and an app server holds nothing that cannot be rebuilt. Writers take
one transaction-level advisory lock, so history numbers are committed in order and no reader's
``changes_since`` can skip a row committed late.

Connections are per thread (gunicorn's threads), opened lazily and opened again once if the
server dropped them; a read that loses its connection is retried once, a write never is (its
transaction was rolled back by the server, so nothing of it stays).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd
import psycopg
import shapely
from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon
from shapely.geometry.base import BaseGeometry

from geoapp.errors import StoreError, StoreUnavailable
from geoapp.stores import pg_reads, pg_tiles
from geoapp.stores.base import Extent, Query
from geoapp.stores.cached import CachedStore, as_declared
from geoapp.stores.changes import GEOMETRY, TableSchema, as_date
from geoapp.stores.pg_schema import ensure_table, prepare
from geoapp.stores.reader import blob_columns, read_blob, read_features
from geoapp.stores.writer import TableInfo, quote

T = TypeVar("T")
WRITE_LOCK = 7_420_002  # pg_advisory_xact_lock key: one change set at a time, in order
CONNECT_TIMEOUT_S = 10
# No JIT: compiling a map query's expressions costs more than running them (measured on 1M
# parcels: a cold z10 tile in SQL 449 ms with JIT, 183 ms without; a page + count 433 / 293).
SESSION = "-c jit=off"
_MULTI = {"Polygon": MultiPolygon, "Point": MultiPoint, "LineString": MultiLineString}


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    host = info.get("host", "localhost")
    return f"{info.get('user', '')}@{host}:{info.get('port', 5432)}/{info.get('dbname', '')}"


class PostGISDialect:
    """PostgreSQL's part of a ``RowWriter`` (see ``geoapp.stores.writer.Dialect``)."""

    def execute(self, conn: psycopg.Connection, sql: str, params: tuple | list = ()) -> Any:
        return conn.execute(sql.replace("?", "%s"), params)

    def table(self, conn: psycopg.Connection, schema: TableSchema) -> TableInfo:
        ensure_table(conn, schema)
        return table_info(conn, schema.table)

    def stored(self, info: TableInfo, name: str, value: Any) -> Any:
        if value is None or name == GEOMETRY:
            return value
        kind = info.columns.get(name, "")
        if kind == "DOUBLE PRECISION":
            return float(value)
        if kind == "DATE":
            return as_date(value)
        return value if not isinstance(value, date) else value.isoformat()

    def geometry_sql(self, info: TableInfo) -> tuple[str, str]:
        return f"ST_AsBinary({quote(info.geometry)})", "ST_GeomFromWKB(?, 4326)"

    def geometry_value(self, info: TableInfo, geometry: BaseGeometry | None) -> bytes | None:
        return None if geometry is None else self.multi(info, geometry).wkb

    @staticmethod
    def multi(info: TableInfo, geometry: BaseGeometry | None) -> BaseGeometry | None:
        """A single part as a multi-part geometry, where the column holds those."""
        if geometry is None or not info.geometry_type.startswith("MULTI"):
            return geometry
        if geometry.geom_type.startswith("Multi"):
            return geometry
        return _MULTI[geometry.geom_type]([geometry])


def table_info(conn: psycopg.Connection, table: str) -> TableInfo:
    found = conn.execute(
        "SELECT f_geometry_column, type, srid FROM geometry_columns WHERE f_table_name = %s",
        (table,),
    ).fetchone()
    columns = conn.execute(
        "SELECT column_name, upper(data_type) FROM information_schema.columns "
        "WHERE table_name = %s AND column_name NOT IN ('fid', %s) ORDER BY ordinal_position",
        (table, found[0]),
    ).fetchall()
    return TableInfo(table, "fid", found[0], found[1].upper(), found[2], dict(columns))


class PostGISStore(CachedStore):
    """A Store on PostGIS; see ``geoapp.stores.base.Store`` for the contract."""

    dialect = PostGISDialect()

    def __init__(
        self,
        url: str,
        schemas: Mapping[str, TableSchema] | None = None,
        read_url: str | None = None,
        reads: str = "memory",
    ):
        super().__init__(schemas)
        self.url, self.read_url = url, read_url or url
        self.reads_in_sql = reads == "sql"
        self._infos: dict[str, TableInfo] = {}
        self._local = threading.local()
        with self._connect(self.url) as conn:
            prepare(conn, self.schemas, safe_url(self.url))
            self._install = conn.execute(
                "SELECT value FROM geoapp_meta WHERE name = 'install'"
            ).fetchone()[0]

    def __str__(self) -> str:
        return safe_url(self.url)

    def _connect(self, url: str) -> psycopg.Connection:
        try:
            return psycopg.connect(
                url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, options=SESSION
            )
        except psycopg.OperationalError as error:
            reason = str(error).strip().splitlines()[-1] if str(error).strip() else "refused"
            raise StoreError(f"cannot connect to PostGIS at {safe_url(url)}: {reason}") from error

    def _held(self, url: str) -> psycopg.Connection:
        """This thread's connection to ``url`` (again after a fork or a dropped connection)."""
        held = getattr(self._local, url, None)
        alive = held is not None and not held[1].closed and not held[1].broken
        if alive and held[0] == os.getpid():
            return held[1]
        conn = self._connect(url)
        setattr(self._local, url, (os.getpid(), conn))
        return conn

    def _conn(self) -> psycopg.Connection:
        return self._held(self.read_url)

    def _query(self, sql: str, params: tuple | list = ()) -> list:
        return self._read_twice(lambda: CachedStore._query(self, sql, params))

    def _read_rows(
        self, table: str, fids: Sequence[int] | None = None, blobs: bool = False
    ) -> gpd.GeoDataFrame:
        def read() -> gpd.GeoDataFrame:
            conn = self._conn()
            info = table_info(conn, table)
            return read_features(self.dialect, conn, info, fids, blobs=blobs)

        return self._read_twice(read)

    def _read_blob(self, table: str, key: dict[str, Any], name: str) -> bytes | None:
        def read() -> bytes | None:
            conn = self._conn()
            return read_blob(self.dialect, conn, self._table_info(conn, table), key, name)

        return self._read_twice(read)

    def _read_twice(self, read: Callable[[], T]) -> T:
        """A read whose connection the server dropped is tried once more on a new one."""
        try:
            return read()
        except (psycopg.OperationalError, StoreError):
            self._forget(self.read_url)
        try:
            return read()
        except (psycopg.OperationalError, StoreError) as error:
            self._forget(self.read_url)
            raise StoreUnavailable() from error

    def _forget(self, url: str) -> None:
        held = getattr(self._local, url, None)
        if held is not None:
            held[1].close()
            delattr(self._local, url)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[psycopg.Connection]:
        """The write transaction; a write is never retried: if the connection is lost, the
        server has rolled it back and the caller hears so."""
        try:
            conn = self._held(self.url)
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                yield conn
        except (psycopg.OperationalError, StoreError) as error:
            self._forget(self.url)
            raise StoreUnavailable() from error

    def _identity(self) -> str:
        return self._install

    # --- reads in SQL (GEOAPP_DATABASE_READS=sql) -------------------------------------------------

    def read(self, table: str, query: Query | None = None) -> gpd.GeoDataFrame:
        if not self.reads_in_sql:
            return super().read(table, query)
        frame = self._in_sql(
            table, lambda conn, info: pg_reads.read(self.dialect, conn, info, query or Query())
        )
        return as_declared(frame, self.schemas.get(table))

    def extent(self, table: str, query: Query | None = None, sums: tuple[str, ...] = ()) -> Extent:
        if not self.reads_in_sql:
            return super().extent(table, query, sums)
        return self._in_sql(
            table,
            lambda conn, info: pg_reads.extent(self.dialect, conn, info, query or Query(), sums),
        )

    def tile(self, table: str, layer: str, query: Query, zxy: tuple[int, int, int]) -> bytes | None:
        """The tile made by ``ST_AsMVT`` when reads go to SQL; None: make it from memory."""
        if not self.reads_in_sql:
            return None
        return self._in_sql(
            table, lambda conn, info: pg_tiles.tile(self.dialect, conn, info, layer, query, zxy)
        )

    def _in_sql(self, table: str, read: Callable[[psycopg.Connection, TableInfo], T]) -> T:
        if table not in self.schemas and table not in self.tables():
            raise StoreError(f"table {table!r} not in {self}")

        def run() -> T:
            conn = self._conn()
            return read(conn, self._table_info(conn, table))

        return self._read_twice(run)

    def _table_info(self, conn: psycopg.Connection, table: str) -> TableInfo:
        """The table's columns, looked up once per table and process (a new column comes only
        from a migration or a write of this code, which also clears it)."""
        found = self._infos.get(table)
        if found is None:
            found = self._infos[table] = table_info(conn, table)
        return found

    def tables(self) -> list[str]:
        rows = self._query("SELECT f_table_name FROM geometry_columns ORDER BY f_table_name")
        return [r[0] for r in rows if r[0] in self.schemas]

    @classmethod
    def create(
        cls,
        url: str,
        frames: Mapping[str, gpd.GeoDataFrame],
        schemas: Mapping[str, TableSchema] | None = None,
    ) -> PostGISStore:
        """Fill an empty database with ``frames`` (feature ids kept where a ``fid`` column
        gives them): for demo data, copies and tests, never for edits."""
        store = cls(url, schemas)
        with store._writing() as conn:
            for table, frame in frames.items():
                copy_frame(conn, table, frame)
        return store


def copy_frame(conn: psycopg.Connection, table: str, frame: gpd.GeoDataFrame) -> None:
    """Rows into a table with COPY (geometry as hex EWKB), then the id sequence past them."""
    names = [c for c in frame.columns if c not in (frame.geometry.name, "fid")]
    blobs = blob_columns(frame)
    for name in names:  # columns no layer declares are kept too (a copy loses nothing)
        kind = "double precision" if pd.api.types.is_numeric_dtype(frame[name]) else "text"
        kind = "date" if pd.api.types.is_datetime64_any_dtype(frame[name]) else kind
        kind = "bytea" if name in blobs else kind
        conn.execute(f"ALTER TABLE {quote(table)} ADD COLUMN IF NOT EXISTS {quote(name)} {kind}")
    ids = frame["fid"] if "fid" in frame.columns else None
    info = table_info(conn, table)
    shapes = [PostGISDialect.multi(info, g) for g in frame.geometry.values]
    geoms = shapely.to_wkb(shapely.set_srid(shapes, 4326), hex=True, include_srid=True)
    columns = ", ".join(["fid"] * (ids is not None) + ["geom", *map(quote, names)])
    with conn.cursor().copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
        values = [frame[n].astype(object).where(frame[n].notna(), None) for n in names]
        for i, geom in enumerate(geoms):
            row = [_plain(v.iloc[i]) for v in values]
            copy.write_row(([int(ids.iloc[i])] if ids is not None else []) + [geom, *row])
    conn.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'fid'), "
        f"greatest((SELECT max(fid) FROM {quote(table)}), 1))",
        (quote(table),),
    )


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "date") and callable(value.date):  # Timestamp, datetime
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value
