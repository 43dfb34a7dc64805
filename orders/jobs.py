"""The order pipeline's four services, and personal data removal, as jobs runs them."""

from __future__ import annotations

from carts.outcomes import cart_service
from jobs.models import Frequency
from jobs.registry import MERCHANT, ServiceSpec
from wms.outcomes import wms_service

ORDER_DOWNLOAD = "order_download"
ORDER_DELIVERY = "order_delivery"
SHIP_CONFIRM = "ship_confirm"
SHIPMENT_UPLOAD = "shipment_upload"
PERSONAL_DATA_REMOVAL = "personal_data_removal"


def order_services() -> list[ServiceSpec]:
    """Automatic wherever it fits (as Extensiv does): downloads and shipping confirmations
    poll; delivery and upload wait for what the others store."""
    from orders.services.delivery import orders_deliver
    from orders.services.download import orders_download
    from orders.services.personal_data import orders_personal_data_remove
    from orders.services.ship_confirm import shipments_fetch
    from orders.services.shipment_upload import shipments_upload, shipments_upload_help

    return [
        cart_service(
            ORDER_DOWNLOAD,
            lambda schedule, run: orders_download(cart=schedule.cart, run=run),
            label="Order download",
            default_frequency=Frequency.AUTOMATIC,
            polled=True,
            starts_at_once=True,  # a new cart shows its orders right away
            position=10,
        ),
        wms_service(
            ORDER_DELIVERY,
            lambda schedule, run: orders_deliver(merchant=schedule.merchant, run=run),
            label="Order delivery",
            default_frequency=Frequency.AUTOMATIC,
            position=10,
        ),
        wms_service(
            SHIP_CONFIRM,
            lambda schedule, run: shipments_fetch(schedule=schedule, run=run),
            label="Shipping confirmations",
            default_frequency=Frequency.AUTOMATIC,
            polled=True,
            position=20,
        ),
        cart_service(
            SHIPMENT_UPLOAD,
            lambda schedule, run: shipments_upload(cart=schedule.cart, run=run),
            label="Shipment upload",
            default_frequency=Frequency.AUTOMATIC,
            position=20,
            # A large backlog is shared with helper runs on other workers.
            helper=lambda schedule, run: shipments_upload_help(cart=schedule.cart, run=run),
        ),
        # Not a wms_service: it never calls the WMS, so its outcome says nothing about it.
        # Every 12 hours, not daily: a daily schedule needs a time of day, and a new
        # merchant's schedules start without one.
        ServiceSpec(
            PERSONAL_DATA_REMOVAL,
            label="Personal data removal",
            level=MERCHANT,
            default_frequency=Frequency.HOURS_12,
            run=lambda schedule, run: orders_personal_data_remove(
                merchant=schedule.merchant, run=run
            ),
            position=90,
            required=True,
        ),
    ]
