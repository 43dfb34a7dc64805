"""The CartRover-compatible API under /v1/ (docs/api.md)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("v1/", include("api.cart_urls")),
    path("v1/", include("api.merchant_urls")),
]
