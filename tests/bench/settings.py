"""The test settings plus django-celery-beat, the peer the dispatcher benchmark compares against."""

from __future__ import annotations

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

# Only here: the product and its tests never load beat's tables.
INSTALLED_APPS = [*INSTALLED_APPS, "django_celery_beat"]
