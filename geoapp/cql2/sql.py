"""Translates a filter's typed tree to an SQL condition with bound parameters (PostGIS).

The same checks as the in-memory evaluator (``eval.py``) refuse the same filters with the same
messages: the property must be a queryable, the literal must fit its type. Every literal goes
out as a parameter (``?``); only quoted column names of declared queryables are written into
the SQL text. SQL's own three-valued logic gives the same answers as the evaluator's: a row
whose value is missing is neither selected by a test nor by its negation.
"""

from __future__ import annotations

from collections.abc import Callable

from geoapp.cql2.eval import TYPES, coerce
from geoapp.cql2.tree import (
    And,
    Between,
    Comparison,
    Constant,
    CQL2Error,
    Geometry,
    In,
    Intersects,
    IsNull,
    Like,
    Literal,
    Node,
    Not,
    Or,
    Property,
)

Sql = tuple[str, list]


def to_sql(
    node: Node, queryables: dict[str, str], column: Callable[[str], str | None], geometry: str
) -> Sql:
    """The filter as ``(condition, parameters)``.

    ``column`` quotes a property's column name (None: the table has no such column);
    ``geometry`` is the quoted geometry column.
    """
    return _Translator(queryables, column, geometry).sql(node)


class _Translator:
    def __init__(
        self, queryables: dict[str, str], column: Callable[[str], str | None], geometry: str
    ):
        self.queryables, self.column_sql, self.geometry = queryables, column, geometry

    def sql(self, node: Node) -> Sql:
        match node:
            case And(items) | Or(items):
                parts = [self.sql(item) for item in items]
                joiner = " AND " if isinstance(node, And) else " OR "
                return "(" + joiner.join(p[0] for p in parts) + ")", _joined(parts)
            case Not(item):
                inner, params = self.sql(item)
                return f"(NOT {inner})", params
            case Constant(value):
                return ("TRUE" if value else "FALSE"), []
            case IsNull(prop):
                return f"({self.column(prop)[0]} IS NULL)", []
            case Intersects(prop, geometry):
                return self.intersects(prop, geometry)
            case Comparison(prop, op, value, casei):
                return self.compare(prop, [value], casei, op, lambda c, v: (f"{c} {op} ?", v))
            case In(prop, values, casei):
                return self.compare(prop, list(values), casei, "=", _any)
            case Between(prop, low, high):
                return self.compare(prop, [low, high], False, "BETWEEN", _between)
            case Like(prop, pattern, casei):
                return self.like(prop, pattern, casei)
        raise TypeError(f"not a filter node: {node!r}")

    def column(self, prop: Property) -> tuple[str, str]:
        declared = self.queryables.get(prop.name)
        if declared is None:
            raise CQL2Error(None, f"unknown property '{prop.name}'")
        kind = TYPES.get(declared)
        if kind is None:
            raise ValueError(f"queryable '{prop.name}' has unsupported type '{declared}'")
        if kind == "geometry":
            return self.geometry, kind
        column = self.column_sql(prop.name)
        if column is None:
            raise CQL2Error(None, f"property '{prop.name}' is not available here")
        return column, kind

    def compare(
        self,
        prop: Property,
        literals: list[Literal | Geometry],
        casei: bool,
        op: str,
        build: Callable[[str, list], Sql],
    ) -> Sql:
        column, kind = self.column(prop)
        declared = self.queryables[prop.name]
        if kind == "boolean" and op not in ("=", "<>"):
            raise CQL2Error(None, f"{op} does not apply to boolean property '{prop.name}'")
        if casei and kind != "string":
            raise CQL2Error(None, f"CASEI needs a text property, '{prop.name}' is not")
        values = [coerce(lit, kind, declared, prop.name, casei) for lit in literals]
        if kind == "date":  # as in eval: a DATE compares whole days, a TIMESTAMP the instant
            day = all(isinstance(lit, Literal) and lit.kind != "timestamp" for lit in literals)
            column = f"{column}::date" if day else f"{column}::timestamp"
            values = [v.date() if day else v.to_pydatetime() for v in values]
        condition, params = build(f"lower({column})" if casei else column, values)
        return f"({condition})", params

    def like(self, prop: Property, pattern: Literal, casei: bool) -> Sql:
        column, kind = self.column(prop)
        if kind != "string":
            raise CQL2Error(None, f"LIKE needs a text property, '{prop.name}' is not")
        text = str(pattern.value).casefold() if casei else str(pattern.value)
        return (f"(lower({column}) LIKE ?)" if casei else f"({column} LIKE ?)"), [text]

    def intersects(self, prop: Property, geometry: Geometry) -> Sql:
        column, kind = self.column(prop)
        if kind != "geometry":
            raise CQL2Error(None, f"S_INTERSECTS needs a geometry property, not '{prop.name}'")
        return f"ST_Intersects({column}, ST_GeomFromWKB(?, 4326))", [geometry.shape.wkb]


def _any(column: str, values: list) -> Sql:
    return f"{column} = ANY(?)", [values]


def _between(column: str, values: list) -> Sql:
    return f"{column} BETWEEN ? AND ?", values


def _joined(parts: list[Sql]) -> list:
    return [param for _, params in parts for param in params]
