"""A bounded in-process cache of encoded tiles, least recently used out first.

Memory is bounded by bytes, not entries, so a flood of distinct tile requests cannot grow it.
Keys carry the store version: when the data changes, every older tile is dropped at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class TileCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._version: str | None = None
        self._lock = threading.Lock()

    def get(self, version: str, key: Hashable) -> bytes | None:
        with self._lock:
            self._drop_if_stale(version)
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, version: str, key: Hashable, data: bytes) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            self._drop_if_stale(version)
            old = self._items.pop(key, None)
            self.size += len(data) - (len(old) if old is not None else 0)
            self._items[key] = data
            while self.size > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self.size -= len(evicted)

    def __len__(self) -> int:
        return len(self._items)

    def _drop_if_stale(self, version: str) -> None:
        if version != self._version:
            self._items.clear()
            self.size = 0
            self._version = version
