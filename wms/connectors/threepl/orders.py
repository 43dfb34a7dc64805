"""3PL Warehouse Manager orders: our orders as create bodies, RQL, ship codes, refusals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from integration_manager.records import Address, DeliveryOrder, ShipMethodRecord
from wms.connectors.threepl.client import Fault, resource_list

# readOnly.status (WarehouseTransactionApiStatus): 0 Open, 1 Closed, 2 Canceled.
OPEN, CLOSED, CANCELED = 0, 1, 2
# RQL reserves these inside values; the server URL-decodes a value a second time, so each is
# sent percent-encoded (and the query string encoding adds the first layer).
RQL_RESERVED = frozenset("%!()*=,;")

# The ship code a WMS ship method has in the hub, and that an order's mapping gives back:
# carrier|mode|billing code|SCAC, e.g. "UPS|03|Prepaid|UPSN". Carrier and mode are
# routingInfo.carrier and routingInfo.mode as /properties/carriers names them; an empty
# billing code means the connection's default; the SCAC may be left off. A code without "|"
# (a cart's own code sent as is) is all carrier.
SHIP_CODE_SEPARATOR = "|"
SHIP_CODE_MAX = 100  # WmsShipMethod.code and Order.wms_ship_code hold 100 characters
CANCEL_REASON = "Canceled in the integration hub (the order was canceled at the store)."


def rql_value(value: str) -> str:
    """A value as RQL wants it: each reserved character percent-encoded once."""
    return "".join(f"%{ord(char):02X}" if char in RQL_RESERVED else char for char in value)


def lookup_rql(*, cust_ref: str, customer_id: int) -> str:
    return f"referenceNum=={rql_value(cust_ref)};readOnly.customerIdentifier.id=={customer_id}"


def read_only(payload: Any) -> Mapping[str, Any]:
    """An order's readOnly object; empty when the reply has none, or something else there."""
    value = payload.get("readOnly") if isinstance(payload, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def order_id_of(payload: Mapping[str, Any]) -> int | None:
    """The WMS's order id (readOnly.orderId)."""
    value = read_only(payload).get("orderId")
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        return None


def status_of(payload: Mapping[str, Any]) -> int:
    try:
        return int(read_only(payload).get("status") or OPEN)
    except (TypeError, ValueError, OverflowError):
        return OPEN


def found_order(orders: Iterable[Mapping[str, Any]], *, cust_ref: str) -> Mapping[str, Any] | None:
    """The order a lookup by reference found: a live one before a canceled one (a reference
    canceled in the WMS and sent again has both)."""
    matching = [
        order
        for order in orders
        if str(order.get("referenceNum") or "") == cust_ref and order_id_of(order) is not None
    ]
    matching.sort(key=lambda order: (status_of(order) == CANCELED, order_id_of(order) or 0))
    return matching[0] if matching else None


# ship codes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Routing:
    """routingInfo and billingCode of an order, as a ship code names them."""

    carrier: str = ""
    mode: str = ""
    billing_code: str = ""
    scac: str = ""

    @property
    def code(self) -> str:
        parts = [self.carrier, self.mode, self.billing_code, self.scac]
        return SHIP_CODE_SEPARATOR.join(parts).rstrip(SHIP_CODE_SEPARATOR)

    @classmethod
    def from_code(cls, code: str, *, default_billing_code: str) -> Routing:
        parts = [part.strip() for part in code.split(SHIP_CODE_SEPARATOR)] + ["", "", "", ""]
        return cls(
            carrier=parts[0],
            mode=parts[1],
            billing_code=parts[2] or default_billing_code,
            scac=parts[3],
        )


def _text(value: Any, *names: str) -> str:
    """A plain string, or the first named field of an object (carrier lists vary)."""
    if isinstance(value, Mapping):
        return next((str(value[name]).strip() for name in names if value.get(name)), "")
    return str(value or "").strip()


def _billing_code(codes: Sequence[Any], *, default: str) -> str:
    """The connection's default where the carrier allows it (or lists none), else its first."""
    names = [_text(code, "code", "name", "description") for code in codes]
    names = [name for name in names if name]
    return default if not names or default in names else names[0]


def _listed(value: Any) -> list[Any]:
    # A reply is read whatever it holds: a flag or a number where a list belongs is no list.
    return value if isinstance(value, list) else []


def _active(entry: Mapping[str, Any]) -> bool:
    return not entry.get("deactivated") and entry.get("active") is not False


def ship_method_records(
    payload: Mapping[str, Any], *, default_billing_code: str
) -> list[ShipMethodRecord]:
    """One ship method per active carrier service of GET /properties/carriers, its code
    naming carrier, mode, billing code and SCAC (see SHIP_CODE_SEPARATOR)."""
    records = []
    for carrier in resource_list(payload, "properties/carrier"):
        if not _active(carrier):
            continue
        name = _text(carrier.get("name")) or _text(carrier.get("carrierCode"))
        shown = _text(carrier.get("displayName")) or name
        billing = _billing_code(
            _listed(carrier.get("billingCodes") or payload.get("defaultBillingCodes")),
            default=default_billing_code,
        )
        services = carrier.get("shipmentServices") or payload.get("defaultShipmentServices")
        for service in _listed(services):
            if isinstance(service, Mapping) and not _active(service):
                continue
            mode = _text(service, "code", "name")
            routing = Routing(
                carrier=name, mode=mode, billing_code=billing, scac=_text(carrier.get("scacCode"))
            )
            if not name or not mode or len(routing.code) > SHIP_CODE_MAX:
                continue
            service_name = _text(service, "description", "name") or mode
            description = f"{shown} {service_name} ({billing})"
            records.append(
                ShipMethodRecord(code=routing.code, description=description, carrier=name)
            )
    return records


# create ------------------------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    """A JSON number: whole quantities as integers; amounts to the cent survive a float."""
    return int(value) if value == value.to_integral_value() else float(value)


def _contact(address: Address) -> dict[str, str]:
    fields = {
        "companyName": address.company,
        "name": address.name,
        "address1": address.address_1,
        "address2": " ".join(part for part in (address.address_2, address.address_3) if part),
        "city": address.city,
        "state": address.state,
        "zip": address.zip,
        "country": address.country,
        "phoneNumber": address.phone,
        "emailAddress": address.email,
    }
    return {key: value for key, value in fields.items() if value}


def order_body(
    order: DeliveryOrder, *, customer_id: int, facility_id: int, default_billing_code: str
) -> dict[str, Any]:
    """POST /orders for one of our orders: referenceNum is our cust_ref (unique per customer
    in the WMS, which is what makes a second create of the same order fail)."""
    routing = Routing.from_code(order.ship_code, default_billing_code=default_billing_code)
    routing_info = {"carrier": routing.carrier, "mode": routing.mode, "scacCode": routing.scac}
    body: dict[str, Any] = {
        "customerIdentifier": {"id": customer_id},
        "facilityIdentifier": {"id": facility_id},
        "referenceNum": order.cust_ref,
        "poNum": order.order_number,
        "notes": order.notes,
        "billingCode": routing.billing_code,
        "routingInfo": {key: value for key, value in routing_info.items() if value},
        "shipTo": _contact(order.ship_to),
        "soldTo": _contact(order.bill_to),
        "orderItems": [
            {
                "itemIdentifier": {"sku": line.sku},
                "qty": _number(line.quantity),
                "fulfillInvSalePrice": _number(line.price),
            }
            for line in order.lines
        ],
        # Packing-slip and invoice values.
        "fulfillInvInfo": {
            "fulfillInvShippingAndHandling": _number(order.shipping_handling),
            "fulfillInvTax": _number(order.sales_tax),
            "fulfillInvDiscountAmount": _number(order.order_discount),
        },
    }
    return {key: value for key, value in body.items() if value not in ("", {}, None)}


# refusals ----------------------------------------------------------------------------------


def is_duplicate(fault: Fault) -> bool:
    """The referenceNum is taken: the order is in the WMS already."""
    return fault.error_code == "Duplicate"


def unknown_sku(fault: Fault) -> bool:
    """The WMS has no item for a SKU of the order (DoesNotExist on an item identifier)."""
    if fault.error_code != "DoesNotExist":
        return False
    names = [name.lower() for name, _ in fault.properties]
    if names:
        return any("sku" in name or "itemidentifier" in name for name in names)
    return "sku" in fault.hint.lower()
