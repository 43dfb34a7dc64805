"""The editor link a CSV warehouse's setup page would show for its order file."""

from __future__ import annotations

from django.urls import reverse

from csvfiles.targets import csv_format_link
from wms.models import WmsConnection


def order_file_link(wms: WmsConnection) -> str:
    return csv_format_link(
        connection_kind="wms",
        connection_id=wms.id,
        setting_key="order_format",
        direction="orders",
        title="Order file",
        back_url=reverse("wms_setup"),
    )
