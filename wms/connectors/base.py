"""WmsConnector: what every WMS (order destination) connector implements."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence

from integration_manager.connectors import Connector
from integration_manager.records import (
    DeliveryOrder,
    DeliveryResult,
    MerchantRef,
    ShipmentPage,
    ShipMethodRecord,
    StockLevel,
)

DELIVER_ORDERS = "deliver_orders"
LOOKUP_ORDER = "lookup_order"
FETCH_SHIPMENTS = "fetch_shipments"
FETCH_INVENTORY = "fetch_inventory"
FETCH_SHIP_METHODS = "fetch_ship_methods"
CANCEL_ORDER = "cancel_order"


class WmsConnector(Connector):
    """A WMS: orders go to it; shipments and stock levels come back from it.

    deliver_orders is at-least-once by nature (a timeout after the WMS accepted an order
    looks like a failure), so a connector that can should implement lookup_order: the hub
    asks it by cust_ref before it sends an order whose last attempt had no clear outcome.
    """

    @abstractmethod
    def deliver_orders(self, orders: Sequence[DeliveryOrder]) -> list[DeliveryResult]:
        """One result per order. Raise the error family only for the whole call."""

    def lookup_order(self, cust_ref: str, merchant: MerchantRef) -> str | None:
        """The WMS's reference for an order we may have sent, or None if it has none."""
        raise self.unsupported("look orders up by reference")

    def fetch_shipments(self, merchant: MerchantRef, cursor: str | None) -> Iterator[ShipmentPage]:
        raise self.unsupported("report shipments")

    def fetch_inventory(self, merchant: MerchantRef) -> list[StockLevel]:
        raise self.unsupported("report inventory")

    def fetch_ship_methods(self) -> list[ShipMethodRecord]:
        raise self.unsupported("list ship methods")

    def cancel_order(self, cust_ref: str, merchant: MerchantRef) -> None:
        raise self.unsupported("cancel orders")
