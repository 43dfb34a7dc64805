"""The merchant under test: a WooCommerce cart (emulated) sending orders to a 3PL WMS
(emulated), wired as tests/bench/workers.py's Loop wires it."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Account, Merchant
from accounts.services import merchant_create
from carts.models import CartConnection
from jobs.models import Frequency, ServiceSchedule
from jobs.services import schedule_update
from tests.emulators.threepl import ThreePLEmulator
from tests.emulators.woocommerce import WooCommerceEmulator
from tests.objects import create_woocommerce_cart
from wms import services as wms_services
from wms.models import WmsConnection
from wms.services import ship_method_map_save

# The 3PL emulator's customer for the merchant, and the SKUs on WooCommerceEmulator's
# default order: the WMS refuses an order naming an item it does not stock.
CUSTOMER_ID, FACILITY_ID = 12, 1
SKUS = ("WOO-SINGLE-1", "Bar3")
# The store's orders ship by "Flat Rate"; the WMS knows carriers only: mapped as a 3PL would.
SHIP_CODE, UPS_GROUND = "Flat Rate", "UPS|03|Prepaid|UPSN"
CART_PREFIX = "CH-"


@dataclass
class Tenant:
    account: Account
    merchant: Merchant
    wms: WmsConnection
    cart: CartConnection | None = None

    def cart_webhook_url(self, base_url: str) -> str:
        assert self.cart is not None
        return f"{base_url}/webhooks/carts/{self.cart.webhook_token}/"

    def wms_webhook_url(self, base_url: str) -> str:
        return f"{base_url}/webhooks/wms/{self.wms.webhook_token}/"


def tenant_create(*, warehouse: ThreePLEmulator) -> Tenant:
    """The account, its merchant and the 3PL WMS with stock; no cart yet."""
    warehouse.add_customer(CUSTOMER_ID, "Chaos merchant", skus=SKUS)
    for sku in SKUS:
        warehouse.add_stock(CUSTOMER_ID, FACILITY_ID, sku, on_hand=10_000_000)
    account = Account.objects.create(
        name="Chaos", kind=Account.Kind.FULFILLMENT, timezone="America/New_York"
    )
    merchant = merchant_create(account=account, name="Chaos merchant")
    wms = wms_services.wms_save(
        account=account,
        connector_key="threepl",
        label="Chaos 3PL",
        settings=warehouse.connector_settings(),
        credentials=warehouse.connector_credentials(),
    )
    wms_services.merchant_wms_settings_save(
        merchant=merchant,
        data={"customer_id": str(CUSTOMER_ID), "facility_id": str(FACILITY_ID)},
    )
    return Tenant(account=account, merchant=merchant, wms=wms)


def cart_connect(tenant: Tenant, *, store: WooCommerceEmulator) -> CartConnection:
    """The cart last, once the hub runs: a new cart's download starts at once."""
    tenant.cart = create_woocommerce_cart(tenant.merchant, store, prefix=CART_PREFIX)
    ship_method_map_save(
        cart=tenant.cart, cart_code=SHIP_CODE, wms_code=UPS_GROUND, passthrough=False
    )
    # Every service on Automatic, through the service, as the schedules screen does.
    for schedule in ServiceSchedule.objects.filter(merchant=tenant.merchant).exclude(
        frequency=Frequency.AUTOMATIC
    ):
        schedule_update(schedule=schedule, frequency=Frequency.AUTOMATIC, daily_at=None)
    return tenant.cart
