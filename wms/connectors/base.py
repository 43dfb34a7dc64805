"""WmsConnector: what every WMS (order destination) connector implements."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar

from django import forms

from integration_manager.connectors import Connector
from integration_manager.records import (
    DeliveryOrder,
    DeliveryResult,
    MerchantRef,
    ShipmentPage,
    ShipMethodRecord,
    StockLevel,
    StockPage,
    WebhookNotice,
)

DELIVER_ORDERS = "deliver_orders"
LOOKUP_ORDER = "lookup_order"
FETCH_SHIPMENTS = "fetch_shipments"
FETCH_INVENTORY = "fetch_inventory"
FETCH_SHIP_METHODS = "fetch_ship_methods"
CANCEL_ORDER = "cancel_order"
# Nothing is sent: the warehouse's system pulls orders through the hub's API. The delivery
# run still checks each order and applies the rules, then marks it ready to be taken.
ORDERS_PULLED = "orders_pulled"
# It can list its customers and facilities (the merchant settings' "load from the WMS").
MERCHANT_OPTIONS = "merchant_options"
# The merchant settings field stored on Merchant.wms_customer_id (the WMS's customer id).
CUSTOMER_ID_FIELD = "customer_id"
# It pushes events to the hub's WMS webhook address (they nudge ship confirm and inventory).
WEBHOOKS = "webhooks"


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

    def fetch_inventory(self, merchant: MerchantRef) -> list[StockLevel] | Iterator[StockPage]:
        """All the stock at once, or pages of it: each page is stored before the next is
        asked for (a connector reading files marks a file done when its page comes back)."""
        raise self.unsupported("report inventory")

    def fetch_ship_methods(self) -> list[ShipMethodRecord]:
        raise self.unsupported("list ship methods")

    def cancel_order(self, cust_ref: str, merchant: MerchantRef) -> None:
        raise self.unsupported("cancel orders")

    # What the WMS needs per merchant (a customer id, a facility, a folder): a form whose
    # fields are stored on the merchant (Merchant.wms_customer_id for a field named
    # "customer_id", Merchant.wms_settings for the rest). None: nothing per merchant.
    merchant_settings_form: ClassVar[type[forms.Form] | None] = None

    def merchant_options(self) -> dict[str, list[tuple[str, str]]]:
        """Choices loaded from the WMS for the merchant settings form, by field name:
        {"customer_id": [("12", "Acme Outdoor"), ...], "facility_id": [...]}."""
        raise self.unsupported("list its customers and facilities")

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        """Verify a delivery from the WMS and say what it means; AuthError when the
        signature does not hold, RecordError when it cannot be read."""
        raise self.unsupported("send webhooks")
