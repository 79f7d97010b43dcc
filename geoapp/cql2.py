"""CQL2-text filters (OGC API Features Part 3), parsed by hand and evaluated in memory.

A filter arrives as user text, so it is never turned into SQL or Python: a tokenizer and a
recursive-descent parser build a small tree of frozen dataclasses, and an evaluator turns that
tree into a boolean mask over a GeoDataFrame with pandas/numpy/shapely array operations.

Supported subset: AND / OR / NOT (NOT binds tighter than AND, AND tighter than OR) and
parentheses; ``=, <>, <, <=, >, >=`` between a property and a literal (either side);
``[NOT] LIKE`` with ``%`` / ``_`` (``\\`` escapes them); ``[NOT] IN (...)``;
``[NOT] BETWEEN a AND b``; ``IS [NOT] NULL``; ``CASEI(...)`` for case-insensitive text;
``S_INTERSECTS(geometry, <WKT or BBOX(...)>)``. Literals: ``'text'`` (``''`` is a quote),
numbers, TRUE/FALSE, ``DATE('…')``, ``TIMESTAMP('…')``. Properties: identifiers or
``"double quoted"`` names.

Missing values follow SQL's three-valued logic: a comparison with a missing value is unknown,
``NOT unknown`` stays unknown, and only rows that are definitely true are selected.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import reduce
from typing import NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

MAX_LENGTH = 10_000  # characters; a hostile filter must not cost unbounded parsing
MAX_DEPTH = 50  # nested parentheses and NOTs; keeps recursion far from Python's limit


class CQL2Error(ValueError):
    """A filter that cannot be parsed or evaluated, with where (0-based) and what went wrong.

    The position lets the API answer 400 with a message that points at the offending text.
    """

    def __init__(self, position: int, problem: str) -> None:
        super().__init__(f"at character {position}: {problem}")
        self.position = position
        self.problem = problem


# --- syntax tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """Base of every tree node; frozen so a parsed filter can be cached and shared safely."""


@dataclass(frozen=True)
class Property(Node):
    name: str
    position: int


@dataclass(frozen=True)
class Literal(Node):
    """A scalar value; ``kind`` is "text", "number", "boolean", "date" or "timestamp"."""

    value: str | int | float | bool | date | datetime
    kind: str
    position: int


@dataclass(frozen=True)
class Geometry(Node):
    """A WKT or BBOX literal; the text is kept for equality, the shape for evaluation."""

    wkt: str
    position: int
    shape: BaseGeometry = field(compare=False, repr=False)


@dataclass(frozen=True)
class Comparison(Node):
    """``prop op value``; a literal written on the left is swapped to the right when parsing."""

    prop: Property
    op: str
    value: Literal | Geometry
    casei: bool = False


@dataclass(frozen=True)
class Like(Node):
    prop: Property
    pattern: Literal
    casei: bool = False


@dataclass(frozen=True)
class In(Node):
    prop: Property
    values: tuple[Literal | Geometry, ...]
    casei: bool = False


@dataclass(frozen=True)
class Between(Node):
    prop: Property
    low: Literal | Geometry
    high: Literal | Geometry


@dataclass(frozen=True)
class IsNull(Node):
    prop: Property


@dataclass(frozen=True)
class Intersects(Node):
    prop: Property
    geometry: Geometry


@dataclass(frozen=True)
class Not(Node):
    """Also what NOT LIKE, NOT IN, NOT BETWEEN and IS NOT NULL parse to."""

    item: Node


@dataclass(frozen=True)
class And(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    items: tuple[Node, ...]


# --- tokenizer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # string, qident, number, ident, op, ( ) , end, error
    text: str  # source text; for "error" the problem
    position: int
    value: str = ""  # unescaped content of strings and quoted identifiers


_LEXEMES = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<ident>[^\W\d]\w*)"
    r"|(?P<op>[<>=!]+)"
    r"|(?P<punct>[(),])"
    r"|(?P<string>'(?:[^']|'')*')"
    r"|(?P<qident>\"(?:[^\"]|\"\")*\")"
)
_OPERATORS = {"=", "<>", "<", "<=", ">", ">="}
_OPERATOR_HINTS = {"==": "=", "!=": "<>"}


def _tokenize(text: str) -> list[_Token]:
    """All tokens, ending with "end"; a lexical error becomes a final "error" token.

    The parser raises the error only when it reaches that token, so an earlier syntax error
    is reported first: the user always sees the leftmost problem.
    """
    tokens, position = [], 0
    while position < len(text):
        match = _LEXEMES.match(text, position)
        if match is None:
            quote = text[position] in "'\""
            problem = "unterminated string" if quote else f"unexpected character {text[position]!r}"
            return [*tokens, _Token("error", problem, position)]
        kind, lexeme = match.lastgroup or "", match.group()
        if kind == "op" and lexeme not in _OPERATORS:
            hint = f" (use '{_OPERATOR_HINTS[lexeme]}')" if lexeme in _OPERATOR_HINTS else ""
            return [*tokens, _Token("error", f"unknown operator '{lexeme}'{hint}", position)]
        if kind in ("string", "qident"):
            quote = lexeme[0]
            tokens.append(_Token(kind, lexeme, position, lexeme[1:-1].replace(quote * 2, quote)))
        elif kind != "space":
            tokens.append(_Token(lexeme if kind == "punct" else kind, lexeme, position))
        position = match.end()
    return [*tokens, _Token("end", "", len(text))]


# --- parser ------------------------------------------------------------------------------------

_RESERVED = {"AND", "OR", "NOT", "LIKE", "IN", "BETWEEN", "IS", "NULL", "TRUE", "FALSE"}
_WKT_TYPES = {
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
}
_WKT_MODIFIERS = {"Z", "M", "ZM", "EMPTY"}
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIMESTAMP_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.I
)

Operand = Property | Literal | Geometry


def parse(text: str) -> Node:
    """Parse CQL2 text into a tree; raises CQL2Error at the leftmost problem."""
    if len(text) > MAX_LENGTH:
        raise CQL2Error(MAX_LENGTH, f"filter longer than {MAX_LENGTH} characters")
    return _Parser(text).filter()


class _Parser:
    """Recursive descent, one method per grammar rule; ``depth`` bounds the recursion."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    # token helpers

    def peek(self, offset: int = 0) -> _Token:
        token = self.tokens[min(self.index + offset, len(self.tokens) - 1)]
        if token.kind == "error":
            raise CQL2Error(token.position, token.text)
        return token

    def advance(self) -> _Token:
        token = self.peek()
        self.index += token.kind != "end"
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "ident" and token.text.upper() in words

    def expect(self, kind: str, what: str) -> _Token:
        if self.peek().kind != kind:
            self.fail(what)
        return self.advance()

    def fail(self, what: str) -> NoReturn:
        token = self.peek()
        found = "end of filter" if token.kind == "end" else f"'{token.text[:40]}'"
        raise CQL2Error(token.position, f"expected {what}, found {found}")

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CQL2Error(token.position, f"nesting deeper than {MAX_DEPTH} levels")

    # boolean structure

    def filter(self) -> Node:
        if self.peek().kind == "end":
            raise CQL2Error(0, "empty filter")
        node = self.or_()
        if self.peek().kind != "end":
            self.fail("AND, OR or the end of the filter")
        return node

    def or_(self) -> Node:
        items = [self.and_()]
        while self.at_keyword("OR"):
            self.advance()
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Node:
        items = [self.not_()]
        while self.at_keyword("AND"):
            self.advance()
            items.append(self.not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_(self) -> Node:
        if not self.at_keyword("NOT"):
            return self.primary()
        self.enter(self.advance())
        node = Not(self.not_())
        self.depth -= 1
        return node

    def primary(self) -> Node:
        if self.peek().kind == "(":
            self.enter(self.advance())
            node = self.or_()
            self.expect(")", "')'")
            self.depth -= 1
            return node
        if self.at_keyword("S_INTERSECTS") and self.peek(1).kind == "(":
            return self.intersects()
        return self.predicate()

    # predicates

    def intersects(self) -> Intersects:
        name = self.advance()
        self.expect("(", "'('")
        first, _ = self.operand()
        self.expect(",", "','")
        second, _ = self.operand()
        self.expect(")", "')'")
        prop, shape = (second, first) if isinstance(second, Property) else (first, second)
        if not (isinstance(prop, Property) and isinstance(shape, Geometry)):
            raise CQL2Error(name.position, "S_INTERSECTS needs a property and a geometry")
        return Intersects(prop, shape)

    def predicate(self) -> Node:
        left, casei = self.operand()
        if self.peek().kind == "op":
            op = self.advance()
            right, right_casei = self.operand()
            return self.comparison(left, op.text, right, casei or right_casei)
        negated = self.at_keyword("NOT")
        if negated:
            self.advance()
            if not self.at_keyword("LIKE", "IN", "BETWEEN"):
                self.fail("LIKE, IN or BETWEEN after NOT")
        elif self.at_keyword("IS"):
            return self.is_null(self.property(left))
        if self.at_keyword("LIKE"):
            node: Node = self.like(self.property(left), casei)
        elif self.at_keyword("IN"):
            node = self.in_(self.property(left), casei)
        elif self.at_keyword("BETWEEN"):
            node = self.between(self.property(left))
        elif self.peek().kind == "ident":
            token = self.peek()
            raise CQL2Error(token.position, f"unknown operator '{token.text}'")
        else:
            self.fail("an operator (=, <>, <, <=, >, >=, LIKE, IN, BETWEEN or IS)")
        return Not(node) if negated else node

    def comparison(self, left: Operand, op: str, right: Operand, casei: bool) -> Comparison:
        if isinstance(left, Property) and isinstance(right, Property):
            raise CQL2Error(right.position, "comparing two properties is not supported")
        if isinstance(right, Property):
            left, op, right = right, _FLIPPED[op], left
        if not isinstance(left, Property):
            raise CQL2Error(left.position, "a comparison needs a property on one side")
        return Comparison(left, op, right, casei)

    def is_null(self, prop: Property) -> Node:
        self.advance()
        negated = self.at_keyword("NOT")
        if negated:
            self.advance()
        if not self.at_keyword("NULL"):
            self.fail("NULL")
        self.advance()
        return Not(IsNull(prop)) if negated else IsNull(prop)

    def like(self, prop: Property, casei: bool) -> Like:
        self.advance()
        pattern, pattern_casei = self.operand()
        if not (isinstance(pattern, Literal) and pattern.kind == "text"):
            raise CQL2Error(pattern.position, "LIKE needs a quoted pattern")
        return Like(prop, pattern, casei or pattern_casei)

    def in_(self, prop: Property, casei: bool) -> In:
        self.advance()
        self.expect("(", "'(' after IN")
        values = [self.value()]
        casei = casei or values[0][1]
        while self.peek().kind == ",":
            self.advance()
            values.append(self.value())
            casei = casei or values[-1][1]
        self.expect(")", "')' or ','")
        return In(prop, tuple(value for value, _ in values), casei)

    def between(self, prop: Property) -> Between:
        self.advance()
        low, _ = self.value()
        if not self.at_keyword("AND"):
            self.fail("AND")
        self.advance()
        high, _ = self.value()
        return Between(prop, low, high)

    def property(self, operand: Operand) -> Property:
        if not isinstance(operand, Property):
            raise CQL2Error(operand.position, "expected a property name before the operator")
        return operand

    # operands

    def value(self) -> tuple[Literal | Geometry, bool]:
        operand, casei = self.operand()
        if isinstance(operand, Property):
            raise CQL2Error(operand.position, f"expected a value, found property '{operand.name}'")
        return operand, casei

    def operand(self, allow_casei: bool = True) -> tuple[Operand, bool]:
        """A property, literal or geometry, and whether it was wrapped in CASEI()."""
        token = self.peek()
        if token.kind == "qident":
            if not token.value:
                raise CQL2Error(token.position, "empty property name")
            return Property(self.advance().value, token.position), False
        if token.kind == "string":
            return Literal(self.advance().value, "text", token.position), False
        if token.kind == "number":
            text = self.advance().text
            number = float(text) if any(c in text for c in ".eE") else int(text)
            return Literal(number, "number", token.position), False
        if token.kind != "ident":
            self.fail("a property or a value")
        word = token.text.upper()
        if word in _WKT_TYPES and (
            self.peek(1).kind == "(" or self.peek(1).text.upper() in _WKT_MODIFIERS
        ):
            return self.wkt(), False
        if self.peek(1).kind == "(":
            return self.call(word, allow_casei)
        if word in ("TRUE", "FALSE"):
            return Literal(self.advance().text.upper() == "TRUE", "boolean", token.position), False
        if word in _RESERVED:
            self.fail("a property or a value")
        return Property(self.advance().text, token.position), False

    def call(self, word: str, allow_casei: bool) -> tuple[Operand, bool]:
        token = self.advance()
        self.advance()  # "("
        if word == "CASEI" and not allow_casei:
            raise CQL2Error(token.position, "CASEI cannot be nested")
        if word == "CASEI":
            inner, _ = self.operand(allow_casei=False)
            if isinstance(inner, Geometry) or (isinstance(inner, Literal) and inner.kind != "text"):
                raise CQL2Error(inner.position, "CASEI needs a property or text")
            self.expect(")", "')'")
            return inner, True
        if word in ("DATE", "TIMESTAMP"):
            text = self.expect("string", f"a quoted {word.lower()}")
            self.expect(")", "')'")
            return _temporal(word, text), False
        if word == "BBOX":
            return self.bbox(token), False
        raise CQL2Error(token.position, f"unknown function '{token.text}'")

    def bbox(self, name: _Token) -> Geometry:
        numbers = [float(self.expect("number", "a number").text)]
        while self.peek().kind == ",":
            self.advance()
            numbers.append(float(self.expect("number", "a number").text))
        end = self.expect(")", "')'")
        if len(numbers) not in (4, 6):
            raise CQL2Error(name.position, "BBOX needs 4 or 6 numbers")
        half = len(numbers) // 2
        west, south, east, north = numbers[0], numbers[1], numbers[half], numbers[half + 1]
        if west > east or south > north:
            raise CQL2Error(name.position, "BBOX corners are out of order")
        text = self.text[name.position : end.position + 1]
        return Geometry(text, name.position, shapely.box(west, south, east, north))

    def wkt(self) -> Geometry:
        """Find the end of a WKT literal by balancing parentheses, then let GEOS parse it."""
        start = end = self.advance()
        while self.peek().kind == "ident" and self.peek().text.upper() in _WKT_MODIFIERS:
            end = self.advance()
        depth = 0
        while self.peek().kind == "(" or depth:
            token = self.peek()
            if token.kind not in ("(", ")", ",", "number", "ident"):
                self.fail("a WKT coordinate or ')'")
            depth += {"(": 1, ")": -1}.get(token.kind, 0)
            if depth > MAX_DEPTH:
                raise CQL2Error(token.position, f"nesting deeper than {MAX_DEPTH} levels")
            end = self.advance()
            if not depth:
                break
        text = self.text[start.position : end.position + len(end.text)]
        try:
            shape = shapely.from_wkt(text)
        except shapely.errors.GEOSException as error:
            raise CQL2Error(start.position, f"invalid WKT: {error}") from None
        if not shape.is_valid:
            shape = shapely.make_valid(shape)  # e.g. a bow-tie polygon drawn by hand
        return Geometry(text, start.position, shape)


def _temporal(word: str, token: _Token) -> Literal:
    """DATE('YYYY-MM-DD') → date; TIMESTAMP('…Z' or offset) → UTC datetime."""
    text, pattern = token.value, _DATE_TEXT if word == "DATE" else _TIMESTAMP_TEXT
    try:
        if not pattern.fullmatch(text):
            raise ValueError(text)
        if word == "DATE":
            return Literal(date.fromisoformat(text), "date", token.position)
        stamp = pd.Timestamp(text).tz_convert("UTC").to_pydatetime(warn=False)
        return Literal(stamp, "timestamp", token.position)
    except ValueError:
        raise CQL2Error(token.position, f"invalid {word.lower()} '{text[:40]}'") from None


def properties(node: Node) -> set[str]:
    """Every property the filter names, to check against the collection's queryables."""
    if isinstance(node, Property):
        return {node.name}
    return set().union(*(properties(child) for child in _children(node)))


def _children(node: Node) -> Iterator[Node]:
    for item in fields(node):
        value = getattr(node, item.name)
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, Node):
                yield child


# --- evaluator ---------------------------------------------------------------------------------

_TYPES = {"integer": "number", "datetime": "date", "timestamp": "date"} | {
    kind: kind for kind in ("string", "number", "date", "boolean", "geometry")
}
_OPS: dict[str, Callable[[pd.Series, object], pd.Series]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_TEXT = pd.StringDtype("python")  # Python's re (atomic groups) for LIKE, whatever the storage


@dataclass(frozen=True)
class _Truth:
    """Three-valued result: rows definitely true, rows definitely false, the rest unknown."""

    true: np.ndarray
    false: np.ndarray

    def negated(self) -> _Truth:
        return _Truth(self.false, self.true)


def to_mask(node: Node, frame: gpd.GeoDataFrame, queryables: dict[str, str]) -> np.ndarray:
    """Rows of ``frame`` for which the filter is true (unknown, i.e. missing, counts as false).

    ``queryables`` maps each allowed property to "string", "number", "integer", "date",
    "boolean" or "geometry"; any other property is refused, so a filter can only read what the
    collection publishes.
    """
    return _Evaluator(frame, queryables).truth(node).true


class _Evaluator:
    def __init__(self, frame: gpd.GeoDataFrame, queryables: dict[str, str]) -> None:
        self.frame = frame
        self.queryables = queryables

    def truth(self, node: Node) -> _Truth:
        match node:
            case And(items):
                parts = [self.truth(item) for item in items]
                return _Truth(_all(p.true for p in parts), _any(p.false for p in parts))
            case Or(items):
                parts = [self.truth(item) for item in items]
                return _Truth(_any(p.true for p in parts), _all(p.false for p in parts))
            case Not(item):
                return self.truth(item).negated()
            case IsNull(prop):
                missing = self.column(prop)[0].isna().to_numpy()
                return _Truth(missing, ~missing)
            case Intersects(prop, geometry):
                return self.intersects(prop, geometry)
            case Comparison(prop, op, value, casei):
                return self.compare(prop, [value], casei, lambda s, v: _OPS[op](s, v[0]), op)
            case In(prop, values, casei):
                return self.compare(prop, list(values), casei, lambda s, v: s.isin(v))
            case Between(prop, low, high):
                return self.compare(prop, [low, high], False, lambda s, v: s.between(*v), "BETWEEN")
            case Like(prop, pattern, casei):
                return self.like(prop, pattern, casei)
        raise TypeError(f"not a filter node: {node!r}")

    def column(self, prop: Property) -> tuple[pd.Series, str]:
        """The frame's values for a queryable property and its normalised type."""
        declared = self.queryables.get(prop.name)
        if declared is None:
            raise CQL2Error(prop.position, f"unknown property '{prop.name}'")
        kind = _TYPES.get(declared)
        if kind is None:  # the server's mistake, not the user's: no CQL2Error
            raise ValueError(f"queryable '{prop.name}' has unsupported type '{declared}'")
        if kind == "geometry" and not isinstance(self.frame.get(prop.name), gpd.GeoSeries):
            return self.frame.geometry, kind
        if prop.name not in self.frame.columns:
            raise CQL2Error(prop.position, f"property '{prop.name}' is not available here")
        return self.frame[prop.name], kind

    def compare(
        self,
        prop: Property,
        literals: list[Literal | Geometry],
        casei: bool,
        test: Callable[[pd.Series, list[object]], pd.Series],
        op: str = "=",
    ) -> _Truth:
        column, kind = self.column(prop)
        declared = self.queryables[prop.name]
        if kind == "boolean" and op not in ("=", "<>"):
            raise CQL2Error(prop.position, f"{op} does not apply to boolean property '{prop.name}'")
        if casei and kind != "string":
            raise CQL2Error(prop.position, f"CASEI needs a text property, '{prop.name}' is not")
        values = [_coerce(literal, kind, declared, prop.name, casei) for literal in literals]
        # A DATE literal compares days: DATE('2023-04-01') matches 2023-04-01T12:30 too.
        day = all(isinstance(v, Literal) and v.kind != "timestamp" for v in literals)
        return _scalar_truth(
            column, lambda s: _normalize(s, kind, casei, day), lambda s: test(s, values)
        )

    def like(self, prop: Property, pattern: Literal, casei: bool) -> _Truth:
        column, kind = self.column(prop)
        if kind != "string":
            raise CQL2Error(prop.position, f"LIKE needs a text property, '{prop.name}' is not")
        text = str(pattern.value).casefold() if casei else str(pattern.value)
        regex = _like_regex(text)
        return _scalar_truth(
            column,
            lambda s: _normalize(s, kind, casei, False).astype(_TEXT),
            lambda s: s.str.fullmatch(regex, flags=re.DOTALL),
        )

    def intersects(self, prop: Property, geometry: Geometry) -> _Truth:
        column, kind = self.column(prop)
        if kind != "geometry":
            raise CQL2Error(
                prop.position, f"S_INTERSECTS needs a geometry property, not '{prop.name}'"
            )
        shape = geometry.shape
        if column.crs is not None and column.crs.to_epsg() != 4326:
            shape = gpd.GeoSeries([shape], crs=4326).to_crs(column.crs).iloc[0]
        shapely.prepare(shape)
        present = column.notna().to_numpy()
        hits = shapely.intersects(shape, np.asarray(column.array, dtype=object))
        return _Truth(present & hits, present & ~hits)


def _all(masks: Iterator[np.ndarray]) -> np.ndarray:
    return reduce(np.logical_and, masks)


def _any(masks: Iterator[np.ndarray]) -> np.ndarray:
    return reduce(np.logical_or, masks)


def _coerce(
    literal: Literal | Geometry, kind: str, declared: str, name: str, casei: bool
) -> object:
    """The literal as a value comparable with a normalised column, or a CQL2Error."""
    if isinstance(literal, Literal):
        value, lkind = literal.value, literal.kind
        if kind == "string" and lkind == "text":
            return str(value).casefold() if casei else value
        if (kind, lkind) in (("number", "number"), ("boolean", "boolean")):
            return value
        if kind == "date" and lkind == "date":
            return pd.Timestamp(value)
        if kind == "date" and lkind == "timestamp":
            return pd.Timestamp(value).tz_convert("UTC").tz_localize(None)
        if kind == "date" and lkind == "text" and _DATE_TEXT.fullmatch(str(value)):
            try:
                return pd.Timestamp(date.fromisoformat(str(value)))
            except ValueError:
                pass
    raise CQL2Error(
        literal.position, f"cannot compare {declared} property '{name}' with {_describe(literal)}"
    )


def _describe(literal: Literal | Geometry) -> str:
    if isinstance(literal, Geometry):
        return "a geometry"
    if literal.kind == "text":
        return f"text '{str(literal.value)[:40]}'"
    if literal.kind == "boolean":
        return f"boolean {str(literal.value).upper()}"
    value = literal.value.isoformat() if isinstance(literal.value, date) else literal.value
    return f"{literal.kind} {value}"


def _normalize(values: pd.Series, kind: str, casei: bool, day: bool) -> pd.Series:
    """Column values in one comparable dtype; anything unreadable becomes missing."""
    if kind == "string":
        text = values if isinstance(values.dtype, pd.StringDtype) else values.astype(_TEXT)
        return text.str.casefold() if casei else text
    if kind == "number":
        return pd.to_numeric(values, errors="coerce")
    if kind == "boolean":
        return values.astype("boolean")
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = values.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        stamps = values
    else:
        stamps = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
        stamps = stamps.dt.tz_localize(None)
    return stamps.dt.normalize() if day else stamps


def _scalar_truth(
    column: pd.Series,
    normalize: Callable[[pd.Series], pd.Series],
    test: Callable[[pd.Series], pd.Series],
) -> _Truth:
    """Apply ``test`` to present values; categoricals are tested once per category."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        known, hits = _known_hits(normalize(pd.Series(column.cat.categories)), test)
        codes = column.cat.codes.to_numpy()  # -1 (missing) picks the appended False
        known, hits = np.append(known, False)[codes], np.append(hits, False)[codes]
    else:
        known, hits = _known_hits(normalize(column), test)
    return _Truth(known & hits, known & ~hits)


def _known_hits(
    values: pd.Series, test: Callable[[pd.Series], pd.Series]
) -> tuple[np.ndarray, np.ndarray]:
    known = values.notna().to_numpy()
    hits = test(values).to_numpy(dtype=bool, na_value=False)
    return known, hits


def _like_regex(pattern: str) -> str:
    """A LIKE pattern as a regex that cannot backtrack catastrophically.

    ``%`` splits the pattern into fixed-length segments (``_`` is any one character, ``\\``
    escapes the next one). Matching each middle segment at its leftmost place is always
    right, so those are atomic groups that never backtrack: the time is at most text length
    times pattern length, whatever the pattern.
    """
    segments, current, chars = [], [], iter(pattern)
    for char in chars:
        if char == "%":
            segments.append("".join(current))
            current = []
        elif char == "_":
            current.append(".")
        else:
            current.append(re.escape(next(chars, "\\") if char == "\\" else char))
    segments.append("".join(current))
    if len(segments) == 1:
        return segments[0]
    first, *middle, last = segments
    return first + "".join(f"(?>.*?{s})" for s in middle if s) + ".*" + last
