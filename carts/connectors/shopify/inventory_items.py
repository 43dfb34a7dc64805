"""Which Shopify inventory items carry a SKU, remembered per cart between inventory uploads."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

# A variant's inventory item does not change, but a SKU can be moved to another variant:
# look again after a while, and at once when Shopify calls a remembered item invalid.
TTL_SECONDS = 6 * 3600
MAX_ENTRIES = 200_000


@dataclass(frozen=True)
class InventoryItemRef:
    id: str  # gid://shopify/InventoryItem/...
    tracked: bool


class InventoryItemCache:
    """SKU -> inventory items, per cart (the key), shared by the connectors of one worker.

    Shopify has no SKU lookup on inventory items: each SKU costs a product-variant search,
    so an upload of thousands of SKUs every few minutes would spend the query budget on the
    same answers.
    """

    def __init__(self, *, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[tuple[Hashable, str], tuple[float, tuple[InventoryItemRef, ...]]] = {}

    def get(self, key: Hashable, sku: str) -> tuple[InventoryItemRef, ...] | None:
        with self._lock:
            entry = self._entries.get((key, sku))
            if entry is None:
                return None
            stored_at, items = entry
            if time.monotonic() - stored_at > self.ttl:
                del self._entries[(key, sku)]
                return None
            return items

    def put(self, key: Hashable, sku: str, items: Iterable[InventoryItemRef]) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                # Rare and harmless: everything is looked up again once.
                self._entries.clear()
            self._entries[(key, sku)] = (time.monotonic(), tuple(items))

    def forget(self, key: Hashable, sku: str) -> None:
        with self._lock:
            self._entries.pop((key, sku), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


INVENTORY_ITEMS = InventoryItemCache()
