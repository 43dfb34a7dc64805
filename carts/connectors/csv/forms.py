"""The CSV cart's settings (a transport or browser upload only, its folders) and the upload form."""

from __future__ import annotations

from typing import Any

from crispy_forms.layout import Layout
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from csvfiles.pickup import folder_clean, folders_clashing
from integration_manager.connector_errors import ConnectorError
from integration_manager.transports import PROTOCOLS
from integration_manager.transports.forms import TransportSettingsForm

BROWSER_ONLY = ""
# The largest order file the browser may upload: far above any day's orders of a merchant.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
FOLDER_LABELS = {
    "inbox_folder": "Order files folder",
    "archive_folder": "Archive folder",
    "tracking_folder": "Tracking folder",
}


def folder_field(name: str, initial: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        max_length=200,
        required=False,
        initial=initial,
        label=FOLDER_LABELS[name],
        help_text=help_text,
    )


class CsvCartSettingsForm(TransportSettingsForm):
    """Where order files come from: a folder on a server, or the browser only; and where
    tracking files go (none when the tracking folder is blank). E-mail is not offered: the
    hub cannot pick files up from a mailbox."""

    protocol = forms.ChoiceField(
        choices=[
            (BROWSER_ONLY, "Browser upload only"),
            *((key, label) for key, label in PROTOCOLS.items() if key != "email"),
        ],
        initial=BROWSER_ONLY,
        required=False,
        label="Order files come",
        help_text="Browser upload only: upload order files on the cart's page. Otherwise the "
        "hub also picks up every file dropped in the order files folder on that server.",
    )
    inbox_folder = folder_field(
        "inbox_folder",
        "orders",
        "Where order files are dropped on the server. Blank: the login's own folder.",
    )
    archive_folder = folder_field(
        "archive_folder",
        "archive",
        "Where each order file goes once it is read (made when missing).",
    )
    tracking_folder = folder_field(
        "tracking_folder",
        "",
        "Where a tracking file is written for each shipment. Blank: no tracking files are "
        "written (shipments are marked sent with a note saying so).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["host"].required = False
        fieldsets = [group for group in self.transport_fieldsets() if group.legend != "E-mail"]
        folders = self.for_protocols(("sftp", "ftps", "ftp"), "Folders", *FOLDER_LABELS)
        self.helper.layout = Layout(*fieldsets, folders)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("protocol"):
            return cleaned  # browser upload only: no server, no folders
        if not cleaned.get("host") and "host" not in self.errors:
            self.add_error("host", "Type the server's name, or choose browser upload only.")
        for name in FOLDER_LABELS:
            try:
                cleaned[name] = folder_clean(cleaned.get(name) or "")
            except ConnectorError as problem:
                self.add_error(name, str(problem))
        if "archive_folder" not in self.errors and not cleaned.get("archive_folder"):
            self.add_error("archive_folder", "Type the folder order files go to once read.")
        uses = [name for name in FOLDER_LABELS if name != "tracking_folder"]
        if cleaned.get("tracking_folder"):  # blank: none, not the login folder
            uses.append("tracking_folder")
        valid = {name: cleaned[name] for name in uses if name not in self.errors}
        for name, other in folders_clashing(valid).items():
            self.add_error(
                name,
                f"This is the {FOLDER_LABELS[other].lower()} too: give each use its own folder.",
            )
        return cleaned


class OrderFileUploadForm(forms.Form):
    """An order file chosen in the browser."""

    file = forms.FileField(
        label="Order file",
        help_text="A CSV file in this cart's order file format. Orders in it are loaded once: "
        "the same file uploaded again loads nothing.",
    )

    def clean_file(self) -> UploadedFile:
        uploaded: UploadedFile = self.cleaned_data["file"]
        if uploaded.size is not None and uploaded.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: split it "
                "into smaller files."
            )
        return uploaded
