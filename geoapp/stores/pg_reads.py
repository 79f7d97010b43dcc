"""A ``Query`` answered by PostGIS itself: conditions, pages, counts and extents in SQL.

For data too large to hold in every app process (``GEOAPP_DATABASE_READS=sql``). Each part of
the query becomes a condition with bound parameters — the user's values never enter the SQL
text, only the quoted names of declared columns do — so the GiST index answers areas and the
b-tree indexes the enum filters. Rows come back in feature-id order, as from the in-memory
index, so both paths page the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import geopandas as gpd

from geoapp.stores.base import Bound, Extent, Query
from geoapp.stores.reader import read_features
from geoapp.stores.writer import Dialect, TableInfo, quote

Sql = tuple[str, list]


def where(query: Query, info: TableInfo) -> Sql:
    """Every test of ``query`` as one SQL condition with its parameters."""
    geom = quote(info.geometry)
    parts: list[Sql] = []
    if query.bbox is not None:
        parts.append((f"ST_Intersects({geom}, ST_MakeEnvelope(?, ?, ?, ?, 4326))", [*query.bbox]))
    if query.shape is not None:
        parts.append((f"ST_Intersects({geom}, ST_GeomFromWKB(?, 4326))", [query.shape.wkb]))
    for name, allowed in query.any_of.items():
        parts.append((f"{_text(info, name)} = ANY(?)", [sorted(allowed)]))
    for name, start in query.prefix.items():
        parts.append(_starts_with(info, name, (start,) if isinstance(start, str) else start))
    for name, (low, high) in query.ranges.items():
        parts += _range(info, name, low, high)
    if query.contains is not None:
        names, text = query.contains
        tests = " OR ".join(f"{_text(info, n)} ILIKE ?" for n in names)
        parts.append((f"({tests})", [f"%{_like_escaped(text)}%"] * len(names)))
    if query.where is not None:
        parts.append(query.where.sql(lambda name: _column_or_none(info, name), geom))
    if query.ids is not None:
        parts.append((f"{quote(info.fid)} = ANY(?)", [sorted(query.ids)]))
    if not parts:
        return "TRUE", []
    return " AND ".join(p[0] for p in parts), [v for p in parts for v in p[1]]


def _starts_with(info: TableInfo, name: str, starts: tuple[str, ...]) -> Sql:
    """Any of the prefixes; none at all matches no row."""
    if not starts:
        return "FALSE", []
    column = _text(info, name)
    return "(" + " OR ".join(f"starts_with({column}, ?)" for _ in starts) + ")", list(starts)


def read(dialect: Dialect, conn: Any, info: TableInfo, query: Query) -> gpd.GeoDataFrame:
    """The matching rows (one page of them), in feature-id order."""
    columns = None if query.columns is None else [c for c in query.columns if c in info.columns]
    return read_features(
        dialect,
        conn,
        info,
        where=where(query, info),
        columns=columns,
        page=(query.offset, query.limit),
    )


def extent(
    dialect: Dialect, conn: Any, info: TableInfo, query: Query, sums: tuple[str, ...] = ()
) -> Extent:
    """Count, box and sums of the matching rows, computed by the server (the box exact, not
    from the index's single-precision boxes)."""
    geom = quote(info.geometry)
    condition, params = where(query, info)
    totals = "".join(f", coalesce(sum({_column(info, name)}), 0)" for name in sums)
    found = dialect.execute(
        conn,
        f"SELECT count(*), min(ST_XMin({geom})), min(ST_YMin({geom})), max(ST_XMax({geom})), "
        f"max(ST_YMax({geom})){totals} FROM {quote(info.name)} WHERE {condition}",
        params,
    ).fetchone()
    summed = {name: float(value) for name, value in zip(sums, found[5:], strict=True)}
    if not found[0]:
        return Extent(0, None, summed)
    return Extent(int(found[0]), tuple(float(v) for v in found[1:5]), summed)


def _column(info: TableInfo, name: str) -> str:
    if name not in info.columns:
        raise KeyError(f"{name!r} is not a column of {info.name}")
    return quote(name)


def _column_or_none(info: TableInfo, name: str) -> str | None:
    return quote(name) if name in info.columns else None


def _text(info: TableInfo, name: str) -> str:
    column = _column(info, name)
    return column if info.columns[name] == "TEXT" else f"{column}::text"


def _range(info: TableInfo, name: str, low: Bound, high: Bound) -> list[Sql]:
    column = _column(info, name)
    is_date = info.columns[name] == "DATE"
    parts = []
    for bound, op in ((low, ">="), (high, "<=")):
        if bound is not None:
            value = date.fromisoformat(str(bound)[:10]) if is_date else float(bound)
            parts.append((f"{column} {op} ?", [value]))
    return parts or [(f"{column} IS NOT NULL", [])]


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
