from __future__ import annotations

from django.apps import AppConfig


class WmsConfig(AppConfig):
    name = "wms"
    default_auto_field = "django.db.models.BigAutoField"
