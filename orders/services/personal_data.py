"""Personal data removal: names, street addresses, phones, e-mails and notes of finished orders."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Merchant
from alerts.models import Alert
from alerts.services import alert_key
from carts.connectors.registry import CART_CONNECTORS
from carts.models import CartConnection
from jobs.models import JobRun
from jobs.recorder import RunRecorder
from orders.models import Order, OrderEvent, OrderStatus, Shipment
from orders.services.events import order_events_write
from wms.models import SandboxWmsOrder

PII_REMOVED = "**PII Removed**"

# Orders per transaction, and transactions per run: a larger backlog (the first run after
# an upgrade) makes the run due again at once (RunRecorder.again) instead of holding a
# worker for an hour.
BATCH_SIZE = 200
BATCHES_PER_RUN = 10

# An address keeps where it went, not who it went to (CartRover removes the name, street,
# phone and e-mail): city, state, zip and country still serve reports and tax.
ADDRESS_KEPT = frozenset({"city", "state", "zip", "country"})

# The source payload keeps only strings under these keys (ids, SKUs, quantities, money,
# dates, statuses, where it went); every other string is replaced. An allow-list: a cart
# that adds a field with a name or a gift message in it is scrubbed without anyone
# having to know that field.
PAYLOAD_KEPT = frozenset(
    {
        "id",
        "sku",
        "quantity",
        "qty",
        "price",
        "amount",
        "total",
        "subtotal",
        "discount",
        "tax",
        "rate",
        "currency",
        "currency_code",
        "status",
        "number",
        "order_number",
        "line_number",
        "tracking_number",
        "carrier",
        "scac",
        "cust_ref",
        "reference",
        "date",
        "city",
        "state",
        "province",
        "province_code",
        "state_code",
        "zip",
        "postcode",
        "postal_code",
        "country",
        "country_code",
    }
)
PAYLOAD_KEPT_SUFFIXES = (
    "_id",
    "_ids",
    "_sku",
    "_quantity",
    "_price",
    "_amount",
    "_total",
    "_tax",
    "_discount",
    "_status",
    "_at",
    "_gmt",
    "_date",
)
PAYLOAD_KEPT_PREFIXES = ("date_",)

# Text shorter than this is not searched for in other texts ("Al" would garble them).
QUOTE_MIN_LENGTH = 3


def payload_key_kept(key: str | None) -> bool:
    if key is None:
        return False
    key = key.lower()
    return (
        key in PAYLOAD_KEPT
        or key.endswith(PAYLOAD_KEPT_SUFFIXES)
        or key.startswith(PAYLOAD_KEPT_PREFIXES)
    )


def payload_scrub(value: Any, *, key: str | None = None) -> Any:
    """The payload with every string not under a kept key replaced by **PII Removed**.

    A list's items count as under its key; numbers, booleans and nulls stay, except under
    a key that names a phone (a phone number sent as a number)."""
    if isinstance(value, dict):
        return {name: payload_scrub(item, key=str(name)) for name, item in value.items()}
    if isinstance(value, list):
        return [payload_scrub(item, key=key) for item in value]
    if isinstance(value, str):
        return value if value == "" or payload_key_kept(key) else PII_REMOVED
    if isinstance(value, int | float) and not isinstance(value, bool):
        return PII_REMOVED if key is not None and "phone" in key.lower() else value
    return value


def address_scrub(address: dict[str, Any], *, found: set[str]) -> dict[str, Any]:
    """The address with all but city, state, zip and country replaced; the values replaced
    are added to found."""
    scrubbed: dict[str, Any] = {}
    for name, value in address.items():
        if name in ADDRESS_KEPT or value in ("", None):
            scrubbed[name] = value
            continue
        if isinstance(value, str):
            found.add(value)
        scrubbed[name] = PII_REMOVED
    return scrubbed


@dataclass
class Quotes:
    """The personal values of some orders, to find where other texts quote them."""

    values: set[str] = field(default_factory=set)
    pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        value = value.strip()
        if len(value) >= QUOTE_MIN_LENGTH and value != PII_REMOVED:
            self.values.add(value)
            self.pattern = None

    def replace(self, text: str) -> str:
        if not self.values or not text:
            return text
        if self.pattern is None:
            # Longest first: "Maria Garcia" goes whole, not as "Maria" and "Garcia".
            alternatives = sorted(self.values, key=len, reverse=True)
            self.pattern = re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(value) for value in alternatives) + r")(?!\w)"
            )
        return self.pattern.sub(PII_REMOVED, text)


def order_personal_data_scrub(order: Order, *, quotes: Quotes) -> list[str]:
    """Replace the order's personal fields in memory; returns the fields changed. The values
    removed go to quotes, so texts elsewhere that repeat them can be scrubbed too."""
    found: set[str] = set()
    order.bill_to = address_scrub(order.bill_to or {}, found=found)
    order.ship_to = address_scrub(order.ship_to or {}, found=found)
    for name in ("ship_name", "email", "notes"):
        value = getattr(order, name)
        if value:
            found.add(value)
            setattr(order, name, PII_REMOVED)
    for value in found:
        quotes.add(value)
    order.raw = payload_scrub(order.raw)
    for name in ("error_reason", "wms_cancel_error", "cart_cancel_error"):
        setattr(order, name, quotes.replace(getattr(order, name)))
    return [
        "bill_to",
        "ship_to",
        "ship_name",
        "email",
        "notes",
        "raw",
        "error_reason",
        "wms_cancel_error",
        "cart_cancel_error",
        "pii_removed_at",
    ]


def _shipping_deadlines(merchant: Merchant, now: datetime) -> Q:
    """Orders of carts whose platform sets its own deadline after shipment (Amazon: 30
    days, CartConnector.personal_data_days_after_shipment)."""
    due = Q(pk__in=[])
    for cart in CartConnection.objects.filter(merchant=merchant).only("id", "connector_key"):
        connector = CART_CONNECTORS.find(cart.connector_key)
        days = getattr(connector, "personal_data_days_after_shipment", None)
        if days is not None:
            due |= Q(cart_id=cart.id, shipped_at__lte=now - timedelta(days=days))
    return due


def orders_due_for_removal(*, merchant: Merchant, now: datetime) -> QuerySet[Order]:
    """The merchant's orders whose personal data is due for removal at `now`: confirmed or
    canceled longer ago than the account's policy, or past their platform's deadline."""
    cutoff = now - timedelta(days=merchant.account.personal_data_days)
    finished = (
        Q(status=OrderStatus.CONFIRMED, confirmed_at__lte=cutoff)
        | Q(status=OrderStatus.CONFIRMED, confirmed_at__isnull=True, updated_at__lte=cutoff)
        # A cancel has no time of its own: the last change of a canceled order is it (or
        # later, which only keeps the data a little longer).
        | Q(status=OrderStatus.CANCELED, updated_at__lte=cutoff)
    )
    return Order.objects.filter(
        finished | _shipping_deadlines(merchant, now),
        merchant=merchant,
        pii_removed_at__isnull=True,
    )


def _texts_scrub(
    model: type[Any], rows: Iterable[Any], fields: tuple[str, ...], quotes: Quotes
) -> int:
    changed = []
    for row in rows:
        before = [getattr(row, name) for name in fields]
        for name in fields:
            setattr(row, name, quotes.replace(getattr(row, name)))
        if [getattr(row, name) for name in fields] != before:
            changed.append(row)
    if changed:
        model.objects.bulk_update(changed, fields)
    return len(changed)


def _copies_scrub(orders: list[Order], quotes: Quotes) -> None:
    """Where else the hub keeps or quotes these orders' personal data: their history, the
    alerts about them, their shipments' upload errors, the logs of the runs that changed
    them, and the sandbox WMS's copy (it stands in for a warehouse that keeps none here)."""
    ids = [order.id for order in orders]
    account_id = orders[0].account_id
    events = list(OrderEvent.objects.filter(order_id__in=ids).only("id", "message", "job_run_id"))
    _texts_scrub(OrderEvent, events, ("message",), quotes)
    # Every alert about one order is keyed by it (its link to the order page is for people).
    alerts = Alert.objects.filter(
        account_id=account_id, key__in=[alert_key("order", order_id) for order_id in ids]
    )
    _texts_scrub(Alert, alerts.only("id", "subject", "message"), ("subject", "message"), quotes)
    shipments = Shipment.objects.filter(order_id__in=ids).exclude(upload_error="")
    _texts_scrub(Shipment, shipments.only("id", "upload_error"), ("upload_error",), quotes)
    run_ids = {event.job_run_id for event in events if event.job_run_id} | {
        order.delivery_job_run_id for order in orders if order.delivery_job_run_id
    }
    runs = JobRun.objects.filter(id__in=run_ids).only("id", "message", "log")
    _texts_scrub(JobRun, runs, ("message", "log"), quotes)
    copies = list(
        SandboxWmsOrder.objects.filter(
            account_id=account_id, cust_ref__in=[order.cust_ref for order in orders]
        ).only("id", "payload")
    )
    for copy in copies:
        copy.payload = payload_scrub(copy.payload)
    SandboxWmsOrder.objects.bulk_update(copies, ["payload"])


@transaction.atomic
def orders_personal_data_remove_batch(*, merchant: Merchant, now: datetime, why: str) -> int:
    """Remove the personal data of one batch of due orders in one transaction; returns how
    many orders it did (0: none left). `why` goes into each order's history."""
    # SKIP LOCKED: an order a download or an edit holds now is done by the next batch or run.
    # No ORDER BY: with one, PostgreSQL walks the primary key through every order already
    # done (177 ms for 300,000 orders); without, it reads the pii_removed_at index (30 ms).
    orders = list(
        orders_due_for_removal(merchant=merchant, now=now).select_for_update(
            skip_locked=True, of=("self",)
        )[:BATCH_SIZE]
    )
    if not orders:
        return 0
    quotes = Quotes()
    fields: list[str] = []
    for order in orders:
        fields = order_personal_data_scrub(order, quotes=quotes)
        order.pii_removed_at = now
    Order.objects.bulk_update(orders, fields)
    _copies_scrub(orders, quotes)
    # After the scrub, so its own words are not scrubbed; no job run link, so the run that
    # wrote it is not kept for ever by the retention of linked runs.
    for status in {order.status for order in orders}:
        order_events_write(
            [order for order in orders if order.status == status],
            from_status=status,
            to_status=status,
            message=why,
        )
    return len(orders)


def orders_personal_data_remove(*, merchant: Merchant, run: RunRecorder) -> None:
    """The merchant's scheduled removal: every due order, BATCH_SIZE at a time, up to
    BATCHES_PER_RUN batches; more than that makes the run due again."""
    now = timezone.now()
    days = merchant.account.personal_data_days
    why = (
        "Personal data removed: the account's policy removes it "
        f"{days} day{'s' if days != 1 else ''} after an order is confirmed or canceled, "
        "or sooner where the cart's platform asks."
    )
    done = 0
    for _ in range(BATCHES_PER_RUN):
        removed = orders_personal_data_remove_batch(merchant=merchant, now=now, why=why)
        done += removed
        if removed < BATCH_SIZE:
            break
    else:
        run.again()
    run.count(seen=done, ok=done)
    run.log(
        "Personal data removed from %s order(s) confirmed or canceled more than %s day(s) ago.",
        done,
        days,
    )
    if run.more_waiting:
        run.log("More orders are due: the next run starts right after this one.")
    run.say(f"Personal data removed from {done} order(s)." if done else "No order was due.")
