"""The history tables every SQL backend keeps, and how their rows are written and read back.

``geoapp_change_sets`` holds one row per applied change set (who, when); ``geoapp_history`` one
row per changed row: table, key (a JSON array), feature id, operation, the changed fields, and
the whole row before and after it (attributes as JSON text, geometry as WKB; a binary value,
a photo, as its size and SHA-256 only: the bytes live in their table once). The entry's
``version`` number increases across the store and is the row's version from then on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import shapely

from geoapp.stores.changes import GEOMETRY, HistoryEntry, Key

HISTORY = "geoapp_history"
CHANGE_SETS = "geoapp_change_sets"
HISTORY_COLUMNS = (
    "version, change_set, at, author, table_name, key, feature_id, op, fields, "
    "before, after, geom_before, geom_after"
)


def key_text(key: Key) -> str:
    """A key as stored in the history: a JSON array, unambiguous whatever the codes hold."""
    return json.dumps(list(key), ensure_ascii=False)


def entry_values(
    set_id: int,
    at: str,
    author: str,
    table: str,
    key: Key,
    fid: int,
    op: str,
    fields: Sequence[str],
    before: dict | None,
    after: dict | None,
) -> tuple:
    """The values of one history row, in ``HISTORY_COLUMNS`` order after ``version``."""
    return (
        set_id,
        at,
        author,
        table,
        key_text(key),
        fid,
        op,
        json.dumps(list(fields), ensure_ascii=False),
        _attributes(before),
        _attributes(after),
        _wkb(before),
        _wkb(after),
    )


def read_entries(rows: Sequence[Sequence[Any]]) -> list[HistoryEntry]:
    """History rows (``SELECT HISTORY_COLUMNS``) as entries, geometries decoded."""
    return [
        HistoryEntry(
            int(r[0]),
            int(r[1]),
            str(r[2]),
            r[3],
            r[4],
            tuple(json.loads(r[5])),
            int(r[6]),
            r[7],
            tuple(json.loads(r[8])),
            _state(r[9], r[11]),
            _state(r[10], r[12]),
        )
        for r in rows
    ]


def _state(attributes: str | None, wkb: bytes | None) -> dict | None:
    if attributes is None:
        return None
    state = json.loads(attributes)
    state[GEOMETRY] = shapely.from_wkb(bytes(wkb)) if wkb is not None else None
    return state


def _attributes(row: dict | None) -> str | None:
    if row is None:
        return None
    return json.dumps(
        {k: _noted(v) for k, v in row.items() if k != GEOMETRY}, ensure_ascii=False, default=str
    )


def _noted(value: Any) -> Any:
    """Bytes (a photo) as their size and digest: an entry stays small, and still tells one
    photo from another."""
    if isinstance(value, bytes):
        return f"{len(value)} bytes, sha256 {hashlib.sha256(value).hexdigest()}"
    return value


def _wkb(row: dict | None) -> bytes | None:
    if row is None or row.get(GEOMETRY) is None:
        return None
    return shapely.to_wkb(row[GEOMETRY])
