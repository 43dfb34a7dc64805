"""WooCommerce REST v3 payloads to the hub's records and back: pure functions, no HTTP."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from integration_manager.connector_errors import RecordError
from integration_manager.parsing import parse_amount
from integration_manager.records import (
    Address,
    OrderLineRecord,
    OrderRecord,
    ShipmentRecord,
    StockLevel,
)

ZERO = Decimal("0")
# The hub keeps money with four places (orders.models.MONEY); a unit price derived from a
# line total (10.00 for 3) needs more than the cart's two.
UNIT = Decimal("0.0001")
ONE_SECOND = timedelta(seconds=1)

# A fully refunded order must not ship any more than a cancelled one.
CANCELED_STATUSES = frozenset({"cancelled", "refunded"})
# Statuses a shipment must not silently overwrite: the merchant stopped these orders.
STOPPED_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})
# Always downloaded besides the merchant's choice, so that a cancellation reaches the hub.
CANCELLATION_STATUSES = ("cancelled", "refunded")


# dates ---------------------------------------------------------------------------------


def parse_gmt(value: Any) -> datetime | None:
    """A WooCommerce *_gmt value ("2017-03-22T19:28:08", no offset) as an aware UTC datetime."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_gmt(moment: datetime) -> str:
    """The form WooCommerce's modified_after wants with dates_are_gmt=true: UTC, no offset."""
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def whole_second(moment: datetime) -> datetime:
    """WooCommerce stores seconds; filters on fractions would only blur the overlap logic."""
    return moment.astimezone(UTC).replace(microsecond=0)


def modified_at(payload: Mapping[str, Any]) -> datetime | None:
    """When the order last changed (GMT); the created date for an order never modified."""
    return parse_gmt(payload.get("date_modified_gmt")) or parse_gmt(payload.get("date_created_gmt"))


# orders --------------------------------------------------------------------------------


def money(value: Any, *, field: str, order_id: str) -> Decimal:
    """A money string ("6.00") or number (line "price" is one) as Decimal; never via float."""
    try:
        return parse_amount(value)
    except ValueError:
        raise RecordError(
            f"WooCommerce order {order_id} has an unreadable amount in {field} ({value!r}). "
            "Open the order in WooCommerce and check its totals.",
            record_ref=order_id,
        ) from None


def order_id_of(payload: Any) -> str:
    """The order's id as text, or "" when the payload has none (it is then not an order)."""
    if isinstance(payload, Mapping) and payload.get("id") not in (None, ""):
        return str(payload["id"])
    return ""


def order_record(payload: Mapping[str, Any]) -> OrderRecord:
    """Normalise one order from GET /orders; RecordError (record_ref = order id) if it cannot be.

    Charges follow CartRover's definitions. WooCommerce applies coupons before tax, so a coupon
    is a pre-tax discount on each line (subtotal - total), never an order-level post-tax one.
    Fees have no line of their own at the WMS: positive fees count as handling, negative fees
    (discount plugins add them) as the post-tax order discount, so the grand total still equals
    what the customer paid.
    """
    order_id = order_id_of(payload)
    if not order_id:
        raise RecordError("WooCommerce sent an order without an id.", record_ref="")
    ordered_at = parse_gmt(payload.get("date_created_gmt"))
    if ordered_at is None:
        raise RecordError(
            f"WooCommerce order {order_id} has no date_created_gmt. "
            "Update WooCommerce to a version with REST API v3 dates (3.0 or later).",
            record_ref=order_id,
        )
    canceled = payload.get("status") in CANCELED_STATUSES
    lines = tuple(
        line
        for line in (
            # A cancellation must reach the hub even when a product lost its SKU.
            _line(item, order_id=order_id, need_sku=not canceled)
            for item in payload.get("line_items") or []
        )
        if line is not None
    )
    if not lines and not canceled:
        raise RecordError(
            f"WooCommerce order {order_id} has no line with a quantity to ship.",
            record_ref=order_id,
        )
    # The exact line totals, rather than the lines' rounded unit prices times quantities.
    kept = {line.source_line_id for line in lines}
    sub_total = sum(
        (
            money(item.get("total"), field="line total", order_id=order_id)
            for item in payload.get("line_items") or []
            if str(item.get("id") or "") in kept
        ),
        ZERO,
    )
    fees = [
        money(fee.get("total"), field="fee total", order_id=order_id)
        for fee in payload.get("fee_lines") or []
    ]
    shipping = money(payload.get("shipping_total"), field="shipping_total", order_id=order_id)
    ship_code, ship_description = ship_method(payload.get("shipping_lines") or [])
    billing = payload.get("billing") or {}
    return OrderRecord(
        source_order_id=order_id,
        order_number=str(payload.get("number") or order_id),
        ordered_at=ordered_at,
        updated_at=modified_at(payload),
        ship_to=ship_to_address(payload),
        bill_to=_address(billing, email=billing.get("email"), phone=billing.get("phone")),
        lines=lines,
        ship_code=ship_code,
        ship_description=ship_description,
        currency=str(payload.get("currency") or "USD"),
        sub_total=sub_total,
        order_discount=-sum((fee for fee in fees if fee < 0), ZERO),
        sales_tax=money(payload.get("total_tax"), field="total_tax", order_id=order_id),
        shipping_handling=shipping + sum((fee for fee in fees if fee > 0), ZERO),
        grand_total=money(payload.get("total"), field="total", order_id=order_id),
        notes=str(payload.get("customer_note") or ""),
        canceled=canceled,
        raw=dict(payload),
    )


def _quantity(item: Mapping[str, Any], *, order_id: str) -> Decimal:
    try:
        return Decimal(str(item.get("quantity") or 0))
    except InvalidOperation:
        raise RecordError(
            f"WooCommerce order {order_id} has a line with an unreadable quantity.",
            record_ref=order_id,
        ) from None


def _line(
    item: Mapping[str, Any], *, order_id: str, need_sku: bool = True
) -> OrderLineRecord | None:
    quantity = _quantity(item, order_id=order_id)
    if quantity <= 0:  # an item edited down to nothing: nothing to pick
        return None
    name = html.unescape(str(item.get("name") or ""))
    sku = str(item.get("sku") or "").strip()
    if not sku and not need_sku:
        return None
    if not sku:
        # The line's SKU is the product's current SKU, so fixing the product and saving the
        # order again (which changes its modification date) brings it back down.
        raise RecordError(
            f"WooCommerce order {order_id}: the product “{name or item.get('product_id')}” "
            "has no SKU, so the warehouse cannot pick it. Give the product (or variation) a SKU "
            "in WooCommerce, then save the order again so the hub downloads it.",
            record_ref=order_id,
        )
    # "price" in the payload is the discounted unit price as a float: use the line amounts.
    subtotal = money(item.get("subtotal"), field="line subtotal", order_id=order_id)
    total = money(item.get("total"), field="line total", order_id=order_id)
    return OrderLineRecord(
        sku=sku,
        quantity=quantity,
        price=(subtotal / quantity).quantize(UNIT, rounding=ROUND_HALF_UP),
        description=name,
        source_line_id=str(item.get("id") or ""),
        discount=((subtotal - total) / quantity).quantize(UNIT, rounding=ROUND_HALF_UP),
        tax=money(item.get("total_tax"), field="line total_tax", order_id=order_id),
    )


def _text(value: Any) -> str:
    return str(value or "").strip()


def _address(data: Mapping[str, Any], *, email: Any, phone: Any) -> Address:
    return Address(
        company=_text(data.get("company")),
        first_name=_text(data.get("first_name")),
        last_name=_text(data.get("last_name")),
        address_1=_text(data.get("address_1")),
        address_2=_text(data.get("address_2")),
        city=_text(data.get("city")),
        state=_text(data.get("state")),
        zip=_text(data.get("postcode")),
        country=_text(data.get("country")),
        phone=_text(phone),
        email=_text(email),
    )


def ship_to_address(payload: Mapping[str, Any]) -> Address:
    """The shipping address, or the billing one when the order has none (orders entered in the
    admin often leave it empty). Shipping has no e-mail, and a phone only since WooCommerce
    5.6: carriers want both, so they come from billing when missing."""
    shipping = payload.get("shipping") or {}
    billing = payload.get("billing") or {}
    has_shipping = _text(shipping.get("address_1")) or _text(shipping.get("country"))
    source = shipping if has_shipping else billing
    return _address(
        source,
        email=billing.get("email"),
        phone=_text(shipping.get("phone")) or billing.get("phone"),
    )


def ship_method(shipping_lines: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    """(ship code, description): the title of the first shipping line is what the merchant
    named the method ("UPS Ground"), which the 3PL maps; method_id alone ("flat_rate") cannot
    tell two flat rates apart, so it goes to the description with its instance id."""
    for line in shipping_lines:
        title = html.unescape(_text(line.get("method_title")))
        method_id = _text(line.get("method_id"))
        instance = _text(line.get("instance_id"))
        description = f"{method_id}:{instance}" if method_id and instance else method_id
        if title or method_id:
            return title or method_id, description
    return "", ""


# shipments -----------------------------------------------------------------------------


def shipment_marker(shipment: ShipmentRecord) -> str:
    """What identifies this shipment in the cart: its tracking number, else the WMS reference."""
    return shipment.tracking_number.strip() or shipment.wms_shipment_ref.strip()


def tracking_note(shipment: ShipmentRecord) -> str:
    """The order note for a shipment; it names the tracking number (or the WMS reference) so
    that find_shipment can recognise it later."""
    carrier = " ".join(part for part in (shipment.carrier, shipment.method) if part).strip()
    text = f"Your order has shipped with {carrier}." if carrier else "Your order has shipped."
    if shipment.tracking_number.strip():
        text += f" Tracking number: {shipment.tracking_number.strip()}."
        if shipment.tracking_url:
            text += f" Track it at {shipment.tracking_url}"
    else:
        text += f" Shipment reference: {shipment.wms_shipment_ref.strip()}."
    return text


def mentions(text: str, marker: str) -> bool:
    """Whether a note names the marker as a whole word (1Z99 must not match 1Z999)."""
    if not marker:
        return False
    return re.search(rf"(?<![\w-]){re.escape(marker)}(?![\w-])", text) is not None


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def provider_name(candidates: Iterable[str], providers: Mapping[str, Any]) -> str:
    """The Shipment Tracking provider whose name matches the carrier ("FEDEX" -> "Fedex"), or ""
    when none does. providers is the extension's {country: {name: link}} list."""
    names: dict[str, str] = {}
    for group in providers.values():
        if isinstance(group, Mapping):
            for name in group:
                names.setdefault(_squash(str(name)), str(name))
    for candidate in candidates:
        match = names.get(_squash(candidate))
        if candidate.strip() and match:
            return match
    return ""


def tracking_body(shipment: ShipmentRecord, *, providers: Mapping[str, Any]) -> dict[str, str]:
    """The body of POST .../shipment-trackings. A carrier the extension knows goes by its name
    (the extension then builds the link); any other as a custom provider with our link."""
    body = {
        "tracking_number": shipment.tracking_number.strip(),
        "date_shipped": shipment.shipped_at.astimezone(UTC).date().isoformat(),
    }
    provider = provider_name((shipment.carrier, shipment.scac), providers)
    if provider:
        body["tracking_provider"] = provider
    else:
        name = shipment.carrier.strip() or shipment.scac.strip() or shipment.method.strip()
        body["custom_tracking_provider"] = name or "Carrier"
        if shipment.tracking_url:
            body["custom_tracking_link"] = shipment.tracking_url
    return body


# inventory -----------------------------------------------------------------------------


def stock_quantities(levels: Iterable[StockLevel]) -> dict[str, int]:
    """Quantity per SKU. Several levels for one SKU (one per location) are added up, as the
    hub does for a cart without a location; a negative WMS figure (oversold) becomes 0."""
    quantities: dict[str, int] = {}
    for level in levels:
        sku = level.sku.strip()
        if sku:
            quantities[sku] = quantities.get(sku, 0) + int(level.available)
    return {sku: max(0, quantity) for sku, quantity in quantities.items()}


def stock_update(object_id: int, quantity: int) -> dict[str, Any]:
    """One entry of a products or variations batch "update" list. stock_quantity is ignored
    unless the product manages stock, so that is switched on: the WMS is the stock's truth."""
    return {"id": object_id, "manage_stock": True, "stock_quantity": quantity}
