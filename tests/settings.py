"""Test settings: the production settings, pointed at the local PostgreSQL and Redis."""

from __future__ import annotations

import os

# Under pytest-xdist each process (gw0, gw1 …) gets its own Redis database and var folder;
# pytest-django gives each its own test database.
_process = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_worker = int(_process.removeprefix("gw") or 0)
if os.environ.get("HUB_TEST_SETTINGS_FOR") != _process:
    # This process chooses its own: xdist's workers inherit the environment of the
    # controller, which has already imported this module (a Celery worker a test starts
    # inherits its test's process name, and keeps the broker the test gives it).
    _redis = os.environ.setdefault(
        "HUB_TEST_REDIS_BASE", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    )
    _var = os.environ.setdefault(
        "HUB_TEST_VAR_BASE",
        os.environ.get(
            "HUB_VAR_DIR",
            os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"),
        ),
    )
    _server, _, _database = _redis.rpartition("/")
    os.environ["REDIS_URL"] = f"{_server}/{int(_database or 0) - _worker}"
    os.environ["HUB_VAR_DIR"] = _var if not _worker else f"{_var}-gw{_worker}"
    os.environ["HUB_TEST_SETTINGS_FOR"] = _process
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")
# A fixed test key (never used outside tests); rotation tests add a second one.
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "3hqP7nY1Zk0x5t0Jb9dQm2Qh7v6o0l8wKpR4cS1uE2A=")
# The emulators listen on loopback: the outbound guard lets the tests reach them (tests of
# the guard itself take this away).
os.environ.setdefault("HUB_OUTBOUND_ALLOW", "127.0.0.0/8,::1/128")

from integration_manager.settings import *  # noqa: E402, F403  (after the environment above)
from integration_manager.settings import DATABASES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The embedded mode's database, for the code that differs between SQLite and PostgreSQL
# (upserts, claims): those tests run it on both.
DATABASES["sqlite"] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.path.join(VAR_DIR, "sqlite-tests.sqlite3"),
    "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
    "TEST": {"NAME": os.path.join(VAR_DIR, "test-sqlite.sqlite3")},
}

# The throttles' counters (accounts/throttle.py) per test process, emptied before each test
# (tests/conftest.py): clearing a Redis cache would flush the broker's database with it.
# tests/accounts/test_throttle.py runs the counter on Redis too.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# No beat runs under the tests: a page would find the scheduler stopped in every account.
ALERT_SCHEDULER_CHECK = False
