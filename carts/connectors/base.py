"""CartConnector: what every cart (order source) connector implements."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from integration_manager.connector_errors import RecordError
from integration_manager.connectors import Connector
from integration_manager.records import (
    OrderPage,
    ShipmentRecord,
    StockLevel,
    UploadOrder,
    WebhookNotice,
)

# Capability names a cart connector may declare.
FETCH_ORDERS = "fetch_orders"
UPLOAD_SHIPMENT = "upload_shipment"
UPLOAD_INVENTORY = "upload_inventory"
FETCH_CANCELLATIONS = "fetch_cancellations"
CANCEL_ORDER = "cancel_order"
WEBHOOKS = "webhooks"


# Every download re-reads this much before its cursor: carts stamp an order when its
# transaction starts, so one committed a little later can carry an earlier time.
OVERLAP = timedelta(minutes=5)
# The first download (no cursor, no earliest order date) goes back this far.
FIRST_DOWNLOAD_LOOKBACK = timedelta(days=7)


class CartConnector(Connector):
    """A cart: orders come down from it; shipments and stock levels go up to it.

    fetch_orders yields pages; the hub stores each page and its cursor in one transaction
    before asking for the next, so a crash resumes after the last stored page. The window
    starts a little before the cursor (an overlap): orders seen twice are stored once.

    ORDER_STATUSES lists the cart's own order statuses (code, label) that an order record's
    cart_status may carry; DEFAULT_STATUSES are those downloaded when a cart chose none.
    """

    ORDER_STATUSES: tuple[tuple[str, str], ...] = ()
    DEFAULT_STATUSES: tuple[str, ...] = ()
    # A platform's own deadline for personal data, in days after the order ships (Amazon:
    # 30); the hub removes it then even if the account's policy would keep it longer.
    personal_data_days_after_shipment: int | None = None

    def window_start(self, cursor: str | None) -> datetime:
        """Where a download starts: the cursor minus the overlap, or the earliest order date."""
        if cursor:
            return datetime.fromisoformat(cursor) - OVERLAP
        earliest = self.settings.get("earliest_order_date")
        if earliest:
            start = datetime.fromisoformat(str(earliest))
            return start if start.tzinfo else start.replace(tzinfo=UTC)
        return datetime.now(UTC) - FIRST_DOWNLOAD_LOOKBACK

    @abstractmethod
    def fetch_orders(self, cursor: str | None) -> Iterator[OrderPage]:
        """Orders created or changed since the cursor (None: the first download)."""

    def upload_shipment(
        self, order: UploadOrder, shipment: ShipmentRecord, *, first_attempt: bool = False
    ) -> str:
        """Send one shipment with its tracking; return the cart's id for what was created.

        first_attempt: the hub has never begun sending this shipment, so no earlier attempt
        can have left part of it in the cart; a connector may skip looking for one.
        """
        raise self.unsupported("upload shipments")

    def find_shipment(self, order: UploadOrder, shipment: ShipmentRecord) -> str | None:
        """After an unknown outcome: the cart's id of this shipment if it already exists."""
        return None

    def cancel_order(self, order: UploadOrder, *, reason: str) -> None:
        """Cancel the order in the cart (declare CANCEL_ORDER); RecordError when the cart
        refuses, with its reason."""
        raise self.unsupported("cancel orders")

    def upload_inventory(self, levels: Sequence[StockLevel]) -> list[RecordError]:
        """Set stock for these SKUs; return the SKUs the cart refused (record_ref = SKU)."""
        raise self.unsupported("upload inventory")

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        """Verify a webhook's signature over the raw body (constant-time compare) and read it.

        headers have lower-case names. Raise AuthError when the signature is missing or wrong,
        RecordError when the body cannot be read.
        """
        raise self.unsupported("receive webhooks")
