"""Alert digests: the hourly or daily e-mail per recipient of the alerts that waited for it."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta, tzinfo
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Account, AlertFrequency
from alerts.models import Alert
from alerts.services import CLAIM_EXPIRES, SENT_AT_ONCE, alert_recipients
from integration_manager.text import single_line

logger = logging.getLogger(__name__)

# The daily digest goes out at this local time in the account's zone: the start of a day.
DAILY_DIGEST_AT = time(7, 0)
DIGEST_LIMIT = 500


def digest_window_start(*, frequency: str, now: datetime, zone: tzinfo) -> datetime:
    """The start of the digest period that now falls in: the hour, or the day from 07:00."""
    local = now.astimezone(zone)
    if frequency == AlertFrequency.HOURLY:
        return local.replace(minute=0, second=0, microsecond=0)
    start = local.replace(
        hour=DAILY_DIGEST_AT.hour, minute=DAILY_DIGEST_AT.minute, second=0, microsecond=0
    )
    return start if start <= local else start - timedelta(days=1)


def digests_due(now: datetime) -> int:
    """The dispatcher tick's chore: claim each account whose digest period has turned and
    queue its digest. Returns how many were queued."""
    accounts = Account.objects.filter(
        alert_frequency__in=[AlertFrequency.HOURLY, AlertFrequency.DAILY]
    ).only("id", "alert_frequency", "alert_digest_sent_at", "timezone")
    queued = 0
    for account in accounts:
        start = digest_window_start(frequency=account.alert_frequency, now=now, zone=account.zone)
        last = account.alert_digest_sent_at
        if last is not None and last >= start:
            continue
        if digest_claim(account=account, now=now) and _digest_send(account=account, now=now):
            queued += 1
    return queued


def digest_claim(*, account: Account, now: datetime) -> bool:
    """Take this period's digest of an account; False if another tick took it first."""
    # The WHERE clause is the check: two dispatchers ticking at once send one digest.
    return bool(
        Account.objects.filter(
            id=account.id, alert_digest_sent_at=account.alert_digest_sent_at
        ).update(alert_digest_sent_at=now)
    )


def _digest_send(*, account: Account, now: datetime) -> bool:
    from alerts.tasks import alert_digest_task  # tasks import us
    from jobs.broker import task_send

    if task_send(alert_digest_task, kwargs={"account_id": account.id}, quick=True):
        return True
    # The broker is away: give the period back, so the next tick tries again.
    Account.objects.filter(id=account.id, alert_digest_sent_at=now).update(
        alert_digest_sent_at=account.alert_digest_sent_at
    )
    return False


def digest_claim_alerts(*, account_id: int, now: datetime) -> list[Alert]:
    """Claim the account's alerts that wait for a digest (never sent, not sent at once)."""
    waiting = Alert.objects.filter(account_id=account_id, notified_at=None).exclude(
        kind__in=SENT_AT_ONCE
    )
    claimable = waiting.filter(
        Q(notify_claimed_at=None) | Q(notify_claimed_at__lte=now - CLAIM_EXPIRES)
    )
    ids = list(claimable.order_by("first_seen_at").values_list("id", flat=True)[:DIGEST_LIMIT])
    claimable.filter(id__in=ids).update(notify_claimed_at=now)
    return list(
        Alert.objects.filter(id__in=ids, notify_claimed_at=now)
        .select_related("merchant", "account")
        .order_by("kind", "first_seen_at")
    )


def alert_digest_send(*, account_id: int) -> int:
    """E-mail each recipient one digest of the waiting alerts they would get one by one.

    The alerts are claimed before anything is sent, so a digest task run twice sends once;
    a send that fails gives the claims back for the task's retry. Returns e-mails sent.
    """
    now = timezone.now()
    alerts = digest_claim_alerts(account_id=account_id, now=now)
    if not alerts:
        return 0
    # A merchant user's digest holds only their merchant's alerts: the same rule as one
    # alert's e-mail (alert_recipients), applied alert by alert.
    by_recipient: dict[str, list[Alert]] = defaultdict(list)
    for alert in alerts:
        for address in alert_recipients(alert):
            by_recipient[address].append(alert)
    account = alerts[0].account
    messages = [
        _digest_message(account=account, address=address, alerts=listed)
        for address, listed in sorted(by_recipient.items())
    ]
    try:
        if messages:
            get_connection().send_messages(messages)
    except (SMTPException, OSError):
        Alert.objects.filter(id__in=[alert.id for alert in alerts], notify_claimed_at=now).update(
            notify_claimed_at=None
        )
        raise
    Alert.objects.filter(id__in=[alert.id for alert in alerts]).update(notified_at=timezone.now())
    logger.info("alert digest of account %s: %s alert(s)", account_id, len(alerts))
    return len(messages)


def _digest_message(*, account: Account, address: str, alerts: list[Alert]) -> EmailMessage:
    period = "Daily" if account.alert_frequency == AlertFrequency.DAILY else "Hourly"
    body = render_to_string(
        "alerts/email/digest.txt",
        {"alerts": alerts, "account": account, "period": period, "site_url": settings.SITE_URL},
    )
    subject = single_line(f"[Integration hub] {period} alerts: {len(alerts)} for {account.name}")
    return EmailMessage(subject, body, None, [address])
