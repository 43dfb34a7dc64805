"""Merchant and warehouse endpoints (docs/api.md, "Endpoints: merchant and warehouse level").

Every query starts from request.api: the account, and the merchant of the key (or of
X-Merchant-Pk for a warehouse key). Another merchant's order or cart is answered like one
that does not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.models import Merchant
from api.bodies import api_json_body
from api.endpoints import api_endpoint
from api.envelope import INVALID, ApiError, api_ok
from api.merchant_writes import (
    api_levels_store,
    api_ship_maps_save,
    api_shipments_store,
    levels_parse,
    orders_receive,
    received_refs_parse,
    ship_maps_parse,
    shipments_parse,
)
from api.models import ApiLevel
from api.order_lists import include_flags, orders_by_status, page_of
from api.order_objects import api_flag, order_object, order_object_prefetch, status_object
from api.stock_objects import inventory_items, inventory_skus, product_object, product_sku
from carts.models import CartConnection
from orders.models import Order, OrderStatus
from wms.models import ShipMethodMap, WmsShipMethod
from wms.selectors import wms_pulls_orders

MERCHANT_KEYS = (ApiLevel.MERCHANT, ApiLevel.WAREHOUSE)
# Stock, products and ship methods are read with cart keys too (§1.8 #12–#15).
READ_KEYS = (ApiLevel.CART, ApiLevel.MERCHANT, ApiLevel.WAREHOUSE)


def _merchant(request: HttpRequest) -> Merchant:
    return request.api.merchant  # type: ignore[attr-defined, no-any-return]


def _orders(request: HttpRequest) -> QuerySet[Order]:
    merchant = _merchant(request)
    return Order.objects.filter(account_id=merchant.account_id, merchant=merchant)


def _order(request: HttpRequest, cust_ref: str) -> Order:
    order = order_object_prefetch(_orders(request).filter(cust_ref=cust_ref)).first()
    if order is None:
        raise ApiError(INVALID, f"No order {cust_ref[:40]} for this merchant.")
    return order


def _cart(request: HttpRequest, order_source: str) -> CartConnection:
    merchant = _merchant(request)
    cart = CartConnection.objects.filter(
        account_id=merchant.account_id, merchant=merchant, order_source=order_source
    ).first()
    if cart is None:
        raise ApiError(
            INVALID,
            f"No cart with order source {order_source[:60]} for this merchant "
            "(GET /v1/cart/list lists them).",
        )
    return cart


# orders ------------------------------------------------------------------------------------


@api_endpoint(levels=MERCHANT_KEYS)
def orders_list(request: HttpRequest, status: str) -> HttpResponse:
    orders = orders_by_status(_orders(request), status=status, request=request)
    if wms_pulls_orders(account_id=_merchant(request).account_id):
        # A new order is listed once the hub has checked it and applied the rules.
        orders = orders.exclude(status=OrderStatus.NEW, ready_at=None)
    flags = include_flags(request)
    page = page_of(order_object_prefetch(orders), request)
    response = api_ok([order_object(order, for_warehouse=True, **flags) for order in page])
    response["total-records"] = str(orders.count())
    return response


@api_endpoint(levels=MERCHANT_KEYS)
def order_view(request: HttpRequest, cust_ref: str) -> HttpResponse:
    order = _order(request, cust_ref)
    return api_ok(order_object(order, for_warehouse=True, **include_flags(request)))


@api_endpoint(levels=MERCHANT_KEYS)
def order_status(request: HttpRequest, cust_ref: str) -> HttpResponse:
    return api_ok(status_object(_order(request, cust_ref)))


@api_endpoint(levels=MERCHANT_KEYS, methods=("POST",))
def orders_received(request: HttpRequest) -> HttpResponse:
    refs = received_refs_parse(api_json_body(request))
    merchant = _merchant(request)
    receipts = orders_receive(
        merchant=merchant,
        cust_refs=refs,
        only_ready=wms_pulls_orders(account_id=merchant.account_id),
    )
    return api_ok({"received": receipts.received, "failed": receipts.failed})


@api_endpoint(levels=MERCHANT_KEYS, methods=("POST",))
def order_shipments(request: HttpRequest, cust_ref: str) -> HttpResponse:
    order = _order(request, cust_ref)
    shipments = shipments_parse(api_json_body(request), cust_ref=order.cust_ref)
    stored = api_shipments_store(merchant=_merchant(request), order=order, shipments=shipments)
    order.refresh_from_db(fields=["status", "partially_shipped"])
    return api_ok(
        {
            "cust_ref": order.cust_ref,
            "order_status": order.status,
            "partially_shipped": api_flag(order.partially_shipped),
            "shipments_stored": str(stored),
        }
    )


# inventory and products --------------------------------------------------------------------


@csrf_exempt
def inventory(request: HttpRequest) -> HttpResponse:
    """One path, two endpoints: GET lists the stock, POST stores levels."""
    return inventory_store(request) if request.method == "POST" else inventory_list(request)


@api_endpoint(levels=READ_KEYS)
def inventory_list(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    skus = page_of(inventory_skus(merchant), request)
    return api_ok(inventory_items(merchant, skus))


@api_endpoint(levels=MERCHANT_KEYS, methods=("POST",))
def inventory_store(request: HttpRequest) -> HttpResponse:
    levels = levels_parse(api_json_body(request))
    outcome = api_levels_store(merchant=_merchant(request), levels=levels)
    return api_ok(
        {
            "levels_read": str(outcome.read),
            "levels_changed": str(outcome.changed),
            "new_warehouses": outcome.new_locations,
            "carts_to_update": str(len(outcome.cart_ids)),
        }
    )


@api_endpoint(levels=READ_KEYS)
def inventory_item(request: HttpRequest, sku: str) -> HttpResponse:
    items = inventory_items(_merchant(request), [sku])
    if not items:
        raise ApiError(INVALID, f"No stock recorded for SKU {sku[:60]}.")
    return api_ok(items[0])


@api_endpoint(levels=READ_KEYS)
def product(request: HttpRequest, sku: str) -> HttpResponse:
    merchant = _merchant(request)
    found = product_sku(merchant, sku)
    if found is None:
        raise ApiError(INVALID, f"No product with SKU or alias {sku[:60]} for this merchant.")
    return api_ok(product_object(merchant, found))


# ship methods, carts, merchants ------------------------------------------------------------


@api_endpoint(levels=READ_KEYS, needs_merchant=False)
def wms_ship_methods(request: HttpRequest) -> HttpResponse:
    methods = WmsShipMethod.objects.filter(
        account_id=request.api.account.id,  # type: ignore[attr-defined]
        is_active=True,
    ).order_by("carrier", "code")
    return api_ok(
        [
            {"carrier": method.carrier, "code": method.code, "description": method.description}
            for method in methods
        ]
    )


@api_endpoint(levels=MERCHANT_KEYS)
def cart_list(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    carts = CartConnection.objects.filter(account_id=merchant.account_id, merchant=merchant)
    return api_ok(
        [
            {
                "order_source": cart.order_source,
                "cart_name": cart.label,
                "cart_type": cart.connector_key,
                "active": api_flag(cart.enabled and not cart.is_paused),
            }
            for cart in carts.order_by("label", "id")
        ]
    )


@api_endpoint(levels=MERCHANT_KEYS)
def cart_ship_methods_list(request: HttpRequest, order_source: str) -> HttpResponse:
    cart = _cart(request, order_source)
    entries = ShipMethodMap.objects.filter(account_id=cart.account_id, cart=cart)
    return api_ok(
        [
            {
                "cart_code": entry.cart_code,
                "description": entry.cart_description,
                # null: the code goes to the WMS as it is (passthrough) or is not mapped yet
                "wms_code": entry.wms_code or None,
                "passthrough": api_flag(entry.passthrough),
            }
            for entry in entries.order_by("cart_code")
        ]
    )


@api_endpoint(levels=MERCHANT_KEYS, methods=("POST",))
def cart_ship_methods_save(request: HttpRequest, order_source: str) -> HttpResponse:
    cart = _cart(request, order_source)
    pairs = ship_maps_parse(api_json_body(request), account_id=cart.account_id)
    released = api_ship_maps_save(cart=cart, pairs=pairs)
    return api_ok({"saved": str(len(pairs)), "orders_released": str(released)})


@api_endpoint(levels=(ApiLevel.WAREHOUSE,), needs_merchant=False)
def wms_merchant_list(request: HttpRequest) -> HttpResponse:
    merchants = Merchant.objects.filter(account_id=request.api.account.id)  # type: ignore[attr-defined]
    return api_ok(
        [
            {
                "merchant_pk": str(merchant.id),
                "name": merchant.name,
                "active": api_flag(merchant.is_active),
            }
            for merchant in merchants.order_by("name", "id")
        ]
    )
