"""BigCommerce v2 orders to OrderRecords, the download's paging state and the status rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from integration_manager.connector_errors import RecordError
from integration_manager.parsing import parse_amount, parse_iso_datetime, parse_rfc2822_datetime
from integration_manager.records import (
    ZERO,
    Address,
    OrderLineRecord,
    OrderRecord,
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


def status_code(status_id: int) -> str:
    """A status as an order's cart_status: its fixed name, not the store's relabelling."""
    name = STATUS_NAMES.get(status_id)
    return name.lower().replace(" ", "_") if name else ""


ORDER_STATUSES = tuple((status_code(status_id), name) for status_id, name in STATUS_NAMES.items())
DEFAULT_STATUSES = tuple(status_code(status_id) for status_id in DEFAULT_DOWNLOAD_STATUSES)

# What reading a payload that is not what BigCommerce documents raises: a key or item
# missing, a value of another type (a string where an object belongs has no .get), a number
# int() or Decimal cannot take (an infinite one overflows). Each fails its order alone.
UNREADABLE = (LookupError, TypeError, ValueError, AttributeError, ArithmeticError)

# Money is sent with four decimals; finer differences are rounding, not discounts.
FOUR_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# status rules ----------------------------------------------------------------------------


def is_wanted(payload: Mapping[str, Any], *, statuses: frozenset[int]) -> bool:
    """Whether a listed order is normalised: one in the chosen statuses, or any cancellation."""
    try:
        status_id = int(payload.get("status_id", -1))
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        return True  # let normalisation report the order as unreadable
    return status_id in statuses or status_id == CANCELLED


def needs_status_after_shipment(order: Mapping[str, Any], *, status: int) -> bool:
    """Whether BigCommerce has marked the order Shipped and it is not in `status` yet."""
    status_id = int(order.get("status_id", -1))
    return status_id == SHIPPED and status_id != status


def orders_waiting(counts: Mapping[str, Any], *, statuses: frozenset[int]) -> int:
    """How many orders GET /v2/orders/count shows in the chosen statuses."""
    return sum(
        int(status.get("count") or 0)
        for status in counts.get("statuses") or []
        if int(status.get("id", -1)) in statuses
    )


def orders_in_store(counts: Mapping[str, Any]) -> int:
    return int(counts.get("count") or 0)


def status_names(statuses: frozenset[int]) -> str:
    return ", ".join(STATUS_NAMES.get(status, str(status)) for status in sorted(statuses))


# the download's paging -------------------------------------------------------------------


def modified_at(order: Mapping[str, Any]) -> datetime:
    return parse_rfc2822_datetime(order.get("date_modified"))


def modified_or_none(order: Mapping[str, Any]) -> datetime | None:
    try:
        return modified_at(order)
    except ValueError:
        return None


@dataclass
class OrderListing:
    """Where a download stands: the next list call's start and page, the orders already
    handled (by id, with the date_modified read) and the newest change read.

    Orders are listed oldest change first and each page restarts from the last change read
    (not page=N+1), so an order changed while the download runs cannot shift another one
    out of sight.
    """

    since: datetime
    cursor: str | None = None
    page: int = 1
    newest: datetime | None = None
    seen: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.cursor and self.newest is None:
            self.newest = parse_iso_datetime(self.cursor)

    def fresh(self, payloads: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The listed orders not handled yet in the state listed (a restart re-reads some)."""
        return [
            payload
            for payload in payloads
            if self.seen.get(str(payload.get("id"))) != payload.get("date_modified")
        ]

    def note(self, payload: Mapping[str, Any]) -> None:
        """Mark an order handled and move the newest change; RecordError on an unreadable date."""
        order_id = str(payload.get("id", ""))
        self.seen[order_id] = payload.get("date_modified")
        changed = modified_or_none(payload)
        if changed is None:
            raise RecordError(
                f"Order {order_id} has an unreadable date_modified; check it in BigCommerce.",
                record_ref=order_id,
            )
        self.newest = changed if self.newest is None else max(self.newest, changed)

    @property
    def next_cursor(self) -> str | None:
        """The newest date_modified read (UTC, ISO-8601), never earlier than the one given."""
        return self.newest.isoformat() if self.newest else self.cursor

    def advance(self, payloads: Sequence[Mapping[str, Any]], *, page_size: int) -> bool:
        """Move on past a listed page; False at the end of the window (204 or a short page)."""
        if len(payloads) < page_size:
            return False
        last = modified_or_none(payloads[-1])
        if last is not None and last > self.since:
            self.since, self.page = last, 1
        else:
            # A full page changed within one second: step through that second by page.
            self.page += 1
        return True


# normalisation ---------------------------------------------------------------------------


def address(payload: Mapping[str, Any] | None) -> Address:
    """A billing or shipping address of a v2 order."""
    payload = payload or {}
    return Address.from_payload(
        payload,
        names={"address_1": "street_1", "address_2": "street_2"},
        # The WMS wants the ISO code; the name is only a fallback for old orders.
        country=text(payload.get("country_iso2")) or text(payload.get("country")),
    )


def is_physical(product: Mapping[str, Any]) -> bool:
    # Digital downloads and gift certificates never reach a warehouse.
    return product.get("type", "physical") == "physical"


def _line_description(product: Mapping[str, Any]) -> str:
    name = text(product.get("name"))
    options = [
        f"{text(option.get('display_name'))}: {text(option.get('display_value'))}"
        for option in product.get("product_options") or []
        if text(option.get("display_name"))
    ]
    return f"{name} ({', '.join(options)})" if options else name


def _line(product: Mapping[str, Any], *, order_id: str) -> OrderLineRecord:
    sku = text(product.get("sku"))
    if not sku:
        raise RecordError(
            f"Order {order_id}: the product “{text(product.get('name'))}” has no SKU. "
            "Give it a SKU in BigCommerce, then download the order again.",
            record_ref=order_id,
        )
    quantity = Decimal(int(product["quantity"]))
    if quantity <= 0:
        raise ValueError(f"quantity {quantity}")
    # applied_discounts hold every discount on the line (coupon, automatic, manual), for the
    # whole line, taken off before tax: BigCommerce taxes (price_ex_tax - discount) * rate.
    line_discount = sum(
        (
            parse_amount(discount.get("amount"))
            for discount in product.get("applied_discounts") or []
        ),
        ZERO,
    )
    return OrderLineRecord(
        sku=sku,
        quantity=quantity,
        price=parse_amount(product.get("price_ex_tax")),
        description=_line_description(product),
        source_line_id=str(product["id"]),
        discount=(line_discount / quantity).quantize(FOUR_PLACES),
        tax=parse_amount(product.get("total_tax")),
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


def _shipping_address(
    addresses: Sequence[Mapping[str, Any]], *, address_id: int | None
) -> Mapping[str, Any] | None:
    if address_id is not None:
        for candidate in addresses:
            if int(candidate.get("id", 0)) == address_id:
                return candidate
    return addresses[0] if addresses else None


def _fee_ex_tax(fee: Mapping[str, Any]) -> Decimal:
    # The vendor's own example spells it both ways.
    return parse_amount(fee.get("cost_ex_tax", fee.get("cost_exc_tax")))


@dataclass(frozen=True)
class Charges:
    """An order's charges by CartRover's definitions."""

    sub_total: Decimal
    order_discount: Decimal
    sales_tax: Decimal
    shipping_handling: Decimal
    grand_total: Decimal


def charges(order: Mapping[str, Any], lines: Sequence[OrderLineRecord]) -> Charges:
    """sales_tax is the order's total_tax; shipping_handling is every charge besides goods and
    tax, ex tax (shipping, handling, gift wrapping, fees); grand_total is what the shopper
    paid (total_inc_tax), and whatever that leaves unexplained is the order-level discount."""
    sales_tax = parse_amount(order.get("total_tax"))
    shipping_handling = (
        parse_amount(order.get("shipping_cost_ex_tax"))
        + parse_amount(order.get("handling_cost_ex_tax"))
        + parse_amount(order.get("wrapping_cost_ex_tax"))
        + sum((_fee_ex_tax(fee) for fee in order.get("fees") or []), ZERO)
    )
    grand_total = parse_amount(order.get("total_inc_tax"))
    sub_total = sum((line.extended_amount for line in lines), ZERO)
    unexplained = (sub_total + sales_tax + shipping_handling - grand_total).quantize(CENT)
    return Charges(
        sub_total=sub_total,
        # A positive remainder is a discount BigCommerce kept at order level (no line
        # carries it); a negative one is a charge we do not model, so the stated total wins.
        order_discount=unexplained if unexplained > 0 else ZERO,
        sales_tax=sales_tax,
        shipping_handling=shipping_handling,
        grand_total=grand_total,
    )


def _ship_to(
    physical: Sequence[Mapping[str, Any]],
    shipping_addresses: Sequence[Mapping[str, Any]],
    *,
    order_id: str,
) -> Mapping[str, Any]:
    address_id = ship_to_address_id(physical, order_id=order_id)
    shipping = _shipping_address(shipping_addresses, address_id=address_id)
    if shipping is None:
        raise RecordError(
            f"Order {order_id} has no shipping address (a pickup order?). Add one in "
            "BigCommerce, or ship the order by hand.",
            record_ref=order_id,
        )
    return shipping


def _record(
    order: Mapping[str, Any],
    *,
    products: Sequence[Mapping[str, Any]],
    physical: Sequence[Mapping[str, Any]],
    shipping_addresses: Sequence[Mapping[str, Any]],
) -> OrderRecord:
    order_id = str(order.get("id", ""))
    lines = tuple(_line(product, order_id=order_id) for product in physical)
    shipping = _ship_to(physical, shipping_addresses, order_id=order_id)
    totals = charges(order, lines)
    status_id = int(order.get("status_id", -1))
    canceled = status_id == CANCELLED
    return OrderRecord(
        cart_status=status_code(status_id),
        source_order_id=order_id,
        order_number=order_id,
        ordered_at=parse_rfc2822_datetime(order.get("date_created")),
        updated_at=modified_at(order),
        ship_to=address(shipping),
        bill_to=address(order.get("billing_address")),
        lines=lines,
        ship_code=text(shipping.get("shipping_method")),
        ship_description=text(shipping.get("shipping_method")),
        # default_currency_code is what the shopper paid in; currency_code is only the
        # currency the storefront displayed.
        currency=text(order.get("default_currency_code"))
        or text(order.get("currency_code"))
        or "USD",
        sub_total=totals.sub_total,
        order_discount=totals.order_discount,
        sales_tax=totals.sales_tax,
        shipping_handling=totals.shipping_handling,
        grand_total=totals.grand_total,
        notes=text(order.get("customer_message")),
        canceled=canceled,
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


def order_record(
    order: Mapping[str, Any],
    *,
    products: Sequence[Mapping[str, Any]],
    shipping_addresses: Sequence[Mapping[str, Any]],
) -> OrderRecord | None:
    """Normalise a v2 order and its two sub-resources; None when nothing in it ships.

    Charges follow CartRover's definitions: line price is price_ex_tax, line discount the
    line's applied discounts per unit (pre-tax), line tax its total_tax; the order's charges
    are in charges().
    """
    order_id = str(order.get("id", ""))
    try:
        physical = [product for product in products if is_physical(product)]
        if not physical:
            return None  # a download or a gift certificate: nothing for the warehouse
        return _record(
            order, products=products, physical=physical, shipping_addresses=shipping_addresses
        )
    except UNREADABLE as error:
        # The message names the order and the field, which only the connector knows.
        raise RecordError(
            f"Order {order_id} could not be read ({type(error).__name__}: {error}). "
            "Check the order in BigCommerce; the hub will read it again when it changes.",
            record_ref=order_id,
        ) from None
