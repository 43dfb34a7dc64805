"""Pure functions between Shopify's GraphQL payloads and the hub's records."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from integration_manager.connector_errors import RecordError
from integration_manager.parsing import parse_amount
from integration_manager.records import (
    ZERO,
    Address,
    OrderLineRecord,
    OrderRecord,
    ShipmentRecord,
    UploadOrder,
)

CENT = Decimal("0.01")
# The hub stores money with four decimals: a per-unit share of a discount keeps them.
FOUR_PLACES = Decimal("0.0001")

# Shopify's displayFinancialStatus values, in the order the settings form lists them.
FINANCIAL_STATUSES = (
    ("PAID", "Paid"),
    ("PARTIALLY_PAID", "Partially paid"),
    ("PARTIALLY_REFUNDED", "Partially refunded"),
    ("AUTHORIZED", "Authorized (payment captured later)"),
    ("PENDING", "Pending"),
    ("REFUNDED", "Refunded"),
    ("VOIDED", "Voided"),
    ("EXPIRED", "Expired"),
)
# A 3PL ships what has been paid for; a partial refund before shipping leaves the rest to
# ship. Shops that capture payment at fulfilment add AUTHORIZED (see docs/carts/shopify.md).
DEFAULT_FINANCIAL_STATUSES = ("PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED")

# Orders shipped in full (by the shop or by us) have nothing left for the warehouse.
DONE_FULFILLMENT_STATUSES = frozenset({"FULFILLED", "RESTOCKED"})

# Fulfillment orders that can take a fulfillment now.
FULFILLABLE_STATUSES = frozenset({"OPEN", "IN_PROGRESS"})

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


def gid(kind: str, value: str | int) -> str:
    """Shopify's global id for a numeric id; a value that already is one is kept."""
    text = str(value).strip()
    if text.startswith("gid://"):
        return text
    return f"gid://shopify/{kind}/{text}"


def legacy_id(global_id: str) -> str:
    """The numeric id at the end of a global id (gid://shopify/LineItem/123 -> "123")."""
    return str(global_id).rsplit("/", 1)[-1].split("?", 1)[0]


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def money(bag: dict[str, Any] | None) -> Decimal:
    """The shop-currency amount of a MoneyBag, as a Decimal."""
    if not bag:
        return ZERO
    return parse_amount((bag.get("shopMoney") or {}).get("amount"))


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def skip_reason(node: dict[str, Any], *, financial_statuses: Collection[str]) -> str:
    """Why an order is not downloaded ("" when it is). Cancelled orders always come down,
    so the hub can stop one it already has."""
    if node.get("cancelledAt"):
        return ""
    status = node.get("displayFinancialStatus") or ""
    if status not in financial_statuses:
        return f"financial status {status or 'unknown'} is not selected"
    if node.get("displayFulfillmentStatus") in DONE_FULFILLMENT_STATUSES:
        return "already fulfilled"
    return ""


def address(mailing: dict[str, Any] | None, *, email: str = "", phone: str = "") -> Address:
    mailing = mailing or {}
    return Address(
        company=mailing.get("company") or "",
        first_name=mailing.get("firstName") or "",
        last_name=mailing.get("lastName") or "",
        address_1=mailing.get("address1") or "",
        address_2=mailing.get("address2") or "",
        city=mailing.get("city") or "",
        state=mailing.get("provinceCode") or mailing.get("province") or "",
        zip=mailing.get("zip") or "",
        country=mailing.get("countryCodeV2") or "",
        phone=mailing.get("phone") or phone,
        email=email,
    )


@dataclass(frozen=True)
class _LineCharges:
    record: OrderLineRecord
    net: Decimal  # what the line adds to sub_total, exact to the cent


def line_charges(item: dict[str, Any], *, taxes_included: bool) -> _LineCharges | None:
    """One line per CartRover's charge definitions; None for a line with nothing to ship.

    Shopify discounts are all pre-tax and all allocated to lines (an order-level code is
    spread across them), so they become the per-unit `discount`. Amounts are for the
    ordered quantity; the line keeps what is left after edits and refunds (currentQuantity).
    """
    current = int(item.get("currentQuantity") or 0)
    ordered = int(item.get("quantity") or 0)
    if current <= 0 or ordered <= 0 or not item.get("requiresShipping", True):
        return None
    unit = money(item.get("originalUnitPriceSet"))
    allocated = _sum(
        money(a.get("allocatedAmountSet")) for a in item.get("discountAllocations") or []
    )
    tax_ordered = _sum(money(t.get("priceSet")) for t in item.get("taxLines") or [])
    discount = allocated / ordered
    tax = (tax_ordered * current / ordered).quantize(CENT)
    gross = (unit - discount) * current
    if taxes_included:
        # Prices include tax: take the line's tax out of price and discount alike, so
        # (price - discount) * quantity is the pre-tax amount.
        net = gross - tax
        ratio = net / gross if gross else Decimal(1)
        unit, discount = unit * ratio, discount * ratio
    else:
        net = gross
    record = OrderLineRecord(
        sku=item.get("sku") or "",
        quantity=Decimal(current),
        price=unit.quantize(FOUR_PLACES),
        description=item.get("name") or item.get("title") or "",
        source_line_id=legacy_id(item["id"]),
        discount=discount.quantize(FOUR_PLACES),
        tax=tax,
    )
    return _LineCharges(record=record, net=net.quantize(CENT))


def order_record(node: dict[str, Any], *, line_items: Sequence[dict[str, Any]]) -> OrderRecord:
    """Normalise an order; line_items are all its lines (the page holds only the first few).

    Raises ValueError or KeyError for a payload that cannot be read.
    """
    taxes_included = bool(node.get("taxesIncluded"))
    charges = [
        charge
        for charge in (line_charges(item, taxes_included=taxes_included) for item in line_items)
        if charge is not None
    ]
    shipping_lines = (node.get("shippingLines") or {}).get("nodes") or []
    shipping = ZERO
    shipping_tax = ZERO
    for shipping_line in shipping_lines:
        tax = _sum(money(t.get("priceSet")) for t in shipping_line.get("taxLines") or [])
        charged = money(shipping_line.get("currentDiscountedPriceSet"))
        shipping += charged - tax if taxes_included else charged
        shipping_tax += tax
    sub_total = _sum(charge.net for charge in charges)
    sales_tax = (_sum(charge.record.tax for charge in charges) + shipping_tax).quantize(CENT)
    first_shipping = shipping_lines[0] if shipping_lines else {}
    email = node.get("email") or ""
    phone = node.get("phone") or ""
    return OrderRecord(
        source_order_id=str(node["legacyResourceId"]),
        order_number=node.get("name") or str(node["legacyResourceId"]),
        ordered_at=parse_time(node["createdAt"]),
        updated_at=parse_time(node["updatedAt"]),
        ship_to=address(node.get("shippingAddress"), email=email, phone=phone),
        bill_to=address(node.get("billingAddress"), email=email, phone=phone),
        lines=tuple(charge.record for charge in charges),
        ship_code=first_shipping.get("code") or first_shipping.get("title") or "",
        ship_description=first_shipping.get("title") or "",
        currency=node.get("currencyCode") or "USD",
        sub_total=sub_total,
        order_discount=ZERO,
        sales_tax=sales_tax,
        shipping_handling=shipping.quantize(CENT),
        grand_total=sub_total + sales_tax + shipping.quantize(CENT),
        notes=node.get("note") or "",
        canceled=bool(node.get("cancelledAt")),
        raw=node,
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
    reference = order.order_number or order.source_order_id
    open_orders = [fo for fo in orders_fulfillment_orders if fo.status in FULFILLABLE_STATUSES]
    if not any(line.remaining > 0 for fo in open_orders for line in fo.lines):
        raise RecordError(
            f"Shopify order {reference} has nothing left to fulfil (it is fulfilled, "
            "cancelled or on hold in Shopify). Check the order in Shopify.",
            record_ref=order.source_order_id,
        )
    by_location: dict[str, dict[str, dict[str, Any]]] = {}
    if not shipment.lines:
        for fo in open_orders:
            if any(line.remaining > 0 for line in fo.lines):
                # No line list: Shopify fulfils all that is left on this fulfillment order.
                by_location.setdefault(fo.location_id, {})[fo.id] = {"fulfillmentOrderId": fo.id}
        return [list(entries.values()) for entries in by_location.values()]

    remaining = {line.id: line.remaining for fo in open_orders for line in fo.lines}
    for shipment_line in shipment.lines:
        quantity = shipment_line.quantity
        if quantity != quantity.to_integral_value() or quantity <= 0:
            raise RecordError(
                f"Shopify takes whole quantities; the shipment has {quantity} of "
                f"{shipment_line.sku}. Correct the shipment.",
                record_ref=order.source_order_id,
            )
        wanted_ids = _line_item_ids(order, shipment_line.source_line_id, shipment_line.sku)
        known = any(
            (line.line_item_id in wanted_ids) if wanted_ids else (line.sku == shipment_line.sku)
            for fo in orders_fulfillment_orders
            for line in fo.lines
        )
        if not known:
            raise RecordError(
                f"Shopify order {reference} has no line with SKU {shipment_line.sku}. Check "
                "the shipment's lines against the order in Shopify.",
                record_ref=order.source_order_id,
            )
        left = int(quantity)
        for fo in open_orders:
            for line in fo.lines:
                matches = (
                    line.line_item_id in wanted_ids if wanted_ids else line.sku == shipment_line.sku
                )
                if left == 0 or not matches or remaining[line.id] <= 0:
                    continue
                take = min(left, remaining[line.id])
                remaining[line.id] -= take
                left -= take
                entry = by_location.setdefault(fo.location_id, {}).setdefault(
                    fo.id, {"fulfillmentOrderId": fo.id, "fulfillmentOrderLineItems": []}
                )
                entry["fulfillmentOrderLineItems"].append({"id": line.id, "quantity": take})
        if left:
            raise RecordError(
                f"Shopify order {reference} has {int(quantity) - left} of SKU "
                f"{shipment_line.sku} left to fulfil, but the shipment has {int(quantity)}. "
                "Check the order in Shopify (a line fulfilled already, removed or on hold).",
                record_ref=order.source_order_id,
            )
    return [list(entries.values()) for entries in by_location.values()]


def _line_item_ids(order: UploadOrder, source_line_id: str, sku: str) -> set[str]:
    if source_line_id:
        return {source_line_id}
    return {line.source_line_id for line in order.lines if line.sku == sku and line.source_line_id}
