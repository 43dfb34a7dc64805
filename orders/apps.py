from __future__ import annotations

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The order pipeline's four services, run by jobs by name.
        from alerts.connections import (
            cart_run_failed,
            cart_run_succeeded,
            wms_run_failed,
            wms_run_succeeded,
        )
        from jobs.models import Service
        from jobs.registry import ServiceSpec, register
        from orders.services.delivery import orders_deliver
        from orders.services.download import orders_download
        from orders.services.ship_confirm import shipments_fetch
        from orders.services.shipment_upload import shipments_upload

        register(
            ServiceSpec(
                Service.ORDER_DOWNLOAD,
                run=lambda schedule, run: orders_download(cart=schedule.cart, run=run),
                on_error=cart_run_failed,
                on_success=cart_run_succeeded,
            )
        )
        register(
            ServiceSpec(
                Service.ORDER_DELIVERY,
                run=lambda schedule, run: orders_deliver(merchant=schedule.merchant, run=run),
                on_error=wms_run_failed,
                on_success=wms_run_succeeded,
            )
        )
        register(
            ServiceSpec(
                Service.SHIP_CONFIRM,
                run=lambda schedule, run: shipments_fetch(schedule=schedule, run=run),
                on_error=wms_run_failed,
                on_success=wms_run_succeeded,
            )
        )
        register(
            ServiceSpec(
                Service.SHIPMENT_UPLOAD,
                run=lambda schedule, run: shipments_upload(cart=schedule.cart, run=run),
                on_error=cart_run_failed,
                on_success=cart_run_succeeded,
            )
        )
