"""Reads for the alias, kit and item filter screens: the membership first, always."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from accounts.models import Membership, Merchant
from accounts.tenancy import scoped
from carts.models import CartConnection
from inventory.models import ItemFilter, KitComponent, ProductAlias


def merchant_list(membership: Membership) -> QuerySet[Merchant]:
    """The merchants the member may set products up for: all of the account's, or their own."""
    return scoped(Merchant.objects.all(), membership).order_by("name")


def alias_list(membership: Membership, *, merchant: Merchant, search: str = "") -> QuerySet:
    """The merchant's aliases, those whose alias or WMS SKU contains `search` if given."""
    aliases = scoped(ProductAlias.objects.all(), membership).filter(merchant=merchant)
    if search:
        aliases = aliases.filter(Q(alias__icontains=search) | Q(sku__icontains=search))
    return aliases.order_by("alias", "id")


@dataclass
class Kit:
    """A kit SKU and its components, read together for the screens."""

    kit_sku: str
    components: list[KitComponent] = field(default_factory=list)


def kit_component_list(membership: Membership, *, merchant: Merchant) -> QuerySet[KitComponent]:
    return (
        scoped(KitComponent.objects.all(), membership)
        .filter(merchant=merchant)
        .order_by("kit_sku", "component_sku")
    )


def kit_list(membership: Membership, *, merchant: Merchant, search: str = "") -> list[Kit]:
    """The merchant's kits, each with its components; `search` matches kit or component SKUs."""
    components = kit_component_list(membership, merchant=merchant)
    if search:
        matching = components.filter(
            Q(kit_sku__icontains=search) | Q(component_sku__icontains=search)
        ).values("kit_sku")
        components = components.filter(kit_sku__in=matching)
    kits: dict[str, Kit] = {}
    for component in components:
        kits.setdefault(component.kit_sku, Kit(kit_sku=component.kit_sku)).components.append(
            component
        )
    return list(kits.values())


def kit_get(membership: Membership, *, merchant: Merchant, kit_sku: str) -> Kit | None:
    components = list(kit_component_list(membership, merchant=merchant).filter(kit_sku=kit_sku))
    return Kit(kit_sku=kit_sku, components=components) if components else None


def cart_list(membership: Membership) -> QuerySet[CartConnection]:
    return scoped(CartConnection.objects.select_related("merchant"), membership)


def item_filter_list(membership: Membership, *, cart: CartConnection) -> QuerySet[ItemFilter]:
    return scoped(ItemFilter.objects.all(), membership).filter(cart=cart).order_by("sku", "id")


def alias_count_by_merchant(membership: Membership) -> dict[int, int]:
    aliases = scoped(ProductAlias.objects.all(), membership).values_list("merchant_id")
    return dict(aliases.annotate(count=Count("id")).order_by())


def kit_count_by_merchant(membership: Membership) -> dict[int, int]:
    components = scoped(KitComponent.objects.all(), membership).values_list("merchant_id")
    return dict(components.annotate(count=Count("kit_sku", distinct=True)).order_by())
