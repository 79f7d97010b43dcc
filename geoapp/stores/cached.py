"""The part of the Store contract every SQL backend shares: reads from an in-memory cache that
the history keeps up to date, writes through ``RowWriter``, history, restore and the feed.

Each process keeps every table it has read in a ``FrameIndex`` (STRtree, bounds, categorical
columns) — the store of record stays the database. On each read the table's newest history
number is compared with the cached one; when another process (or thread) has written, only
the rows changed since are read again and patched in (``changes_since``), unless so many
changed that reading the table whole is cheaper. The cache can always be dropped and rebuilt.
"""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import geopandas as gpd
import pandas as pd

from geoapp.errors import StoreError
from geoapp.stores.base import Extent, Query
from geoapp.stores.changes import (
    GEOMETRY,
    Applied,
    Change,
    Changed,
    ChangeRefused,
    ChangeSet,
    HistoryEntry,
    Key,
    Refusal,
    TableSchema,
    check,
)
from geoapp.stores.frame_index import FrameIndex
from geoapp.stores.history import HISTORY, HISTORY_COLUMNS, key_text, read_entries
from geoapp.stores.writer import Dialect, RowWriter

PATCH_MAX_SHARE = 0.2  # more changed rows than this share of a table: read it whole again


class CachedStore(ABC):
    """A Store (``geoapp.stores.base``) over an SQL database; subclasses connect and read."""

    dialect: Dialect

    def __init__(self, schemas: Mapping[str, TableSchema] | None):
        self.schemas: Mapping[str, TableSchema] = schemas or {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._cache: dict[str, tuple[tuple[Hashable, int], FrameIndex]] = {}

    # --- what a backend provides --------------------------------------------------------------

    @abstractmethod
    def _conn(self) -> Any:
        """A connection for reading (this thread's, or one from a pool)."""

    @abstractmethod
    def _writing(self) -> contextlib.AbstractContextManager[Any]:
        """A connection inside a write transaction that only one writer holds at a time;
        committed when the block ends, rolled back when it raises."""

    @abstractmethod
    def _identity(self) -> Hashable:
        """What tells one database (or file) from another that replaced it."""

    @abstractmethod
    def _read_rows(
        self, table: str, fids: Sequence[int] | None = None, blobs: bool = False
    ) -> gpd.GeoDataFrame:
        """Rows of a table (all, or these feature ids), indexed by feature id; binary
        columns only with ``blobs`` (a copy of the store), never into the cache."""

    @abstractmethod
    def _read_blob(self, table: str, key: dict[str, Any], name: str) -> bytes | None:
        """One binary value of the row with these key values (see ``blob``)."""

    @abstractmethod
    def tables(self) -> list[str]: ...

    def _newest(self, table: str | None) -> int:
        """The newest history entry of ``table`` (or of any table); 0 when there is none."""
        sql, params = f"SELECT max(version) FROM {HISTORY}", ()
        if table is not None:
            sql, params = sql + " WHERE table_name = ?", (table,)
        found = self._query(sql, params)
        return int(found[0][0]) if found and found[0][0] is not None else 0

    def _query(self, sql: str, params: tuple | list = ()) -> list:
        return self.dialect.execute(self._conn(), sql, params).fetchall()

    # --- reads ----------------------------------------------------------------------------------

    def version(self, table: str | None = None) -> str:
        identity, number = self._token(table)
        return f"{identity}.{table or ''}.{number}"

    def _token(self, table: str | None) -> tuple[Hashable, int]:
        return self._identity(), self._newest(table)

    def read(self, table: str, query: Query | None = None) -> gpd.GeoDataFrame:
        query = query or Query()
        index = self._index(table)
        positions = index.positions(query)
        end = None if query.limit is None else query.offset + query.limit
        return index.take(positions[query.offset : end], query.columns)

    def extent(self, table: str, query: Query | None = None, sums: tuple[str, ...] = ()) -> Extent:
        return self._index(table).extent(query or Query(), sums)

    def _index(self, table: str) -> FrameIndex:
        """The table in memory: loaded on first use, patched with the rows changed since."""
        token = self._token(table)
        cached = self._cache.get(table)
        if cached and cached[0] == token:
            return cached[1]
        with self._lock:
            loading = self._loading.setdefault(table, threading.Lock())
        with loading:  # one thread loads or patches a table; the others wait for it
            cached = self._cache.get(table)
            if cached and cached[0] == token:
                return cached[1]
            index = None
            if cached and cached[0][0] == token[0]:
                index = self._patched(table, cached[1], cached[0][1], token[1])
            if index is None:
                index = self._load(table)
            with self._lock:
                self._cache[table] = (token, index)
            return index

    def _load(self, table: str) -> FrameIndex:
        if table not in self.tables():
            raise StoreError(f"table {table!r} not in {self}")
        return FrameIndex(with_every_field(self._read_rows(table), self.schemas.get(table)))

    def _patched(self, table: str, index: FrameIndex, since: int, until: int) -> FrameIndex | None:
        """``index`` brought from history entry ``since`` to ``until`` by the changed rows;
        None when so many changed that reading the table whole is cheaper."""
        found = self._query(
            f"SELECT DISTINCT feature_id FROM {HISTORY} "
            "WHERE table_name = ? AND version > ? AND version <= ?",
            (table, since, until),
        )
        fids = [int(row[0]) for row in found]
        if len(fids) > PATCH_MAX_SHARE * len(index.frame):
            return None
        rows = with_every_field(self._read_rows(table, fids), self.schemas.get(table))
        return index.patched(rows, set(fids) - set(rows.index))

    def blob(self, table: str, key: Key, name: str) -> bytes | None:
        """Read from the database each time, so no process holds photos it is not sending."""
        schema = self.schemas.get(table)
        spec = schema.fields.get(name) if schema is not None else None
        if spec is None or spec.type != "binary":
            raise StoreError(f"{table}.{name} is not a declared binary field")
        if len(key) != len(schema.key) or table not in self.tables():
            return None
        return self._read_blob(table, dict(zip(schema.key, key, strict=True)), name)

    # --- writes and history --------------------------------------------------------------------

    def apply(self, change_set: ChangeSet) -> Applied:
        refusals = check(change_set, self.schemas)
        if refusals:
            raise ChangeRefused(refusals)
        with self._writing() as conn:
            return self._apply_in(conn, change_set)

    def _apply_in(self, conn: Any, change_set: ChangeSet) -> Applied:
        """Write inside the open transaction; the version is read there too (on the primary,
        where a replica may not have the write yet)."""
        writer = RowWriter(conn, self.schemas, self.dialect)
        applied = writer.apply(change_set)
        if writer.refusals:
            raise ChangeRefused(writer.refusals)  # rolls the transaction back
        newest = self.dialect.execute(conn, f"SELECT max(version) FROM {HISTORY}").fetchone()[0]
        return replace(applied, version=f"{self._identity()}..{int(newest or 0)}")

    def history(
        self, table: str | None = None, key: Key | None = None, since: int = 0, limit: int = 1000
    ) -> list[HistoryEntry]:
        sql, params = _history_sql(table, key, since, limit)
        return read_entries(self._query(sql, params))

    def retired(self, table: str, fid: int | None = None, limit: int = 1000) -> list[HistoryEntry]:
        """Deletions that no later entry of the same row undid (the row index on table, key
        and version answers the test for a later entry)."""
        sql, params = f"{_RETIRED} AND h.table_name = ?", [table]
        if fid is not None:
            sql, params = sql + " AND h.feature_id = ?", [*params, fid]
        return read_entries(self._query(f"{sql} ORDER BY h.version DESC LIMIT ?", [*params, limit]))

    def restore(self, table: str, key: Key, version: int, author: str) -> Applied:
        """Bring a row back as it was at ``version`` (0: as it was before its first change),
        re-inserted under its old feature id if it was deleted; recorded as a change. The
        history is read inside the write transaction, on the primary: nothing can come
        between the version chosen and the write."""
        with self._writing() as conn:
            sql, params = _history_sql(table, key, 0, 1_000_000)
            entries = read_entries(self.dialect.execute(conn, sql, params).fetchall())
            if version == 0 and entries:
                state = entries[-1].before
            else:
                state = next((e.after for e in entries if e.version == version), None)
            if state is None:
                params = {"key": "/".join(key), "version": version}
                raise ChangeRefused([Refusal(0, None, table, key, None, "no_version", params)])
            schema = self.schemas[table]
            values = {
                n: v
                for n, v in state.items()
                if (n in schema.fields or n == GEOMETRY) and n not in schema.key
            }
            op = "insert" if entries and entries[0].op == "delete" else "update"
            change_set = ChangeSet(author, [Change(op, table, key, values)])
            refusals = check(change_set, self.schemas)
            if refusals:
                raise ChangeRefused(refusals)
            return self._apply_in(conn, change_set)

    def changes_since(self, token: int) -> Changed:
        rows = self._query(
            f"SELECT table_name, feature_id, version FROM {HISTORY} WHERE version > ?", (token,)
        )
        by_table: dict[str, set[int]] = {}
        for table, fid, _ in rows:
            by_table.setdefault(table, set()).add(int(fid))
        newest = max((int(r[2]) for r in rows), default=token)
        return Changed(newest, {t: frozenset(f) for t, f in by_table.items()})


_RETIRED = (
    f"SELECT {', '.join('h.' + c.strip() for c in HISTORY_COLUMNS.split(','))} "
    f"FROM {HISTORY} h WHERE h.op = 'delete' AND NOT EXISTS (SELECT 1 FROM {HISTORY} n "
    "WHERE n.table_name = h.table_name AND n.key = h.key AND n.version > h.version)"
)


def _history_sql(table: str | None, key: Key | None, since: int, limit: int) -> tuple[str, list]:
    where, params = ["version > ?"], [since]
    if table is not None:
        where.append("table_name = ?")
        params.append(table)
    if key is not None:
        where.append("key = ?")
        params.append(key_text(key))
    sql = (
        f"SELECT {HISTORY_COLUMNS} FROM {HISTORY} "
        f"WHERE {' AND '.join(where)} ORDER BY version DESC LIMIT ?"
    )
    return sql, [*params, limit]


def as_declared(frame: gpd.GeoDataFrame, schema: TableSchema | None) -> gpd.GeoDataFrame:
    """Columns as their declaration types them, whatever a file written elsewhere holds:
    text in a number column becomes missing, not a column of text that breaks every sum."""
    if schema is None:
        return frame
    for name, spec in schema.fields.items():
        if name not in frame.columns:
            continue
        column = frame[name]
        if spec.type == "number" and not pd.api.types.is_numeric_dtype(column):
            frame[name] = pd.to_numeric(column, errors="coerce")
        elif spec.type == "date" and not pd.api.types.is_datetime64_any_dtype(column):
            frame[name] = pd.to_datetime(column, errors="coerce")
    return frame


def with_every_field(frame: gpd.GeoDataFrame, schema: TableSchema | None) -> gpd.GeoDataFrame:
    """A whole table as declared: typed, and a field declared after the file was written is
    there, empty, until a write creates its column (pages must not fail on a newer layer).
    Binary fields are never in frames (``Store.blob`` reads them)."""
    frame = as_declared(frame, schema)
    for name, spec in schema.fields.items() if schema is not None else ():
        if name not in frame.columns and spec.type != "binary":
            frame[name] = pd.Series(None, index=frame.index, dtype=object)
    return frame
