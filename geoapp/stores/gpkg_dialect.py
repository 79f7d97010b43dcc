"""What writing a GeoPackage row by row takes, beside the shared ``RowWriter``.

Geometry goes in as GeoPackage blobs (and comes out with the header cut off in SQL), dates as
GDAL writes them (``2024-03-01T00:00:00`` in DATETIME columns), and a declared table or field
the file lacks is created the way GDAL would. The history tables are registered in
``gpkg_contents`` as attribute tables, so GDAL, QGIS and validators see a clean GeoPackage.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon
from shapely.geometry.base import BaseGeometry

from geoapp.stores import gpkg_binary
from geoapp.stores.changes import GEOMETRY, TableSchema, as_date
from geoapp.stores.gpkg_tables import create_feature_table, sql_type
from geoapp.stores.history import CHANGE_SETS, HISTORY
from geoapp.stores.writer import TableInfo, now_utc, quote

HISTORY_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {CHANGE_SETS} (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, author TEXT NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {HISTORY} (
        version INTEGER PRIMARY KEY AUTOINCREMENT, change_set INTEGER NOT NULL,
        at TEXT NOT NULL, author TEXT NOT NULL, table_name TEXT NOT NULL, key TEXT NOT NULL,
        feature_id INTEGER NOT NULL, op TEXT NOT NULL, fields TEXT NOT NULL,
        before TEXT, after TEXT, geom_before BLOB, geom_after BLOB)""",
    f"CREATE INDEX IF NOT EXISTS {HISTORY}_row ON {HISTORY}(table_name, key, version)",
    f"CREATE INDEX IF NOT EXISTS {HISTORY}_table ON {HISTORY}(table_name, version)",
    *(
        f"""INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, last_change)
        VALUES ('{name}', 'attributes', '{name}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"""
        for name in (CHANGE_SETS, HISTORY)
    ),
)
_MULTI = {"Polygon": MultiPolygon, "Point": MultiPoint, "LineString": MultiLineString}
_NUMERIC = ("REAL", "DOUBLE", "FLOAT", "NUMERIC")
_INTEGER = ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT")


def feature_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables registered as features, in the order they were added."""
    found = conn.execute(
        "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid"
    )
    return [row[0] for row in found]


def create_history(conn: sqlite3.Connection) -> None:
    """The history tables (idempotent); run inside a write transaction."""
    for statement in HISTORY_DDL:
        conn.execute(statement)


def create_key_index(conn: sqlite3.Connection, table: str, key: tuple[str, ...]) -> None:
    """Rows are found by their key on every write: index it (once; idempotent)."""
    columns = ", ".join(quote(k) for k in key)
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {quote('geoapp_key_' + table)} ON {quote(table)} ({columns})"
    )


def table_info(conn: sqlite3.Connection, table: str) -> TableInfo:
    found = conn.execute(
        "SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns "
        "WHERE table_name = ?",
        (table,),
    ).fetchone()
    rows = conn.execute(f"PRAGMA table_info({quote(table)})").fetchall()
    fid = next(r[1] for r in rows if r[5])
    columns = {r[1]: (r[2] or "").upper() for r in rows if r[1] not in (fid, found[0])}
    return TableInfo(table, fid, found[0], found[1].upper(), found[2], columns)


def wkb_sql(column: str) -> str:
    """The geometry without its GeoPackage header, cut in SQLite: the header is 8 bytes plus
    the envelope that its flags byte announces (none, 4, 6 or 8 doubles)."""
    cases = " ".join(
        f"WHEN '{(indicator << 1) | order:02X}' THEN {9 + 8 * doubles}"
        for indicator, doubles in gpkg_binary.ENVELOPE_DOUBLES.items()
        for order in (0, 1)
    )
    return f"substr({quote(column)}, CASE hex(substr({quote(column)}, 4, 1)) {cases} ELSE 9 END)"


class GeoPackageDialect:
    """The GeoPackage's part of a ``RowWriter`` (see ``geoapp.stores.writer.Dialect``)."""

    def execute(self, conn: sqlite3.Connection, sql: str, params: tuple | list = ()) -> Any:
        return conn.execute(sql, params)

    def table(self, conn: sqlite3.Connection, schema: TableSchema) -> TableInfo:
        if schema.table not in feature_tables(conn):
            create_feature_table(conn, schema)
        info = table_info(conn, schema.table)
        for name, spec in schema.fields.items():
            if name not in info.columns:
                kind = sql_type(spec.type)
                conn.execute(f"ALTER TABLE {quote(info.name)} ADD COLUMN {quote(name)} {kind}")
                info.columns[name] = kind
        create_key_index(conn, info.name, schema.key)
        conn.execute(
            "UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?",
            (now_utc(), info.name),
        )
        return info

    def stored(self, info: TableInfo, name: str, value: Any) -> Any:
        """Numbers as float (whole numbers in integer columns), dates as GDAL writes them
        (``2024-03-01T00:00:00`` in DATETIME columns, ``2024-03-01`` in DATE and text)."""
        if value is None or name == GEOMETRY:
            return value
        kind = info.columns.get(name, "")
        if kind in _NUMERIC:
            return float(value)
        if kind in _INTEGER:
            return int(value) if float(value).is_integer() else float(value)
        if kind in ("DATETIME", "DATE") or not isinstance(value, str | int | float):
            day = as_date(value)
            if day is not None:
                return f"{day.isoformat()}T00:00:00" if kind == "DATETIME" else day.isoformat()
        return value

    def geometry_sql(self, info: TableInfo) -> tuple[str, str]:
        return wkb_sql(info.geometry), "?"

    def geometry_value(self, info: TableInfo, geometry: BaseGeometry | None) -> bytes | None:
        if geometry is None:
            return None
        column = info.geometry_type
        if column.startswith("MULTI") and not geometry.geom_type.startswith("Multi"):
            geometry = _MULTI[geometry.geom_type]([geometry])
        elif not column.startswith("MULTI") and column != "GEOMETRY":
            geometry = geometry.geoms[0] if geometry.geom_type.startswith("Multi") else geometry
        return gpkg_binary.encode(geometry, info.srs_id)
