"""Carts app."""
