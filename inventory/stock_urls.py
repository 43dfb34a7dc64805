"""URLs of the stock and locations screens (included from integration_manager/urls.py)."""

from __future__ import annotations

from django.urls import path

from inventory import stock_views as views

MERCHANT = "merchants/<int:merchant_id>"
LOCATION = f"{MERCHANT}/locations/<int:location_id>"

urlpatterns = [
    path("stock/", views.stock_index, name="stock_index"),
    path(f"{MERCHANT}/stock/", views.stock_list, name="stock_list"),
    path(f"{MERCHANT}/stock/export/", views.stock_export, name="stock_export"),
    path(f"{MERCHANT}/locations/", views.location_list, name="location_list"),
    path(f"{LOCATION}/", views.location_edit, name="location_edit"),
    path(f"{LOCATION}/default/", views.location_default, name="location_default"),
    path(f"{LOCATION}/enabled/", views.location_enable, name="location_enable"),
]
