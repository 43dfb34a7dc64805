"""The hub's URLs with the API key screens, until integration_manager/urls.py includes them."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("api.screen_urls")),
    path("", include("integration_manager.urls")),
]
