"""7. Screens: server time of the orders list at 1,000,000 orders (first page, a deep page,
a status filter, searches by number, name and tracking) and of the dashboard."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment

from accounts.models import Membership, Role, User
from tests.bench.common import (
    p95,
    peak_mib,
    peak_reset,
    record,
    say,
    scaled,
    seed_orders,
    summary,
    tenant,
    timed,
)

# Seven orders in turn: three confirmed, one in each open status.
STATUS_MIX = ["new", "at_wms", "shipped", "confirmed", "confirmed", "confirmed", "error"]


def run() -> None:
    bench_screen(scaled(1_000_000, least=10_000))


def bench_screen(count: int) -> None:
    say(f"\n7. Screens: the orders list and the dashboard with {count:,} orders")
    setup_test_environment()  # the test client's host, and the rendered context to read keys
    account, _, cart = tenant("screen")
    seed_orders(cart, count, prefix="B-", statuses=STATUS_MIX)
    with connection.cursor() as cursor:
        # What autovacuum does on a live install: statistics, and the visibility map that
        # lets counts read the index alone.
        cursor.execute("VACUUM ANALYZE orders_order")
    user = User.objects.create_user(email="bench@example.org", password="x")
    Membership.objects.create(user=user, account=account, role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    peak_reset()
    first = client.get("/orders/")
    deep_key = first.context["page"].next_key
    for _ in range(200):  # walk 200 pages in, to a deep key
        deep_key = client.get("/orders/", {"after": deep_key}).context["page"].next_key
    checks = {
        ("first page", "first_page"): {},
        ("page 201 (keyset)", "deep_page"): {"after": deep_key},
        ("status = error", "status_filter"): {"status": "error"},
        ("search by number", "search_number"): {"search": f"#{count // 2}"},
        ("search by name (a contains match)", "search_name"): {"search": f"Customer {count // 3}"},
        ("search by tracking number", "search_tracking"): {"search": f"1Z{count // 4:016}"},
    }
    for (label, name), params in checks.items():
        figures = timed(lambda params=params: client.get("/orders/", params), 20)
        say(f"   {label}: {summary(figures)} (whole request)")
        record(
            f"screens_orders_{name}_p95", p95(figures) * 1000, "ms", goal=("<=", 100), orders=count
        )
    dashboard = timed(lambda: client.get("/"), 20)
    say(f"   dashboard (counts per status and merchant): {summary(dashboard)}")
    record("screens_dashboard_p95", p95(dashboard) * 1000, "ms", goal=("<=", 100), orders=count)
    peak = peak_mib()
    record("memory_web_orders_list_peak", peak, "MiB", goal=("<=", 250), orders=count)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN ANALYZE SELECT id FROM orders_order WHERE account_id = %s "
            "AND status <> 'canceled' ORDER BY ordered_at DESC, id DESC LIMIT 51",
            [account.id],
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
    say(f"   first-page plan uses an index: {'Index' in plan}")
