"""Inventory upload: what each cart should show; only what differs from the last push is sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from carts.connectors.base import UPLOAD_INVENTORY
from carts.connectors.registry import cart_connector_for
from carts.models import CartConnection
from integration_manager.connector_errors import NOT_TRACKED, UNKNOWN_SKU, RecordError
from integration_manager.records import StockLevel
from inventory.committed import committed_quantities
from inventory.jobs import INVENTORY_UPLOAD
from inventory.models import InventoryLevel, ItemFilter, ProductSync, SyncStatus
from inventory.rules import (
    ItemFilterRule,
    MerchantRules,
    cart_skus_by_wms_sku,
    kit_available,
    merchant_rules_load,
)
from jobs.models import Frequency, ServiceSchedule
from jobs.recorder import RunRecorder
from jobs.services import schedules_trigger

UPLOAD_BATCH = 500  # SKUs a cart is sent in one call
ROWS_BATCH = 2_000  # ProductSync rows written in one statement
RECONCILE_EVERY = timedelta(days=1)
# Refused SKUs wait for the next full reconcile: asking again each run would cost a lookup
# per SKU in most carts and fill every run's log with the same refusals.
REFUSED_STATUSES = frozenset(
    {SyncStatus.UNKNOWN_IN_CART, SyncStatus.NOT_TRACKED, SyncStatus.REFUSED}
)
STATUS_BY_CODE = {UNKNOWN_SKU: SyncStatus.UNKNOWN_IN_CART, NOT_TRACKED: SyncStatus.NOT_TRACKED}
GONE_REASON = "No stock of it at the cart's locations any more: 0 pushed."


class StockCart(Protocol):
    """The part of a cart connector an upload uses."""

    label: str

    def upload_inventory(self, levels: Sequence[StockLevel]) -> list[RecordError]: ...


@dataclass(frozen=True)
class CartStock:
    """What one cart SKU should show; quantity None: not to be pushed (filtered)."""

    quantity: int | None
    status: str = SyncStatus.SYNCED
    reason: str = ""


@dataclass(frozen=True)
class Pushed:
    """A ProductSync row as the run found it."""

    quantity: int | None
    pushed_at: datetime | None
    status: str
    reason: str


@dataclass
class UploadTally:
    sent: int = 0
    refused: int = 0
    unchanged: int = 0
    waiting: int = 0  # refused before, not asked again until the reconcile
    filtered: int = 0


def inventory_upload(*, cart: CartConnection, run: RunRecorder) -> None:
    """Push the stock the cart should show: its location's or all enabled locations added
    up, less what is committed, under the cart's SKUs; only what differs from the last push,
    or everything at a full reconcile."""
    connector = cart_connector_for(cart)
    if not connector.supports(UPLOAD_INVENTORY):
        run.say(f"{connector.label} carts do not take inventory; nothing sent.")
        return
    inventory_push(cart=cart, connector=connector, run=run)


def inventory_push(*, cart: CartConnection, connector: StockCart, run: RunRecorder) -> None:
    """Push the cart's stock: each SKU whose quantity differs from what was last pushed to
    it (or every SKU, at a full reconcile), and record what was pushed, batch by batch."""
    started = timezone.now()
    levels = _cart_levels(cart, run)
    if levels is None:
        return
    reconciled_at = cart.inventory_reconciled_at
    upload = _Upload(
        cart=cart,
        connector=connector,
        run=run,
        wanted=inventory_for_cart(cart=cart, available=_available(cart, levels), run=run),
        pushed=_pushed(cart),
        reconcile=reconciled_at is None or reconciled_at < started - RECONCILE_EVERY,
    )
    run.count(seen=len(upload.wanted))
    for sku in sorted(set(upload.wanted) | _gone(upload.pushed, upload.wanted)):
        upload.plan_sku(sku)
    upload.flush()
    if upload.reconcile:
        _reconciled(cart, was=reconciled_at, at=started)
    tally = upload.tally
    run.count(ok=tally.sent, failed=tally.refused, skipped=tally.waiting)
    run.say(_summary(tally, reconcile=upload.reconcile))


def _cart_levels(cart: CartConnection, run: RunRecorder) -> QuerySet[InventoryLevel] | None:
    """The levels the cart's location setting reads; None when it names a disabled one."""
    levels = InventoryLevel.objects.filter(merchant_id=cart.merchant_id, location__enabled=True)
    location = cart.inventory_location
    if location is None:
        return levels
    if not location.enabled:
        text = (
            f"No stock sent: the cart pushes the stock of {location.name}, which is disabled. "
            "Enable the location, or choose another one in the cart's settings."
        )
        run.log(text)
        run.say(text)
        return None
    return levels.filter(location_id=location.id)


def _available(cart: CartConnection, levels: QuerySet[InventoryLevel]) -> dict[str, int]:
    """Per WMS SKU: the locations added up, less what is committed, never below 0."""
    rules = merchant_rules_load(merchant_id=cart.merchant_id)
    committed = committed_quantities(merchant_id=cart.merchant_id, levels=levels, rules=rules)
    totals = levels.values("sku").annotate(total=Sum("available")).values_list("sku", "total")
    return {sku: max(0, total - committed.get(sku, 0)) for sku, total in totals.order_by()}


def inventory_for_cart(
    *,
    cart: CartConnection,
    available: dict[str, int],
    run: RunRecorder,
    rules: MerchantRules | None = None,
) -> dict[str, CartStock]:
    """The cart's rules on the WMS's quantities: kits as the whole kits their components
    make, each SKU under the cart SKU aliases that point at it (push inventory using alias),
    the item filter (recorded, not pushed) and the minimum inventory level (0 below it)."""
    rules = rules or merchant_rules_load(merchant_id=cart.merchant_id, aliases=False)
    quantities = dict(available)
    for kit_sku, components in rules.kits.items():
        quantities[kit_sku] = kit_available(components, available)
    if rules.kits:
        run.log("%s kit(s) reported as the kits their components make.", len(rules.kits))
    names = cart_skus_by_wms_sku(merchant_id=cart.merchant_id) if cart.push_inventory_alias else {}
    item_filter = ItemFilterRule.of(
        mode=cart.item_filter_mode,
        level=cart.item_filter_level,
        entries=ItemFilter.objects.filter(cart_id=cart.id).values_list("sku", flat=True),
    )
    stock: dict[str, CartStock] = {}
    for sku, quantity in quantities.items():
        # A SKU no alias points at is the cart's SKU as well.
        for cart_sku in names.get(sku) or [sku]:
            stock[cart_sku] = _cart_stock(cart, quantity, filtered=item_filter.filters(cart_sku))
    filtered = sum(1 for entry in stock.values() if entry.quantity is None)
    if filtered:
        run.log("%s SKU(s) not sent: the cart's item filter leaves them out.", filtered)
    return stock


def _cart_stock(cart: CartConnection, quantity: int, *, filtered: bool) -> CartStock:
    if filtered:
        return CartStock(
            None,
            SyncStatus.FILTERED,
            "The cart's item filter leaves this SKU out: its stock is not sent.",
        )
    minimum = cart.min_inventory_level
    if quantity < minimum:
        return CartStock(
            0,
            SyncStatus.BELOW_MINIMUM,
            f"{quantity} available, below the cart's minimum inventory level of {minimum}: "
            "0 pushed.",
        )
    return CartStock(quantity)


def _pushed(cart: CartConnection) -> dict[str, Pushed]:
    """What was pushed to the cart, read in one streamed query."""
    rows = ProductSync.objects.filter(cart_id=cart.id).values_list(
        "sku", "pushed_quantity", "pushed_at", "status", "reason"
    )
    return {
        sku: Pushed(quantity, pushed_at, status, reason)
        for sku, quantity, pushed_at, status, reason in rows.order_by().iterator(chunk_size=5_000)
    }


def _gone(pushed: dict[str, Pushed], wanted: dict[str, CartStock]) -> set[str]:
    """SKUs the cart was told it has stock of that no level reports any more."""
    return {sku for sku, row in pushed.items() if row.quantity and sku not in wanted}


@dataclass
class _Plan:
    """One page: the levels to send and the ProductSync rows to write."""

    send: dict[str, CartStock] = field(default_factory=dict)
    rows: dict[str, ProductSync] = field(default_factory=dict)


@dataclass
class _Upload:
    """One run's inputs, read once, and its tally."""

    cart: CartConnection
    connector: StockCart
    run: RunRecorder
    wanted: dict[str, CartStock]
    pushed: dict[str, Pushed]
    reconcile: bool
    tally: UploadTally = field(default_factory=UploadTally)

    plan: _Plan = field(default_factory=_Plan)

    def plan_sku(self, sku: str) -> None:
        """Send the SKU, only note its status, or leave its row as it is; a full batch goes."""
        plan = self.plan
        entry = self.wanted.get(sku) or CartStock(0, SyncStatus.SYNCED, GONE_REASON)
        before = self.pushed.get(sku)
        if entry.quantity is None:
            self.tally.filtered += 1
        elif before is not None and before.status in REFUSED_STATUSES and not self.reconcile:
            self.tally.waiting += 1
            return
        elif self.reconcile or before is None or before.quantity != entry.quantity:
            plan.send[sku] = entry
            plan.rows[sku] = self._row(sku, entry, before, sent=True)
        else:
            self.tally.unchanged += 1
        if sku not in plan.send and (
            before is None or (before.status, before.reason) != (entry.status, entry.reason)
        ):
            plan.rows[sku] = self._row(sku, entry, before, sent=False)
        if len(plan.send) >= UPLOAD_BATCH or len(plan.rows) >= ROWS_BATCH:
            self.flush()

    def flush(self) -> None:
        """Send the planned levels in one call and record the outcome with the other rows."""
        plan, self.plan = self.plan, _Plan()
        refused: list[RecordError] = []
        if plan.send:
            self.run.check_owner()
            refused = self.connector.upload_inventory(
                [
                    StockLevel(sku=sku, location_id="", available=entry.quantity or 0)
                    for sku, entry in plan.send.items()
                ]
            )
        self._record(plan, refused)

    def _row(self, sku: str, entry: CartStock, before: Pushed | None, *, sent: bool) -> ProductSync:
        """The row as it will be if the cart takes the level; _record sets the times."""
        return ProductSync(
            account_id=self.cart.account_id,
            merchant_id=self.cart.merchant_id,
            cart_id=self.cart.id,
            sku=sku,
            pushed_quantity=entry.quantity if sent else (before.quantity if before else None),
            pushed_at=None if sent else (before.pushed_at if before else None),
            status=entry.status,
            reason=entry.reason,
        )

    @transaction.atomic
    def _record(self, plan: _Plan, refused: list[RecordError]) -> None:
        """The page's outcome in one statement: the values pushed for what the cart took;
        for what it refused, the refusal and the value pushed before (kept)."""
        refused_skus: set[str] = set()
        for failure in refused:
            sku = failure.record_ref
            self.run.log("SKU %s not updated: %s", sku or "(no SKU)", failure)
            row = plan.rows.get(sku)
            if row is None or sku not in plan.send:
                continue
            refused_skus.add(sku)
            before = self.pushed.get(sku)
            row.pushed_quantity = before.quantity if before else None
            row.pushed_at = before.pushed_at if before else None
            row.status = STATUS_BY_CODE.get(failure.code, SyncStatus.REFUSED)
            row.reason = str(failure)
        now = timezone.now()
        for sku, row in plan.rows.items():
            row.checked_at = now
            if sku in plan.send and sku not in refused_skus:
                row.pushed_at = now
        self.tally.sent += len(plan.send) - len(refused_skus)
        self.tally.refused += len(refused_skus)
        if plan.rows:
            ProductSync.objects.bulk_create(
                list(plan.rows.values()),
                update_conflicts=True,
                unique_fields=["cart", "sku"],
                update_fields=["pushed_quantity", "pushed_at", "status", "reason", "checked_at"],
            )


def _reconciled(cart: CartConnection, *, was: datetime | None, at: datetime) -> None:
    # Compare-and-swap: a "Reconcile now" pressed during this run (which cleared the time)
    # is not undone by it.
    CartConnection.objects.filter(id=cart.id, inventory_reconciled_at=was).update(
        inventory_reconciled_at=at
    )


def _summary(tally: UploadTally, *, reconcile: bool) -> str:
    parts = [f"{tally.sent} SKU(s) sent"]
    if tally.refused:
        parts.append(f"{tally.refused} refused (see View product sync)")
    parts.append(f"{tally.unchanged} unchanged")
    if tally.waiting:
        parts.append(f"{tally.waiting} refused before, tried again at the next full reconcile")
    if tally.filtered:
        parts.append(f"{tally.filtered} filtered")
    return ("Full reconcile: " if reconcile else "") + ", ".join(parts) + "."


@transaction.atomic
def inventory_reconcile_request(*, cart: CartConnection) -> bool:
    """Make the cart's next inventory upload a full reconcile and make it due now, whatever
    its frequency (unless Off); False when the upload is Off and waits to be run."""
    CartConnection.objects.filter(id=cart.id).update(inventory_reconciled_at=None)
    schedules_trigger(service=INVENTORY_UPLOAD, cart_ids=[cart.id], whatever_frequency=True)
    # The trigger counts only schedules it moved: one already due is not Off.
    upload = ServiceSchedule.objects.filter(cart_id=cart.id, service=INVENTORY_UPLOAD)
    return upload.exclude(frequency=Frequency.OFF).exists()
