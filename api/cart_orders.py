"""What an "API access" cart's pair does to its orders: create, find, list, cancel, confirm."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from api.models import ApiCredential
from api.order_input import OrderInputError, order_record_from_input
from carts.models import CartConnection
from integration_manager.records import OrderPage, OrderRecord
from jobs.models import JobRun
from jobs.recorder import RunRecorder
from orders.jobs import ORDER_DOWNLOAD
from orders.models import Order, OrderStatus, Shipment, SkippedOrder
from orders.services.download import order_page_store
from orders.services.events import order_event_write

# The hub's cust_ref is the cart's prefix and the client's cust_ref, and must fit 40 characters.
HUB_REFERENCE_LENGTH = 40


class OrderDuplicate(Exception):
    """The cart has an order with this cust_ref already: nothing was stored or changed."""


class OrderNotLoaded(Exception):
    """The cart's rules (item filter, earliest order date) kept the order out: listed as
    skipped on the cart's page, with the reason, which the message repeats."""


@dataclass
class BatchOutcome:
    success: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


def _run_open(cart: CartConnection, credential: ApiCredential) -> RunRecorder:
    run = RunRecorder(
        JobRun.objects.create(
            account_id=cart.account_id,
            merchant_id=cart.merchant_id,
            cart=cart,
            service=ORDER_DOWNLOAD,
            # Pushed by the client, like a webhook: the cart's page lists it with its runs.
            trigger=JobRun.Trigger.WEBHOOK,
        )
    )
    run.log("Posted through the API by %s.", credential.api_user)
    return run


def _run_close(run: RunRecorder) -> None:
    job_run = run.job_run
    if run.failed:
        job_run.status = JobRun.Status.PARTIAL if run.ok else JobRun.Status.FAILED
    else:
        job_run.status = JobRun.Status.SUCCESS
    job_run.finished_at = timezone.now()
    job_run.records_seen, job_run.records_ok = run.seen, run.ok
    job_run.records_failed, job_run.records_skipped = run.failed, run.skipped
    job_run.message, job_run.log = run.message, run.text()
    job_run.save()


def _record(cart: CartConnection, data: Any) -> OrderRecord:
    limit = HUB_REFERENCE_LENGTH - len(cart.reference_prefix)
    return order_record_from_input(data, max_reference_length=limit)


def _store(cart: CartConnection, record: OrderRecord, run: RunRecorder) -> Order:
    """Store one order exactly once, through the download's page store (so delivery is
    triggered as for any downloaded order). A second post of the same cust_ref changes
    nothing: the upsert may refresh a new order, so that case is rolled back."""
    with transaction.atomic():
        inserted, _ = order_page_store(cart=cart, page=OrderPage(orders=[record]), run=run)
        stored = cart_orders(cart).filter(source_order_id=record.source_order_id).first()
        if not inserted and stored is not None:
            raise OrderDuplicate(record.source_order_id)
    if stored is None:
        # Committed: the skipped row tells the cart's page why the order is not there.
        skipped = SkippedOrder.objects.filter(
            cart=cart, source_order_id=record.source_order_id
        ).first()
        raise OrderNotLoaded(skipped.reason if skipped else "The cart's rules refused it.")
    return stored


def order_api_create(*, cart: CartConnection, data: Any, credential: ApiCredential) -> Order:
    """Store one posted order. OrderInputError (missing or wrong fields), OrderDuplicate,
    OrderNotLoaded (the cart's rules skip it)."""
    run = _run_open(cart, credential)
    try:
        return _create_one(cart, data, run)
    finally:
        _run_close(run)


def _create_one(cart: CartConnection, data: Any, run: RunRecorder) -> Order:
    try:
        record = _record(cart, data)
    except OrderInputError as error:
        run.count(seen=1, failed=1)
        run.log("Order refused: %s", error)
        run.say("The posted order was refused: its fields are missing or wrong.")
        raise
    try:
        order = _store(cart, record, run)
    except OrderDuplicate:
        run.count(failed=1)
        run.say(f"Order {record.source_order_id} was posted again: it already exists.")
        raise
    except OrderNotLoaded as skipped:
        run.say(f"Order {record.source_order_id} was not loaded: {skipped}")
        raise
    run.say(f"Order {order.order_number} stored as {order.cust_ref}.")
    return order


def orders_api_batch(
    *, cart: CartConnection, items: list[Any], credential: ApiCredential
) -> BatchOutcome:
    """Store each posted order on its own: one refused order does not refuse the others.
    Failures carry the order's position in the array (index_pos) unless it is a duplicate."""
    run = _run_open(cart, credential)
    outcome = BatchOutcome()
    try:
        for index, data in enumerate(items):
            _batch_one(cart, index, data, run, outcome)
        run.say(f"{len(outcome.success)} order(s) stored, {len(outcome.failed)} refused.")
    finally:
        _run_close(run)
    return outcome


def _given(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    return None if value in (None, "") else str(value)


def _batch_one(
    cart: CartConnection, index: int, data: Any, run: RunRecorder, outcome: BatchOutcome
) -> None:
    reference, number = _given(data, "cust_ref"), _given(data, "cust_po_no")
    try:
        order = _create_one(cart, data, run)
    except OrderDuplicate:
        outcome.failed.append(
            {"cust_ref": reference, "cust_po_no": number, "message": "OrderDuplicate"}
        )
        return
    except (OrderInputError, OrderNotLoaded) as error:
        outcome.failed.append(
            {"cust_ref": reference, "cust_po_no": number, "index_pos": index, "message": str(error)}
        )
        return
    outcome.success.append({"cust_ref": order.cust_ref, "cust_po_no": order.order_number})


def cart_orders(cart: CartConnection) -> QuerySet[Order]:
    """Every order of this cart, and nothing else: the cart pair's whole reach."""
    return Order.objects.filter(account_id=cart.account_id, cart_id=cart.id)


def cart_order_find(*, cart: CartConnection, reference: str) -> Order | None:
    """The cart's order by the hub's cust_ref, or else by the client's own (its source id)."""
    orders = cart_orders(cart).select_related("cart")
    return (
        orders.filter(cust_ref=reference).first()
        or orders.filter(source_order_id=reference).first()
    )


# Each list status: the orders it takes, and the date from_date and to_date filter on (§1.12).
# The hub keeps no "error raised" or "canceled" time of its own: their last change stands in.
LIST_STATUSES: dict[str, tuple[Q, str]] = {
    "new": (Q(status=OrderStatus.NEW), "created_at"),
    "at_wms": (Q(status=OrderStatus.AT_WMS), "delivered_at"),
    "shipped": (Q(status=OrderStatus.SHIPPED), "shipped_at"),
    "confirmed": (Q(status=OrderStatus.CONFIRMED), "confirmed_at"),
    "error": (Q(status=OrderStatus.ERROR), "updated_at"),
    "canceled": (Q(status=OrderStatus.CANCELED), "updated_at"),
    "new_or_at_wms": (Q(status__in=[OrderStatus.NEW, OrderStatus.AT_WMS]), "created_at"),
    "shipped_or_confirmed": (
        Q(status__in=[OrderStatus.SHIPPED, OrderStatus.CONFIRMED]),
        "shipped_at",
    ),
    "partial": (Q(partially_shipped=True), "shipped_at"),
    "any": (Q(), "created_at"),
}


def cart_order_list(
    *,
    cart: CartConnection,
    status: str,
    from_date: datetime | None = None,
    to_date: datetime | None = None,
    order_source: str = "",
) -> QuerySet[Order]:
    """The cart's orders in a list status (a key of LIST_STATUSES), oldest first; the dates
    bound the status's own date, to_date excluded."""
    condition, date_field = LIST_STATUSES[status]
    orders = cart_orders(cart).filter(condition)
    if from_date is not None:
        orders = orders.filter(**{f"{date_field}__gte": from_date})
    if to_date is not None:
        orders = orders.filter(**{f"{date_field}__lt": to_date})
    if order_source and order_source != cart.order_source:
        orders = orders.none()
    return orders.order_by("id")


def day_after(moment: datetime) -> datetime:
    return moment + timedelta(days=1)


@transaction.atomic
def order_api_cancel_sending(*, order: Order, credential: ApiCredential) -> None:
    """The client takes back an order the hub has not sent (CartRover's "Cancel Sending"):
    it stays in the hub and is never delivered. ValueError once delivery has started."""
    updated = Order.objects.filter(
        id=order.id, status__in=[OrderStatus.NEW, OrderStatus.ERROR], delivery_started_at=None
    ).update(sending_canceled=True, updated_at=timezone.now())
    if not updated:
        raise ValueError(
            f"Order {order.cust_ref} is {order.get_status_display().lower()}: it was sent to the "
            "WMS already. Ask the WMS to cancel it with /v1/cart/orders/wms_cancel/{cust_ref}."
        )
    order_event_write(
        order,
        from_status=order.status,
        to_status=order.status,
        message=f"Cancel sending asked through the API by {credential.api_user}: it will not "
        "go to the WMS.",
    )


@transaction.atomic
def order_api_confirm(
    *, order: Order, tracking_numbers: list[str], credential: ApiCredential
) -> int:
    """The client took the order's tracking: the shipments with these tracking numbers (all
    of them when none is named) are marked uploaded and the order confirmed, with its event,
    once none waits. Returns how many shipments were marked. ValueError when the order has
    not shipped or a tracking number is not one of its shipments."""
    order = Order.objects.select_for_update().get(id=order.id)
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.CONFIRMED):
        raise ValueError(
            f"Order {order.cust_ref} is {order.get_status_display().lower()}: only a shipped "
            "order can be confirmed."
        )
    shipments = Shipment.objects.filter(order=order)
    known = set(shipments.values_list("tracking_number", flat=True))
    unknown = [number for number in tracking_numbers if number not in known]
    if unknown:
        raise ValueError(
            f"Tracking number(s) {', '.join(unknown)} are not shipments of order {order.cust_ref}."
        )
    if tracking_numbers:
        shipments = shipments.filter(tracking_number__in=tracking_numbers)
    now = timezone.now()
    marked = shipments.filter(uploaded_at=None).update(
        uploaded_at=now, upload_reference="api", upload_error=""
    )
    waiting = Shipment.objects.filter(order=order, uploaded_at=None).exists()
    if not waiting and Order.objects.filter(id=order.id, status=OrderStatus.SHIPPED).update(
        status=OrderStatus.CONFIRMED, confirmed_at=now, updated_at=now
    ):
        order_event_write(
            order,
            from_status=OrderStatus.SHIPPED,
            to_status=OrderStatus.CONFIRMED,
            message=f"Tracking confirmed through the API by {credential.api_user}.",
        )
    return marked
