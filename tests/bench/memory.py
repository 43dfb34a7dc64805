"""5. Memory: a worker's peak resident memory over a long download, and the web process's
over a streamed CSV export (the orders list's memory is measured with the screens)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.db import connection

from orders.jobs import ORDER_DOWNLOAD
from orders.models import Order
from tests.bench.common import peak_mib, peak_reset, record, say, scaled, seed_orders, tenant
from tests.objects import recorder


def run() -> None:
    bench_stream(scaled(100_000, least=2_000))
    bench_export(scaled(1_000_000, least=10_000))


def bench_stream(count: int) -> None:
    from carts.connectors.woocommerce.connector import WooCommerceConnector
    from integration_manager.connectors import ConnectionContext
    from orders.services import download
    from tests.emulators.woocommerce import WooCommerceEmulator

    say(f"\n5. Memory: a download of {count:,} orders from the WooCommerce emulator")
    emulator = WooCommerceEmulator()
    url = emulator.start()
    emulator.seed_orders(count, start=datetime(2026, 1, 1, tzinfo=UTC), seconds_apart=1)
    account, merchant, cart = tenant("stream")
    cart.settings = {"base_url": url, "earliest_order_date": "2025-12-31"}
    cart.credentials = {
        "consumer_key": emulator.consumer_key,
        "consumer_secret": emulator.consumer_secret,
    }
    cart.save()
    run = recorder(merchant=merchant, service=ORDER_DOWNLOAD, cart=cart)
    connector = WooCommerceConnector(
        settings=cart.settings,
        credentials=cart.credentials,
        context=ConnectionContext(connection_id=cart.id, account_id=account.id, label="bench"),
    )
    peak_reset()  # the emulator's seeded orders stay in this process: they count too
    started = time.perf_counter()
    stored, marks = 0, {}
    for page in connector.fetch_orders(None):
        download.order_page_store(cart=cart, page=page, run=run)
        stored += len(page.orders)
        for mark in (10_000, count):
            if stored >= mark and mark not in marks:
                marks[mark] = peak_mib()
    elapsed = time.perf_counter() - started
    emulator.stop()
    say(
        f"   {Order.objects.filter(cart=cart).count():,} orders stored in {elapsed:.1f} s "
        f"({count / elapsed:,.0f} orders/s, emulator included)"
    )
    for mark, peak in sorted(marks.items()):
        say(f"   peak resident memory after {mark:,} orders: {peak:.0f} MiB")
    record(
        "memory_worker_download_peak",
        max(marks.values()),
        "MiB",
        goal=("<=", 250),
        orders=count,
        orders_per_second=round(count / elapsed),
        note="the WooCommerce emulator serves from this process: its orders are counted",
    )


def bench_export(count: int) -> None:
    """The CSV export of `count` orders with two lines each, streamed as the view does."""
    from orders.export import order_export_csv

    say(f"\n5. Memory: the CSV export of {count:,} orders (2 lines each), streamed")
    account, _, cart = tenant("export")
    seed_orders(cart, count, prefix="X-", statuses=["at_wms"])
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO orders_orderline (account_id, merchant_id, order_id, line_number,
                source_line_id, sku, wms_sku, description, quantity, quantity_shipped, price,
                discount, addl_discount, tax, extended_amount, filtered)
            SELECT o.account_id, o.merchant_id, o.id, l, '', 'SKU-' || l, 'SKU-' || l, '',
                   1, 0, 10.5, 0, 0, 0, 10.5, false
            FROM orders_order o CROSS JOIN generate_series(1, 2) AS l
            WHERE o.account_id = %s
            """,
            [account.id],
        )
        cursor.execute("VACUUM ANALYZE orders_order")
        cursor.execute("VACUUM ANALYZE orders_orderline")
    orders = Order.objects.filter(account=account)
    peak_reset()
    before = peak_mib()
    started = time.perf_counter()
    rows = size = 0
    # Autocommit, as in a request: the server-side cursor is held across the stream.
    for text in order_export_csv(orders, zone=account.zone):
        size += len(text)
        rows += text.count("\n")
    elapsed = time.perf_counter() - started
    peak = peak_mib()
    say(
        f"   {rows - 1:,} rows ({size / 1_048_576:,.0f} MiB of CSV) in {elapsed:.1f} s: "
        f"{(rows - 1) / elapsed:,.0f} rows/s"
    )
    say(
        f"   peak resident memory: {before:.0f} MiB before the export, "
        f"{peak:.0f} MiB during it (bounded: it does not grow with the count)"
    )
    record(
        "memory_web_export_peak",
        peak,
        "MiB",
        goal=("<=", 250),
        orders=count,
        rows_per_second=round((rows - 1) / elapsed),
    )
