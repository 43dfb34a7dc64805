"""Orders as the CartRover API shows them: the order object (§1.9) and the status object (§1.10)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from orders.models import Order, OrderLine, OrderStatus, Shipment

API_ACCESS = "api_access"
CENTS, TEN_THOUSANDTHS = Decimal("0.01"), Decimal("0.0001")

# Fields CartRover's own back office filled that the hub has no use for: always null.
BACK_OFFICE_FIELDS = [
    "version",
    "format",
    "credit_card_no",
    "expiration_date",
    "tax_exempt_sw",
    "installment_program",
    "media_week",
    "ani_phone",
    "vendor_phone",
    "check_account_no",
    "check_type",
    "check_no",
    "check_bank_id",
    "check_cust_bank",
    "check_cust_id_num",
    "check_cust_id_state",
    "check_cust_id_mm",
    "check_cust_id_dd",
    "check_cust_id_yy",
    "check_cust_id_type",
    "location",
    "ship_account_no",
    "ship_account_zip",
    "pre_auth_code",
    "pre_auth_id",
    "cvv",
    "gift_card_sw",
    "token_sw",
    "cass_code_ship",
    "cass_error_ship",
    "cass_code_cust",
    "cass_error_cust",
    "cass_date",
    "ncoa_code_ship",
    "ncoa_code_cust",
    "ncoa_date",
    "ifraud_error_code",
    "xfraud_error_code",
    "credit_error_code",
    "resubmit_date",
    "black_list",
    "credit_score",
    "fraud_score",
    "load_override_sw",
    "fail_action",
    "action_dt",
    "filename",
    "call_queue",
    "clerk_disposition",
    "clerk_disp_dt",
    "rep_disposition",
    "rep_disp_dt",
    "duplicate_sw",
    "org_file_no",
    "delete_date",
    "sent_to_region",
    "accepted_by_region",
    "regional_center",
    "regional_order_no",
    "regional_ship_date",
    "regional_error",
    "first_attempt",
    "changed_from_server",
    "changed_by_user",
    "cc_last_four",
    "latest_ship_date",
    "shipment_pk",
    "mark_in_progress_date",
    "extra_system_date_sent",
    "inventory_warehouse_pk",
    "log_documents_in",
    "log_documents_out",
    "mark_in_progress_log",
    "cust_po_no_original",
]

# Header fields an API client may send on create that the hub keeps only in the order's raw
# input: they are echoed back for orders that came in through the API, null for other carts
# (whose raw payload is the cart's own format, with other meanings for the same names).
ECHOED_FIELDS = (
    "po_number",
    "customer_id",
    "carrier",
    "cust_title",
    "ship_title",
    "ship_address_type",
    "special_services",
    "pay_type",
    "promo_code",
    "shipping_instructions",
    "weight",
    "gift_message",
    "gift_wrap",
    "requested_ship_date",
    "expected_delivery_date",
    "custom_field_1",
    "custom_field_2",
    "custom_field_3",
    "custom_field_4",
    "custom_field_5",
)

_ADDRESS_FIELDS = (
    ("company", "company"),
    ("first_name", "first_name"),
    ("last_name", "last_name"),
    ("address_1", "address_1"),
    ("address_2", "address_2"),
    ("address_3", "address_3"),
    ("city", "city"),
    ("state", "state"),
    ("zip", "zip"),
    ("country", "country"),
    ("phone", "phone"),
    ("e_mail", "email"),
)

_SHIPMENTBACK_OFFICE_FIELDS = [
    "tracking_no_secondary",
    "sscc_barcode",
    "bill_of_lading",
    "package_weight_lbs",
    "dim_weight_lbs",
    "zone",
    "delivery_surcharge_type",
    "whs_location",
    "box_length_in",
    "box_width_in",
    "box_height_in",
    "custom_1",
    "custom_2",
    "custom_3",
]
_SHIPMENT_LINEBACK_OFFICE_FIELDS = [
    "carton_code",
    "carton_num",
    "box_length_in",
    "box_width_in",
    "box_height_in",
    "package_weight_lbs",
    "lot_code",
    "custom_1",
]


def api_timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC to the second, as CartRover writes it: 2018-08-27T02:24:58+00:00."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def api_money(value: Decimal | None, places: Decimal = CENTS) -> str:
    return str((value or Decimal("0")).quantize(places))


def api_quantity(value: Decimal | None) -> str:
    """A quantity without trailing zeros: "2", "1.5"."""
    text = format((value or Decimal("0")).normalize(), "f")
    return text


def api_flag(value: bool) -> str:
    return "Y" if value else "N"


def order_object_prefetch(orders: QuerySet[Order]) -> QuerySet[Order]:
    """The related rows order_object reads, fetched once for a whole page of orders."""
    return orders.select_related("cart").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("line_number", "id")),
        Prefetch("shipments", queryset=Shipment.objects.prefetch_related("lines")),
    )


def order_object(
    order: Order,
    *,
    include_filtered_items: bool = False,
    include_order_extras: bool = False,
    include_line_extras: bool = False,
    include_aliases: bool = False,
    for_warehouse: bool = False,
) -> dict[str, Any]:
    """The full order object of the view and list endpoints (§1.9): every field a string,
    "Y"/"N" or null; items and shipments (with their items) included.

    for_warehouse (merchant and warehouse keys): the lines as the WMS is to ship them, each
    under the SKU the WMS knows (aliases applied) and a kit as its components; alt_sku is
    then the cart's SKU. A cart key sees the lines as the cart sent them.
    """
    raw_input = _api_input(order)
    body: dict[str, Any] = {key: None for key in BACK_OFFICE_FIELDS}
    body.update(_identity(order))
    body.update(_address("cust", order.bill_to))
    body.update(_address("ship", order.ship_to))
    body.update(_charges(order))
    body.update(_status(order))
    body.update({key: _text_or_none(raw_input.get(key)) for key in ECHOED_FIELDS})
    lines = _warehouse_lines(order) if for_warehouse else _cart_lines(order)
    items = [
        _item(
            line,
            raw_input=raw_input,
            extras=include_line_extras,
            aliases=include_aliases,
            for_warehouse=for_warehouse,
        )
        for line in lines
        if include_filtered_items or not line.filtered
    ]
    shipments = [_shipment(shipment) for shipment in order.shipments.all()]
    body.update(_totals(lines, shipments))
    if include_order_extras:
        body["extra_fields"] = _extras(raw_input.get("extra_fields"))
    body["items"] = items
    body["shipments"] = shipments
    return body


def status_object(order: Order) -> dict[str, Any]:
    """The lighter status answer (§1.10): references, status, dates and shipments."""
    return {
        "cust_ref": order.cust_ref,
        "cust_po_no": order.order_number,
        "delivered_to_wms_date": api_timestamp(order.delivered_at),
        "updated_date_time": api_timestamp(order.updated_at),
        "ship_country": _text_or_none(order.ship_to.get("country")),
        "order_status": order.status,
        "shipments": [_shipment(shipment) for shipment in order.shipments.all()],
    }


def _api_input(order: Order) -> dict[str, Any]:
    if order.cart.connector_key != API_ACCESS or not isinstance(order.raw, dict):
        return {}
    return order.raw


def _text_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return api_flag(value)
    return str(value)


def _extras(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(name): "" if item is None else str(item) for name, item in value.items()}


def _identity(order: Order) -> dict[str, Any]:
    return {
        "created_date_time": api_timestamp(order.created_at),
        "updated_date_time": api_timestamp(order.updated_at),
        "record_no": order.source_order_id,
        "cust_ref": order.cust_ref,
        "cust_po_no": order.order_number,
        "cust_ref_original": order.source_order_id,
        "order_source": order.cart.order_source or order.cart.label,
        "order_date": order.ordered_at.astimezone(UTC).date().isoformat(),
        "ship_code": order.ship_code,
        "ship_code_description": order.ship_description or None,
        "working_ship_code": order.wms_ship_code or None,
        "changed_by": f"Shopping Cart: {order.cart.connector_key}",
    }


def _address(prefix: str, address: dict[str, Any]) -> dict[str, str | None]:
    address = address if isinstance(address, dict) else {}
    return {f"{prefix}_{name}": _text_or_none(address.get(key)) for name, key in _ADDRESS_FIELDS}


def _charges(order: Order) -> dict[str, Any]:
    return {
        "sub_total": api_money(order.sub_total),
        "order_discount": api_money(order.order_discount),
        "sales_tax": api_money(order.sales_tax),
        "shipping_handling": api_money(order.shipping_handling),
        "grand_total": api_money(order.grand_total),
        "balance": "0.00",
        "pre_auth_amt": "0.00",
        "currency_code": order.currency or None,
    }


def _status(order: Order) -> dict[str, Any]:
    # The hub keeps no separate cancel time: a canceled order's last change is its cancel.
    canceled_at = (
        order.canceled_in_cart_at or order.updated_at
        if order.status == OrderStatus.CANCELED
        else None
    )
    return {
        "order_status": order.status,
        "error_code": order.error_code or None,
        "error_msg": order.error_reason or None,
        "error_reason": order.error_reason or None,
        "sending_canceled": api_flag(order.sending_canceled),
        "shipping_pickup_canceled": "N",
        "on_hold": "N",
        "num_failed_sends": str(order.failed_sends),
        "delivered_to_wms_date": api_timestamp(order.delivered_at),
        "cancel_date": api_timestamp(canceled_at),
        "routing_sw": "N",
        "regional_retry_sw": "N",
        "regional_attempts": "0",
    }


def _cart_lines(order: Order) -> list[OrderLine]:
    return [line for line in order.lines.all() if line.kit_parent_id is None]


def _warehouse_lines(order: Order) -> list[OrderLine]:
    """The lines in order, each kit replaced by its components where the rules expanded it."""
    lines = list(order.lines.all())
    components: dict[int, list[OrderLine]] = {}
    for line in lines:
        if line.kit_parent_id is not None:
            components.setdefault(line.kit_parent_id, []).append(line)
    shipped: list[OrderLine] = []
    for line in lines:
        if line.kit_parent_id is None:
            shipped.extend(components.get(line.id) or [line])
    return shipped


def _totals(lines: list[OrderLine], shipments: list[dict[str, Any]]) -> dict[str, str]:
    lines = [line for line in lines if not line.filtered]
    ordered = sum((line.quantity for line in lines), Decimal("0"))
    shipped = sum(
        (Decimal(item["quantity"]) for shipment in shipments for item in shipment["items"]),
        Decimal("0"),
    )
    return {
        "total_qty": api_quantity(ordered),
        "num_to_ship": api_quantity(ordered - shipped),
        "num_shipped": api_quantity(shipped),
    }


def _raw_item(raw_input: dict[str, Any], line: OrderLine) -> dict[str, Any]:
    items = raw_input.get("items")
    index = line.line_number - 1
    if isinstance(items, list) and 0 <= index < len(items) and isinstance(items[index], dict):
        return items[index]
    return {}


def _item(
    line: OrderLine,
    *,
    raw_input: dict[str, Any],
    extras: bool,
    aliases: bool,
    for_warehouse: bool,
) -> dict[str, Any]:
    raw_item = _raw_item(raw_input, line)
    # The other side's SKU, where an alias translated the cart's.
    shown, other = (
        (line.wms_sku or line.sku, line.sku) if for_warehouse else (line.sku, line.wms_sku)
    )
    item = {
        "line_no": str(line.line_number),
        "item": shown,
        "lot_number": _text_or_none(raw_item.get("lot_number")),
        "quantity": api_quantity(line.quantity),
        "price": api_money(line.price, TEN_THOUSANDTHS),
        "discount": api_money(line.discount, TEN_THOUSANDTHS),
        "addl_discount": api_money(line.addl_discount, TEN_THOUSANDTHS),
        "extended_amount": api_money(line.extended_amount),
        "tax": api_money(line.tax),
        "shipping_surcharge": api_money(_decimal_or_zero(raw_item.get("shipping_surcharge"))),
        "line_item_id": line.source_line_id or None,
        "line_comment": _text_or_none(raw_item.get("line_comment")),
        "Description": line.description or None,
        "alt_sku": other if aliases and other and other != shown else None,
        "filtered_sku": api_flag(line.filtered),
        "line_location": "",
    }
    if extras:
        item["extra_fields"] = _extras(raw_item.get("extra_fields"))
    return item


def _decimal_or_zero(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except ArithmeticError:
        return Decimal("0")


def _shipment(shipment: Shipment) -> dict[str, Any]:
    body: dict[str, Any] = {key: None for key in _SHIPMENTBACK_OFFICE_FIELDS}
    body.update(
        {
            "carrier": shipment.carrier or None,
            "method": shipment.method or None,
            "tracking_no": shipment.tracking_number or None,
            "tracking_url": shipment.tracking_url or None,
            "total_cost": api_money(shipment.cost),
            "date": api_timestamp(shipment.shipped_at),
        }
    )
    body["items"] = [
        {
            **{key: None for key in _SHIPMENT_LINEBACK_OFFICE_FIELDS},
            "item": line.sku,
            "quantity": api_quantity(line.quantity),
        }
        for line in shipment.lines.all()
    ]
    return body
