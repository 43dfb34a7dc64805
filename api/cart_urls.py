"""Cart-level endpoints (an "API Access" cart's pair)."""

from __future__ import annotations

from django.urls import path

from api import cart_views

# The fixed paths come before orders/<reference>, which would take them otherwise.
urlpatterns = [
    path("cart/orders/cartrover", cart_views.order_create, name="api_cart_order_create"),
    path("cart/orders/batch", cart_views.order_batch, name="api_cart_order_batch"),
    path("cart/orders/cancel/cartrover", cart_views.order_cancel, name="api_cart_order_cancel"),
    path(
        "cart/orders/status/<str:reference>", cart_views.order_status, name="api_cart_order_status"
    ),
    path("cart/orders/list/<str:status>", cart_views.order_list, name="api_cart_order_list"),
    path(
        "cart/orders/wms_cancel/<str:reference>",
        cart_views.order_wms_cancel,
        name="api_cart_order_wms_cancel",
    ),
    path(
        "cart/orders/update/<str:reference>", cart_views.order_update, name="api_cart_order_update"
    ),
    path("cart/orders/<str:reference>", cart_views.order_view, name="api_cart_order_view"),
]
