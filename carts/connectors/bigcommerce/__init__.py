"""BigCommerce: v2 orders and shipments, v3 catalog and inventory, signed webhooks."""

from __future__ import annotations

from carts.connectors.bigcommerce import connector  # noqa: F401  (register() runs on import)
