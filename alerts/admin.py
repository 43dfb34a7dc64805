from __future__ import annotations

from django.contrib import admin

from alerts.models import Alert, AlertRecipient


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "kind",
        "account",
        "merchant",
        "count",
        "last_seen_at",
        "resolved_at",
    ]
    list_filter = ["kind"]
    search_fields = ["subject", "message"]
    raw_id_fields = ["account", "merchant", "resolved_by"]


@admin.register(AlertRecipient)
class AlertRecipientAdmin(admin.ModelAdmin):
    list_display = ["email", "account", "merchant", "is_active"]
    raw_id_fields = ["account", "merchant"]
