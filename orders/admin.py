from __future__ import annotations

from django.contrib import admin

from orders.models import Order, OrderEvent, OrderLine, Shipment, ShipmentLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["account", "merchant", "kit_parent"]


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    raw_id_fields = ["account", "merchant", "user", "job_run"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "order_number",
        "cust_ref",
        "status",
        "merchant",
        "cart",
        "ordered_at",
        "grand_total",
    ]
    list_filter = ["status", "sending_canceled"]
    search_fields = ["order_number", "cust_ref", "source_order_id", "ship_name", "email"]
    raw_id_fields = ["account", "merchant", "cart", "delivery_job_run"]
    inlines = [OrderLineInline, OrderEventInline]


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    raw_id_fields = ["account", "merchant", "order_line"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "carrier", "tracking_number", "shipped_at", "uploaded_at"]
    search_fields = ["tracking_number", "order__order_number"]
    raw_id_fields = ["account", "merchant", "cart", "order"]
    inlines = [ShipmentLineInline]
