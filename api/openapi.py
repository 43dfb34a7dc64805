"""The OpenAPI 3 description of /v1/, written by hand (docs/api.md says the same in prose).

tests/api/test_openapi.py holds it to the code: it must validate, name every route under
/v1/ and no other, and real answers of each endpoint must fit its response schema.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

Schema = dict[str, Any]

STRING, NULLABLE_STRING = {"type": "string"}, {"type": "string", "nullable": True}
AMOUNT = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "example": "12.50"}
FLAG = {"type": "string", "enum": ["Y", "N"]}
TIMESTAMP = {"type": "string", "format": "date-time", "example": "2018-08-27T02:24:58+00:00"}
NULLABLE_TIMESTAMP = {**TIMESTAMP, "nullable": True}


def _object(required: list[str], properties: Schema, *, extra: bool = False) -> Schema:
    """An object with these fields; extra: more fields may come (the order object's
    CartRover back-office fields, always null here)."""
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": extra,
    }


def _list(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR = _object(
    ["success_code", "error_code", "message"],
    {
        "success_code": {"type": "boolean", "enum": [False]},
        "error_code": {"type": "string", "enum": ["Invalid", "Failure", "RateLimit"]},
        "message": STRING,
    },
)
SHIPMENT_ITEM = _object(["item", "quantity"], {"item": STRING, "quantity": AMOUNT}, extra=True)
SHIPMENT = _object(
    ["carrier", "method", "tracking_no", "date", "items"],
    {
        "carrier": NULLABLE_STRING,
        "method": NULLABLE_STRING,
        "tracking_no": NULLABLE_STRING,
        "total_cost": AMOUNT,
        "date": NULLABLE_TIMESTAMP,
        "items": _list(SHIPMENT_ITEM),
    },
    extra=True,
)
ORDER = _object(
    ["cust_ref", "order_status", "order_source", "order_date", "items", "shipments"],
    {
        "cust_ref": STRING,
        "cust_po_no": NULLABLE_STRING,
        "order_source": STRING,
        "order_date": {"type": "string", "format": "date"},
        "order_status": STRING,
        "created_date_time": NULLABLE_TIMESTAMP,
        "updated_date_time": NULLABLE_TIMESTAMP,
        "ship_code": NULLABLE_STRING,
        "grand_total": AMOUNT,
        "items": _list(
            _object(["item", "quantity"], {"item": STRING, "quantity": AMOUNT}, extra=True)
        ),
        "shipments": _list(_ref("Shipment")),
    },
    extra=True,
)
ORDER_STATUS = _object(
    ["cust_ref", "order_status", "shipments"],
    {
        "cust_ref": STRING,
        "cust_po_no": NULLABLE_STRING,
        "delivered_to_wms_date": NULLABLE_TIMESTAMP,
        "updated_date_time": NULLABLE_TIMESTAMP,
        "ship_country": NULLABLE_STRING,
        "order_status": STRING,
        "shipments": _list(_ref("Shipment")),
    },
)
WAREHOUSE_STOCK = _object(
    ["warehouse", "qty_available", "qty_on_hand", "wms_datetime"],
    {
        "warehouse": STRING,
        "qty_available": AMOUNT,
        "qty_on_hand": AMOUNT,
        "wms_datetime": NULLABLE_TIMESTAMP,
    },
)
INVENTORY_ITEM = _object(
    ["sku", "qty_available", "qty_on_hand", "wms_datetime", "aliases", "warehouses"],
    {
        "sku": STRING,
        "qty_available": AMOUNT,
        "qty_on_hand": AMOUNT,
        "wms_datetime": NULLABLE_TIMESTAMP,
        # {"UPC": "…"} by alias kind, or [] when the SKU has none (as CartRover answers)
        "aliases": {
            "oneOf": [
                {"type": "object", "additionalProperties": STRING},
                {"type": "array", "maxItems": 0},
            ]
        },
        "warehouses": {
            "type": "object",
            "description": "By the hub's location id, as a string.",
            "additionalProperties": WAREHOUSE_STOCK,
        },
    },
)
PRODUCT = _object(
    ["sku", "aliases"],
    {
        "sku": STRING,
        "name": NULLABLE_STRING,
        "description": NULLABLE_STRING,
        "retail_price": {**AMOUNT, "nullable": True},
        "wholesale_price": {**AMOUNT, "nullable": True},
        "weight_lbs": NULLABLE_STRING,
        "wms_product_main_id": NULLABLE_STRING,
        "last_updated_datetime": {**NULLABLE_STRING, "example": "2018-01-02 16:26:25"},
        "aliases": _list(_object(["code_type", "code"], {"code_type": STRING, "code": STRING})),
    },
)
SCHEMAS: Schema = {
    "Error": ERROR,
    "Order": ORDER,
    "OrderStatus": ORDER_STATUS,
    "Shipment": SHIPMENT,
    "InventoryItem": INVENTORY_ITEM,
    "Product": PRODUCT,
}

# request bodies ----------------------------------------------------------------------------

ORDER_INPUT = {
    "type": "object",
    "required": ["cust_ref", "items"],
    "description": "One order as in §1.11 of CartRover's create-order input.",
    "additionalProperties": True,
}
SHIPMENT_INPUT = _object(
    ["items"],
    {
        "shipment_id": {**STRING, "description": "Yours; else tracking_no names the shipment."},
        "carrier": STRING,
        "method": STRING,
        "tracking_no": STRING,
        "date": {**STRING, "description": "ISO 8601 with a zone, or YYYY-MM-DD; default now."},
        "cost": AMOUNT,
        "items": _list(
            _object(
                ["item", "quantity"],
                {"item": STRING, "quantity": {"oneOf": [AMOUNT, {"type": "number"}]}},
            )
        ),
    },
)
QUANTITY_INPUT = {"oneOf": [{"type": "integer", "minimum": 0}, AMOUNT]}
LEVEL_INPUT = _object(
    ["sku", "qty_available"],
    {
        "sku": STRING,
        "warehouse": {**STRING, "description": "The WMS's location id; empty: the default."},
        "qty_available": QUANTITY_INPUT,
        "qty_on_hand": {**QUANTITY_INPUT, "description": "Default: qty_available."},
        "wms_datetime": TIMESTAMP,
    },
)

# operations --------------------------------------------------------------------------------

CART, MERCHANT, WAREHOUSE = "cart", "merchant", "warehouse"


def _answer(response: Schema | None = None, **flat: Schema) -> Schema:
    """The success envelope: {"success_code": true, "response": …} or flat fields."""
    properties: Schema = {"success_code": {"type": "boolean", "enum": [True]}, **flat}
    if response is not None:
        properties["response"] = response
    return _object(["success_code", *(["response"] if response else []), *flat], properties)


BATCH_ANSWER = _answer(
    _object(
        ["success", "failed"],
        {"success": _list({"type": "object"}), "failed": _list({"type": "object"})},
    )
)


def _operation(
    summary: str,
    levels: list[str],
    answer: Schema,
    *,
    body: Schema | None = None,
    query: list[Schema] = (),  # type: ignore[assignment]
    description: str = "",
) -> Schema:
    parameters = list(query)
    if WAREHOUSE in levels:
        parameters.append({"$ref": "#/components/parameters/MerchantPk"})
    operation: Schema = {
        "summary": summary,
        "description": (description + " " if description else "") + f"Keys: {', '.join(levels)}.",
        "parameters": parameters,
        "responses": {
            "200": {
                "description": "Success, or an error in the envelope (HTTP 200 all the same).",
                "headers": {
                    "X-CartRover-Process-ID": {"$ref": "#/components/headers/ProcessId"},
                    "X-CartRover-Api-Minute-Hits-Remaining": {
                        "$ref": "#/components/headers/HitsRemaining"
                    },
                },
                "content": {"application/json": {"schema": {"oneOf": [answer, _ref("Error")]}}},
            },
            "500": {
                "description": "The hub failed; quote the process id.",
                "content": {"application/json": {"schema": _ref("Error")}},
            },
        },
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return operation


def _path_parameter(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": STRING,
        "description": description,
    }


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


PAGING = [
    _query("limit", {"type": "integer", "minimum": 1, "default": 20}, "Rows a page; 100 at most."),
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "From 1."),
]
INCLUDES = [
    _query(name, FLAG, "Y to include.")
    for name in (
        "include_filtered_items",
        "include_order_extras",
        "include_line_extras",
        "include_aliases",
    )
]
LIST_QUERY = [
    *PAGING,
    _query("from_date", STRING, "YYYY-MM-DD or ISO 8601 (encode + as %2B); on the status's date."),
    _query("to_date", STRING, "Inclusive when a date."),
    _query("order_source", STRING, "Only this cart's orders."),
    *INCLUDES,
]
STATUSES = [
    "new",
    "at_wms",
    "new_or_at_wms",
    "partial",
    "shipped",
    "confirmed",
    "shipped_or_confirmed",
    "error",
    "canceled",
    "any",
]
STATUS = {
    **_path_parameter("status", "Which orders."),
    "schema": {"type": "string", "enum": STATUSES},
}
CUST_REF = _path_parameter("cust_ref", "The order's reference in the hub.")
REFERENCE = _path_parameter("reference", "The order's cust_ref.")
SKU = _path_parameter("sku", "A SKU (URL-encoded).")
ORDER_SOURCE = _path_parameter("order_source", "The cart's order source (GET /v1/cart/list).")
CANCEL_ANSWER = _answer(
    _object(["success", "message"], {"success": {"type": "boolean"}, "message": STRING})
)
MERCHANT_KEYS = [MERCHANT, WAREHOUSE]
READ_KEYS = [CART, MERCHANT, WAREHOUSE]


def _cart_paths() -> Schema:
    return {
        "/v1/cart/orders/cartrover": {
            "post": _operation(
                "Create an order (or an array of them)",
                [CART],
                {"oneOf": [_answer(cust_ref=STRING, order_number=STRING), BATCH_ANSWER]},
                body={"oneOf": [ORDER_INPUT, _list(ORDER_INPUT)]},
                description="Not rate limited. A duplicate cust_ref is a Failure. An array of "
                "several orders is a batch and answered like POST /v1/cart/orders/batch.",
            )
        },
        "/v1/cart/orders/batch": {
            "post": _operation(
                "Create many orders",
                [CART],
                BATCH_ANSWER,
                body=_list(ORDER_INPUT),
            )
        },
        "/v1/cart/orders/cancel/cartrover": {
            "post": _operation(
                "Stop an order from being sent to the WMS",
                [CART],
                CANCEL_ANSWER,
                body=_object(["cust_ref"], {"cust_ref": STRING}),
            )
        },
        "/v1/cart/orders/status/{reference}": {
            "get": _operation(
                "An order's status and shipments",
                [CART],
                _answer(_ref("OrderStatus")),
                query=[REFERENCE],
            )
        },
        "/v1/cart/orders/list/{status}": {
            "get": _operation(
                "The cart's orders by status",
                [CART],
                _answer(_list(_ref("Order"))),
                query=[STATUS, *LIST_QUERY],
            )
        },
        "/v1/cart/orders/wms_cancel/{reference}": {
            "get": _operation(
                "Ask the hub to cancel the order at the WMS",
                [CART],
                CANCEL_ANSWER,
                query=[REFERENCE],
            )
        },
        "/v1/cart/orders/update/{reference}": {
            "post": _operation(
                "Mark an order confirmed with the tracking numbers the cart took",
                [CART],
                _answer(),
                query=[REFERENCE],
                body=_object(
                    ["order_status"],
                    {
                        "order_status": {"type": "string", "enum": ["confirmed"]},
                        "shipments": _list(
                            _object(["tracking_no"], {"tracking_no": STRING}, extra=True)
                        ),
                    },
                    extra=True,
                ),
            )
        },
        "/v1/cart/orders/{reference}": {
            "get": _operation(
                "One order", [CART], _answer(_ref("Order")), query=[REFERENCE, *INCLUDES]
            )
        },
    }


def _merchant_order_paths() -> Schema:
    return {
        "/v1/merchant/orders/list/{status}": {
            "get": _operation(
                "The merchant's orders by status, across its carts",
                MERCHANT_KEYS,
                _answer(_list(_ref("Order"))),
                query=[STATUS, *LIST_QUERY],
                description="Oldest first on the status's date; header total-records.",
            )
        },
        "/v1/merchant/orders/{cust_ref}": {
            "get": _operation(
                "One order", MERCHANT_KEYS, _answer(_ref("Order")), query=[CUST_REF, *INCLUDES]
            )
        },
        "/v1/merchant/orders/status/{cust_ref}": {
            "get": _operation(
                "An order's status and shipments",
                MERCHANT_KEYS,
                _answer(_ref("OrderStatus")),
                query=[CUST_REF],
            )
        },
        "/v1/merchant/orders/received": {
            "post": _operation(
                "Mark new orders received by the warehouse (new → at_wms)",
                MERCHANT_KEYS,
                _answer(
                    _object(
                        ["received", "failed"],
                        {
                            "received": _list(STRING),
                            "failed": _list(
                                _object(
                                    ["cust_ref", "error_code", "message"],
                                    {"cust_ref": STRING, "error_code": STRING, "message": STRING},
                                )
                            ),
                        },
                    )
                ),
                body=_object(["cust_refs"], {"cust_refs": {**_list(STRING), "maxItems": 100}}),
                description="Each order moves once; any other is answered in failed.",
            )
        },
        "/v1/merchant/orders/shipments/{cust_ref}": {
            "post": _operation(
                "Post an order's shipments (the order becomes shipped; the cart gets them)",
                MERCHANT_KEYS,
                _answer(
                    _object(
                        ["cust_ref", "order_status", "partially_shipped", "shipments_stored"],
                        {
                            "cust_ref": STRING,
                            "order_status": STRING,
                            "partially_shipped": FLAG,
                            "shipments_stored": AMOUNT,
                        },
                    )
                ),
                query=[CUST_REF],
                body=_object(
                    ["shipments"], {"shipments": {**_list(SHIPMENT_INPUT), "maxItems": 50}}
                ),
                description="A shipment posted again (same shipment_id or tracking_no) is "
                "stored once.",
            )
        },
    }


def _stock_paths() -> Schema:
    stored = _object(
        ["levels_read", "levels_changed", "new_warehouses", "carts_to_update"],
        {
            "levels_read": AMOUNT,
            "levels_changed": AMOUNT,
            "new_warehouses": _list(STRING),
            "carts_to_update": AMOUNT,
        },
    )
    by_warehouse = _object(
        ["warehouses"],
        {"warehouses": {"type": "object", "additionalProperties": _list(LEVEL_INPUT)}},
    )
    return {
        "/v1/merchant/inventory": {
            "get": _operation(
                "Stock by SKU, paged",
                READ_KEYS,
                _answer(_list(_ref("InventoryItem"))),
                query=PAGING,
            ),
            "post": _operation(
                "Store stock levels (the carts whose stock changed get an upload)",
                MERCHANT_KEYS,
                _answer(stored),
                body={"oneOf": [by_warehouse, _list(LEVEL_INPUT)]},
            ),
        },
        "/v1/merchant/inventory/{sku}": {
            "get": _operation(
                "One SKU's stock", READ_KEYS, _answer(_ref("InventoryItem")), query=[SKU]
            )
        },
        "/v1/merchant/product/{sku}": {
            "get": _operation(
                "A product and its aliases (found by SKU or alias)",
                READ_KEYS,
                _answer(_ref("Product")),
                query=[SKU],
            )
        },
    }


def _setup_paths() -> Schema:
    ship_method = _object(
        ["carrier", "code", "description"],
        {"carrier": STRING, "code": STRING, "description": STRING},
    )
    cart = _object(
        ["order_source", "cart_name", "cart_type", "active"],
        {"order_source": STRING, "cart_name": STRING, "cart_type": STRING, "active": FLAG},
    )
    mapping = _object(
        ["cart_code", "description", "wms_code", "passthrough"],
        {
            "cart_code": STRING,
            "description": STRING,
            "wms_code": NULLABLE_STRING,
            "passthrough": FLAG,
        },
    )
    merchant = _object(
        ["merchant_pk", "name", "active"], {"merchant_pk": STRING, "name": STRING, "active": FLAG}
    )
    mapping_input = _object(
        ["cart_code", "wms_code"], {"cart_code": STRING, "wms_code": NULLABLE_STRING}
    )
    return {
        "/v1/wms/shipmethod/list": {
            "get": _operation(
                "The account's WMS ship methods", READ_KEYS, _answer(_list(ship_method))
            )
        },
        "/v1/wms/merchant/list": {
            "get": _operation(
                "The account's merchants (their X-Merchant-Pk)",
                [WAREHOUSE],
                _answer(_list(merchant)),
            )
        },
        "/v1/cart/list": {
            "get": _operation("The merchant's carts", MERCHANT_KEYS, _answer(_list(cart)))
        },
        "/v1/cart/shipmethod/list/{order_source}": {
            "get": _operation(
                "A cart's ship codes and their WMS methods",
                MERCHANT_KEYS,
                _answer(_list(mapping)),
                query=[ORDER_SOURCE],
            )
        },
        "/v1/cart/shipmethod/{order_source}": {
            "post": _operation(
                "Map a cart's ship codes (null: the code goes to the WMS as it is)",
                MERCHANT_KEYS,
                _answer(
                    _object(
                        ["saved", "orders_released"], {"saved": AMOUNT, "orders_released": AMOUNT}
                    )
                ),
                query=[ORDER_SOURCE],
                body={**_list(mapping_input), "minItems": 1},
                description="All or nothing: an unknown wms_code saves none.",
            )
        },
        "/v1/openapi.json": {
            "get": {
                "summary": "This description",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.0",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }


def openapi_document() -> Schema:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Integration hub API (CartRover-compatible)",
            "version": "1",
            "description": "Every answer is HTTP 200 with success_code, errors included "
            "(error_code Invalid, Failure or RateLimit); only a fault of the hub is a 500. "
            "Money and quantities are strings, flags Y/N, times ISO 8601 in UTC. See docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "security": [{"basic": []}, {"apiUser": [], "apiKey": []}],
        "paths": {
            **_cart_paths(),
            **_merchant_order_paths(),
            **_stock_paths(),
            **_setup_paths(),
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "API user and key as user name and password.",
                },
                "apiUser": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "api_user",
                    "description": "Legacy: with api_key in the query.",
                },
                "apiKey": {"type": "apiKey", "in": "query", "name": "api_key"},
            },
            "parameters": {
                "MerchantPk": {
                    "name": "X-Merchant-Pk",
                    "in": "header",
                    "required": False,
                    "schema": STRING,
                    "description": "With a warehouse key: the merchant acted for "
                    "(GET /v1/wms/merchant/list). Required there, ignored otherwise.",
                }
            },
            "headers": {
                "ProcessId": {"schema": STRING, "description": "Quote it to support."},
                "HitsRemaining": {
                    "schema": STRING,
                    "description": "Calls left in the rate-limit bucket (100, one more each "
                    "0.6 s).",
                },
            },
        },
    }


@require_GET
def openapi_json(request: HttpRequest) -> JsonResponse:
    """Public, like any API's description: it names no account and no data."""
    return JsonResponse(openapi_document(), json_dumps_params={"indent": 1})
