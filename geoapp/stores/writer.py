"""Applying a change set inside one open SQL transaction: the logic every SQL backend shares.

``RowWriter`` looks each row up by its key, refuses what cannot be done (an insert of an
existing key, an update or delete of a missing one, a stale ``base_version``, a geometry the
column cannot hold), writes only the named fields, and adds one history entry per changed row.
What differs between SQLite/GeoPackage and PostgreSQL/PostGIS — placeholders, how geometry and
dates are stored, how a table is created — is the ``Dialect``'s. The caller owns the
transaction: it rolls back when ``refusals`` is not empty, so nothing of a refused set stays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from shapely import from_wkb
from shapely.geometry.base import BaseGeometry

from geoapp.stores.changes import (
    GEOMETRY,
    Applied,
    Change,
    ChangeSet,
    Key,
    Refusal,
    TableSchema,
    diff_fields,
)
from geoapp.stores.history import CHANGE_SETS, HISTORY, HISTORY_COLUMNS, entry_values, key_text


@dataclass
class TableInfo:
    """How a feature table is laid out: fid and geometry columns, column types (upper case)."""

    name: str
    fid: str
    geometry: str
    geometry_type: str
    srs_id: int
    columns: dict[str, str]


class Dialect(Protocol):
    """The backend's part of a write."""

    def execute(self, conn: Any, sql: str, params: tuple | list = ()) -> Any:
        """Run ``sql`` written with ``?`` placeholders."""
        ...

    def table(self, conn: Any, schema: TableSchema) -> TableInfo:
        """The table as it is, created or given its missing declared columns first."""
        ...

    def stored(self, info: TableInfo, name: str, value: Any) -> Any:
        """A checked value as its column holds it (the same as reading it back gives)."""
        ...

    def geometry_sql(self, info: TableInfo) -> tuple[str, str]:
        """(SQL reading the geometry column as WKB, SQL placeholder for writing one)."""
        ...

    def geometry_value(self, info: TableInfo, geometry: BaseGeometry | None) -> Any:
        """The parameter for the write placeholder."""
        ...


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RowWriter:
    """Applies one change set inside an open write transaction; collects refusals."""

    def __init__(self, conn: Any, schemas: Mapping[str, TableSchema], dialect: Dialect):
        self.conn, self.schemas, self.dialect = conn, schemas, dialect
        self.tables: dict[str, TableInfo] = {}
        self.refusals: list[Refusal] = []
        self.now = now_utc()

    def sql(self, sql: str, params: tuple | list = ()) -> Any:
        return self.dialect.execute(self.conn, sql, params)

    def apply(self, change_set: ChangeSet) -> Applied:
        found = self.sql(
            f"INSERT INTO {CHANGE_SETS} (at, author) VALUES (?, ?) RETURNING id",
            (self.now, change_set.author),
        ).fetchone()
        set_id = int(found[0])
        counts = {"insert": 0, "update": 0, "delete": 0}
        ids: dict[Key, int] = {}
        for index, change in enumerate(change_set.changes):
            done = self._one(index, change, set_id, change_set.author)
            if done is not None:
                ids[change.key] = done[1]
                counts[change.op] += done[0]
        return Applied(set_id, "", counts["insert"], counts["update"], counts["delete"], ids)

    def _one(self, index: int, change: Change, set_id: int, author: str):
        """(1 if something changed else 0, feature id), or None when refused."""
        info = self._table(change.table)
        schema = self.schemas[change.table]
        current = self._current(info, schema, change.key)
        key_shown = "/".join(change.key)

        def refuse(reason: str, name: str | None = None, **params: Any) -> None:
            self.refusals.append(
                Refusal(index, change.row, change.table, change.key, name, reason, params)
            )

        if change.op == "insert" and current is not None:
            return refuse("exists", schema.key[0], key=key_shown)
        if change.op != "insert" and current is None:
            return refuse("missing", schema.key[0], key=key_shown)
        if change.op != "insert" and change.base_version is not None:
            newer = self._newer(change.table, change.key, change.base_version)
            if newer:
                return refuse("conflict", None, key=key_shown, **newer)
        if not self._fits(info, change, refuse):
            return None
        fid, before = current if current is not None else (None, None)
        after = self._after(info, schema, change, before)
        fields = diff_fields(before, after)
        if change.op == "update" and not fields:
            return 0, fid
        fid = self._write(info, change, fid, after, fields)
        values = entry_values(
            set_id,
            self.now,
            author,
            change.table,
            change.key,
            fid,
            change.op,
            fields,
            before,
            after,
        )
        columns = HISTORY_COLUMNS.split(", ", 1)[1]
        marks = ", ".join("?" for _ in values)
        self.sql(f"INSERT INTO {HISTORY} ({columns}) VALUES ({marks})", values)
        return 1, fid

    def _table(self, table: str) -> TableInfo:
        if table not in self.tables:
            self.tables[table] = self.dialect.table(self.conn, self.schemas[table])
        return self.tables[table]

    def _current(self, info: TableInfo, schema: TableSchema, key: Key):
        """(fid, the row as stored, geometry decoded) or None."""
        names = list(info.columns)
        where = " AND ".join(f"{quote(k)} = ?" for k in schema.key)
        read_geometry, _ = self.dialect.geometry_sql(info)
        select = ", ".join([quote(info.fid), read_geometry, *map(quote, names)])
        params = [self.dialect.stored(info, k, v) for k, v in zip(schema.key, key, strict=True)]
        found = self.sql(f"SELECT {select} FROM {quote(info.name)} WHERE {where}", params)
        found = found.fetchone()
        if found is None:
            return None
        row = dict(zip(names, found[2:], strict=True))
        row[GEOMETRY] = None if found[1] is None else from_wkb(bytes(found[1]))
        return found[0], row

    def _newer(self, table: str, key: Key, base: int) -> dict[str, Any] | None:
        rows = self.sql(
            f"SELECT version, at, author, fields FROM {HISTORY} "
            "WHERE table_name = ? AND key = ? AND version > ? ORDER BY version",
            (table, key_text(key), base),
        ).fetchall()
        if not rows:
            return None
        fields = dict.fromkeys(f for r in rows for f in json.loads(r[3]))
        version, at, author, _ = rows[-1]
        return {"version": version, "at": at, "author": author, "fields": "、".join(fields)}

    def _fits(self, info: TableInfo, change: Change, refuse) -> bool:
        """A multi-part geometry fits only a multi-part (or generic) column."""
        geometry = change.values.get(GEOMETRY)
        if geometry is None:
            return True
        column = info.geometry_type
        parts = len(getattr(geometry, "geoms", [geometry]))
        if column.startswith("MULTI") or column == "GEOMETRY" or parts == 1:
            return True
        refuse("geometry_kind", GEOMETRY, expected=column.lower(), found=geometry.geom_type)
        return False

    def _after(self, info: TableInfo, schema: TableSchema, change: Change, before):
        if change.op == "delete":
            return None
        after = dict(before) if before else {c: None for c in info.columns} | {GEOMETRY: None}
        for name, value in change.values.items():
            after[name] = self.dialect.stored(info, name, value)
        for name, value in zip(schema.key, change.key, strict=True):
            after[name] = self.dialect.stored(info, name, value)
        return after

    def _write(self, info: TableInfo, change: Change, fid, after, fields) -> int:
        table, fid_column = quote(info.name), quote(info.fid)
        if change.op == "delete":
            self.sql(f"DELETE FROM {table} WHERE {fid_column} = ?", (fid,))
            return fid
        _, write_geometry = self.dialect.geometry_sql(info)
        names = [n for n in fields if n != GEOMETRY]
        marks = ["?" for _ in names]
        values = [after[n] for n in names]
        if GEOMETRY in fields:
            names.append(info.geometry)
            marks.append(write_geometry)
            values.append(self.dialect.geometry_value(info, after[GEOMETRY]))
        if change.op == "update":
            assignments = ", ".join(f"{quote(n)} = {m}" for n, m in zip(names, marks, strict=True))
            self.sql(f"UPDATE {table} SET {assignments} WHERE {fid_column} = ?", (*values, fid))
            return fid
        old_fid = self._old_fid(info.name, change.key)
        if old_fid is not None:
            names, marks, values = [info.fid, *names], ["?", *marks], [old_fid, *values]
        columns = ", ".join(map(quote, names))
        found = self.sql(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join(marks)}) RETURNING {fid_column}",
            values,
        ).fetchone()
        return int(found[0])

    def _old_fid(self, table: str, key: Key) -> int | None:
        """A key that existed before (deleted, now inserted or restored) gets its old id back,
        so links taken before the delete open the same record again."""
        found = self.sql(
            f"SELECT feature_id FROM {HISTORY} WHERE table_name = ? AND key = ? "
            "ORDER BY version DESC LIMIT 1",
            (table, key_text(key)),
        ).fetchone()
        return None if found is None else int(found[0])
