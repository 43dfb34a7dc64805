"""Shipments to BigCommerce v2 shipment bodies, and an earlier upload found among the listed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from carts.connectors.bigcommerce.orders import is_physical, ship_to_address_id, text
from integration_manager.connector_errors import RecordError
from integration_manager.records import ShipmentLineRecord, ShipmentRecord, UploadOrder

TRACKING_NUMBER_MAX = 50  # orderShipment_Post.tracking_number maxLength
TRACKING_LINK_MAX = 500

# The core providers BigCommerce draws tracking links for (orderShipment_Post's enum).
# Anything else goes in tracking_carrier as an AfterShip courier slug.
PROVIDERS = {
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


def shipping_provider(carrier: str, scac: str = "") -> tuple[str, str]:
    """(shipping_provider, tracking_carrier) for a carrier name or SCAC.

    A provider BigCommerce knows gives its own tracking link; any other carrier is passed
    as an AfterShip courier slug, which is how BigCommerce links the rest.
    """
    for key in (carrier.strip().lower(), scac.strip().lower()):
        if key in PROVIDERS:
            return PROVIDERS[key], ""
    slug = re.sub(r"[^a-z0-9]+", "-", carrier.strip().lower()).strip("-")
    return "", slug


# items ---------------------------------------------------------------------------------


def _left_to_ship(products: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    """Order product id -> the quantity BigCommerce says is not shipped yet (physical only)."""
    return {
        int(product["id"]): int(product.get("quantity", 0))
        - int(product.get("quantity_shipped", 0) or 0)
        for product in products
        if is_physical(product)
    }


def _the_rest(remaining: Mapping[int, int], *, order_id: str) -> list[dict[str, int]]:
    """A shipment without lines: everything left to ship."""
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


def _candidates(
    line: ShipmentLineRecord, by_id: Mapping[int, Mapping[str, Any]], *, order_id: str
) -> list[int]:
    """The order products a shipment line may be: the one it names, or those with its SKU."""
    product_id = _product_id(line.source_line_id, by_id)
    if product_id is not None:
        return [product_id]
    candidates = [pid for pid, product in by_id.items() if text(product.get("sku")) == line.sku]
    if not candidates:
        raise RecordError(
            f"The shipment lists SKU {line.sku}, which order {order_id} does not have in "
            "BigCommerce. Check the SKU at the warehouse.",
            record_ref=order_id,
        )
    return candidates


def _fill(
    line: ShipmentLineRecord,
    quantity: int,
    candidates: Sequence[int],
    *,
    remaining: Mapping[int, int],
    wanted: dict[int, int],
    order_id: str,
) -> None:
    """Add a line's quantity to `wanted`, within what is left to ship on its candidates."""
    # One SKU can sit on several lines of an order (different options): fill them in turn.
    for candidate in candidates:
        take = min(remaining[candidate] - wanted.get(candidate, 0), quantity)
        if take > 0:
            wanted[candidate] = wanted.get(candidate, 0) + take
            quantity -= take
        if quantity == 0:
            return
    raise RecordError(
        f"The shipment sends more of SKU {line.sku} than is left to ship on order "
        f"{order_id} in BigCommerce. Check the quantities at the warehouse.",
        record_ref=order_id,
    )


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
    remaining = _left_to_ship(products)
    if not shipment.lines:
        return _the_rest(remaining, order_id=order_id)
    by_id = {int(product["id"]): product for product in products if is_physical(product)}
    wanted: dict[int, int] = {}
    for line in shipment.lines:
        quantity = _whole(line.quantity, order_id=order_id)
        if quantity <= 0:
            continue
        candidates = _candidates(line, by_id, order_id=order_id)
        _fill(line, quantity, candidates, remaining=remaining, wanted=wanted, order_id=order_id)
    if not wanted:
        raise RecordError(
            f"The shipment for order {order_id} has no quantities to ship.", record_ref=order_id
        )
    return [{"order_product_id": pid, "quantity": quantity} for pid, quantity in wanted.items()]


# the body ------------------------------------------------------------------------------


def _tracking_number(shipment: ShipmentRecord, *, order_id: str) -> str:
    tracking_number = shipment.tracking_number.strip()
    if len(tracking_number) > TRACKING_NUMBER_MAX:
        raise RecordError(
            f"BigCommerce takes tracking numbers of at most {TRACKING_NUMBER_MAX} characters; "
            f"the one for order {order_id} has {len(tracking_number)}.",
            record_ref=order_id,
        )
    return tracking_number


def _address_id(
    order: UploadOrder, items: Sequence[Mapping[str, int]], products: Sequence[Mapping[str, Any]]
) -> int:
    """The shipping address of the shipped products (else the one stored at download)."""
    order_id = order.source_order_id
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
    return int(address_id)


def shipment_body(
    *,
    order: UploadOrder,
    shipment: ShipmentRecord,
    products: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The body of POST /v2/orders/{id}/shipments; order_address_id and items are required."""
    order_id = order.source_order_id
    tracking_number = _tracking_number(shipment, order_id=order_id)
    items = shipment_items(order_id=order_id, shipment=shipment, products=products)
    provider, tracking_carrier = shipping_provider(shipment.carrier, shipment.scac)
    body: dict[str, Any] = {
        "order_address_id": _address_id(order, items, products),
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


def shipment_id(created: Mapping[str, Any]) -> str:
    """The id of a shipment BigCommerce created (the client checked that it has one)."""
    return str(created["id"])


# an earlier upload -----------------------------------------------------------------------


def _tracking_key(value: Any) -> str:
    return re.sub(r"\s+", "", text(value)).upper()


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
