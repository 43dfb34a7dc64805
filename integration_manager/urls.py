"""The project's URLs: each app's own urls."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

# PostgreSQL away: 503 with Retry-After instead of a 500 (integration_manager/errors.py).
handler500 = "integration_manager.errors.server_error"

urlpatterns = [
    path("", include("orders.urls")),
    path("", include("accounts.urls")),
    path("", include("carts.urls")),
    path("", include("wms.urls")),
    path("", include("inventory.urls")),
    path("", include("inventory.stock_urls")),
    path("", include("inventory.sync_urls")),
    path("", include("jobs.urls")),
    path("", include("alerts.urls")),
    path("", include("csvfiles.urls")),
    path("", include("api.urls")),
    path("", include("api.screen_urls")),
    path("admin/", admin.site.urls),
]
