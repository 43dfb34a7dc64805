"""CART_CONNECTORS: cart connector classes by key, and building one for a cart connection."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from carts.connectors.base import CartConnector
from integration_manager.connectors import ConnectionContext, ConnectorRegistry

if TYPE_CHECKING:
    from carts.models import CartConnection

CART_CONNECTORS: ConnectorRegistry[CartConnector] = ConnectorRegistry("cart")
register = CART_CONNECTORS.register


def cart_connector_for(cart: CartConnection) -> CartConnector:
    return CART_CONNECTORS.connector_for(
        key=cart.connector_key,
        settings=_settings_with_load_options(cart),
        credentials=cart.credentials,
        context=ConnectionContext(
            connection_id=cart.id,
            account_id=cart.account_id,
            merchant_id=cart.merchant_id,
            label=cart.label,
            timezone=cart.account.timezone,
        ),
    )


def _settings_with_load_options(cart: CartConnection) -> dict[str, Any]:
    """The connector's settings, with the cart's earliest order date (the model field is the
    source) as the start of that day in the account's time zone: the first download begins
    there."""
    if cart.earliest_order_date is None:
        return cart.settings
    start = datetime.combine(
        cart.earliest_order_date, time.min, tzinfo=ZoneInfo(cart.account.timezone or "UTC")
    )
    return {**cart.settings, "earliest_order_date": start.isoformat()}
