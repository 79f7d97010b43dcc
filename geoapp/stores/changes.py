"""Change sets: the one way anything is written, all or nothing, with a history entry each.

A change set is a list of inserts, updates and deletes, each addressing one row by its table's
key (the layer's ``id_field``: ``project_id``, ``parcel_id`` …). An update names only the fields
it changes; every other field keeps its stored value. ``check`` tests a change set against the
declared schema before any backend touches storage, so every backend refuses the same values
with the same messages, naming the change (and the sheet row it came from) and the field.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geoapp.errors import GeoappError

Op = Literal["insert", "update", "delete"]
Key = tuple[str, ...]
GEOMETRY = "geometry"
LON_LAT = (-180.0, -90.0, 180.0, 90.0)


@dataclass(frozen=True)
class FieldSpec:
    """A column as declared: its type (text, number, date, enum, binary) and, for enums, the
    keys. Binary fields (bytes: a photo) are written like any other but never read into
    frames or caches: ``Store.blob`` reads one value at a time."""

    type: str = "text"
    values: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TableSchema:
    """What a table holds: its key fields, its declared fields and its geometry kind."""

    table: str
    key: tuple[str, ...]
    fields: Mapping[str, FieldSpec]
    geometry: str = "any"  # point | polygon | line | any | none (records without a place)


@dataclass(frozen=True)
class Change:
    """One row to insert, update or delete, addressed by its key.

    ``values`` maps field names (and ``geometry``, a shapely geometry in EPSG:4326) to new
    values; ``None`` clears a field. ``base_version`` is the row's version the writer read: an
    update or delete based on an older one is a conflict. ``None`` means "last writer wins".
    ``row`` is where the change came from (a sheet row), for messages.
    """

    op: Op
    table: str
    key: Key
    values: Mapping[str, Any] = field(default_factory=dict)
    base_version: int | None = None
    row: int | None = None


@dataclass(frozen=True)
class ChangeSet:
    """Changes applied together or not at all, by one author (a user, or ``import:<file>``)."""

    author: str
    changes: Sequence[Change]


@dataclass(frozen=True)
class Applied:
    """What a change set did: its id, the data version after it, and counts per operation."""

    change_set: int
    version: str
    inserted: int
    updated: int
    deleted: int
    ids: Mapping[Key, int]  # feature id of every row the change set touched, by key


@dataclass(frozen=True)
class HistoryEntry:
    """One applied change: who, when, what, and the whole row before and after it.

    ``version`` is the entry's number, increasing across the store; it is also the row's
    version from then on. ``before`` / ``after`` hold every field and ``geometry`` (shapely),
    ``None`` where the row did not exist (before an insert, after a delete).
    """

    version: int
    change_set: int
    at: str
    author: str
    table: str
    key: Key
    feature_id: int
    op: str
    fields: tuple[str, ...]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class Changed:
    """Rows changed since a token, by table (feature ids), and the token to ask from next."""

    token: int
    rows: Mapping[str, frozenset[int]]


MESSAGES: dict[str, tuple[str, str]] = {
    "unknown_table": ("没有名为“{table}”的数据表", 'there is no table "{table}"'),
    "no_key": (
        "缺少主键字段 {fields}",
        "the key field {fields} is missing",
    ),
    "unknown_field": (
        "字段“{field}”不在“{table}”的声明中",
        'field "{field}" is not declared for "{table}"',
    ),
    "key_field": (
        "主键字段“{field}”不能修改",
        'the key field "{field}" cannot be changed',
    ),
    "number": ("“{value}”不是数字", '"{value}" is not a number'),
    "date": ("“{value}”不是日期（应为 2024-03-31 格式）", '"{value}" is not a date (2024-03-31)'),
    "enum": (
        "“{value}”不是允许的取值（{choices}）",
        '"{value}" is not one of the allowed values ({choices})',
    ),
    "text": ("“{value}”不是文本", '"{value}" is not text'),
    "binary": ("“{value}”不是二进制数据", '"{value}" is not binary data'),
    "geometry": ("几何图形无效：{why}", "invalid geometry: {why}"),
    "geometry_kind": (
        "几何类型应为 {expected}，实际为 {found}",
        "the geometry must be a {expected}, not a {found}",
    ),
    "no_geometry": ("新增的记录必须有位置（几何图形）", "a new record needs a geometry"),
    "exists": ("“{key}”已存在，不能重复新增", '"{key}" already exists: it cannot be added again'),
    "missing": ("“{key}”不存在", '"{key}" does not exist'),
    "twice": (
        "“{key}”在同一批修改中出现了两次",
        '"{key}" appears twice in the same change set',
    ),
    "conflict": (
        "“{key}”已被他人修改（{author}，{at}，版本 {version}），改动的字段：{fields}；"
        "请刷新后重新修改",
        '"{key}" was changed by someone else ({author}, {at}, version {version}); fields '
        "changed: {fields}. Reload it and make the change again",
    ),
    "no_version": (
        "“{key}”没有版本 {version}",
        '"{key}" has no version {version}',
    ),
}


@dataclass(frozen=True)
class Refusal:
    """Why one change of a set was refused, with enough to find it: the change's position,
    the sheet row it came from, the table, the key and the field."""

    index: int
    row: int | None
    table: str
    key: Key
    field: str | None
    reason: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, locale: str = "zh") -> str:
        zh, en = MESSAGES[self.reason]
        text = (en if locale == "en" else zh).format(**self.params)
        where = _where(self, locale)
        return f"{where}{text}"


def _where(refusal: Refusal, locale: str) -> str:
    key = "/".join(refusal.key)
    if locale == "en":
        row = f"row {refusal.row}, " if refusal.row is not None else ""
        column = f", field {refusal.field}" if refusal.field else ""
        return f"{row}{refusal.table} {key}{column}: "
    row = f"第 {refusal.row} 行，" if refusal.row is not None else ""
    column = f"，字段 {refusal.field}" if refusal.field else ""
    return f"{row}{refusal.table} {key}{column}："


class ChangeRefused(GeoappError):
    """A change set was refused whole; nothing of it was written."""

    status = 400

    def __init__(self, refusals: Sequence[Refusal]):
        self.refusals = list(refusals)
        super().__init__("; ".join(r.message("zh") for r in self.refusals[:20]))

    def __reduce__(self):  # travels between processes whole, refusals and all
        return (ChangeRefused, (self.refusals,))

    @property
    def conflict(self) -> bool:
        return any(r.reason == "conflict" for r in self.refusals)

    def messages(self, locale: str = "zh") -> list[str]:
        return [r.message(locale) for r in self.refusals]


def check(change_set: ChangeSet, schemas: Mapping[str, TableSchema]) -> list[Refusal]:
    """Every problem a change set has before storage is asked: unknown tables and fields,
    values that do not fit their declared type, bad geometries, a key named twice."""
    refusals: list[Refusal] = []
    seen: set[tuple[str, Key]] = set()
    for index, change in enumerate(change_set.changes):

        def refuse(reason: str, name: str | None = None, change=change, index=index, **params):
            refusals.append(
                Refusal(index, change.row, change.table, change.key, name, reason, params)
            )

        schema = schemas.get(change.table)
        if schema is None:
            refuse("unknown_table", table=change.table)
            continue
        if len(change.key) != len(schema.key) or not all(change.key):
            refuse("no_key", None, fields="、".join(schema.key))
            continue
        if (change.table, change.key) in seen:
            refuse("twice", None, key="/".join(change.key))
        seen.add((change.table, change.key))
        for name, value in change.values.items():
            problem = _value_problem(schema, name, value, change.op)
            if problem is not None:
                refuse(problem[0], name, **problem[1])
        if (
            change.op == "insert"
            and change.values.get(GEOMETRY) is None
            and schema.geometry != "none"
        ):
            refuse("no_geometry", GEOMETRY)
    return refusals


def _value_problem(
    schema: TableSchema, name: str, value: Any, op: Op
) -> tuple[str, dict[str, Any]] | None:
    if name == GEOMETRY:
        return _geometry_problem(schema, value)
    spec = schema.fields.get(name)
    if spec is None:
        return "unknown_field", {"field": name, "table": schema.table}
    if name in schema.key and op == "update":
        return "key_field", {"field": name}
    if value is None:
        return None
    shown = str(value)[:40]
    if spec.type == "number":
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
        ok = ok and math.isfinite(value)
        return None if ok else ("number", {"value": shown})
    if spec.type == "date":
        return None if as_date(value) is not None else ("date", {"value": shown})
    if spec.type == "binary":
        return None if isinstance(value, bytes) else ("binary", {"value": shown})
    if spec.type == "enum" and spec.values:
        if value not in spec.values:
            return "enum", {"value": shown, "choices": "、".join(sorted(spec.values))}
        return None
    return None if isinstance(value, str) else ("text", {"value": shown})


def _geometry_problem(schema: TableSchema, value: Any) -> tuple[str, dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, BaseGeometry):
        return "geometry", {"why": type(value).__name__}
    if value.is_empty:
        return "geometry", {"why": "empty"}
    minx, miny, maxx, maxy = value.bounds
    if not all(math.isfinite(v) for v in value.bounds) or not (
        LON_LAT[0] <= minx <= maxx <= LON_LAT[2] and LON_LAT[1] <= miny <= maxy <= LON_LAT[3]
    ):
        return "geometry", {"why": "not lon/lat (EPSG:4326)"}
    if not shapely.is_valid(value):
        return "geometry", {"why": shapely.is_valid_reason(value)}
    kind = value.geom_type.lower().removeprefix("multi")
    if schema.geometry not in ("any", kind):
        return "geometry_kind", {"expected": schema.geometry, "found": value.geom_type}
    return None


def as_date(value: Any) -> date | None:
    """A date from a ``date``, a ``datetime`` (its day) or an ISO text; None if it is none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    if isinstance(value, np.datetime64) and not np.isnat(value):
        return value.astype("datetime64[D]").item()
    return None


def diff_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple:
    """Names of the fields whose values differ between two states of a row."""
    before, after = before or {}, after or {}
    names = dict.fromkeys([*before, *after])
    return tuple(n for n in names if not _same(before.get(n), after.get(n)))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, BaseGeometry) or isinstance(b, BaseGeometry):
        return a is not None and b is not None and a.equals_exact(b, 0)
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b
