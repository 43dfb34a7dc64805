from __future__ import annotations

from django.urls import path

from wms import carrier_views, views, webhooks

urlpatterns = [
    path("webhooks/wms/<str:token>/", webhooks.wms_webhook, name="wms_webhook"),
    path("wms/", views.wms_setup, name="wms_setup"),
    path("wms/test/", views.wms_test, name="wms_test"),
    path(
        "merchants/<int:merchant_id>/wms/",
        views.merchant_wms_settings,
        name="merchant_wms_settings",
    ),
    path(
        "merchants/<int:merchant_id>/carriers/",
        carrier_views.carrier_maps,
        name="carrier_maps",
    ),
    path(
        "wms/ship-methods/refresh/", views.wms_ship_methods_refresh, name="wms_ship_methods_refresh"
    ),
    path("wms/ship-methods/new/", views.wms_ship_method_add, name="wms_ship_method_add"),
    path(
        "wms/ship-methods/<int:ship_method_id>/delete/",
        views.wms_ship_method_delete,
        name="wms_ship_method_delete",
    ),
]
