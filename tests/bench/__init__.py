"""`make bench`: figures for the scale the hub is built for, printed and written to
var/bench/; nothing is asserted (docs/performance.md).

Importing this package points Django at a PostgreSQL database of the benchmarks' own
(hub_bench, made afresh each run) and a Redis database no test uses.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_bench"
)
os.environ.setdefault("HUB_TEST_REDIS_BASE", "redis://127.0.0.1:6379/11")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()
