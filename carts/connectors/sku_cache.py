"""The one SKU lookup cache: what a cart's SKU stands for there (a product, a variant, an
inventory item), remembered per connection between inventory uploads.

Carts have no cheap way to set stock by SKU: each SKU costs a search, and uploads come every
few minutes with the same SKUs, so the answers are kept a few hours. A SKU the cart then
calls invalid (the product was deleted and made again) is forgotten at once and looked up
again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Iterable, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")

TTL_SECONDS = 6 * 3600
MAX_ENTRIES = 500_000


class SkuCache(Generic[T]):
    """SKU -> what it stands for in one cart, under a scope (the connection and its store);
    one instance per connector, shared by the connections of one worker process."""

    def __init__(self, *, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[tuple[Hashable, str], tuple[float, T]] = {}

    def get(self, scope: Hashable, sku: str) -> T | None:
        return self.get_many(scope, [sku]).get(sku)

    def get_many(self, scope: Hashable, skus: Iterable[str]) -> dict[str, T]:
        """The SKUs remembered and not expired; the others are to look up."""
        now = time.monotonic()
        found: dict[str, T] = {}
        with self._lock:
            for sku in skus:
                entry = self._entries.get((scope, sku))
                if entry is None:
                    continue
                if now - entry[0] > self.ttl:
                    del self._entries[(scope, sku)]
                else:
                    found[sku] = entry[1]
        return found

    def put(self, scope: Hashable, sku: str, value: T) -> None:
        self.put_many(scope, {sku: value})

    def put_many(self, scope: Hashable, values: Mapping[str, T]) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) + len(values) > self.max_entries:
                # Rare and harmless: everything is looked up again once; memory stays bounded.
                self._entries.clear()
            for sku, value in values.items():
                self._entries[(scope, sku)] = (now, value)

    def forget(self, scope: Hashable, skus: Iterable[str]) -> None:
        with self._lock:
            for sku in skus:
                self._entries.pop((scope, sku), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
