"""The promises checked once the loop has settled: every order and shipment once, nothing
lost, nothing left half done, every failure with its reason (DESIGN.md, "Exactly once")."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count

from jobs.models import JobRun, ServiceSchedule
from orders.models import Order, OrderStatus, Shipment
from tests.chaos.progress import ON_THE_WAY
from tests.chaos.tenant import Tenant
from tests.emulators.threepl import ThreePLEmulator
from tests.emulators.woocommerce import WooCommerceEmulator

DUPLICATES, LOSSES, STUCK, VISIBLE = "duplicates", "losses", "stuck", "visible"
EXAMPLES = 5


@dataclass
class Check:
    """One invariant: how many times it was broken, what that counts as, and examples."""

    name: str
    counts_as: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, count: int, example: str) -> None:
        if count <= 0:
            return
        self.count += count
        if len(self.examples) < EXAMPLES:
            self.examples.append(example)


@dataclass(frozen=True)
class Outside:
    """What the cart and the WMS hold, read once."""

    placed: list[int]
    trackings: dict[int, list[str]]  # cart order id -> tracking numbers, as sent
    wms_orders: Counter[str]  # reference -> orders the WMS has with it
    packages: dict[str, set[str]]  # reference -> tracking numbers the WMS shipped


def outside_read(
    *, store: WooCommerceEmulator, warehouse: ThreePLEmulator, placed: list[int]
) -> Outside:
    trackings = {
        order_id: [item["tracking_number"] for item in store.trackings(order_id)]
        for order_id in placed
    }
    wms_orders: Counter[str] = Counter()
    packages: dict[str, set[str]] = {}
    with warehouse.lock:
        for order in warehouse.orders.values():
            wms_orders[order.reference] += 1
            numbers = {p["trackingNumber"] for p in order.packages if p["trackingNumber"]}
            packages.setdefault(order.reference, set()).update(numbers)
    return Outside(list(placed), trackings, wms_orders, packages)


def _hub_orders(tenant: Tenant) -> list[dict]:
    return list(
        Order.objects.filter(merchant=tenant.merchant).values(
            "id", "source_order_id", "cust_ref", "status", "error_reason", "error_code",
            "not_before", "delivery_started_at",
        )
    )  # fmt: skip


def orders_in_hub(tenant: Tenant, outside: Outside) -> list[Check]:
    """Each order placed in the cart is in the hub exactly once."""
    twice = Check("cart order stored more than once in the hub", DUPLICATES)
    missing = Check("cart order never reached the hub", LOSSES)
    stored = Counter(
        Order.objects.filter(cart=tenant.cart).values_list("source_order_id", flat=True)
    )
    for order_id in outside.placed:
        count = stored.get(str(order_id), 0)
        twice.add(count - 1, f"cart order {order_id}: {count} hub orders")
        missing.add(int(count == 0), f"cart order {order_id}")
    return [twice, missing]


def orders_at_wms(orders: list[dict], outside: Outside) -> list[Check]:
    """Each hub order reaches the WMS exactly once, or is held in error with its reason."""
    twice = Check("hub order at the WMS more than once", DUPLICATES)
    missing = Check("hub order never reached the WMS", LOSSES)
    held = Check("hub order held in error with a reason (visible failure)", VISIBLE)
    for order in orders:
        count = outside.wms_orders.get(order["cust_ref"], 0)
        twice.add(count - 1, f"{order['cust_ref']}: {count} WMS orders")
        if count == 0 and order["status"] == OrderStatus.ERROR and order["error_reason"]:
            held.add(1, f"{order['cust_ref']}: {order['error_code']}: {order['error_reason']}")
        elif count == 0:
            missing.add(1, f"{order['cust_ref']} ({order['status']})")
    return [twice, missing, held]


def shipments_in_cart(tenant: Tenant, orders: list[dict], outside: Outside) -> list[Check]:
    """Every package the WMS shipped reaches its cart order once; no tracking twice."""
    twice = Check("tracking number in the cart more than once", DUPLICATES)
    strange = Check("tracking in the cart that the WMS never shipped", DUPLICATES)
    missing = Check("shipped package whose tracking never reached the cart", LOSSES)
    stored_twice = Check("tracking number stored twice for an order in the hub", DUPLICATES)
    references = {order["source_order_id"]: order["cust_ref"] for order in orders}
    for order_id, numbers in outside.trackings.items():
        reference = references.get(str(order_id), "")
        shipped = outside.packages.get(reference, set()) if reference else set()
        twice.add(len(numbers) - len(set(numbers)), f"cart order {order_id}: {numbers}")
        strange.add(len(set(numbers) - shipped), f"cart order {order_id}: {numbers}")
        missing.add(len(shipped - set(numbers)), f"cart order {order_id} ({reference})")
    repeated = (
        Shipment.objects.filter(merchant=tenant.merchant)
        .values("order__cust_ref", "tracking_number")
        .annotate(count=Count("id"))
        .filter(count__gt=1)
    )
    for row in repeated:
        stored_twice.add(
            row["count"] - 1, f"{row['order__cust_ref']}: {row['tracking_number']} ×{row['count']}"
        )
    return [twice, strange, missing, stored_twice]


def nothing_left_running(tenant: Tenant, orders: list[dict]) -> list[Check]:
    """No claim or run left open, no order left on its way."""
    claims = Check("schedule left claimed (running_since set)", STUCK)
    runs = Check("job run left running", STUCK)
    on_the_way = Check("order left in new / at_wms / shipped", STUCK)
    for schedule in ServiceSchedule.objects.filter(
        merchant=tenant.merchant, running_since__isnull=False
    ):
        claims.add(
            1,
            f"{schedule.service} (cart {schedule.cart_id}) since {schedule.running_since:%X}, "
            f"started {schedule.run_started_at and f'{schedule.run_started_at:%X}'}, "
            f"sent {schedule.enqueue_count}×",
        )
    for run in JobRun.objects.filter(merchant=tenant.merchant, status=JobRun.Status.RUNNING):
        runs.add(1, f"#{run.id} {run.service} ({run.trigger}) since {run.started_at:%X}")
    uploads = _upload_states(tenant)
    for order in orders:
        if order["status"] in ON_THE_WAY:
            on_the_way.add(
                1,
                f"{order['cust_ref']} {order['status']} {order['error_code']} "
                f"not_before={order['not_before']} "
                f"delivery_started={order['delivery_started_at']}"
                + "".join(f"; shipment {state}" for state in uploads.get(order["id"], [])),
            )
    return [claims, runs, on_the_way]


def _upload_states(tenant: Tenant) -> dict[int, list[str]]:
    """Each order's shipments not uploaded, and where their upload stands."""
    states: dict[int, list[str]] = {}
    waiting = Shipment.objects.filter(merchant=tenant.merchant, uploaded_at=None)
    for shipment in waiting:
        states.setdefault(shipment.order_id, []).append(
            f"{shipment.tracking_number} claimed={shipment.upload_claimed_at} "
            f"started={shipment.upload_started_at} attempts={shipment.upload_attempts} "
            f"not_before={shipment.upload_not_before} error={shipment.upload_error[:60]!r}"
        )
    return states


def failures_explained(tenant: Tenant, orders: list[dict]) -> list[Check]:
    """Every failure says why: a failed run its message, an order in error its reason."""
    runs = Check("failed job run without a message", STUCK)
    held = Check("order in error without a reason", STUCK)
    failed = JobRun.objects.filter(merchant=tenant.merchant, status=JobRun.Status.FAILED)
    for run in failed.filter(message=""):
        runs.add(1, f"#{run.id} {run.service} at {run.started_at:%X}")
    for order in orders:
        if order["status"] == OrderStatus.ERROR and not order["error_reason"]:
            held.add(1, f"{order['cust_ref']} ({order['error_code']})")
    visible = Check("failed job runs, each with its message (visible failure)", VISIBLE)
    visible.add(failed.exclude(message="").count(), "")
    return [runs, held, visible]


def invariants_check(tenant: Tenant, outside: Outside) -> list[Check]:
    orders = _hub_orders(tenant)
    return [
        *orders_in_hub(tenant, outside),
        *orders_at_wms(orders, outside),
        *shipments_in_cart(tenant, orders, outside),
        *nothing_left_running(tenant, orders),
        *failures_explained(tenant, orders),
    ]


def totals(checks: list[Check]) -> dict[str, int]:
    sums = dict.fromkeys((DUPLICATES, LOSSES, STUCK, VISIBLE), 0)
    for check in checks:
        sums[check.counts_as] += check.count
    return sums
