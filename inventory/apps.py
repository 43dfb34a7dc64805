from __future__ import annotations

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alerts.connections import cart_service, wms_service
        from inventory.services import inventory_fetch, inventory_upload
        from jobs.models import Service
        from jobs.registry import register

        register(
            wms_service(
                Service.INVENTORY,
                lambda schedule, run: inventory_fetch(merchant=schedule.merchant, run=run),
            )
        )
        register(
            cart_service(
                Service.INVENTORY_UPLOAD,
                lambda schedule, run: inventory_upload(cart=schedule.cart, run=run),
            )
        )
