"""Extensiv 3PL Warehouse Manager: REST orders, closed orders as shipments, stock summaries."""

from __future__ import annotations

from wms.connectors.threepl import connector  # noqa: F401  (register() runs on import)
