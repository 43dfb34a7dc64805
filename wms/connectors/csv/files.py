"""Where a merchant's files are on the warehouse's server: the WMS folders and the merchant's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from csvfiles.pickup import folder_join
from integration_manager.connector_errors import ConnectorError
from integration_manager.records import MerchantRef

# The two folder orders of CartRover's "Directory Order": /CLIENTNAME/Orders or /Orders/CLIENTNAME.
CLIENT_FIRST = "client_first"
WMS_FIRST = "wms_first"
LAYOUTS = {
    CLIENT_FIRST: "Client folder first: /<merchant folder>/<orders folder>",
    WMS_FIRST: "WMS folder first: /<orders folder>/<merchant folder>",
}
DEFAULT_FOLDERS = {
    "orders_folder": "orders",
    "shipments_folder": "shipments",
    "inventory_folder": "inventory",
    "archive_folder": "archive",
}
MERCHANT_FOLDER = "folder"  # the merchant settings' key
WHERE_MERCHANT_FOLDER = "on the merchant's WMS settings page"


def merchant_folder(merchant: MerchantRef) -> str:
    """The merchant's own folder; ConnectorError (what to do) when it has none, since two
    merchants in one folder would take each other's files."""
    folder = str(merchant.settings.get(MERCHANT_FOLDER) or "").strip()
    if not folder:
        raise ConnectorError(
            f"The merchant {merchant.name} has no folder on the warehouse's server yet. Type "
            f"it {WHERE_MERCHANT_FOLDER}."
        )
    return folder


@dataclass(frozen=True)
class Folders:
    """The WMS-level folders (as the settings form cleaned them) and their order."""

    layout: str
    orders: str
    shipments: str
    inventory: str
    archive: str

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Folders:
        def folder(key: str) -> str:
            value = settings.get(key)
            return str(DEFAULT_FOLDERS[key] if value is None else value)

        return cls(
            layout=str(settings.get("layout") or CLIENT_FIRST),
            orders=folder("orders_folder"),
            shipments=folder("shipments_folder"),
            inventory=folder("inventory_folder"),
            archive=folder("archive_folder"),
        )

    def of(self, merchant: MerchantRef, folder: str) -> str:
        """One of the WMS folders for one merchant, in the layout's order."""
        own = merchant_folder(merchant)
        if self.layout == WMS_FIRST:
            return folder_join(folder, own)
        return folder_join(own, folder)

    def all_of(self, merchant: MerchantRef) -> dict[str, str]:
        """The merchant's folders by what they hold, for the connection test."""
        return {
            "orders": self.of(merchant, self.orders),
            "shipments": self.of(merchant, self.shipments),
            "inventory": self.of(merchant, self.inventory),
            "archive": self.of(merchant, self.archive),
        }
