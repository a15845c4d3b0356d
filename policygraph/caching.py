"""`LruCache`: a bounded, thread-safe least-recently-used map that counts its hits and misses.

Used for what repeats in moderation traffic (re-uploads, spam waves): the agent's whole decision for
the same request against the same corpus generation (`policygraph/api/service.py`), and the query
vector of the same text (`policygraph/retrieval.py`). A key must name everything the value depends on
(the corpus generation among them): nothing here expires on its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True)
class CacheStats:
    size: int
    capacity: int
    hits: int
    misses: int


class LruCache(Generic[V]):
    """At most `capacity` entries (0: caches nothing); the least recently used one goes first."""

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError("an LRU cache's capacity cannot be negative")
        self.capacity = capacity
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, count: bool = True) -> V | None:
        """The value, or None; `count=False`: a second look for the same request, not counted again."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += count
                return None
            self._data.move_to_end(key)
            self.hits += count
            return value

    def put(self, key: Hashable, value: V) -> None:
        if self.capacity == 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.capacity:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(size=len(self._data), capacity=self.capacity, hits=self.hits, misses=self.misses)
