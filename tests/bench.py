"""`make bench`: figures for the scale the order loop is built for. Prints; asserts nothing.

Runs against a PostgreSQL database of its own (hub_bench, made afresh each time):

1. a download page of 250 orders through order_page_store, against writing the same rows
   with one bulk statement per table (the floor);
2. one dispatcher tick with 100,000 schedules of which 500 are due;
3. a download of 100,000 orders from the WooCommerce emulator, page by page, with the
   process's peak resident memory after 10,000 and after 100,000 orders;
4. the orders screen with 1,000,000 orders: first page, a deep keyset page, a status
   filter, a search by number.

Options: --orders N (3.; default 100000), --screen-orders N (4.; default 1000000), --only 1,2.
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

from orders.jobs import ORDER_DOWNLOAD

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
from integration_manager.records import OrderPage  # noqa: E402
from jobs.dispatcher import schedules_claim_due  # noqa: E402
from jobs.models import JobRun, ServiceSchedule  # noqa: E402
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
                ordered_at, created_at, updated_at, error_reason, failed_sends, wms_reference, raw)
            SELECT %s, %s, %s, n::text, '#' || n, 'B-' || n,
                   (ARRAY['new', 'at_wms', 'shipped', 'confirmed', 'confirmed', 'confirmed',
                          'error'])[1 + n %% 7],
                   false, false, '{}', '{}', 'Customer ' || n, '', 'standard', '', '', 'USD',
                   10, 0, 0, 0, 10, '', timestamptz '2026-01-01' + n * interval '20 seconds',
                   now(), now(), '', 0, '', '{}'
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
    parser.add_argument("--only", default="1,2,3,4")
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
    JobRun.objects.all().delete()
    say("\nDone.")


if __name__ == "__main__":
    main()
