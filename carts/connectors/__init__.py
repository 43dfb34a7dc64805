"""Cart connectors: importing each module registers it (see docs/connectors.md)."""

from __future__ import annotations

from carts.connectors import api_access, sandbox  # noqa: F401
from carts.connectors.bigcommerce import connector as bigcommerce  # noqa: F401
from carts.connectors.csv import connector as csv  # noqa: F401
from carts.connectors.shopify import connector as shopify  # noqa: F401
from carts.connectors.woocommerce import connector as woocommerce  # noqa: F401
