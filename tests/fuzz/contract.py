"""The rule every mapping of outside input keeps, checked on whatever Hypothesis feeds it: a
record the hub can use, or the connector error family with a reason a person can read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction

from integration_manager.connector_errors import ConnectorError
from integration_manager.records import Address, OrderRecord
from orders.storable import order_record_problem
from tests.fuzz.mutations import short

T = TypeVar("T")


def read_or_refuse(
    read: Callable[[], T], *, refusals: tuple[type[Exception], ...] = (ConnectorError,)
) -> T | None:
    """What `read` returns, or None when it refused the input with one of `refusals` and a
    short message. Any other exception is the bug this package looks for: it propagates."""
    try:
        return read()
    except refusals as error:
        assert short(str(error)), f"{type(error).__name__} without a readable reason: {error!r}"
        return None


def _texts(address: Address) -> Iterator[Any]:
    return (getattr(address, name) for name in Address.__dataclass_fields__)


def assert_order_record(record: OrderRecord) -> None:
    """Every field of the type the hub's storage expects (a str, a finite Decimal, an aware
    moment): a mapping that passes a payload's value through unread fails here."""
    # An empty id is refused where the page is stored (orders/services/download.py).
    assert isinstance(record.source_order_id, str)
    assert isinstance(record.order_number, str)
    assert isinstance(record.ordered_at, datetime) and record.ordered_at.tzinfo is not None
    assert record.updated_at is None or record.updated_at.tzinfo is not None
    for text in (record.ship_code, record.ship_description, record.currency, record.notes):
        assert isinstance(text, str), text
    for text in (*_texts(record.ship_to), *_texts(record.bill_to)):
        assert isinstance(text, str), text
    amounts = [record.order_discount, record.sales_tax, record.shipping_handling]
    amounts += [amount for amount in (record.sub_total, record.grand_total) if amount is not None]
    for line in record.lines:
        assert isinstance(line.sku, str) and isinstance(line.description, str)
        assert isinstance(line.source_line_id, str)
        amounts += [line.quantity, line.price, line.discount, line.addl_discount, line.tax]
    for amount in amounts:
        assert isinstance(amount, Decimal) and amount.is_finite(), amount


class _RolledBack(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """One Hypothesis example's writes, undone when it ends (the test's own rows stay)."""
    try:
        with transaction.atomic():
            yield
            raise _RolledBack
    except _RolledBack:
        pass


def storable(record: OrderRecord) -> bool:
    """Whether the page store writes this record rather than skipping it with its reason."""
    return order_record_problem(record) is None
