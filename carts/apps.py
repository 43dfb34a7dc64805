from __future__ import annotations

from django.apps import AppConfig


class CartsConfig(AppConfig):
    name = "carts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import carts.connectors  # noqa: F401  (registers every cart connector)
