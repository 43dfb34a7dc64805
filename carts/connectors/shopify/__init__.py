"""The Shopify cart: GraphQL Admin API orders, fulfillments, stock levels and webhooks."""

from __future__ import annotations

from carts.connectors.shopify.connector import ShopifyConnector

__all__ = ["ShopifyConnector"]
