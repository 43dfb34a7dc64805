"""BigCommerce payloads to our records and back: pure functions, no HTTP."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
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

# GET /v2/order_statuses; the ids are fixed, the names can be relabelled per store.
STATUS_NAMES: dict[int, str] = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}
SHIPPED = 2
CANCELLED = 5
AWAITING_FULFILLMENT = 11
DEFAULT_DOWNLOAD_STATUSES = (AWAITING_FULFILLMENT,)

TRACKING_NUMBER_MAX = 50  # orderShipment_Post.tracking_number maxLength
TRACKING_LINK_MAX = 500
# Money is sent with four decimals; finer differences are rounding, not discounts.
FOUR_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")

# The core providers BigCommerce draws tracking links for (orderShipment_Post's enum).
# Anything else goes in tracking_carrier as an AfterShip courier slug.
_PROVIDERS = {
    "ups": "ups",
    "upsn": "ups",
    "united parcel service": "ups",
    "usps": "usps",
    "united states postal service": "usps",
    "us postal service": "usps",
    "fedex": "fedex",
    "federal express": "fedex",
    "fdeg": "fedex",
    "fdxg": "fedex",
    "fdxe": "fedex",
    "fdex": "fedex",
    "canada post": "canadapost",
    "canadapost": "canadapost",
    "australia post": "auspost",
    "auspost": "auspost",
    "royal mail": "royalmail",
    "royalmail": "royalmail",
    "endicia": "endicia",
}


def parse_date(value: Any) -> datetime:
    """An RFC-2822 date as BigCommerce writes it ("Tue, 05 Mar 2019 21:40:11 +0000"), in UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a date: {value!r}")
    parsed = email.utils.parsedate_to_datetime(value)  # ValueError when unreadable
    if parsed.tzinfo is None:  # "-0000" means "UTC, source unknown"
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def money(value: Any) -> Decimal:
    """BigCommerce money: a decimal string ("12.9900"), sometimes a number; never a float here."""
    return parse_amount(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def address(payload: Mapping[str, Any] | None) -> Address:
    """A billing or shipping address of a v2 order."""
    payload = payload or {}
    return Address(
        company=_text(payload.get("company")),
        first_name=_text(payload.get("first_name")),
        last_name=_text(payload.get("last_name")),
        address_1=_text(payload.get("street_1")),
        address_2=_text(payload.get("street_2")),
        city=_text(payload.get("city")),
        state=_text(payload.get("state")),
        zip=_text(payload.get("zip")),
        # The WMS wants the ISO code; the name is only a fallback for old orders.
        country=_text(payload.get("country_iso2")) or _text(payload.get("country")),
        phone=_text(payload.get("phone")),
        email=_text(payload.get("email")),
    )


def is_physical(product: Mapping[str, Any]) -> bool:
    # Digital downloads and gift certificates never reach a warehouse.
    return product.get("type", "physical") == "physical"


def _line_description(product: Mapping[str, Any]) -> str:
    name = _text(product.get("name"))
    options = [
        f"{_text(option.get('display_name'))}: {_text(option.get('display_value'))}"
        for option in product.get("product_options") or []
        if _text(option.get("display_name"))
    ]
    return f"{name} ({', '.join(options)})" if options else name


def _line(product: Mapping[str, Any], *, order_id: str) -> OrderLineRecord:
    sku = _text(product.get("sku"))
    if not sku:
        raise RecordError(
            f"Order {order_id}: the product “{_text(product.get('name'))}” has no SKU. "
            "Give it a SKU in BigCommerce, then download the order again.",
            record_ref=order_id,
        )
    quantity = Decimal(int(product["quantity"]))
    if quantity <= 0:
        raise ValueError(f"quantity {quantity}")
    # applied_discounts hold every discount on the line (coupon, automatic, manual), for the
    # whole line, taken off before tax: BigCommerce taxes (price_ex_tax - discount) * rate.
    line_discount = sum(
        (money(discount.get("amount")) for discount in product.get("applied_discounts") or []),
        ZERO,
    )
    return OrderLineRecord(
        sku=sku,
        quantity=quantity,
        price=money(product.get("price_ex_tax")),
        description=_line_description(product),
        source_line_id=str(product["id"]),
        discount=(line_discount / quantity).quantize(FOUR_PLACES),
        tax=money(product.get("total_tax")),
    )


def ship_to_address_id(products: Sequence[Mapping[str, Any]], *, order_id: str) -> int | None:
    """The one shipping address the physical products go to (None: they name none)."""
    ids = {
        int(product["order_address_id"])
        for product in products
        if is_physical(product) and product.get("order_address_id")
    }
    if len(ids) > 1:
        raise RecordError(
            f"Order {order_id} ships to {len(ids)} addresses; the hub sends one address per "
            "order to the warehouse. Ship it by hand, or split it into one order per address.",
            record_ref=order_id,
        )
    return ids.pop() if ids else None


def order_record(
    order: Mapping[str, Any],
    *,
    products: Sequence[Mapping[str, Any]],
    shipping_addresses: Sequence[Mapping[str, Any]],
) -> OrderRecord | None:
    """Normalise a v2 order and its two sub-resources; None when nothing in it ships.

    Charges follow CartRover's definitions: line price is price_ex_tax, line discount the
    line's applied discounts per unit (pre-tax), line tax its total_tax; sales_tax is the
    order's total_tax; shipping_handling is every charge besides goods and tax, ex tax
    (shipping, handling, gift wrapping, fees); grand_total is what the shopper paid
    (total_inc_tax), and whatever that leaves unexplained is the order-level discount.
    """
    order_id = str(order.get("id", ""))
    try:
        physical = [product for product in products if is_physical(product)]
        if not physical:
            return None  # a download or a gift certificate: nothing for the warehouse
        lines = tuple(_line(product, order_id=order_id) for product in physical)
        address_id = ship_to_address_id(physical, order_id=order_id)
        shipping = _shipping_address(shipping_addresses, address_id=address_id)
        if shipping is None:
            raise RecordError(
                f"Order {order_id} has no shipping address (a pickup order?). Add one in "
                "BigCommerce, or ship the order by hand.",
                record_ref=order_id,
            )
        sales_tax = money(order.get("total_tax"))
        shipping_handling = (
            money(order.get("shipping_cost_ex_tax"))
            + money(order.get("handling_cost_ex_tax"))
            + money(order.get("wrapping_cost_ex_tax"))
            + sum((_fee_ex_tax(fee) for fee in order.get("fees") or []), ZERO)
        )
        grand_total = money(order.get("total_inc_tax"))
        sub_total = sum((line.extended_amount for line in lines), ZERO)
        unexplained = (sub_total + sales_tax + shipping_handling - grand_total).quantize(CENT)
        # A positive remainder is a discount BigCommerce kept at order level (no line
        # carries it); a negative one is a charge we do not model, so the stated total wins.
        order_discount = unexplained if unexplained > 0 else ZERO
        status_id = int(order.get("status_id", -1))
        return OrderRecord(
            source_order_id=order_id,
            order_number=order_id,
            ordered_at=parse_date(order.get("date_created")),
            updated_at=parse_date(order.get("date_modified")),
            ship_to=address(shipping),
            bill_to=address(order.get("billing_address")),
            lines=lines,
            ship_code=_text(shipping.get("shipping_method")),
            ship_description=_text(shipping.get("shipping_method")),
            # default_currency_code is what the shopper paid in; currency_code is only the
            # currency the storefront displayed.
            currency=_text(order.get("default_currency_code"))
            or _text(order.get("currency_code"))
            or "USD",
            sub_total=sub_total,
            order_discount=order_discount,
            sales_tax=sales_tax,
            shipping_handling=shipping_handling,
            grand_total=grand_total,
            notes=_text(order.get("customer_message")),
            canceled=status_id == CANCELLED,
            raw={
                "order": dict(order),
                "products": [dict(product) for product in products],
                "shipping_addresses": [
                    dict(shipping_address) for shipping_address in shipping_addresses
                ],
                # What a shipment upload needs, where it is easy to find.
                "order_address_id": shipping.get("id"),
            },
        )
    except RecordError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise RecordError(
            f"Order {order_id} could not be read ({type(error).__name__}: {error}). "
            "Check the order in BigCommerce; the hub will read it again when it changes.",
            record_ref=order_id,
        ) from None


def _fee_ex_tax(fee: Mapping[str, Any]) -> Decimal:
    # The vendor's own example spells it both ways.
    return money(fee.get("cost_ex_tax", fee.get("cost_exc_tax")))


def _shipping_address(
    addresses: Sequence[Mapping[str, Any]], *, address_id: int | None
) -> Mapping[str, Any] | None:
    if address_id is not None:
        for candidate in addresses:
            if int(candidate.get("id", 0)) == address_id:
                return candidate
    return addresses[0] if addresses else None


def modified_at(order: Mapping[str, Any]) -> datetime:
    return parse_date(order.get("date_modified"))


# shipments -----------------------------------------------------------------------------


def shipping_provider(carrier: str, scac: str = "") -> tuple[str, str]:
    """(shipping_provider, tracking_carrier) for a carrier name or SCAC.

    A provider BigCommerce knows gives its own tracking link; any other carrier is passed
    as an AfterShip courier slug, which is how BigCommerce links the rest.
    """
    for key in (carrier.strip().lower(), scac.strip().lower()):
        if key in _PROVIDERS:
            return _PROVIDERS[key], ""
    slug = re.sub(r"[^a-z0-9]+", "-", carrier.strip().lower()).strip("-")
    return "", slug


def shipment_items(
    *,
    order_id: str,
    shipment: ShipmentRecord,
    products: Sequence[Mapping[str, Any]],
) -> list[dict[str, int]]:
    """The shipment's items as order_product_id and quantity, within what is left to ship.

    Lines name the order product (source_line_id) or only the SKU; a shipment without
    lines is the rest of the order.
    """
    remaining = {
        int(product["id"]): int(product.get("quantity", 0))
        - int(product.get("quantity_shipped", 0) or 0)
        for product in products
        if is_physical(product)
    }
    by_id = {int(product["id"]): product for product in products if is_physical(product)}
    if not shipment.lines:
        items = [
            {"order_product_id": product_id, "quantity": quantity}
            for product_id, quantity in remaining.items()
            if quantity > 0
        ]
        if not items:
            raise RecordError(
                f"BigCommerce shows every item of order {order_id} as shipped already; "
                "there is nothing left for this shipment.",
                record_ref=order_id,
            )
        return items
    wanted: dict[int, int] = {}
    for line in shipment.lines:
        quantity = _whole(line.quantity, order_id=order_id)
        if quantity <= 0:
            continue
        product_id = _product_id(line.source_line_id, by_id)
        candidates = (
            [product_id]
            if product_id is not None
            else [pid for pid, product in by_id.items() if _text(product.get("sku")) == line.sku]
        )
        if not candidates:
            raise RecordError(
                f"The shipment lists SKU {line.sku}, which order {order_id} does not have in "
                "BigCommerce. Check the SKU at the warehouse.",
                record_ref=order_id,
            )
        # One SKU can sit on several lines of an order (different options): fill them in turn.
        for candidate in candidates:
            room = remaining[candidate] - wanted.get(candidate, 0)
            take = min(room, quantity)
            if take > 0:
                wanted[candidate] = wanted.get(candidate, 0) + take
                quantity -= take
            if quantity == 0:
                break
        if quantity > 0:
            raise RecordError(
                f"The shipment sends more of SKU {line.sku} than is left to ship on order "
                f"{order_id} in BigCommerce. Check the quantities at the warehouse.",
                record_ref=order_id,
            )
    if not wanted:
        raise RecordError(
            f"The shipment for order {order_id} has no quantities to ship.", record_ref=order_id
        )
    return [{"order_product_id": pid, "quantity": quantity} for pid, quantity in wanted.items()]


def _product_id(source_line_id: str, by_id: Mapping[int, Any]) -> int | None:
    try:
        product_id = int(source_line_id)
    except (TypeError, ValueError):
        return None
    return product_id if product_id in by_id else None


def _whole(quantity: Decimal, *, order_id: str) -> int:
    if quantity != quantity.to_integral_value():
        raise RecordError(
            f"BigCommerce takes whole quantities; the shipment for order {order_id} has "
            f"{quantity}.",
            record_ref=order_id,
        )
    return int(quantity)


def shipment_body(
    *,
    order: UploadOrder,
    shipment: ShipmentRecord,
    products: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The body of POST /v2/orders/{id}/shipments; order_address_id and items are required."""
    order_id = order.source_order_id
    tracking_number = shipment.tracking_number.strip()
    if len(tracking_number) > TRACKING_NUMBER_MAX:
        raise RecordError(
            f"BigCommerce takes tracking numbers of at most {TRACKING_NUMBER_MAX} characters; "
            f"the one for order {order_id} has {len(tracking_number)}.",
            record_ref=order_id,
        )
    items = shipment_items(order_id=order_id, shipment=shipment, products=products)
    shipped_ids = {item["order_product_id"] for item in items}
    address_id = ship_to_address_id(
        [product for product in products if int(product["id"]) in shipped_ids], order_id=order_id
    )
    if address_id is None:
        address_id = order.raw.get("order_address_id")
    if not address_id:
        raise RecordError(
            f"BigCommerce did not say which address order {order_id} ships to, and a "
            "shipment needs one. Check the order's shipping address in BigCommerce.",
            record_ref=order_id,
        )
    provider, tracking_carrier = shipping_provider(shipment.carrier, shipment.scac)
    body: dict[str, Any] = {
        "order_address_id": int(address_id),
        "tracking_number": tracking_number,
        "shipping_provider": provider,
        "items": items,
    }
    if tracking_carrier:
        body["tracking_carrier"] = tracking_carrier
    method = " ".join(part for part in (shipment.carrier, shipment.method) if part).strip()
    if method:
        body["shipping_method"] = method
    if shipment.tracking_url and len(shipment.tracking_url) <= TRACKING_LINK_MAX:
        body["tracking_link"] = shipment.tracking_url
    return body


def matching_shipment(
    existing: Iterable[Mapping[str, Any]], *, shipment: ShipmentRecord
) -> str | None:
    """The id of a shipment already at BigCommerce that is this one (by tracking number)."""
    wanted = _tracking_key(shipment.tracking_number)
    candidates = list(existing)
    if wanted:
        for candidate in candidates:
            if _tracking_key(candidate.get("tracking_number")) == wanted:
                return str(candidate["id"])
        return None
    # Without a tracking number only the items can tell: an untracked shipment holding the
    # same order products (or any untracked one, when the lines do not name them).
    wanted_products = {line.source_line_id for line in shipment.lines if line.source_line_id}
    for candidate in reversed(candidates):
        if _tracking_key(candidate.get("tracking_number")):
            continue
        shipped = {str(item.get("order_product_id")) for item in candidate.get("items") or []}
        if wanted_products <= shipped:
            return str(candidate["id"])
    return None


def _tracking_key(value: Any) -> str:
    return re.sub(r"\s+", "", _text(value)).upper()
