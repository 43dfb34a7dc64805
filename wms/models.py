"""The account's one WMS connection, its ship methods, and ship-method and SCAC mapping."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Account, Merchant
from carts.models import CartConnection, new_webhook_token
from integration_manager.connection_state import ConnectionState
from integration_manager.fields import EncryptedJSONField


class WmsConnection(ConnectionState):
    """Where the account's orders go, and where shipments and inventory come from."""

    tenant_merchant_field = None  # the warehouse's; merchant users never see it

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="wms")
    connector_key = models.CharField("WMS type", max_length=40)
    label = models.CharField(max_length=200)
    credentials = EncryptedJSONField()
    settings = models.JSONField(default=dict, blank=True)
    # The secret part of this connection's webhook address (/webhooks/wms/<token>/).
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "WMS connection"

    def __str__(self) -> str:
        return self.label


class WmsShipMethod(models.Model):
    """A ship method the WMS accepts: the target side of ship-method mapping."""

    tenant_merchant_field = None

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="wms_ship_methods")
    code = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["carrier", "code"]
        verbose_name = "WMS ship method"
        constraints = [
            models.UniqueConstraint(fields=["account", "code"], name="wms_ship_method_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.description})" if self.description else self.code


class ShipMethodMap(models.Model):
    """A cart's ship code and the WMS code it becomes; an empty wms_code is unmapped."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    cart = models.ForeignKey(
        CartConnection, on_delete=models.CASCADE, related_name="ship_method_maps"
    )
    cart_code = models.CharField(max_length=200)
    cart_description = models.CharField(max_length=200, blank=True)
    wms_code = models.CharField(max_length=100, blank=True)
    # Send the cart's code to the WMS unchanged (a WMS that maps codes itself).
    passthrough = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cart_code"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "cart_code"], name="ship_method_map_unique"),
        ]
        indexes = [models.Index(fields=["account", "cart"], name="ship_method_map_account")]

    def __str__(self) -> str:
        return f"{self.cart_code} → {self.wms_code or ('as is' if self.passthrough else '?')}"

    @property
    def is_mapped(self) -> bool:
        return self.passthrough or bool(self.wms_code)


class SandboxWmsOrder(models.Model):
    """What the sandbox WMS received: it stands in for a warehouse's own database.

    Every delivery is a row, with no unique constraint on purpose: an order sent twice
    shows up twice here, as it would in a real warehouse, so tests can count them.
    """

    tenant_merchant_field = None

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant_key = models.CharField(max_length=100)
    cust_ref = models.CharField(max_length=40)
    reference = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    accepted_at = models.DateTimeField(default=timezone.now)
    ship_after = models.DateTimeField()
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "cust_ref"], name="sandbox_wms_cust_ref"),
            models.Index(fields=["account", "merchant_key", "ship_after"], name="sandbox_wms_ship"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.cust_ref})"


class WmsWebhookDelivery(models.Model):
    """A webhook the WMS sent, kept by a digest of what its signature covers, so a repeat is
    recognised."""

    tenant_merchant_field = None

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    wms = models.ForeignKey(WmsConnection, on_delete=models.CASCADE, related_name="webhooks")
    delivery_id = models.CharField(max_length=200)
    topic = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "WMS webhook delivery"
        constraints = [
            models.UniqueConstraint(fields=["wms", "delivery_id"], name="wms_webhook_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.delivery_id}"


class CarrierMap(models.Model):
    """A carrier code the WMS sent on a shipment (its SCAC, else its carrier name) and what
    the merchant's carts are told instead; an empty cart_code passes the WMS's code on."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="carrier_maps")
    wms_code = models.CharField("WMS carrier code", max_length=100)
    cart_code = models.CharField("carrier for the carts", max_length=100, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["wms_code"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "wms_code"], name="carrier_map_unique"),
        ]
        indexes = [models.Index(fields=["account", "merchant"], name="carrier_map_account")]

    def __str__(self) -> str:
        return f"{self.wms_code} → {self.cart_code or 'as is'}"
