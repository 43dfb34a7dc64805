"""Stock per merchant location, product aliases, item filters and kits."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Account, Merchant
from carts.models import CartConnection


class Location(models.Model):
    """A warehouse (WMS facility) holding a merchant's stock."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="locations")
    wms_location_id = models.CharField("WMS location id", max_length=100)
    name = models.CharField(max_length=200)
    is_default = models.BooleanField("default", default=False)
    # A disabled location's stock is kept but not pushed to carts.
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "wms_location_id"], name="location_wms_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["account", "merchant"], name="location_account_merchant")]

    def __str__(self) -> str:
        return self.name


class InventoryLevel(models.Model):
    """What the WMS last reported for one SKU at one location."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="levels")
    sku = models.CharField(max_length=200)
    on_hand = models.IntegerField(default=0)
    available = models.IntegerField(default=0)
    wms_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    # When the quantities last changed (a pickup that reports the same numbers leaves it): an
    # upload reads only what changed since it last looked.
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["location", "sku"], name="inventory_level_unique"),
        ]
        indexes = [
            models.Index(fields=["account", "merchant", "sku"], name="inventory_account_sku"),
            models.Index(fields=["merchant", "updated_at"], name="inventory_merchant_updated"),
            models.Index(fields=["merchant", "changed_at"], name="inventory_merchant_changed"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} at {self.location}: {self.available}"


class ProductAlias(models.Model):
    """Another code a cart uses for a merchant's SKU (a cart SKU, UPC, ASIN)."""

    tenant_merchant_field = "merchant"

    class Kind(models.TextChoices):
        SKU = "sku", "SKU"
        UPC = "upc", "UPC"
        ASIN = "asin", "ASIN"
        MERCHANT_SKU = "merchant_sku", "Merchant SKU"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=200)
    sku = models.CharField("WMS SKU", max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SKU)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["alias"]
        verbose_name_plural = "product aliases"
        constraints = [
            models.UniqueConstraint(fields=["merchant", "alias"], name="product_alias_unique"),
        ]
        indexes = [models.Index(fields=["account", "merchant"], name="alias_account_merchant")]

    def __str__(self) -> str:
        return f"{self.alias} → {self.sku}"


class ItemFilter(models.Model):
    """A SKU on a cart's item filter list; the cart says whether the list is a whitelist or a
    blacklist and whether a match filters the line or the whole order."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    cart = models.ForeignKey(CartConnection, on_delete=models.CASCADE, related_name="item_filters")
    # An exact SKU, or a prefix ending in * ("SAMPLE-*").
    sku = models.CharField("SKU", max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "sku"], name="item_filter_unique"),
        ]
        indexes = [models.Index(fields=["account", "cart"], name="item_filter_account_cart")]

    def __str__(self) -> str:
        return self.sku


class KitComponent(models.Model):
    """One component of a kit SKU: the WMS receives the components instead of the kit."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    kit_sku = models.CharField("kit SKU", max_length=200)
    component_sku = models.CharField("component SKU", max_length=200)
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["kit_sku", "component_sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "kit_sku", "component_sku"], name="kit_component_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="kit_quantity_positive"
            ),
        ]
        indexes = [models.Index(fields=["account", "merchant", "kit_sku"], name="kit_account_sku")]

    def __str__(self) -> str:
        return f"{self.kit_sku}: {self.quantity} × {self.component_sku}"


class SyncStatus(models.TextChoices):
    SYNCED = "synced", "In sync"
    UNKNOWN_IN_CART = "unknown_in_cart", "Unknown in the cart"
    NOT_TRACKED = "not_tracked", "Stock not tracked in the cart"
    FILTERED = "filtered", "Filtered by the item filter"
    BELOW_MINIMUM = "below_minimum", "Below the minimum level: 0 pushed"
    REFUSED = "refused", "Refused by the cart"


class ProductSync(models.Model):
    """What the hub last pushed to one cart for one of its SKUs, and why a SKU is not synced:
    an upload sends only what differs from it, and the product sync view shows it."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    cart = models.ForeignKey(CartConnection, on_delete=models.CASCADE, related_name="product_syncs")
    # The SKU as the cart knows it (the alias when the cart pushes inventory using aliases).
    sku = models.CharField("cart SKU", max_length=200)
    # The quantity last pushed; None when nothing was pushed yet.
    pushed_quantity = models.IntegerField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=SyncStatus.choices, default=SyncStatus.SYNCED)
    reason = models.TextField(blank=True, default="")
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "sku"], name="product_sync_unique"),
        ]
        indexes = [
            models.Index(fields=["account", "cart", "sku"], name="product_sync_account_cart"),
        ]

    def __str__(self) -> str:
        return f"{self.sku}: {self.pushed_quantity}"
