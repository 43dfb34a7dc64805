"""CART_CONNECTORS: cart connector classes by key, and building one for a cart connection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carts.connectors.base import CartConnector
from integration_manager.connectors import ConnectionContext, ConnectorRegistry

if TYPE_CHECKING:
    from carts.models import CartConnection

CART_CONNECTORS: ConnectorRegistry[CartConnector] = ConnectorRegistry("cart")
register = CART_CONNECTORS.register


def cart_connector_for(cart: CartConnection) -> CartConnector:
    return CART_CONNECTORS.connector_for(
        key=cart.connector_key,
        settings=cart.settings,
        credentials=cart.credentials,
        context=ConnectionContext(
            connection_id=cart.id,
            account_id=cart.account_id,
            merchant_id=cart.merchant_id,
            label=cart.label,
            timezone=cart.account.timezone,
        ),
    )
