"""What every rules test starts from: alice's sandbox WMS, a sandbox cart of Bob's Bikes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from carts.models import CartConnection
from integration_manager.records import OrderPage
from jobs.models import JobRun
from orders.jobs import ORDER_DELIVERY, ORDER_DOWNLOAD
from orders.services.delivery import orders_deliver
from orders.services.download import order_page_store
from tests.base import BaseTestCase
from tests.objects import create_cart, create_wms, order_record, recorder
from wms.models import SandboxWmsOrder


class RulesTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.wms = create_wms(self.alices_account)
        self.cart = create_cart(self.bobs_merchant, prefix="BB-")

    def set_cart(self, **fields: Any) -> None:
        CartConnection.objects.filter(id=self.cart.id).update(**fields)
        self.cart.refresh_from_db()

    def download(self, *records):  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DOWNLOAD, cart=self.cart)
        order_page_store(cart=self.cart, page=OrderPage(orders=list(records)), run=run)
        return run

    def deliver(self):  # type: ignore[no-untyped-def]
        run = recorder(merchant=self.bobs_merchant, service=ORDER_DELIVERY)
        try:
            orders_deliver(merchant=self.bobs_merchant, run=run)
        finally:  # the run ends, as the runner ends it
            JobRun.objects.filter(id=run.job_run.id).update(status=JobRun.Status.FAILED)
        return run

    def at_wms(self) -> dict[str, list[list[str]]]:
        """What the sandbox WMS received: lines [sku, quantity] by our reference."""
        return {
            row.cust_ref: [
                [sku, f"{Decimal(quantity).normalize():f}"]
                for sku, quantity in row.payload["lines"]
            ]
            for row in SandboxWmsOrder.objects.all()
        }


def record(number: int, *skus: str, minutes: int = 0, **fields: Any):  # type: ignore[no-untyped-def]
    """A cart order with these SKUs (two of each); fields replace the record's own."""
    from dataclasses import replace

    return replace(order_record(number, skus=skus, minutes=minutes), **fields)
