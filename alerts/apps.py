from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alerts.checks import orders_stuck_chore, scheduler_resumed
        from alerts.digests import digests_due
        from alerts.services import alerts_notify_unsent
        from jobs.registry import register_periodic

        # E-mails whose task was lost with the broker are sent by the next tick.
        register_periodic("alerts_notify_unsent", alerts_notify_unsent)
        register_periodic("alerts_digests", digests_due)
        # A tick is the proof that the scheduler runs again.
        register_periodic("alerts_scheduler_resumed", scheduler_resumed)
        register_periodic("alerts_orders_stuck", orders_stuck_chore)
