"""A bounded in-process cache of encoded tiles, least recently used out first.

Memory is bounded by bytes, not entries, so a flood of distinct tile requests cannot grow it.
Each tile is kept with the version of its layer's table: a write to parcels makes the parcel
tiles stale (they are rebuilt from the patched in-memory table on their next request) and
leaves every other layer's tiles alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class TileCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[Hashable, tuple[str, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: str, key: Hashable) -> bytes | None:
        """The tile if it was built from data of this version."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] != version:
                self._remove(key)
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, version: str, key: Hashable, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            self._remove(key)
            self._items[key] = (version, data)
            self.size += len(data)
            while self.size > self.max_bytes:
                self._remove(next(iter(self._items)))

    def __len__(self) -> int:
        return len(self._items)

    def _remove(self, key: Hashable) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.size -= len(old[1])
