from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jobs.registry import register
        from jobs.retention import retention_services

        # Job runs are jobs' own rows: their retention is the one service jobs declares.
        for spec in retention_services():
            register(spec)
