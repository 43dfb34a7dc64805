"""The CSV warehouse: an order file per delivery; shipment and inventory files picked up once."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from csvfiles.formats import INVENTORY, ORDERS, SHIPMENTS, inventory_from_csv, shipments_from_csv
from csvfiles.pickup import (
    FileRead,
    Pickup,
    TransportHolder,
    file_name_make,
    files_pick_up,
    folders_seen,
    format_for,
    reading_format,
)
from integration_manager.connector_errors import AuthError, ConnectorError, TransientError
from integration_manager.records import (
    DeliveryOrder,
    DeliveryResult,
    MerchantRef,
    ShipmentPage,
    StockPage,
)
from integration_manager.transports import (
    TRANSPORT_ADDRESS_FIELDS,
    TRANSPORT_SECRET_FIELDS,
    FileTransport,
)
from wms.connectors.base import DELIVER_ORDERS, FETCH_INVENTORY, FETCH_SHIPMENTS, WmsConnector
from wms.connectors.csv.files import (
    MERCHANT_FOLDER,
    WHERE_MERCHANT_FOLDER,
    Folders,
    merchant_folder,
)
from wms.connectors.csv.forms import CsvWarehouseMerchantForm, CsvWarehouseSettingsForm
from wms.connectors.csv.orders import order_file
from wms.connectors.registry import register

logger = logging.getLogger(__name__)

ORDER_FORMAT, SHIPMENT_FORMAT, INVENTORY_FORMAT = (
    "order_format",
    "shipment_format",
    "inventory_format",
)
# The services whose runs hold the claims on picked-up files (orders/jobs.py, inventory/jobs.py).
SHIP_CONFIRM, INVENTORY_SERVICE = "ship_confirm", "inventory"
# Merchants whose folders one connection test looks at; the others are checked by their runs.
TESTED_MERCHANTS = 20
EMAIL_SENDS_ONLY = (
    "This warehouse's files travel by e-mail, which only sends: the hub cannot pick {what} "
    "files up from a mailbox. To receive them, choose SFTP, FTPS or FTP in the WMS settings; "
    "otherwise switch {service} off for the merchant."
)


@register
class CsvWarehouseConnector(TransportHolder, WmsConnector):
    """A warehouse that takes order files and leaves shipment and inventory files.

    Each delivery writes one file (write_atomic: a temporary name, then a rename, never over
    another file) named after the merchant's folder, the UTC time and a random part; every
    order in it gets the file's name as its WMS reference. Files cannot be asked about
    later, so there is no lookup_order: an order whose write had no clear outcome is held
    for a person to check the WMS. Shipment and inventory files are picked up once each
    (csvfiles/pickup.py). A shipment's reference is its shipment id column, else its
    tracking number, else the order reference, so the same shipment read again (a file
    uploaded twice, a run killed after storing it) is the same (order, reference), which
    the hub stores once; stock levels are upserts.
    """

    key = "csv"
    label = "CSV files over FTP, SFTP or e-mail"
    description = (
        "Order files to the warehouse's server (SFTP, FTPS, FTP) or by e-mail; shipment and "
        "inventory files picked up from its folders, each once."
    )
    capabilities = frozenset({DELIVER_ORDERS, FETCH_SHIPMENTS, FETCH_INVENTORY})
    settings_form = CsvWarehouseSettingsForm
    merchant_settings_form = CsvWarehouseMerchantForm
    secret_fields = TRANSPORT_SECRET_FIELDS
    address_fields = TRANSPORT_ADDRESS_FIELDS
    # (setting, kind of file, title, read by the hub): the setup page links each to the editor.
    csv_formats = (
        (ORDER_FORMAT, ORDERS, "Order file", False),
        (SHIPMENT_FORMAT, SHIPMENTS, "Shipment file", True),
        (INVENTORY_FORMAT, INVENTORY, "Inventory file", True),
    )

    @property
    def folders(self) -> Folders:
        return Folders.from_settings(self.settings)

    # test --------------------------------------------------------------------------------

    def test_connection(self) -> str:
        """Log in and look at each merchant's folders; say what failed exactly (the login, a
        folder not found, permission denied, a changed host key)."""
        with self.transport(testing=True) as transport:
            found = transport.test()
            if self.protocol == "email":
                return found
            notes = [self._merchant_note(transport, merchant) for merchant in self._merchants()]
        if not notes:
            notes = [
                "No merchant has a folder yet: type each merchant's folder "
                f"{WHERE_MERCHANT_FOLDER}; Test connection then checks its folders."
            ]
        return " ".join([found, *notes])

    def _merchants(self) -> list[MerchantRef]:
        from accounts.models import Merchant  # models import the registry that imports us
        from wms.selectors import merchant_ref

        merchants = Merchant.objects.filter(
            account_id=self.context.account_id, is_active=True
        ).order_by("name")
        return [merchant_ref(merchant) for merchant in merchants[:TESTED_MERCHANTS]]

    def _merchant_note(self, transport: FileTransport, merchant: MerchantRef) -> str:
        if not str(merchant.settings.get(MERCHANT_FOLDER) or "").strip():
            return f"{merchant.name}: no folder yet (type it {WHERE_MERCHANT_FOLDER})."
        folders = self.folders.all_of(merchant)
        seen = folders_seen(transport, folders, made={"archive"}, owner=merchant.name)
        return f"{merchant.name}: {seen}."

    # orders ------------------------------------------------------------------------------

    def deliver_orders(self, orders: Sequence[DeliveryOrder]) -> list[DeliveryResult]:
        """One file for the batch (one merchant's). A failure before anything was written
        (no connection, a folder missing, a format that cannot be used) returns each order
        as not taken, to be retried; a refused login raises AuthError. A connection cut while
        the file went up leaves the orders in it out of the results: the file may be there,
        so the hub holds them for a person to check."""
        if not orders:
            return []
        merchant = orders[0].merchant
        try:
            fmt = format_for(self.settings, ORDER_FORMAT, ORDERS, "Order file")
            folder, label = self._orders_folder(merchant)
            transport = self.transport()
        except AuthError:
            raise
        except ConnectorError as problem:
            return _not_sent(orders, problem)
        made = order_file(orders, fmt)
        if not made.written:
            return list(made.refused)
        name = file_name_make("orders", label)
        with transport:
            try:
                self._reach(transport, folder)
            except AuthError:
                raise
            except ConnectorError as problem:  # a TransientError here sent nothing either
                return _not_sent(made.written, problem)
            try:
                transport.write_atomic(folder, name, made.data)
            except TransientError as cut:
                # The file may be there or not, and a folder cannot be asked: the orders in
                # it get no result, so the hub holds them for a person to check.
                logger.warning("order file %s: no clear outcome (%s)", name, cut)
                return list(made.refused)
            except AuthError:
                raise
            except ConnectorError as problem:  # refused before the rename: nothing is there
                return _not_sent(made.written, problem)
        sent = [
            DeliveryResult(cust_ref=order.cust_ref, ok=True, wms_reference=name)
            for order in made.written
        ]
        return sent + list(made.refused)

    def _orders_folder(self, merchant: MerchantRef) -> tuple[str, str]:
        """The merchant's orders folder and the label its file names carry (e-mail has no
        folders: the merchant's folder, or its name)."""
        if self.protocol == "email":
            own = str(merchant.settings.get(MERCHANT_FOLDER) or "").strip()
            return "", own or merchant.name
        return self.folders.of(merchant, self.folders.orders), merchant_folder(merchant)

    def _reach(self, transport: FileTransport, folder: str) -> None:
        """Connect and log in (and see the folder) before anything is sent."""
        if self.protocol == "email":
            transport.test()
        else:
            transport.list(folder)

    # shipments and inventory -------------------------------------------------------------

    def fetch_shipments(self, merchant: MerchantRef, cursor: str | None) -> Iterator[ShipmentPage]:
        """A page per file in the merchant's shipments folder, oldest first; the cursor is
        not used (the ledger of files is the memory)."""
        fmt = reading_format(self.settings, SHIPMENT_FORMAT, SHIPMENTS, "Shipment file")
        for read in self._pick_up(
            merchant,
            "shipment",
            SHIP_CONFIRM,
            self.folders.shipments,
            lambda data, _modified: shipments_from_csv(data, fmt),
        ):
            yield ShipmentPage(shipments=read.records, failures=read.failures, source=read.source)

    def fetch_inventory(self, merchant: MerchantRef) -> Iterator[StockPage]:
        """A page per file in the merchant's inventory folder, oldest first."""
        fmt = reading_format(self.settings, INVENTORY_FORMAT, INVENTORY, "Inventory file")
        for read in self._pick_up(
            merchant,
            "inventory",
            INVENTORY_SERVICE,
            self.folders.inventory,
            lambda data, _modified: inventory_from_csv(data, fmt),
        ):
            yield StockPage(levels=read.records, failures=read.failures, source=read.source)

    def _pick_up(
        self, merchant: MerchantRef, what: str, service: str, folder: str, parse: Any
    ) -> Iterator[FileRead[Any]]:
        if self.protocol == "email":
            label = "Shipping confirmations" if service == SHIP_CONFIRM else "Inventory"
            raise ConnectorError(EMAIL_SENDS_ONLY.format(what=what, service=label))
        pickup = Pickup(
            account_id=self.context.account_id,
            connection_kind="wms",
            connection_id=self.context.connection_id,
            service=service,
            folder=self.folders.of(merchant, folder),
            archive=self.folders.of(merchant, self.folders.archive),
            merchant_id=merchant.id,
        )
        with self.transport() as transport:
            yield from files_pick_up(transport=transport, pickup=pickup, parse=parse)


def _not_sent(orders: Sequence[DeliveryOrder], problem: ConnectorError) -> list[DeliveryResult]:
    """Nothing was written: each order is retried with back-off, with the reason on it."""
    return [
        DeliveryResult(
            cust_ref=order.cust_ref,
            ok=False,
            permanent=False,
            error=f"Nothing was written: {problem}",
        )
        for order in orders
    ]
