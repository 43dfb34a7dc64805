"""Stock levels to Shopify inventory quantities: SKU lookups, the set-quantities input."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from carts.connectors.sku_cache import SkuCache
from integration_manager.connector_errors import NOT_TRACKED, UNKNOWN_SKU, RecordError
from integration_manager.records import StockLevel

if TYPE_CHECKING:
    from carts.connectors.shopify.client import QuantityRefused

SKUS_PER_SEARCH = 50
QUANTITIES_PER_CALL = 100

T = TypeVar("T")


@dataclass(frozen=True)
class InventoryItemRef:
    id: str  # gid://shopify/InventoryItem/...
    tracked: bool


@dataclass(frozen=True)
class Quantity:
    """One quantity to set: the SKU it is for, the inventory item, the quantity."""

    sku: str
    item_id: str
    quantity: int


# Shopify has no SKU lookup on inventory items: each SKU costs a product-variant search, so
# an upload of thousands of SKUs every few minutes would spend the query budget on the same
# answers. A SKU moved to another variant is found again after the cache's TTL, or at once
# when Shopify calls a remembered item invalid.
INVENTORY_ITEMS: SkuCache[tuple[InventoryItemRef, ...]] = SkuCache()


def batches(items: Sequence[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def wanted_quantities(levels: Iterable[StockLevel]) -> dict[str, int]:
    """One quantity per SKU (the last level given wins)."""
    # Shopify stores negative stock, but a WMS's negative count means "none to sell".
    return {level.sku: max(0, int(level.available)) for level in levels}


def sku_search(skus: Iterable[str]) -> str:
    """The productVariants search for these SKUs."""
    return " OR ".join(f"sku:{_search_value(sku)}" for sku in skus)


def _search_value(value: str) -> str:
    # Quoted, so SKUs with spaces, colons or dashes are one term of the search syntax.
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def inventory_items(
    variants: Iterable[dict[str, Any]], skus: Iterable[str]
) -> dict[str, tuple[InventoryItemRef, ...]]:
    """The inventory items of the variants found for these SKUs, by SKU."""
    wanted = set(skus)
    resolved: dict[str, list[InventoryItemRef]] = {}
    for variant in variants:
        sku = variant.get("sku") or ""
        item = variant.get("inventoryItem") or {}
        # The search matches loosely (prefixes, other cases): keep exact SKUs only.
        if sku in wanted and item.get("id"):
            refs = resolved.setdefault(sku, [])
            ref = InventoryItemRef(id=item["id"], tracked=bool(item.get("tracked")))
            if ref not in refs:
                refs.append(ref)
    return {sku: tuple(refs) for sku, refs in resolved.items()}


def quantities_to_set(
    wanted: Mapping[str, int], items: Mapping[str, tuple[InventoryItemRef, ...]]
) -> tuple[list[Quantity], list[RecordError]]:
    """A quantity for every tracked inventory item of each SKU, and a failure for each SKU
    Shopify has no variant for or does not track stock of."""
    quantities: list[Quantity] = []
    failures: list[RecordError] = []
    for sku, quantity in wanted.items():
        found = items.get(sku)
        tracked = [item for item in found or () if item.tracked]
        if not found:
            failures.append(
                RecordError(
                    f"No product variant in Shopify has the SKU {sku}. Add the SKU to the "
                    "variant in Shopify, or leave the item out of inventory uploads.",
                    record_ref=sku,
                    code=UNKNOWN_SKU,
                )
            )
        elif not tracked:
            failures.append(
                RecordError(
                    f"Shopify does not track stock for SKU {sku}. Tick “Track quantity” "
                    "on the variant in Shopify.",
                    record_ref=sku,
                    code=NOT_TRACKED,
                )
            )
        quantities.extend(Quantity(sku, item.id, quantity) for item in tracked)
    return quantities, failures


def quantities_input(
    batch: Iterable[Quantity], *, location_id: str, reference_uri: str, idempotent: bool
) -> dict[str, Any]:
    """The InventorySetQuantitiesInput that sets "available" at the location.

    Up to 2026-01 the compare-and-swap is switched off for the call; from 2026-04 each
    quantity opts out with changeFromQuantity: null (the WMS count is the truth we set).
    """
    quantities = []
    for entry in batch:
        quantity: dict[str, Any] = {
            "inventoryItemId": entry.item_id,
            "locationId": location_id,
            "quantity": entry.quantity,
        }
        if idempotent:
            quantity["changeFromQuantity"] = None
        quantities.append(quantity)
    input_: dict[str, Any] = {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": reference_uri,
        "quantities": quantities,
    }
    if not idempotent:
        input_["ignoreCompareQuantity"] = True
    return input_


def still_to_send(batch: Sequence[Quantity], refused: Sequence[QuantityRefused]) -> list[Quantity]:
    """What to send again after a call: Shopify applies all of a call or none, so the SKUs
    it refused are taken out and the rest goes again. Nothing after a call it took, or one
    it refused as a whole."""
    if not refused or any(refusal.index is None for refusal in refused):
        return []
    refused_skus = {refusal.record_ref for refusal in refused}
    return [entry for entry in batch if entry.sku not in refused_skus]
