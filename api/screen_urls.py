"""The API key screens (the API itself is api/urls.py)."""

from __future__ import annotations

from django.urls import path

from api import views

urlpatterns = [
    path(
        "merchants/<int:merchant_id>/api-keys/", views.merchant_api_keys, name="merchant_api_keys"
    ),
    path(
        "merchants/<int:merchant_id>/api-keys/<int:credential_id>/revoke/",
        views.merchant_api_key_revoke,
        name="merchant_api_key_revoke",
    ),
    path("account/api-keys/", views.account_api_keys, name="account_api_keys"),
    path(
        "account/api-keys/<int:credential_id>/revoke/",
        views.account_api_key_revoke,
        name="account_api_key_revoke",
    ),
    path("carts/<int:cart_id>/api/", views.cart_api, name="cart_api"),
]
