"""Shipments to Shopify fulfillments: which fulfillment order lines, tracking, earlier uploads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from carts.connectors.shopify.queries import legacy_id
from integration_manager.connector_errors import RecordError
from integration_manager.records import ShipmentLineRecord, ShipmentRecord, UploadOrder

# Fulfillment orders that can take a fulfillment now.
FULFILLABLE_STATUSES = frozenset({"OPEN", "IN_PROGRESS"})
# Fulfillments that did not happen: a shipment is not found in them.
FAILED_FULFILLMENT_STATUSES = frozenset({"CANCELLED", "ERROR", "FAILURE"})

# Carrier names Shopify recognises (it then builds the tracking link itself), by the SCAC or
# the carrier name a WMS sends, upper-case without spaces.
TRACKING_COMPANIES = {
    "UPS": "UPS",
    "UPSN": "UPS",
    "USPS": "USPS",
    "FEDEX": "FedEx",
    "FDX": "FedEx",
    "FDXE": "FedEx",
    "FDXG": "FedEx",
    "FDEG": "FedEx",
    "FXFE": "FedEx",
    "DHL": "DHL Express",
    "DHLEXPRESS": "DHL Express",
    "DHLGM": "DHL eCommerce",
    "DHLECOMMERCE": "DHL eCommerce",
    "CANADAPOST": "Canada Post",
    "CNPR": "Canada Post",
    "PURO": "Purolator",
    "PUROLATOR": "Purolator",
    "ONTRAC": "OnTrac",
    "EMSY": "OnTrac",
    "LASERSHIP": "LaserShip",
    "LSHP": "LaserShip",
    "ROYALMAIL": "Royal Mail",
    "AUSTRALIAPOST": "Australia Post",
}


def order_reference(order: UploadOrder) -> str:
    """How the merchant knows the order: its number, else Shopify's id."""
    return order.order_number or order.source_order_id


def check_not_cancelled(order_node: dict[str, Any], order: UploadOrder) -> None:
    """Shopify takes no fulfillment for a cancelled order: RecordError."""
    if order_node.get("cancelledAt"):
        raise RecordError(
            f"Shopify order {order_reference(order)} was cancelled; Shopify takes no shipment "
            "for it. Check with the merchant whether the parcel was stopped.",
            record_ref=order.source_order_id,
        )


def tracking_company(shipment: ShipmentRecord) -> str:
    """The carrier name Shopify knows for this shipment, else the WMS's own words."""
    for value in (shipment.scac, shipment.carrier):
        key = "".join(value.upper().split())
        if key in TRACKING_COMPANIES:
            return TRACKING_COMPANIES[key]
    return shipment.carrier or shipment.scac


def tracking_input(shipment: ShipmentRecord) -> dict[str, str]:
    tracking = {
        "number": shipment.tracking_number,
        "company": tracking_company(shipment),
        "url": shipment.tracking_url,
    }
    return {key: value for key, value in tracking.items() if value}


def fulfillment_input(
    group: list[dict[str, Any]], *, shipment: ShipmentRecord, notify_customer: bool
) -> dict[str, Any]:
    """The FulfillmentInput of fulfillmentCreate for one location's fulfillment orders."""
    fulfillment: dict[str, Any] = {
        "lineItemsByFulfillmentOrder": group,
        "notifyCustomer": notify_customer,
    }
    tracking = tracking_input(shipment)
    if tracking:
        fulfillment["trackingInfo"] = tracking
    return fulfillment


def tracking_key(shipment: ShipmentRecord) -> str:
    """The shipment's tracking number as compared with Shopify's ("" when it has none)."""
    return shipment.tracking_number.strip().casefold()


def fulfillments_with_tracking(fulfillments: Iterable[dict[str, Any]], number: str) -> list[str]:
    """The numeric ids of the live fulfillments that carry this tracking number (tracking_key
    form)."""
    return [
        str(fulfillment.get("legacyResourceId") or legacy_id(fulfillment["id"]))
        for fulfillment in fulfillments
        if fulfillment.get("status") not in FAILED_FULFILLMENT_STATUSES
        and any(
            (info.get("number") or "").strip().casefold() == number
            for info in fulfillment.get("trackingInfo") or []
        )
    ]


@dataclass
class FulfillmentOrderLine:
    id: str
    line_item_id: str  # numeric, as in UploadLine.source_line_id
    sku: str
    remaining: int


@dataclass
class FulfillmentOrder:
    id: str
    status: str
    location_id: str
    lines: list[FulfillmentOrderLine] = field(default_factory=list)


def fulfillment_orders(order_node: dict[str, Any]) -> list[FulfillmentOrder]:
    result = []
    for node in (order_node.get("fulfillmentOrders") or {}).get("nodes") or []:
        location = (node.get("assignedLocation") or {}).get("location") or {}
        result.append(
            FulfillmentOrder(
                id=node["id"],
                status=node.get("status") or "",
                location_id=location.get("id") or "",
                lines=[
                    FulfillmentOrderLine(
                        id=line["id"],
                        line_item_id=legacy_id((line.get("lineItem") or {}).get("id") or ""),
                        sku=(line.get("lineItem") or {}).get("sku") or "",
                        remaining=int(line.get("remainingQuantity") or 0),
                    )
                    for line in (node.get("lineItems") or {}).get("nodes") or []
                ],
            )
        )
    return result


class _Allocation:
    """What a shipment takes from the open fulfillment orders, grouped by location."""

    def __init__(self, open_orders: Sequence[FulfillmentOrder]) -> None:
        self.open_orders = open_orders
        self.remaining = {line.id: line.remaining for fo in open_orders for line in fo.lines}
        self.by_location: dict[str, dict[str, dict[str, Any]]] = {}

    def take_all(self) -> None:
        """Everything left: no line list, so Shopify fulfils what remains on each."""
        for fo in self.open_orders:
            if any(line.remaining > 0 for line in fo.lines):
                self.by_location.setdefault(fo.location_id, {})[fo.id] = {
                    "fulfillmentOrderId": fo.id
                }

    def take(self, matches: Callable[[FulfillmentOrderLine], bool], quantity: int) -> int:
        """Take up to `quantity` from the matching lines, in order; return what is left."""
        left = quantity
        for fo in self.open_orders:
            for line in fo.lines:
                if left == 0 or not matches(line) or self.remaining[line.id] <= 0:
                    continue
                taken = min(left, self.remaining[line.id])
                self.remaining[line.id] -= taken
                left -= taken
                entry = self.by_location.setdefault(fo.location_id, {}).setdefault(
                    fo.id, {"fulfillmentOrderId": fo.id, "fulfillmentOrderLineItems": []}
                )
                entry["fulfillmentOrderLineItems"].append({"id": line.id, "quantity": taken})
        return left

    def groups(self) -> list[list[dict[str, Any]]]:
        return [list(entries.values()) for entries in self.by_location.values()]


def fulfillment_groups(
    *,
    order: UploadOrder,
    shipment: ShipmentRecord,
    orders_fulfillment_orders: Sequence[FulfillmentOrder],
) -> list[list[dict[str, Any]]]:
    """lineItemsByFulfillmentOrder for the shipment, one list per Shopify location.

    A shipment line names its order line (source_line_id) or only a SKU; its quantity is
    taken from the open fulfillment orders that still have that line to fulfil. A shipment
    without lines fulfils everything still open. Raises RecordError when Shopify has less
    left to fulfil than the shipment holds, or does not have the line at all.
    """
    open_orders = [fo for fo in orders_fulfillment_orders if fo.status in FULFILLABLE_STATUSES]
    if not any(line.remaining > 0 for fo in open_orders for line in fo.lines):
        raise RecordError(
            f"Shopify order {order_reference(order)} has nothing left to fulfil (it is "
            "fulfilled, cancelled or on hold in Shopify). Check the order in Shopify.",
            record_ref=order.source_order_id,
        )
    allocation = _Allocation(open_orders)
    if not shipment.lines:
        allocation.take_all()
    for shipment_line in shipment.lines:
        quantity = _whole_quantity(order, shipment_line)
        matches = _line_matcher(order, shipment_line)
        if not any(matches(line) for fo in orders_fulfillment_orders for line in fo.lines):
            raise RecordError(
                f"Shopify order {order_reference(order)} has no line with SKU "
                f"{shipment_line.sku}. Check the shipment's lines against the order in Shopify.",
                record_ref=order.source_order_id,
            )
        left = allocation.take(matches, quantity)
        if left:
            raise RecordError(
                f"Shopify order {order_reference(order)} has {quantity - left} of SKU "
                f"{shipment_line.sku} left to fulfil, but the shipment has {quantity}. "
                "Check the order in Shopify (a line fulfilled already, removed or on hold).",
                record_ref=order.source_order_id,
            )
    return allocation.groups()


def _whole_quantity(order: UploadOrder, shipment_line: ShipmentLineRecord) -> int:
    quantity = shipment_line.quantity
    if quantity != quantity.to_integral_value() or quantity <= 0:
        raise RecordError(
            f"Shopify takes whole quantities; the shipment has {quantity} of "
            f"{shipment_line.sku}. Correct the shipment.",
            record_ref=order.source_order_id,
        )
    return int(quantity)


def _line_matcher(
    order: UploadOrder, shipment_line: ShipmentLineRecord
) -> Callable[[FulfillmentOrderLine], bool]:
    """Which fulfillment order lines a shipment line is for: its order line(s) where known,
    else every line with its SKU."""
    wanted_ids = _line_item_ids(order, shipment_line.source_line_id, shipment_line.sku)
    if wanted_ids:
        return lambda line: line.line_item_id in wanted_ids
    return lambda line: line.sku == shipment_line.sku


def _line_item_ids(order: UploadOrder, source_line_id: str, sku: str) -> set[str]:
    if source_line_id:
        return {source_line_id}
    return {line.source_line_id for line in order.lines if line.sku == sku and line.source_line_id}
