"""Aliases, kits and item filters written one at a time (the screens) or row by row (a CSV
import): each write that fixes held orders releases them."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Merchant
from carts.models import CartConnection
from inventory.models import ItemFilter, KitComponent, ProductAlias
from orders.models import HoldReason, Order
from orders.services.release import held_orders_release, orders_held_for_sku

MAX_SKU_LENGTH = 200


def held_orders_release_for_skus(
    *, merchant_id: int, skus: Iterable[str], why: str, user_id: int | None
) -> list[Order]:
    """The merchant's orders held for one of these unknown SKUs go to the WMS now."""
    skus = sorted(set(skus))
    if not skus:
        return []
    return held_orders_release(
        orders_held_for_sku(merchant_id=merchant_id, skus=skus),
        codes=[HoldReason.UNKNOWN_SKU],
        why=why,
        user_id=user_id,
    )


def alias_value_taken(*, merchant: Merchant, alias: str, alias_id: int | None = None) -> bool:
    taken = ProductAlias.objects.filter(merchant=merchant, alias=alias)
    if alias_id is not None:
        taken = taken.exclude(id=alias_id)
    return taken.exists()


@transaction.atomic
def product_alias_save(
    *,
    merchant: Merchant,
    alias: str,
    sku: str,
    kind: str,
    alias_id: int | None = None,
    user_id: int | None = None,
) -> int:
    """Add an alias (or change the one with `alias_id`) and release the merchant's orders held
    for an unknown SKU that the alias now covers; returns how many were released."""
    if alias_value_taken(merchant=merchant, alias=alias, alias_id=alias_id):
        raise ValidationError(
            f"“{alias}” is already an alias of {merchant.name}. Edit that alias instead."
        )
    values = {"alias": alias, "sku": sku, "kind": kind}
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin is a form error, not a 500
            if alias_id is None:
                ProductAlias.objects.create(
                    account_id=merchant.account_id, merchant=merchant, **values
                )
            else:
                ProductAlias.objects.filter(id=alias_id, merchant=merchant).update(**values)
    except IntegrityError as error:
        raise ValidationError(
            f"“{alias}” was just saved as an alias by someone else. Reload and edit it."
        ) from error
    released = held_orders_release_for_skus(
        merchant_id=merchant.id,
        skus=[alias],
        why=f"Alias {alias} → {sku} saved: the WMS gets its SKU now.",
        user_id=user_id,
    )
    return len(released)


@transaction.atomic
def product_alias_delete(*, alias: ProductAlias) -> None:
    ProductAlias.objects.filter(id=alias.id).delete()


def kit_components_check(*, kit_sku: str, components: list[tuple[str, int]]) -> None:
    """A kit has at least one component, none of them itself, each once, each at least 1."""
    if not components:
        raise ValidationError("A kit needs at least one component.")
    skus = [sku for sku, _ in components]
    if kit_sku in skus:
        raise ValidationError(f"A kit cannot contain itself: remove {kit_sku} from its components.")
    repeated = sorted({sku for sku in skus if skus.count(sku) > 1})
    if repeated:
        raise ValidationError(
            f"{', '.join(repeated)} is listed twice: put it once, with the total quantity."
        )
    if any(quantity < 1 for _, quantity in components):
        raise ValidationError("Each component's quantity must be 1 or more.")


@transaction.atomic
def kit_save(
    *,
    merchant: Merchant,
    kit_sku: str,
    components: list[tuple[str, int]],
    replaces: str | None = None,
    user_id: int | None = None,
) -> int:
    """Make `kit_sku` exactly these components (the kit `replaces`, if renamed, goes) and
    release the orders held for an unknown SKU equal to the kit SKU; returns how many."""
    kit_components_check(kit_sku=kit_sku, components=components)
    if (
        replaces != kit_sku
        and KitComponent.objects.filter(merchant=merchant, kit_sku=kit_sku).exists()
    ):
        raise ValidationError(f"{kit_sku} is already a kit of {merchant.name}. Edit that kit.")
    KitComponent.objects.filter(
        merchant=merchant, kit_sku__in={kit_sku, replaces or kit_sku}
    ).delete()
    KitComponent.objects.bulk_create(
        KitComponent(
            account_id=merchant.account_id,
            merchant=merchant,
            kit_sku=kit_sku,
            component_sku=sku,
            quantity=quantity,
        )
        for sku, quantity in components
    )
    released = held_orders_release_for_skus(
        merchant_id=merchant.id,
        skus=[kit_sku],
        why=f"Kit {kit_sku} saved: the WMS gets its components now.",
        user_id=user_id,
    )
    return len(released)


@transaction.atomic
def kit_delete(*, merchant: Merchant, kit_sku: str) -> int:
    deleted, _ = KitComponent.objects.filter(merchant=merchant, kit_sku=kit_sku).delete()
    return deleted


def item_filter_sku_check(sku: str) -> str:
    sku = sku.strip()
    if not sku:
        raise ValidationError("Enter a SKU.")
    if len(sku) > MAX_SKU_LENGTH:
        raise ValidationError(f"A SKU has at most {MAX_SKU_LENGTH} characters.")
    if "*" in sku[:-1]:
        raise ValidationError("A * may only end a prefix, as in SAMPLE-*.")
    return sku


@transaction.atomic
def item_filter_add(*, cart: CartConnection, sku: str) -> bool:
    """Put a SKU on the cart's filter list; False if it was there already."""
    _, created = ItemFilter.objects.get_or_create(
        cart=cart,
        sku=sku,
        defaults={"account_id": cart.account_id, "merchant_id": cart.merchant_id},
    )
    return created


@transaction.atomic
def item_filter_delete(*, item_filter: ItemFilter) -> None:
    ItemFilter.objects.filter(id=item_filter.id).delete()
