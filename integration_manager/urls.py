"""The project's URLs: each app's own urls under its prefix."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("orders.urls")),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
