from __future__ import annotations

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from inventory.jobs import inventory_services
        from jobs.registry import register

        for spec in inventory_services():
            register(spec)
