from __future__ import annotations

from django.contrib import admin

from carts.models import CartConnection


@admin.register(CartConnection)
class CartConnectionAdmin(admin.ModelAdmin):
    # Credentials are not editable (write-only in the hub's own forms), so they never show here.
    list_display = [
        "label",
        "connector_key",
        "merchant",
        "account",
        "enabled",
        "paused_at",
        "last_success_at",
    ]
    list_filter = ["connector_key", "enabled"]
    search_fields = ["label", "merchant__name", "account__name"]
    raw_id_fields = ["account", "merchant"]
    exclude = ["webhook_token"]
