"""The CSV cart: order files dropped in a folder or uploaded in the browser; tracking as files."""

from __future__ import annotations

from carts.connectors.csv import connector  # noqa: F401  (register() runs on import)
