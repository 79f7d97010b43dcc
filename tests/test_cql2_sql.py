"""CQL2 → SQL on a real PostGIS: every case of the in-memory evaluator selects the same rows,
and every filter it refuses is refused with the same message."""

from __future__ import annotations

import psycopg
import pytest

from geoapp.cql2 import CQL2Error, parse
from geoapp.cql2.sql import to_sql
from tests.test_cql2 import FRAME, QUERYABLES, ROW_CASES, TREE_ERRORS

COLUMNS = {
    "id": "integer",
    "name": "text",
    "status": "text",
    "industry": "text",
    "total_investment": "double precision",
    "start_date": "timestamp",  # so that row 6 keeps its 12:30, as in the frame
    "key_project": "boolean",
    "land area": "double precision",
}


@pytest.fixture(scope="module")
def conn(postgis_cluster):
    """The evaluator's test frame as a PostGIS table."""
    with psycopg.connect(postgis_cluster.database(), autocommit=True) as conn:
        columns = ", ".join(f'"{name}" {kind}' for name, kind in COLUMNS.items())
        conn.execute(f"CREATE TABLE cases ({columns}, geom geometry(Point, 4326))")
        for _, row in FRAME.iterrows():
            values = [None if _missing(row[name]) else _plain(row[name]) for name in COLUMNS]
            wkb = None if row.geometry is None else row.geometry.wkb
            marks = ", ".join(["%s"] * len(COLUMNS))
            conn.execute(
                f"INSERT INTO cases VALUES ({marks}, ST_GeomFromWKB(%s, 4326))", [*values, wkb]
            )
        yield conn


def ids(conn: psycopg.Connection, expression: str) -> list[int]:
    condition, params = to_sql(parse(expression), QUERYABLES, _column, "geom")
    sql = f"SELECT id FROM cases WHERE {condition} ORDER BY id".replace("?", "%s")
    return [row[0] for row in conn.execute(sql, params)]


@pytest.mark.parametrize(("expression", "expected"), ROW_CASES)
def test_sql_selects_the_same_rows_as_the_evaluator(conn, expression, expected):
    assert ids(conn, expression) == expected


@pytest.mark.parametrize(("expression", "problem"), TREE_ERRORS)
def test_sql_refuses_what_the_evaluator_refuses(expression, problem):
    try:
        node = parse(expression)
    except CQL2Error:
        return  # refused by the parser, before either evaluation
    with pytest.raises(CQL2Error) as caught:
        to_sql(node, QUERYABLES, _column, "geom")
    assert problem in caught.value.problem


def test_user_text_never_enters_the_sql(conn):
    condition, params = to_sql(
        parse("name = 'x''; DROP TABLE cases; --' OR name LIKE '%;%'"), QUERYABLES, _column, "geom"
    )
    assert "DROP" not in condition and ";" not in condition
    assert "x'; DROP TABLE cases; --" in params
    assert ids(conn, "name = 'x''; DROP TABLE cases; --'") == []
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == len(FRAME)


def _column(name: str) -> str | None:
    return f'"{name}"' if name in COLUMNS else None


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value) == "NaT"


def _plain(value: object) -> object:
    return (
        value.to_pydatetime()
        if hasattr(value, "to_pydatetime")
        else getattr(value, "item", lambda: value)()
    )
