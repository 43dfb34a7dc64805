"""Shipments to WooCommerce request bodies, and an earlier upload found in what it lists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC
from typing import Any

from integration_manager.connector_errors import RecordError
from integration_manager.records import ShipmentRecord, UploadOrder

# Statuses a shipment must not silently overwrite: the merchant stopped these orders.
STOPPED_STATUSES = frozenset({"cancelled", "refunded", "failed", "trash"})
# An order in one of these is done in the store: a cancel would undo what the merchant did.
FINAL_STATUSES = frozenset({"completed", "refunded", "trash"})
# What GET /orders/{id} is asked for before an upload.
STATUS_FIELDS = "id,status"


def order_status(payload: Mapping[str, Any]) -> str:
    return str(payload.get("status") or "")


def check_not_stopped(order: UploadOrder, status: str) -> None:
    """Refuse to touch an order the merchant stopped (RecordError for that order)."""
    if status in STOPPED_STATUSES:
        raise RecordError(
            f"WooCommerce order {order.order_number} is {status}, so the hub did not add "
            "the tracking or change its status. Check with the merchant whether it should "
            "have shipped.",
            record_ref=order.source_order_id,
        )


def upload_finished(status: str, *, ship_status: str) -> bool:
    """Whether an order in this status has had its whole upload: the tracking is there and
    the status set (or not to be set, or the order stopped since)."""
    return not ship_status or status == ship_status or status in STOPPED_STATUSES


# finding an earlier upload -------------------------------------------------------------


def shipment_marker(shipment: ShipmentRecord) -> str:
    """What identifies this shipment in the cart: its tracking number, else the WMS reference."""
    return shipment.tracking_number.strip() or shipment.wms_shipment_ref.strip()


def mentions(text: str, marker: str) -> bool:
    """Whether a note names the marker as a whole word (1Z99 must not match 1Z999)."""
    if not marker:
        return False
    return re.search(rf"(?<![\w-]){re.escape(marker)}(?![\w-])", text) is not None


def tracking_ref(tracking: Mapping[str, Any]) -> str:
    """The hub's id of a tracking the extension holds."""
    return f"tracking:{tracking.get('tracking_id')}"


def note_ref(note: Mapping[str, Any]) -> str:
    """The hub's id of an order note."""
    return f"note:{note.get('id')}"


def find_tracking(trackings: Iterable[Mapping[str, Any]], marker: str) -> str | None:
    """The tracking (of GET …/shipment-trackings) with this tracking number."""
    for item in trackings:
        if str(item.get("tracking_number") or "").strip() == marker:
            return tracking_ref(item)
    return None


def find_note(notes: Iterable[Mapping[str, Any]], marker: str) -> str | None:
    """The order note (of GET /orders/{id}/notes) that names this shipment."""
    for note in notes:
        if mentions(str(note.get("note") or ""), marker):
            return note_ref(note)
    return None


# request bodies ------------------------------------------------------------------------


def tracking_note(shipment: ShipmentRecord) -> str:
    """The order note for a shipment; it names the tracking number (or the WMS reference) so
    that find_shipment can recognise it later."""
    carrier = " ".join(part for part in (shipment.carrier, shipment.method) if part).strip()
    text = f"Your order has shipped with {carrier}." if carrier else "Your order has shipped."
    if shipment.tracking_number.strip():
        text += f" Tracking number: {shipment.tracking_number.strip()}."
        if shipment.tracking_url:
            text += f" Track it at {shipment.tracking_url}"
    else:
        text += f" Shipment reference: {shipment.wms_shipment_ref.strip()}."
    return text


def note_body(shipment: ShipmentRecord, *, notify_customer: bool) -> dict[str, Any]:
    """The body of POST /orders/{id}/notes; a customer note is e-mailed by WooCommerce."""
    return {"note": tracking_note(shipment), "customer_note": notify_customer}


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def provider_name(candidates: Sequence[str], providers: Mapping[str, Any]) -> str:
    """The Shipment Tracking provider whose name matches the carrier ("FEDEX" -> "Fedex"), or ""
    when none does. providers is the extension's {country: {name: link}} list."""
    names: dict[str, str] = {}
    for group in providers.values():
        if isinstance(group, Mapping):
            for name in group:
                names.setdefault(_squash(str(name)), str(name))
    for candidate in candidates:
        match = names.get(_squash(candidate))
        if candidate.strip() and match:
            return match
    return ""


def tracking_body(shipment: ShipmentRecord, *, providers: Mapping[str, Any]) -> dict[str, str]:
    """The body of POST .../shipment-trackings. A carrier the extension knows goes by its name
    (the extension then builds the link); any other as a custom provider with our link."""
    body = {
        "tracking_number": shipment.tracking_number.strip(),
        "date_shipped": shipment.shipped_at.astimezone(UTC).date().isoformat(),
    }
    provider = provider_name((shipment.carrier, shipment.scac), providers)
    if provider:
        body["tracking_provider"] = provider
    else:
        name = shipment.carrier.strip() or shipment.scac.strip() or shipment.method.strip()
        body["custom_tracking_provider"] = name or "Carrier"
        if shipment.tracking_url:
            body["custom_tracking_link"] = shipment.tracking_url
    return body
