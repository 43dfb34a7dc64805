"""The CSV warehouse's settings: transport, WMS folders and their order; a folder per merchant."""

from __future__ import annotations

from typing import Any

from crispy_forms.layout import Layout
from django import forms
from django.core.exceptions import ValidationError

from csvfiles.pickup import folder_clean, folders_clashing
from integration_manager.connector_errors import ConnectorError
from integration_manager.transports.forms import TransportSettingsForm
from wms.connectors.csv.files import CLIENT_FIRST, DEFAULT_FOLDERS, LAYOUTS

ONE_USE = "give each use its own folder."
FOLDER_LABELS = {
    "orders_folder": "Orders folder",
    "shipments_folder": "Shipments folder",
    "inventory_folder": "Inventory folder",
    "archive_folder": "Archive folder",
}


def folder_field(name: str, help_text: str, *, required: bool = False) -> forms.CharField:
    return forms.CharField(
        max_length=200,
        required=required,
        initial=DEFAULT_FOLDERS[name],
        label=FOLDER_LABELS[name],
        help_text=help_text,
    )


def folder_cleaned(form: forms.Form, name: str) -> None:
    if name in form.errors:
        return
    try:
        form.cleaned_data[name] = folder_clean(form.cleaned_data.get(name) or "")
    except ConnectorError as problem:
        form.add_error(name, str(problem))


class CsvWarehouseSettingsForm(TransportSettingsForm):
    """Where files travel, and the folders: the WMS folders below (or above) each merchant's
    own folder, as CartRover's "Directory Order" puts them."""

    layout = forms.ChoiceField(
        choices=list(LAYOUTS.items()),
        initial=CLIENT_FIRST,
        label="Folder order",
        help_text="Client folder first: each merchant's folder holds the orders, shipments, "
        "inventory and archive folders (/acme/orders). WMS folder first: each of those folders "
        "holds a folder per merchant (/orders/acme).",
    )
    orders_folder = folder_field(
        "orders_folder", "Where the hub puts order files for the warehouse."
    )
    shipments_folder = folder_field(
        "shipments_folder", "Where the warehouse leaves shipment (tracking) files."
    )
    inventory_folder = folder_field(
        "inventory_folder", "Where the warehouse leaves inventory (stock) files."
    )
    archive_folder = folder_field(
        "archive_folder",
        "Where each file read goes afterwards (made when missing); files that are not in "
        "the format at all go to its rejected folder.",
        required=True,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            *self.transport_fieldsets(),
            self.for_protocols(("sftp", "ftps", "ftp"), "Folders", "layout", *FOLDER_LABELS),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in FOLDER_LABELS:
            folder_cleaned(self, name)
        valid = {name: cleaned[name] for name in FOLDER_LABELS if name not in self.errors}
        for name, other in folders_clashing(valid).items():
            self.add_error(name, f"This is the {FOLDER_LABELS[other].lower()} too: {ONE_USE}")
        return cleaned


class CsvWarehouseMerchantForm(forms.Form):
    """The merchant's folder on the warehouse's server (CLIENTNAME in /CLIENTNAME/orders)."""

    folder = forms.CharField(
        label="Merchant folder",
        max_length=200,
        help_text="This merchant's folder on the warehouse's server, such as acme: its order "
        "files go to /acme/orders or /orders/acme, as the WMS page's folder order says. Each "
        "merchant needs a folder of its own.",
    )

    def clean_folder(self) -> str:
        try:
            folder = folder_clean(self.cleaned_data.get("folder") or "")
        except ConnectorError as problem:
            raise ValidationError(str(problem)) from None
        if not folder.strip("/"):
            raise ValidationError("Type the merchant's folder, such as acme.")
        return folder
