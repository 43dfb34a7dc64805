"""CSV warehouse and cart tests: a real FTP, FTPS or SFTP server per test; connections to it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.test import TestCase, TransactionTestCase

from accounts.models import Merchant
from carts.models import CartConnection
from csvfiles.formats import PRESETS
from integration_manager.transports import transport_for
from integration_manager.transports.base import FileTransport
from integration_manager.transports.sftp import host_key_text
from jobs.models import ServiceSchedule
from jobs.recorder import RunRecorder
from tests.base import TenantsMixin
from tests.objects import create_cart, recorder
from tests.support.file_servers import Certificate, FtpServer, SftpServer, certificate_make
from wms import services as wms_services
from wms.models import WmsConnection

USER = "acme"
PASSWORD = "tr0ub4dor-and-3-csv"
WRONG_PASSWORD = "not-the-password-71"
BOBS_FOLDER = "bobs"

SHIPMENTS_HEADER = "Order reference,Tracking number,Carrier,SKU,Quantity\r\n"
INVENTORY_HEADER = "SKU,Location,Available,On hand\r\n"
ORDERS_HEADER = (
    "Order number,Order date,Ship to first name,Ship to last name,Ship to address 1,"
    "Ship to city,Ship to state,Ship to ZIP,Ship to country,SKU,Quantity,Price\r\n"
)
ADDRESS_CELLS = "Maria,Garcia,1200 Market St,Philadelphia,PA,19107,US"


def shipment_rows(*rows: tuple[str, str, str, str, int]) -> bytes:
    """A shipment file read with SHIPMENT_FORMAT: (reference, tracking, carrier, SKU, qty)."""
    lines = [",".join(str(cell) for cell in row) for row in rows]
    return (SHIPMENTS_HEADER + "".join(f"{line}\r\n" for line in lines)).encode()


def stock_rows(*rows: tuple[str, str, int, int]) -> bytes:
    """An inventory file read with INVENTORY_FORMAT: (SKU, location, available, on hand)."""
    lines = [",".join(str(cell) for cell in row) for row in rows]
    return (INVENTORY_HEADER + "".join(f"{line}\r\n" for line in lines)).encode()


def order_rows(*rows: tuple[str, str, int]) -> bytes:
    """An order file read with ORDER_FORMAT: (order number, SKU, quantity), one line each."""
    lines = [
        f"{number},2026-11-20 12:00:00,{ADDRESS_CELLS},{sku},{quantity},10.00"
        for number, sku, quantity in rows
    ]
    return (ORDERS_HEADER + "".join(f"{line}\r\n" for line in lines)).encode()


def _format(direction: str, name: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "version": 1,
        "direction": direction,
        "name": name,
        "columns": [{"field": field, "header": header, "value": ""} for field, header in fields],
    }


# The formats a test warehouse leaves its files in (each test file above is in one of them).
SHIPMENT_FORMAT = _format(
    "shipments",
    "Test shipments",
    [
        ("cust_ref", "Order reference"),
        ("tracking_number", "Tracking number"),
        ("carrier", "Carrier"),
        ("line.sku", "SKU"),
        ("line.quantity", "Quantity"),
    ],
)
INVENTORY_FORMAT = _format(
    "inventory",
    "Test stock",
    [
        ("sku", "SKU"),
        ("location_id", "Location"),
        ("available", "Available"),
        ("on_hand", "On hand"),
    ],
)
ORDER_FORMAT = _format(
    "orders",
    "Test orders",
    [
        ("order_number", "Order number"),
        ("ordered_at", "Order date"),
        ("ship_to.first_name", "Ship to first name"),
        ("ship_to.last_name", "Ship to last name"),
        ("ship_to.address_1", "Ship to address 1"),
        ("ship_to.city", "Ship to city"),
        ("ship_to.state", "Ship to state"),
        ("ship_to.zip", "Ship to ZIP"),
        ("ship_to.country", "Ship to country"),
        ("line.sku", "SKU"),
        ("line.quantity", "Quantity"),
        ("line.price", "Price"),
    ],
)
HUB_ORDER_COLUMNS = PRESETS["hub_orders"].format.as_dict()["columns"]


class FileServerMixin:
    """A real server of `protocol` on loopback serving a fresh folder (self.root), with the
    user acme; FTPS with a self-signed certificate the settings trust by fingerprint."""

    protocol = "ftp"
    root: Path
    server: Any
    certificate: Certificate | None = None

    def start_file_server(self, *, folders: tuple[str, ...] = ()) -> None:
        self.root = Path(self.enterContext(tempfile.TemporaryDirectory()))  # type: ignore[attr-defined]
        for folder in folders:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        users = {USER: PASSWORD}
        if self.protocol == "sftp":
            self.server = self.enterContext(SftpServer(self.root, users=users))  # type: ignore[attr-defined]
            return
        if self.protocol == "ftps":
            keys = Path(self.enterContext(tempfile.TemporaryDirectory()))  # type: ignore[attr-defined]
            self.certificate = certificate_make(keys, "ftps-server")
        self.server = self.enterContext(  # type: ignore[attr-defined]
            FtpServer(self.root, users=users, certificate=self.certificate)
        )

    def transport_settings(self, *, pinned: bool = True) -> dict[str, Any]:
        """The transport part of a connection's settings; SFTP with the server's key pinned
        (as a passed test leaves it) unless pinned is False."""
        settings: dict[str, Any] = {
            "protocol": self.protocol,
            "host": "127.0.0.1",
            "port": self.server.port,
            "username": USER,
            "passive": True,
        }
        if self.certificate is not None:
            settings["tls_fingerprint"] = self.certificate.fingerprint
        if self.protocol == "sftp" and pinned:
            settings["host_key"] = host_key_text(self.server.host_key)
        return settings

    def second_connection(self) -> FileTransport:
        """Another client of the same server, as the warehouse's own program would be."""
        return self.enterContext(  # type: ignore[attr-defined]
            transport_for(self.transport_settings(), {"password": PASSWORD})
        )

    def names(self, folder: str) -> list[str]:
        path = self.root / folder
        return (
            sorted(item.name for item in path.iterdir() if item.is_file()) if path.is_dir() else []
        )

    def drop(self, folder: str, name: str, content: bytes) -> None:
        """A file the other side leaves in a folder (made when missing)."""
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        (self.root / folder / name).write_bytes(content)


class CsvWarehouseMixin(FileServerMixin):
    """Alice's account with a CSV warehouse on the test server; bob's merchant in "bobs"."""

    layout = "client_first"
    alices_account: Any
    bobs_merchant: Merchant

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.start_file_server(folders=self.merchant_folders(BOBS_FOLDER))
        self.wms = self.warehouse_save()
        wms_services.merchant_wms_settings_save(
            merchant=self.bobs_merchant, data={"folder": BOBS_FOLDER}
        )
        self.bobs_merchant = Merchant.objects.get(id=self.bobs_merchant.id)

    def folder(self, what: str, merchant_folder: str = BOBS_FOLDER) -> str:
        """Where the server keeps a merchant's folder of that kind, in this test's layout."""
        if self.layout == "wms_first":
            return f"{what}/{merchant_folder}"
        return f"{merchant_folder}/{what}"

    def merchant_folders(self, merchant_folder: str) -> tuple[str, ...]:
        return tuple(
            self.folder(what, merchant_folder) for what in ("orders", "shipments", "inventory")
        )

    def warehouse_save(self, **changes: Any) -> WmsConnection:
        settings = {
            **self.transport_settings(),
            "layout": self.layout,
            "orders_folder": "orders",
            "shipments_folder": "shipments",
            "inventory_folder": "inventory",
            "archive_folder": "archive",
            "shipment_format": SHIPMENT_FORMAT,
            "inventory_format": INVENTORY_FORMAT,
            **changes,
        }
        return wms_services.wms_save(
            account=self.alices_account,
            connector_key="csv",
            label="Trailhead files",
            settings=settings,
            credentials={"password": PASSWORD},
        )

    def run_of(self, service: str) -> RunRecorder:
        return recorder(merchant=self.bobs_merchant, service=service)

    def schedule(self, service: str) -> ServiceSchedule:
        return ServiceSchedule.objects.get(merchant=self.bobs_merchant, cart=None, service=service)


class CsvWarehouseTestCase(CsvWarehouseMixin, TenantsMixin, TestCase):
    def setUp(self) -> None:
        self.create_tenants()
        super().setUp()


class CsvWarehouseTransactionTestCase(CsvWarehouseMixin, TenantsMixin, TransactionTestCase):
    def setUp(self) -> None:
        self.create_tenants()
        super().setUp()


def create_csv_cart(
    merchant: Merchant, *, prefix: str = "CSV-", settings: dict[str, Any] | None = None
) -> CartConnection:
    """A CSV cart with the test order format; browser upload only unless settings say."""
    return create_cart(
        merchant,
        connector_key="csv",
        prefix=prefix,
        settings={"order_format": ORDER_FORMAT, **(settings or {})},
        credentials={"password": PASSWORD} if settings and settings.get("protocol") else {},
        label=f"{merchant.name} order files",
    )
