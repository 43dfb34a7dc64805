"""Inventory's two services as jobs runs them: names, levels, defaults."""

from __future__ import annotations

from carts.outcomes import cart_service
from jobs.models import Frequency
from jobs.registry import ServiceSpec
from wms.outcomes import wms_service

INVENTORY = "inventory"
INVENTORY_UPLOAD = "inventory_upload"


def inventory_services() -> list[ServiceSpec]:
    """Stock is read hourly by default (warehouses count slowly); the upload follows it."""
    from inventory.pickup import inventory_fetch
    from inventory.upload import inventory_upload

    return [
        wms_service(
            INVENTORY,
            lambda schedule, run: inventory_fetch(merchant=schedule.merchant, run=run),
            label="Inventory",
            default_frequency=Frequency.HOURS_1,
            polled=True,
            position=30,
        ),
        cart_service(
            INVENTORY_UPLOAD,
            lambda schedule, run: inventory_upload(cart=schedule.cart, run=run),
            label="Inventory upload",
            default_frequency=Frequency.AUTOMATIC,
            position=30,
        ),
    ]
