from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.data import account_deletions_resend
        from jobs.registry import register_periodic

        # A deletion whose task was lost with the broker still happens.
        register_periodic("accounts_deletions_resend", account_deletions_resend)
