"""Order delivery: claim a merchant's due orders, record the attempt, send them to the WMS once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Merchant
from alerts.models import Alert, AlertKind
from alerts.services import alert_key, alerts_raise
from integration_manager.connector_errors import (
    AuthError,
    RateLimited,
    TransientError,
)
from integration_manager.records import (
    Address,
    DeliveryLine,
    DeliveryOrder,
    DeliveryResult,
    MerchantRef,
)
from inventory.rules import MerchantRules, merchant_rules_load
from jobs.models import JobRun
from jobs.recorder import RunRecorder
from jobs.services import schedules_trigger
from orders.jobs import SHIP_CONFIRM
from orders.models import HoldReason, Order, OrderLine, OrderStatus
from orders.services.cancel import wms_cancels_send
from orders.services.events import order_event_write, order_events_write
from wms.connectors.base import DELIVER_ORDERS, LOOKUP_ORDER, ORDERS_PULLED, WmsConnector
from wms.models import ShipMethodMap
from wms.selectors import merchant_ref, wms_for

BATCH_SIZE = 50
MAX_BATCHES = 20  # a run sends at most 1,000 orders; more make the schedule due again
# Orders the WMS would not take are retried with back-off for this long, then need a person.
RETRY_FOR = timedelta(days=15)
RETRY_BASE = timedelta(minutes=2)
RETRY_MAX = timedelta(hours=1)


def orders_deliver(*, merchant: Merchant, run: RunRecorder) -> None:
    """Send the merchant's due `new` orders to the WMS, each at most once."""
    wms, connector = wms_for(merchant)
    if not wms.is_usable:
        run.say(f"The WMS connection is {'paused' if wms.is_paused else 'disabled'}; nothing sent.")
        return
    reference = merchant_ref(merchant)
    wms_cancels_send(merchant_id=merchant.id, connector=connector, reference=reference, run=run)
    if connector.supports(ORDERS_PULLED):
        orders_make_ready(merchant=merchant, run=run)
        return
    if not connector.supports(DELIVER_ORDERS):
        run.say("Nothing sent: this WMS takes no orders from the hub.")
        return
    _resolve_unknown_outcomes(merchant=merchant, connector=connector, reference=reference, run=run)
    sent = _in_batches(
        lambda: _claim_batch(merchant=merchant, run=run),
        lambda orders: _send(orders, connector=connector, reference=reference, run=run),
        run=run,
    )
    if sent:
        # A WMS that ships at once (or a sandbox) has tracking within seconds: an Automatic
        # ship confirm looks now instead of at its next poll, a minute away.
        schedules_trigger(service=SHIP_CONFIRM, merchant_id=merchant.id)
    run.say(f"{sent} order(s) sent to the WMS" + (f", {run.failed} failed." if run.failed else "."))


def _resolve_unknown_outcomes(
    *, merchant: Merchant, connector: WmsConnector, reference: MerchantRef, run: RunRecorder
) -> None:
    """Orders whose last send had no clear outcome (a timeout, a killed worker): ask the WMS
    before sending again, so an order it already has is not sent twice."""
    # The runner holds the merchant's delivery lock and has closed the runs that died, so
    # no claim here belongs to a live send; the exclusion says so even if called elsewhere.
    unknown = list(
        Order.objects.filter(
            merchant=merchant, status=OrderStatus.NEW, delivery_started_at__isnull=False
        )
        .exclude(delivery_job_run__status=JobRun.Status.RUNNING)
        .order_by("id")[: BATCH_SIZE * MAX_BATCHES]
    )
    for order in unknown:
        if not connector.supports(LOOKUP_ORDER):
            _to_error(
                order,
                hold=Hold(
                    HoldReason.UNCLEAR_OUTCOME,
                    "The WMS did not confirm that it received this order, and it cannot be "
                    "asked. Check the WMS for it; if it is not there, use Resend to WMS.",
                ),
                run=run,
            )
            continue
        wms_reference = connector.lookup_order(order.cust_ref, reference)
        if wms_reference:
            with transaction.atomic():
                moved = Order.objects.filter(id=order.id, status=OrderStatus.NEW).update(
                    status=OrderStatus.AT_WMS,
                    wms_reference=wms_reference[:100],
                    delivered_at=timezone.now(),
                    updated_at=timezone.now(),
                    error_reason="",
                    error_code="",
                )
                if moved:
                    order_event_write(
                        order,
                        from_status=OrderStatus.NEW,
                        to_status=OrderStatus.AT_WMS,
                        message=f"The last send had no answer; the WMS has it as "
                        f"{wms_reference}, so it was not sent again.",
                        job_run_id=run.job_run.id,
                    )
            if moved:
                run.log("Order %s was already at the WMS (%s).", order.order_number, wms_reference)
                run.count(seen=1, ok=1)
        else:
            Order.objects.filter(id=order.id, status=OrderStatus.NEW).update(
                delivery_started_at=None, delivery_job_run=None
            )
            run.log(
                "Order %s is not at the WMS after an unclear send; it goes again.",
                order.order_number,
            )


def _in_batches(
    take: Callable[[], list[Order]], handle: Callable[[list[Order]], int], *, run: RunRecorder
) -> int:
    """Take and handle batches until none is left; how many orders were handled. A run
    that stops at MAX_BATCHES, not at the end, makes itself due again at once."""
    handled = 0
    for _ in range(MAX_BATCHES):
        orders = take()
        if not orders:
            return handled
        handled += handle(orders)
    run.again()
    return handled


def orders_make_ready(*, merchant: Merchant, run: RunRecorder) -> None:
    """For a WMS that pulls orders: check each due order and apply the rules as a delivery
    would, then mark it ready (ready_at), which is what the warehouse's system lists."""
    ready = _in_batches(
        lambda: _checked_batch(merchant=merchant, run=run, pulled=True),
        lambda orders: _make_ready(orders, rules=_rules_after_read(merchant), run=run),
        run=run,
    )
    run.say(
        f"{ready} order(s) ready for the warehouse's system to take through the API"
        + (f"; {run.failed} held." if run.failed else ".")
    )


def _make_ready(orders: list[Order], *, rules: MerchantRules, run: RunRecorder) -> int:
    # One transaction: the warehouse's system never lists an order whose rules are half done.
    now = timezone.now()
    with transaction.atomic():
        won = set(
            Order.objects.select_for_update(skip_locked=True)
            .filter(
                id__in=[order.id for order in orders],
                status=OrderStatus.NEW,
                sending_canceled=False,
                delivery_started_at=None,
                ready_at=None,
            )
            .values_list("id", flat=True)
        )
        claimed = [order for order in orders if order.id in won]
        if not claimed:
            return 0
        Order.objects.bulk_update(claimed, ["wms_ship_code"])
        _apply_rules(claimed, rules=rules, run=run)
        Order.objects.filter(id__in=won).update(ready_at=now, updated_at=now)
    run.count(ok=len(claimed))
    return len(claimed)


def _rules_after_read(merchant: Merchant) -> MerchantRules:
    """The aliases and kits, read after the batch's orders: an order released by an alias
    (orders/services/release.py) is read only once that alias is saved, so it is sent with
    it, even by a run that started before the alias existed."""
    return merchant_rules_load(merchant_id=merchant.id)


def _claim_batch(*, merchant: Merchant, run: RunRecorder) -> list[Order]:
    ready = _checked_batch(merchant=merchant, run=run)
    if not ready:
        return []
    return _claim(ready, rules=_rules_after_read(merchant), run=run)


def _checked_batch(*, merchant: Merchant, run: RunRecorder, pulled: bool = False) -> list[Order]:
    """The next batch of due new orders, each with its lines and WMS ship code; an order the
    WMS would refuse is held (error) with its reason instead."""
    now = timezone.now()
    due = Order.objects.filter(
        merchant=merchant, status=OrderStatus.NEW, sending_canceled=False, delivery_started_at=None
    )
    if pulled:
        due = due.filter(ready_at=None)
    candidates = list(
        due.filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .select_related("cart")
        .order_by("id")[:BATCH_SIZE]
    )
    if not candidates:
        return []
    lines = _lines_of([order.id for order in candidates])
    maps = _ship_maps(candidates)
    ready, no_address = [], []
    for order in candidates:
        order.delivery_lines = lines.to_ship.get(order.id, [])  # type: ignore[attr-defined]
        order.read_lines = lines  # type: ignore[attr-defined]
        problem = _problem(order, order.delivery_lines)  # type: ignore[attr-defined]
        wms_code, ship_problem = _wms_ship_code(order, maps)
        if problem or ship_problem:
            _to_error(order, hold=problem or ship_problem, run=run)  # type: ignore[arg-type]
            if ship_problem:
                _alert_unmapped(order)
            if problem and problem.code == HoldReason.MISSING_ADDRESS:
                no_address.append(order)
            continue
        order.wms_ship_code = wms_code
        ready.append(order)
    run.count(seen=len(candidates) - len(ready))
    if no_address:
        _alert_missing_address(merchant, wms_message="")
    return ready


def _claim(ready: list[Order], *, rules: MerchantRules, run: RunRecorder) -> list[Order]:
    now = timezone.now()
    # Recorded and committed before the WMS is called: a crash after this point leaves an
    # order with a start and no outcome, which the next run asks the WMS about.
    Order.objects.filter(
        id__in=[order.id for order in ready], status=OrderStatus.NEW, delivery_started_at=None
    ).update(delivery_started_at=now, delivery_job_run=run.job_run)
    held = set(
        Order.objects.filter(
            id__in=[order.id for order in ready],
            delivery_job_run=run.job_run,
            delivery_started_at=now,
        ).values_list("id", flat=True)
    )
    claimed = [order for order in ready if order.id in held]
    for order in claimed:
        order.delivery_started_at = now
    with transaction.atomic():
        Order.objects.bulk_update(claimed, ["wms_ship_code"])
        _apply_rules(claimed, rules=rules, run=run)
    return claimed


@dataclass
class _Lines:
    """A batch's lines, read in one query: those to ship as the cart sent them (not filtered,
    not kit components), the kit components of earlier runs, and each order's last number."""

    to_ship: dict[int, list[OrderLine]]
    components: dict[int, list[OrderLine]]
    last_number: dict[int, int]


def _lines_of(order_ids: list[int]) -> _Lines:
    lines = _Lines(to_ship=defaultdict(list), components=defaultdict(list), last_number={})
    for line in OrderLine.objects.filter(order_id__in=order_ids).order_by(
        "order_id", "line_number"
    ):
        lines.last_number[line.order_id] = line.line_number
        if line.kit_parent_id is not None:
            lines.components[line.kit_parent_id].append(line)
        elif not line.filtered:
            lines.to_ship[line.order_id].append(line)
    return lines


@dataclass
class _Expansion:
    """What the rules change on a batch's lines, written together."""

    renamed: list[OrderLine]
    components: list[OrderLine]
    stale_kits: list[int]
    aliased: int = 0
    kits: int = 0


def _apply_rules(orders: list[Order], *, rules: MerchantRules, run: RunRecorder) -> None:
    """Aliases and kits, on claimed orders: each line gets the SKU the WMS knows (recorded in
    wms_sku), and a kit line is sent as its components, kept as lines of their own."""
    expansion = _Expansion(renamed=[], components=[], stale_kits=[])
    for order in orders:
        lines: _Lines = order.read_lines  # type: ignore[attr-defined]
        order.delivery_lines = _order_lines_to_send(  # type: ignore[attr-defined]
            order,
            rules=rules,
            existing=lines.components,
            next_number=lines.last_number.get(order.id, 0) + 1,
            expansion=expansion,
        )
    OrderLine.objects.bulk_update(expansion.renamed, ["wms_sku"])
    if expansion.stale_kits:
        # A kit changed or a line is no kit any more: its old components go.
        OrderLine.objects.filter(kit_parent_id__in=expansion.stale_kits).delete()
    OrderLine.objects.bulk_create(expansion.components)
    if expansion.aliased:
        run.log("%s line(s) sent under the WMS SKU of their alias.", expansion.aliased)
    if expansion.kits:
        run.log("%s kit line(s) sent as their components.", expansion.kits)


def _order_lines_to_send(
    order: Order,
    *,
    rules: MerchantRules,
    existing: dict[int, list[OrderLine]],
    next_number: int,
    expansion: _Expansion,
) -> list[OrderLine]:
    send: list[OrderLine] = []
    for line in order.delivery_lines:  # type: ignore[attr-defined]
        wms_sku = rules.wms_sku(line.sku, translate=order.cart.translate_item_codes)
        if wms_sku != line.wms_sku:
            line.wms_sku = wms_sku
            expansion.renamed.append(line)
        expansion.aliased += wms_sku != line.sku
        parts = rules.components(wms_sku)
        have = existing.get(line.id, [])
        if not parts:
            if have:
                expansion.stale_kits.append(line.id)
            send.append(line)
            continue
        expansion.kits += 1
        wanted = sorted((sku, quantity * line.quantity) for sku, quantity in parts)
        if sorted((part.wms_sku, part.quantity) for part in have) == wanted:
            send.extend(have)  # sent before (a resend): the same lines, not new ones
            continue
        if have:
            expansion.stale_kits.append(line.id)
        # Numbered after every line the order has: a line number never clashes.
        for offset, (sku, quantity) in enumerate(wanted):
            component = _component_line(line, sku=sku, quantity=quantity)
            component.line_number = next_number + offset
            send.append(component)
            expansion.components.append(component)
        next_number += len(wanted)
    return send


def _component_line(kit: OrderLine, *, sku: str, quantity) -> OrderLine:  # type: ignore[no-untyped-def]
    return OrderLine(
        account_id=kit.account_id,
        merchant_id=kit.merchant_id,
        order_id=kit.order_id,
        line_number=0,
        sku=sku,
        wms_sku=sku,
        description=f"Part of kit {kit.sku}"[:500],
        quantity=quantity,
        kit_parent=kit,
    )


def _ship_maps(orders: list[Order]) -> dict[tuple[int, str], ShipMethodMap]:
    maps = ShipMethodMap.objects.filter(
        cart_id__in={order.cart_id for order in orders},
        cart_code__in={order.ship_code for order in orders},
    )
    return {(entry.cart_id, entry.cart_code): entry for entry in maps}


@dataclass(frozen=True)
class Hold:
    """Why an order is held: a code the hub acts on, and words a person can act on."""

    code: str
    reason: str


def _problem(order: Order, lines: list[OrderLine]) -> Hold | None:
    """Why the WMS would refuse this order; None if nothing."""
    ship_to = Address.from_dict(order.ship_to)
    missing = [
        label
        for label, value in (
            ("street address", ship_to.address_1),
            ("city", ship_to.city),
            ("postal code", ship_to.zip),
            ("country", ship_to.country),
        )
        if not value
    ]
    if not ship_to.name:
        missing.insert(0, "name")
    if missing:
        return Hold(
            HoldReason.MISSING_ADDRESS,
            f"The ship-to address has no {', '.join(missing)}. Correct the order in the cart "
            "(the hub reloads it) or edit it here: it then goes to the WMS on its own.",
        )
    if not lines:
        return Hold(HoldReason.NO_LINES, "The order has no lines to ship. Check it in the cart.")
    if any(line.quantity <= 0 for line in lines):
        return Hold(HoldReason.BAD_QUANTITY, "A line has no quantity. Check the order in the cart.")
    return None


def _wms_ship_code(
    order: Order, maps: dict[tuple[int, str], ShipMethodMap]
) -> tuple[str, Hold | None]:
    entry = maps.get((order.cart_id, order.ship_code))
    if entry is not None and entry.wms_code:
        return entry.wms_code, None
    if entry is not None and entry.passthrough:
        return order.ship_code, None
    if order.cart.reject_unmapped_ship_methods:
        return "", Hold(
            HoldReason.UNMAPPED_SHIP_METHOD,
            f"The ship method “{order.ship_code or '(none)'}” has no WMS mapping. Map it on the "
            "cart's ship methods page; the order is then sent on its own.",
        )
    return order.ship_code, None


def _alert_unmapped(order: Order) -> None:
    alerts_raise(
        account=order.account_id,
        merchant=order.cart.merchant,
        cart=order.cart,
        kind=AlertKind.UNMAPPED_SHIP_METHOD,
        key=unmapped_ship_method_key(order.cart_id, order.ship_code),
        subject=f"Unmapped ship method “{order.ship_code}” on {order.cart.label}",
        message=f"Orders with the ship method “{order.ship_code}” are held because it has no WMS "
        "mapping. Choose the WMS method for it; the held orders then go to the WMS.",
        link=reverse("cart_ship_methods", args=[order.cart_id]),
    )


def unmapped_ship_method_key(cart_id: int, ship_code: str) -> str:
    """The key of the alert about one unmapped ship code of one cart (wms/services.py
    resolves it when the code is mapped)."""
    return alert_key("cart", cart_id, "ship", ship_code)


@transaction.atomic
def _to_error(order: Order, *, hold: Hold, run: RunRecorder) -> None:
    before = order.status
    reason = hold.reason
    moved = Order.objects.filter(id=order.id, status=before).update(
        status=OrderStatus.ERROR,
        error_reason=reason,
        error_code=hold.code,
        delivery_started_at=None,
        delivery_job_run=None,
        updated_at=timezone.now(),
    )
    if moved:
        order_event_write(
            order,
            from_status=before,
            to_status=OrderStatus.ERROR,
            message=reason,
            job_run_id=run.job_run.id,
        )
        run.log("Order %s held: %s", order.order_number, reason)
        run.count(failed=1)


def _delivery_order(order: Order, reference: MerchantRef) -> DeliveryOrder:
    return DeliveryOrder(
        cust_ref=order.cust_ref,
        order_number=order.order_number,
        order_source=order.cart.order_source,
        merchant=reference,
        ordered_at=order.ordered_at,
        ship_to=Address.from_dict(order.ship_to),
        bill_to=Address.from_dict(order.bill_to or order.ship_to),
        ship_code=order.wms_ship_code,
        lines=tuple(
            DeliveryLine(
                sku=line.wms_sku or line.sku,
                quantity=line.quantity,
                price=line.price,
                description=line.description,
                line_number=line.line_number,
            )
            for line in order.delivery_lines  # type: ignore[attr-defined]
        ),
        currency=order.currency,
        sub_total=order.sub_total,
        order_discount=order.order_discount,
        sales_tax=order.sales_tax,
        shipping_handling=order.shipping_handling,
        grand_total=order.grand_total,
        notes=order.notes,
    )


def _release(orders: list[Order], **updates: object) -> None:
    Order.objects.filter(id__in=[order.id for order in orders], status=OrderStatus.NEW).update(
        delivery_started_at=None, delivery_job_run=None, **updates
    )


def _send(
    orders: list[Order], *, connector: WmsConnector, reference: MerchantRef, run: RunRecorder
) -> int:
    run.count(seen=len(orders))
    run.check_owner()  # the claims above are ours; the send must be ours alone too
    try:
        results = connector.deliver_orders([_delivery_order(order, reference) for order in orders])
    except RateLimited as limited:
        # Refused before it was accepted: nothing reached the WMS.
        _release(orders, not_before=timezone.now() + timedelta(seconds=limited.retry_after))
        raise
    except AuthError:
        _release(orders)
        raise
    except TransientError:
        # Maybe accepted, maybe not: the claims stay, and the next run asks the WMS.
        run.log("No clear answer from the WMS for %s order(s); the next run checks.", len(orders))
        raise
    by_ref = {result.cust_ref: result for result in results}
    sent = _record_results(orders, by_ref, run=run)
    unclear = [order for order in orders if order.cust_ref not in by_ref]
    if unclear:
        # No word on these (a timeout after the request left, say): their claims stay, and
        # the run fails so the next one, a minute later, asks the WMS about them.
        run.log("No clear answer from the WMS for %s order(s); the next run checks.", len(unclear))
        raise TransientError(
            f"The WMS gave no clear answer for {len(unclear)} order(s); the hub asks it about "
            "them before sending anything again."
        )
    return sent


def _record_results(
    orders: list[Order], results: dict[str, DeliveryResult], *, run: RunRecorder
) -> int:
    now = timezone.now()
    delivered, retry, refused = [], [], []
    for order in orders:
        result = results.get(order.cust_ref)
        if result is None:
            continue  # no word on it: the claim stays, and the next run asks the WMS
        if result.ok:
            order.wms_reference = result.wms_reference[:100]
            delivered.append(order)
        elif result.permanent:
            refused.append((order, result))
        else:
            retry.append((order, result.error))
    _mark_delivered(delivered, now=now, run=run)
    for order, result in refused:
        code = HoldReason.UNKNOWN_SKU if result.code == "unknown_sku" else HoldReason.WMS_REFUSED
        with transaction.atomic():
            Order.objects.filter(id=order.id).update(failed_sends=order.failed_sends + 1)
            _to_error(order, hold=Hold(code, f"The WMS refused the order: {result.error}"), run=run)
    if refused:
        _alert_refused(refused)
    for order, error in retry:
        _retry_later(order, error=error, now=now, run=run)
    if delivered:
        _resolve_delivered(delivered, now=now)
    return len(delivered)


def _mark_delivered(delivered: list[Order], *, now, run: RunRecorder) -> None:  # type: ignore[no-untyped-def]
    if delivered:
        with transaction.atomic():  # the status change and its events, together
            Order.objects.bulk_update(delivered, ["wms_reference"])
            Order.objects.filter(
                id__in=[order.id for order in delivered], status=OrderStatus.NEW
            ).update(
                status=OrderStatus.AT_WMS,
                delivered_at=now,
                updated_at=now,
                error_reason="",
                error_code="",
                not_before=None,
            )
            order_events_write(
                delivered,
                from_status=OrderStatus.NEW,
                to_status=OrderStatus.AT_WMS,
                message="Sent to the WMS.",
                job_run_id=run.job_run.id,
            )
        run.count(ok=len(delivered))
        for order in delivered:
            run.log(
                "Order %s sent (%s).", order.order_number, order.wms_reference or "no reference"
            )


def refused_key(merchant_id: int, group: str, sku: str = "") -> str:
    """The key of an "order refused" alert: one per unknown SKU, one for incomplete
    addresses, one for every other refusal, per merchant."""
    if group == HoldReason.UNKNOWN_SKU:
        return alert_key("merchant", merchant_id, "unknown_sku", sku)
    return alert_key("merchant", merchant_id, group)


def _alert_refused(refused: list[tuple[Order, DeliveryResult]]) -> None:
    """One alert per group of refusals, not one per order (a batch is one merchant's)."""
    merchant = refused[0][0].cart.merchant
    unknown: dict[str, str] = {}
    other = ""
    for _, result in refused:
        if result.code == "unknown_sku" and result.skus:
            for sku in result.skus:
                unknown.setdefault(sku, result.error)
        else:
            other = other or result.error
    for sku, error in unknown.items():
        _alert_unknown_sku(merchant, sku=sku, wms_message=error)
    if other:
        waiting = Order.objects.filter(
            merchant=merchant,
            status=OrderStatus.ERROR,
            error_code__in=[HoldReason.WMS_REFUSED, HoldReason.UNKNOWN_SKU],
        ).count()
        alerts_raise(
            account=merchant.account_id,
            merchant=merchant,
            kind=AlertKind.ORDER_REFUSED,
            key=refused_key(merchant.id, HoldReason.WMS_REFUSED),
            subject=f"The WMS refused orders of {merchant.name}: {waiting} wait",
            message=f"The WMS said: {other}\nEdit the orders here (they then go again on "
            "their own), or fix the product or setting the WMS names and use Resend to WMS.",
            link=_held_orders_link(merchant.id),
        )


def _alert_unknown_sku(merchant: Merchant, *, sku: str, wms_message: str) -> None:
    waiting = (
        Order.objects.filter(
            merchant=merchant, status=OrderStatus.ERROR, error_code=HoldReason.UNKNOWN_SKU
        )
        .filter(
            id__in=OrderLine.objects.filter(merchant=merchant)
            .filter(Q(sku=sku) | Q(wms_sku=sku))
            .values("order_id")
        )
        .count()
    )
    alerts_raise(
        account=merchant.account_id,
        merchant=merchant,
        kind=AlertKind.ORDER_REFUSED,
        key=refused_key(merchant.id, HoldReason.UNKNOWN_SKU, sku),
        subject=f"The WMS does not know SKU “{sku}”: {waiting} order(s) of {merchant.name} wait",
        message=f"The WMS said: {wms_message}\nMap it with a product alias or edit the order; "
        "the held orders then go to the WMS on their own.",
        link=_alias_link(merchant.id),
    )


def _alert_missing_address(merchant: Merchant, *, wms_message: str) -> None:
    waiting = Order.objects.filter(
        merchant=merchant, status=OrderStatus.ERROR, error_code=HoldReason.MISSING_ADDRESS
    ).count()
    alerts_raise(
        account=merchant.account_id,
        merchant=merchant,
        kind=AlertKind.ORDER_REFUSED,
        key=refused_key(merchant.id, HoldReason.MISSING_ADDRESS),
        subject=f"{waiting} order(s) of {merchant.name} have an incomplete ship-to address",
        message=(f"The WMS said: {wms_message}\n" if wms_message else "")
        + "Correct the address in the cart (the hub reloads the order) or edit the order here; "
        "it then goes to the WMS.",
        link=_held_orders_link(merchant.id),
    )


def _alias_link(merchant_id: int) -> str:
    try:
        return reverse("alias_list", args=[merchant_id])
    except NoReverseMatch:  # the alias screen is not there yet: the held orders are
        return _held_orders_link(merchant_id)


def _held_orders_link(merchant_id: int) -> str:
    return f"{reverse('order_list')}?status={OrderStatus.ERROR}&merchant={merchant_id}"


def _resolve_delivered(delivered: list[Order], *, now) -> None:  # type: ignore[no-untyped-def]
    """Close the alerts these deliveries show are over, reading the open ones in one query:
    an order's "gave up" alert (it was sent after all), and the merchant's "order refused"
    alerts (an unknown SKU on a delivered order, or a group with no order held any more)."""
    merchant_id, account_id = delivered[0].merchant_id, delivered[0].account_id
    gave_up = {alert_key("order", order.id) for order in delivered}
    refused = alert_key("merchant", merchant_id, "")
    open_alerts = list(
        Alert.objects.filter(account_id=account_id, resolved_at=None)
        .filter(
            Q(kind=AlertKind.DELIVERY_GAVE_UP, key__in=gave_up)
            | Q(kind=AlertKind.ORDER_REFUSED, key__startswith=refused)
        )
        .values_list("id", "kind", "key")
    )
    if not open_alerts:
        return
    sent_skus = {
        sku
        for order in delivered
        for line in order.delivery_lines  # type: ignore[attr-defined]
        for sku in (line.sku, line.wms_sku)
    }
    held = Order.objects.filter(merchant_id=merchant_id, status=OrderStatus.ERROR)
    over = [
        alert_id
        for alert_id, kind, key in open_alerts
        if kind == AlertKind.DELIVERY_GAVE_UP
        or _refusal_over(key, merchant_id=merchant_id, sent_skus=sent_skus, held=held)
    ]
    Alert.objects.filter(id__in=over, resolved_at=None).update(resolved_at=now)


def _refusal_over(key: str, *, merchant_id: int, sent_skus: set[str], held) -> bool:  # type: ignore[no-untyped-def]
    unknown_prefix = refused_key(merchant_id, HoldReason.UNKNOWN_SKU, "")
    if key.startswith(unknown_prefix):
        sku = key[len(unknown_prefix) :]
        if sku in sent_skus:  # the WMS took an order with it: it knows the SKU now
            return True
        with_sku = OrderLine.objects.filter(merchant_id=merchant_id).filter(
            Q(sku=sku) | Q(wms_sku=sku)
        )
        return not held.filter(
            error_code=HoldReason.UNKNOWN_SKU, id__in=with_sku.values("order_id")
        ).exists()
    for code in (HoldReason.MISSING_ADDRESS, HoldReason.WMS_REFUSED):
        if key == refused_key(merchant_id, code):
            return not held.filter(error_code=code).exists()
    return False


def _retry_later(order: Order, *, error: str, now, run: RunRecorder) -> None:  # type: ignore[no-untyped-def]
    first_failed = order.first_failed_at or now
    failures = order.failed_sends + 1
    if now - first_failed >= RETRY_FOR:
        with transaction.atomic():
            Order.objects.filter(id=order.id).update(failed_sends=failures)
            _to_error(
                order,
                hold=Hold(
                    HoldReason.GAVE_UP, f"The WMS did not take the order for 15 days: {error}"
                ),
                run=run,
            )
        alerts_raise(
            account=order.account_id,
            merchant=order.cart.merchant,
            cart=order.cart,
            kind=AlertKind.DELIVERY_GAVE_UP,
            key=alert_key("order", order.id),
            subject=f"Order {order.order_number} could not be sent for 15 days",
            message=error,
            link=reverse("order_detail", args=[order.id]),
        )
        return
    wait = min(RETRY_MAX, RETRY_BASE * 2 ** min(failures - 1, 10))
    Order.objects.filter(id=order.id, status=OrderStatus.NEW).update(
        failed_sends=failures,
        first_failed_at=first_failed,
        not_before=now + wait,
        delivery_started_at=None,
        delivery_job_run=None,
        error_reason=error,
        error_code=HoldReason.WMS_RETRYING,
    )
    run.log(
        "Order %s not taken (%s); trying again in %s min.",
        order.order_number,
        error,
        int(wait.total_seconds() // 60),
    )
    run.count(failed=1)
