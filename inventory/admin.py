from __future__ import annotations

from django.contrib import admin

from inventory.models import InventoryLevel, ItemFilter, KitComponent, Location, ProductAlias


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "wms_location_id", "merchant", "is_default", "enabled"]
    raw_id_fields = ["account", "merchant"]


@admin.register(InventoryLevel)
class InventoryLevelAdmin(admin.ModelAdmin):
    list_display = ["sku", "location", "on_hand", "available", "wms_updated_at", "updated_at"]
    search_fields = ["sku"]
    raw_id_fields = ["account", "merchant", "location"]


@admin.register(ProductAlias)
class ProductAliasAdmin(admin.ModelAdmin):
    list_display = ["alias", "sku", "kind", "merchant"]
    search_fields = ["alias", "sku"]
    raw_id_fields = ["account", "merchant"]


@admin.register(ItemFilter)
class ItemFilterAdmin(admin.ModelAdmin):
    list_display = ["sku", "cart", "merchant"]
    raw_id_fields = ["account", "merchant", "cart"]


@admin.register(KitComponent)
class KitComponentAdmin(admin.ModelAdmin):
    list_display = ["kit_sku", "component_sku", "quantity", "merchant"]
    search_fields = ["kit_sku", "component_sku"]
    raw_id_fields = ["account", "merchant"]
