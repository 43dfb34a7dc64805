from __future__ import annotations

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jobs.registry import register, register_periodic
        from orders.jobs import order_services
        from orders.status_counts import order_status_counts_chore

        for spec in order_services():
            register(spec)
        # The dashboard's counts read the deltas not folded yet: folding each tick keeps
        # those to a tick's worth of changes.
        register_periodic("orders_status_counts_fold", order_status_counts_chore)
