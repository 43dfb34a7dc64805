"""The WooCommerce cart: REST API v3 with consumer key and secret."""

from __future__ import annotations

from carts.connectors.woocommerce import connector  # noqa: F401  (register() runs on import)
