"""Thin Celery tasks: e-mail one alert, or one account's digest."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task


# The longest back-off stays far below the broker's visibility timeout.
@shared_task(
    name="alerts.notify",
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    ignore_result=True,
)
def alert_notify_task(*, alert_id: int) -> None:
    from alerts import services
    from alerts.models import Alert

    alert = Alert.objects.filter(id=alert_id).select_related("merchant").first()
    if alert is not None:
        services.alert_notify(alert=alert)


@shared_task(
    name="alerts.digest",
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    ignore_result=True,
)
def alert_digest_task(*, account_id: int) -> None:
    from alerts import digests

    digests.alert_digest_send(account_id=account_id)
