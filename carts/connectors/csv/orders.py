"""An order file read into order records, stamped with when the file was made."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from csvfiles.formats import CsvFormat, ParseResult, orders_from_csv
from integration_manager.records import OrderRecord


def orders_read(
    data: bytes, fmt: CsvFormat, *, changed_at: datetime | None
) -> ParseResult[OrderRecord]:
    """The orders of one file. Each is stamped as changed when the file was (the server's
    time for it; now when it has none): a corrected file dropped later updates the orders
    that have not gone to the WMS, and the same file read again changes nothing."""
    result = orders_from_csv(data, fmt)
    moment = changed_at or datetime.now(UTC)
    result.records = [replace(record, updated_at=moment) for record in result.records]
    return result
