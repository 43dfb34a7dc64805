"""The Celery app; the beat schedule holds one entry, the dispatcher tick (jobs/tasks.py)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_manager.settings")

app = Celery("integration_manager")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
