"""The sandbox WMS: accepts orders, ships them after a delay, reports stock in two warehouses."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q

from integration_manager import sandbox_catalogue as catalogue
from integration_manager.connector_errors import AuthError, RecordError, TransientError
from integration_manager.connectors import ConnectorSettingsForm
from integration_manager.records import (
    DeliveryOrder,
    DeliveryResult,
    MerchantRef,
    ShipmentLineRecord,
    ShipmentPage,
    ShipmentRecord,
    ShipMethodRecord,
    StockLevel,
)
from wms.connectors.base import (
    CANCEL_ORDER,
    DELIVER_ORDERS,
    FETCH_INVENTORY,
    FETCH_SHIP_METHODS,
    FETCH_SHIPMENTS,
    LOOKUP_ORDER,
    MERCHANT_OPTIONS,
    WmsConnector,
)
from wms.connectors.registry import register

SANDBOX_KEY = "sandbox-key"
PAGE_SIZE = 100
# Shipments are read again this far back: a row committed late is still seen.
OVERLAP = timedelta(seconds=60)
CARRIER_BY_CODE = {code: carrier for code, _, carrier in catalogue.WMS_SHIP_METHODS}
TRACKING_URLS = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
}


class SandboxWmsForm(ConnectorSettingsForm):
    api_key = forms.CharField(
        label="Sandbox key", help_text=f"Type “{SANDBOX_KEY}”; anything else is refused."
    )
    ship_delay_seconds = forms.IntegerField(
        min_value=0,
        max_value=86_400,
        initial=20,
        help_text="How long the warehouse takes to ship an order it accepted.",
    )
    split_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=25,
        help_text="Orders with several lines that ship in two packages.",
    )


class SandboxMerchantForm(forms.Form):
    """What the sandbox WMS keeps per merchant: the customer its orders are filed under."""

    customer_id = forms.CharField(
        label="Customer in the sandbox WMS",
        max_length=100,
        required=False,
        help_text="The customer this merchant's orders are filed under. Empty: one of its "
        "own. Load from the WMS lists the sandbox's customers.",
    )


# The customers the sandbox WMS says it has (the merchant settings' "load from the WMS").
SANDBOX_CUSTOMERS = [("SBX-1001", "Acme Outdoor"), ("SBX-1002", "Trailhead Supply")]


def _merchant_key(merchant: MerchantRef) -> str:
    return merchant.wms_customer_id or f"merchant-{merchant.id}"


@register
class SandboxWmsConnector(WmsConnector):
    """A warehouse with no network; its own records live in SandboxWmsOrder.

    Tests can make it misbehave through settings["misbehave"]: {"timeout_after_accept":
    [cust_ref, ...]} accepts those orders and then answers like a timeout;
    {"hang_after_accept_seconds": n} accepts and then takes n seconds to answer;
    {"hang_before_accept_seconds": n} takes n seconds before it accepts anything (a send
    still in flight);
    {"unavailable": true} answers like a 503 before accepting anything.
    """

    key = "sandbox"
    label = "Sandbox WMS"
    description = "A made-up warehouse that ships what it receives, for trying the hub out."
    capabilities = frozenset(
        {
            DELIVER_ORDERS,
            LOOKUP_ORDER,
            FETCH_SHIPMENTS,
            FETCH_INVENTORY,
            FETCH_SHIP_METHODS,
            CANCEL_ORDER,
            MERCHANT_OPTIONS,
        }
    )
    settings_form = SandboxWmsForm
    merchant_settings_form = SandboxMerchantForm
    secret_fields = ("api_key",)
    address_fields = ()  # no network: nothing to point elsewhere

    @property
    def misbehave(self) -> dict[str, Any]:
        return dict(self.settings.get("misbehave") or {})

    def _check_key(self) -> None:
        if self.credentials.get("api_key") != SANDBOX_KEY:
            raise AuthError(
                "The sandbox WMS refused the key. Type the key its field's help shows in the WMS "
                "settings."
            )
        if self.misbehave.get("unavailable"):
            raise TransientError("The sandbox WMS answered HTTP 503. The hub will try again.")

    def test_connection(self) -> str:
        self._check_key()
        return (
            f"Connected to the sandbox WMS: {len(catalogue.PRODUCTS)} products in "
            f"{len(catalogue.WAREHOUSES)} warehouses."
        )

    def _orders(self):  # type: ignore[no-untyped-def]
        from wms.models import SandboxWmsOrder

        return SandboxWmsOrder.objects.filter(account_id=self.context.account_id)

    def deliver_orders(self, orders: Sequence[DeliveryOrder]) -> list[DeliveryResult]:
        from wms.models import SandboxWmsOrder

        self._check_key()
        hang = float(self.misbehave.get("hang_before_accept_seconds", 0))
        if hang:
            time.sleep(hang)
        delay = timedelta(seconds=int(self.settings.get("ship_delay_seconds", 20)))
        results = []
        for order in orders:
            unknown = [line.sku for line in order.lines if line.sku not in catalogue.PRODUCT_BY_SKU]
            if unknown:
                results.append(
                    DeliveryResult(
                        cust_ref=order.cust_ref,
                        ok=False,
                        error=f"The warehouse has no product {', '.join(unknown)}. Add it in "
                        "the WMS or map it to a stocked SKU with a product alias, then resend.",
                        code="unknown_sku",
                        skus=tuple(dict.fromkeys(unknown)),
                    )
                )
                continue
            now = datetime.now(UTC)
            row = SandboxWmsOrder.objects.create(
                account_id=self.context.account_id,
                merchant_key=_merchant_key(order.merchant),
                cust_ref=order.cust_ref,
                reference="",
                payload={
                    "ship_code": order.ship_code,
                    "lines": [[line.sku, str(line.quantity)] for line in order.lines],
                },
                accepted_at=now,
                ship_after=now + delay,
            )
            row.reference = f"SBX-{row.id:07d}"
            row.save(update_fields=["reference"])
            results.append(
                DeliveryResult(cust_ref=order.cust_ref, ok=True, wms_reference=row.reference)
            )
        hang = float(self.misbehave.get("hang_after_accept_seconds", 0))
        if hang:
            time.sleep(hang)
        timeouts = set(self.misbehave.get("timeout_after_accept", []))
        if timeouts & {order.cust_ref for order in orders}:
            raise TransientError("The sandbox WMS did not answer in time. The hub will try again.")
        return results

    def lookup_order(self, cust_ref: str, merchant: MerchantRef) -> str | None:
        self._check_key()
        row = (
            self._orders()
            .filter(cust_ref=cust_ref, merchant_key=_merchant_key(merchant))
            .order_by("id")
            .first()
        )
        return row.reference if row else None

    def merchant_options(self) -> dict[str, list[tuple[str, str]]]:
        self._check_key()
        return {"customer_id": list(SANDBOX_CUSTOMERS)}

    def cancel_order(self, cust_ref: str, merchant: MerchantRef) -> None:
        self._check_key()
        now = datetime.now(UTC)
        rows = self._orders().filter(cust_ref=cust_ref, merchant_key=_merchant_key(merchant))
        if rows.filter(ship_after__lte=now, canceled_at=None).exists():
            raise RecordError(
                "The warehouse already shipped this order; it cannot be canceled.",
                record_ref=cust_ref,
            )
        rows.update(canceled_at=now)

    def fetch_shipments(self, merchant: MerchantRef, cursor: str | None) -> Iterator[ShipmentPage]:
        self._check_key()
        now = datetime.now(UTC)
        shipped = self._orders().filter(
            merchant_key=_merchant_key(merchant), canceled_at=None, ship_after__lte=now
        )
        if cursor:
            shipped = shipped.filter(ship_after__gte=datetime.fromisoformat(cursor) - OVERLAP)
        rows = list(shipped.order_by("ship_after", "id"))
        if not rows:
            yield ShipmentPage(shipments=[], cursor=cursor)
            return
        split = int(self.settings.get("split_percent", 25))
        for offset in range(0, len(rows), PAGE_SIZE):
            page = rows[offset : offset + PAGE_SIZE]
            shipments = [shipment for row in page for shipment in self._shipments_of(row, split)]
            yield ShipmentPage(shipments=shipments, cursor=page[-1].ship_after.isoformat())

    def _shipments_of(self, row: Any, split_percent: int) -> list[ShipmentRecord]:
        rng = random.Random(row.reference)
        lines = [(sku, Decimal(quantity)) for sku, quantity in row.payload.get("lines", [])]
        code = row.payload.get("ship_code") or "UPS-GND"
        carrier = CARRIER_BY_CODE.get(code, "UPS")
        packages = [lines]
        if len(lines) > 1 and rng.random() * 100 < split_percent:
            packages = [lines[: len(lines) // 2], lines[len(lines) // 2 :]]
        shipments = []
        for index, package in enumerate(packages, start=1):
            tracking = _tracking_number(carrier, f"{row.reference}-{index}")
            shipments.append(
                ShipmentRecord(
                    cust_ref=row.cust_ref,
                    wms_shipment_ref=f"{row.reference}-{index}",
                    shipped_at=row.ship_after,
                    carrier=carrier,
                    method=code,
                    tracking_number=tracking,
                    tracking_url=TRACKING_URLS.get(carrier, "").format(tracking),
                    cost=Decimal(rng.choice(["6.40", "8.15", "11.90", "23.75"])),
                    lines=tuple(
                        ShipmentLineRecord(sku=sku, quantity=quantity) for sku, quantity in package
                    ),
                )
            )
        return shipments

    def fetch_inventory(self, merchant: MerchantRef) -> list[StockLevel]:
        self._check_key()
        key = _merchant_key(merchant)
        since = datetime.now(UTC) - timedelta(days=1)
        ordered: dict[str, Decimal] = {}
        recent = self._orders().filter(merchant_key=key, accepted_at__gte=since)
        for payload in recent.filter(Q(canceled_at=None)).values_list("payload", flat=True):
            for sku, quantity in payload.get("lines", []):
                ordered[sku] = ordered.get(sku, Decimal("0")) + Decimal(quantity)
        levels = []
        now = datetime.now(UTC)
        for warehouse_id, warehouse_name in catalogue.WAREHOUSES:
            for sku, _, _ in catalogue.PRODUCTS:
                seed = hashlib.sha256(f"{key}:{warehouse_id}:{sku}".encode()).digest()
                base = 40 + seed[0] % 160
                # Half of the day's orders come out of each warehouse.
                available = max(0, base - int(ordered.get(sku, 0)) // 2)
                levels.append(
                    StockLevel(
                        sku=sku,
                        location_id=warehouse_id,
                        location_name=warehouse_name,
                        available=available,
                        on_hand=available + seed[1] % 10,
                        updated_at=now,
                    )
                )
        return levels

    def fetch_ship_methods(self) -> list[ShipMethodRecord]:
        self._check_key()
        return [
            ShipMethodRecord(code=code, description=description, carrier=carrier)
            for code, description, carrier in catalogue.WMS_SHIP_METHODS
        ]


def _tracking_number(carrier: str, seed: str) -> str:
    digits = str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))
    if carrier == "UPS":
        return f"1Z999AA1{digits[:10]}"
    if carrier == "USPS":
        return f"9400{digits[:18]}"
    return digits[:12]
