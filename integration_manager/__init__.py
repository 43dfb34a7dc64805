"""The hub's Django project: settings, urls, the Celery app and cross-cutting helpers."""

from __future__ import annotations

from integration_manager.celery import app as celery_app

__all__ = ["celery_app"]
