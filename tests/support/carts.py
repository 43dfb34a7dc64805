"""Each real cart as a kit: its emulator, its settings and credentials, how to put an order
in it, sign a webhook and read back what the hub uploaded. The whole-loop, misbehaviour and
input tests run the same steps for every cart through these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from carts.models import CartConnection
from tests.emulators.bigcommerce import BigCommerceEmulator
from tests.emulators.shopify import ACCESS_TOKEN, WEBHOOK_SECRET, ShopifyEmulator
from tests.emulators.woocommerce import WooCommerceEmulator, line_item
from tests.objects import create_cart

SKU = "TENT-2P-GRN"  # the sandbox WMS stocks it
ADDRESS = {
    "first_name": "Maria",
    "last_name": "Garcia",
    "address1": "1200 Market St",
    "city": "Philadelphia",
    "province": "Pennsylvania",
    "province_code": "PA",
    "zip": "19107",
    "country": "United States",
    "country_code": "US",
}


@dataclass(frozen=True)
class CartKit:
    key: str
    emulator: Callable[[], Any]
    settings: Callable[[Any, str], dict[str, Any]]
    credentials: Callable[[Any], dict[str, str]]
    add_order: Callable[[Any], str]
    webhook: Callable[[Any, str], tuple[dict[str, str], bytes]]
    add_product: Callable[[Any, str], None]
    uploaded_tracking: Callable[[Any, str], list[str]]
    stock: Callable[[Any, str], int | None]


def _shopify_order(emulator: ShopifyEmulator) -> str:
    order = emulator.add_order(
        lines=[{"sku": SKU, "quantity": 1, "price": "189.00"}], shipping_address=ADDRESS
    )
    return str(order["id"]).rsplit("/", 1)[-1]


def _shopify_tracking(emulator: ShopifyEmulator, order_id: str) -> list[str]:
    return [
        number
        for fulfillment in emulator.fulfillments
        if order_id in str(fulfillment.get("order_id", fulfillment))
        for number in [str(fulfillment.get("tracking", fulfillment.get("tracking_info", "")))]
    ]


SHOPIFY = CartKit(
    key="shopify",
    emulator=ShopifyEmulator,
    settings=lambda emulator, url: {"base_url": url, "earliest_order_date": "2000-01-01"},
    credentials=lambda emulator: {"access_token": ACCESS_TOKEN, "webhook_secret": WEBHOOK_SECRET},
    add_order=_shopify_order,
    webhook=lambda emulator, order_id: emulator.webhook_delivery("orders/create", int(order_id)),
    add_product=lambda emulator, sku: None,  # add_order made the variant
    uploaded_tracking=_shopify_tracking,
    stock=lambda emulator, sku: emulator.available(sku),
)

WOOCOMMERCE = CartKit(
    key="woocommerce",
    emulator=WooCommerceEmulator,
    settings=lambda emulator, url: {"base_url": url, "earliest_order_date": "2000-01-01"},
    credentials=lambda emulator: {
        "consumer_key": emulator.consumer_key,
        "consumer_secret": emulator.consumer_secret,
        "webhook_secret": emulator.webhook_secret,
    },
    add_order=lambda emulator: str(
        emulator.add_order(line_items=[line_item(SKU, 1, "189.00", name="Two-person tent")])["id"]
    ),
    webhook=lambda emulator, order_id: emulator.signed_webhook("order.created", int(order_id)),
    add_product=lambda emulator, sku: emulator.add_product(
        sku, manage_stock=True, stock_quantity=0
    ),
    uploaded_tracking=lambda emulator, order_id: [
        str(entry) for entry in emulator.trackings(int(order_id)) + emulator.notes(int(order_id))
    ],
    stock=lambda emulator, sku: emulator.stock(sku),
)

BIGCOMMERCE = CartKit(
    key="bigcommerce",
    emulator=BigCommerceEmulator,
    settings=lambda emulator, url: emulator.connector_settings(earliest_order_date="2000-01-01"),
    credentials=lambda emulator: emulator.connector_credentials(),
    add_order=lambda emulator: str(emulator.add_order(lines=[{"sku": SKU, "quantity": 1}])),
    webhook=lambda emulator, order_id: emulator.signed_webhook(
        "store/order/created", int(order_id)
    ),
    add_product=lambda emulator, sku: emulator.add_product(sku),
    uploaded_tracking=lambda emulator, order_id: [
        str(shipment) for shipment in emulator.shipments(int(order_id))
    ],
    stock=lambda emulator, sku: emulator.stock(sku),
)


class CartKitMixin:
    kit: CartKit

    def start_cart(self, **cart_settings: Any) -> CartConnection:
        self.emulator = self.kit.emulator()
        url = self.emulator.start()
        self.addCleanup(self.emulator.stop)
        return create_cart(
            self.bobs_merchant,
            connector_key=self.kit.key,
            prefix=f"{self.kit.key[:4].upper()}-",
            settings={**self.kit.settings(self.emulator, url), **cart_settings},
            credentials=self.kit.credentials(self.emulator),
        )

    def post_webhook(self, cart: CartConnection, headers: dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
        return self.client.post(
            reverse("cart_webhook", args=[cart.webhook_token]),
            data=body,
            content_type=headers.get("content-type", "application/json"),
            headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
        )


KITS = (SHOPIFY, WOOCOMMERCE, BIGCOMMERCE)
