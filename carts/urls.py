from __future__ import annotations

from django.urls import path

from carts import rules_views, views, webhooks

urlpatterns = [
    path("carts/", views.cart_list, name="cart_list"),
    path("carts/new/", views.cart_new, name="cart_new"),
    path("carts/new/<str:connector_key>/", views.cart_create, name="cart_create"),
    path("carts/<int:cart_id>/", views.cart_detail, name="cart_detail"),
    path("carts/<int:cart_id>/edit/", views.cart_edit, name="cart_edit"),
    path("carts/<int:cart_id>/test/", views.cart_test, name="cart_test"),
    path("carts/<int:cart_id>/toggle/", views.cart_toggle, name="cart_toggle"),
    path("carts/<int:cart_id>/ship-methods/", views.cart_ship_methods, name="cart_ship_methods"),
    path("carts/<int:cart_id>/rules/", rules_views.cart_rules, name="cart_rules"),
    path("carts/<int:cart_id>/upload/", views.cart_order_upload, name="cart_order_upload"),
    path("webhooks/carts/<str:token>/", webhooks.cart_webhook, name="cart_webhook"),
]
