"""WooCommerce orders to the hub's records, and the download's walk by modification date."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from integration_manager.connector_errors import AuthError, RecordError, TransientError
from integration_manager.parsing import format_utc, parse_amount, parse_iso_datetime, whole_second
from integration_manager.records import Address, OrderLineRecord, OrderPage, OrderRecord

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
# The hub keeps money with four places (orders.models.MONEY); a unit price derived from a
# line total (10.00 for 3) needs more than the cart's two.
UNIT = Decimal("0.0001")
ONE_SECOND = timedelta(seconds=1)
# Reading one crowded second again from the start is cheap; orders that keep changing under
# us for this long are better read by the next run.
MAX_RESTARTS = 5

# A fully refunded order must not ship any more than a cancelled one.
CANCELED_STATUSES = frozenset({"cancelled", "refunded"})
# Always downloaded besides the merchant's choice, so that a cancellation reaches the hub.
CANCELLATION_STATUSES = ("cancelled", "refunded")
# WooCommerce's own order statuses (the REST API's codes) for the cart's load options.
ORDER_STATUSES = (
    ("pending", "Pending payment"),
    ("processing", "Processing"),
    ("on-hold", "On hold"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
    ("refunded", "Refunded"),
    ("failed", "Failed"),
)
DEFAULT_STATUSES = ("processing",)

IGNORES_MODIFIED_AFTER = (
    "This WooCommerce ignores the modified_after filter, so the hub would download every "
    "order again each time. Update WooCommerce to 5.8 or later."
)

ListOrders = Callable[[Mapping[str, Any]], list[dict[str, Any]]]


# dates ---------------------------------------------------------------------------------


def parse_gmt(value: Any) -> datetime | None:
    """A WooCommerce *_gmt value ("2017-03-22T19:28:08", no offset) as an aware UTC datetime,
    or None when it is missing or unreadable."""
    try:
        return parse_iso_datetime(value)
    except ValueError:
        return None


def modified_at(payload: Mapping[str, Any]) -> datetime | None:
    """When the order last changed (GMT); the created date for an order never modified."""
    return parse_gmt(payload.get("date_modified_gmt")) or parse_gmt(payload.get("date_created_gmt"))


# queries -------------------------------------------------------------------------------


def statuses_to_download(chosen: Iterable[str]) -> list[str]:
    """The merchant's statuses and the cancellations, each once."""
    return list(dict.fromkeys([*chosen, *CANCELLATION_STATUSES]))


def _by_modification(after: datetime) -> dict[str, Any]:
    # dates_are_gmt: without it WooCommerce compares the store's local dates.
    return {
        "modified_after": format_utc(after, offset=False),
        "dates_are_gmt": "true",
        "orderby": "modified",
        "order": "asc",
    }


def changed_since_query(after: datetime, *, page_size: int) -> dict[str, Any]:
    """The first page of the orders changed after a moment, oldest change first."""
    return {**_by_modification(after), "per_page": page_size, "page": 1}


def second_query(second: datetime, *, page_size: int) -> dict[str, Any]:
    """The orders changed within one second, by id."""
    return {
        "modified_after": format_utc(second - ONE_SECOND, offset=False),
        "modified_before": format_utc(second + ONE_SECOND, offset=False),
        "dates_are_gmt": "true",
        "orderby": "id",
        "order": "asc",
        "per_page": page_size,
    }


def probe_query(now: datetime) -> dict[str, Any]:
    """One order changed after tomorrow: a store that honours modified_after lists none."""
    return {**_by_modification(now + timedelta(days=1)), "per_page": 1}


def count_query(statuses: Sequence[str]) -> dict[str, Any]:
    return {"status": ",".join(statuses), "per_page": 1}


def check_probe(payloads: Sequence[Mapping[str, Any]]) -> None:
    """The probe_query's answer: any order means the store ignored the filter."""
    if payloads:
        raise AuthError(IGNORES_MODIFIED_AFTER)


# the download's walk -------------------------------------------------------------------


class OrderWalk:
    """One download: pages of orders changed since a moment, with the cursor after each.

    It asks for orders modified after a moment, oldest change first, and starts again from
    the newest change read after every page rather than asking for page 2: an order that
    changes while we read moves to the end of the list, so page numbers would shift and skip
    one. Only when a whole page shares one second (a bulk edit) are that second's orders
    listed by id, with an overlap of one order that shows when the list moved.
    """

    def __init__(self, *, start: datetime, cursor: str | None, page_size: int) -> None:
        self.after = whole_second(start)
        # The cursor never goes back, though each download re-reads an overlap before it.
        self.watermark = max(self.after, datetime.fromisoformat(cursor)) if cursor else self.after
        self.page_size = page_size
        self.seen: dict[str, datetime | None] = {}  # order id -> modification already yielded

    def pages(self, list_orders: ListOrders) -> Iterator[OrderPage]:
        """Every page, each after the last one is stored; list_orders is GET /orders."""
        while True:
            payloads = list_orders(changed_since_query(self.after, page_size=self.page_size))
            dates = checked_dates(payloads, after=self.after)
            if len(payloads) < self.page_size:  # the last page: everything after `after`
                self.watermark = max([self.watermark, *dates])
                yield self.page(payloads)
                return
            yield from self._full_page(payloads, last=dates[-1], list_orders=list_orders)
            self.seen = {
                key: value
                for key, value in self.seen.items()
                if value is None or value > self.after
            }

    def _full_page(
        self, payloads: Sequence[dict[str, Any]], *, last: datetime, list_orders: ListOrders
    ) -> Iterator[OrderPage]:
        if last - ONE_SECOND > self.after:
            # Everything before `last` is on this page; orders of the second `last` may
            # continue on the next one, so that second is asked for again.
            self.after = last - ONE_SECOND
            self.watermark = max(self.watermark, self.after)
            yield self.page(payloads)
            return
        # A whole page within one second (a bulk edit): list that second by id.
        if last <= self.after:
            raise TransientError(
                "WooCommerce listed orders without a usable modification date. The hub will "
                "try again."
            )
        yield self.page(payloads)
        yield from self._second_by_id(last, list_orders)
        # Not the watermark: the overlap before an incoming cursor is still to read.
        self.after = last
        self.watermark = max(self.watermark, last)

    def _second_by_id(self, second: datetime, list_orders: ListOrders) -> Iterator[OrderPage]:
        """Every order modified in this second, by id. Each read after the first starts one
        order early: if that order is not the last one read, an order left or joined the list
        in front of us and positions moved, so the second is read again from the start (what
        was yielded already is not yielded twice)."""
        query = second_query(second, page_size=self.page_size)
        offset, previous, restarts = 0, "", 0
        while True:
            payloads = list_orders({**query, "offset": offset} if offset else query)
            if previous and _moved(payloads, previous):
                restarts += 1
                if restarts > MAX_RESTARTS:
                    raise TransientError(
                        "WooCommerce orders kept changing while the hub read them. The hub "
                        "will try again."
                    )
                offset, previous = 0, ""
                continue
            yield self.page(payloads[1:] if previous else payloads)
            if len(payloads) < self.page_size:
                return
            previous = order_id_of(payloads[-1])
            offset += len(payloads) - 1

    def page(self, payloads: Sequence[dict[str, Any]]) -> OrderPage:
        """The orders not yielded before (with this modification), and the cursor now."""
        page = OrderPage(orders=[], cursor=format_utc(self.watermark))
        for payload in payloads:
            order_id = order_id_of(payload)
            modified = modified_at(payload)
            if order_id in self.seen and self.seen[order_id] == modified:
                continue  # read again at a page boundary: already in an earlier page
            self.seen[order_id] = modified
            try:
                page.orders.append(order_record(payload))
            except RecordError as error:
                logger.warning("WooCommerce order %s not normalised", order_id or "?")
                page.failures.append(error)
        return page


def _moved(payloads: Sequence[dict[str, Any]], previous: str) -> bool:
    """Whether a read that starts one order early does not start with that order."""
    return not payloads or order_id_of(payloads[0]) != previous


def checked_dates(payloads: Sequence[Mapping[str, Any]], *, after: datetime) -> list[datetime]:
    """The page's modification dates, checked: the walk relies on the store filtering and
    sorting by them."""
    dates = [modified_at(payload) or after for payload in payloads]
    if any(date < after for date in dates) or dates != sorted(dates):
        raise AuthError(
            "WooCommerce did not filter or sort orders by modification date (modified_after, "
            "orderby=modified, dates_are_gmt). Update WooCommerce to 5.8 or later, or "
            "disable the plugin that changes order queries."
        )
    return dates


# orders --------------------------------------------------------------------------------


def money(value: Any, *, field: str, order_id: str) -> Decimal:
    """A money string ("6.00") or number (line "price" is one) as Decimal; never via float."""
    try:
        return parse_amount(value)
    except ValueError:
        raise RecordError(
            f"WooCommerce order {order_id} has an unreadable amount in {field} ({value!r:.40}). "
            "Open the order in WooCommerce and check its totals.",
            record_ref=order_id,
        ) from None


def order_id_of(payload: Any) -> str:
    """The order's id as text, or "" when the payload has none (it is then not an order)."""
    if isinstance(payload, Mapping) and payload.get("id") not in (None, ""):
        return str(payload["id"])
    return ""


# What reading a payload that is not what WooCommerce documents raises: a key or line
# missing, a value of another type (a line that is null has no .get), a number that Decimal
# cannot take or divide by. Each fails its order alone, never the page (tests/fuzz/).
UNREADABLE = (LookupError, TypeError, ValueError, AttributeError, ArithmeticError)


def order_record(payload: Mapping[str, Any]) -> OrderRecord:
    """Normalise one order from GET /orders; RecordError (record_ref = order id) if it cannot be."""
    order_id = order_id_of(payload)
    try:
        return _order_record(payload, order_id=order_id)
    except UNREADABLE as error:
        raise RecordError(
            f"WooCommerce order {order_id or '(no id)'} could not be read "
            f"({type(error).__name__}: {str(error)[:80]}). Check the order in WooCommerce; "
            "the hub reads it again when it changes.",
            record_ref=order_id,
        ) from None


def _order_record(payload: Mapping[str, Any], *, order_id: str) -> OrderRecord:
    """The order normalised; RecordError for what the hub can name, UNREADABLE otherwise.

    Charges follow CartRover's definitions. WooCommerce applies coupons before tax, so a coupon
    is a pre-tax discount on each line (subtotal - total), never an order-level post-tax one.
    Fees have no line of their own at the WMS: positive fees count as handling, negative fees
    (discount plugins add them) as the post-tax order discount, so the grand total still equals
    what the customer paid.
    """
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
    lines = _lines(payload, order_id=order_id, canceled=canceled)
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
        sub_total=_sub_total(payload, lines, order_id=order_id),
        order_discount=-sum((fee for fee in fees if fee < 0), ZERO),
        sales_tax=money(payload.get("total_tax"), field="total_tax", order_id=order_id),
        shipping_handling=shipping + sum((fee for fee in fees if fee > 0), ZERO),
        grand_total=money(payload.get("total"), field="total", order_id=order_id),
        notes=str(payload.get("customer_note") or ""),
        canceled=canceled,
        cart_status=str(payload.get("status") or ""),
        raw=dict(payload),
    )


def _lines(
    payload: Mapping[str, Any], *, order_id: str, canceled: bool
) -> tuple[OrderLineRecord, ...]:
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
    return lines


def _sub_total(
    payload: Mapping[str, Any], lines: Sequence[OrderLineRecord], *, order_id: str
) -> Decimal:
    """The exact line totals, rather than the lines' rounded unit prices times quantities."""
    kept = {line.source_line_id for line in lines}
    return sum(
        (
            money(item.get("total"), field="line total", order_id=order_id)
            for item in payload.get("line_items") or []
            if str(item.get("id") or "") in kept
        ),
        ZERO,
    )


def _quantity(item: Mapping[str, Any], *, order_id: str) -> Decimal:
    try:
        return parse_amount(item.get("quantity") or 0)
    except ValueError:
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
    return Address.from_payload(data, names={"zip": "postcode"}, email=email, phone=phone)


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
