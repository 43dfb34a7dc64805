"""What the order tables can hold. An order the database would refuse (a NUL byte, half a
surrogate pair, an id longer than its column, an amount no money column holds, NaN in the
payload) is skipped with its reason before the page is written: left to the database, it
would stop the page's transaction and every good order with it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from integration_manager.records import OrderRecord
from orders.models import MONEY, Order, OrderLine


def _limit(field: Any) -> Decimal:
    return Decimal(10) ** (field.max_digits - field.decimal_places)


MONEY_LIMIT = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"])
QUANTITY_LIMIT = _limit(OrderLine._meta.get_field("quantity"))
ID_LIMIT = Order._meta.get_field("source_order_id").max_length
NUMBER_LIMIT = Order._meta.get_field("order_number").max_length


def order_record_problem(record: OrderRecord) -> str | None:
    """Why this order cannot be stored as it came, in words for the run's log; None if it
    can."""
    if len(record.source_order_id) > ID_LIMIT:
        return f"Its id is longer than {ID_LIMIT} characters."
    if len(record.order_number) > NUMBER_LIMIT:
        return f"Its number is longer than {NUMBER_LIMIT} characters."
    if not all(_text_storable(text) for text in _texts(record)):
        return "It holds a character no database text can hold (a NUL or half a surrogate pair)."
    if not all(_fits(line.quantity, QUANTITY_LIMIT) for line in record.lines):
        return f"A line's quantity is {QUANTITY_LIMIT:,} or more, or not a number."
    try:
        amounts_fit = all(_fits(amount, MONEY_LIMIT) for amount in _amounts(record))
    except ArithmeticError:  # infinity times nothing, say: no amount at all
        amounts_fit = False
    if not amounts_fit:
        return f"It holds an amount of {MONEY_LIMIT:,} or more, or one that is not a number."
    if not json_storable(record.raw):
        return "The cart's copy of it holds a NUL, NaN or infinity, which cannot be stored."
    return None


def json_storable(value: Any) -> bool:
    """Whether PostgreSQL's JSON takes it: no NaN or infinity, no NUL, no lone surrogate."""
    if isinstance(value, str):
        return _text_storable(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(json_storable(key) and json_storable(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(json_storable(item) for item in value)
    return True


def _text_storable(text: str) -> bool:
    return "\x00" not in text and not any("\ud800" <= char <= "\udfff" for char in text)


def _texts(record: OrderRecord) -> Iterable[str]:
    yield from (record.source_order_id, record.order_number, record.ship_code, record.notes)
    yield from (record.ship_description, record.currency)
    for address in (record.ship_to, record.bill_to):
        yield from _address_texts(address)
    for line in record.lines:
        yield from (line.sku, line.description, line.source_line_id)


def _address_texts(address: Any) -> Iterable[str]:
    if address is None:
        return
    values = address.values() if isinstance(address, dict) else vars(address).values()
    yield from (value for value in values if isinstance(value, str))


def _amounts(record: OrderRecord) -> Iterable[Decimal | None]:
    yield from (record.order_discount, record.sales_tax, record.shipping_handling)
    yield from (record.sub_total, record.grand_total)
    for line in record.lines:
        yield from (line.price, line.discount, line.addl_discount, line.tax, line.extended_amount)
    # What the page store works out when the cart gave no totals (reached only when every
    # amount above fits).
    sub_total = record.sub_total
    if sub_total is None:
        sub_total = sum((line.extended_amount for line in record.lines), Decimal(0))
        yield sub_total
    if record.grand_total is None:
        yield sub_total + record.sales_tax + record.shipping_handling - record.order_discount


def _fits(amount: Decimal | None, limit: Decimal) -> bool:
    return amount is None or (amount.is_finite() and abs(amount) < limit)
