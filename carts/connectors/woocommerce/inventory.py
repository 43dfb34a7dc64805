"""Stock levels to WooCommerce batch bodies, and SKUs read from its product search."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carts.connectors.woocommerce.client import StockBatch
from integration_manager.connector_errors import NOT_TRACKED, UNKNOWN_SKU, RecordError
from integration_manager.http import remote_text
from integration_manager.records import StockLevel

# A GET /products?sku=a,b,… address stays well under the limits of common web servers.
MAX_SKU_QUERY = 1500
SKUS_PER_LOOKUP = 50


@dataclass(frozen=True)
class StockTarget:
    """Where a SKU's stock lives: a product, or a variation of it."""

    product_id: int
    variation_id: int | None = None

    @property
    def object_id(self) -> int:
        return self.variation_id or self.product_id


Item = tuple[str, StockTarget]  # a SKU and where its stock goes


@dataclass
class StockOutcome:
    """What stock writes came to: the SKUs whose cached id the store no longer knows (to look
    up again), and a RecordError for each SKU it refused."""

    stale: list[str] = field(default_factory=list)
    refused: list[RecordError] = field(default_factory=list)

    def add(self, other: StockOutcome) -> None:
        self.stale += other.stale
        self.refused += other.refused


def stock_quantities(levels: Iterable[StockLevel]) -> dict[str, int]:
    """Quantity per SKU. Several levels for one SKU (one per location) are added up, as the
    hub does for a cart without a location; a negative WMS figure (oversold) becomes 0."""
    quantities: dict[str, int] = {}
    for level in levels:
        sku = level.sku.strip()
        if sku:
            quantities[sku] = quantities.get(sku, 0) + int(level.available)
    return {sku: max(0, quantity) for sku, quantity in quantities.items()}


# looking SKUs up -----------------------------------------------------------------------


def sku_groups(skus: Sequence[str]) -> Iterator[list[str]]:
    """SKUs for one GET /products?sku=a,b,…; a SKU with a comma goes alone, as WooCommerce
    splits the parameter on commas (and also tries the whole value)."""
    group: list[str] = []
    length = 0
    for sku in skus:
        if "," in sku:
            yield [sku]
            continue
        if group and (length + len(sku) + 1 > MAX_SKU_QUERY or len(group) >= SKUS_PER_LOOKUP):
            yield group
            group, length = [], 0
        group.append(sku)
        length += len(sku) + 1
    if group:
        yield group


def stock_targets(
    products: Sequence[Mapping[str, Any]], skus: Sequence[str]
) -> tuple[dict[str, StockTarget], list[RecordError]]:
    """Where each SKU's stock goes, from the products a SKU search listed; a RecordError for a
    SKU without stock of its own, then one for each SKU the store does not have."""
    exact = {str(product.get("sku") or ""): product for product in products}
    folded = {key.casefold(): product for key, product in exact.items()}  # MySQL ignores case
    found: dict[str, StockTarget] = {}
    refused: list[RecordError] = []
    for sku in skus:
        product = exact.get(sku) or folded.get(sku.casefold())
        if product is None:
            continue
        kind = str(product.get("type") or "simple")
        if kind == "variation" and int(product.get("parent_id") or 0):
            found[sku] = StockTarget(int(product["parent_id"]), int(product["id"]))
        elif kind in ("grouped", "external"):
            refused.append(
                RecordError(
                    f"SKU {sku} is a {kind} product in WooCommerce, which has no stock of "
                    "its own. Put the SKU on the product that is shipped.",
                    record_ref=sku,
                    code=NOT_TRACKED,
                )
            )
        else:
            found[sku] = StockTarget(int(product["id"]))
    named = {error.record_ref for error in refused}
    return found, refused + [
        unknown_sku(sku) for sku in skus if sku not in found and sku not in named
    ]


def unknown_sku(sku: str) -> RecordError:
    return RecordError(
        f"WooCommerce has no product or variation with SKU {sku}. Give the product that SKU in "
        "WooCommerce (Inventory tab), or map the SKU to the store's SKU in the hub.",
        record_ref=sku,
        code=UNKNOWN_SKU,
    )


def stale_sku(sku: str) -> RecordError:
    """A SKU whose product id the store still called invalid after a fresh lookup."""
    return RecordError(
        f"WooCommerce refused the stock for SKU {sku}: its product id is not valid. The hub "
        "will look it up again next time.",
        record_ref=sku,
    )


# writing stock -------------------------------------------------------------------------


def batch_groups(targets: Mapping[str, StockTarget]) -> dict[int | None, list[Item]]:
    """The SKUs by batch endpoint: a product's variations go to that product's variations
    batch (keyed by the product id), products to the products batch (keyed None)."""
    groups: dict[int | None, list[Item]] = {}
    for sku, target in targets.items():
        parent = target.product_id if target.variation_id else None
        groups.setdefault(parent, []).append((sku, target))
    return groups


def stock_update(object_id: int, quantity: int) -> dict[str, Any]:
    """One entry of a products or variations batch "update" list. stock_quantity is ignored
    unless the product manages stock, so that is switched on: the WMS is the stock's truth."""
    return {"id": object_id, "manage_stock": True, "stock_quantity": quantity}


def batch_updates(items: Sequence[Item], quantities: Mapping[str, int]) -> list[dict[str, Any]]:
    return [stock_update(target.object_id, quantities[sku]) for sku, target in items]


def batch_outcome(items: Sequence[Item], batch: StockBatch) -> StockOutcome:
    """One batch's answer read per SKU (a batch too large is the caller's to split)."""
    if batch.parent_gone:
        return StockOutcome(stale=[sku for sku, _ in items])  # the variations' product is gone
    if batch.refusal:
        return StockOutcome(
            refused=[
                RecordError(
                    f"WooCommerce refused the stock update for SKU {sku}: {batch.refusal}",
                    record_ref=sku,
                )
                for sku, _ in items
            ]
        )
    return _entries_outcome(items, batch.entries)


def _entries_outcome(items: Sequence[Item], entries: Sequence[Mapping[str, Any]]) -> StockOutcome:
    """The "update" entries of a batch answer, one per object: the object, or its error."""
    answers = {int(entry.get("id") or 0): entry for entry in entries}
    outcome = StockOutcome()
    for sku, target in items:
        answer = answers.get(target.object_id)
        error = answer.get("error") if answer else None
        if answer is None:
            outcome.refused.append(
                RecordError(
                    f"WooCommerce did not confirm the stock of SKU {sku}. The hub will send "
                    "it again next time.",
                    record_ref=sku,
                )
            )
        elif isinstance(error, dict) and "invalid_id" in str(error.get("code") or ""):
            outcome.stale.append(sku)
        elif error:
            message = error.get("message") if isinstance(error, dict) else error
            outcome.refused.append(
                RecordError(
                    f"WooCommerce refused the stock of SKU {sku}: {remote_text(message)}",
                    record_ref=sku,
                )
            )
    return outcome
