"""Merchant and warehouse endpoints (a merchant pair, or a warehouse pair with X-Merchant-Pk),
and the OpenAPI description of the whole API."""

from __future__ import annotations

from django.urls import path

from api import merchant_views as views
from api.openapi import openapi_json

urlpatterns = [
    path("merchant/orders/list/<str:status>", views.orders_list, name="api_merchant_orders_list"),
    path(
        "merchant/orders/status/<str:cust_ref>",
        views.order_status,
        name="api_merchant_order_status",
    ),
    path("merchant/orders/received", views.orders_received, name="api_merchant_orders_received"),
    path(
        "merchant/orders/shipments/<str:cust_ref>",
        views.order_shipments,
        name="api_merchant_order_shipments",
    ),
    path("merchant/orders/<str:cust_ref>", views.order_view, name="api_merchant_order"),
    path("merchant/inventory", views.inventory, name="api_merchant_inventory"),
    path("merchant/inventory/<path:sku>", views.inventory_item, name="api_merchant_inventory_item"),
    path("merchant/product/<path:sku>", views.product, name="api_merchant_product"),
    path("wms/shipmethod/list", views.wms_ship_methods, name="api_wms_ship_methods"),
    path("wms/merchant/list", views.wms_merchant_list, name="api_wms_merchants"),
    path("cart/list", views.cart_list, name="api_cart_list"),
    path(
        "cart/shipmethod/list/<str:order_source>",
        views.cart_ship_methods_list,
        name="api_cart_ship_methods",
    ),
    path(
        "cart/shipmethod/<str:order_source>",
        views.cart_ship_methods_save,
        name="api_cart_ship_methods_save",
    ),
    path("openapi.json", openapi_json, name="api_openapi"),
]
