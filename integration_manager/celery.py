"""The Celery app; the beat schedule holds one entry, the dispatcher tick (jobs/tasks.py)."""

from __future__ import annotations

import os

from celery import Celery

from integration_manager.file_broker import file_broker_register
from integration_manager.redis_broker import redis_broker_guard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_manager.settings")

file_broker_register()  # the embedded mode's broker, hubfile:// (integration_manager/settings.py)
redis_broker_guard()  # a lost Redis connection must not stop the worker
app = Celery("integration_manager")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
