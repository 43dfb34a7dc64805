"""The "API access" WMS: the warehouse's own system pulls orders through the hub's API.

Nothing is pushed: orders wait in `new` until that system lists them (GET
/v1/merchant/orders/list/new) and marks them received (POST /v1/merchant/orders/received),
and its shipments and stock levels arrive through the API too (docs/api.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from integration_manager.records import DeliveryOrder, DeliveryResult
from wms.connectors.base import ORDERS_PULLED, WmsConnector
from wms.connectors.registry import register

API_ACCESS_KEY = "api_access"


@register
class ApiAccessWmsConnector(WmsConnector):
    """Orders are pulled, not sent: the delivery run checks each order and applies the rules
    (aliases, kits, ship-method mapping), then marks it ready; ship confirm and inventory
    leave the work to the warehouse's system, which calls the merchant (or warehouse) API
    with its own keys."""

    key = API_ACCESS_KEY
    label = "API access (a system pulls orders through the API)"
    description = (
        "The warehouse's system lists new orders through the hub's API, marks them received, "
        "and posts shipments and stock levels back. Give it a merchant or warehouse API key."
    )
    capabilities = frozenset({ORDERS_PULLED})
    secret_fields = ()
    address_fields = ()  # the hub connects nowhere: the warehouse's system calls in

    def test_connection(self) -> str:
        return (
            "Nothing to connect to: the warehouse's system calls the hub's API. Create a "
            "merchant or warehouse API key for it; orders wait in the hub until it takes them."
        )

    def deliver_orders(self, orders: Sequence[DeliveryOrder]) -> list[DeliveryResult]:
        # Never called (no DELIVER_ORDERS): the delivery run marks orders ready instead.
        raise self.unsupported("send orders; the warehouse's system pulls them")
