"""Cart-level endpoints: an "API access" cart's pair posts its orders and reads them back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from api import cart_orders
from api.bodies import BATCH_BODY_LIMIT, api_json_body
from api.cart_orders import (
    LIST_STATUSES,
    OrderDuplicate,
    OrderNotLoaded,
    cart_order_find,
    cart_order_list,
)
from api.endpoints import api_endpoint
from api.envelope import FAILURE, INVALID, ApiError, api_ok
from api.models import ApiLevel
from api.order_input import OrderInputError
from api.order_objects import order_object, order_object_prefetch, status_object
from carts.models import CartConnection
from orders.models import Order, OrderStatus
from orders.services.cancel import order_cancel_in_wms

CART = [ApiLevel.CART]
INCLUDE_FLAGS = (
    "include_filtered_items",
    "include_order_extras",
    "include_line_extras",
    "include_aliases",
)
DEFAULT_LIMIT, MAX_LIMIT = 20, 100


def _cart(request: HttpRequest) -> CartConnection:
    return request.api.cart  # type: ignore[attr-defined, no-any-return]


def _cart_taking_orders(request: HttpRequest) -> CartConnection:
    cart = _cart(request)
    if not cart.enabled:
        raise ApiError(
            FAILURE,
            f"The cart {cart.label} is switched off in the hub, so it takes no orders. Switch it "
            "on on its page in the hub, then send the orders again.",
        )
    return cart


def _order(request: HttpRequest, reference: str) -> Order:
    order = cart_order_find(cart=_cart(request), reference=reference)
    if order is None:
        raise ApiError(INVALID, f"Order {reference[:60]} was not found in this cart.")
    return order


def _flags(request: HttpRequest) -> dict[str, bool]:
    return {
        name: request.GET.get(name, "N").strip().upper() in ("Y", "YES", "TRUE", "1")
        for name in INCLUDE_FLAGS
    }


@api_endpoint(levels=CART, methods=["POST"], rate_limited=False)
def order_create(request: HttpRequest) -> HttpResponse:
    """One order object, or an array of them (the official PHP client always sends one)."""
    body = api_json_body(request)
    if isinstance(body, list) and len(body) != 1:
        if not body:
            raise ApiError(INVALID, "The array is empty: send at least one order.")
        return _batch_answer(request, body)
    data = body[0] if isinstance(body, list) else body
    try:
        order = cart_orders.order_api_create(
            cart=_cart_taking_orders(request),
            data=data,
            credential=request.api.credential,  # type: ignore[attr-defined]
        )
    except OrderInputError as error:
        raise ApiError(INVALID, str(error)) from None
    except OrderDuplicate as duplicate:
        raise ApiError(FAILURE, f"Order {duplicate} already exists") from None
    except OrderNotLoaded as skipped:
        raise ApiError(FAILURE, f"The order was not loaded: {skipped}") from None
    return api_ok(cust_ref=order.cust_ref, order_number=order.order_number)


@api_endpoint(levels=CART, methods=["POST"], body_limit=BATCH_BODY_LIMIT)
def order_batch(request: HttpRequest) -> HttpResponse:
    body = api_json_body(request)
    if not isinstance(body, list) or not body:
        raise ApiError(INVALID, "Send the orders as a JSON array with at least one order.")
    return _batch_answer(request, body)


def _batch_answer(request: HttpRequest, body: list[Any]) -> HttpResponse:
    outcome = cart_orders.orders_api_batch(
        cart=_cart_taking_orders(request),
        items=body,
        credential=request.api.credential,  # type: ignore[attr-defined]
    )
    return api_ok({"success": outcome.success, "failed": outcome.failed})


@api_endpoint(levels=CART)
def order_view(request: HttpRequest, reference: str) -> HttpResponse:
    order = order_object_prefetch(cart_orders.cart_orders(_cart(request))).get(
        id=_order(request, reference).id
    )
    return api_ok(order_object(order, **_flags(request)))


@api_endpoint(levels=CART)
def order_status(request: HttpRequest, reference: str) -> HttpResponse:
    order = order_object_prefetch(cart_orders.cart_orders(_cart(request))).get(
        id=_order(request, reference).id
    )
    return api_ok(status_object(order))


def _date_parameter(request: HttpRequest, name: str, *, end: bool) -> datetime | None:
    """YYYY-MM-DD (a to_date takes that whole day) or an ISO 8601 timestamp."""
    text = request.GET.get(name, "").strip()
    if not text:
        return None
    try:
        if len(text) <= 10:
            year, month, day = (int(part) for part in text.split("-"))
            moment = datetime(year, month, day, tzinfo=UTC)
            return cart_orders.day_after(moment) if end else moment
        moment = datetime.fromisoformat(text.replace(" ", "+"))
    except ValueError:
        raise ApiError(
            INVALID, f"{name} {text[:40]!r} is not a date (YYYY-MM-DD) or an ISO 8601 time."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _whole_number(request: HttpRequest, name: str, default: int) -> int:
    text = request.GET.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ApiError(INVALID, f"{name} {text[:20]!r} is not a whole number of 1 or more.")
    return int(text)


@api_endpoint(levels=CART)
def order_list(request: HttpRequest, status: str) -> HttpResponse:
    if status not in LIST_STATUSES:
        raise ApiError(
            INVALID, f"Status {status[:30]!r} is not one of: {', '.join(LIST_STATUSES)}."
        )
    limit = min(_whole_number(request, "limit", DEFAULT_LIMIT), MAX_LIMIT)
    page = _whole_number(request, "page", 1)
    orders = cart_order_list(
        cart=_cart(request),
        status=status,
        from_date=_date_parameter(request, "from_date", end=False),
        to_date=_date_parameter(request, "to_date", end=True),
        order_source=request.GET.get("order_source", "").strip(),
    )
    total = orders.count()
    rows = order_object_prefetch(orders)[(page - 1) * limit : page * limit]
    flags = _flags(request)
    response = api_ok([order_object(order, **flags) for order in rows])
    response["total-records"] = str(total)
    return response


@api_endpoint(levels=CART)
def order_wms_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """At the WMS: the WMS is asked to cancel it. Not sent yet: it is never sent."""
    order = _order(request, reference)
    credential = request.api.credential  # type: ignore[attr-defined]
    if order.status in (OrderStatus.NEW, OrderStatus.ERROR) and order.delivery_started_at is None:
        return _cancel_sending(order, credential, "Not sent to the WMS yet: it will not be sent.")
    try:
        order_cancel_in_wms(order=order, user=None, actor=f"API user {credential.api_user}")
    except ValidationError as error:
        raise ApiError(FAILURE, " ".join(error.messages)) from None
    return api_ok({"success": True, "message": ""})


def _cancel_sending(order: Order, credential: Any, message: str) -> HttpResponse:
    try:
        cart_orders.order_api_cancel_sending(order=order, credential=credential)
    except ValueError as error:
        raise ApiError(FAILURE, str(error)) from None
    return api_ok({"success": True, "message": message})


@api_endpoint(levels=CART, methods=["POST"])
def order_cancel(request: HttpRequest) -> HttpResponse:
    """The older cancel: only an order not sent to the WMS yet can be taken back."""
    body = api_json_body(request)
    reference = body.get("cust_ref") if isinstance(body, dict) else None
    if not isinstance(reference, str | int) or isinstance(reference, bool) or reference == "":
        raise ApiError(INVALID, 'Send {"cust_ref": "<the order\'s cust_ref>"}.')
    order = _order(request, str(reference))
    return _cancel_sending(order, request.api.credential, "")  # type: ignore[attr-defined]


@api_endpoint(levels=CART, methods=["POST"])
def order_update(request: HttpRequest, reference: str) -> HttpResponse:
    """The client confirms the tracking it took: {"order_status": "confirmed", "shipments":
    [{"tracking_no": ...}]}."""
    body = api_json_body(request)
    if not isinstance(body, dict):
        raise ApiError(INVALID, "Send a JSON object with order_status and shipments.")
    if body.get("order_status") != OrderStatus.CONFIRMED:
        raise ApiError(
            INVALID,
            f"order_status {_shown(body.get('order_status'))} cannot be set through the API: "
            'only "confirmed".',
        )
    tracking_numbers = _tracking_numbers(body.get("shipments", []))
    order = _order(request, reference)
    try:
        cart_orders.order_api_confirm(
            order=order,
            tracking_numbers=tracking_numbers,
            credential=request.api.credential,  # type: ignore[attr-defined]
        )
    except ValueError as error:
        raise ApiError(FAILURE, str(error)) from None
    return api_ok()


def _shown(value: Any) -> str:
    return repr(value)[:40]


def _tracking_numbers(shipments: Any) -> list[str]:
    if not isinstance(shipments, list):
        raise ApiError(INVALID, f"shipments {_shown(shipments)} is not an array.")
    numbers = []
    for index, shipment in enumerate(shipments):
        number = shipment.get("tracking_no") if isinstance(shipment, dict) else None
        if not isinstance(number, str) or not number.strip():
            raise ApiError(
                INVALID,
                f"shipments[{index}].tracking_no {_shown(number)} is not a tracking number.",
            )
        numbers.append(number.strip())
    return numbers
