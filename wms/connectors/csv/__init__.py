"""The CSV warehouse: order files out, shipment and inventory files in, over FTP, SFTP or e-mail."""

from __future__ import annotations

from wms.connectors.csv import connector  # noqa: F401  (register() runs on import)
