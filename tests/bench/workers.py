"""The hub's moving parts for the loop and latency benchmarks: real Celery worker processes,
celery beat ticking the dispatcher at the production interval, and the hub's web app served
over HTTP from a thread of the benchmark process; plus the merchant, 3PL WMS and WooCommerce
cart wired the way tests/wms/test_threepl_loop.py wires them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connection

from accounts.models import Account, Merchant
from accounts.services import merchant_create
from carts.models import CartConnection
from jobs.models import Frequency, ServiceSchedule
from jobs.services import schedule_update
from tests.bench.common import say
from tests.emulators.threepl import ThreePLEmulator
from tests.emulators.woocommerce import WooCommerceEmulator
from tests.objects import create_wms, create_woocommerce_cart
from wms import services as wms_services
from wms.models import WmsConnection
from wms.services import ship_method_map_save

# The 3PL emulator's customer for the merchant, and the SKUs WooCommerceEmulator.seed_orders
# puts on every order: the WMS refuses an order naming an item it does not stock.
CUSTOMER_ID, FACILITY_ID = 12, 1
SEEDED_SKUS = ("WOO-SINGLE-1", "Bar3")
# The sandbox WMS stocks only its catalogue (integration_manager/sandbox_catalogue.py): the
# store's orders are seeded with two of its SKUs, so no product aliases stand in between.
SANDBOX_SKUS = ("MUG-ENM-WHT", "POT-TI-750")
# The store's fixture ships by "Flat Rate"; the WMS knows carriers only: mapped as a 3PL would.
SEEDED_SHIP_CODE, UPS_GROUND = "Flat Rate", "UPS|03|Prepaid|UPSN"


def wait_until(condition: Callable[[], bool], *, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # thousands of webhook lines would drown the figures


class Hub:
    """Workers, beat and a web server; stop() ends every process it started, by its id."""

    def __init__(self) -> None:
        self.processes: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.folder = Path(tempfile.mkdtemp(prefix="bench-hub-"))
        self.server: ThreadedWSGIServer | None = None
        self.base_url = ""

    def environment(self) -> dict[str, str]:
        database = connection.settings_dict
        password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://{database['USER']}{password}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}",
            "REDIS_URL": settings.CELERY_BROKER_URL,
        }

    def _spawn(self, name: str, arguments: list[str]) -> Path:
        log = self.folder / f"{name}.log"
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "integration_manager", *arguments],
            cwd=settings.BASE_DIR,
            env=self.environment(),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its pool children are stopped with it, by group id
        )
        self.processes.append((process, log))
        return log

    def start_workers(self, count: int) -> None:
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
        logs = [
            self._spawn(
                f"worker-{number}",
                [
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "1",
                    "--without-mingle",
                    "--without-gossip",
                    "--hostname",
                    f"bench-{number}-{uuid.uuid4().hex[:6]}@%h",
                ],
            )
            for number in range(count)
        ]
        for log in logs:
            wait_until(lambda log=log: "ready." in log.read_text(), what="a worker", timeout=60)

    def start_beat(self) -> None:
        """Beat ticks the dispatcher every DISPATCH_INTERVAL_SECONDS, as in production."""
        self._spawn(
            "beat",
            ["beat", "--loglevel", "INFO", "-s", str(self.folder / "celerybeat-schedule")],
        )

    def start_web(self) -> str:
        port = free_port()
        self.server = ThreadedWSGIServer(("127.0.0.1", port), _QuietHandler)
        self.server.set_app(WSGIHandler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    def worker_log_tail(self, lines: int = 20) -> str:
        tails = []
        for _, log in self.processes:
            text = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {log.name} ---\n" + "\n".join(text))
        return "\n".join(tails)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for process, _ in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process, _ in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


def schedules_automatic(merchant: Merchant) -> None:
    """Every service of the merchant and its carts on Automatic (inventory polls hourly by
    default); through the service, as the schedules screen does."""
    for schedule in ServiceSchedule.objects.filter(merchant=merchant).exclude(
        frequency=Frequency.AUTOMATIC
    ):
        schedule_update(schedule=schedule, frequency=Frequency.AUTOMATIC, daily_at=None)


class StoreLoop:
    """One merchant whose WooCommerce store (emulated) sends orders to a WMS."""

    cart_prefix = "WC-"
    # The hub's database as this process names it: the loop's figures are read from there.
    database = "default"

    def __init__(self, name: str, *, store: Any = None) -> None:
        # A process that only sets up the hub's side is given the store's address instead.
        self.store = store if store is not None else WooCommerceEmulator()
        self.account: Account | None = None
        self.merchant: Merchant | None = None
        self.cart: CartConnection | None = None
        self.wms: WmsConnection | None = None
        self.name = name

    def _tenant(self) -> None:
        self.account = Account.objects.create(
            name=self.name, kind=Account.Kind.FULFILLMENT, timezone="America/New_York"
        )
        self.merchant = merchant_create(account=self.account, name=f"{self.name} merchant")

    def connect_cart(self) -> CartConnection:
        """The cart last: a new cart's download starts at once, so orders placed before it
        are all there for the first run."""
        self.cart = create_woocommerce_cart(self.merchant, self.store, prefix=self.cart_prefix)
        self._map_ship_methods()
        schedules_automatic(self.merchant)
        return self.cart

    def _map_ship_methods(self) -> None:
        """None by default: the cart does not reject unmapped codes."""

    def cart_webhook_url(self, base_url: str) -> str:
        return f"{base_url}/webhooks/carts/{self.cart.webhook_token}/"

    def stop(self) -> None:
        self.store.stop()


class Loop(StoreLoop):
    """The WMS is the 3PL emulator, over HTTP."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.warehouse = ThreePLEmulator()

    def start(self) -> None:
        self.store.start()
        self.warehouse.start()
        self.warehouse.add_customer(CUSTOMER_ID, "Bench merchant", skus=SEEDED_SKUS)
        for sku in SEEDED_SKUS:
            self.warehouse.add_stock(CUSTOMER_ID, FACILITY_ID, sku, on_hand=10_000_000)
        self._tenant()
        self.wms = wms_services.wms_save(
            account=self.account,
            connector_key="threepl",
            label="Bench 3PL",
            settings=self.warehouse.connector_settings(),
            credentials=self.warehouse.connector_credentials(),
        )
        wms_services.merchant_wms_settings_save(
            merchant=self.merchant,
            data={"customer_id": str(CUSTOMER_ID), "facility_id": str(FACILITY_ID)},
        )

    def _map_ship_methods(self) -> None:
        ship_method_map_save(
            cart=self.cart, cart_code=SEEDED_SHIP_CODE, wms_code=UPS_GROUND, passthrough=False
        )

    def wms_webhook_url(self, base_url: str) -> str:
        return f"{base_url}/webhooks/wms/{self.wms.webhook_token}/"

    def open_wms_orders(self) -> list[int]:
        with self.warehouse.lock:
            return [order.id for order in self.warehouse.orders.values() if not order.closed]

    def ship(self, order_id: int) -> None:
        self.warehouse.ship(order_id, tracking_number=f"1ZBENCH{order_id:010d}", carrier="UPS")

    def stop(self) -> None:
        super().stop()
        self.warehouse.stop()


class SandboxLoop(StoreLoop):
    """The WMS is the hub's sandbox, which keeps orders in the hub's own database
    (SandboxWmsOrder) and, with no ship delay, has shipped each by the next ship confirm:
    no warehouse process, no request limit. "Flat Rate" reaches it unmapped; it takes any
    code."""

    cart_prefix = "WS-"

    def start(self) -> None:
        self.store.start()
        self.create_tenant()

    def create_tenant(self) -> None:
        self._tenant()
        # One package per order: a split would make shipment counts differ from order counts.
        self.wms = create_wms(self.account, ship_delay_seconds=0, split_percent=0)


@contextmanager
def running(loop: StoreLoop, *, workers: int) -> Iterator[str]:
    """The loop's emulators and tenant, the workers, beat and the web server; yields the
    hub's base URL. On a failure the workers' last log lines are printed; everything
    started is stopped."""
    hub = Hub()
    try:
        loop.start()
        hub.start_workers(workers)
        hub.start_beat()
        yield hub.start_web()
    except Exception:
        say(hub.worker_log_tail())
        raise
    finally:
        hub.stop()
        loop.stop()
