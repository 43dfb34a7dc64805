"""`make bench`: figures for the scale the order loop is built for. Prints; asserts nothing.

Runs against a PostgreSQL database of its own (hub_bench, made afresh each time):

1. a download page of 250 orders through order_page_store, against writing the same rows
   with one bulk statement per table (the floor);
2. one dispatcher tick with 100,000 schedules of which 500 are due;
3. a download of 100,000 orders from the WooCommerce emulator, page by page, with the
   process's peak resident memory after 10,000 and after 100,000 orders;
4. the orders screen with 1,000,000 orders: first page, a deep keyset page, a status
   filter, a search by number;
5. the CSV export of 1,000,000 orders (2 lines each), streamed: rows/s and peak memory;
6. inventory pickup of 50,000 SKUs in 3 locations: all new, unchanged, 1% changed (levels/s,
   SKUs changed, uploads triggered);
7. inventory upload of the same merchant to 5 carts: the first (everything), one with no
   change (nothing sent), and after a pickup where 1% changed (SKUs/s, SKUs sent, calls).

Options: --orders N (3.; default 100000), --screen-orders N (4.; default 1000000),
--export-orders N (5.; default 1000000), --pickup-skus N (6. and 7.; default 50000), --only 1,2.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_bench"
)
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Account, Membership, Merchant, Role, User  # noqa: E402
from carts.models import CartConnection  # noqa: E402
from integration_manager.records import OrderPage, StockLevel  # noqa: E402
from jobs.dispatcher import schedules_claim_due  # noqa: E402
from jobs.models import JobRun, ServiceSchedule  # noqa: E402
from orders.jobs import ORDER_DOWNLOAD  # noqa: E402
from orders.models import Order, OrderEvent, OrderLine  # noqa: E402
from orders.services.download import _lines_from_record, _order_from_record, order_page_store  # noqa: E402
from tests.objects import order_record, recorder  # noqa: E402


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def timed(function: Callable[[], object], repeat: int) -> list[float]:
    figures = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        figures.append(time.perf_counter() - started)
    return figures


def summary(figures: list[float], unit: float = 1000, label: str = "ms") -> str:
    return (
        f"min {min(figures) * unit:.1f} {label}, median {statistics.median(figures) * unit:.1f} "
        f"{label}, max {max(figures) * unit:.1f} {label} ({len(figures)} runs)"
    )


def fresh_database() -> None:
    database = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{database}"')
    connection.close()
    call_command("migrate", verbosity=0)


def tenant(name: str) -> tuple[Account, Merchant, CartConnection]:
    account = Account.objects.create(name=name, kind="fulfillment")
    merchant = Merchant.objects.create(account=account, name=f"{name} merchant")
    cart = CartConnection.objects.create(
        account=account,
        merchant=merchant,
        connector_key="woocommerce",
        label=f"{name} cart",
        order_source=name,
        reference_prefix="B-",
    )
    return account, merchant, cart


def bench_download_page() -> None:
    say("\n1. A download page of 250 orders (2 lines each)")
    _, merchant, cart = tenant("page")
    run = recorder(merchant=merchant, service=ORDER_DOWNLOAD, cart=cart)
    numbers = iter(range(1, 10_000_000))

    def page() -> OrderPage:
        return OrderPage(
            orders=[order_record(next(numbers), skus=("A", "B")) for _ in range(250)], cursor="c"
        )

    pages = [page() for _ in range(12)]
    with CaptureQueriesContext(connection) as queries:
        order_page_store(cart=cart, page=pages[0], run=run)
    service = timed(lambda: order_page_store(cart=cart, page=pages.pop(), run=run), 10)

    def floor() -> None:
        records = page().orders
        now = timezone.now()
        with transaction.atomic():
            orders = Order.objects.bulk_create([_order_from_record(cart, r, now) for r in records])
            by_source = {order.source_order_id: order for order in orders}
            OrderLine.objects.bulk_create(
                [
                    line
                    for r in records
                    for line in _lines_from_record(by_source[r.source_order_id], r)
                ]
            )
            OrderEvent.objects.bulk_create(
                [
                    OrderEvent(
                        account_id=o.account_id,
                        merchant_id=o.merchant_id,
                        order_id=o.id,
                        to_status="new",
                        message="bench",
                    )
                    for o in orders
                ]
            )

    bulk = timed(floor, 10)
    say(f"   order_page_store: {summary(service)}; {len(queries.captured_queries)} queries a page")
    say(f"   bulk_create floor: {summary(bulk)}")
    say(
        "   speed relative to the floor: "
        f"{statistics.median(bulk) / statistics.median(service):.2f} "
        "(1.0 = as fast as one bulk insert per table; the goal is at least 0.5)"
    )


def bench_dispatcher(total: int = 100_000, due: int = 500) -> None:
    say(f"\n2. A dispatcher tick with {total:,} schedules, {due} of them due")
    account = Account.objects.create(name="dispatch", kind="fulfillment")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_merchant (account_id, name, wms_customer_id, is_active, created_at)
            SELECT %s, 'm' || n, '', true, now() FROM generate_series(1, %s) AS n
            """,
            [account.id, total],
        )
        cursor.execute(
            """
            INSERT INTO jobs_serviceschedule (account_id, merchant_id, cart_id, service, frequency,
                daily_at, enabled, next_run_at, running_since, last_run_id, consecutive_failures,
                cursor, updated_at)
            SELECT %s, m.id, NULL, 'order_delivery', '15m', NULL, true,
                   CASE WHEN row_number() OVER () <= %s THEN %s::timestamptz - interval '1 minute'
                        ELSE %s::timestamptz + interval '1 hour' END,
                   NULL, NULL, 0, '', now()
            FROM accounts_merchant m WHERE m.account_id = %s
            """,
            [account.id, due, now, now, account.id],
        )
        cursor.execute("ANALYZE jobs_serviceschedule")
    figures = []
    for _ in range(5):
        started = time.perf_counter()
        claimed = schedules_claim_due(now=timezone.now())
        figures.append(time.perf_counter() - started)
        # put them back, so every tick has the same work
        ServiceSchedule.objects.filter(id__in=[row[0] for row in claimed]).update(
            running_since=None, next_run_at=now - timedelta(minutes=1)
        )
    say(f"   claim of {len(claimed)} due schedules: {summary(figures)} (goal: under 250 ms)")
    idle = timed(lambda: schedules_claim_due(now=now - timedelta(hours=2)), 5)
    say(f"   a tick with nothing due: {summary(idle)}")
    ServiceSchedule.objects.filter(account=account).delete()
    Merchant.objects.filter(account=account).delete()


def bench_stream(count: int) -> None:
    from carts.connectors.woocommerce.connector import WooCommerceConnector
    from integration_manager.connectors import ConnectionContext
    from orders.services import download
    from tests.emulators.woocommerce import WooCommerceEmulator

    say(f"\n3. A download of {count:,} orders from the WooCommerce emulator, page by page")
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
    started = time.perf_counter()
    stored, marks = 0, {}
    for page in connector.fetch_orders(None):
        download.order_page_store(cart=cart, page=page, run=run)
        stored += len(page.orders)
        for mark in (10_000, count):
            if stored >= mark and mark not in marks:
                marks[mark] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    elapsed = time.perf_counter() - started
    emulator.stop()
    say(
        f"   {Order.objects.filter(cart=cart).count():,} orders stored in {elapsed:.1f} s "
        f"({count / elapsed:,.0f} orders/s, emulator included)"
    )
    for mark, peak in sorted(marks.items()):
        say(f"   peak resident memory after {mark:,} orders: {peak / 1_048_576:.0f} MiB")


def bench_screen(count: int) -> None:
    say(f"\n4. The orders screen with {count:,} orders")
    setup_test_environment()  # the test client's host, and the rendered context to read keys
    account, merchant, cart = tenant("screen")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO orders_order (account_id, merchant_id, cart_id, source_order_id,
                order_number, cust_ref, status, sending_canceled, partially_shipped, bill_to,
                ship_to, ship_name, email, ship_code, ship_description, wms_ship_code, currency,
                sub_total, order_discount, sales_tax, shipping_handling, grand_total, notes,
                ordered_at, created_at, updated_at, error_reason, error_code, failed_sends,
                wms_reference, raw, wms_cancel_error, cart_cancel_error)
            SELECT %s, %s, %s, n::text, '#' || n, 'B-' || n,
                   (ARRAY['new', 'at_wms', 'shipped', 'confirmed', 'confirmed', 'confirmed',
                          'error'])[1 + n %% 7],
                   false, false, '{}', '{}', 'Customer ' || n, '', 'standard', '', '', 'USD',
                   10, 0, 0, 0, 10, '', timestamptz '2026-01-01' + n * interval '20 seconds',
                   now(), now(), '', '', 0, '', '{}', '', ''
            FROM generate_series(1, %s) AS n
            """,
            [account.id, merchant.id, cart.id, count],
        )
        # What autovacuum does on a live install: statistics, and the visibility map that
        # lets counts read the index alone.
        cursor.execute("VACUUM ANALYZE orders_order")
    user = User.objects.create_user(email="bench@example.org", password="x")
    Membership.objects.create(user=user, account=account, role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    first = client.get("/orders/")
    deep_key = first.context["page"].next_key
    for _ in range(200):  # walk 200 pages in, to a deep key
        deep_key = client.get("/orders/", {"after": deep_key}).context["page"].next_key
    checks = {
        "first page": {},
        "page 201 (keyset)": {"after": deep_key},
        "status = error": {"status": "error"},
        "search by number": {"search": f"#{count // 2}"},
        "search by name (a contains match)": {"search": f"Customer {count // 3}"},
    }
    for label, params in checks.items():
        figures = timed(lambda params=params: client.get("/orders/", params), 10)
        say(f"   {label}: {summary(figures)} (whole request; goal under 100 ms)")
    dashboard = timed(lambda: client.get("/"), 5)
    say(f"   dashboard (counts per status and merchant): {summary(dashboard)}")
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN ANALYZE SELECT id FROM orders_order WHERE account_id = %s "
            "AND status <> 'canceled' ORDER BY ordered_at DESC, id DESC LIMIT 51",
            [account.id],
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
    say(f"   first-page plan uses an index: {'Index' in plan}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--screen-orders", type=int, default=1_000_000)
    parser.add_argument("--export-orders", type=int, default=1_000_000)
    parser.add_argument("--pickup-skus", type=int, default=50_000)
    parser.add_argument("--only", default="1,2,3,4,5,6,7")
    options = parser.parse_args()
    only = set(options.only.split(","))
    say(
        f"Benchmarks on {connection.settings_dict['NAME']} (PostgreSQL), "
        f"{datetime.now():%Y-%m-%d %H:%M}"
    )
    fresh_database()
    if "1" in only:
        bench_download_page()
    if "2" in only:
        bench_dispatcher()
    if "3" in only:
        bench_stream(options.orders)
    if "4" in only:
        bench_screen(options.screen_orders)
    if "5" in only:
        bench_export(options.export_orders)
    if "6" in only:
        bench_pickup(options.pickup_skus)
    if "7" in only:
        bench_upload(options.pickup_skus)
    JobRun.objects.all().delete()
    say("\nDone.")


def bench_export(count: int) -> None:
    """5. The CSV export of `count` orders with two lines each, streamed as the view does."""
    from orders.export import order_export_csv

    say(f"\n5. The CSV export of {count:,} orders (2 lines each), streamed")
    account, merchant, cart = tenant("export")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO orders_order (account_id, merchant_id, cart_id, source_order_id,
                order_number, cust_ref, status, sending_canceled, partially_shipped, bill_to,
                ship_to, ship_name, email, ship_code, ship_description, wms_ship_code, currency,
                sub_total, order_discount, sales_tax, shipping_handling, grand_total, notes,
                ordered_at, created_at, updated_at, error_reason, error_code, failed_sends,
                wms_reference, raw, wms_cancel_error, cart_cancel_error)
            SELECT %s, %s, %s, n::text, '#' || n, 'X-' || n, 'at_wms', false, false, '{}',
                   jsonb_build_object('first_name', 'Customer', 'last_name', n::text,
                       'address_1', n || ' Market St', 'city', 'Philadelphia', 'zip', '19107',
                       'country', 'US'),
                   'Customer ' || n, '', 'standard', '', 'UPS-GND', 'USD', 21, 0, 0, 0, 21, '',
                   timestamptz '2026-01-01' + n * interval '20 seconds', now(), now(), '', '',
                   0, 'SBX-' || n, '{}', '', ''
            FROM generate_series(1, %s) AS n
            """,
            [account.id, merchant.id, cart.id, count],
        )
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
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rows = size = 0
    # Autocommit, as in a request: the server-side cursor is held across the stream.
    for text in order_export_csv(orders, zone=account.zone):
        size += len(text)
        rows += text.count("\n")
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    say(
        f"   {rows - 1:,} rows ({size / 1_048_576:,.0f} MiB of CSV) in {elapsed:.1f} s: "
        f"{(rows - 1) / elapsed:,.0f} rows/s"
    )
    say(
        f"   peak resident memory: {before / 1024:.0f} MiB before the export, "
        f"{peak / 1024:.0f} MiB after it (bounded: it does not grow with the count)"
    )


def bench_pickup(skus: int = 50_000, pages_of: int = 10_000) -> None:
    """6. Inventory pickup of `skus` SKUs in 3 locations for a merchant with 5 carts (one
    reading WH-3 only): all new, the same again, then 1% changed at WH-1."""
    from inventory.jobs import INVENTORY_UPLOAD
    from inventory.models import Location
    from inventory.pickup import PickupOutcome, inventory_levels_store
    from jobs.services import schedules_ensure_for_cart

    say(f"\n6. Inventory pickup: {skus:,} SKUs in 3 locations, pages of {pages_of:,} levels")
    _, merchant, first_cart = tenant("pickup")
    carts = [first_cart] + [
        CartConnection.objects.create(
            account_id=merchant.account_id,
            merchant=merchant,
            connector_key="woocommerce",
            label=f"pickup cart {number}",
            order_source="pickup",
            reference_prefix=f"P{number}-",
        )
        for number in range(2, 6)
    ]
    for cart in carts:
        schedules_ensure_for_cart(cart=cart)
    now = datetime.now(UTC)

    def levels(changed_every: int = 0) -> list[StockLevel]:
        return [
            StockLevel(
                sku=f"SKU-{index:06}",
                location_id=f"WH-{warehouse}",
                location_name=f"Warehouse {warehouse}",
                # 1 in changed_every SKUs has one more at WH-1 than before.
                available=index % 50
                + (changed_every and warehouse == 1 and index % changed_every == 0),
                on_hand=index % 50 + 5,
                updated_at=now,
            )
            for index in range(skus)
            for warehouse in (1, 2, 3)
        ]

    def pickup(label: str, stock: list[StockLevel]) -> None:
        ServiceSchedule.objects.filter(service=INVENTORY_UPLOAD).update(next_run_at=None)
        outcome = PickupOutcome()
        started = time.perf_counter()
        for start in range(0, len(stock), pages_of):
            page = inventory_levels_store(merchant=merchant, levels=stock[start : start + pages_of])
            outcome.add(page)
        elapsed = time.perf_counter() - started
        due = ServiceSchedule.objects.filter(
            service=INVENTORY_UPLOAD, next_run_at__isnull=False
        ).count()
        say(
            f"   {label}: {outcome.read:,} levels in {elapsed:.1f} s, "
            f"{outcome.read / elapsed:,.0f} levels/s; {outcome.changed:,} changed, "
            f"{len(outcome.new_locations)} new location(s), {due} of {len(carts)} "
            "uploads triggered"
        )

    pickup("first pickup (all new)", levels())
    carts[-1].inventory_location = Location.objects.get(merchant=merchant, wms_location_id="WH-3")
    carts[-1].save(update_fields=["inventory_location"])
    pickup("second pickup (nothing changed)", levels())
    pickup("third pickup (1% changed at WH-1)", levels(changed_every=100))


def bench_upload(skus: int = 50_000, pages_of: int = 10_000) -> None:
    """7. Inventory upload of `skus` SKUs in 3 locations to 5 sandbox carts: the first upload
    (a full reconcile: all sent), the same again (nothing sent), then after a pickup in which
    1% changed at WH-1 (only those sent)."""
    from unittest import mock

    from carts.connectors.sandbox import SandboxCartConnector
    from inventory.jobs import INVENTORY_UPLOAD
    from inventory.pickup import inventory_levels_store
    from inventory.upload import inventory_upload
    from tests.objects import create_cart

    say(f"\n7. Inventory upload: {skus:,} SKUs in 3 locations to 5 sandbox carts")
    _, merchant, _ = tenant("upload")
    carts = [create_cart(merchant, prefix=f"U{number}-") for number in range(1, 6)]
    now = datetime.now(UTC)

    def store(changed_every: int = 0) -> None:
        levels = [
            StockLevel(
                sku=f"SKU-{index:06}",
                location_id=f"WH-{warehouse}",
                available=index % 50
                + (changed_every and warehouse == 1 and index % changed_every == 0),
                on_hand=index % 50 + 5,
                updated_at=now,
            )
            for index in range(skus)
            for warehouse in (1, 2, 3)
        ]
        for start in range(0, len(levels), pages_of):
            inventory_levels_store(merchant=merchant, levels=levels[start : start + pages_of])

    sent: list[int] = []

    def accept_all(connector: SandboxCartConnector, levels: list[StockLevel]) -> list:
        sent.append(len(levels))  # the sandbox store knows only its catalogue: take them all
        return []

    def upload(label: str) -> None:
        sent.clear()
        started = time.perf_counter()
        with mock.patch.object(SandboxCartConnector, "upload_inventory", accept_all):
            for cart in carts:
                cart.refresh_from_db()
                run = recorder(merchant=merchant, service=INVENTORY_UPLOAD, cart=cart)
                inventory_upload(cart=cart, run=run)
        elapsed = time.perf_counter() - started
        computed = skus * len(carts)
        say(
            f"   {label}: {computed:,} cart SKUs in {elapsed:.1f} s, {computed / elapsed:,.0f} "
            f"SKUs/s; {sum(sent):,} SKUs sent ({sum(sent) // len(carts):,} a cart) in "
            f"{len(sent)} call(s)"
        )

    store()
    upload("first upload (full reconcile)")
    upload("second upload (nothing changed)")
    store(changed_every=100)
    upload("after a pickup with 1% changed at WH-1")


if __name__ == "__main__":
    main()
