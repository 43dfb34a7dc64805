"""Inventory app."""
