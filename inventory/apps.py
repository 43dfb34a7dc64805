from __future__ import annotations

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alerts.connections import (
            cart_run_failed,
            cart_run_succeeded,
            wms_run_failed,
            wms_run_succeeded,
        )
        from inventory.services import inventory_fetch, inventory_upload
        from jobs.models import Service
        from jobs.registry import ServiceSpec, register

        register(
            ServiceSpec(
                Service.INVENTORY,
                run=lambda schedule, run: inventory_fetch(merchant=schedule.merchant, run=run),
                on_error=wms_run_failed,
                on_success=wms_run_succeeded,
            )
        )
        register(
            ServiceSpec(
                Service.INVENTORY_UPLOAD,
                run=lambda schedule, run: inventory_upload(cart=schedule.cart, run=run),
                on_error=cart_run_failed,
                on_success=cart_run_succeeded,
            )
        )
