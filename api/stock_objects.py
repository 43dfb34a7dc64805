"""Stock and products as the CartRover API shows them: inventory items (§1.13), products (§1.14).

Quantities leave as strings, as everywhere in our answers (clients parse both, §1.13).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC
from typing import Any

from accounts.models import Merchant
from api.order_objects import api_money, api_timestamp
from inventory.models import InventoryLevel, ProductAlias
from orders.models import OrderLine

# CartRover's code_type names for our alias kinds (its fixtures show merchantSKU and UPC).
CODE_TYPES = {
    ProductAlias.Kind.SKU: "ALT_CODE",
    ProductAlias.Kind.UPC: "UPC",
    ProductAlias.Kind.ASIN: "ASIN",
    ProductAlias.Kind.MERCHANT_SKU: "merchantSKU",
}


def inventory_skus(merchant: Merchant) -> list[str]:
    """Every SKU the merchant has stock recorded for, in order (the list pages over these)."""
    return list(
        InventoryLevel.objects.filter(account_id=merchant.account_id, merchant=merchant)
        .order_by("sku")
        .values_list("sku", flat=True)
        .distinct()
    )


def inventory_items(merchant: Merchant, skus: list[str]) -> list[dict[str, Any]]:
    """One InventoryItem per SKU that has levels: totals over the locations, and each
    location keyed by its pk as a string."""
    levels: dict[str, list[InventoryLevel]] = defaultdict(list)
    for level in (
        InventoryLevel.objects.filter(
            account_id=merchant.account_id, merchant=merchant, sku__in=skus
        )
        .select_related("location")
        .order_by("sku", "location_id")
    ):
        levels[level.sku].append(level)
    aliases = _aliases_by_sku(merchant, skus)
    return [
        _inventory_item(sku, levels[sku], aliases.get(sku, [])) for sku in skus if levels.get(sku)
    ]


def _inventory_item(
    sku: str, levels: list[InventoryLevel], aliases: list[ProductAlias]
) -> dict[str, Any]:
    stamps = [level.wms_updated_at or level.updated_at for level in levels]
    named: dict[str, str] = {}
    for alias in aliases:
        name = CODE_TYPES.get(alias.kind, alias.kind)
        number = 2
        key = name
        while key in named:  # two aliases of one kind keep both: UPC, UPC_2
            key, number = f"{name}_{number}", number + 1
        named[key] = alias.alias
    return {
        "sku": sku,
        "qty_available": str(sum(level.available for level in levels)),
        "qty_on_hand": str(sum(level.on_hand for level in levels)),
        "wms_datetime": api_timestamp(max(stamps)),
        # An empty object is [] in CartRover's answers (a PHP habit clients expect).
        "aliases": named or [],
        "warehouses": {
            str(level.location_id): {
                "warehouse": level.location.name,
                "qty_available": str(level.available),
                "qty_on_hand": str(level.on_hand),
                "wms_datetime": api_timestamp(level.wms_updated_at or level.updated_at),
            }
            for level in levels
        },
    }


def _aliases_by_sku(merchant: Merchant, skus: list[str]) -> dict[str, list[ProductAlias]]:
    found: dict[str, list[ProductAlias]] = defaultdict(list)
    for alias in ProductAlias.objects.filter(
        account_id=merchant.account_id, merchant=merchant, sku__in=skus
    ).order_by("kind", "alias"):
        found[alias.sku].append(alias)
    return found


def product_sku(merchant: Merchant, code: str) -> str | None:
    """The merchant's SKU for a code: the SKU itself, or the SKU an alias names; None when
    the hub knows no product by that code."""
    scope = {"account_id": merchant.account_id, "merchant": merchant}
    if (
        InventoryLevel.objects.filter(**scope, sku=code).exists()
        or OrderLine.objects.filter(**scope, sku=code).exists()
        or ProductAlias.objects.filter(**scope, sku=code).exists()
    ):
        return code
    alias = ProductAlias.objects.filter(**scope, alias=code).first()
    return alias.sku if alias else None


def product_object(merchant: Merchant, sku: str) -> dict[str, Any]:
    """What the hub knows of a product: the last description and price a cart sent for it,
    when stock was last reported, and its aliases as [{code_type, code}]."""
    scope = {"account_id": merchant.account_id, "merchant": merchant}
    line = OrderLine.objects.filter(**scope, sku=sku).order_by("-id").first()
    level = InventoryLevel.objects.filter(**scope, sku=sku).order_by("-updated_at").first()
    aliases = ProductAlias.objects.filter(**scope, sku=sku).order_by("kind", "alias")
    return {
        "sku": sku,
        "name": None,
        "description": (line.description or None) if line else None,
        "retail_price": api_money(line.price) if line and line.price is not None else None,
        "wholesale_price": None,
        "weight_lbs": None,
        "wms_product_main_id": None,
        # This older field is "YYYY-MM-DD HH:MM:SS" in CartRover's answers (§1.6).
        "last_updated_datetime": (
            level.updated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if level else None
        ),
        "aliases": [
            {"code_type": CODE_TYPES.get(alias.kind, alias.kind), "code": alias.alias}
            for alias in aliases
        ],
    }
