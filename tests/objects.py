"""Builders for the hub's objects in tests: a sandbox WMS, carts, orders, shipments."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from accounts.models import Account, Merchant
from carts import services as cart_services
from carts.connectors.sandbox import SANDBOX_KEY
from carts.models import CartConnection
from orders.models import Order, OrderLine, OrderStatus, Shipment
from wms import services as wms_services
from wms.models import WmsConnection

ADDRESS = {
    "first_name": "Maria",
    "last_name": "Garcia",
    "address_1": "1200 Market St",
    "city": "Philadelphia",
    "state": "PA",
    "zip": "19107",
    "country": "US",
}


def create_wms(account: Account, **settings: Any) -> WmsConnection:
    return wms_services.wms_save(
        account=account,
        connector_key="sandbox",
        label="Sandbox WMS",
        settings={"ship_delay_seconds": 0, "split_percent": 0, **settings},
        credentials={"api_key": SANDBOX_KEY},
    )


def create_cart(
    merchant: Merchant,
    *,
    connector_key: str = "sandbox",
    prefix: str | None = None,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, str] | None = None,
    label: str = "",
) -> CartConnection:
    return cart_services.cart_create(
        merchant=merchant,
        connector_key=connector_key,
        label=label or f"{merchant.name} store",
        order_source=label or f"{merchant.name} store",
        reference_prefix=prefix
        or cart_services.default_reference_prefix(account_id=merchant.account_id),
        settings={"orders_per_minute": 0, **(settings or {})},
        credentials=credentials if credentials is not None else {"api_key": SANDBOX_KEY},
    )


def create_woocommerce_cart(merchant: Merchant, emulator: Any, *, prefix: str) -> CartConnection:
    """A WooCommerce cart pointed at a running WooCommerceEmulator (tests/emulators/)."""
    return create_cart(
        merchant,
        connector_key="woocommerce",
        prefix=prefix,
        settings={"base_url": emulator.base_url, "earliest_order_date": "2000-01-01"},
        credentials={
            "consumer_key": emulator.consumer_key,
            "consumer_secret": emulator.consumer_secret,
            "webhook_secret": emulator.webhook_secret,
        },
    )


def create_kit(merchant: Merchant, kit_sku: str, components: dict[str, int]) -> None:
    """A kit of the merchant: each component SKU with its quantity per kit."""
    from inventory.models import KitComponent

    for sku, quantity in components.items():
        KitComponent.objects.create(
            account_id=merchant.account_id,
            merchant=merchant,
            kit_sku=kit_sku,
            component_sku=sku,
            quantity=quantity,
        )


def create_order(
    cart: CartConnection,
    *,
    number: int = 1001,
    status: str = OrderStatus.NEW,
    skus: tuple[str, ...] = ("TENT-2P-GRN",),
    ship_to: dict[str, str] | None = None,
    ship_code: str = "standard",
    **fields: Any,
) -> Order:
    order = Order.objects.create(
        account_id=cart.account_id,
        merchant_id=cart.merchant_id,
        cart=cart,
        source_order_id=str(number),
        order_number=f"#{number}",
        cust_ref=f"{cart.reference_prefix}{number}",
        status=status,
        ship_to=ADDRESS if ship_to is None else ship_to,
        ship_code=ship_code,
        **{
            "ship_name": "Maria Garcia",
            "ordered_at": datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
            **fields,
        },
    )
    for line_number, sku in enumerate(skus, start=1):
        OrderLine.objects.create(
            account_id=cart.account_id,
            merchant_id=cart.merchant_id,
            order=order,
            line_number=line_number,
            source_line_id=f"{number}-{line_number}",
            sku=sku,
            wms_sku=sku,
            quantity=Decimal(1),
            price=Decimal("10.00"),
            extended_amount=Decimal("10.00"),
        )
    return order


def create_shipment(
    order: Order, *, ref: str = "S-1", tracking: str = "1Z999AA10000000001"
) -> Shipment:
    return Shipment.objects.create(
        account_id=order.account_id,
        merchant_id=order.merchant_id,
        cart_id=order.cart_id,
        order=order,
        wms_shipment_ref=ref,
        carrier="UPS",
        tracking_number=tracking,
        shipped_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
    )


def recorder(*, merchant: Merchant, service: str, cart: CartConnection | None = None):  # type: ignore[no-untyped-def]
    """A RunRecorder on a fresh JobRun, as the runner gives a service."""
    from jobs.models import JobRun
    from jobs.recorder import RunRecorder

    return RunRecorder(
        JobRun.objects.create(
            account_id=merchant.account_id,
            merchant=merchant,
            cart=cart,
            service=service,
            trigger=JobRun.Trigger.MANUAL,
        )
    )


def order_record(
    number: int,
    *,
    minutes: int = 0,
    canceled: bool = False,
    skus=("TENT-2P-GRN",),  # type: ignore[no-untyped-def]
    ship_code: str = "standard",
    street: str = "1200 Market St",
):
    """A cart order as a connector would yield it; `minutes` moves its modification time."""
    from datetime import timedelta

    from integration_manager.records import Address, OrderLineRecord, OrderRecord

    placed = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    address = Address(**{**ADDRESS, "address_1": street})
    return OrderRecord(
        source_order_id=str(number),
        order_number=f"#{number}",
        ordered_at=placed,
        updated_at=placed + timedelta(minutes=minutes),
        ship_to=address,
        bill_to=address,
        lines=tuple(
            OrderLineRecord(
                sku=sku,
                quantity=Decimal(2),
                price=Decimal("10.50"),
                source_line_id=f"{number}-{index}",
                tax=Decimal("1.47"),
            )
            for index, sku in enumerate(skus, start=1)
        ),
        ship_code=ship_code,
        sales_tax=Decimal("1.47") * len(skus),
        shipping_handling=Decimal("5.99"),
        canceled=canceled,
        raw={"id": number},
    )
