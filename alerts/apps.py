from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # E-mails whose task was lost with the broker are sent by the next tick.
        from alerts.services import alerts_notify_unsent
        from jobs.registry import register_periodic

        register_periodic("alerts_notify_unsent", alerts_notify_unsent)
