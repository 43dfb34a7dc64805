"""Alerts, deduplicated by (account, kind, subject) while open, and who gets them by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, Merchant


class AlertKind(models.TextChoices):
    CART_AUTH = "cart_auth", "A cart refused the credentials"
    CART_FAILING = "cart_failing", "A cart cannot be reached"
    WMS_AUTH = "wms_auth", "The WMS refused the credentials"
    WMS_FAILING = "wms_failing", "The WMS cannot be reached"
    WMS_MISSING = "wms_missing", "No WMS is set up"
    UNMAPPED_SHIP_METHOD = "unmapped_ship_method", "A ship method has no WMS mapping"
    DELIVERY_GAVE_UP = "delivery_gave_up", "An order could not be sent for 15 days"
    SHIPMENT_UPLOAD_FAILED = "shipment_upload_failed", "A cart keeps refusing tracking"
    CANCELED_AFTER_DELIVERY = "canceled_after_delivery", "An order was canceled after delivery"
    WMS_CANCEL_REFUSED = "wms_cancel_refused", "The WMS refused to cancel an order"
    ORDER_REFUSED = "order_refused", "The WMS refused orders"
    SCHEDULER_STOPPED = "scheduler_stopped", "The scheduler stopped"
    ORDERS_STUCK = "orders_stuck", "Orders are stuck"


# Kinds e-mailed at once whatever the account's alert frequency: nothing moves until fixed.
ALWAYS_IMMEDIATE = frozenset(
    {AlertKind.UNMAPPED_SHIP_METHOD, AlertKind.CART_AUTH, AlertKind.WMS_AUTH}
)


class Alert(models.Model):
    """A problem a person should know about; raised again, it counts up instead of repeating.

    An open alert is one per (kind, key): the key names what it is about in codes and ids
    (a cart's id and a ship code, an order's id), so renaming a cart never opens a second
    alert or keeps one from resolving. The subject is for people only.
    """

    tenant_merchant_field = "merchant"
    Kind = AlertKind

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="alerts")
    # Empty for account-wide problems (the WMS), which merchant users do not see.
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    # The cart the alert is about, if any: its page lists it, fixing the cart resolves it.
    cart = models.ForeignKey(
        "carts.CartConnection",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
    )
    kind = models.CharField(max_length=50, choices=AlertKind.choices)
    key = models.CharField(max_length=200, blank=True, default="")
    subject = models.CharField(max_length=200)
    message = models.TextField()
    # Where to fix it (a cart's settings, the ship-method mapping).
    link = models.CharField(max_length=300, blank=True)
    count = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The e-mail is claimed before it is sent (a task run twice sends once), then marked sent.
    notify_claimed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "key"],
                condition=Q(resolved_at__isnull=True),
                name="alert_open_key_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "-last_seen_at"],
                condition=Q(resolved_at__isnull=True),
                name="alert_account_open",
            ),
            models.Index(fields=["account", "merchant", "-last_seen_at"], name="alert_merchant"),
            # The tick's sweep for e-mails that were never sent (a nudge lost with the broker).
            models.Index(
                fields=["first_seen_at"],
                condition=Q(notified_at__isnull=True),
                name="alert_unsent",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class AlertRecipient(models.Model):
    """An extra address that gets alert e-mails (account users get them too)."""

    tenant_merchant_field = "merchant"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="alert_recipients")
    # Empty: every alert of the account; set: only that merchant's alerts.
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    email = models.EmailField()
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["account", "email"], name="alert_recipient_unique"),
        ]

    def __str__(self) -> str:
        return self.email
