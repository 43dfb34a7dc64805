from __future__ import annotations

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The order pipeline's four services, run by jobs by name.
        from alerts.connections import cart_service, wms_service
        from jobs.models import Service
        from jobs.registry import register
        from orders.services.delivery import orders_deliver
        from orders.services.download import orders_download
        from orders.services.ship_confirm import shipments_fetch
        from orders.services.shipment_upload import shipments_upload

        register(
            cart_service(
                Service.ORDER_DOWNLOAD,
                lambda schedule, run: orders_download(cart=schedule.cart, run=run),
            )
        )
        register(
            wms_service(
                Service.ORDER_DELIVERY,
                lambda schedule, run: orders_deliver(merchant=schedule.merchant, run=run),
            )
        )
        register(
            wms_service(
                Service.SHIP_CONFIRM,
                lambda schedule, run: shipments_fetch(schedule=schedule, run=run),
            )
        )
        register(
            cart_service(
                Service.SHIPMENT_UPLOAD,
                lambda schedule, run: shipments_upload(cart=schedule.cart, run=run),
            )
        )
