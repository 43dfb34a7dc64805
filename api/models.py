"""API credentials: an API user and a key, at the cart, merchant or warehouse level."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Account, Merchant
from carts.models import CartConnection


class ApiLevel(models.TextChoices):
    # An "API Access" cart's own pair: it pushes that cart's orders and reads them back.
    CART = "cart", "Cart"
    # A merchant's named pair: the merchant's orders from every cart, its stock, products.
    MERCHANT = "merchant", "Merchant"
    # The account's "global" pair: acts for one merchant named by the X-Merchant-Pk header.
    WAREHOUSE = "warehouse", "Warehouse"


class ApiCredential(models.Model):
    """One API user and key pair. The key is shown once and kept only as its SHA-256 digest
    (keys are 32 random bytes, so a digest needs no salt or slow hash to resist guessing)."""

    tenant_merchant_field = "merchant"
    Level = ApiLevel

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_credentials")
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, null=True, blank=True, related_name="api_credentials"
    )
    cart = models.ForeignKey(
        CartConnection,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_credentials",
    )
    level = models.CharField(max_length=10, choices=ApiLevel.choices)
    name = models.CharField(max_length=100)
    # The public half, sent as the Basic user name (or api_user); unique in the hub.
    api_user = models.CharField("API user", max_length=64, unique=True)
    key_digest = models.CharField(max_length=64)
    # The key's first characters, so people can tell two keys apart on the screens.
    key_hint = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["level", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(level="cart", cart__isnull=False, merchant__isnull=False)
                    | Q(level="merchant", cart__isnull=True, merchant__isnull=False)
                    | Q(level="warehouse", cart__isnull=True, merchant__isnull=True)
                ),
                name="api_credential_level_scope",
            ),
        ]
        indexes = [models.Index(fields=["account", "level"], name="api_credential_account")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_level_display()})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
