from __future__ import annotations

from django.apps import AppConfig


class WmsConfig(AppConfig):
    name = "wms"
    verbose_name = "WMS"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import wms.connectors  # noqa: F401  (registers every WMS connector)
