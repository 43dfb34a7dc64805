"""The sandbox cart: realistic orders made up on the fly, for the demo and for tests."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms

from carts.connectors.base import (
    CANCEL_ORDER,
    FETCH_ORDERS,
    UPLOAD_INVENTORY,
    UPLOAD_SHIPMENT,
    CartConnector,
)
from carts.connectors.registry import register
from integration_manager import sandbox_catalogue as catalogue
from integration_manager.connector_errors import UNKNOWN_SKU, AuthError, RecordError
from integration_manager.connectors import ConnectorSettingsForm
from integration_manager.records import (
    Address,
    OrderLineRecord,
    OrderPage,
    OrderRecord,
    ShipmentRecord,
    StockLevel,
    UploadOrder,
)

SANDBOX_KEY = "sandbox-key"
PAGE_SIZE = 50
# The sandbox store keeps two hours of orders: a demo restarted after a week does not
# unload thousands of them at once.
HISTORY = timedelta(hours=2)
CANCEL_AFTER = timedelta(seconds=90)
CENT = Decimal("0.01")


class SandboxCartForm(ConnectorSettingsForm):
    api_key = forms.CharField(
        label="Sandbox key", help_text=f"Type “{SANDBOX_KEY}”; anything else is refused."
    )
    orders_per_minute = forms.FloatField(
        min_value=0, max_value=120, initial=2, help_text="How many orders the store takes."
    )
    bad_order_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=5,
        help_text="Orders with a problem: no street address, or a product the WMS lacks.",
    )
    cancel_percent = forms.IntegerField(
        min_value=0, max_value=100, initial=3, help_text="Orders canceled 90 s after they come in."
    )


@register
class SandboxCartConnector(CartConnector):
    """A store with no network: order n comes in at start + n / rate, the same every time."""

    key = "sandbox"
    label = "Sandbox cart"
    description = "Made-up orders at a steady rate, for trying the hub out. No account needed."
    capabilities = frozenset({FETCH_ORDERS, UPLOAD_SHIPMENT, UPLOAD_INVENTORY, CANCEL_ORDER})
    ORDER_STATUSES = (("open", "Open"), ("canceled", "Canceled"))
    DEFAULT_STATUSES = ("open",)
    settings_form = SandboxCartForm
    secret_fields = ("api_key",)
    address_fields = ()  # no network: nothing to point elsewhere

    @classmethod
    def initial_settings(cls) -> dict[str, Any]:
        return {
            "seed": random.randrange(1_000_000),
            "started_at": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(),
        }

    def _check_key(self) -> None:
        if self.credentials.get("api_key") != SANDBOX_KEY:
            raise AuthError(
                "The sandbox store refused the key. Type the key its field's help shows in the "
                "cart's settings."
            )

    def test_connection(self) -> str:
        self._check_key()
        return f"Connected to the sandbox store: about {self.rate:g} orders a minute."

    @property
    def rate(self) -> float:
        return float(self.settings.get("orders_per_minute", 2))

    @property
    def started_at(self) -> datetime:
        value = self.settings.get("started_at")
        return datetime.fromisoformat(value) if value else datetime(2026, 1, 1, tzinfo=UTC)

    def fetch_orders(self, cursor: str | None) -> Iterator[OrderPage]:
        self._check_key()
        now = datetime.now(UTC)
        start = max(self.window_start(cursor), now - HISTORY)
        if self.rate <= 0:
            yield OrderPage(orders=[], cursor=cursor)
            return
        seconds_per_order = 60 / self.rate
        # Orders placed a little before the window can have been canceled inside it.
        first = max(
            0, int((start - CANCEL_AFTER - self.started_at).total_seconds() / seconds_per_order)
        )
        last = int((now - self.started_at).total_seconds() // seconds_per_order)
        records = []
        for number in range(first, last + 1):
            record = self.order(number, now=now)
            changed = record.updated_at or record.ordered_at
            if start <= changed <= now:
                records.append(record)
        records.sort(key=lambda record: (record.updated_at, record.source_order_id))
        newest = cursor
        for offset in range(0, max(len(records), 1), PAGE_SIZE):
            page = records[offset : offset + PAGE_SIZE]
            if page:
                newest = max(newest or "", page[-1].updated_at.isoformat())
            yield OrderPage(orders=page, cursor=newest)

    def order(self, number: int, *, now: datetime) -> OrderRecord:
        """Order number n of this store, as it stands at `now`."""
        rng = random.Random(f"{self.settings.get('seed', 0)}:{number}")
        ordered_at = self.started_at + timedelta(seconds=number * 60 / self.rate)
        first_name = rng.choice(catalogue.FIRST_NAMES)
        last_name = rng.choice(catalogue.LAST_NAMES)
        city, state, zip_code = rng.choice(catalogue.CITIES)
        street = rng.choice(catalogue.STREETS)
        problem = rng.random() * 100 < int(self.settings.get("bad_order_percent", 5))
        problem_kind = rng.choice(["address", "sku"]) if problem else ""
        ship_to = Address(
            first_name=first_name,
            last_name=last_name,
            address_1="" if problem_kind == "address" else street,
            city=city,
            state=state,
            zip=zip_code,
            country="US",
            phone=f"555-01{rng.randrange(10, 99)}",
            email=f"{first_name}.{last_name}@example.com".lower(),
        )
        products = rng.sample(catalogue.PRODUCTS, k=rng.randint(1, 4))
        if problem_kind == "sku":
            products[0] = catalogue.UNKNOWN_SKU
        lines = []
        for index, (sku, description, price) in enumerate(products, start=1):
            quantity = Decimal(rng.randint(1, 3))
            lines.append(
                OrderLineRecord(
                    sku=sku,
                    description=description,
                    quantity=quantity,
                    price=price,
                    source_line_id=f"{1001 + number}-{index}",
                    tax=(price * quantity * Decimal("0.07")).quantize(CENT),
                )
            )
        ship_code, ship_description = rng.choice(catalogue.CART_SHIP_CODES)
        shipping = (
            Decimal("0")
            if ship_code == "free_shipping"
            else Decimal(rng.choice(["5.99", "12.50", "24.00"]))
        )
        canceled_at = ordered_at + CANCEL_AFTER
        canceled = (
            rng.random() * 100 < int(self.settings.get("cancel_percent", 3)) and canceled_at <= now
        )
        source_id = str(1001 + number)
        return OrderRecord(
            source_order_id=source_id,
            order_number=f"#{source_id}",
            ordered_at=ordered_at,
            updated_at=canceled_at if canceled else ordered_at,
            ship_to=ship_to,
            bill_to=ship_to,
            lines=tuple(lines),
            ship_code=ship_code,
            ship_description=ship_description,
            sales_tax=sum((line.tax for line in lines), Decimal("0")),
            shipping_handling=shipping,
            canceled=canceled,
            cart_status="canceled" if canceled else "open",
            raw={"id": source_id, "generated": True},
        )

    def upload_shipment(
        self, order: UploadOrder, shipment: ShipmentRecord, *, first_attempt: bool = False
    ) -> str:
        self._check_key()
        if not shipment.tracking_number:
            raise RecordError(
                "The sandbox store needs a tracking number for a shipment.",
                record_ref=order.source_order_id,
            )
        digest = hashlib.sha256(f"{order.source_order_id}:{shipment.wms_shipment_ref}".encode())
        return f"SBX-FUL-{digest.hexdigest()[:10]}"

    def cancel_order(self, order: UploadOrder, *, reason: str) -> None:
        """The sandbox store cancels any order it made; it keeps no state to refuse with."""
        self._check_key()

    def upload_inventory(self, levels: Sequence[StockLevel]) -> list[RecordError]:
        self._check_key()
        known = {sku for sku, _, _ in catalogue.PRODUCTS} | {catalogue.UNKNOWN_SKU[0]}
        return [
            RecordError(
                f"The sandbox store has no product with SKU {level.sku}. Filter the SKU out "
                "of this cart's inventory, or ignore it: it is tried again at the next full "
                "reconcile.",
                record_ref=level.sku,
                code=UNKNOWN_SKU,
            )
            for level in levels
            if level.sku not in known
        ]
