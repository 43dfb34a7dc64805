from __future__ import annotations

from django.urls import path

from inventory import views

MERCHANT = "merchants/<int:merchant_id>"
CART = "carts/<int:cart_id>"

urlpatterns = [
    path("products/", views.product_index, name="product_index"),
    path(f"{MERCHANT}/aliases/", views.alias_list, name="alias_list"),
    path(f"{MERCHANT}/aliases/new/", views.alias_create, name="alias_create"),
    path(f"{MERCHANT}/aliases/<int:alias_id>/", views.alias_edit, name="alias_edit"),
    path(f"{MERCHANT}/aliases/<int:alias_id>/delete/", views.alias_delete, name="alias_delete"),
    path(f"{MERCHANT}/aliases/export/", views.alias_export, name="alias_export"),
    path(f"{MERCHANT}/aliases/import/", views.alias_import, name="alias_import"),
    path(f"{MERCHANT}/kits/", views.kit_list, name="kit_list"),
    path(f"{MERCHANT}/kits/new/", views.kit_create, name="kit_create"),
    path(f"{MERCHANT}/kits/edit/", views.kit_edit, name="kit_edit"),
    path(f"{MERCHANT}/kits/delete/", views.kit_remove, name="kit_delete"),
    path(f"{MERCHANT}/kits/export/", views.kit_export, name="kit_export"),
    path(f"{MERCHANT}/kits/import/", views.kit_import, name="kit_import"),
    path(f"{CART}/filters/", views.item_filter_create, name="item_filter_create"),
    path(
        f"{CART}/filters/<int:filter_id>/delete/",
        views.item_filter_remove,
        name="item_filter_delete",
    ),
    path(f"{CART}/filters/export/", views.item_filter_export, name="item_filter_export"),
    path(f"{CART}/filters/import/", views.item_filter_import, name="item_filter_import"),
]
