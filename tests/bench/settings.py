"""The test settings plus django-celery-beat, the peer the dispatcher benchmark compares against,
and the embedded hub's SQLite file, which the loop benchmark reads."""

from __future__ import annotations

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, INSTALLED_APPS

# Only here: the product and its tests never load beat's tables.
INSTALLED_APPS = [*INSTALLED_APPS, "django_celery_beat"]

# The embedded mode's database while the loop benchmark runs that hub (tests/bench/embedded.py):
# a fresh var folder each time, so the file is named when the hub has made it. Only read from
# here; the hub's own processes write it.
DATABASES["embedded"] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": "",
    "OPTIONS": {"timeout": 30},
}
