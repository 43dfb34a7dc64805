"""The tracking file of one shipment, naming the order as the cart's order file did."""

from __future__ import annotations

from dataclasses import replace

from csvfiles.formats import CsvFormat, shipments_to_csv
from integration_manager.records import ShipmentRecord, UploadOrder


def tracking_file(order: UploadOrder, shipment: ShipmentRecord, fmt: CsvFormat) -> bytes:
    """One shipment as a file. Its order reference column holds the order's number from
    the order file (the cart's own id), not the hub's reference, which only the hub knows.
    RecordError when the format's encoding cannot hold it."""
    return shipments_to_csv([replace(shipment, cust_ref=order.source_order_id)], fmt)
