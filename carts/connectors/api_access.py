"""The "API access" cart: orders are pushed to the hub through the cart-level API."""

from __future__ import annotations

from collections.abc import Iterator

from carts.connectors.base import CartConnector
from carts.connectors.registry import register
from integration_manager.records import OrderPage

API_ACCESS_KEY = "api_access"


@register
class ApiAccessCartConnector(CartConnector):
    """Nothing to fetch or upload: the client posts orders to /v1/cart/orders/cartrover with
    the cart's own API pair (api.keys), reads shipments back with the status call and
    confirms them with /v1/cart/orders/update/{cust_ref}."""

    key = API_ACCESS_KEY
    label = "API access (orders pushed through the API)"
    description = (
        "Your system sends orders to the hub's CartRover-compatible API with this cart's API "
        "user and key, and reads tracking back from it."
    )
    capabilities = frozenset()
    address_fields = ()  # the hub calls nobody for this cart

    def test_connection(self) -> str:
        return "Nothing to test: orders arrive through the API with this cart's API user and key."

    def fetch_orders(self, cursor: str | None) -> Iterator[OrderPage]:
        # Never called (no FETCH_ORDERS): the download service skips carts without it.
        return iter(())
