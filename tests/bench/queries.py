"""6. Queries: database statements per 250-order download page, per delivery batch and per
inventory page, at two page sizes (a constant does not change with the size). Counted, not
timed; tests/orders/test_download.py, test_delivery.py and tests/inventory/test_pickup.py
assert the same constants."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from integration_manager.records import OrderPage, StockLevel
from inventory.pickup import inventory_levels_store
from jobs.models import JobRun
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD
from orders.services.delivery import BATCH_SIZE, orders_deliver
from orders.services.download import order_page_store
from tests.bench.common import record, say, tenant
from tests.objects import create_wms, order_record, recorder
from wms.models import WmsConnection

GOAL = ("<=", 15)


def run() -> None:
    say("\n6. Queries per page: download, delivery, inventory")
    _download()
    _delivery()
    _inventory()


def _count(function) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        function()
    # The sandbox WMS keeps what it is sent in this database: those writes are the WMS's.
    return sum("wms_sandboxwmsorder" not in query["sql"] for query in queries.captured_queries)


def _download() -> None:
    _, merchant, cart = tenant("queries-download")
    run_ = recorder(merchant=merchant, service=ORDER_DOWNLOAD, cart=cart)
    numbers = iter(range(1, 1_000_000))

    def page(size: int):  # type: ignore[no-untyped-def]
        records = [order_record(next(numbers), skus=("A", "B")) for _ in range(size)]
        return lambda: order_page_store(
            cart=cart, page=OrderPage(orders=records, cursor="c"), run=run_
        )

    small, full = _count(page(10)), _count(page(250))
    say(f"   download: {small} statements for a page of 10 orders, {full} for 250")
    record("queries_download_page_250", full, "queries", goal=GOAL, page_of_10=small)


def _delivery() -> None:
    account, merchant, cart = tenant("queries-delivery")
    WmsConnection.objects.filter(account=account).delete()
    create_wms(account)
    cart.connector_key = "sandbox"
    cart.save(update_fields=["connector_key"])
    numbers = iter(range(1, 1_000_000))

    def deliver(orders: int) -> int:
        records = [
            order_record(next(numbers), skus=("TENT-2P-GRN", "MUG-ENM-WHT")) for _ in range(orders)
        ]
        order_page_store(
            cart=cart,
            page=OrderPage(orders=records),
            run=recorder(merchant=merchant, service=ORDER_DOWNLOAD, cart=cart),
        )
        run_ = recorder(merchant=merchant, service=ORDER_DELIVERY)
        count = _count(lambda: orders_deliver(merchant=merchant, run=run_))
        JobRun.objects.filter(id=run_.job_run.id).update(status=JobRun.Status.SUCCESS)
        return count

    one, two = deliver(BATCH_SIZE), deliver(BATCH_SIZE * 2)
    say(
        f"   delivery: {one} statements for a run of one batch ({BATCH_SIZE} orders), {two} for "
        f"two: {two - one} a batch"
    )
    record("queries_delivery_batch", two - one, "queries", goal=GOAL, batch=BATCH_SIZE)
    record("queries_delivery_run_of_one_batch", one, "queries", batch=BATCH_SIZE)


def _inventory() -> None:
    _, merchant, _ = tenant("queries-inventory")
    now = datetime.now(UTC)

    def page(size: int, offset: int):  # type: ignore[no-untyped-def]
        levels = [
            StockLevel(sku=f"Q-{offset + index}", location_id="WH-1", available=5, updated_at=now)
            for index in range(size)
        ]
        return lambda: inventory_levels_store(merchant=merchant, levels=levels)

    small, full = _count(page(10, 0)), _count(page(1_000, 10))
    say(f"   inventory pickup: {small} statements for a page of 10 levels, {full} for 1,000")
    record("queries_inventory_page_1000", full, "queries", goal=GOAL, page_of_10=small)
