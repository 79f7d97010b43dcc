"""Checks the ``cql2`` library's JSON syntax tree and turns it into geoapp's typed tree.

The library parses all of CQL2 (arithmetic, temporal and array functions, every spatial
predicate). geoapp evaluates the classes its conformance document advertises, so anything
else is refused here, with a message that names it, before any data is read. The JSON tree
is the library's output for CQL2-text and CQL2-JSON alike, so both are checked by one code.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date

import pandas as pd

from geoapp.cql2.geometry import from_bbox, from_geojson
from geoapp.cql2.tree import (
    MAX_DEPTH,
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

Operand = Property | Literal | Geometry
_COMPARISONS = {"=", "<>", "<", "<=", ">", ">="}
_PREDICATES = _COMPARISONS | {"and", "or", "not", "like", "in", "between", "isnull"}
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
# The library reports an incomplete WKT literal such as POINT(1) as a call of "POINT".
_WKT_NAMES = {"POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON"}
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.I
)


def build(tree: object) -> Node:
    """The typed tree of a parsed filter, or a CQL2Error naming what is wrong or unsupported."""
    return _predicate(tree, depth=1)


def _predicate(tree: object, depth: int) -> Node:
    """``depth`` counts the AND, OR and NOT above this node, so recursion stays bounded."""
    if isinstance(tree, bool):
        return Constant(tree)
    if not (isinstance(tree, dict) and isinstance(tree.get("op"), str)):
        raise CQL2Error(None, f"expected a predicate, found {_show(tree)}")
    op, args = tree["op"], tree.get("args")
    if not isinstance(args, list):
        raise CQL2Error(None, f"'{op}' needs a list of arguments")
    key = op.lower()
    if key in ("and", "or", "not") and depth > MAX_DEPTH:
        raise CQL2Error(None, f"nesting deeper than {MAX_DEPTH} levels")
    if key in ("and", "or"):
        if len(args) < 2:
            raise CQL2Error(None, f"'{op}' needs at least 2 arguments")
        items = tuple(_predicate(item, depth + 1) for item in args)
        return And(items) if key == "and" else Or(items)
    if key == "not":
        return Not(_predicate(_one(op, args), depth + 1))
    return _simple(op, args)


def _simple(op: str, args: list) -> Node:
    """A predicate without boolean structure below it."""
    key = op.lower()
    if key in _COMPARISONS:
        return _comparison(key, *_arity(op, args, 2))
    if key == "like":
        return _like(*_arity(op, args, 2))
    if key == "in":
        return _in(*_arity(op, args, 2))
    if key == "between":
        prop, low, high = _arity(op, args, 3)
        return Between(_property(prop, "BETWEEN"), _value(low)[0], _value(high)[0])
    if key == "isnull":
        return IsNull(_property(_one(op, args), "IS NULL"))
    if key == "s_intersects":
        return _intersects(*_arity(op, args, 2))
    raise CQL2Error(None, f"unsupported operator or function '{op}'")


def _comparison(op: str, left_tree: object, right_tree: object) -> Comparison:
    left, left_casei = _operand(left_tree)
    right, right_casei = _operand(right_tree)
    if isinstance(left, Property) and isinstance(right, Property):
        raise CQL2Error(
            None, f"comparing two properties ('{left.name}', '{right.name}') is not supported"
        )
    if isinstance(right, Property):
        left, op, right = right, _FLIPPED[op], left
    if not isinstance(left, Property):
        raise CQL2Error(
            None, f"a comparison needs a property on one side, found {_show(left_tree)}"
        )
    return Comparison(left, op, right, left_casei or right_casei)


def _like(left_tree: object, pattern_tree: object) -> Like:
    prop, casei = _operand(left_tree)
    if not isinstance(prop, Property):
        raise CQL2Error(None, f"LIKE needs a property on its left, found {_show(left_tree)}")
    pattern, pattern_casei = _operand(pattern_tree)
    if not (isinstance(pattern, Literal) and pattern.kind == "text"):
        raise CQL2Error(None, f"LIKE needs a quoted pattern, found {_show(pattern_tree)}")
    return Like(prop, pattern, casei or pattern_casei)


def _in(left_tree: object, values_tree: object) -> In:
    prop, casei = _operand(left_tree)
    if not isinstance(prop, Property):
        raise CQL2Error(None, f"IN needs a property on its left, found {_show(left_tree)}")
    if not isinstance(values_tree, list) or not values_tree:
        raise CQL2Error(None, "IN needs a list of one or more values")
    values = [_value(item) for item in values_tree]
    return In(prop, tuple(v for v, _ in values), casei or any(c for _, c in values))


def _intersects(first_tree: object, second_tree: object) -> Intersects:
    first, second = _plain(first_tree), _plain(second_tree)
    prop, shape = (second, first) if isinstance(second, Property) else (first, second)
    if not (isinstance(prop, Property) and isinstance(shape, Geometry)):
        raise CQL2Error(None, "S_INTERSECTS needs a property and a geometry")
    return Intersects(prop, shape)


def _property(tree: object, where: str) -> Property:
    prop = _plain(tree)
    if not isinstance(prop, Property):
        raise CQL2Error(None, f"{where} needs a property, found {_show(tree)}")
    return prop


def _value(tree: object) -> tuple[Literal | Geometry, bool]:
    value, casei = _operand(tree)
    if isinstance(value, Property):
        raise CQL2Error(None, f"expected a value, found property '{value.name}'")
    return value, casei


def _operand(tree: object) -> tuple[Operand, bool]:
    """A property, literal or geometry, and whether it was wrapped in CASEI()."""
    if not (isinstance(tree, dict) and str(tree.get("op", "")).lower() == "casei"):
        return _plain(tree), False
    inner = _one("CASEI", tree.get("args"))
    if isinstance(inner, dict) and str(inner.get("op", "")).lower() == "casei":
        raise CQL2Error(None, "CASEI cannot be nested")
    operand = _plain(inner)
    if isinstance(operand, Geometry) or (isinstance(operand, Literal) and operand.kind != "text"):
        raise CQL2Error(None, f"CASEI needs a property or text, found {_show(inner)}")
    return operand, True


def _plain(tree: object) -> Operand:
    """A property, a scalar literal or a geometry; anything else is refused by name."""
    match tree:
        case bool():
            return Literal(tree, "boolean")
        case int() | float():
            if not math.isfinite(tree):
                raise CQL2Error(None, f"number {tree} is not finite")
            return Literal(tree, "number")
        case str():
            return Literal(tree, "text")
        case {"property": str(name)}:
            if not name:
                raise CQL2Error(None, "empty property name")
            return Property(name)
        case {"date": str(text)}:
            return _temporal("date", text)
        case {"timestamp": str(text)}:
            return _temporal("timestamp", text)
        case {"bbox": list(numbers)}:
            return from_bbox(numbers)
        case {"type": str()}:
            return from_geojson(tree)
        case {"date": _} | {"timestamp": _}:
            raise CQL2Error(None, f"DATE and TIMESTAMP need a quoted value, found {_show(tree)}")
        case {"op": str(op)} if op.lower() in _PREDICATES:
            raise CQL2Error(None, f"expected a property or a value, found a '{op}' predicate")
        case {"op": str(op)} if op.upper() in _WKT_NAMES:
            raise CQL2Error(None, f"invalid {op.upper()} geometry (a position has 2 or 3 numbers)")
        case {"op": str(op)}:
            raise CQL2Error(None, f"unsupported operator or function '{op}'")
        case None:
            raise CQL2Error(None, "NULL is not a value here (use IS NULL)")
    raise CQL2Error(None, f"expected a property or a value, found {_show(tree)}")


def _temporal(kind: str, text: str) -> Literal:
    """DATE('YYYY-MM-DD') → date; TIMESTAMP('…Z' or with an offset) → UTC datetime."""
    try:
        if not (_DATE_TEXT if kind == "date" else _TIMESTAMP_TEXT).fullmatch(text):
            raise ValueError(text)
        if kind == "date":
            return Literal(date.fromisoformat(text), "date")
        stamp = pd.Timestamp(text).tz_convert("UTC").to_pydatetime(warn=False)
        return Literal(stamp, "timestamp")
    except ValueError:
        raise CQL2Error(None, f"invalid {kind} '{text[:40]}'") from None


def _arity(op: str, args: object, count: int) -> list:
    if not isinstance(args, list) or len(args) != count:
        raise CQL2Error(None, f"'{op}' needs {count} argument{'s' * (count > 1)}")
    return args


def _one(op: str, args: object) -> object:
    return _arity(op, args, 1)[0]


def _show(tree: object) -> str:
    """A short rendering of a piece of the syntax tree for an error message."""
    text = json.dumps(_as_written(tree), ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_written(tree: object, depth: int = 0) -> object:
    """The parser reads every number as a float: show 5.0 as 5 (a few levels deep suffice)."""
    if isinstance(tree, float) and tree.is_integer() and abs(tree) < 1e15:
        return int(tree)
    if depth > 4:
        return "..." if isinstance(tree, list | dict) else tree
    if isinstance(tree, list):
        return [_as_written(item, depth + 1) for item in tree[:10]]
    if isinstance(tree, dict):
        return {key: _as_written(value, depth + 1) for key, value in list(tree.items())[:10]}
    return tree
