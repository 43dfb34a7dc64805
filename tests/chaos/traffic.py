"""The loop's outside world while faults come and go: shoppers placing orders in the store
(each announced by its order.created webhook) and a warehouse shipping what it receives
(each shipment announced by a signed OrderConfirm webhook), as tests/bench/loop.py does."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import requests

from tests.emulators.threepl import ThreePLEmulator
from tests.emulators.woocommerce import WooCommerceEmulator

# WooCommerce does not retry a delivery; a lost webhook is left to the download's poll.
WEBHOOK_TIMEOUT = 10


def webhook_post(url: str, headers: dict[str, str], body: bytes) -> int:
    """POST a webhook; its HTTP status, or 0 when the hub did not answer."""
    try:
        return requests.post(
            url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT, allow_redirects=False
        ).status_code
    except requests.RequestException:
        return 0


class _Loop:
    """A daemon thread doing one step at a time until stopped."""

    name = "loop"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(WEBHOOK_TIMEOUT + 5)

    def _run(self) -> None:
        raise NotImplementedError


class Feeder(_Loop):
    """A new order every `interval` seconds, and its webhook sent to the hub. The store
    signs it as its own webhook would; posted here rather than through the emulator's
    send_webhook, which disables a webhook after a few failed deliveries (as WooCommerce
    does): the outages under test would otherwise turn the webhooks off for the run."""

    name = "feeder"

    def __init__(self, store: WooCommerceEmulator, *, url: str, interval: float) -> None:
        super().__init__()
        self.store = store
        self.url = url
        self.interval = interval
        self.placed: list[int] = []
        self.answers: Counter[int] = Counter()

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            next_at += self.interval
            order_id = self.store.add_order()["id"]
            self.placed.append(order_id)
            headers, body = self.store.signed_webhook("order.created", order_id, url=self.url)
            self.answers[webhook_post(self.url, headers, body)] += 1


class Warehouse(_Loop):
    """Ships each order the WMS holds after a short random delay, one package with a
    tracking number, then tells the hub with a signed OrderConfirm webhook."""

    name = "warehouse"

    def __init__(
        self,
        warehouse: ThreePLEmulator,
        *,
        url: str,
        rng: random.Random,
        delay: tuple[float, float] = (0.5, 3.0),
    ) -> None:
        super().__init__()
        self.warehouse = warehouse
        self.url = url
        self.rng = rng
        self.delay = delay
        self.due: dict[int, float] = {}
        self.shipped = 0
        self.answers: Counter[int] = Counter()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            now = time.monotonic()
            with self.warehouse.lock:
                waiting = [o.id for o in self.warehouse.orders.values() if not o.closed]
            for order_id in waiting:
                self.due.setdefault(order_id, now + self.rng.uniform(*self.delay))
            for order_id in [order_id for order_id in waiting if self.due[order_id] <= now]:
                self.ship(order_id)

    def ship(self, order_id: int) -> None:
        self.warehouse.ship(
            order_id, tracking_number=f"1ZCHAOS{order_id:010d}", carrier="UPS", mode="03"
        )
        self.shipped += 1
        headers, body = self.warehouse.signed_webhook("OrderConfirm", order_id)
        self.answers[webhook_post(self.url, headers, body)] += 1
