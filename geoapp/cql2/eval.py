"""Evaluates a filter's typed tree to a boolean row mask over a GeoDataFrame.

Everything is an array operation (pandas, numpy, shapely) on whole columns, never Python per
row and never ``eval`` of user text. Missing values follow SQL's three-valued logic: a
comparison with a missing value is unknown, ``NOT unknown`` stays unknown, and only rows that
are definitely true are selected. The same evaluation serves every store: the GeoPackage and
the PostGIS backends both answer queries from the in-memory frame (``FrameIndex``).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import reduce

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.budget import check_time
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

TYPES = {"integer": "number", "datetime": "date", "timestamp": "date"} | {
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
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
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
        check_time()  # each test is a pass over the table: a filter of many stops in time
        match node:
            case And(items):
                parts = [self.truth(item) for item in items]
                return _Truth(_all(p.true for p in parts), _any(p.false for p in parts))
            case Or(items):
                parts = [self.truth(item) for item in items]
                return _Truth(_any(p.true for p in parts), _all(p.false for p in parts))
            case Not(item):
                return self.truth(item).negated()
            case Constant(value):
                rows = np.full(len(self.frame), value, dtype=bool)
                return _Truth(rows, ~rows)
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
            raise CQL2Error(None, f"unknown property '{prop.name}'")
        kind = TYPES.get(declared)
        if kind is None:  # the server's mistake, not the user's: no CQL2Error
            raise ValueError(f"queryable '{prop.name}' has unsupported type '{declared}'")
        if kind == "geometry" and not isinstance(self.frame.get(prop.name), gpd.GeoSeries):
            return self.frame.geometry, kind
        if prop.name not in self.frame.columns:
            raise CQL2Error(None, f"property '{prop.name}' is not available here")
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
            raise CQL2Error(None, f"{op} does not apply to boolean property '{prop.name}'")
        if casei and kind != "string":
            raise CQL2Error(None, f"CASEI needs a text property, '{prop.name}' is not")
        values = [coerce(literal, kind, declared, prop.name, casei) for literal in literals]
        # A DATE literal compares days: DATE('2023-04-01') matches 2023-04-01T12:30 too.
        day = all(isinstance(v, Literal) and v.kind != "timestamp" for v in literals)
        return _scalar_truth(
            column, lambda s: _normalize(s, kind, casei, day), lambda s: test(s, values)
        )

    def like(self, prop: Property, pattern: Literal, casei: bool) -> _Truth:
        column, kind = self.column(prop)
        if kind != "string":
            raise CQL2Error(None, f"LIKE needs a text property, '{prop.name}' is not")
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
            raise CQL2Error(None, f"S_INTERSECTS needs a geometry property, not '{prop.name}'")
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


def coerce(literal: Literal | Geometry, kind: str, declared: str, name: str, casei: bool) -> object:
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
        if kind == "date" and lkind == "text" and _DAY.fullmatch(str(value)):
            try:
                return pd.Timestamp(date.fromisoformat(str(value)))
            except ValueError:
                pass
    raise CQL2Error(None, f"cannot compare {declared} property '{name}' with {_describe(literal)}")


def _describe(literal: Literal | Geometry) -> str:
    if isinstance(literal, Geometry):
        return "a geometry"
    if literal.kind == "text":
        return f"text '{str(literal.value)[:40]}'"
    if literal.kind == "boolean":
        return f"boolean {str(literal.value).upper()}"
    if isinstance(literal.value, date):
        return f"{literal.kind} {literal.value.isoformat()}"
    number = float(literal.value)  # the parser gives floats: show 3.0 as it was written, 3
    whole = number.is_integer() and abs(number) < 1e15
    return f"{literal.kind} {int(number) if whole else number}"


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
