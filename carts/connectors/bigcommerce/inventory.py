"""Stock levels to BigCommerce v3 absolute adjustments, and SKUs read from variant lookups."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from integration_manager.connector_errors import UNKNOWN_SKU, RecordError
from integration_manager.records import StockLevel

ADJUSTMENT_LIMIT = 2000  # items per PUT /v3/inventory/adjustments/absolute
ADJUSTMENT_REASON = "Stock level from the warehouse (integration hub)"
# Above this many unknown SKUs, reading the whole variant list can be cheaper than one
# lookup per SKU; the first page's total says whether it is.
BULK_LOOKUP_THRESHOLD = 50
# "Item with variant_id 106 is tracked by product, please update stock by product id"
TRACKED_BY_PRODUCT = re.compile(r"variant_id (\d+) is tracked by product")

Batch = Sequence[tuple[str, int]]  # (SKU, quantity)


@dataclass(frozen=True)
class VariantRef:
    """How BigCommerce's inventory API names one SKU."""

    variant_id: int
    product_id: int
    by_product: bool = False  # stock tracked on the product, not the variant

    def item(self, *, location_id: int, quantity: int) -> dict[str, int]:
        key = (
            ("product_id", self.product_id) if self.by_product else ("variant_id", self.variant_id)
        )
        return {"location_id": location_id, key[0]: key[1], "quantity": quantity}


# SKU lookups -----------------------------------------------------------------------------


def variant_ref(variant: Mapping[str, Any]) -> VariantRef:
    return VariantRef(variant_id=int(variant["id"]), product_id=int(variant["product_id"]))


def variant_refs(variants: Sequence[Mapping[str, Any]]) -> dict[str, VariantRef]:
    """SKU -> variant for a page of the whole variant list."""
    return {str(variant["sku"]): variant_ref(variant) for variant in variants}


def matching_variant(variants: Sequence[Mapping[str, Any]], sku: str) -> VariantRef | None:
    """The variant a lookup by SKU found: the exact SKU, else one that differs only in case."""
    match = [variant for variant in variants if variant.get("sku") == sku] or [
        variant for variant in variants if str(variant.get("sku", "")).lower() == sku.lower()
    ]
    return variant_ref(match[0]) if match else None


# stock levels ----------------------------------------------------------------------------


def quantities(levels: Sequence[StockLevel]) -> tuple[dict[str, int], list[RecordError]]:
    """SKU -> the quantity to set, and the levels that cannot be sent (no SKU)."""
    found: dict[str, int] = {}
    failures: list[RecordError] = []
    for level in levels:
        sku = level.sku.strip()
        if not sku:
            failures.append(
                RecordError("A stock level without a SKU cannot be sent.", record_ref="")
            )
            continue
        # BigCommerce refuses negative stock; a warehouse's oversold count means none left.
        found[sku] = max(0, int(level.available))
    return found, failures


def unknown_skus(wanted: Mapping[str, int], refs: Mapping[str, VariantRef]) -> list[RecordError]:
    return [
        RecordError(
            f"BigCommerce has no product or variant with SKU {sku}. Add the SKU in "
            "BigCommerce, or filter it out of this cart's inventory.",
            record_ref=sku,
            code=UNKNOWN_SKU,
        )
        for sku in wanted
        if sku not in refs
    ]


def batches(wanted: Mapping[str, int], refs: Mapping[str, VariantRef]) -> Iterator[Batch]:
    """The known SKUs with their quantities, at most ADJUSTMENT_LIMIT to a request."""
    known = [(sku, quantity) for sku, quantity in wanted.items() if sku in refs]
    for start in range(0, len(known), ADJUSTMENT_LIMIT):
        yield known[start : start + ADJUSTMENT_LIMIT]


def adjustment_items(
    batch: Batch, refs: Mapping[str, VariantRef], *, location_id: int
) -> list[dict[str, int]]:
    """The items of PUT /v3/inventory/adjustments/absolute for one batch."""
    return [refs[sku].item(location_id=location_id, quantity=quantity) for sku, quantity in batch]


def tracked_by_product(
    batch: Batch, refs: Mapping[str, VariantRef], *, refusal: str
) -> dict[str, VariantRef]:
    """The batch's SKUs that the refusal says are tracked by product, now named by product."""
    variant_ids = set(TRACKED_BY_PRODUCT.findall(refusal))
    in_batch = {sku for sku, _ in batch}
    return {
        sku: VariantRef(ref.variant_id, ref.product_id, by_product=True)
        for sku, ref in refs.items()
        if sku in in_batch and not ref.by_product and str(ref.variant_id) in variant_ids
    }


def refused(sku: str, *, detail: str) -> RecordError:
    return RecordError(
        f"BigCommerce refused the stock level for SKU {sku}: {detail}", record_ref=sku
    )
