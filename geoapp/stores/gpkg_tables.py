"""A declared table the file does not have yet, created inside the write that first needs it.

The statements are the ones GDAL issues for a new GeoPackage layer (table, contents and
geometry-column rows, the R-tree spatial index with its triggers, the feature count), so the
table is as complete as one GDAL made, and it appears in the same transaction as its first
rows — or not at all.
"""

from __future__ import annotations

import sqlite3

from geoapp.stores.changes import TableSchema

_SQL_TYPE = {
    "number": "REAL",
    "date": "DATETIME",
    "enum": "TEXT",
    "text": "TEXT",
    "binary": "BLOB",
}
_GEOMETRY_TYPE = {"point": "POINT", "polygon": "MULTIPOLYGON", "line": "MULTILINESTRING"}
FID, GEOM, SRS = "fid", "geom", 4326


def sql_type(field_type: str) -> str:
    return _SQL_TYPE[field_type]


def create_feature_table(conn: sqlite3.Connection, schema: TableSchema) -> None:
    t = schema.table
    kind = _GEOMETRY_TYPE.get(schema.geometry, "GEOMETRY")
    columns = "".join(f', "{n}" {_SQL_TYPE[s.type]}' for n, s in schema.fields.items())
    rtree = f"rtree_{t}_{GEOM}"
    new_box = f'NEW."{FID}",ST_MinX(NEW."{GEOM}"), ST_MaxX(NEW."{GEOM}"),'
    new_box += f'ST_MinY(NEW."{GEOM}"), ST_MaxY(NEW."{GEOM}")'
    has_new = f'(NEW."{GEOM}" NOTNULL AND NOT ST_IsEmpty(NEW."{GEOM}"))'
    no_new = f'(NEW."{GEOM}" ISNULL OR ST_IsEmpty(NEW."{GEOM}"))'
    same = f'OLD."{FID}" = NEW."{FID}"'
    statements = [
        f'CREATE TABLE "{t}" ( "{FID}" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
        f'"{GEOM}" {kind}{columns})',
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
        f"last_change, srs_id) VALUES ('{t}', 'features', '{t}', '', "
        f"strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), {SRS})",
        f"INSERT INTO gpkg_geometry_columns VALUES ('{t}', '{GEOM}', '{kind}', {SRS}, 0, 0)",
        f'CREATE VIRTUAL TABLE "{rtree}" USING rtree(id, minx, maxx, miny, maxy)',
        f'CREATE TRIGGER "{rtree}_insert" AFTER INSERT ON "{t}" WHEN {has_new} '
        f'BEGIN INSERT OR REPLACE INTO "{rtree}" VALUES ({new_box}); END',
        f'CREATE TRIGGER "{rtree}_update6" AFTER UPDATE OF "{GEOM}" ON "{t}" WHEN {same} '
        f'AND {has_new} AND (OLD."{GEOM}" NOTNULL AND NOT ST_IsEmpty(OLD."{GEOM}")) '
        f'BEGIN UPDATE "{rtree}" SET minx = ST_MinX(NEW."{GEOM}"), '
        f'maxx = ST_MaxX(NEW."{GEOM}"), miny = ST_MinY(NEW."{GEOM}"), '
        f'maxy = ST_MaxY(NEW."{GEOM}") WHERE id = NEW."{FID}"; END',
        f'CREATE TRIGGER "{rtree}_update7" AFTER UPDATE OF "{GEOM}" ON "{t}" WHEN {same} '
        f'AND {has_new} AND (OLD."{GEOM}" ISNULL OR ST_IsEmpty(OLD."{GEOM}")) '
        f'BEGIN INSERT INTO "{rtree}" VALUES ({new_box}); END',
        f'CREATE TRIGGER "{rtree}_update2" AFTER UPDATE OF "{GEOM}" ON "{t}" WHEN {same} '
        f'AND {no_new} BEGIN DELETE FROM "{rtree}" WHERE id = OLD."{FID}"; END',
        f'CREATE TRIGGER "{rtree}_update5" AFTER UPDATE ON "{t}" WHEN OLD."{FID}" != '
        f'NEW."{FID}" AND {has_new} BEGIN DELETE FROM "{rtree}" WHERE id = OLD."{FID}"; '
        f'INSERT OR REPLACE INTO "{rtree}" VALUES ({new_box}); END',
        f'CREATE TRIGGER "{rtree}_update4" AFTER UPDATE ON "{t}" WHEN OLD."{FID}" != '
        f'NEW."{FID}" AND {no_new} BEGIN DELETE FROM "{rtree}" '
        f'WHERE id IN (OLD."{FID}", NEW."{FID}"); END',
        f'CREATE TRIGGER "{rtree}_delete" AFTER DELETE ON "{t}" WHEN old."{GEOM}" NOT NULL '
        f'BEGIN DELETE FROM "{rtree}" WHERE id = OLD."{FID}"; END',
        "INSERT INTO gpkg_extensions VALUES "
        f"('{t}', '{GEOM}', 'gpkg_rtree_index', "
        "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        f"INSERT INTO gpkg_ogr_contents VALUES ('{t}', 0)",
        f'CREATE TRIGGER "trigger_insert_feature_count_{t}" AFTER INSERT ON "{t}" BEGIN '
        "UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 "
        f"WHERE lower(table_name) = lower('{t}'); END",
        f'CREATE TRIGGER "trigger_delete_feature_count_{t}" AFTER DELETE ON "{t}" BEGIN '
        "UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 "
        f"WHERE lower(table_name) = lower('{t}'); END",
    ]
    for statement in statements:
        conn.execute(statement)
