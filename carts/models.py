"""CartConnection: one cart (order source) of a merchant, with its credentials and cursor."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from accounts.models import Account, Merchant
from integration_manager.connection_state import ConnectionState
from integration_manager.fields import EncryptedJSONField


def new_webhook_token() -> str:
    return secrets.token_urlsafe(24)


class ItemFilterMode(models.TextChoices):
    OFF = "off", "No item filter"
    WHITELIST = "whitelist", "Whitelist: only the listed SKUs"
    BLACKLIST = "blacklist", "Blacklist: all but the listed SKUs"


class ItemFilterLevel(models.TextChoices):
    ITEM = "item", "Filter the item (the line stays on the order, not sent)"
    ORDER = "order", "Filter the order (not loaded; listed as skipped)"


class CartConnection(ConnectionState):
    """A merchant's cart: which connector, its settings and secrets, and where downloads stand."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="carts")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="carts")
    connector_key = models.CharField("cart type", max_length=40)
    label = models.CharField(max_length=200, help_text="A name for this cart, shown in the hub.")
    order_source = models.CharField(
        max_length=100,
        help_text="Sent to the WMS as the order's source, e.g. the store's name.",
    )
    # Prefixed to the cart's order id to make cust_ref, the short reference the WMS gets;
    # unique in the account, so two carts never produce the same reference.
    reference_prefix = models.CharField(max_length=12)
    credentials = EncryptedJSONField()
    settings = models.JSONField(default=dict, blank=True)
    # Hold orders whose ship code has no WMS mapping (and alert) instead of sending the code as is.
    reject_unmapped_ship_methods = models.BooleanField(
        "reject unmapped ship methods",
        default=False,
        help_text="Hold an order whose ship method is not mapped, and raise an alert. "
        "Off: the cart's code goes to the WMS as it is.",
    )
    # Which WMS location's stock is pushed to this cart; empty: the sum of all enabled ones.
    inventory_location = models.ForeignKey(
        "inventory.Location",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Whose stock this cart gets. Empty: all enabled locations added up.",
    )
    # Order rules (inventory/rules.py): aliases and item filters, as CartRover names them.
    translate_item_codes = models.BooleanField(
        "translate item codes",
        default=False,
        help_text="Send the WMS SKU a product alias points at instead of the cart's code.",
    )
    push_inventory_alias = models.BooleanField(
        "push inventory using alias",
        default=False,
        help_text="Report stock to the cart under the alias (the cart's SKU), not the WMS SKU.",
    )
    item_filter_mode = models.CharField(
        "item filter",
        max_length=10,
        choices=ItemFilterMode.choices,
        default=ItemFilterMode.OFF,
    )
    item_filter_level = models.CharField(
        "filter level",
        max_length=10,
        choices=ItemFilterLevel.choices,
        default=ItemFilterLevel.ITEM,
    )
    # Order load options: orders older than this, or in another cart status, are skipped.
    earliest_order_date = models.DateField(null=True, blank=True)
    # The cart statuses to download (the connector's codes); empty: the connector's default.
    download_statuses = models.JSONField(default=list, blank=True)
    # Below this available quantity the cart is told 0 (a safety stock), as CartRover does.
    min_inventory_level = models.PositiveIntegerField("minimum inventory level", default=0)
    # The last full inventory reconcile (every SKU pushed, changed or not): daily and on demand.
    inventory_reconciled_at = models.DateTimeField(null=True, blank=True)
    # Where the next order download starts; moved in the same transaction as the orders.
    cursor = models.TextField(blank=True, default="")
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reference_prefix"], name="cart_reference_prefix_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "merchant"], name="cart_account_merchant"),
        ]

    def __str__(self) -> str:
        return self.label


class WebhookDelivery(models.Model):
    """A webhook the cart sent, kept by its delivery id so a repeat is recognised."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    cart = models.ForeignKey(CartConnection, on_delete=models.CASCADE, related_name="webhooks")
    delivery_id = models.CharField(max_length=200)
    topic = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "delivery_id"], name="webhook_delivery_unique"),
        ]
        indexes = [
            models.Index(fields=["account", "cart", "-received_at"], name="webhook_account_cart")
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.delivery_id}"
