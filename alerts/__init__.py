"""Alerts app."""
