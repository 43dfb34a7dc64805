"""The CSV cart: orders from files dropped in a folder or uploaded; tracking back as files."""

from __future__ import annotations

from collections.abc import Iterator

from carts.connectors.base import FETCH_ORDERS, UPLOAD_SHIPMENT, CartConnector
from carts.connectors.csv.forms import CsvCartSettingsForm
from carts.connectors.csv.orders import orders_read
from carts.connectors.csv.shipments import tracking_file
from carts.connectors.registry import register
from csvfiles.formats import ORDERS, SHIPMENTS
from csvfiles.pickup import (
    Pickup,
    TransportHolder,
    file_name_make,
    files_pick_up,
    folders_seen,
    format_for,
    reading_format,
)
from integration_manager.records import OrderPage, ShipmentRecord, UploadOrder
from integration_manager.transports import TRANSPORT_ADDRESS_FIELDS, TRANSPORT_SECRET_FIELDS

ORDER_FORMAT, SHIPMENT_FORMAT = "order_format", "shipment_format"
# Its orders can also come from a file uploaded on the cart's page (csvfiles/uploads.py).
UPLOAD_ORDER_FILE = "upload_order_file"
ORDER_DOWNLOAD = "order_download"  # orders/jobs.py: its running run holds the claims
NO_TRACKING_FOLDER = "not written: the cart has no tracking folder"


@register
class CsvCartConnector(TransportHolder, CartConnector):
    """Orders from CSV files: each file in the order files folder (SFTP, FTPS, FTP) is read
    once (csvfiles/pickup.py) and archived, or a file is uploaded on the cart's page. The
    order number in the file is the order's id in the cart, so a file with changed orders
    updates them while they wait. The cursor is not used: the ledger of files is the memory.
    Tracking goes back as one file per shipment in the tracking folder, when one is set.
    """

    key = "csv"
    label = "CSV files"
    description = (
        "Orders from CSV files dropped in a folder on a server (SFTP, FTPS, FTP) or uploaded "
        "in the browser; tracking written back as files. Also the way to make test orders."
    )
    capabilities = frozenset({FETCH_ORDERS, UPLOAD_SHIPMENT, UPLOAD_ORDER_FILE})
    settings_form = CsvCartSettingsForm
    secret_fields = TRANSPORT_SECRET_FIELDS
    address_fields = TRANSPORT_ADDRESS_FIELDS
    # (setting, kind of file, title, read by the hub): the cart's page links each to the editor.
    csv_formats = (
        (ORDER_FORMAT, ORDERS, "Order file", True),
        (SHIPMENT_FORMAT, SHIPMENTS, "Tracking file", False),
    )

    def _folder(self, key: str) -> str:
        return str(self.settings.get(key) or "")

    def test_connection(self) -> str:
        if not self.protocol:
            return (
                "Browser upload only: nothing to connect to. Upload order files on the cart's page."
            )
        folders = {
            "order files": self._folder("inbox_folder"),
            "archive": self._folder("archive_folder"),
        }
        if self._folder("tracking_folder"):
            folders["tracking"] = self._folder("tracking_folder")
        with self.transport(testing=True) as transport:
            found = transport.test()
            seen = folders_seen(transport, folders, made={"archive"})
        return f"{found} Folders: {seen}."

    def fetch_orders(self, cursor: str | None) -> Iterator[OrderPage]:
        """An order page per file in the order files folder, oldest first (none when the
        files come by browser upload only)."""
        if not self.protocol:
            return
        fmt = reading_format(self.settings, ORDER_FORMAT, ORDERS, "Order file")
        pickup = Pickup(
            account_id=self.context.account_id,
            connection_kind="cart",
            connection_id=self.context.connection_id,
            service=ORDER_DOWNLOAD,
            folder=self._folder("inbox_folder"),
            archive=self._folder("archive_folder"),
            merchant_id=self.context.merchant_id,
            cart_id=self.context.connection_id,
        )
        with self.transport() as transport:
            for read in files_pick_up(
                transport=transport,
                pickup=pickup,
                parse=lambda data, modified: orders_read(data, fmt, changed_at=modified),
            ):
                yield OrderPage(orders=read.records, failures=read.failures, source=read.source)

    def upload_shipment(
        self, order: UploadOrder, shipment: ShipmentRecord, *, first_attempt: bool = False
    ) -> str:
        """Write a tracking file; its name is the reference. Without a tracking folder
        nothing is written, and the reference says so."""
        folder = self._folder("tracking_folder")
        if not self.protocol or not folder:
            return NO_TRACKING_FOLDER
        fmt = format_for(self.settings, SHIPMENT_FORMAT, SHIPMENTS, "Tracking file")
        data = tracking_file(order, shipment, fmt)
        name = file_name_make("tracking", order.source_order_id)
        with self.transport() as transport:
            transport.write_atomic(folder, name, data)
        return name
