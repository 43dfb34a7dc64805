from __future__ import annotations

from django.contrib import admin

from wms.models import ShipMethodMap, WmsConnection, WmsShipMethod


@admin.register(WmsConnection)
class WmsConnectionAdmin(admin.ModelAdmin):
    list_display = ["label", "connector_key", "account", "enabled", "paused_at", "last_success_at"]
    list_filter = ["connector_key", "enabled"]
    raw_id_fields = ["account"]


@admin.register(WmsShipMethod)
class WmsShipMethodAdmin(admin.ModelAdmin):
    list_display = ["code", "description", "carrier", "account", "is_active"]
    search_fields = ["code", "description", "carrier"]
    raw_id_fields = ["account"]


@admin.register(ShipMethodMap)
class ShipMethodMapAdmin(admin.ModelAdmin):
    list_display = ["cart_code", "wms_code", "passthrough", "cart", "merchant"]
    search_fields = ["cart_code", "wms_code"]
    raw_id_fields = ["account", "merchant", "cart"]
