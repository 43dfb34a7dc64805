"""URLs of a cart's product sync view (included from integration_manager/urls.py)."""

from __future__ import annotations

from django.urls import path

from inventory import sync_views as views

urlpatterns = [
    path("carts/<int:cart_id>/product-sync/", views.product_sync, name="product_sync"),
    path(
        "carts/<int:cart_id>/product-sync/reconcile/",
        views.product_sync_reconcile,
        name="product_sync_reconcile",
    ),
]
