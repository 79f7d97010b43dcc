"""Row-level writes into a GeoPackage inside one SQLite transaction, with history.

``RowWriter`` runs inside ``BEGIN IMMEDIATE`` … ``COMMIT`` (``GeoPackageStore.apply`` opens and
closes it), so writers in every process are serialised by SQLite's own lock and a crash at any
point leaves the file as it was before the change set. Each applied change adds one row to
``geoapp_history`` holding the whole row before and after it; a row's version is the number of
its newest history entry (0 for rows that predate the history).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import shapely
from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon
from shapely.geometry.base import BaseGeometry

from geoapp.stores import gpkg_binary
from geoapp.stores.changes import (
    GEOMETRY,
    Applied,
    Change,
    ChangeSet,
    HistoryEntry,
    Key,
    Refusal,
    TableSchema,
    as_date,
    diff_fields,
)
from geoapp.stores.gpkg_tables import create_feature_table, sql_type

HISTORY = "geoapp_history"
CHANGE_SETS = "geoapp_change_sets"
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
    # Registered as attribute tables so that GDAL, QGIS and validators see a clean GeoPackage.
    *(
        f"""INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, last_change)
        VALUES ('{name}', 'attributes', '{name}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"""
        for name in (CHANGE_SETS, HISTORY)
    ),
)
_MULTI = {"Polygon": MultiPolygon, "Point": MultiPoint, "LineString": MultiLineString}


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


@dataclass
class TableInfo:
    """How a feature table is laid out in the file: fid and geometry columns, column types."""

    name: str
    fid: str
    geometry: str
    geometry_type: str
    srs_id: int
    columns: dict[str, str]

    @classmethod
    def read(cls, conn: sqlite3.Connection, table: str) -> TableInfo:
        found = conn.execute(
            "SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns "
            "WHERE table_name = ?",
            (table,),
        ).fetchone()
        rows = conn.execute(f"PRAGMA table_info({quote(table)})").fetchall()
        fid = next(r[1] for r in rows if r[5])
        columns = {r[1]: (r[2] or "").upper() for r in rows if r[1] not in (fid, found[0])}
        return cls(table, fid, found[0], found[1].upper(), found[2], columns)


class RowWriter:
    """Applies one change set inside an open write transaction; collects refusals."""

    def __init__(self, conn: sqlite3.Connection, schemas: Mapping[str, TableSchema]):
        self.conn = conn
        self.schemas = schemas
        self.tables: dict[str, TableInfo] = {}
        self.refusals: list[Refusal] = []
        self.now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def apply(self, change_set: ChangeSet) -> Applied:
        """Write every change, or raise nothing and leave ``refusals`` for the caller to
        roll back: the caller owns the transaction."""
        cursor = self.conn.execute(
            f"INSERT INTO {CHANGE_SETS} (at, author) VALUES (?, ?)", (self.now, change_set.author)
        )
        set_id = int(cursor.lastrowid)
        counts = {"insert": 0, "update": 0, "delete": 0}
        ids: dict[Key, int] = {}
        for index, change in enumerate(change_set.changes):
            done = self._one(index, change, set_id, change_set.author)
            if done is not None:
                ids[change.key] = done[1]
                counts[change.op] += done[0]
        for table in self.tables:
            self.conn.execute(
                "UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (self.now, table)
            )
        return Applied(set_id, "", counts["insert"], counts["update"], counts["delete"], ids)

    def _one(self, index: int, change: Change, set_id: int, author: str):
        """(1 if something changed else 0, feature id), or None when refused."""
        info = self._table(change.table)
        schema = self.schemas[change.table]
        current = self._current(info, schema, change.key)
        key_text = "/".join(change.key)

        def refuse(reason: str, name: str | None = None, **params: Any) -> None:
            self.refusals.append(
                Refusal(index, change.row, change.table, change.key, name, reason, params)
            )

        if change.op == "insert" and current is not None:
            return refuse("exists", schema.key[0], key=key_text)
        if change.op != "insert" and current is None:
            return refuse("missing", schema.key[0], key=key_text)
        if change.op != "insert" and change.base_version is not None:
            newer = self._newer(change.table, change.key, change.base_version)
            if newer:
                return refuse("conflict", None, key=key_text, **newer)
        if not self._fits(info, change, refuse):
            return None
        fid, before = current if current is not None else (None, None)
        after = self._after(info, schema, change, before)
        fields = diff_fields(before, after)
        if change.op == "update" and not fields:
            return 0, fid
        fid = self._write(info, change.op, fid, after, fields, change)
        self._history(set_id, author, change, fid, fields, before, after)
        return 1, fid

    def _table(self, table: str) -> TableInfo:
        if table not in self.tables:
            if table not in feature_tables(self.conn):
                create_feature_table(self.conn, self.schemas[table])
            info = TableInfo.read(self.conn, table)
            self._migrate(info, self.schemas[table])
            self.tables[table] = info
        return self.tables[table]

    def _migrate(self, info: TableInfo, schema: TableSchema) -> None:
        """Declared fields the file lacks become columns; the key gets an index."""
        for name, spec in schema.fields.items():
            if name not in info.columns:
                kind = sql_type(spec.type)
                self.conn.execute(f"ALTER TABLE {quote(info.name)} ADD COLUMN {quote(name)} {kind}")
                info.columns[name] = kind
        columns = ", ".join(quote(k) for k in schema.key)
        self.conn.execute(
            f"CREATE INDEX IF NOT EXISTS {quote('geoapp_key_' + info.name)} "
            f"ON {quote(info.name)} ({columns})"
        )

    def _current(self, info: TableInfo, schema: TableSchema, key: Key):
        """(fid, the row as stored, geometry decoded) or None."""
        names = list(info.columns)
        where = " AND ".join(f"{quote(k)} = ?" for k in schema.key)
        select = ", ".join(quote(c) for c in [info.fid, info.geometry, *names])
        found = self.conn.execute(
            f"SELECT {select} FROM {quote(info.name)} WHERE {where}",
            [_key_value(info, k, v) for k, v in zip(schema.key, key, strict=True)],
        ).fetchone()
        if found is None:
            return None
        row = dict(zip(names, found[2:], strict=True))
        row[GEOMETRY] = gpkg_binary.decode(found[1])
        return found[0], row

    def _newer(self, table: str, key: Key, base: int) -> dict[str, Any] | None:
        rows = self.conn.execute(
            f"SELECT version, at, author, fields FROM {HISTORY} "
            "WHERE table_name = ? AND key = ? AND version > ? ORDER BY version",
            (table, _key_text(key), base),
        ).fetchall()
        if not rows:
            return None
        fields = dict.fromkeys(f for r in rows for f in json.loads(r[3]))
        version, at, author, _ = rows[-1]
        return {"version": version, "at": at, "author": author, "fields": "、".join(fields)}

    def _fits(self, info: TableInfo, change: Change, refuse) -> bool:
        geometry = change.values.get(GEOMETRY)
        if geometry is None:
            return True
        column = info.geometry_type
        parts = len(getattr(geometry, "geoms", [geometry]))
        if column.startswith("MULTI") or column == "GEOMETRY" or parts == 1:
            return True
        refuse("geometry_kind", GEOMETRY, expected=column.lower(), found=geometry.geom_type)
        return False

    def _after(self, info, schema, change: Change, before: dict | None) -> dict | None:
        if change.op == "delete":
            return None
        after = dict(before) if before else {c: None for c in info.columns} | {GEOMETRY: None}
        for name, value in change.values.items():
            after[name] = _stored(info, name, value)
        for name, value in zip(schema.key, change.key, strict=True):
            after[name] = _key_value(info, name, value)
        return after

    def _write(self, info: TableInfo, op: str, fid, after, fields, change: Change) -> int:
        table = quote(info.name)
        if op == "delete":
            self.conn.execute(f"DELETE FROM {table} WHERE {quote(info.fid)} = ?", (fid,))
            return fid
        names = [n for n in fields if n != GEOMETRY]
        values = [after[n] for n in names]
        if GEOMETRY in fields:
            names.append(info.geometry)
            values.append(_blob(info, after[GEOMETRY]))
        if op == "update":
            assignments = ", ".join(f"{quote(n)} = ?" for n in names)
            self.conn.execute(
                f"UPDATE {table} SET {assignments} WHERE {quote(info.fid)} = ?", (*values, fid)
            )
            return fid
        old_fid = self._old_fid(info.name, change.key)
        if old_fid is not None:
            names, values = [info.fid, *names], [old_fid, *values]
        marks = ", ".join("?" for _ in names)
        cursor = self.conn.execute(
            f"INSERT INTO {table} ({', '.join(quote(n) for n in names)}) VALUES ({marks})",
            values,
        )
        return int(cursor.lastrowid)

    def _old_fid(self, table: str, key: Key) -> int | None:
        """A key that existed before (deleted, now inserted or restored) gets its old id back,
        so links taken before the delete open the same record again."""
        found = self.conn.execute(
            f"SELECT feature_id FROM {HISTORY} WHERE table_name = ? AND key = ? "
            "ORDER BY version DESC LIMIT 1",
            (table, _key_text(key)),
        ).fetchone()
        return None if found is None else found[0]

    def _history(self, set_id, author, change: Change, fid, fields, before, after) -> None:
        self.conn.execute(
            f"INSERT INTO {HISTORY} (change_set, at, author, table_name, key, feature_id, op, "
            "fields, before, after, geom_before, geom_after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                set_id,
                self.now,
                author,
                change.table,
                _key_text(change.key),
                fid,
                change.op,
                json.dumps(list(fields), ensure_ascii=False),
                _attributes_json(before),
                _attributes_json(after),
                _wkb(before),
                _wkb(after),
            ),
        )


def read_history(rows: list[tuple]) -> list[HistoryEntry]:
    """History table rows (``SELECT *``) as entries, geometries decoded."""
    entries = []
    for r in rows:
        before = _state(r[9], r[11])
        after = _state(r[10], r[12])
        entries.append(
            HistoryEntry(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                tuple(json.loads(r[5])),
                r[6],
                r[7],
                tuple(json.loads(r[8])),
                before,
                after,
            )
        )
    return entries


def _state(attributes: str | None, wkb: bytes | None) -> dict | None:
    if attributes is None:
        return None
    state = json.loads(attributes)
    state[GEOMETRY] = shapely.from_wkb(wkb) if wkb is not None else None
    return state


def _attributes_json(row: dict | None) -> str | None:
    if row is None:
        return None
    return json.dumps({k: v for k, v in row.items() if k != GEOMETRY}, ensure_ascii=False)


def _wkb(row: dict | None) -> bytes | None:
    if row is None or row.get(GEOMETRY) is None:
        return None
    return shapely.to_wkb(row[GEOMETRY])


def _blob(info: TableInfo, geometry: BaseGeometry | None) -> bytes | None:
    if geometry is None:
        return None
    if info.geometry_type.startswith("MULTI") and not geometry.geom_type.startswith("Multi"):
        geometry = _MULTI[geometry.geom_type]([geometry])
    elif not info.geometry_type.startswith("MULTI") and info.geometry_type != "GEOMETRY":
        geometry = geometry.geoms[0] if geometry.geom_type.startswith("Multi") else geometry
    return gpkg_binary.encode(geometry, info.srs_id)


def _stored(info: TableInfo, name: str, value: Any) -> Any:
    """A checked value as the column stores it: numbers as float, dates as GDAL writes them
    (``2024-03-01T00:00:00`` in DATETIME columns, ``2024-03-01`` in DATE and text columns)."""
    if value is None or name == GEOMETRY:
        return value
    kind = info.columns.get(name, "")
    if kind in ("REAL", "DOUBLE", "FLOAT", "INTEGER", "MEDIUMINT", "SMALLINT", "INT"):
        return float(value) if not (kind.endswith("INT") or kind == "INTEGER") else _int(value)
    if kind in ("DATETIME", "DATE") or not isinstance(value, str | int | float):
        day = as_date(value)
        if day is not None:
            return f"{day.isoformat()}T00:00:00" if kind == "DATETIME" else day.isoformat()
    return value


def _int(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _key_value(info: TableInfo, name: str, value: str) -> Any:
    return _stored(info, name, value) if info.columns.get(name) in ("DATETIME", "DATE") else value


def _key_text(key: Key) -> str:
    return json.dumps(list(key), ensure_ascii=False)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
