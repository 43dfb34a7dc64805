"""The order file of one delivery: the orders its encoding can hold; the others refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from csvfiles.formats import CsvFormat, orders_to_csv
from integration_manager.connector_errors import RecordError
from integration_manager.records import DeliveryOrder, DeliveryResult


@dataclass(frozen=True)
class OrderFile:
    """What one delivery writes (data; empty when no order could be written), the orders in
    it, and a refusal for each order left out."""

    data: bytes
    written: tuple[DeliveryOrder, ...]
    refused: tuple[DeliveryResult, ...]


def order_file(orders: Sequence[DeliveryOrder], fmt: CsvFormat) -> OrderFile:
    """The file of these orders; an order with a character the encoding cannot hold (a € in
    Latin-1) is left out with the engine's reason, and the others are written."""
    kept = list(orders)
    refused: list[DeliveryResult] = []
    while kept:
        try:
            return OrderFile(orders_to_csv(kept, fmt), tuple(kept), tuple(refused))
        except RecordError as error:
            # Permanent: the same order fails the same way until it or the format changes.
            left = [order for order in kept if order.cust_ref != error.record_ref]
            if len(left) == len(kept):
                raise  # about no order of the batch: not one order's fault
            refused.append(DeliveryResult(cust_ref=error.record_ref, ok=False, error=str(error)))
            kept = left
    return OrderFile(b"", (), tuple(refused))
