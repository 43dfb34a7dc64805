"""The order pipeline: download, delivery, ship confirm, shipment upload, and order actions."""
