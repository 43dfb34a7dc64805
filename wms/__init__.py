"""Wms app."""
