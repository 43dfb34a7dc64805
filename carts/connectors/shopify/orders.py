"""Shopify order payloads to OrderRecord: statuses, charges, page sizes and the cursor."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from carts.connectors.shopify.queries import Page, legacy_id, page
from integration_manager.connector_errors import RecordError
from integration_manager.parsing import (
    format_utc,
    parse_amount,
    parse_iso_datetime,
    parse_text,
)
from integration_manager.records import ZERO, Address, OrderLineRecord, OrderRecord

CENT = Decimal("0.01")
# The hub stores money with four decimals: a per-unit share of a discount keeps them.
FOUR_PLACES = Decimal("0.0001")

# Shopify prices a query before running it and refuses one above 1,000 points; an order with
# its lines costs tens of points. The first page is small, later ones are sized from the
# cost Shopify reports, aiming below the limit.
FIRST_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
TARGET_QUERY_COST = 900
# Lines fetched with each order; an order with more gets the rest in a second query.
LINE_ITEMS_PER_ORDER = 5
# Without read_all_orders Shopify shows only this much history.
VISIBLE_HISTORY = timedelta(days=60)

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

# What reading a payload that is not what Shopify documents raises: a key or line missing, a
# value of another type (a string where an object belongs has no .get: AttributeError), a
# number Decimal cannot take or divide by (ArithmeticError holds InvalidOperation and
# DivisionByZero). Any of them fails that order alone, never the page (tests/fuzz/).
UNREADABLE = (LookupError, TypeError, ValueError, AttributeError, ArithmeticError)


# the download window -----------------------------------------------------------------------


def order_search(start: datetime, earliest_order_date: Any) -> str:
    """The orders search: changed since the window start, placed on or after the earliest
    order date (a date or moment; without a zone, UTC)."""
    terms = [f"updated_at:>='{_search_time(start)}'"]
    if earliest_order_date:
        placed = parse_iso_datetime(str(earliest_order_date))
        terms.append(f"created_at:>='{_search_time(placed)}'")
    return " AND ".join(terms)


def _search_time(moment: datetime) -> str:
    return f"{format_utc(moment, offset=False)}Z"


def history_warning(earliest_order_date: Any, scopes: Collection[str], *, now: datetime) -> str:
    """A sentence for the connection test when the earliest order date lies further back
    than Shopify lets the app see ("" when it does not)."""
    if not earliest_order_date or "read_all_orders" in scopes:
        return ""
    if parse_iso_datetime(str(earliest_order_date)) >= now - VISIBLE_HISTORY:
        return ""
    return (
        " Shopify shows apps only the last 60 days of orders unless Shopify "
        "grants the app the read_all_orders scope; older orders will not come down."
    )


@dataclass
class PageSize:
    """How many orders to ask for: a few at first, then as many as fit in the target cost."""

    first: int = FIRST_PAGE_SIZE
    target: int = TARGET_QUERY_COST

    def shrink(self, max_cost: float) -> bool:
        """After Shopify refused a page as too costly; False when one order already was."""
        if self.first == 1:
            return False
        if max_cost:
            # A shop with a lower limit than the usual 1,000: stay 10 % under it.
            self.target = min(self.target, int(max_cost * 0.9))
        self.first = max(1, self.first // 2)
        return True

    def fit(self, requested_cost: float | None) -> None:
        """As many orders as fit in the target, from what the last page cost per order."""
        if not requested_cost or self.first <= 0:
            return
        per_order = max(1.0, (requested_cost - 3) / self.first)
        self.first = max(1, min(MAX_PAGE_SIZE, int((self.target - 3) / per_order)))


def updated_at(node: dict[str, Any]) -> datetime:
    return parse_iso_datetime(node["updatedAt"])


def next_cursor(nodes: Iterable[dict[str, Any]], cursor: str | None) -> str | None:
    """The newest updatedAt seen so far (ISO 8601), orders left in Shopify included; never
    earlier than the cursor. Orders whose updatedAt cannot be read do not move it."""
    newest = parse_iso_datetime(cursor) if cursor else None
    moved = False
    for node in nodes:
        try:
            updated = updated_at(node)
        except UNREADABLE:
            continue
        if newest is None or updated > newest:
            newest, moved = updated, True
    return newest.isoformat() if moved and newest else cursor


# one order -----------------------------------------------------------------------------------


def reference(node: dict[str, Any]) -> str:
    """The order's numeric id for logs and failures ("unknown" if it has none)."""
    return str(node.get("legacyResourceId") or node.get("id") or "unknown")


def unreadable(node: dict[str, Any], error: Exception) -> RecordError:
    """The failure of an order whose payload could not be read."""
    return RecordError(
        f"Shopify order {node.get('name') or reference(node)} could not be read "
        f"({error}). Check the order in Shopify; it comes down again when it changes.",
        record_ref=reference(node),
    )


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


def line_items_page(node: dict[str, Any]) -> Page:
    """The lines the orders page holds, and whether the order has more."""
    return page(node.get("lineItems"))


def worth_storing(record: OrderRecord) -> bool:
    """An order with nothing to ship is left out, unless it is a cancellation."""
    return bool(record.lines or record.canceled)


def money(bag: dict[str, Any] | None) -> Decimal:
    """The shop-currency amount of a MoneyBag, as a Decimal."""
    if not bag:
        return ZERO
    return parse_amount((bag.get("shopMoney") or {}).get("amount"))


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def address(mailing: dict[str, Any] | None, *, email: str = "", phone: str = "") -> Address:
    mailing = mailing or {}

    def field(*names: str) -> str:
        return next((text for name in names if (text := parse_text(mailing.get(name)))), "")

    return Address(
        company=field("company"),
        first_name=field("firstName"),
        last_name=field("lastName"),
        address_1=field("address1"),
        address_2=field("address2"),
        city=field("city"),
        state=field("provinceCode", "province"),
        zip=field("zip"),
        country=field("countryCodeV2"),
        phone=field("phone") or phone,
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
        sku=parse_text(item.get("sku")),
        quantity=Decimal(current),
        price=unit.quantize(FOUR_PLACES),
        description=parse_text(item.get("name")) or parse_text(item.get("title")),
        source_line_id=legacy_id(item["id"]),
        discount=discount.quantize(FOUR_PLACES),
        tax=tax,
    )
    return _LineCharges(record=record, net=net.quantize(CENT))


def _shipping_charges(
    shipping_lines: Sequence[dict[str, Any]], *, taxes_included: bool
) -> tuple[Decimal, Decimal]:
    """(shipping before tax, tax on shipping) of the order's shipping lines."""
    shipping = ZERO
    shipping_tax = ZERO
    for shipping_line in shipping_lines:
        tax = _sum(money(t.get("priceSet")) for t in shipping_line.get("taxLines") or [])
        charged = money(shipping_line.get("currentDiscountedPriceSet"))
        shipping += charged - tax if taxes_included else charged
        shipping_tax += tax
    return shipping.quantize(CENT), shipping_tax


def _with_all_lines(node: dict[str, Any], line_items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    # raw comes back with the shipment: keep every line in it.
    if len(line_items) <= len(line_items_page(node).nodes):
        return node
    return {
        **node,
        "lineItems": {
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "nodes": list(line_items),
        },
    }


def order_record(node: dict[str, Any], *, line_items: Sequence[dict[str, Any]]) -> OrderRecord:
    """Normalise an order; line_items are all its lines (the page holds only the first few).

    Raises one of UNREADABLE for a payload that cannot be read.
    """
    taxes_included = bool(node.get("taxesIncluded"))
    charges = [
        charge
        for charge in (line_charges(item, taxes_included=taxes_included) for item in line_items)
        if charge is not None
    ]
    shipping_lines = (node.get("shippingLines") or {}).get("nodes") or []
    shipping, shipping_tax = _shipping_charges(shipping_lines, taxes_included=taxes_included)
    sub_total = _sum(charge.net for charge in charges)
    sales_tax = (_sum(charge.record.tax for charge in charges) + shipping_tax).quantize(CENT)
    first_shipping = shipping_lines[0] if shipping_lines else {}
    email = parse_text(node.get("email"))
    phone = parse_text(node.get("phone"))
    ship_code = parse_text(first_shipping.get("code")) or parse_text(first_shipping.get("title"))
    return OrderRecord(
        source_order_id=parse_text(node["legacyResourceId"]),
        order_number=parse_text(node.get("name")) or parse_text(node["legacyResourceId"]),
        ordered_at=parse_iso_datetime(node["createdAt"]),
        updated_at=updated_at(node),
        ship_to=address(node.get("shippingAddress"), email=email, phone=phone),
        bill_to=address(node.get("billingAddress"), email=email, phone=phone),
        lines=tuple(charge.record for charge in charges),
        ship_code=ship_code,
        ship_description=parse_text(first_shipping.get("title")),
        currency=parse_text(node.get("currencyCode")) or "USD",
        sub_total=sub_total,
        order_discount=ZERO,
        sales_tax=sales_tax,
        shipping_handling=shipping,
        grand_total=sub_total + sales_tax + shipping,
        notes=parse_text(node.get("note")),
        canceled=bool(node.get("cancelledAt")),
        cart_status=parse_text(node.get("displayFinancialStatus")),
        raw=_with_all_lines(node, line_items),
    )
